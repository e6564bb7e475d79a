"""Measured evidence of ONX503 `export_without_eval`: `PATTERNS` and `MEASURED`.

rules/export_without_eval.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

_DROPOUT_MODEL = """
import torch
from torch import nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.conv(x))
"""


_BATCH_NORM_MODEL = """
import torch
from torch import nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-1, 1)
            self.bn.running_var.uniform_(0.5, 2)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))
"""


_FORGOT_EVAL = '\n\nif __name__ == "__main__":\n    model = Model()\n    torch.onnx.export(model, (torch.randn(2, 3, 8, 8),), "m.onnx")\n'


_WITH_EVAL = '\n\nif __name__ == "__main__":\n    model = Model()\n    model.eval()\n    torch.onnx.export(model, (torch.randn(2, 3, 8, 8),), "m.onnx")\n'


PATTERNS = {
    "dropout_train_mode": Pattern(_DROPOUT_MODEL + _FORGOT_EVAL, train=True, eval_reference=True),
    "dropout_eval_mode": Pattern(_DROPOUT_MODEL + _WITH_EVAL, eval_reference=True),
    "batch_norm_train_mode": Pattern(_BATCH_NORM_MODEL + _FORGOT_EVAL, train=True, eval_reference=True),
}

MEASURED = [
    Claim("dropout_train_mode", "dynamo", None, "WRONG", note="an active Dropout in the ONNX graph"),
    Claim("dropout_train_mode", "legacy", 17, "ok", note="the TorchScript exporter exports in eval mode"),
    Claim("dropout_eval_mode", "dynamo", None, "ok"),
    Claim(
        "batch_norm_train_mode",
        "dynamo",
        None,
        "ok",
        flagged=True,
        note="BatchNorm exported with running statistics; the script cannot show the model has no Dropout",
    ),
    Claim("batch_norm_train_mode", "legacy", 17, "ok"),
]
