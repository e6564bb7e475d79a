from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.graph.check import GraphCheck, GraphExample, Issue

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class UnsupportedOp(GraphCheck):
    """An op the model really runs has no ONNX translation in the exporter at the target opset.

    ## What it does
    Runs the installed exporter itself and reports an op only where the exporter fails on it.
    For the dynamo exporter: the captured program goes through the rest of
    `torch.onnx.export` (its decompositions, the translation into ONNX at the target opset,
    never below 18); a node the exporter's dispatcher has no translation for is reported at
    the line that produced it. For the TorchScript exporter (`--exporter legacy`): the real
    `torch.onnx.export(dynamo=False)` at the target opset, and an operator its symbolic
    functions reject is reported at the source line of the TorchScript node (the message says
    which opset would translate it). Ops the exporter rewrites first (in-place ops,
    `_assert_tensor_metadata`) are never reported.

    ## Why is this bad for ONNX
    `torch.onnx.export` fails on the first op it cannot translate ("No ONNX function found"
    or "Exporting the operator ... is not supported"). Measured on torch 2.13: `cumprod`,
    `median(dim)`, `torch.linalg.inv`, `searchsorted` fail with both exporters; `fft`,
    `antialias=True` interpolation and 1-D `roll` fail with the TorchScript exporter only.

    ## Example
    ```python
    def forward(self, x):
        return x.cumprod(1)
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return torch.exp(torch.log(x).cumsum(1))   # for positive x; or a loop over a fixed size
    ```

    ## Fix safety
    No fix: replacements depend on the op and the value range.

    ## References
    - torch.onnx supported operators: https://pytorch.org/docs/stable/onnx_dynamo.html
    - torch/onnx/_internal/exporter/_registration.py, _dispatching.py (the registry asked)
    - docs/measurements.md (ONX107 rows); docs/ground-truth.md, harness rows cumprod_float, median_dim, linalg_inv, searchsorted
    """

    code = "ONX705"
    name = "unsupported_op"
    message = "The exporter has no ONNX translation for an op the model runs"
    applies_to = "both exporters, at the target opset (runs the installed exporter); found by tracing"
    needs_export = False
    EXAMPLES = [
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    y = torch.relu(x)
                    return y.cumprod(1)
            """,
            inputs=("2x3",),
            expect=(("ONX705", 7),),
        ),
        GraphExample(
            """
            import torch
            import torch.nn.functional as F


            class Model(torch.nn.Module):
                def forward(self, x):
                    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            """,
            inputs=("2x3x8x8",),
            dynamic=("batch",),
        ),
        GraphExample(
            """
            import torch
            import torch.nn.functional as F


            class Model(torch.nn.Module):
                def forward(self, x):
                    grid = torch.zeros(x.shape[0], 4, 4, 2)
                    return F.grid_sample(x, grid, align_corners=False)
            """,
            settings={"exporter": "legacy", "opset": 11},
            expect=(("ONX705", 8),),
        ),
        GraphExample(
            """
            import torch
            import torch.nn.functional as F


            class Model(torch.nn.Module):
                def forward(self, x):
                    y = torch.relu_(x.clone())
                    y.add_(1)
                    return F.silu(y, inplace=True)
            """,
            inputs=("2x3",),
            settings={"exporter": "legacy", "opset": 17},
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        outcome = capture.outcome
        failure = outcome.failure if outcome is not None else None
        if failure is None or not failure.unsupported or failure.timeout is not None:
            return  # other failures of the exporter's steps are ONX711
        exporter = "the dynamo exporter" if outcome.exporter == "dynamo" else "the TorchScript exporter"
        op = f"`{failure.op}`" if failure.op else "an op"
        yield Issue(
            f"{exporter} fails on {op} at opset {capture.export_config.opset}: {failure.summary}",
            failure.frames,
            callees=failure.callees,
            extra={"op": failure.op, "opset": capture.export_config.opset, "step": failure.step},
        )
