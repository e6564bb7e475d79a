"""Measured evidence of ONX407 `bool_tensor_arithmetic`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/bool_tensor_arithmetic.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern

PARITY = [
    ParityCase(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x: torch.Tensor):  # proven a tensor: the `|` fixes are safe
                mask = (x > 0) + (x < -1)
                mask += x > 2
                return mask.float() * x
        """,
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
    ),
    ParityCase(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                valid = x > 0
                first = valid.cumsum(-1)
                both = torch.maximum(valid, x < 1) + torch.minimum(valid, x > -1)
                # (a 0-d output trips the parity comparison: reshape it)
                return first, torch.cumsum(x > 0.5, dim=1), valid.amax(dim=(2, 3)), valid.min().reshape(1), both
        """,
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
        settings={"exporter": "legacy", "opset": 17},
        opset=17,
    ),
]

PATTERNS = {
    "bool_add_bool": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return (x > 0) + (x < 0.5)
        """
    ),
    "bool_cumsum": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return (x > 0).cumsum(-1)
        """
    ),
    "bool_amax": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return (x > 0).amax(dim=(2, 3))
        """
    ),
    "bool_max_indices": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return (x > 0).max(dim=1)[1]
        """
    ),
    "bool_sum": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return (x > 0).sum(dim=(2, 3))
        """
    ),
}

MEASURED = [
    Claim("bool_add_bool", "legacy", 11, "CHECKER"),
    Claim("bool_add_bool", "dynamo", None, "CHECKER"),
    Claim("bool_cumsum", "legacy", 17, "CHECKER"),
    Claim("bool_cumsum", "dynamo", None, "ok"),
    Claim("bool_amax", "legacy", 13, "CHECKER"),
    Claim("bool_amax", "dynamo", None, "ok"),
    Claim("bool_max_indices", "dynamo", None, "CHECKER"),
    Claim("bool_sum", "legacy", 11, "ok"),
]
