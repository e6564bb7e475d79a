"""Measured evidence of ONX450 `scatter_add_duplicate_indices`: `PATTERNS` and `MEASURED`.

rules/scatter_add_duplicate_indices.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "scatter_add_repeated": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                index = (x.abs() * 10).long() % 4
                return x.new_zeros(x.shape[0], x.shape[1], 4).scatter_add(2, index, x)
        """,
        inputs=((1, 3, 16),),
        dynamic=("batch", "2"),
    ),
}

MEASURED = [
    Claim("scatter_add_repeated", "legacy", 11, "WRONG"),
    Claim("scatter_add_repeated", "legacy", 15, "WRONG"),
    Claim("scatter_add_repeated", "legacy", 16, "ok"),
    Claim("scatter_add_repeated", "dynamo", None, "ok"),
]
