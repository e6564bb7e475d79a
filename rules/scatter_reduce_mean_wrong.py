from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Valid, requirement

from ._operators import argument, exports, literal, may_be_traced, tensor_method

METHODS = frozenset({"scatter_reduce", "scatter_reduce_"})


class ScatterReduceMeanWrong(Rule):
    """`scatter_reduce(reduce="mean")` exported by the dynamo exporter computes wrong numbers.

    ## What it does
    Flags `x.scatter_reduce(dim, index, src, reduce="mean")`, `scatter_reduce_` and
    `torch.scatter_reduce(..., "mean")` under the dynamo exporter. (The TorchScript exporter
    refuses the mean reduction outright: ONX104.)

    ## Why is this bad for ONNX
    ONNX `ScatterElements` has no mean reduction. Measured on torch 2.13: the dynamo exporter
    exports `scatter_reduce(reduce="mean")` without error or warning, and the model computes
    different numbers from PyTorch on the very input it was exported with (max abs difference
    2.2 with `include_self=True`, 2.1 with `include_self=False`) at opset 20.

    ## Example
    ```python
    centroid = x.new_zeros(k, d).scatter_reduce(0, index, x, reduce="mean")
    ```

    ## Use instead
    Divide a sum by a count; both `scatter_add`s export correctly (measured: matched under
    dynamo and at TorchScript opset 16):
    ```python
    out = x.new_zeros(k, d)  # the `self` of scatter_reduce
    total = out.scatter_add(0, index, x)
    count = torch.ones_like(out).scatter_add(0, index, torch.ones_like(x))
    centroid = total / count  # = scatter_reduce(0, index, x, reduce="mean", include_self=True)
    ```
    For `include_self=False`, start both from zeros and keep `out` where nothing was scattered:
    `torch.where(count > 0, total / count.clamp(min=1), out)`. For integer tensors PyTorch's
    mean rounds down: use `torch.div(total, count, rounding_mode="floor")`.

    ## Fix safety
    Display-only: the rewrite needs the `self` tensor twice and its form depends on
    `include_self` and the dtype.

    ## References
    - torch.Tensor.scatter_reduce: https://pytorch.org/docs/stable/generated/torch.Tensor.scatter_reduce_.html
    - ONNX ScatterElements (reductions none/add/mul/max/min): https://onnx.ai/onnx/operators/onnx__ScatterElements.html
    - docs/measurements.md (ONX452 rows); docs/ground-truth.md, harness rows scatter_reduce_mean_*
    """

    code = "ONX452"
    name = "scatter_reduce_mean_wrong"
    message = '`scatter_reduce(reduce="mean")` exported by the dynamo exporter computes wrong numbers'
    fix_title = "Divide a `scatter_add` sum by a `scatter_add` count"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("scatter_reduce",)
    applies_to = "dynamo exporter; the TorchScript exporter fails instead (ONX104)"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        qualified = context.call_name(node)
        if qualified == "torch.scatter_reduce":
            offset = 1
        elif qualified is None and tensor_method(context, node, METHODS):
            offset = 0
        else:
            return
        if literal(argument(node, 3 + offset, "reduce")) != "mean":
            return
        config = context.export_config_for(node)
        if not config.is_dynamo or exports(requirement("scatter_reduce.mean"), config):
            return
        if not may_be_traced(context) or context.skipped_during_export(node):
            return
        self.report(
            node,
            f'`scatter_reduce(reduce="mean")` with {config.exporter_label}: it exports without error and computes '
            "wrong numbers (ONNX has no mean scatter)",
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
            """
        ),
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.new_zeros(4, 3).scatter_reduce(0, index, x, reduce="mean")
            """,
            settings={"exporter": "legacy", "opset": 18},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return x.new_zeros(4, 3).scatter_reduce(0, index, x, reduce="mean", include_self=False)
            """,
            line=4,
            message_contains="wrong numbers",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, index):
                    return torch.scatter_reduce(x.new_zeros(4, 3), 0, index, x, "mean")
            """,
            line=4,
            settings={"exporter": "dynamo", "opset": 18},
        ),
    ]
