"""Which ways of writing size arithmetic keep a dynamic dim dynamic: measured, not assumed.

For each form (a square root of a token count, a ceiling or floor quotient of a height), a tiny
model uses the result as a shape; it is exported with `torch.onnx.export` (the dynamo exporter
with `Dim.DYNAMIC`, and the TorchScript exporter with `dynamic_axes`) at one size, then run in
onnxruntime at that size and at another and compared with eager PyTorch. The table backs the
"Fix safety" sections of ONX301 (rules/size_converted_to_python_number.py) and docs/fixes.md.

    .venv/bin/python scripts/fix_size_forms.py            # torch 2.13 (the dev venv)
    /work/venv-t2141/bin/python scripts/fix_size_forms.py  # torch 2.14.1
"""

from __future__ import annotations

import contextlib
import io
import math
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

SQRT_FORMS: dict[str, Callable[[int], int]] = {
    "int(math.sqrt(n))": lambda n: int(math.sqrt(n)),
    "int(n ** 0.5)": lambda n: int(n**0.5),
    "math.floor(n ** 0.5)": lambda n: math.floor(n**0.5),
    "math.floor(math.sqrt(n))": lambda n: math.floor(math.sqrt(n)),
    "math.isqrt(n)": lambda n: math.isqrt(n),
    "round(n ** 0.5)": lambda n: round(n**0.5),
    "torch.sym_int(n ** 0.5)": lambda n: torch.sym_int(n**0.5),
    "torch.sym_int(torch.sym_sqrt(n))": lambda n: torch.sym_int(torch.sym_sqrt(n)),
}
DIVISION_FORMS: dict[str, Callable[[int], int]] = {
    "math.ceil(h / 4)": lambda h: math.ceil(h / 4),
    "(h + 4 - 1) // 4": lambda h: (h + 4 - 1) // 4,
    "-(-h // 4)": lambda h: -(-h // 4),
    "math.floor(h / 4)": lambda h: math.floor(h / 4),
    "int(h / 4)": lambda h: int(h / 4),
    "h // 4": lambda h: h // 4,
}


class _Tokens(torch.nn.Module):
    """(batch, n, c) tokens back to a square grid: the size is a square root of a dynamic dim."""

    def __init__(self, form: Callable[[int], int]) -> None:
        super().__init__()
        self.form = form

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        side = self.form(n)
        return x.reshape(b, side, side, c).permute(0, 3, 1, 2).mean(2)


class _Rows(torch.nn.Module):
    """The first `form(h)` rows of an image: the size is a quotient of a dynamic dim."""

    def __init__(self, form: Callable[[int], int]) -> None:
        super().__init__()
        self.form = form

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, : self.form(x.shape[2])] * 2


def measure(model: torch.nn.Module, dims: dict[int, str], shapes: list[tuple[int, ...]], dynamo: bool) -> str:
    path = Path(tempfile.mkdtemp()) / "m.onnx"
    example = torch.randn(*shapes[0])
    quiet = io.StringIO()
    try:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if dynamo:
                spec = {axis: torch.export.Dim.DYNAMIC for axis in dims}
                torch.onnx.export(model, (example,), str(path), dynamo=True, dynamic_shapes=(spec,))
            else:
                torch.onnx.export(
                    model,
                    (example,),
                    str(path),
                    dynamo=False,
                    input_names=["x"],
                    dynamic_axes={"x": dims},
                    opset_version=17,
                )
    except Exception as error:
        return f"export fails ({type(error).__name__})"
    options = ort.SessionOptions()
    options.log_severity_level = 4
    session = ort.InferenceSession(str(path), options)
    results = []
    for shape in shapes:
        x = torch.randn(*shape)
        label = "x".join(map(str, shape))
        try:
            got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        except Exception:
            results.append(f"{label}: onnxruntime error")
            continue
        want = model(x).detach().numpy()
        same = got.shape == want.shape and np.allclose(got, want, atol=1e-5)
        results.append(f"{label}: {'match' if same else 'MISMATCH'}")
    return ", ".join(results)


def main() -> int:
    print(f"torch {torch.__version__}, onnxruntime {ort.__version__}")
    print("| form | exporter | result (exported at the first size) |\n|---|---|---|")
    cases = [(form, _Tokens(f), {0: "batch", 1: "n"}, [(2, 16, 3), (3, 64, 3)]) for form, f in SQRT_FORMS.items()]
    cases += [
        (form, _Rows(f), {0: "batch", 2: "height"}, [(1, 2, 8, 5), (2, 2, 13, 5)]) for form, f in DIVISION_FORMS.items()
    ]
    for form, model, dims, shapes in cases:
        for dynamo in (True, False):
            outcome = measure(model.eval(), dims, shapes, dynamo)
            print(f"| `{form}` | {'dynamo' if dynamo else 'TorchScript'} | {outcome} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
