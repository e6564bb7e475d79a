"""Measured evidence of ONX109 `repeat_interleave_tensor_repeats`: `PATTERNS` and `MEASURED`.

rules/repeat_interleave_tensor_repeats.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "tensor_repeats": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x.repeat_interleave(torch.tensor([1, 2, 3]), dim=1)
        """
    ),
    "int_repeats": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x.repeat_interleave(2, dim=1)
        """
    ),
}

MEASURED = [
    Claim("tensor_repeats", "legacy", 20, "ORT-LOAD"),
    Claim("tensor_repeats", "dynamo", None, "ok"),
    Claim("int_repeats", "legacy", 11, "ok"),
]
