"""Measured evidence of ONX201 `tensor_condition`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/tensor_condition.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern

# The `torch.where` rewrites, exported and compared with the original's eager outputs. The
# conditions depend on the input, so the seeded example inputs take both branches. Annotated
# parameters make the values proven tensors, so every fix here is safe.
PARITY = [
    ParityCase(
        """
        import torch

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = torch.nn.Conv2d(3, 3, 1)

            def forward(self, x: torch.Tensor):
                y = self.proj(x)
                if x[:, 0].mean() > 0:
                    y = y * 2
                else:
                    y = y - 1
                return y
        """,
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
    ),
    ParityCase(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                if x.mean() > 0:  # positive inputs are rectified
                    x = F.relu(x)
                return x + 1
        """,
        inputs=((1, 3, 8, 8),),
    ),
    ParityCase(
        """
        import torch

        def gate(x: torch.Tensor):
            return x * 3 if x[:, 0].mean() > 0 else -x

        class Model(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                if x.sum() < 0:
                    return gate(x) + x  # a proven tensor on one side: the sum is one
                else:
                    return gate(x) - x
        """,
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "width"),
    ),
]

PATTERNS = {
    "if_on_tensor": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                if x.mean() > 0:
                    y = x * 2
                else:
                    y = x - 1
                return y
        """,
        shift=(1.0, -1.0),
    ),
    "while_on_tensor": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                while x.abs().max() > 1:
                    x = x / 2
                return x
        """,
        shift=(0.0, 5.0),
    ),
    "conditional_expression": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x * 2 if x.mean() > 0 else x - 1
        """,
        shift=(1.0, -1.0),
    ),
    "if_on_item": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                if x.mean().item() > 0:
                    return x * 2
                return x - 1
        """,
        shift=(1.0, -1.0),
    ),
    # XLM's and FlauBERT's `assert lengths.max().item() <= slen`: a data-dependent value in an `assert` exports too.
    "assert_on_item": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                assert x.abs().max().item() < 100
                return x * 2
        """
    ),
    "assert_on_tensor": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                assert (x.abs() < 100).all()
                return x * 2
        """
    ),
}

MEASURED = [
    Claim("if_on_tensor", "legacy", 17, "BAKED"),
    Claim("if_on_tensor", "dynamo", None, "EXPORT"),
    Claim("while_on_tensor", "legacy", 17, "BAKED"),
    Claim("while_on_tensor", "dynamo", None, "EXPORT"),
    Claim("conditional_expression", "legacy", 17, "BAKED"),
    Claim("conditional_expression", "dynamo", None, "EXPORT"),
    Claim("if_on_item", "legacy", 17, "BAKED"),
    Claim("if_on_item", "dynamo", None, "EXPORT"),
    Claim(
        "assert_on_item",
        "dynamo",
        None,
        "ok",
        flagged=True,
        note="exports, but the check is not in the graph (warning, low)",
    ),
    Claim(
        "assert_on_tensor",
        "legacy",
        17,
        "ok",
        flagged=True,
        note="exports, but the check is not in the graph (warning)",
    ),
    Claim(
        "assert_on_tensor",
        "dynamo",
        None,
        "ok",
        flagged=True,
        note="exports, but the check is not in the graph (warning)",
    ),
]
