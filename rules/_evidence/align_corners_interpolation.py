"""Measured evidence of ONX401 `align_corners_interpolation`: `PATTERNS` and `MEASURED`.

rules/align_corners_interpolation.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "bilinear_align_corners": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        """
    ),
}

MEASURED = [
    Claim("bilinear_align_corners", "legacy", 9, "EXPORT"),
    Claim("bilinear_align_corners", "legacy", 10, "EXPORT"),
    Claim("bilinear_align_corners", "legacy", 11, "ok"),
    Claim("bilinear_align_corners", "legacy", 17, "ok"),
    Claim("bilinear_align_corners", "dynamo", None, "ok"),
]
