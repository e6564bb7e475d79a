"""Measured evidence of ONX408 `tensor_from_traced_values`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/tensor_from_traced_values.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern

PARITY = [
    ParityCase(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                scale = torch.tensor([x.shape[2], x.shape[3]], dtype=torch.float32)
                offset = x.new_tensor([x.shape[-1], 2])
                return x / scale.prod() + offset.sum()
        """,
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
        settings={"exporter": "legacy", "opset": 17},
        opset=17,
    ),
    ParityCase(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                n = torch.as_tensor(x.shape[-1])
                hw = torch.as_tensor((x.size(2), 2))
                return x / n / hw.prod()
        """,
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
    ),
]

PATTERNS = {
    "tensor_of_sizes": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x / torch.tensor([x.shape[2], x.shape[3]]).prod()
        """
    ),
    "tensor_of_one_size": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x / torch.tensor(x.shape[-1])
        """
    ),
    "as_tensor_of_size": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x / torch.as_tensor(x.shape[-1])
        """
    ),
    "tensor_of_tensors": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.tensor([x.mean(), x.std()]).sum() + x
        """
    ),
}

MEASURED = [
    Claim("tensor_of_sizes", "legacy", 17, "BAKED"),
    Claim("tensor_of_sizes", "dynamo", None, "ok"),
    Claim("tensor_of_one_size", "legacy", 11, "ok"),
    Claim("as_tensor_of_size", "dynamo", None, "EXPORT"),
    Claim("as_tensor_of_size", "legacy", 17, "ok"),
    Claim("tensor_of_tensors", "legacy", 11, "BAKED"),
]
