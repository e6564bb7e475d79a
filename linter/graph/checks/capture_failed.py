from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.graph.check import GraphCheck, GraphExample, Issue, frames_from_stack_trace

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class CaptureFailed(GraphCheck):
    """`torch.export` cannot capture the model, for a reason other than data dependence or shapes.

    ## What it does
    Traces the model the way `torch.onnx.export(dynamo=True)` does: `torch.export.export`
    with `strict=False`, then `strict=True`. When both fail, reports the error at the line of
    your code where it was raised (the innermost frame in your files), with the root cause
    rather than the exporter's generic banner. Also reports a failure of the exporter's second
    step, the decompositions it runs before translating to ONNX. Failures on data-dependent
    values are ONX702 (or ONX201/ONX202), failures on dynamic dims ONX703.

    ## Why is this bad for ONNX
    Since torch 2.9 `torch.onnx.export` captures the model with `torch.export`; what it cannot
    capture, it cannot export. Typical causes: NumPy or other non-torch computation on tensor
    values (`x.numpy()`), calls into C extensions that `torch.export` does not know, Python
    side effects on tensor data. When only the non-strict capture fails and the strict one
    succeeds, the exporter falls back to strict too, so nothing is reported.

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
        if not capture.exported:
            failure = next((f for f in capture.failures if f.strategy != "fx"), None)
            if failure is not None and failure.kind == "unsupported":
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
            return
        error = capture.decomposition_error
        if error is not None:
            import traceback

            from onnxlint.graph.check import Frame

            frames = tuple(Frame(f.filename, f.lineno or 0, f.name) for f in traceback.extract_tb(error.__traceback__))
            frames += frames_from_stack_trace(getattr(error, "stack_trace", None))
            text = str(error).strip().splitlines()
            yield Issue(
                "the dynamo exporter's decomposition step fails on this model: "
                f"{type(error).__name__}: {text[0][:200] if text else ''}",
                frames,
            )
