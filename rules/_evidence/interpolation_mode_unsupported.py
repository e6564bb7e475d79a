"""Measured evidence of ONX102 `interpolation_mode_unsupported`: `PATTERNS` and `MEASURED`.

rules/interpolation_mode_unsupported.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "antialias_size": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.interpolate(x, size=(5, 6), mode="bicubic", antialias=True)
        """
    ),
    "antialias_scale_factor": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True)
        """
    ),
    "nearest_exact_upsample": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.up = torch.nn.Upsample(scale_factor=1.5, mode="nearest-exact")

            def forward(self, x):
                return self.up(x)
        """
    ),
}

MEASURED = [
    Claim("antialias_size", "legacy", 18, "EXPORT"),
    Claim("antialias_size", "legacy", 20, "EXPORT"),
    Claim("antialias_size", "dynamo", None, "ok"),
    Claim("antialias_scale_factor", "legacy", 17, "EXPORT"),
    Claim("antialias_scale_factor", "dynamo", 18, "BAKED"),
    Claim("nearest_exact_upsample", "legacy", 20, "EXPORT"),
    Claim("nearest_exact_upsample", "dynamo", None, "ok"),
]
