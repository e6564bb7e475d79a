"""Measured evidence of ONX506 `size_one_example_for_dynamic_dim`: `PATTERNS` and `MEASURED`.

rules/size_one_example_for_dynamic_dim.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

_LEN_MODEL = """
import torch
from torch import nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x) * len(x)
"""


_NESTED_MODEL = """
import torch
from torch import nn


class Model(nn.Module):
    \"\"\"NestedUNet's layers, small, with a batch-sized reshape at the end.\"\"\"

    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True))
        self.pool = nn.MaxPool2d(2, 2)
        self.mid = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.out = nn.Conv2d(12, 1, 1)

    def forward(self, x):
        skip = self.down(x)
        y = self.out(torch.cat([skip, self.up(self.mid(self.pool(skip)))], 1))
        return y.reshape(x.shape[0], -1)
"""


def _script(model: str, batch: int) -> str:
    return (
        f'{model}\n\nif __name__ == "__main__":\n    model = Model().eval()\n'
        f"    x = torch.randn({batch}, 3, 16, 16)\n"
        '    torch.onnx.export(model, (x,), "m.onnx", dynamic_shapes=({0: "batch"},))\n'
    )


PATTERNS = {
    "len_batch1_example": Pattern(_script(_LEN_MODEL, 1), inputs=((1, 3, 16, 16),), dynamic=("batch",)),
    "len_batch2_example": Pattern(_script(_LEN_MODEL, 2), inputs=((2, 3, 16, 16),), dynamic=("batch",)),
    "nested_unet_layers_batch1_example": Pattern(
        _script(_NESTED_MODEL, 1), inputs=((1, 3, 16, 16),), dynamic=("batch",)
    ),
}

MEASURED = [
    Claim("len_batch1_example", "dynamo", None, "BAKED", note="len(x) frozen at 1"),
    Claim("len_batch2_example", "dynamo", None, "ok"),
    Claim(
        "nested_unet_layers_batch1_example",
        "dynamo",
        None,
        "ok",
        flagged=True,
        note="information: this model makes no decision on the batch size; the script cannot show that",
    ),
]
