"""Measured evidence of ONX402 `linear_interpolation_below_opset_11`: `PATTERNS` and `MEASURED`.

rules/linear_interpolation_below_opset_11.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "bilinear_default": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        """
    ),
    "bicubic_default": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.interpolate(x, scale_factor=2, mode="bicubic")
        """
    ),
    "trilinear_module": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.up = torch.nn.Upsample(scale_factor=2, mode="trilinear")

            def forward(self, x):
                return self.up(x)
        """,
        inputs=((1, 3, 4, 6, 6),),
    ),
}

MEASURED = [
    Claim("bilinear_default", "legacy", 9, "WRONG"),
    Claim("bilinear_default", "legacy", 10, "WRONG"),
    Claim("bilinear_default", "legacy", 11, "ok"),
    Claim("bilinear_default", "dynamo", None, "ok"),
    Claim("bicubic_default", "legacy", 10, "EXPORT"),
    Claim("trilinear_module", "legacy", 10, "WRONG"),
]
