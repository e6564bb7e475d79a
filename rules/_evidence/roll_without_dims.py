"""Measured evidence of ONX105 `roll_without_dims`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/roll_without_dims.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern

PARITY = [
    ParityCase(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.roll(x, 5) + x.roll(-3)
        """,
        inputs=((2, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
        settings={"exporter": "legacy", "opset": 17},
    ),
]

PATTERNS = {
    "roll_flat": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.roll(x, 3)
        """
    ),
    "roll_dims": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.roll(x, shifts=(1, -2), dims=(2, 3))
        """
    ),
}

MEASURED = [
    Claim("roll_flat", "legacy", 20, "EXPORT"),
    Claim("roll_flat", "dynamo", None, "ok"),
    Claim("roll_dims", "legacy", 11, "ok"),
]
