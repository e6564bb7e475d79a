"""Are `.tolist()` values used as sizes frozen by the dynamo exporter? A measurement for ONX202 (issue 14).

    .venv/bin/python scripts/tolist_sizes_probe.py; /work/venv-t2141/bin/python scripts/tolist_sizes_probe.py

Two patterns of the vision-language models the judges disagreed on: split sizes from an integer
grid input (`torch.split(x, grid.prod(-1).tolist())`, Qwen-VL style) and view sizes from one row of
it (`t, h, w = grid[0].tolist(); x.view(t, h, w, -1)`). Each is exported with the dynamo exporter
(token dim dynamic, the grid input as it is), then run in onnxruntime with other grid values (the
image count unchanged) and compared with eager PyTorch.
"""

import logging
import warnings

import numpy as np
import onnxruntime as ort
import torch

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)


class Split(torch.nn.Module):  # qwen-style: split sizes from a grid tensor
    def forward(self, x, grid):
        sizes = grid.prod(-1).tolist()
        parts = torch.split(x, sizes, dim=0)
        return torch.stack([p.sum(0) for p in parts])


class View(torch.nn.Module):
    def forward(self, x, grid):
        t, h, w = grid[0].tolist()
        return x.view(t, h, w, -1).sum(0)


CASES = (
    (Split, lambda n_img, a, b: (torch.randn(n_img * a * b, 4), torch.tensor([[1, a, b]] * n_img))),
    (View, lambda n_img, a, b: (torch.randn(a * b, 4), torch.tensor([[1, a, b]]))),
)
for M, make in CASES:
    x, g = make(2, 2, 3)
    try:
        p = torch.onnx.export(M(), (x, g), dynamo=True, dynamic_shapes=({0: "n"}, None), verbose=False)
        s = ort.InferenceSession(p.model_proto.SerializeToString(), providers=["CPUExecutionProvider"])
        x2, g2 = make(2, 3, 5)
        got = s.run(None, {s.get_inputs()[0].name: x2.numpy(), s.get_inputs()[1].name: g2.numpy()})[0]
        exp = M()(x2, g2).numpy()
        print(
            M.__name__,
            "ok"
            if got.shape == exp.shape and np.allclose(got, exp, atol=1e-4)
            else f"WRONG {got.shape} vs {exp.shape}",
        )
    except Exception as e:
        print(M.__name__, "error:", str(e).splitlines()[0][:150])
