"""Export scripts (ONX5xx): the cross-file export configuration, and the script-level claims
that a tiny model per rule cannot show (the seed call's `dynamic_axes` both ways, static
shapes, the TorchScript exporter's deprecation)."""

from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path

import pytest

from onnxlint import LintSettings, Selection, lint_source
from onnxlint.core.fixer import fix_source
from onnxlint.core.settings import ExportSite
from onnxlint.frontends.export_sites import export_sites_for

from ..conftest import run_onnxlint

WARP = "import torch.nn.functional as F\n\n\ndef warp(x, g):\n    return F.grid_sample(x, g)\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def _findings(root: Path, *paths: str) -> list[dict]:
    result = run_onnxlint("--isolated", "--format", "json", "--select", "ONX101", *(paths or (".",)), cwd=root)
    return json.loads(result.stdout)


# -- the cross-file export configuration (no torch needed) ----------------------------------------


def test_a_model_file_is_judged_by_the_export_script_that_imports_it(tmp_path):
    _write(
        tmp_path,
        {
            "model.py": WARP,
            "export.py": """
                import torch
                from model import Warp
                model = Warp().eval()
                torch.onnx.export(model, (x, g), "w.onnx", dynamo=False, opset_version=13)
            """,
        },
    )
    items = _findings(tmp_path)
    assert [(Path(i["filename"]).name, i["location"]["row"]) for i in items] == [("model.py", 5)]
    assert "as called at export.py:5" in items[0]["message"] and "opset 13" in items[0]["message"]
    # Alone, the model file is judged by the defaults (the dynamo exporter, which exports grid_sample).
    assert _findings(tmp_path, "model.py") == []


def test_packages_relative_imports_and_transitive_imports(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/blocks.py": WARP,
            "pkg/model.py": "from .blocks import warp\n\n\nclass Net:\n    pass\n",
            "pkg/tools/__init__.py": "",
            "pkg/tools/export.py": """
                import torch
                from ..model import Net
                torch.onnx.export(Net().eval(), (x, g), "w.onnx", dynamo=False, opset_version=11)
            """,
            "other/unrelated.py": WARP,
        },
    )
    files = sorted(tmp_path.rglob("*.py"))
    sites = export_sites_for(files, LintSettings(), lambda p: p.relative_to(tmp_path).as_posix())
    reached = {p.relative_to(tmp_path).as_posix(): s for p, s in sites.items()}
    assert set(reached) == {"pkg/model.py", "pkg/blocks.py"}
    assert reached["pkg/blocks.py"] == (ExportSite("pkg/tools/export.py:4", "legacy", 11),)
    items = _findings(tmp_path)
    assert [Path(i["filename"]).relative_to(tmp_path).as_posix() for i in items] == ["pkg/blocks.py"]


def test_scripts_that_disagree_leave_the_model_to_the_settings(tmp_path):
    _write(
        tmp_path,
        {
            "model.py": WARP,
            "export_old.py": "import torch\nimport model\ntorch.onnx.export(model.Warp(), x, 'a.onnx', dynamo=False, opset_version=11)\n",
            "export_new.py": "import torch\nimport model\ntorch.onnx.export(model.Warp(), x, 'b.onnx', dynamo=False, opset_version=17)\n",
        },
    )
    assert _findings(tmp_path) == []
    assert len(_findings(tmp_path, "model.py", "export_old.py")) == 1


def test_only_the_file_that_defines_the_exported_model_is_followed(tmp_path):
    _write(
        tmp_path,
        {
            "helpers.py": WARP,
            "model.py": WARP,
            "library_export.py": """
                import torch
                import helpers
                def export(model, path):
                    torch.onnx.export(model, (x, g), path, dynamo=False, opset_version=11)
            """,
            "export_local.py": """
                import torch
                import model
                class Wrapper(torch.nn.Module):
                    pass
                torch.onnx.export(Wrapper(), (x, g), "w.onnx", dynamo=False, opset_version=11)
            """,
            "export_defaults.py": "import torch\nfrom model import Warp\ntorch.onnx.export(Warp(), (x, g), 'w.onnx')\n",
        },
    )
    assert export_sites_for(sorted(tmp_path.glob("*.py")), LintSettings()) == {}


