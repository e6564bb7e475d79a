from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.graph.check import GraphCheck, GraphExample, Issue

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class ExportStepFailed(GraphCheck):
    """The exporter fails in a step after the capture: decomposition, translation, optimization.

    ## What it does
    Runs the rest of the real export on the model and reports where it fails. Dynamo exporter:
    the captured `ExportedProgram` goes through the same steps `torch.onnx.export` runs after
    capturing (the exporter's decompositions, the translation of every node into ONNX, the
    onnxscript optimizer), in process; TorchScript exporter (`--exporter legacy`): the real
    `torch.onnx.export(dynamo=False)` into memory. A failure is mapped to the node it happened
    on, and the node to the source line that produced it (library code included, with your
    call as related information). A step that runs past the time limit (`--graph-timeout`) is
    reported at the deepest line of model code it was running. A missing translation for an op
    is ONX705.

    ## Why is this bad for ONNX
    The capture succeeding does not mean the export does: `scaled_dot_product_attention` on
    5-D tensors (the translation takes 4-D), a `reshape` that fails as a view during the
    decompositions, a `torch.chunk` on a dynamic dim that the optimizer cannot fold: the
    graph is captured, every op is registered, and `torch.onnx.export` still fails.

    ## Example
    ```python
    def forward(self, q):                    # q: (batch, groups, heads, seq, dim)
        return F.scaled_dot_product_attention(q, q, q)
    ```

    ## Use instead
    ```python
    def forward(self, q):
        b, g, h, s, d = q.shape
        q = q.reshape(b * g, h, s, d)
        return F.scaled_dot_product_attention(q, q, q).reshape(b, g, h, s, d)
    ```

    ## Fix safety
    No fix: the rewrite depends on the failing step.

    ## References
    - torch/onnx/_internal/exporter/_core.py (the steps after capture, run here as the oracle)
    - torch.onnx troubleshooting: https://pytorch.org/docs/stable/onnx_dynamo.html
    """

    code = "ONX711"
    name = "export_step_failed"
    message = "The exporter fails after capturing the model (decomposition, translation, optimization)"
    applies_to = "both exporters (runs the installed exporter after the capture); found by tracing"
    needs_export = False
    EXAMPLES = [
        GraphExample(
            """
            import torch
            import torch.nn.functional as F


            class Model(torch.nn.Module):
                def forward(self, q):
                    q = q * 2
                    return F.scaled_dot_product_attention(q, q, q)
            """,
            inputs=("1x2x3x4x5",),
            expect=(("ONX711", 8),),
        ),
        GraphExample(
            """
            import torch
            import torch.nn.functional as F


            class Model(torch.nn.Module):
                def forward(self, q):
                    return F.scaled_dot_product_attention(q, q, q)
            """,
            inputs=("1x2x3x4",),
            dynamic=("batch",),
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        outcome = capture.outcome
        failure = outcome.failure if outcome is not None else None
        if failure is None or (failure.unsupported and failure.timeout is None):
            return
        exporter = "the dynamo exporter" if outcome.exporter == "dynamo" else "the TorchScript exporter"
        if failure.timeout is not None:
            on = (
                f"it was handling `{failure.op}`, made by this line"
                if failure.op
                else "this is the deepest line of model code it was running"
            )
            message = (
                f"{exporter} did not finish exporting within {failure.timeout.seconds:g} s (--graph-timeout); {on}"
            )
        else:
            on = f" on `{failure.op}`" if failure.op else ""
            message = f"{exporter}'s {failure.step} step fails{on}: {failure.summary}"
        yield Issue(
            message,
            failure.frames,
            callees=failure.callees,
            related=failure.related,
            extra={"op": failure.op, "step": failure.step, "timeout": failure.timeout is not None},
        )
