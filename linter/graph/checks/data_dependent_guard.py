from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.graph.check import GraphCheck, GraphExample, Issue

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class DataDependentGuard(GraphCheck):
    """Tracing stopped because Python needed the value of a tensor (`GuardOnDataDependentSymNode`).

    ## What it does
    Reports the line where `torch.export` failed with "Could not guard on data-dependent
    expression" (non-strict) or "Data-dependent branching" (strict): Python code that needs a
    concrete value computed from tensor data, such as `if x.sum() > 0:`, `bool(mask.any())`,
    or `torch.zeros(int(x.max()))`. When the line is a condition (`if`, `while`, a conditional
    expression, `assert`), the finding is reported as ONX201, when it converts a tensor to a
    Python value (`.item()`, `.tolist()`, `int(t)`) as ONX202, merged with the static finding
    there (confidence raised to high, "confirmed by tracing"); otherwise as ONX702.

    ## Why is this bad for ONNX
    An ONNX graph is built once, from a trace. A branch that depends on tensor values cannot
    be traced by `torch.export`, so `torch.onnx.export` (dynamo, the default since torch 2.9)
    fails; the TorchScript exporter instead silently keeps the branch taken for the example
    input (measured on torch 2.13: harness rows `cf_if_tensor_sum`, `cf_while_tensor` in docs/ground-truth.md).

    ## Example
    ```python
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return torch.where(x.sum() > 0, x * 2, x)
    ```
    or `torch.cond(pred, true_fn, false_fn, (x,))` for branches that cannot both run.

    ## Fix safety
    No fix from the graph layer; ONX201's static fix rewrites simple branches to `torch.where`.

    ## References
    - torch.export, data-dependent control flow: https://pytorch.org/docs/stable/export.html#data-dependent-control-flow
    - docs/measurements.md (ONX201, ONX202 rows); docs/ground-truth.md, harness rows cf_if_tensor_sum, cf_while_tensor, py_*
    """

    code = "ONX702"
    name = "data_dependent_guard"
    message = "Python needs a value computed from tensor data, which torch.export cannot trace"
    applies_to = "dynamo exporter (export fails); TorchScript exporter bakes the value; found by tracing"
    static_codes = ("ONX201", "ONX202")
    needs_export = False
    EXAMPLES = [
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    if x.sum() > 0:
                        return x * 2
                    return x
            """,
            inputs=("2x3",),
            expect=(("ONX201", 6),),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    for _ in range(int(x.max().item())):
                        x = x * 2
                    return x
            """,
            inputs=("2x3",),
            expect=(("ONX202", 6),),
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        if capture.exported or not capture.export_config.is_dynamo:
            return  # the TorchScript exporter bakes such values instead: its TracerWarnings are ONX712
        failure = next((f for f in capture.failures if f.kind == "data-dependent"), None)
        if failure is None or failure.strategy == "fx":
            return
        hazard = capture.locator.line_hazard(failure.frames) if capture.locator is not None else None
        code = {"condition": "ONX201", "conversion": "ONX202"}.get(hazard or "")
        frame = capture.locator.cause_frame(failure.frames) if capture.locator is not None else None
        condition = capture.locator.condition_text(frame) if frame is not None else ""
        subject = f"`{condition}` needs" if condition else "this line needs"
        yield Issue(
            f"{subject} a value that depends on tensor data, which torch.export cannot trace: {failure.summary}",
            failure.frames,
            code=code,
            related=tuple(capture.locator.condition_sources(frame)) if frame is not None else (),
            extra={"strategy": failure.strategy},
        )
