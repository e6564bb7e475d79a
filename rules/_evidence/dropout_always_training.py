"""Measured evidence of ONX406 `dropout_always_training`: `PATTERNS` and `MEASURED`.

rules/dropout_always_training.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "dropout_default": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.dropout(x, 0.5)
        """,
        random=True,
    ),
    "dropout2d_default": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.dropout2d(x, 0.5)
        """,
        random=True,
    ),
    "dropout_follows_training": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.dropout(x, 0.5, training=self.training)
        """
    ),
}

MEASURED = [
    Claim("dropout_default", "legacy", 11, "RAND-FROZEN"),
    Claim("dropout_default", "legacy", 12, "RANDOM", flagged=True),
    Claim("dropout_default", "dynamo", None, "RANDOM", flagged=True),
    Claim("dropout2d_default", "legacy", 17, "EXPORT"),
    Claim("dropout_follows_training", "dynamo", None, "ok"),
]
