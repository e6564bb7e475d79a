from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.core.findings import Severity
from onnxlint.graph.check import Frame, GraphCheck, GraphExample, Issue

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class TracerBakedValue(GraphCheck):
    """The TorchScript exporter's tracer bakes a value computed from tensors into the graph.

    ## What it does
    With `--exporter legacy`, runs the real `torch.onnx.export(dynamo=False)` (its
    `torch.jit` tracer, at the target opset, with the declared dynamic axes) and reports every
    TracerWarning at the line that raised it, saying which kind of value was baked: a Python
    bool (the branch taken), int or float (`int(x.shape[0])`, `.item()`), a `torch.tensor`
    constant, an iteration over a tensor (the loop unrolled). Also reports parameters of the
    top-level `forward` with a non-tensor default that the exporter appends to the inputs it
    traces.

    ## Why is this bad for ONNX
    The tracer records tensor operations only: a Python value read out of a tensor becomes a
    constant, and a Python branch keeps the side taken for the example input. The export
    succeeds, and the ONNX model computes wrong results for other inputs and sizes, silently.

    ## Example
    ```python
    def forward(self, x):
        n = int(x.shape[0])          # baked: the batch size of the example
        return x.reshape(n, -1)
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return x.reshape(x.shape[0], -1)   # stays a traced size
    ```

    ## Fix safety
    No fix: keep the value a tensor (`torch.where`, tensor arithmetic, sizes from `x.shape`).

    ## References
    - torch.jit.trace limitations: https://pytorch.org/docs/stable/generated/torch.jit.trace.html
    - torch/onnx/_internal/torchscript_exporter/utils.py (`_decide_input_format` appends defaults)
    """

    code = "ONX712"
    name = "tracer_baked_value"
    message = "The TorchScript tracer bakes a value computed from tensors into the graph"
    severity = Severity.WARNING
    applies_to = "TorchScript exporter (runs its tracer); found by tracing with --exporter legacy"
    needs_export = False
    EXAMPLES = [
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    n = int(x.shape[0])
                    scale = x.max().item()
                    return x[:n] * scale
            """,
            inputs=("2x3",),
            dynamic=("batch",),
            settings={"exporter": "legacy", "opset": 17},
            expect=(("ONX712", 6), ("ONX712", 7)),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    return x.reshape(x.shape[0], -1) * 2
            """,
            inputs=("2x3x4",),
            dynamic=("batch",),
            settings={"exporter": "legacy", "opset": 17},
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        outcome = capture.outcome
        if outcome is None or outcome.exporter != "legacy":
            return
        for note in outcome.tracer_notes:
            constant = "torch.tensor" in note.kind
            yield Issue(
                f"the TorchScript tracer bakes {note.kind} (TracerWarning: {note.message})",
                note.frames,
                severity=Severity.INFO if constant else None,
                extra={"baked": note.kind},
            )
        yield from _default_arguments(capture)


def _default_arguments(capture: Capture) -> Iterable[Issue]:
    """Non-tensor defaults of the top-level forward, appended by the exporter to the traced inputs."""
    import torch

    forward = getattr(capture.model, "forward", None)
    if forward is None:  # as inspect.signature's TypeError below would
        return
    try:
        parameters = [p for p in inspect.signature(forward).parameters.values() if p.name != "self"]
        filename = inspect.getsourcefile(forward)
        _, first = inspect.getsourcelines(forward)
    except (TypeError, ValueError, OSError):
        return
    if not filename:
        return
    for parameter in parameters[len(capture.inputs) :]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        default = parameter.default
        if default is parameter.empty or default is None or isinstance(default, torch.Tensor):
            continue
        yield Issue(
            f"`forward`'s parameter `{parameter.name}` defaults to {default!r}: the TorchScript exporter passes "
            "the default as an extra input to trace, so the value is baked into the graph (or the export fails "
            "on a non-tensor input); pass it explicitly or make it a module attribute",
            (Frame(filename, first, "forward"),),
            extra={"parameter": parameter.name},
        )
