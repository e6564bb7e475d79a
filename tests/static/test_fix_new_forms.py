"""The fixes of issue 15's "fixes for the real failures", proven at sizes on both sides of each condition.

tests/static/test_safe_fix_parity.py runs every PARITY case at the example shape and at doubled
sizes; a pad-to-a-multiple or a square root needs other sizes than those to be exercised (a
doubled multiple of 4 is still one). Here each fixed model is exported for real at one size,
run in onnxruntime at sizes where the condition is true and where it is false (odd, even,
multiples and not, squares), and compared with the ORIGINAL model in eager PyTorch. Where the
original export is known to be wrong at another size, that is asserted too: the fix matters.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from onnxlint.core.fixer import fix_source
from onnxlint.core.registry import all_rules
from onnxlint.core.settings import LintSettings, Selection

RULES = all_rules()


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    source: str
    dims: dict[int, str]
    shapes: tuple[tuple[int, ...], ...]  # the first is the export example
    exporters: tuple[str, ...] = ("dynamo", "legacy")
    unsafe: bool = False
    original_wrong_with: tuple[str, ...] = ()  # exporters whose export of the ORIGINAL fails at some shape
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return textwrap.dedent(self.source).lstrip("\n")


CASES = [
    Case(
        "pad_to_multiple",
        "ONX302",
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                h, w = x.shape[2], x.shape[3]
                if h % 4 != 0 or w % 4 != 0:
                    x = F.pad(x, (0, (4 - w % 4) % 4, 0, (4 - h % 4) % 4))
                return F.avg_pool2d(x, 4) * 2
        """,
        {0: "batch", 2: "height", 3: "width"},
        ((1, 3, 8, 8), (2, 3, 11, 9), (1, 3, 12, 16), (1, 3, 13, 8)),
        original_wrong_with=("dynamo", "legacy"),
    ),
    Case(
        "swin_patch_pad",
        "ONX302",
        """
        import torch
        import torch.nn.functional as F
        from torch import nn

        class Model(torch.nn.Module):
            def forward(self, x):
                _, _, height, width = x.shape
                if width % 4 != 0:
                    pad_values = (0, 4 - width % 4)
                    x = nn.functional.pad(x, pad_values)
                if height % 4 != 0:
                    pad_values = (0, 0, 0, 4 - height % 4)
                    x = nn.functional.pad(x, pad_values)
                if (height % 2 == 1) or (width % 2 == 1):
                    x = nn.functional.pad(x, (0, 0, 0, width % 2, 0, height % 2))
                return F.avg_pool2d(x, 4) * 2
        """,
        {0: "batch", 2: "height", 3: "width"},
        ((1, 3, 8, 8), (2, 3, 11, 9), (1, 3, 12, 16), (1, 3, 13, 8)),
        original_wrong_with=("dynamo", "legacy"),
    ),
    Case(
        "tracing_fast_path",
        "ONX302",
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.table = torch.nn.Parameter(torch.randn(1, 3, 8, 8))

            def forward(self, x):
                h, w = x.shape[2], x.shape[3]
                if not torch.jit.is_tracing() and h == 8 and w == 8:
                    return x + self.table
                return x + F.interpolate(self.table, size=(h, w), mode="bicubic", align_corners=False)
        """,
        {0: "batch", 2: "height", 3: "width"},
        ((1, 3, 8, 8), (2, 3, 12, 10), (1, 3, 8, 8)),
        unsafe=True,
        original_wrong_with=("dynamo",),
    ),
    Case(
        "int_of_quotient",
        "ONX301",
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                b, c, h, w = x.shape
                return F.interpolate(x, size=(int(h / 2), int((w + 1) / 2) * 2))
        """,
        {0: "batch", 2: "height", 3: "width"},
        ((1, 3, 9, 11), (2, 3, 14, 8), (1, 3, 7, 5)),
        original_wrong_with=("legacy",),
        settings={"exporter": "legacy"},
    ),
    Case(
        "sqrt_of_token_count",
        "ONX301",
        """
        import math
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                b, n, c = x.shape
                side = int(math.sqrt(n))
                return x.reshape(b, side, side, c).permute(0, 3, 1, 2).mean(2)
        """,
        {0: "batch", 1: "tokens"},
        ((2, 16, 3), (3, 64, 3), (1, 9, 3)),
        exporters=("dynamo",),
        original_wrong_with=("dynamo",),
        settings={"confidence": "low"},  # the side of a square grid: reported at `low`
    ),
]


def _load(path: Path, text: str):
    path.write_text(text, encoding="utf-8")
    name = f"_fix_case_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _outcomes(model, reference, case: Case, exporter: str, path: Path) -> list[str]:
    """Export `model` at the first shape, run every shape in onnxruntime, compare with `reference`."""
    import numpy as np
    import onnxruntime as ort
    import torch

    example = torch.randn(*case.shapes[0])
    quiet = io.StringIO()
    try:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if exporter == "dynamo":
                spec = {axis: torch.export.Dim.DYNAMIC for axis in case.dims}
                torch.onnx.export(model, (example,), str(path), dynamo=True, dynamic_shapes=(spec,))
            else:
                torch.onnx.export(
                    model,
                    (example,),
                    str(path),
                    dynamo=False,
                    input_names=["x"],
                    dynamic_axes={"x": case.dims},
                    opset_version=17,
                )
    except Exception as error:
        return [f"export failed: {type(error).__name__}"] * len(case.shapes)
    options = ort.SessionOptions()
    options.log_severity_level = 4
    session = ort.InferenceSession(str(path), options)
    outcomes = []
    generator = torch.Generator().manual_seed(0)
    for shape in case.shapes:
        x = torch.randn(*shape, generator=generator)
        try:
            got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        except Exception:
            outcomes.append(f"{shape}: onnxruntime failed")
            continue
        with torch.no_grad():
            want = reference(x).numpy()
        same = got.shape == want.shape and bool(np.allclose(got, want, atol=1e-4, rtol=1e-4))
        outcomes.append("match" if same else f"{shape}: mismatch")
    return outcomes


@pytest.mark.export
@pytest.mark.parametrize(
    ("case", "exporter"),
    [pytest.param(c, e, id=f"{c.name}-{e}") for c in CASES for e in c.exporters],
)
def test_fixed_export_matches_the_original_at_every_size(case: Case, exporter: str, tmp_path: Path) -> None:
    import torch

    rule = RULES[case.code]
    settings = LintSettings(selection=Selection(select=(case.code,)), **case.settings)
    fixed = fix_source(case.text, "case.py", settings, unsafe_fixes=case.unsafe, rules=[rule])
    assert fixed.fixed_count > 0 and fixed.text != case.text, f"{case.code} did not fix:\n{case.text}"
    torch.manual_seed(0)
    original = _load(tmp_path / "original.py", case.text).Model().eval()
    torch.manual_seed(0)
    repaired = _load(tmp_path / "fixed.py", fixed.text).Model().eval()

    outcomes = _outcomes(repaired, original, case, exporter, tmp_path / "fixed.onnx")
    assert outcomes == ["match"] * len(case.shapes), f"{outcomes}\n--- fixed ---\n{fixed.text}"
    if exporter in case.original_wrong_with:
        before = _outcomes(original, original, case, exporter, tmp_path / "original.onnx")
        assert before != ["match"] * len(case.shapes), "the original already exported right: the case proves nothing"
