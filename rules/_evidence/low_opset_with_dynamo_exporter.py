"""Measured evidence of ONX502 `low_opset_with_dynamo_exporter`: `PATTERNS` and `MEASURED`.

rules/low_opset_with_dynamo_exporter.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

_MODEL = """
import torch
from torch import nn


class Model(nn.Module):
    \"\"\"NestedUNet's layers, small: Conv/BatchNorm/ReLU, MaxPool, bilinear Upsample (align_corners=True), cat.\"\"\"

    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True))
        self.pool = nn.MaxPool2d(2, 2)
        self.mid = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.out = nn.Conv2d(12, 1, 1)

    def forward(self, x):
        skip = self.down(x)
        return self.out(torch.cat([skip, self.up(self.mid(self.pool(skip)))], 1))
"""


_LAYER_NORM_MODEL = """
import torch
import torch.nn.functional as F
from torch import nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.LayerNorm(8)

    def forward(self, x):
        y = F.pad(self.conv(x), (1, 1, 1, 1), mode="reflect")
        y = F.gelu(self.norm(y.permute(0, 2, 3, 1))).permute(0, 3, 1, 2)
        return y * y.mean(dim=(2, 3), keepdim=True)
"""


def _script(model: str, call: str) -> str:
    return f'{model}\n\nif __name__ == "__main__":\n    model = Model().eval()\n    x = torch.randn(2, 3, 16, 16)\n    {call}\n'


PATTERNS = {
    "nested_unet_layers_opset11": Pattern(
        _script(_MODEL, 'torch.onnx.export(model, (x,), "m.onnx", opset_version=11)'),
        inputs=((1, 3, 16, 16),),
        dynamic=("batch",),
    ),
    "nested_unet_layers_opset11_torchscript": Pattern(
        _script(_MODEL, 'torch.onnx.export(model, (x,), "m.onnx", opset_version=11, dynamo=False)'),
        inputs=((1, 3, 16, 16),),
        dynamic=("batch",),
    ),
    "nested_unet_layers_opset18": Pattern(
        _script(_MODEL, 'torch.onnx.export(model, (x,), "m.onnx", opset_version=18)'),
        inputs=((1, 3, 16, 16),),
        dynamic=("batch",),
    ),
    "nested_unet_layers_opset17": Pattern(
        _script(_MODEL, 'torch.onnx.export(model, (x,), "m.onnx", opset_version=17)'),
        inputs=((1, 3, 16, 16),),
        dynamic=("batch",),
    ),
    "layer_norm_model_opset17": Pattern(
        _script(_LAYER_NORM_MODEL, 'torch.onnx.export(model, (x,), "m.onnx", opset_version=17)'),
        inputs=((1, 3, 8, 8),),
        dynamic=("batch",),
    ),
}

MEASURED = [
    Claim(
        "nested_unet_layers_opset11",
        "dynamo",
        11,
        "ok",
        flagged=True,
        opset_written=18,
        note="runs and matches, but at opset 18, not the 11 asked for",
    ),
    Claim("nested_unet_layers_opset11_torchscript", "legacy", 11, "ok", opset_written=11),
    Claim("nested_unet_layers_opset18", "dynamo", 18, "ok", opset_written=18),
    Claim(
        "nested_unet_layers_opset17",
        "dynamo",
        17,
        "ok",
        flagged=True,
        opset_written=17,
        note="converted down for these layers; the source cannot tell which ops a model has",
    ),
    Claim(
        "layer_norm_model_opset17",
        "dynamo",
        17,
        "ok",
        flagged=True,
        opset_written=18,
        note="down-conversion failed: opset 18 written",
    ),
]
