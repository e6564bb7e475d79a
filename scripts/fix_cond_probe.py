"""Does `torch.cond` export to ONNX `If` and run in onnxruntime? A measurement for issue 15's `torch.cond` fix.

    .venv/bin/python scripts/fix_cond_probe.py; /work/venv-t2141/bin/python scripts/fix_cond_probe.py

A data-dependent branch (`if x.sum() > 0: y = self.a(x) * 2 else: y = self.b(x) - 1`) written with
`torch.cond`, exported with the dynamo exporter (dynamic batch), checked for an `If` node, and run
in onnxruntime on inputs that take each branch; compared with eager PyTorch.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch


class Branchy(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(4, 4)
        self.b = torch.nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def positive(x: torch.Tensor) -> torch.Tensor:
            return self.a(x) * 2

        def negative(x: torch.Tensor) -> torch.Tensor:
            return self.b(x) - 1

        return torch.cond(x.sum() > 0, positive, negative, (x,))


def main() -> int:
    torch.manual_seed(0)
    model = Branchy().eval()
    path = Path(tempfile.mkdtemp()) / "cond.onnx"
    quiet = io.StringIO()
    try:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, (torch.ones(2, 4),), str(path), dynamo=True, dynamic_shapes=({0: torch.export.Dim.DYNAMIC},)
            )
    except Exception as error:
        print(f"torch {torch.__version__}: export failed: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
        return 1
    ops = sorted({node.op_type for node in onnx.load(str(path)).graph.node})
    session = ort.InferenceSession(str(path))
    results = []
    for label, x in (("positive", torch.ones(3, 4)), ("negative", -torch.ones(5, 4))):
        got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        with torch.no_grad():
            want = model(x).numpy()
        results.append(f"{label} batch {x.shape[0]}: {'match' if np.allclose(got, want, atol=1e-5) else 'MISMATCH'}")
    print(f"torch {torch.__version__}: exported, ops {ops}; {'; '.join(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
