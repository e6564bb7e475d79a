"""Measured evidence of ONX452 `scatter_reduce_mean_wrong`: `PATTERNS` and `MEASURED`.

rules/scatter_reduce_mean_wrong.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "scatter_reduce_mean": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                index = (x.abs() * 10).long() % 4
                return x.new_ones(x.shape[0], x.shape[1], 4).scatter_reduce(2, index, x, reduce="mean")
        """,
        inputs=((1, 3, 16),),
        dynamic=("batch", "2"),
    ),
    "sum_over_count": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                index = (x.abs() * 10).long() % 4
                out = x.new_ones(x.shape[0], x.shape[1], 4)
                total = out.scatter_add(2, index, x)
                count = torch.ones_like(out).scatter_add(2, index, torch.ones_like(x))
                return total / count
        """,
        inputs=((1, 3, 16),),
        dynamic=("batch", "2"),
    ),
}

MEASURED = [
    Claim("scatter_reduce_mean", "dynamo", None, "WRONG"),
    Claim("sum_over_count", "dynamo", None, "ok", note="the rewrite in Use instead"),
    Claim("sum_over_count", "legacy", 16, "ok", note="the rewrite in Use instead"),
]
