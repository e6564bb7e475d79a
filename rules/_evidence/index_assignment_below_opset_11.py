"""Measured evidence of ONX403 `index_assignment_below_opset_11`: `PATTERNS` and `MEASURED`.

rules/index_assignment_below_opset_11.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern, TorchChange

PATTERNS = {
    "slice_assign_constant": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y[:, 0] = 0
                return y
        """
    ),
    "mask_assign": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y[y < 0] = 0
                return y
        """
    ),
    "index_tensor_assign": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y[torch.tensor([0])] = -1.0
                return y
        """
    ),
    "mask_assign_tensor_value": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y[y < 0] = x[y < 0] * 0.1
                return y
        """
    ),
    "mask_augmented": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y[y < 0] += 1
                return y
        """
    ),
    "masked_fill": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.clone()
                y.masked_fill_(y < 0, 0.0)
                return y
        """
    ),
}

MEASURED = [
    Claim("slice_assign_constant", "legacy", 10, "EXPORT"),
    Claim("slice_assign_constant", "legacy", 11, "ok"),
    Claim("slice_assign_constant", "dynamo", None, "ok"),
    Claim(
        "mask_assign",
        "legacy",
        10,
        "EXPORT",
        changed=(TorchChange("2.15.0", "ok", opset_written=10, note="traced as masked_fill_: ONNX Where"),),
    ),
    Claim(
        "index_tensor_assign",
        "legacy",
        10,
        "EXPORT",
        changed=(TorchChange("2.15.0", "ok", opset_written=10, note="traced as index_fill_: ONNX Scatter"),),
    ),
    Claim("mask_assign_tensor_value", "legacy", 10, "EXPORT"),
    Claim("mask_augmented", "legacy", 10, "EXPORT"),
    Claim("masked_fill", "legacy", 9, "ok"),
]
