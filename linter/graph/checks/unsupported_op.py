from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.graph.check import GraphCheck, GraphExample, Issue, frames_from_stack_trace

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


class UnsupportedOp(GraphCheck):
    """An op the model really runs has no ONNX translation in the exporter at the target opset.

    ## What it does
    Asks the installed exporter itself. For the dynamo exporter: applies the same
    decompositions `torch.onnx.export` applies (built from its torchlib registry at the
    target opset, never below 18) and dispatches every resulting node through the exporter's
    own dispatcher; a node with no translation is reported at the line of your code that
    produced it, naming the op you called (`cumprod`, decomposed into `prims.prod`). For the
    TorchScript exporter (`--exporter legacy`): looks every ATen op up in its symbolic
    registry at the target opset and says which opset would translate it.

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
    - ../shared/PITFALLS.md rows cumprod_float, median_dim, linalg_inv, searchsorted
    """

    code = "ONX705"
    name = "unsupported_op"
    message = "The exporter has no ONNX translation for an op the model runs"
    applies_to = "both exporters, at the target opset (asks the installed exporter's registry); found by tracing"
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
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        from onnxlint.graph import ops

        config = capture.export_config
        seen: set[tuple[str, object]] = set()
        if config.is_dynamo:
            # Per op first (cheap): the exporter's table and registry, one op at a time.
            failing = []
            for node in ops.call_nodes(capture.graph_module):
                for target, reason in ops.dynamo_op_failures(node, config.opset):
                    failing.append((node, target, reason))
            if not failing:
                return
            if all(target != "unknown" for _, target, _ in failing):
                for node, target, reason in failing:
                    frames = frames_from_stack_trace(node.meta.get("stack_trace"))
                    name = ops.op_name(node.target)
                    if target != node.target:
                        name = f"{name} (decomposed to {ops.op_name(target)})"
                    key = (name, capture.site(frames))
                    if key in seen:
                        continue
                    seen.add(key)
                    yield Issue(
                        f"`{name}` has no ONNX translation in the dynamo exporter at opset {config.opset} ({reason})",
                        frames,
                        callees=ops.callees_of(node),
                        extra={"op": name, "opset": config.opset},
                    )
                return
            # An op whose decomposition could not be traced alone: decompose the program as the exporter does.
            program = capture.decomposed()
            if program is None:
                return  # ONX701 reports the decomposition failure
            for node in ops.call_nodes(program.graph_module):
                reason = ops.dynamo_dispatch_failure(node, config.opset)
                if reason is None:
                    continue
                frames = frames_from_stack_trace(node.meta.get("stack_trace"))
                original = node.meta.get("original_aten")
                name = ops.op_name(node.target)
                if original is not None and original != node.target:
                    name = f"{ops.op_name(original)} (decomposed to {name})"
                key = (name, capture.site(frames))
                if key in seen:
                    continue
                seen.add(key)
                yield Issue(
                    f"`{name}` has no ONNX translation in the dynamo exporter at opset {config.opset} ({reason})",
                    frames,
                    callees=ops.callees_of(node),
                    extra={"op": name, "opset": config.opset},
                )
            return
        for node in ops.call_nodes(capture.graph_module):
            support = ops.legacy_support(node.target, config.opset)
            if support is None or support[0]:
                continue
            frames = frames_from_stack_trace(node.meta.get("stack_trace"))
            name = f"aten::{ops.packet_name(node.target)}"
            key = (name, capture.site(frames))
            if key in seen:
                continue
            seen.add(key)
            minimum = support[1]
            detail = (
                f"it needs opset {minimum} or later" if minimum is not None else "it has no translation at any opset"
            )
            yield Issue(
                f"the TorchScript exporter cannot export `{name}` at opset {config.opset}: {detail}",
                frames,
                callees=ops.callees_of(node),
                extra={"op": name, "opset": config.opset, "min_opset": minimum},
            )
