"""Measured evidence of ONX205 `mask_selection_unsupported`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/mask_selection_unsupported.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern


def _model(body: str) -> str:
    return f"import torch\n\n\nclass Model(torch.nn.Module):\n    def forward(self, x):\n        return {body}\n"


PARITY = [
    ParityCase(_model("torch.masked_select(x, x > 0.5)"), inputs=((2, 3, 8, 8),), exporters=("dynamo",)),
]

PATTERNS = {
    "masked_select": Pattern(_model("torch.masked_select(x, x > 0)")),
    "bool_index": Pattern(_model("x[x > 0]")),
    "nonzero": Pattern(_model("torch.nonzero(x > 0)")),
    "zeros_int_of_count": Pattern(_model("torch.zeros(int((x > 0).sum()))")),
}

MEASURED = [
    Claim("masked_select", "legacy", 10, "EXPORT"),
    Claim("masked_select", "legacy", 11, "ok"),
    Claim("masked_select", "dynamo", None, "EXPORT"),
    Claim("bool_index", "legacy", 10, "CHECKER"),
    Claim("bool_index", "legacy", 11, "ok"),
    Claim("bool_index", "dynamo", None, "ok"),
    Claim("nonzero", "legacy", 9, "ok"),
    Claim("nonzero", "dynamo", None, "ok"),
    Claim("zeros_int_of_count", "legacy", 17, "BAKED", flagged=False, note="ONX202 reports the int()"),
    Claim("zeros_int_of_count", "dynamo", None, "ok"),
]
