from __future__ import annotations

import ast

from onnxlint.rules.api import (
    Applicability,
    Invalid,
    Rule,
    Valid,
    ensure_torch,
    module_insertions,
    replace_node,
    requirement,
)

from ._grid_sample_helper import HELPER_NAME, helper_source
from ._runtime_patterns import GRID_SAMPLERS, is_volumetric

GRID_SAMPLE = "torch.nn.functional.grid_sample"


_FIXED_EXAMPLE = (
    "import torch\nimport torch.nn.functional as F\n\n"
    + helper_source("torch").strip()
    + '\n\n\ndef warp(x, g):\n    return onnx_grid_sample(x, g, padding_mode="border")\n'
)


class GridSampleUnsupportedOpset(Rule):
    """`grid_sample` exported at an opset that has no GridSample for it.

    ## What it does
    Flags `F.grid_sample` / `torch.grid_sampler` when the TorchScript exporter
    (`dynamo=False`) targets an opset below 16, or below 20 for 5-D (volumetric) input
    when the source shows it (`torch.grid_sampler_3d`, an `affine_grid` over a 5-element size).
    With the dynamo exporter it flags the same when an opset below 16 is asked for (`--opset 15`,
    `opset = 15` in the config, or `opset_version=15` in the export call): that opset is the
    ceiling of the runtime the user deploys to.

    ## Why is this bad for ONNX
    ONNX added `GridSample` in opset 16 for 4-D input and extended it to N-D in opset 20.
    Measured on torch 2.13: the TorchScript exporter fails at opset 9-11 with
    "Exporting the operator 'aten::grid_sampler' to ONNX opset version 11 is not supported.
    Support for this operator was added in version 16", and on 5-D input at 16 and 17
    ("ONNX export of operator GridSample with 5D volumetric input"); it exports 5-D at
    opset 20. The dynamo exporter translates at opset 18 or higher and exported 4-D and 5-D
    `grid_sample` correctly at 18 and 20. Asked for a lower opset, it translates at 18 and
    converts the model down: to 16 and 17 that worked, but asked for 15 it cannot convert
    GridSample and silently writes an opset-18 file (measured), which a runtime pinned to
    opset 15 (older TensorRT, NPUs, mobile) cannot load at all.

    ## Example
    ```python
    import torch.nn.functional as F

    class Warp(torch.nn.Module):
        def forward(self, image, flow_grid):
            return F.grid_sample(image, flow_grid, align_corners=False)

    torch.onnx.export(Warp(), (image, grid), "warp.onnx", dynamo=False, opset_version=11)
    ```

    ## Use instead
    Export at opset 16 or later (20 for 5-D input), or use the dynamo exporter. When the
    target runtime is stuck below opset 16, sample with plain tensor ops (floor, gather,
    where), which is what the fix inserts:
    ```python
    return onnx_grid_sample(image, flow_grid, align_corners=False)
    ```

    ## Fix safety
    The fix adds a helper function `onnx_grid_sample` to the file (same arguments as
    `F.grid_sample`) and calls it instead. It is unsafe (applied with `--unsafe-fixes`): for
    `bilinear` and `nearest` modes with `zeros`, `border` or `reflection` padding a test exports
    both versions with both exporters and compares them in onnxruntime (max abs difference
    below 1e-5), but the helper's nested functions make `torch.jit.script` of the model fail,
    and that nobody scripts it is not a fact the linter can prove. For `bicubic` or modes that
    are not literals parity is proven for fewer cases (the bicubic helper uses 16 gathers). The
    helper is slower than the native kernel on GPU.

    ## References
    - ONNX GridSample: https://onnx.ai/onnx/operators/onnx__GridSample.html
    - torch/onnx/symbolic_opset16.py (`grid_sampler`, 5-D check)
    - docs/measurements.md (ONX101 rows); docs/ground-truth.md, harness rows gs4_* and gs5_*
    """

    code = "ONX101"
    name = "grid_sample_unsupported_opset"
    message = "`grid_sample` needs ONNX opset 16 (5-D input: 20)"
    fix_title = "Replace with the pure-tensor `onnx_grid_sample` helper"
    fix_applicability = Applicability.UNSAFE
    trigger_names = ("grid_sample",)
    applies_to = "TorchScript exporter: opset < 16 (5-D: < 20); dynamo: when opset < 16 is asked for"

    def visit_Call(self, node: ast.Call) -> None:
        qualified = self.context.call_name(node)
        if qualified not in GRID_SAMPLERS:
            return
        config = self.context.export_config_for(node)
        # The dynamo exporter writes GridSample at its own opset (18 or later); below that, the opset the
        # user asked for is their runtime's ceiling, and GridSample must exist there.
        opset = config.opset if config.is_legacy else config.opset_ceiling
        if opset is None:
            return
        volumetric = is_volumetric(self.context, node, qualified)
        needed = requirement("grid_sample_5d" if volumetric else "grid_sample").legacy_min_opset or 0
        if opset >= needed:
            return
        what = "5-D `grid_sample`" if volumetric else "`grid_sample`"
        fails = (
            f"{config.exporter_label} fails at opset {opset}"
            if config.is_legacy
            else f"opset {opset} was asked for ({config.exporter_label} writes opset {config.opset}, and a model "
            f"with GridSample cannot be converted down to {opset})"
        )
        message = f"{what} needs ONNX opset {needed}; {fails}" + (
            f" (5-D input needs opset {requirement('grid_sample_5d').legacy_min_opset})" if not volumetric else ""
        )
        self.report(node, message, fix=self._fix(node, qualified))

    def _fix(self, node: ast.Call, qualified: str):
        if qualified != GRID_SAMPLE:
            return None  # torch.grid_sampler takes integer modes: no drop-in replacement
        torch_name, imports = ensure_torch(self.context)
        edits = [replace_node(self.context, node.func, HELPER_NAME)]
        edits += module_insertions(self.context, imports, [(HELPER_NAME, helper_source(torch_name))])
        return self.make_fix(edits, Applicability.UNSAFE)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch.nn.functional as F
            def warp(x, g):
                return F.grid_sample(x, g)
            """,
            settings={"exporter": "legacy", "opset": 16},
        ),
        # The dynamo exporter asked for opset 16 converts GridSample down to 16.
        Valid(
            """
            import torch.nn.functional as F
            def warp(x, g):
                return F.grid_sample(x, g)
            """,
            settings={"exporter": "dynamo", "opset": 16},
        ),
        Valid(
            """
            import torch
            torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=17)
            def warp(x, g):
                return torch.nn.functional.grid_sample(x, g)
            """
        ),
        # Not torch's grid_sample.
        Valid(
            """
            from mylib import grid_sample
            def warp(x, g):
                return grid_sample(x, g)
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            import torch.nn.functional as F

            class Warp(torch.nn.Module):
                def forward(self, x, g):
                    return F.grid_sample(x, g, mode="bilinear", align_corners=False)
            """,
            line=6,
            settings={"exporter": "legacy", "opset": 11},
            message_contains="opset 11",
        ),
        Invalid(
            """
            from torch.nn.functional import grid_sample as gs

            def warp(x, g):
                return gs(x, g)
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 13},
        ),
        # The dynamo exporter asked for opset 15: the file comes out at opset 18, above the runtime's ceiling.
        Invalid(
            """
            import torch.nn.functional as F
            def warp(x, g):
                return F.grid_sample(x, g)
            """,
            line=3,
            settings={"exporter": "dynamo", "opset": 15},
            message_contains="opset 15 was asked for",
        ),
        # The export call in the same file decides the exporter and opset.
        Invalid(
            """
            import torch
            import torch.nn.functional as F

            class Warp(torch.nn.Module):
                def forward(self, x, g):
                    return F.grid_sample(x, g)

            torch.onnx.export(Warp(), (x, g), "w.onnx", dynamo=False, opset_version=12)
            """,
            line=6,
        ),
        Invalid(
            """
            import torch
            def warp(x, g):
                return torch.grid_sampler_3d(x, g, 0, 0, False)
            """,
            line=3,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="5-D",
        ),
        Invalid(
            """
            import torch
            import torch.nn.functional as F

            def warp(x, g):
                return F.grid_sample(x, g, padding_mode="border")
            """,
            line=5,
            settings={"exporter": "legacy", "opset": 11},
            unsafe_fixes=True,
            expected_fix=_FIXED_EXAMPLE,
        ),
    ]
