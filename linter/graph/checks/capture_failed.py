from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.core.findings import Severity
from onnxlint.graph.check import GraphCheck, GraphExample, Issue

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class CaptureFailed(GraphCheck):
    """`torch.export` cannot capture the model, for a reason other than data dependence or shapes.

    ## What it does
    Traces the model the way `torch.onnx.export(dynamo=True)` does: `torch.export.export`
    with `strict=False`, then `strict=True`. When both fail, reports the error at the line of
    model code where it was raised (library code included, with your call as related
    information), with the root cause rather than the exporter's generic banner. Failures on
    data-dependent values are ONX702 (or ONX201/ONX202), failures on dynamic dims ONX703, and
    failures of the exporter's later steps ONX705 / ONX711.

    ## Why is this bad for ONNX
    Since torch 2.9 `torch.onnx.export` captures the model with `torch.export`; what it cannot
    capture, it cannot export. Typical causes: NumPy or other non-torch computation on tensor
    values (`x.numpy()`), calls into C extensions that `torch.export` does not know, Python
    side effects on tensor data. When only the non-strict capture fails and the strict one
    succeeds, the exporter falls back to strict too, so nothing is reported. A capture that
    runs past the time limit (`--graph-timeout`, 120 s by default) is stopped and reported at
    the deepest line of model code it was running.

    ## Example
    ```python
    class Model(nn.Module):
        def forward(self, x):
            checksum = zlib.crc32(x.detach().numpy().tobytes())   # bytes of a traced tensor
            return x + checksum % 7
    ```

    ## Use instead
    ```python
    class Model(nn.Module):
        def forward(self, x):
            return x            # compute checksums outside the model, on real tensors
    ```

    ## Fix safety
    No fix: the right rewrite depends on what the Python code computes.

    ## References
    - torch.export programming model: https://pytorch.org/docs/stable/export.programming_model.html
    - torch.onnx.export capture strategies: torch/onnx/_internal/exporter/_capture_strategies.py
    """

    code = "ONX701"
    name = "capture_failed"
    message = "torch.export cannot capture the model, so the dynamo exporter cannot export it"
    applies_to = "dynamo exporter (torch.export capture); found by tracing"
    needs_export = False
    EXAMPLES = [
        GraphExample(
            """
            import zlib

            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    checksum = zlib.crc32(x.detach().numpy().tobytes())
                    return x + checksum % 7
            """,
            inputs=("2x3",),
            expect=(("ONX701", 8),),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    return x / x.abs().max()
            """,
            inputs=("2x3",),
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        if capture.exported:
            return  # the exporter's later steps are ONX705 / ONX711
        failure = next((f for f in capture.failures if f.strategy != "fx"), None)
        if failure is None:
            return
        if failure.kind == "timeout":
            count, samples = getattr(failure.error, "hotspot_share", (0, 0))
            where = (
                f"this line of model code is where the time went ({count} of {samples} samples)"
                if count
                else "this is the deepest line of model code it was running"
            )
            yield Issue(
                f"torch.export did not finish capturing the model within {getattr(failure.error, 'seconds', 0):g} s "
                f"(--graph-timeout); {where}",
                failure.frames,
                related=failure.related,
                severity=None if capture.export_config.is_dynamo else Severity.WARNING,
                extra={"strategy": failure.strategy, "timeout": True},
            )
            return
        if failure.kind == "unsupported" and capture.export_config.is_dynamo:
            # The TorchScript exporter does not capture with torch.export: its own run is ONX705/711/712.
            note = (
                " (torch.fx captured it, so only part of the graph could be checked)"
                if capture.strategy == "fx"
                else ""
            )
            yield Issue(
                f"torch.export cannot capture the model: {failure.summary}{note}",
                failure.frames,
                extra={"strategy": failure.strategy},
            )
