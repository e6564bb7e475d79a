"""Measured evidence of ONX110 `size_derived_float_argument`: `PATTERNS` and `MEASURED`.

rules/size_derived_float_argument.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "linspace_steps": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                b, c, h, w = x.shape
                return x + torch.linspace(-1, 1, w)
        """
    ),
    "remainder_float": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                b, c, h, w = x.shape
                return torch.remainder(x, (w - 1) / 2)
        """
    ),
    "remainder_int": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                b, c, h, w = x.shape
                return x % (w - 1)
        """
    ),
}

MEASURED = [
    Claim("linspace_steps", "dynamo", None, "EXPORT"),
    Claim("linspace_steps", "legacy", 17, "ok"),
    Claim("remainder_float", "dynamo", None, "EXPORT"),
    Claim("remainder_int", "dynamo", None, "ok"),
]
