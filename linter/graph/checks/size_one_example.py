from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.core.findings import Severity
from onnxlint.graph.check import GraphCheck, GraphExample, Issue

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class SizeOneExample(GraphCheck):
    """The example input has size 0 or 1 on a dim declared dynamic.

    ## What it does
    Warns for each dim listed in `--dynamic` (or `dynamic = [...]` in a model table) whose
    size in the example input is 0 or 1, such as the usual `torch.randn(1, 3, 256, 256)`
    with a dynamic batch.

    ## Why is this bad for ONNX
    `torch.export` treats sizes 0 and 1 specially: without `backed_size_oblivious` it
    specialises them outright, and with it (as `torch.onnx.export` captures) any code that
    broadcasts, expands or branches on that dim adds a guard such as `Eq(batch, 1)` without
    an error. The ONNX graph then keeps a symbolic batch that only works at 1 (measured on
    torch 2.13: `len(x)`, `range(x.shape[0])` and a Python `if` on a shape exported with a
    batch-1 example were wrong at batch 2, and right with a batch-3 example). ONX703 reports
    each guard that does this; an example size of 2 or more avoids most of them.

    ## Example
    ```console
    onnxlint model.py --model 'Net()' --input 1x3x256x256 --dynamic batch
    ```

    ## Use instead
    ```console
    onnxlint model.py --model 'Net()' --input 2x3x256x256 --dynamic batch
    ```
    and export with the same example (`torch.randn(2, 3, 256, 256)`).

    ## Fix safety
    No fix: the example input lives in the export script or the configuration.

    ## References
    - torch.export, 0/1 specialisation: https://pytorch.org/docs/stable/export.html#expressing-dynamism
    - docs/measurements.md (ONX506 rows); docs/ground-truth.md, harness notes "Silently wrong, no error, no warning"
    """

    code = "ONX704"
    name = "size_one_example"
    message = "The example input has size 0 or 1 on a dim declared dynamic"
    severity = Severity.WARNING
    applies_to = "dynamo exporter; model specs with --dynamic"
    needs_export = False
    EXAMPLES = [
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    return x * 2
            """,
            inputs=("1x3x8x8",),
            dynamic=("batch",),
            expect=(("ONX704", 4),),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    return x * 2
            """,
            inputs=("2x3x8x8",),
            dynamic=("batch",),
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        for spec in capture.spec.inputs:
            for dim, name in sorted(spec.dynamic.items()):
                size = spec.shape[dim]
                if size <= 1:
                    legacy = capture.export_config is not None and not capture.export_config.is_dynamo
                    why = (
                        f"the TorchScript tracer records what the code does at size {size} (a size-1 dim broadcasts, "
                        f"branches on it are taken for {size}; see ONX712)"
                        if legacy
                        else f"torch.export can freeze it to {size} without an error (see ONX703)"
                    )
                    yield Issue(
                        f"example input `{spec.name}` has size {size} on dim `{name}`, declared dynamic: {why}; "
                        f"export with a size of 2 or more",
                        extra={"input": spec.name, "dim": name, "size": size},
                    )