def test_lint_source_stays_a_function_of_text_and_settings():
    settings = LintSettings(selection=Selection(select=("ONX101",)))
    assert lint_source(WARP, "model.py", settings).findings == []
    imported = LintSettings(
        selection=Selection(select=("ONX101",)), export_sites=(ExportSite("export.py:9", "legacy", 12),)
    )
    findings = lint_source(WARP, "model.py", imported).findings
    assert len(findings) == 1 and "as called at export.py:9" in findings[0].message
    # A file's own export call wins over the scripts that import it.
    own = WARP + "\ntorch.onnx.export(m, x, 'w.onnx', dynamo=False, opset_version=16)\n"
    assert [f for f in lint_source("import torch\n" + own, "model.py", imported).findings if f.code == "ONX101"] == []


# -- what the export scripts' rules claim, measured --------------------------------------------------

_MODEL = """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True))
        self.pool = nn.MaxPool2d(2, 2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.out = nn.Conv2d(8, 1, 1)

    def forward(self, input):
        skip = self.down(input)
        return self.out(torch.cat([skip, self.up(self.pool(skip))], 1))
"""

_SEED_CALL = """
model = Net()
model.eval()
dummy_input = torch.randn(1, 3, 16, 16)
torch.onnx.export(
    model,
    dummy_input,
    PATH,
    export_params=True,
    opset_version=11,
    do_constant_folding=True,
    input_names=["input"],
    output_names=["output"],
    dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}},
)
"""


def _run_script(source: str, path: Path) -> list[str]:
    """Execute an export script (our own test code); return the warnings it raised."""
    import torch

    torch.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(source.replace("PATH", repr(str(path))), "<script>", "exec"), {"__name__": "script"})
    return [str(w.message) for w in caught]


def _graph(path: Path):
    import onnx

    proto = onnx.load(str(path))
    dims = [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in proto.graph.input]
    return [n.op_type for n in proto.graph.node], dims


def _outputs(path: Path, batch: int):
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(batch).standard_normal((batch, 3, 16, 16)).astype(np.float32)
    return session.run(None, {session.get_inputs()[0].name: x})[0]


@pytest.mark.export
def test_the_seed_call_exports_the_same_model_after_the_dynamic_shapes_migration(tmp_path):
    import numpy as np

    original = _MODEL + _SEED_CALL
    settings = LintSettings(selection=Selection(select=("ONX504",)))
    fixed = fix_source(original, "export.py", settings).text
    assert 'dynamic_shapes=({0: "batch_size"},)' in fixed and "dynamo=True" in fixed and "dynamic_axes" not in fixed

    before, after = tmp_path / "before.onnx", tmp_path / "after.onnx"
    warned = _run_script(original, before)
    assert any("'dynamic_axes' is not recommended when dynamo=True" in w for w in warned)
    assert not any("dynamic_axes" in w for w in _run_script(fixed, after))
    assert _graph(before) == _graph(after)
    assert _graph(after)[1] == [["batch_size", 3, 16, 16]]
    for batch in (1, 2, 3):
        np.testing.assert_allclose(_outputs(before, batch), _outputs(after, batch), rtol=1e-5, atol=1e-6)


@pytest.mark.export
def test_static_export_rejects_another_batch_and_the_torchscript_exporter_warns(tmp_path):
    import onnxruntime as ort

    path = tmp_path / "static.onnx"
    script = (
        _MODEL + "model = Net().eval()\ntorch.onnx.export(model, (torch.randn(1, 3, 16, 16),), PATH, dynamo=False)\n"
    )
    warned = _run_script(script, path)
    assert any("legacy TorchScript-based ONNX export" in w for w in warned)  # ONX505's premise
    assert _graph(path)[1] == [[1, 3, 16, 16]]  # ONX507's premise
    with pytest.raises(ort.capi.onnxruntime_pybind11_state.InvalidArgument, match="invalid dimensions"):
        _outputs(path, 2)
    findings = lint_source(script, "export.py", LintSettings(selection=Selection(select=("ONX505", "ONX507")))).findings
    assert sorted(f.code for f in findings) == ["ONX505", "ONX507"]
