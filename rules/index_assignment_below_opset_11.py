from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Kind, Rule, Valid, requirement

from ._operators import literal

INDEX_PUT_METHODS = frozenset({"index_put_", "index_put"})


class IndexAssignmentBelowOpset11(Rule):
    """Assignment into a tensor by index or slice in model code exported below opset 11.

    ## What it does
    Flags `y[:, 0] = v`, `y[mask] = v`, `y[idx] += v`, `y.index_put_(...)` and
    `torch.index_put(...)` on tensors in `forward` and the functions it calls, when the TorchScript
    exporter targets opset 10 or lower. Silent at opset 11 and later and for the dynamo exporter.

    ## Why is this bad for ONNX
    The TorchScript exporter turns every write into a tensor by index into ONNX `index_put`, which
    it can only express with `ScatterND` (opset 11). Measured on torch 2.13: slice assignment of a
    constant (`y[:, 0] = 0`), of another tensor (`y[:, 0] = x[:, 1]`), boolean-mask assignment
    (`y[y < 0] = 0`), augmented assignment (`y[:, 0] += 1`), assignment into a `forward` input
    and `index_put_` all raise "Unsupported: ONNX export of index_put in opset 9. Please try opset
    version 11" at opsets 9 and 10, and all export and match at 11 and 17 and with the dynamo
    exporter. `masked_fill_` / `masked_fill` export at opset 9.

    Torch 2.15 traces a Python number assigned through one boolean mask or one integer index
    tensor (`y[y < 0] = 0`, `y[idx] = -1.0`) as `masked_fill_` / `index_fill_`, which export at
    opsets 9 and 10 (measured on 2.15.0; on 2.13.0 and 2.14.1 they raise like the rest). The rule
    follows the installed torch: with 2.15 or later it flags those only below opset 9. Slices,
    tensor values, augmented assignment and `index_put_` still raise below 11 on 2.15.

    `index_put_(..., accumulate=True)` is left to the scatter numerics rules (duplicate indices
    are summed wrongly by the TorchScript exporter at every opset).

    ## Example
    ```python
    def forward(self, x):
        y = x.clone()
        y[y < 0] = x[y < 0] * 0.1
        return y
    ...
    torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=10)
    ```

    ## Use instead
    Export at opset 11 or later, or write the update without indexing:
    ```python
    def forward(self, x):
        return torch.where(x < 0, x * 0.1, x)
    ```

    ## Fix safety
    Display-only: raising the opset happens in the export script, and an indexing-free rewrite
    (`masked_fill`, `torch.where`, `torch.cat`) depends on what the assignment does.

    ## References
    - ONNX ScatterND (opset 11): https://onnx.ai/onnx/operators/onnx__ScatterND.html
    - torch/onnx/symbolic_opset9.py (`index_put`), symbolic_opset11.py
    - docs/measurements.md (ONX403 rows)
    """

    code = "ONX403"
    name = "index_assignment_below_opset_11"
    message = "Assigning into a tensor by index cannot be exported below ONNX opset 11"
    fix_title = "Export with `opset_version=11` or later, or use `masked_fill` / `torch.where`"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("]", "index_put")
    applies_to = "TorchScript exporter at opset <= 10 (export error); silent at >= 11 and for dynamo"

    def _gated(self, node: ast.AST, key: str = "index_put") -> tuple[bool, str]:
        config = self.context.export_config_for(node)
        first_good = requirement(key).legacy_min_opset or 0  # per installed torch: see exporters.TORCH_CHANGES
        if not config.is_legacy or config.opset >= first_good:
            return False, ""
        return True, (
            f"by {config.exporter_label} at ONNX opset {config.opset} (it raises 'Unsupported: ONNX export of "
            f"index_put'); opset {first_good} and later export it"
        )

    def _number_fill(self, target: ast.Subscript, value: ast.expr) -> bool:
        """`y[mask] = 0`, `y[index] = -1.5`: one tensor index (a mask or integer indices), a Python number.

        torch 2.15 traces these as masked_fill_ / index_fill_ rather than index_put (measured:
        `index_put.number_fill` in exporters.TORCH_CHANGES).
        """
        index = target.slice
        if type(index) in (ast.Tuple, ast.Slice) or self.context.kind(index) is not Kind.TENSOR:
            return False
        if type(value) is ast.UnaryOp and type(value.op) in (ast.USub, ast.UAdd):
            value = value.operand
        if type(value) is ast.Constant:
            return type(value.value) in (int, float)
        return (  # float("inf"), float("-inf"), float("nan")
            type(value) is ast.Call
            and type(value.func) is ast.Name
            and value.func.id == "float"
            and len(value.args) == 1
            and type(value.args[0]) is ast.Constant
            and type(value.args[0].value) is str
        )

    def _check_target(self, statement: ast.stmt, target: ast.expr) -> None:
        if type(target) is not ast.Subscript:
            return
        context = self.context
        if not context.in_model_code:
            return
        number_fill = type(statement) is ast.Assign and self._number_fill(target, statement.value)
        gated, why = self._gated(statement, "index_put.number_fill" if number_fill else "index_put")
        if not gated or context.kind(target.value) is not Kind.TENSOR:
            return
        if not context.skipped_during_export(statement):
            self.report(
                target,
                f"Assigning into a tensor by index cannot be exported {why}",
                fix=self.make_fix([], Applicability.DISPLAY_ONLY),
            )

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(node, target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node, node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._check_target(node, node.target)

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        func = node.func
        if type(func) is not ast.Attribute or func.attr not in INDEX_PUT_METHODS or not context.in_model_code:
            return
        qualified = context.call_name(node)
        if qualified == "torch.index_put" or qualified == "torch.index_put_":
            accumulate = node.args[3] if len(node.args) > 3 else None
        elif (
            type(func) is ast.Attribute
            and func.attr in INDEX_PUT_METHODS
            and qualified is None
            and context.kind(func.value) is Kind.TENSOR
        ):
            accumulate = node.args[2] if len(node.args) > 2 else None
        else:
            return
        for keyword in node.keywords:
            if keyword.arg == "accumulate":
                accumulate = keyword.value
        if accumulate is not None and literal(accumulate) is True:
            return  # the scatter numerics rules' finding
        gated, why = self._gated(node)
        if gated and not context.skipped_during_export(node):
            self.report(
                node,
                f"`index_put` cannot be exported {why}",
                fix=self.make_fix([], Applicability.DISPLAY_ONLY),
            )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = x.clone()
                    y[:, 0] = 0
                    return y
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = x.clone()
                    y[:, 0] = 0
                    return y
            """,
            settings={"exporter": "dynamo", "opset": 10},
        ),
        # Python containers, masked_fill, code outside the model.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    outs = [x, x]
                    outs[0] = x * 2
                    cache = {}
                    cache["a"] = x
                    return x.masked_fill(x < 0, 0.0) + outs[0]

            def prepare(t):
                t[:, 0] = 0
                return t
            """,
            settings={"exporter": "legacy", "opset": 9},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    y = x.clone()
                    y[y < 0] = x[y < 0] * 0.1
                    return y

            torch.onnx.export(M(), torch.randn(1, 3), "m.onnx", dynamo=False, opset_version=10)
            """,
            line=5,
            message_contains="opset 10",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    x[:, 0] += 1
                    return x.index_put_((torch.tensor([0]),), torch.tensor(1.0))
            """,
            settings={"exporter": "legacy", "opset": 9},
            count=2,
        ),
    ]
