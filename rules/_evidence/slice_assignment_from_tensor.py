"""Measured evidence of ONX404 `slice_assignment_from_tensor`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/slice_assignment_from_tensor.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern

PARITY = [
    ParityCase(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y[:, :, :2] = x[:, :, -2:]
                return y * 2
        """,
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
    ),
    ParityCase(
        """
        import torch

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = torch.nn.Conv2d(3, 4, 1)

            def forward(self, x):
                y = self.conv(x)
                out = torch.zeros_like(y)
                out[..., 2:4] = y[..., :2]
                out[:, :, -3:-1] = out[:, :, :2]
                return out
        """,
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
    ),
]

PATTERNS = {
    "other_region": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y[:, :, :2] = x[:, :, -2:]
                return y
        """
    ),
    "same_region": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y[:, :, :4] = torch.relu(x[:, :, :4])
                return y
        """
    ),
}

MEASURED = [
    Claim("other_region", "dynamo", None, "BAKED"),
    Claim("other_region", "legacy", 17, "ok"),
    Claim("same_region", "dynamo", None, "ok"),
]
