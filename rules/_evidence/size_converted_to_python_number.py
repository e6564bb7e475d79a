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
    # `int()` of an integer size is a `low` finding with the dynamo exporter (symbolic with `Dim.DYNAMIC`): the
    # fix is offered all the same, and proven here at that level.
    ParityCase(_INT_SIZE, inputs=((1, 3, 8, 8),), dynamic=("batch", "height", "width"), settings={"confidence": "low"}),
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
    # `int(math.ceil(h / 4) * 4)` (transformers' MobileViT) -> `((h + 4 - 1) // 4) * 4`, at sizes that are and are
    # not multiples of 4 (the parity's other sizes) with both exporters.
    ParityCase(
        _model("b, c, h, w = x.shape\nnew_h = int(math.ceil(h / 4) * 4)\nreturn F.interpolate(x, size=(new_h, w))"),
        inputs=((1, 3, 6, 8),),
        dynamic=("batch", "height", "width"),
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
        settings={"confidence": "low"},  # the side of a square grid: reported at `low`
        exporters=("dynamo",),
    ),
]

_FLOAT_SIZE = _model("return x.clamp(0.0, float(x.shape[3] - 1)) / float(x.shape[2]) + float(x.shape[3]) / 2")
_INT_SCALED = _model("h = int(x.shape[2] * 0.5)\nw = int(x.shape[3] / 2)\nreturn F.interpolate(x, size=(h, w))")
_INT_ROOT = _model("side = int(x.shape[1] ** 0.5)\nreturn x[:, :side] * 2")
_INT_SCALED_SLICE = _model("return x[:, :, : int(x.shape[2] * 0.5)] * 2")
_INT_SCALED_FACTORY = _model("return x.sum() + torch.zeros(x.shape[0], int(x.shape[2] * 0.5))")
# The same truncation as a `view` size (the pixel shuffle of vision towers): `x.view(b, w, int(h * 2.0), c // 2)`.
_INT_SCALED_VIEW = _model("b, w, h, c = x.shape\nreturn x.view(b, w, int(h * 2.0), c // 2) * 2")
# `int()` around a rounded quotient (transformers' MobileViT: `int(math.ceil(h / p) * p)`): `math.ceil` alone
# stays symbolic (math_ceil), the `int()` around it freezes it.
_INT_CEIL = _model("H = int(math.ceil(x.shape[2] / 4) * 4)\nreturn F.interpolate(x, size=(H, H))")

PATTERNS = {
    "int_size": Pattern(_INT_SIZE),
    "int_size_auto": Pattern(_INT_SIZE, dim_hint="AUTO"),
    # The same with `torch.export.Dim("height")` objects (torch.export's documented way to name dims): a judge's
    # reproduction of Kandinsky-6 SR's rotary embedding froze them.
    "int_size_named": Pattern(_INT_SIZE, dim_hint="NAMED"),
    "int_batch": Pattern(
        _model("b = int(x.size(0))\nreturn torch.cat([x, torch.zeros(b, 1, x.shape[2], x.shape[3])], 1)"),
        dynamic=("batch",),
    ),
    "math_ceil": Pattern(_model("H = math.ceil(x.shape[2] / 4) * 4\nreturn F.interpolate(x, size=(H, H))")),
    "math_sqrt": Pattern(_model("return x / math.sqrt(x.shape[3])")),
    "numpy_prod_plain": Pattern(
        _model("n = np.prod(x.shape[1:])\nreturn x.reshape(x.shape[0], n) * 2", imports="import numpy as np"),
        inputs=((2, 3, 8, 8),),
        requires=("numpy",),
    ),
    "numpy_prod": Pattern(
        _model("return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))", imports="import numpy as np"),
        requires=("numpy",),
    ),
    # `float()` and `int()` of a size in float math (kornia's clamps, the pixel-shuffle sizes of vision
    # towers, the token grid's side): what the dynamo exporter does with them under `Dim.DYNAMIC`.
    "float_size": Pattern(_FLOAT_SIZE),
    "float_size_auto": Pattern(_FLOAT_SIZE, dim_hint="AUTO"),
    "float_size_named": Pattern(_FLOAT_SIZE, dim_hint="NAMED"),
    "int_scaled_size": Pattern(_INT_SCALED),
    "int_scaled_size_auto": Pattern(_INT_SCALED, dim_hint="AUTO"),
    "int_scaled_slice": Pattern(_INT_SCALED_SLICE),
    "int_scaled_factory": Pattern(_INT_SCALED_FACTORY),
    "int_scaled_view": Pattern(_INT_SCALED_VIEW, inputs=((1, 4, 8, 16),), dynamic=("0:2",)),
    "int_scaled_view_auto": Pattern(_INT_SCALED_VIEW, inputs=((1, 4, 8, 16),), dynamic=("0:2",), dim_hint="AUTO"),
    "int_root_size": Pattern(_INT_ROOT, inputs=((1, 13, 3),), dynamic=("0:1",)),
    "int_ceil_size": Pattern(_INT_CEIL),
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
    Claim("int_size_named", "dynamo", None, "BAKED", note='Dim("name") objects: specialised silently'),
    Claim("int_batch", "dynamo", None, "BAKED", note="batch-1 example: specialised silently"),
    Claim("float_size", "legacy", 17, "BAKED"),
    Claim(
        "float_size", "dynamo", None, "ok", flagged=True, note="Dim.DYNAMIC: kept symbolic (strict-capture fallback)"
    ),
    Claim("float_size_auto", "dynamo", None, "BAKED", note="Dim.AUTO: specialised silently"),
    Claim("float_size_named", "dynamo", None, "BAKED", note='Dim("name") objects: specialised silently'),
    Claim("int_scaled_size", "dynamo", None, "BAKED", note="int() of a float from a size: frozen with Dim.DYNAMIC too"),
    Claim("int_scaled_size_auto", "dynamo", None, "BAKED", note="Dim.AUTO: specialised silently"),
    Claim(
        "int_scaled_slice", "dynamo", None, "BAKED", note="int() of a float from a size: frozen with Dim.DYNAMIC too"
    ),
    Claim(
        "int_scaled_factory", "dynamo", None, "BAKED", note="int() of a float from a size: frozen with Dim.DYNAMIC too"
    ),
    Claim(
        "int_scaled_view",
        "dynamo",
        None,
        "ok",
        flagged=True,
        note="a view/reshape size: kept symbolic with Dim.DYNAMIC (strict-capture fallback)",
    ),
    Claim("int_scaled_view_auto", "dynamo", None, "BAKED", note="Dim.AUTO: specialised silently"),
    Claim("int_root_size", "dynamo", None, "BAKED", note="int(n ** 0.5): frozen with Dim.DYNAMIC too"),
    Claim("int_ceil_size", "dynamo", None, "BAKED", note="int(math.ceil(h / p) * p): frozen with Dim.DYNAMIC too"),
    Claim("math_ceil", "legacy", 17, "BAKED"),
    Claim("math_ceil", "dynamo", None, "ok"),
    Claim("math_sqrt", "legacy", 17, "BAKED"),
    Claim("math_sqrt", "dynamo", None, "EXPORT"),
    Claim(
        "numpy_prod_plain", "dynamo", None, "ok", note="np.prod of symbolic sizes stays symbolic; int() of it does not"
    ),
    Claim("numpy_prod", "legacy", 17, "BAKED"),
    Claim("numpy_prod", "dynamo", None, "BAKED"),
    Claim("size_arithmetic", "legacy", 17, "ok"),
    Claim("size_arithmetic", "dynamo", None, "ok"),
    Claim("size_arithmetic_auto", "dynamo", None, "ok"),
]
