from __future__ import annotations

import ast

from onnxlint.rules.api import (
    Applicability,
    Fix,
    Invalid,
    Kind,
    Rule,
    Valid,
    replace_node,
    requirement,
)

from ._sizes import local_values, parenthesized

_TENSORISH = (Kind.TENSOR, Kind.OPTIONAL_TENSOR)
_BOOL_FUNCTIONS = frozenset(
    {
        "torch.isnan",
        "torch.isinf",
        "torch.isfinite",
        "torch.isposinf",
        "torch.isneginf",
        "torch.isclose",
        "torch.logical_and",
        "torch.logical_or",
        "torch.logical_not",
        "torch.logical_xor",
        "torch.eq",
        "torch.ne",
        "torch.gt",
        "torch.ge",
        "torch.lt",
        "torch.le",
    }
)
_BOOL_METHODS = frozenset(
    {
        "bool",
        "isnan",
        "isinf",
        "isfinite",
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "logical_and",
        "logical_or",
        "logical_not",
    }
)


class MaskSelectionUnsupported(Rule):
    """Elements selected with a boolean mask where the exporter cannot translate it.

    ## What it does
    Flags `torch.masked_select(x, mask)` / `x.masked_select(mask)` under the dynamo exporter,
    and both `masked_select` and boolean-mask indexing `x[mask]` (reading; writes are
    ONX403's) under the TorchScript exporter below opset 11.

    ## Why is this bad for ONNX
    The output size of a masked selection depends on the data, which ONNX expresses with
    `NonZero` + `GatherND`. Measured on torch 2.13 (outputs compared with onnxruntime on two
    inputs with different numbers of selected elements):
    - the dynamo exporter has no translation for `aten.masked_select`: "No ONNX function found
      for aten.masked_select"; the export fails;
    - the TorchScript exporter translates `masked_select` from opset 11 on ("Exporting the
      operator 'aten::masked_select' to ONNX opset version 10 is not supported"), and
      boolean-mask indexing `x[x > 0]` at opset 9 writes a model that `onnx.checker` rejects.

    Not flagged, because they exported and matched everywhere measured (the TorchScript
    exporter at opsets 11 and 17, the dynamo exporter at 20): `torch.nonzero` (also at opset
    9), `nonzero(as_tuple=True)`, `torch.where(cond)`, boolean-mask indexing `x[mask]` at opset
    11 and later, and tensors sized by tensor values: `torch.arange((x > 0).sum())`,
    `torch.zeros(n)` with a 0-d integer tensor `n`, and, under dynamo, `torch.zeros(int(n))` /
    `torch.full((n.item(), 2), 1.0)` / `x.new_zeros(int(n))` (the TorchScript exporter bakes the
    `int()` / `.item()` there: ONX202 reports that conversion). Data-dependent sizes are a
    runtime matter beyond ONNX Runtime (see the target profiles).

    ## Example
    ```python
    def forward(self, x):
        return torch.masked_select(x, x > 0)
    ```

    ## Use instead
    Boolean-mask indexing, which both exporters translate:
    ```python
    def forward(self, x):
        return x[x > 0]
    ```
    With the TorchScript exporter, export at opset 11 or later.

    ## Fix safety
    Under the dynamo exporter `masked_select(x, mask)` becomes `x[mask]`. Both return the
    selected elements as a 1-D tensor in row-major order when `mask` has the shape of `x`;
    `masked_select` also broadcasts `x` and `mask` against each other, which indexing does not.
    So the fix is safe when the mask is a comparison of `x` itself with scalars (`x > 0`), and
    unsafe otherwise. Below opset 11 the finding is display-only (the opset is chosen in the
    export script).

    ## References
    - ONNX NonZero / GatherND: https://onnx.ai/onnx/operators/onnx__NonZero.html
    - docs/measurements.md (ONX205 rows); docs/ground-truth.md, harness rows dd_masked_select, dd_nonzero, dd_bool_index, dd_arange_data_end
    """

    code = "ONX205"
    name = "mask_selection_unsupported"
    message = "Selecting with a boolean mask cannot be exported with this exporter and opset"
    fix_title = "Index with the mask: `x[mask]`"
    fix_applicability = Applicability.SAFE
    trigger_names = ("masked_select", "[")
    applies_to = "dynamo exporter: masked_select; TorchScript exporter below opset 11: masked_select, x[mask]"

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        context = self.context
        if type(func) is ast.Attribute and func.attr == "masked_select":
            name = context.call_name(node)
            if name == "torch.masked_select":
                if len(node.args) != 2:
                    return
                value, mask = node.args
            elif name is None and context.kind(func.value) in _TENSORISH and len(node.args) == 1:
                value, mask = func.value, node.args[0]
            else:
                return
        elif type(func) is ast.Name and context.call_name(node) == "torch.masked_select" and len(node.args) == 2:
            value, mask = node.args
        else:
            return
        if node.keywords or not context.in_model_code or context.skipped_during_export(node):
            return
        config = context.export_config_for(node)
        needed = requirement("masked_select")
        if config.is_dynamo and not needed.dynamo:
            message = "`masked_select` has no ONNX translation in the dynamo exporter: the export fails"
            fix = self._index_fix(node, value, mask)
        elif config.is_legacy and needed.legacy_min_opset is not None and config.opset < needed.legacy_min_opset:
            message = (
                f"`masked_select` needs ONNX opset {needed.legacy_min_opset} with the TorchScript exporter; "
                f"the export at opset {config.opset} fails"
            )
            fix = self.make_fix(
                [], Applicability.DISPLAY_ONLY, f"Export with `opset_version={needed.legacy_min_opset}` or later"
            )
        else:
            return
        self.report(node, message, fix=fix)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        context = self.context
        if type(node.ctx) is not ast.Load or not context.in_model_code:
            return
        config = context.export_config_for(node)
        needed = requirement("boolean_mask_index")
        if not config.is_legacy or needed.legacy_min_opset is None or config.opset >= needed.legacy_min_opset:
            return
        if context.kind(node.value) not in _TENSORISH or not self._is_bool_mask(node.slice):
            return
        if context.skipped_during_export(node):
            return
        self.report(
            node,
            f"Boolean-mask indexing needs ONNX opset {needed.legacy_min_opset} with the TorchScript exporter; "
            f"at opset {config.opset} `onnx.checker` rejects the exported model",
            fix=self.make_fix(
                [], Applicability.DISPLAY_ONLY, f"Export with `opset_version={needed.legacy_min_opset}` or later"
            ),
        )

    # -- helpers -------------------------------------------------------------------------------

    def _index_fix(self, node: ast.Call, value: ast.expr, mask: ast.expr) -> Fix:
        context = self.context
        segment = context.source.segment
        text = f"{parenthesized(context, value)}[{segment(mask)}]"
        same_shape = (
            type(mask) is ast.Compare
            and any(segment(part) == segment(value) for part in (mask.left, *mask.comparators))
            and all(
                segment(part) == segment(value) or context.kind(part) is Kind.PYTHON
                for part in (mask.left, *mask.comparators)
            )
        )
        applicability = Applicability.SAFE if same_shape else Applicability.UNSAFE
        return self.make_fix([replace_node(context, node, text)], applicability)

    def _is_bool_mask(self, expr: ast.AST, depth: int = 0) -> bool:
        context = self.context
        expr_type = type(expr)
        if expr_type is ast.Compare:
            return context.kind(expr) is Kind.TENSOR
        if expr_type is ast.UnaryOp and type(expr.op) is ast.Invert:  # type: ignore[attr-defined]
            return self._is_bool_mask(expr.operand, depth + 1)  # type: ignore[attr-defined]
        if expr_type is ast.BinOp and type(expr.op) in (ast.BitAnd, ast.BitOr, ast.BitXor):  # type: ignore[attr-defined]
            return self._is_bool_mask(expr.left, depth + 1) and self._is_bool_mask(expr.right, depth + 1)  # type: ignore[attr-defined]
        if expr_type is ast.Call:
            name = context.call_name(expr)
            if name in _BOOL_FUNCTIONS:
                return True
            func = expr.func  # type: ignore[attr-defined]
            return (
                name is None
                and type(func) is ast.Attribute
                and func.attr in _BOOL_METHODS
                and context.kind(func.value) in _TENSORISH
            )
        if expr_type is ast.Name and depth < 4:
            values = local_values(context, expr.id)  # type: ignore[attr-defined]
            return bool(values) and all(
                position is None and self._is_bool_mask(value, depth + 1) for value, position in values
            )
        return False

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                idx = torch.nonzero(x > 0)
                rows = torch.where(x > 0)[0]
                return x[x > 0], idx, rows, x[0], x[:, 1:], torch.arange((x > 0).sum())
        """,
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.masked_select(x, x > 0)
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
        # Writes through a mask are ONX403's business; lists indexed by a Python value are fine.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, feats: list[torch.Tensor]):
                    x[x < 0] = 0
                    return x, feats[0]
            """,
            settings={"exporter": "legacy", "opset": 10},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.masked_select(x, x > 0)
            """,
            line=4,
            message_contains="dynamo",
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x[x > 0]
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, mask):
                    return (x * 2).masked_select(mask)
            """,
            line=4,
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x, mask):
                    return (x * 2)[mask]
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    valid = torch.isfinite(x) & (x > 0)
                    return x[valid].sum()
            """,
            line=5,
            settings={"exporter": "legacy", "opset": 10},
            message_contains="opset 10",
        ),
    ]
