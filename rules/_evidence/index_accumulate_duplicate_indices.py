"""Measured evidence of ONX451 `index_accumulate_duplicate_indices`: `PATTERNS` and `MEASURED`.

rules/index_accumulate_duplicate_indices.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "index_add_repeated": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x.new_zeros(x.shape[0], 4, x.shape[2]).index_add(1, torch.tensor([0, 2, 0]), x)
        """,
        inputs=((1, 3, 16),),
        dynamic=("batch", "2"),
    ),
    "index_put_accumulate": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                out = torch.zeros(4, x.shape[1])
                return out.index_put((torch.tensor([0, 2, 0]),), x[:3], accumulate=True)
        """,
        inputs=((5, 6),),
        dynamic=("1",),
    ),
}

MEASURED = [
    Claim("index_add_repeated", "legacy", 20, "WRONG"),
    Claim("index_add_repeated", "dynamo", None, "ok"),
    Claim("index_put_accumulate", "legacy", 17, "WRONG"),
]
