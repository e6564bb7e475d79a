"""Measured evidence of ONX405 `random_op_in_forward`: `PATTERNS` and `MEASURED`.

rules/random_op_in_forward.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "randn_like": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x + torch.randn_like(x)
        """,
        random=True,
    ),
    "normal": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x + torch.normal(torch.zeros_like(x), torch.ones_like(x))
        """,
        random=True,
    ),
    "multinomial_two": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.multinomial(x.flatten(1).softmax(-1), 2)
        """,
        random=True,
    ),
    "uniform_": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x + torch.empty_like(x).uniform_()
        """,
        random=True,
    ),
    "rand_with_generator": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                g = torch.Generator().manual_seed(0)
                return x * torch.rand(x.shape, generator=g)
        """,
        random=True,
    ),
    "guarded_noise": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                if self.training:
                    x = x + torch.randn_like(x)
                return x * 2
        """
    ),
}

MEASURED = [
    Claim("randn_like", "dynamo", None, "RANDOM", flagged=True),
    Claim("normal", "legacy", 10, "EXPORT"),
    Claim("normal", "legacy", 11, "RANDOM", flagged=True),
    Claim("multinomial_two", "legacy", 17, "EXPORT"),
    Claim("multinomial_two", "dynamo", None, "RANDOM", flagged=True),
    Claim("uniform_", "dynamo", None, "EXPORT"),
    Claim("rand_with_generator", "legacy", 17, "EXPORT"),
    Claim("guarded_noise", "dynamo", None, "ok"),
]
