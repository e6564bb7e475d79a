from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Valid, requirement

from ._interpolation import LINEAR_MODES, match_interpolation


class AlignCornersInterpolation(Rule):
    """Linear interpolation with `align_corners=True` exported below opset 11.

    ## What it does
    Flags `F.interpolate` / `nn.Upsample` / `F.upsample_bilinear` / `nn.UpsamplingBilinear2d`
    in a linear mode (`linear`, `bilinear`, `bicubic`, `trilinear`) with `align_corners=True`
    when the TorchScript exporter targets opset 10 or lower. It stays silent at opset 11 and
    later and for the dynamo exporter (which never translates below opset 18).

    ## Why is this bad for ONNX
    Before opset 11, ONNX's `Upsample` had no coordinate transformation mode, so
    `align_corners=True` cannot be expressed. Measured on torch 2.13: the TorchScript exporter
    raises "Unsupported: ONNX export of operator upsample_bilinear2d, align_corners == True"
    at opset 9 and 10. From opset 11 `Resize` has `coordinate_transformation_mode="align_corners"`,
    and the export matched eager PyTorch in onnxruntime at opsets 11, 13, 17, 18 and 20 with both
    exporters, on the export input and on a second batch size and height/width.

    The widely repeated advice that `align_corners=True` "breaks ONNX" is folklore at today's
    opsets: it holds only for opset 10 and lower, and for runtimes that implement `Resize`
    partially (a target profile can say so). onnxlint does not flag it elsewhere.

    ## Example
    ```python
    self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    ...
    torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=10)
    ```

    ## Use instead
    Export at opset 11 or later (the dynamo exporter always does):
    ```python
    torch.onnx.export(model, x, "m.onnx", opset_version=17)
    ```

    ## Fix safety
    Display-only: the repair is to raise the export opset, which lives in the export script.
    Switching to `align_corners=False` is not offered, because it changes the model's outputs
    and, below opset 11, the exported `align_corners=False` bilinear resize is itself wrong
    (measured: wrong numbers at opset 9 and 10).

    ## References
    - ONNX Resize (opset 11 adds coordinate_transformation_mode): https://onnx.ai/onnx/operators/onnx__Resize.html
    - torch/onnx/symbolic_helper.py (`_interpolate_helper`, align_corners check)
    - docs/measurements.md (ONX401 rows); docs/ground-truth.md, harness rows interp_*_ac1_*
    """

    code = "ONX401"
    name = "align_corners_interpolation"
    message = "`align_corners=True` interpolation cannot be exported below ONNX opset 11"
    fix_title = "Export with `opset_version=11` or later"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("interpolate", "Upsampl", "upsample")
    applies_to = "TorchScript exporter at opset <= 10; silent at opset >= 11 and for dynamo"

    def visit_Call(self, node: ast.Call) -> None:
        interpolation = match_interpolation(node, self.context.call_name(node))
        if interpolation is None or interpolation.align_corners is not True or interpolation.mode not in LINEAR_MODES:
            return
        config = self.context.export_config_for(node)
        first_good = requirement("resize.align_corners").legacy_min_opset or 0
        if not config.is_legacy or config.opset >= first_good:
            return
        self.report(
            node,
            f"`align_corners=True` {interpolation.mode} interpolation cannot be exported at ONNX opset {config.opset} "
            f"({config.exporter_label} raises); opset {first_good} and later export it correctly",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch.nn as nn
            up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            """
        ),
        Valid(
            """
            import torch.nn.functional as F
            def up(x):
                return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
        Valid(
            """
            import torch.nn.functional as F
            def up(x):
                return F.interpolate(x, scale_factor=2, mode="nearest")
            """,
            settings={"exporter": "legacy", "opset": 9},
        ),
        Valid(
            """
            import torch.nn.functional as F
            def up(x):
                return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            """,
            settings={"exporter": "dynamo", "opset": 10},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch.nn as nn
            up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            """,
            line=2,
            settings={"exporter": "legacy", "opset": 10},
            message_contains="opset 10",
        ),
        Invalid(
            """
            import torch
            import torch.nn.functional as F

            class Up(torch.nn.Module):
                def forward(self, x):
                    return F.interpolate(x, None, 2.0, "bicubic", True)

            torch.onnx.export(Up(), x, "up.onnx", dynamo=False, opset_version=9)
            """,
            line=6,
        ),
        Invalid(
            """
            from torch import nn
            up = nn.UpsamplingBilinear2d(scale_factor=2)
            """,
            line=2,
            settings={"exporter": "legacy", "opset": 10},
        ),
    ]
