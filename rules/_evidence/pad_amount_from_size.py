"""Measured evidence of ONX111 `pad_amount_from_size`: `PATTERNS` and `MEASURED`.

rules/pad_amount_from_size.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "pad_to_multiple": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.pad(x, (0, (4 - x.shape[-1] % 4) % 4, 0, (4 - x.shape[-2] % 4) % 4))
        """
    ),
    "pad_reflect_constant": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.pad(x, (1, 2, 2, 1), mode="reflect")
        """
    ),
    "pad_circular_constant": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.pad(x, (1, 2, 2, 1), mode="circular")
        """
    ),
}

MEASURED = [
    Claim("pad_to_multiple", "legacy", 10, "EXPORT"),
    Claim("pad_to_multiple", "legacy", 11, "ok"),
    Claim("pad_to_multiple", "dynamo", None, "ok"),
    Claim("pad_reflect_constant", "legacy", 9, "ok"),
    Claim("pad_circular_constant", "legacy", 9, "ok"),
]
