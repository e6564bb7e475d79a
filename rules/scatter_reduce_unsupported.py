from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Valid, requirement

from ._operators import UNKNOWN, argument, exports, failure_text, literal, may_be_traced, tensor_method

SCATTER_REDUCE_METHODS = frozenset({"scatter_reduce", "scatter_reduce_"})
SCATTER_METHODS = frozenset({"scatter", "scatter_"})


class ScatterReduceUnsupported(Rule):
    """`scatter_reduce` (and `scatter(..., reduce=)`) in a form the exporter cannot export.

    ## What it does
    Flags `Tensor.scatter_reduce` / `torch.scatter_reduce` under the TorchScript exporter
    (`dynamo=False`) when the opset is below 16, when `reduce="mean"`, or when
    `include_self=False` (the last two at every opset). Flags `Tensor.scatter(...,
    reduce="add" | "multiply")` (the deprecated reduce argument of `scatter`) with both
    exporters.

    `scatter_reduce(reduce="mean")` under the dynamo exporter exports but computes wrong
    numbers: that is ONX452. `index_reduce` fails with both exporters: ONX107.

    ## Why is this bad for ONNX
    `ScatterElements` gained its `reduction` attribute in opset 16 (`add`, `mul`) and 18
    (`max`, `min`); it has no mean and no way to leave out the initial values. Measured on
    torch 2.13 (docs/measurements.md):
    - the TorchScript exporter fails below opset 16 ("Support for this operator was added in
      version 16"), and at every opset for `reduce="mean"` ("ONNX does not support mean
      reduction for scatter_reduce") and `include_self=False` ("ONNX does not support
      include_self=False"). `sum`, `prod`, `amax` and `amin` with `include_self=True` export
      and match from opset 16. (It writes `reduction="max"`/`"min"` at opsets 16 and 17 too,
      which the ONNX spec only defines from 18; onnxruntime ran them correctly, stricter
      runtimes may not: the folklore "amax/amin need opset 18" is about the spec, not this
      exporter.)
    - the dynamo exporter exported every `sum`/`prod`/`amax`/`amin` variant, with and without
      `include_self`, and they matched;
    - `x.scatter(dim, index, src, reduce="add")` failed with both exporters (an argument
      mismatch in the TorchScript symbolic; no translation for `aten.scatter.reduce`).

    ## Example
    ```python
    pooled = x.new_zeros(n, c).scatter_reduce(0, index, x, reduce="amax", include_self=False)
    torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=17)
    ```

    ## Use instead
    Export with the dynamo exporter, or keep `include_self=True` and initialise the output
    with the reduction's identity (`-inf` for `amax`, `inf` for `amin`, 0 for `sum`, 1 for
    `prod`) at opset 16 or later:
    ```python
    pooled = x.new_full((n, c), float("-inf")).scatter_reduce(0, index, x, reduce="amax")
    ```
    (Rows no index points at then hold the identity instead of 0: mask them if that matters.)
    Instead of `scatter(..., reduce="add")`, use `scatter_add`.

    ## Fix safety
    Display-only: the identity initialisation changes the values of rows that receive
    nothing, and the exporter choice lives in the export script.

    ## References
    - ONNX ScatterElements (reduction in 16, max/min in 18): https://onnx.ai/onnx/operators/onnx__ScatterElements.html
    - torch/onnx/_internal/torchscript_exporter/symbolic_opset16.py (`scatter_reduce`)
    - docs/measurements.md (ONX104 rows); docs/ground-truth.md, harness rows scatter_reduce_*
    """

    code = "ONX104"
    name = "scatter_reduce_unsupported"
    message = "This `scatter_reduce` cannot be exported with the chosen exporter and opset"
    fix_title = "Export with the dynamo exporter, or use include_self=True with an identity-filled output"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("scatter_reduce", "reduce=")
    applies_to = "TorchScript exporter: opset < 16, mean, include_self=False; both exporters: scatter(..., reduce=)"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        qualified = context.call_name(node)
        if qualified == "torch.scatter_reduce":
            self._scatter_reduce(node, offset=1)
        elif qualified == "torch.scatter":
            self._scatter(node)
        elif qualified is None:
            method = tensor_method(context, node, SCATTER_REDUCE_METHODS | SCATTER_METHODS)
            if method in SCATTER_REDUCE_METHODS:
                self._scatter_reduce(node, offset=0)
            elif method in SCATTER_METHODS:
                self._scatter(node)

    def _scatter_reduce(self, node: ast.Call, offset: int) -> None:
        config = self.context.export_config_for(node)
        if not config.is_legacy:
            return  # the dynamo exporter exports every form; its wrong mean is ONX452's
        reduce = literal(argument(node, 3 + offset, "reduce"), UNKNOWN)
        include_self = literal(argument(node, 99, "include_self"), True)
        if reduce == "mean":
            what, key = '`scatter_reduce(reduce="mean")`', "scatter_reduce.mean"
        elif include_self is False:
            what, key = "`scatter_reduce(include_self=False)`", "scatter_reduce.include_self_false"
        else:
            what, key = "`scatter_reduce`", "scatter_reduce"
        self._judge(node, what, key, config)

    def _scatter(self, node: ast.Call) -> None:
        reduce = next((k.value for k in node.keywords if k.arg == "reduce"), None)
        if reduce is None or literal(reduce) is None:
            return
        config = self.context.export_config_for(node)
        self._judge(
            node, "`scatter(..., reduce=...)` (use `scatter_add` / `scatter_reduce`)", "scatter.reduce_argument", config
        )

    def _judge(self, node: ast.Call, what: str, key: str, config) -> None:
        entry = requirement(key)
        if exports(entry, config) or not may_be_traced(self.context) or self.context.skipped_during_export(node):
            return
        self.report(
            node,
            f"{what} is not exportable here: {failure_text(entry, config)}",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.new_zeros(4, 3).scatter_reduce(0, index, x, reduce="amax")
            """,
            settings={"exporter": "legacy", "opset": 16},
        ),
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.new_zeros(4, 3).scatter_reduce(0, index, x, "sum", include_self=False)
            """,
            settings={"exporter": "dynamo"},
        ),
        # reduce="mean" under dynamo is ONX452's.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return torch.scatter_reduce(x.new_zeros(4, 3), 0, index, x, "mean")
            """,
            settings={"exporter": "dynamo"},
        ),
        # Plain scatter, and a pandas-like object's scatter.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, index):
                return x.scatter(0, index, x)

        def plot(frame):
            return frame.scatter(x="a", y="b", reduce="sum")
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.new_zeros(4, 3).scatter_reduce(0, index, x, reduce="sum")
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 13},
            message_contains="needs ONNX opset 16",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.new_zeros(4, 3).scatter_reduce(0, index, x, "amax", include_self=False)
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 20},
            message_contains="include_self=False",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return torch.scatter_reduce(x.new_zeros(4, 3), 0, index, x, "mean")
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 18},
            message_contains="mean",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    out = x.new_zeros(4, 3)
                    out.scatter_(0, index, x, reduce="add")
                    return out
            """,
            line=5,
            message_contains="scatter_add",
        ),
    ]
