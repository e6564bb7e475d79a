"""Measured evidence of ONX202 `tensor_to_python`: `PATTERNS` and `MEASURED`.

rules/tensor_to_python.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "item": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x / x.abs().max().item()
        """
    ),
    "float": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x * float(x.std())
        """
    ),
    "numpy": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x * float(x.mean().numpy())
        """,
        shift=(1.0, 3.0),
    ),
    "tolist": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x + sum(x.mean(dim=(1, 2, 3)).tolist())
        """
    ),
    # The entries of a list of fixed length (three channel means) used as plain numbers: symbolic under dynamo.
    "tolist_values": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                means = x.mean(dim=(0, 2, 3)).tolist()
                return x * means[0] + means[2]
        """
    ),
    # A Python decision on an entry: data-dependent, the dynamo export fails.
    "tolist_branch": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                means = x.mean(dim=(0, 2, 3)).tolist()
                if means[0] > 0:
                    return x * 2
                return x
        """,
        shift=(1.0, -1.0),
    ),
    "bool": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                positive = bool(x.mean() > 0)
                return x * positive
        """,
        shift=(1.0, -1.0),
    ),
}

MEASURED = [
    Claim("item", "legacy", 17, "BAKED"),
    Claim("item", "dynamo", None, "ok"),
    Claim("float", "legacy", 17, "BAKED"),
    Claim("float", "dynamo", None, "ok"),
    Claim("numpy", "legacy", 17, "BAKED"),
    Claim("numpy", "dynamo", None, "ok"),
    Claim("tolist", "legacy", 17, "BAKED"),
    Claim("tolist", "dynamo", None, "BAKED"),
    Claim(
        "tolist_values",
        "dynamo",
        None,
        "ok",
        flagged=True,
        note="entries stay symbolic; reported because the static layer cannot tell that the list's length is static",
    ),
    Claim("tolist_branch", "dynamo", None, "EXPORT"),
    Claim("bool", "legacy", 17, "EXPORT"),
    Claim("bool", "dynamo", None, "ok"),
]
