from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.core.findings import Severity
from onnxlint.graph.check import GraphCheck, GraphExample, Issue, frames_from_stack_trace

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class DataDependentShape(GraphCheck):
    """An op's output shape depends on tensor values (`nonzero`, `masked_select`, `unique`, boolean indexing).

    ## What it does
    Reports every op of the captured graph that PyTorch tags `dynamic_output_shape` (the
    library's own list), at the line of your code that calls it. Off by default: select it
    with `--extend-select ONX710` when you target a runtime that needs static shapes.

    ## Why is this bad for ONNX
    ONNX Runtime runs these (measured on torch 2.13: `nonzero`, `unique`, boolean-mask
    indexing export and match with both exporters), but their output sizes are unknown
    until run time: TensorRT and most NPU/mobile runtimes need static or bounded shapes,
    and `masked_select` fails to export with the dynamo exporter.

    ## Example
    ```python
    def forward(self, x):
        return x[x > 0]
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return torch.where(x > 0, x, torch.zeros_like(x))   # same shape as x
    ```

    ## Fix safety
    No fix: a fixed-shape rewrite changes what the model returns.

    ## References
    - torch.Tag.dynamic_output_shape: https://pytorch.org/docs/stable/torch.html#torch.Tag
    - docs/measurements.md (ONX205 rows); docs/ground-truth.md, harness rows dd_*
    """

    code = "ONX710"
    name = "data_dependent_shape"
    message = "An op's output shape depends on tensor values"
    severity = Severity.INFO
    default_enabled = False
    applies_to = "runtimes that need static shapes (TensorRT, NPUs); off by default; found by tracing"
    EXAMPLES = [
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    return torch.nonzero(x > 0)
            """,
            inputs=("2x3",),
            settings={"extend_select": ("ONX710",)},
            expect=(("ONX710", 6),),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    return torch.where(x > 0, x, torch.zeros_like(x))
            """,
            inputs=("2x3",),
            settings={"extend_select": ("ONX710",)},
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        import torch

        from onnxlint.graph import ops

        seen: set[tuple[str, object]] = set()
        for node in ops.call_nodes(capture.graph_module):
            target = node.target
            if not ops.is_op_overload(target) or torch.Tag.dynamic_output_shape not in target.tags:
                continue
            frames = frames_from_stack_trace(node.meta.get("stack_trace"))
            key = (ops.op_name(target), capture.site(frames))
            if key in seen:
                continue
            seen.add(key)
            yield Issue(
                f"`{ops.op_name(target)}` returns a tensor whose size depends on the input values",
                frames,
                callees=ops.callees_of(node),
                extra={"op": ops.op_name(target)},
            )
