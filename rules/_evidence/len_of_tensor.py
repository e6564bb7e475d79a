"""Measured evidence of ONX204 `len_of_tensor`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/len_of_tensor.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern

_LEN_MODEL = """
import torch


class Model(torch.nn.Module):
    def forward(self, x: torch.Tensor):
        return x.sum(0) / len(x)
"""


PARITY = [
    # `low` under the dynamo exporter (the default): the fix is checked at that level.
    ParityCase(_LEN_MODEL, inputs=((1, 3, 8, 8),), settings={"confidence": "low"}),
    ParityCase(_LEN_MODEL, inputs=((2, 3, 8, 8),), settings={"confidence": "low"}),
]

PATTERNS = {
    "len_batch": Pattern(_LEN_MODEL, dynamic=("batch",)),
    "len_batch_example_2": Pattern(_LEN_MODEL, inputs=((2, 3, 8, 8),), dynamic=("batch",)),
    "len_batch_auto_example_2": Pattern(_LEN_MODEL, inputs=((2, 3, 8, 8),), dynamic=("batch",), dim_hint="AUTO"),
    "len_batch_named_example_2": Pattern(_LEN_MODEL, inputs=((2, 3, 8, 8),), dynamic=("batch",), dim_hint="NAMED"),
    "shape_0": Pattern(_LEN_MODEL.replace("len(x)", "x.shape[0]"), dynamic=("batch",)),
}

MEASURED = [
    Claim("len_batch", "legacy", 17, "BAKED"),
    Claim("len_batch", "dynamo", None, "BAKED", note="batch-1 example: frozen silently"),
    Claim(
        "len_batch_example_2",
        "dynamo",
        None,
        "ok",
        flagged=True,
        note="right only through the strict-capture fallback; frozen with Dim.AUTO or a batch-1 example",
    ),
    Claim("len_batch_auto_example_2", "dynamo", None, "BAKED", note="Dim.AUTO: frozen silently"),
    Claim("len_batch_named_example_2", "dynamo", None, "BAKED", note='Dim("name") objects: frozen silently'),
    Claim("shape_0", "legacy", 17, "ok"),
    Claim("shape_0", "dynamo", None, "ok"),
]
