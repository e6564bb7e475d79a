"""Measured evidence of ONX301 `size_converted_to_python_number`: `PARITY`, `PATTERNS` and `MEASURED`.

rules/size_converted_to_python_number.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern


def _model(body: str, imports: str = "") -> str:
    return (
        f"import math\nimport torch\nimport torch.nn.functional as F\n{imports}\n\nclass Model(torch.nn.Module):\n"
        "    def forward(self, x):\n" + "".join(f"        {line}\n" for line in body.strip("\n").splitlines())
    )


_INT_SIZE = _model("h = int(x.size(2)) // 2\nw = int(x.size(3)) // 2\nreturn F.interpolate(x, size=(h, w))")


_FINE = _model(
    """
h, w = x.size(2) // 2, x.size(3) // 2
y = F.interpolate(x, size=(h, w)) * x.shape[-1] ** -0.5
return y.reshape(y.size(0), -1) + math.prod(y.shape[1:])
"""
)


PARITY = [
    ParityCase(_INT_SIZE, inputs=((1, 3, 8, 8),), dynamic=("batch", "height", "width")),
    ParityCase(
        _model(
            """
b, c, h, w = x.shape
H = math.ceil(h / 4) * 4
W = math.floor(w / 2)
s = [int(d) for d in x.shape]
y = F.interpolate(x, size=(H, W)) / math.sqrt(w) * float(h) ** -0.5
return y.reshape(s[0], -1)
"""
        ),
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
        settings={"exporter": "legacy"},
    ),
    # `int(a / b)` -> `a // b`, at odd sizes (9x11: the quotients truncate) with both exporters.
    ParityCase(
        _model(
            """
b, c, h, w = x.shape
y = F.interpolate(x, size=(int(h / 2), int((w + 1) / 2) * 2))
return y[:, :, : int(h / 3)]
"""
        ),
        inputs=((1, 3, 9, 11),),
        dynamic=("batch", "height", "width"),
        settings={"exporter": "legacy"},
    ),
    # `int(math.sqrt(n))` of a token count -> `int(n ** 0.5)`: dynamic with the dynamo exporter (measured
    # by scripts/fix_size_forms.py; the TorchScript exporter freezes every square-root form).
    ParityCase(
        "import math\nimport torch\n\n\nclass Model(torch.nn.Module):\n    def forward(self, x):\n"
        "        b, c, h, w = x.shape\n"
        "        tokens = x.flatten(2).transpose(1, 2)\n"
        "        side = int(math.sqrt(tokens.shape[1]))\n"
        "        return tokens.transpose(1, 2).reshape(b, c, side, side) * 2\n",
        inputs=((1, 3, 8, 8),),
        dynamic=("batch",),
        exporters=("dynamo",),
    ),
]

PATTERNS = {
    "int_size": Pattern(_INT_SIZE),
    "int_size_auto": Pattern(_INT_SIZE, dim_hint="AUTO"),
    "int_batch": Pattern(
        _model("b = int(x.size(0))\nreturn torch.cat([x, torch.zeros(b, 1, x.shape[2], x.shape[3])], 1)"),
        dynamic=("batch",),
    ),
    "math_ceil": Pattern(_model("H = math.ceil(x.shape[2] / 4) * 4\nreturn F.interpolate(x, size=(H, H))")),
    "math_sqrt": Pattern(_model("return x / math.sqrt(x.shape[3])")),
    "numpy_prod": Pattern(
        _model("return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))", imports="import numpy as np"),
        requires=("numpy",),
    ),
    "size_arithmetic": Pattern(_FINE),
    "size_arithmetic_auto": Pattern(_FINE, dim_hint="AUTO"),
}

MEASURED = [
    Claim("int_size", "legacy", 17, "BAKED"),
    Claim(
        "int_size",
        "dynamo",
        None,
        "ok",
        flagged=True,
        note="kept symbolic only by the strict-capture fallback; baked with Dim.AUTO (int_size_auto)",
    ),
    Claim("int_size_auto", "dynamo", None, "BAKED", note="Dim.AUTO: specialised silently"),
    Claim("int_batch", "dynamo", None, "BAKED", note="batch-1 example: specialised silently"),
    Claim("math_ceil", "legacy", 17, "BAKED"),
    Claim("math_ceil", "dynamo", None, "ok"),
    Claim("math_sqrt", "legacy", 17, "BAKED"),
    Claim("math_sqrt", "dynamo", None, "EXPORT"),
    Claim("numpy_prod", "legacy", 17, "BAKED"),
    Claim("numpy_prod", "dynamo", None, "BAKED"),
    Claim("size_arithmetic", "legacy", 17, "ok"),
    Claim("size_arithmetic", "dynamo", None, "ok"),
    Claim("size_arithmetic_auto", "dynamo", None, "ok"),
]
