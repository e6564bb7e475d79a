"""Measured evidence of ONX203 `loop_over_tensor_size`: `PATTERNS` and `MEASURED`.

rules/loop_over_tensor_size.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

_RANGE_BATCH = """
out = []
for i in range(x.shape[0]):
    out.append(x[i] * (i + 1))
return torch.stack(out)
"""


def _loop_model(body: str) -> str:
    return "import torch\n\n\nclass Model(torch.nn.Module):\n    def forward(self, x):\n" + "".join(
        f"        {line}\n" for line in body.strip("\n").splitlines()
    )


PATTERNS = {
    "range_batch": Pattern(
        _loop_model(_RANGE_BATCH),
        dynamic=("batch",),
    ),
    "range_batch_example_2": Pattern(
        _loop_model(_RANGE_BATCH),
        inputs=((2, 3, 8, 8),),
        dynamic=("batch",),
    ),
    "range_batch_auto_example_2": Pattern(
        _loop_model(_RANGE_BATCH),
        inputs=((2, 3, 8, 8),),
        dynamic=("batch",),
        dim_hint="AUTO",
    ),
    "range_batch_named_example_2": Pattern(
        _loop_model(_RANGE_BATCH),
        inputs=((2, 3, 8, 8),),
        dynamic=("batch",),
        dim_hint="NAMED",
    ),
    "iterate_tensor": Pattern(
        _loop_model(
            """
y = torch.relu(x)
return torch.stack([row * 2 for row in y])
"""
        ),
        dynamic=("batch",),
    ),
    "range_width": Pattern(
        _loop_model(
            """
return torch.stack([x[:, :, :, i] * i for i in range(x.shape[3])], 3)
"""
        )
    ),
    "fixed_range": Pattern(
        _loop_model(
            """
return torch.stack([x[:, i] * (i + 1) for i in range(3)], 1)
"""
        )
    ),
}

MEASURED = [
    Claim("range_batch", "legacy", 17, "BAKED"),
    Claim("range_batch", "dynamo", None, "BAKED", note="batch-1 example: the graph keeps batch 1 silently"),
    Claim("range_batch_example_2", "dynamo", None, "EXPORT", note="Dim.DYNAMIC specialised to the example's 2"),
    Claim("range_batch_auto_example_2", "dynamo", None, "BAKED", note="Dim.AUTO: specialised silently"),
    Claim("range_batch_named_example_2", "dynamo", None, "BAKED", note='Dim("name") objects: specialised silently'),
    Claim("iterate_tensor", "legacy", 17, "BAKED"),
    Claim("iterate_tensor", "dynamo", None, "BAKED"),
    Claim("range_width", "legacy", 17, "BAKED"),
    Claim("range_width", "dynamo", None, "EXPORT"),
    Claim("fixed_range", "legacy", 17, "ok"),
    Claim("fixed_range", "dynamo", None, "ok"),
]
