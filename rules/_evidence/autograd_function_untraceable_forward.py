"""Measured evidence of ONX508 `autograd_function_untraceable_forward`: `PATTERNS` and `MEASURED`.

rules/autograd_function_untraceable_forward.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

from ..autograd_function_untraceable_forward import _FUNCTIONS


def _pattern(expression: str) -> Pattern:
    model = f"""

class Model(torch.nn.Module):
    def forward(self, x):
        return {expression}
"""
    return Pattern(_FUNCTIONS + model, requires=("numpy",))


PATTERNS = {
    "numpy_forward": _pattern("NumpyTanh.apply(x) * 2"),
    "numpy_forward_with_symbolic": _pattern("NumpyTanhWithSymbolic.apply(x) * 2"),
    "item_forward": _pattern("ScaleByMax.apply(x)"),
    "pure_torch_forward": _pattern("RoundSTE.apply(x)"),
}

MEASURED = [
    Claim("numpy_forward", "legacy", 17, "BAKED"),
    Claim("numpy_forward", "legacy", 11, "BAKED"),
    Claim("numpy_forward", "dynamo", None, "ok"),
    Claim("numpy_forward_with_symbolic", "legacy", 17, "ok"),
    Claim("item_forward", "legacy", 17, "BAKED"),
    Claim("item_forward", "dynamo", None, "ok"),
    Claim("pure_torch_forward", "legacy", 17, "ok"),
]
