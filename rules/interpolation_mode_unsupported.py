from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Severity, Valid, requirement

from ._interpolation import match_interpolation
from ._operators import argument, exports_within_ceiling, failure_text, literal, may_be_traced

INTERPOLATE = "torch.nn.functional.interpolate"
ANTIALIAS_POSITION = (
    6  # F.interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
)


class InterpolationModeUnsupported(Rule):
    """`antialias=True` or `mode="nearest-exact"` interpolation the exporter cannot export.

    ## What it does
    Flags `F.interpolate(..., antialias=True)` and `mode="nearest-exact"` in
    `F.interpolate` / `nn.Upsample` when the TorchScript exporter (`dynamo=False`) is used, at
    any opset. Under the dynamo exporter it flags only `antialias=True` combined with a
    downscaling (or non-literal) `scale_factor=` and no `size=`, which exports but is silently
    wrong when the height or width is dynamic.

    ## Why is this bad for ONNX
    Measured on torch 2.13 (docs/measurements.md):
    - the TorchScript exporter has no symbolic for `aten::_upsample_bilinear2d_aa`,
      `_upsample_bicubic2d_aa` or `_upsample_nearest_exact2d`: "Exporting the operator ... to
      ONNX opset version 20 is not supported", at every opset from 11 to 20 (ONNX `Resize`
      has had `antialias` since opset 18, but this exporter never learnt to write it);
    - the dynamo exporter writes `Resize` with `antialias=1` or the matching nearest mode, and
      matched eager PyTorch (`nearest-exact` at opsets 18 and 20; `antialias` at 20 with `size=`,
      for upscaling, for static shapes and for a dynamic batch); but with `scale_factor=0.5`
      and a dynamic height/width (at 18 and 20) it bakes
      the filter for the example's size, so another size gets wrong numbers (max abs
      difference 0.5-0.9 on 8x8 -> 11x11 and 16x16 -> 19x19) with no error and no warning.

    ## Example
    ```python
    small = F.interpolate(image, scale_factor=0.5, mode="bilinear", antialias=True)
    ```

    ## Use instead
    Export with the dynamo exporter (`torch.onnx.export(..., dynamo=True)`, the default since
    torch 2.9), and give the output size rather than a scale factor when the spatial size is
    dynamic:
    ```python
    h, w = image.shape[-2:]
    small = F.interpolate(image, size=(h // 2, w // 2), mode="bilinear", antialias=True)
    ```
    (The filter width then follows the true input/output ratio, which differs slightly from
    `scale_factor=0.5` when the input size is odd.) With the TorchScript exporter, drop
    `antialias` (a blur before a plain resize approximates it) or use `mode="nearest"`.

    ## Fix safety
    Display-only: switching exporter happens in the export script, and the rewrites above
    change the numbers.

    ## References
    - ONNX Resize (antialias since opset 18): https://onnx.ai/onnx/operators/onnx__Resize.html
    - torch/onnx/_internal/torchscript_exporter/symbolic_opset*.py (no `_aa` or `nearest_exact` symbolics)
    - docs/measurements.md (ONX102 rows); docs/ground-truth.md, harness rows interp_*_antialias_*, interp_nearest_exact_*
    """

    code = "ONX102"
    name = "interpolation_mode_unsupported"
    message = "This interpolation mode cannot be exported with the chosen exporter"
    fix_title = "Export with the dynamo exporter, and pass `size=` instead of `scale_factor=`"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("antialias", "nearest-exact", "interpolate")
    applies_to = "TorchScript exporter: antialias and nearest-exact at every opset; dynamo: antialias with scale_factor"

    def visit_Call(self, node: ast.Call) -> None:
        qualified = self.context.call_name(node)
        interpolation = match_interpolation(node, qualified)
        if interpolation is None or qualified is None:  # (None without a qualified name)
            return
        if interpolation.mode == "nearest-exact":
            what, key = '`mode="nearest-exact"` interpolation', "resize.nearest_exact"
        elif qualified == INTERPOLATE and literal(argument(node, ANTIALIAS_POSITION, "antialias"), False) is True:
            scale = literal(argument(node, 2, "scale_factor"))
            scales = scale if isinstance(scale, (tuple, list)) else (scale,)
            upscaling = all(
                isinstance(f, (int, float)) and f >= 1 for f in scales
            )  # the filter only matters when shrinking
            scale_only = scale is not None and not upscaling and literal(argument(node, 1, "size")) is None
            what = "`antialias=True` interpolation"
            key = "resize.antialias.scale_factor" if scale_only else "resize.antialias"
        else:
            return
        is_module = qualified.rsplit(".", 1)[-1][:1].isupper()  # nn.Upsample: judged where it is built
        if not is_module and not may_be_traced(self.context):
            return
        config = self.context.export_config_for(node)
        entry = requirement(key)
        if exports_within_ceiling(entry, config) or self.context.skipped_during_export(node):
            return
        if config.is_dynamo:
            message = (
                f"{what} with `scale_factor` under {config.exporter_label}: the antialias filter is baked for "
                "the example's height/width, so a dynamic height/width gets wrong numbers; pass `size=` instead"
            )
            severity = Severity.WARNING
        else:
            message = f"{what} is not exportable here: {failure_text(entry, config)}"
            severity = Severity.ERROR
        self.report(node, message, fix=self.make_fix([], Applicability.DISPLAY_ONLY), severity=severity)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch.nn.functional as F
            def down(x):
                return F.interpolate(x, size=(64, 64), mode="bilinear", antialias=True)
            """,
            settings={"exporter": "dynamo"},
        ),
        Valid(
            """
            import torch.nn as nn
            import torch.nn.functional as F
            up = nn.Upsample(scale_factor=2, mode="nearest-exact")
            def upscale(x):
                return F.interpolate(x, scale_factor=2.0, mode="bilinear", antialias=True)
            """,
            settings={"exporter": "dynamo"},
        ),
        Valid(
            """
            import torch.nn.functional as F
            def down(x):
                return F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=False)
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
        # Not torch's interpolate (torchvision.transforms.functional.resize has its own antialias).
        Valid(
            """
            from torchvision.transforms.functional import resize
            def down(x):
                return resize(x, [64, 64], antialias=True)
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch.nn.functional as F
            def down(x):
                return F.interpolate(x, size=(64, 64), mode="bilinear", antialias=True)
            """,
            line=3,
            settings={"exporter": "legacy", "opset": 20},
            message_contains="at any opset",
        ),
        Invalid(
            """
            import torch
            from torch import nn

            class Up(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.up = nn.Upsample(scale_factor=2, mode="nearest-exact")

            torch.onnx.export(Up(), x, "up.onnx", dynamo=False)
            """,
            line=7,
        ),
        Invalid(
            """
            import torch.nn.functional as F
            class Down(torch.nn.Module):
                def forward(self, x):
                    return F.interpolate(x, None, 0.5, "bicubic", False, None, True)
            """,
            line=4,
            message_contains="dynamic",
        ),
    ]
