"""Measured evidence of ONX106 `adaptive_pool_output_size`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/adaptive_pool_output_size.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from typing import Any

from onnxlint.rules.api import Claim, ParityCase, Pattern

_PATTERN_CODE = """
import torch
import torch.nn.functional as F

class Model(torch.nn.Module):
    def forward(self, x):
        return {call}
"""


def _pattern(call: str, **kwargs: Any) -> Pattern:
    return Pattern(_PATTERN_CODE.replace("{call}", call), **kwargs)


PARITY = [
    ParityCase(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.pool = torch.nn.AdaptiveAvgPool2d((5, 7))

            def forward(self, x):
                return F.adaptive_avg_pool2d(x, (3, 3)), F.adaptive_avg_pool2d(x, (None, 2)), self.pool(x)
        """,
        inputs=((2, 3, 16, 19),),
        dynamic=("batch", "height", "width"),
        settings={"exporter": "legacy", "opset": 17},
        unsafe_fixes=True,  # the fix is unsafe (TorchScript, half precision); its float32 numbers are proven here
    ),
    ParityCase(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.pool = torch.nn.AdaptiveMaxPool2d(4)

            def forward(self, x):
                return F.adaptive_max_pool2d(x, (3, 5)), self.pool(x)
        """,
        inputs=((2, 3, 16, 19),),
        dynamic=("batch", "height", "width"),
        unsafe_fixes=True,
    ),
]

PATTERNS = {
    "avg_3x3": _pattern("F.adaptive_avg_pool2d(x, (3, 3))"),
    "avg_1": _pattern("F.adaptive_avg_pool2d(x, 1)"),
    # Area interpolation to a fixed size is adaptive average pooling (smp's PSPNet export path).
    "area_3x3": _pattern('F.interpolate(x, size=(3, 3), mode="area")'),
    "avg_4_static": _pattern("F.adaptive_avg_pool2d(x, 4)", dynamic=("batch",)),
    "max_3x3": _pattern("F.adaptive_max_pool2d(x, (3, 3))"),
    "module_7x7": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.pool = torch.nn.AdaptiveAvgPool2d((7, 7))

            def forward(self, x):
                return self.pool(x)
        """,
        inputs=((1, 3, 14, 14),),
    ),
}

MEASURED = [
    Claim("avg_3x3", "legacy", 17, "EXPORT"),
    Claim("avg_3x3", "dynamo", None, "BAKED"),
    Claim("area_3x3", "dynamo", None, "BAKED"),
    Claim("avg_1", "legacy", 11, "ok"),
    Claim("avg_1", "dynamo", None, "ok"),
    Claim(
        "avg_4_static",
        "legacy",
        17,
        "ok",
        flagged=True,
        note="height/width static and divisible: exports, but the source does not say the sizes are static",
    ),
    Claim("max_3x3", "dynamo", None, "EXPORT"),
    Claim("module_7x7", "legacy", 20, "EXPORT"),
    Claim("module_7x7", "dynamo", None, "BAKED"),
]
