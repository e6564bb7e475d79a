from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.core.findings import Severity
from onnxlint.graph.check import GraphCheck, GraphExample, Issue, frames_from_stack_trace

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class TargetRestrictedOp(GraphCheck):
    """The target runtime restricts an op the model runs (from the target profiles in `linter/knowledge/runtimes.py`).

    ## What it does
    For the target runtime (`target` in the settings; `onnxruntime` by default), reads the
    profile's restrictions from onnxlint's data module of runtime profiles and reports every
    traced op a restriction names, at the line of your code that calls it, with the
    restriction's own message and source (measured here, or the runtime's documentation).
    Findings are reported under ONX601, the static rule for the same hazard: where both see a
    call they merge into one finding confirmed by tracing; the traced graph adds the calls that
    library code and helpers make on the model's behalf.

    ## Why is this bad for ONNX
    An ONNX model that exports and runs in ONNX Runtime can still be rejected or computed
    differently by another runtime (TensorRT, OpenVINO, CoreML, mobile NPUs). Static rules
    see the calls they know by name; the traced graph also sees the ops that library code and
    helper functions run on the model's behalf.

    ## Example
    ```python
    def forward(self, x):
        return F.grid_sample(x, grid)    # restricted by some runtimes' profiles
    ```

    ## Use instead
    What the restriction's message recommends for that runtime.

    ## Fix safety
    No fix.

    ## References
    - linter/knowledge/runtimes.py (each restriction names its source)
    """

    code = "ONX706"
    name = "target_restricted_op"
    message = "The target runtime restricts an op the model runs"
    severity = Severity.WARNING
    applies_to = "the target runtime's profile (onnxruntime: no restrictions recorded); found by tracing"
    EXAMPLES = [
        GraphExample(
            """
            import torch
            import torch.nn.functional as F


            class Model(torch.nn.Module):
                def forward(self, x):
                    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            """,
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        from onnxlint.graph import ops

        profile = capture.target
        if profile is None:
            return
        exporter = capture.export_config.exporter if capture.export_config is not None else None
        by_op: dict[str, list] = {}
        for restriction in profile.restrictions.values():
            if exporter is not None and exporter not in getattr(restriction, "exporters", (exporter,)):
                continue
            for op in restriction.ops:
                by_op.setdefault(op, []).append(restriction)
        if not by_op:
            return
        seen: set[tuple[str, str, object]] = set()
        for node in ops.call_nodes(capture.graph_module):
            for restriction in by_op.get(ops.packet_name(node.target), ()):
                frames = frames_from_stack_trace(node.meta.get("stack_trace"))
                key = (restriction.key, ops.op_name(node.target), capture.site(frames))
                if key in seen:
                    continue
                seen.add(key)
                yield Issue(
                    f"{profile.name}: {restriction.message} (`{ops.op_name(node.target)}`; {restriction.source})",
                    frames,
                    # The hazard ONX601 reports from the source: merged with it where both see it.
                    code="ONX601",
                    callees=ops.callees_of(node),
                    extra={"restriction": restriction.key, "target": profile.name},
                )
