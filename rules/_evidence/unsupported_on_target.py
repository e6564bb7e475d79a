"""Measured evidence of ONX601 `unsupported_on_target`: `PATTERNS` and `MEASURED`.

rules/unsupported_on_target.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "grid_sample_3d": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x, theta):
                grid = F.affine_grid(theta, [1, 2, 4, 5, 6], align_corners=False)
                return F.grid_sample(x, grid, align_corners=False)
        """,
        inputs=((1, 2, 4, 5, 6), (1, 3, 4)),
        dynamic=(),
    ),
    "antialias": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True)
        """,
        inputs=((1, 3, 16, 16),),
        dynamic=("batch",),  # odd sizes are a separate onnxruntime divergence (see ONX1xx interpolation rules)
    ),
    "avg_pool_ceil_pad": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.pool = torch.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)

            def forward(self, x):
                return self.pool(x)
        """
    ),
    "circular_pad": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.pad(x, (1, 2, 2, 1), mode="circular")
        """
    ),
    "det": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.linalg.det(x[:, :, :3, :3] + torch.eye(3))
        """
    ),
    "logsumexp": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.logsumexp(x, dim=1)
        """
    ),
    "rfft": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.fft.rfft(x, dim=-1).abs()
        """
    ),
}

MEASURED = [
    Claim("grid_sample_3d", "dynamo", None, "OV-LOAD", runtime="openvino"),
    Claim("grid_sample_3d", "dynamo", None, "ok", runtime="onnxruntime"),
    Claim("antialias", "dynamo", None, "WRONG", runtime="openvino"),
    Claim("antialias", "dynamo", None, "ok", runtime="onnxruntime"),
    Claim("avg_pool_ceil_pad", "dynamo", None, "WRONG", runtime="openvino"),
    Claim("avg_pool_ceil_pad", "legacy", 17, "WRONG", runtime="openvino"),
    Claim("avg_pool_ceil_pad", "legacy", 17, "ok", runtime="onnxruntime"),
    Claim("circular_pad", "dynamo", None, "OV-LOAD", runtime="openvino"),
    Claim("circular_pad", "legacy", 17, "ok", runtime="openvino"),
    Claim("det", "legacy", 17, "OV-LOAD", runtime="openvino"),
    Claim("det", "legacy", 17, "ok", runtime="onnxruntime"),
    Claim("logsumexp", "legacy", 17, "WRONG", runtime="openvino"),
    Claim("logsumexp", "dynamo", None, "ok", runtime="openvino", flagged=False),
    Claim("rfft", "dynamo", None, "OV-RUN", runtime="openvino"),
    Claim("rfft", "dynamo", None, "ok", runtime="onnxruntime"),
]
