"""Measured evidence of ONX104 `scatter_reduce_unsupported`: `PATTERNS` and `MEASURED`.

rules/scatter_reduce_unsupported.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "scatter_reduce_amax": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                index = (x.abs() * 10).long() % 4
                return x.new_ones(x.shape[0], x.shape[1], 4).scatter_reduce(2, index, x, reduce="amax")
        """,
        inputs=((1, 3, 16),),
        dynamic=("batch", "2"),
    ),
    "scatter_reduce_sum_exclude_self": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                index = (x.abs() * 10).long() % 4
                out = x.new_ones(x.shape[0], x.shape[1], 4)
                return out.scatter_reduce(2, index, x, reduce="sum", include_self=False)
        """,
        inputs=((1, 3, 16),),
        dynamic=("batch", "2"),
    ),
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
    "scatter_reduce_argument": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                index = (x.abs() * 10).long() % 4
                return x.new_zeros(x.shape[0], x.shape[1], 4).scatter(2, index, x, reduce="add")
        """,
        inputs=((1, 3, 16),),
        dynamic=("batch", "2"),
    ),
}

MEASURED = [
    Claim("scatter_reduce_amax", "legacy", 15, "EXPORT"),
    Claim("scatter_reduce_amax", "legacy", 16, "ok", note="reduction=max is written at opset 16 (spec: 18)"),
    Claim("scatter_reduce_sum_exclude_self", "legacy", 20, "EXPORT"),
    Claim("scatter_reduce_sum_exclude_self", "dynamo", None, "ok"),
    Claim("scatter_reduce_mean", "legacy", 20, "EXPORT"),
    Claim("scatter_reduce_argument", "legacy", 16, "EXPORT"),
    Claim("scatter_reduce_argument", "dynamo", None, "EXPORT"),
]
