"""Measured evidence of ONX108 `one_hot_without_num_classes`: `PATTERNS` and `MEASURED`.

rules/one_hot_without_num_classes.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "one_hot_auto": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.one_hot(x)
        """,
        inputs=((1, 7),),
        dtypes=("int64",),
        dynamic=("batch", "1"),
    ),
    "one_hot_fixed": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.one_hot(x, 8)
        """,
        inputs=((1, 7),),
        dtypes=("int64",),
        dynamic=("batch", "1"),
    ),
}

MEASURED = [
    Claim("one_hot_auto", "legacy", 17, "CHECKER"),
    Claim("one_hot_auto", "dynamo", None, "EXPORT"),
    Claim("one_hot_fixed", "legacy", 11, "ok"),
]
