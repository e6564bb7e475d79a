from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Valid, requirement

from ._interpolation import LINEAR_MODES, match_interpolation


class LinearInterpolationBelowOpset11(Rule):
    """Linear, bilinear, bicubic or trilinear interpolation exported below opset 11.

    ## What it does
    Flags `F.interpolate` / `nn.Upsample` / `F.upsample` in a linear mode (`linear`, `bilinear`,
    `bicubic`, `trilinear`) whose `align_corners` is not literally `True` (not given, `None`,
    `False`, or a variable) when the TorchScript exporter targets opset 10 or lower.
    `align_corners=True` at those opsets is ONX401's finding. Silent at opset 11 and later, and for
    the dynamo exporter (which never translates below opset 18).

    ## Why is this bad for ONNX
    Before opset 11 ONNX resizes with `Upsample`, which has one coordinate mapping (asymmetric:
    `x_in = x_out / scale`). PyTorch's default `align_corners=False` uses the half-pixel mapping
    (`x_in = (x_out + 0.5) / scale - 0.5`), so the exported model samples other positions.
    Measured on torch 2.13 with the TorchScript exporter:
    - `bilinear`, `linear` and `trilinear` with `scale_factor=2` export at opset 9 and 10 and give
      **wrong numbers** in onnxruntime, with no error or warning (max abs diff 0.49-2.1 on
      standard-normal inputs); a downscale (`scale_factor=0.5`) was wrong at 10 and failed to load
      at 9; a constant `size=` raised under dynamic axes and was wrong with static shapes;
    - `bicubic` raises ("Exporting the operator 'aten::upsample_bicubic2d' to ONNX opset version
      10 is not supported");
    - at opset 11 (Resize-11 with `coordinate_transformation_mode`) and with the dynamo exporter
      every case matched eager PyTorch.

    A variable `align_corners` is flagged too: `True` makes the export fail (ONX401), anything
    else gives wrong numbers. `nearest` is not concerned.

    ## Example
    ```python
    y = F.interpolate(x, scale_factor=2, mode="bilinear")
    ...
    torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=10)
    ```

    ## Use instead
    Export at opset 11 or later (the dynamo exporter always does):
    ```python
    torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=17)
    ```

    ## Fix safety
    Display-only: the repair is to raise the export opset, in the export script. Switching to
    `align_corners=True` is no repair: it changes the model's outputs, and below opset 11 it does
    not export either.

    ## References
    - ONNX Upsample-9 (no coordinate mode): https://onnx.ai/onnx/operators/onnx__Upsample.html
    - ONNX Resize-11 (coordinate_transformation_mode): https://onnx.ai/onnx/operators/onnx__Resize.html
    - torch/onnx/symbolic_opset9.py, symbolic_opset10.py (`upsample_*` via `_interpolate_helper`)
    - docs/measurements.md (ONX402 rows)
    """

    code = "ONX402"
    name = "linear_interpolation_below_opset_11"
    message = "Linear interpolation with the default `align_corners=False` cannot be exported correctly below opset 11"
    fix_title = "Export with `opset_version=11` or later"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("interpolate", "Upsampl", "upsample")
    applies_to = (
        "TorchScript exporter at opset <= 10 (wrong numbers; bicubic: export error); silent at >= 11 and for dynamo"
    )

    def visit_Call(self, node: ast.Call) -> None:
        interpolation = match_interpolation(node, self.context.call_name(node))
        if interpolation is None or interpolation.mode not in LINEAR_MODES or interpolation.align_corners is True:
            return
        config = self.context.export_config_for(node)
        first_good = requirement("resize.linear_half_pixel").legacy_min_opset or 0
        if not config.is_legacy or config.opset >= first_good:
            return
        mode = interpolation.mode
        where = f"{config.exporter_label} at ONNX opset {config.opset}"
        if mode == "bicubic":
            problem = f"`bicubic` interpolation cannot be exported by {where}: the export raises"
        else:
            corners = (
                "a variable `align_corners` (True fails, anything else samples wrongly)"
                if not interpolation.align_corners_is_literal
                else "`align_corners=False`"
            )
            problem = (
                f"`{mode}` interpolation with {corners}: {where} writes an Upsample with the wrong "
                "sampling grid (wrong numbers, no error)"
            )
        self.report(
            node,
            f"{problem}; opset {first_good} and later export it correctly",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch.nn.functional as F
            def up(x):
                return F.interpolate(x, scale_factor=2, mode="bilinear")
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
        Valid(
            """
            import torch.nn.functional as F
            def up(x):
                return F.interpolate(x, scale_factor=2, mode="bilinear")
            """,
            settings={"exporter": "dynamo", "opset": 10},
        ),
        # nearest has no coordinate mapping problem; align_corners=True is ONX401's.
        Valid(
            """
            import torch.nn.functional as F
            def up(x):
                a = F.interpolate(x, scale_factor=2, mode="nearest")
                b = F.interpolate(x, scale_factor=2)
                return F.interpolate(a + b, scale_factor=2, mode="bilinear", align_corners=True)
            """,
            settings={"exporter": "legacy", "opset": 9},
        ),
        # A mode that is not a literal: unknown, silent.
        Valid(
            """
            import torch.nn.functional as F
            def up(x, mode):
                return F.interpolate(x, scale_factor=2, mode=mode)
            """,
            settings={"exporter": "legacy", "opset": 9},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            import torch.nn.functional as F

            class Up(torch.nn.Module):
                def forward(self, x):
                    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

            torch.onnx.export(Up(), torch.randn(1, 3, 8, 8), "up.onnx", dynamo=False, opset_version=10)
            """,
            line=6,
            message_contains="wrong numbers",
        ),
        Invalid(
            """
            import torch.nn as nn
            up = nn.Upsample(scale_factor=2, mode="trilinear")
            """,
            line=2,
            settings={"exporter": "legacy", "opset": 9},
            message_contains="opset 9",
        ),
        Invalid(
            """
            import torch.nn.functional as F
            def up(x):
                return F.interpolate(x, None, 2.0, "bicubic")
            """,
            line=3,
            settings={"exporter": "legacy", "opset": 10},
            message_contains="raises",
        ),
        Invalid(
            """
            import torch.nn.functional as F
            def up(x, corners):
                return F.interpolate(x, scale_factor=2, mode="linear", align_corners=corners)
            """,
            line=3,
            settings={"exporter": "legacy", "opset": 10},
        ),
    ]
