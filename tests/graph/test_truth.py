"""The graph layer tells the truth (issue 16): the exporter's context, guards judged by running the graph,
the exporter's own decompositions, the cause of a call's argument clash, a static capture for the
TorchScript exporter. Real torch.export / torch.onnx.export runs of tiny models; nothing is mocked."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from onnxlint.core.findings import Severity
from onnxlint.core.modelspec import build_model, spec_from_cli
from onnxlint.core.settings import LintSettings
from onnxlint.graph import analyze

pytestmark = pytest.mark.export
torch = pytest.importorskip("torch")  # the lean wheel's test run collects this file too


def _write(folder: Path, source: str, name: str = "model.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return path


def _analyze(path: Path, inputs=("2x3",), dynamic=(), model=None, **settings):
    spec = spec_from_cli(path, "Model()", inputs, dynamic, None, train=False)
    return analyze(spec, LintSettings(**settings), model=model, user_files=[str(path)], timeout=120.0)


def _show(report) -> list[tuple[str, str, int, str]]:
    return [(f.code, f.severity.value, f.start.row, f.message) for f in report.findings]


# -- the exporter's context -------------------------------------------------------------------------

ONNX_BRANCH = """
import torch

SEEN = []


class Model(torch.nn.Module):
    def forward(self, x):
        SEEN.append(torch.onnx.is_in_onnx_export())
        if torch.onnx.is_in_onnx_export():
            return x * 2
        return x[:, :, : int(x.shape[2])] * 2
"""


@pytest.mark.parametrize(("exporter", "opset"), [("dynamo", None), ("legacy", 17)])
def test_the_capture_runs_inside_the_exporters_context(tmp_path, exporter, opset):
    """`torch.onnx.is_in_onnx_export()` is True while the exporter traces (kornia's pyramid, smp's PSPNet
    branch on it): the capture sees it True too, so it judges the branch the export takes, and the flag
    is False again afterwards."""
    path = _write(tmp_path, ONNX_BRANCH)
    spec = spec_from_cli(path, "Model()", ["1x3x8x8"], ["batch", "height"], None, train=False)
    model = build_model(spec)
    settings = {"exporter": exporter, **({"opset": opset} if opset else {})}
    report = _analyze(path, ("1x3x8x8",), ("batch", "height"), model=model, **settings)
    seen = sys.modules[type(model).__module__].SEEN
    assert seen and all(seen), seen
    assert not torch.onnx.is_in_onnx_export()
    assert not [f for f in report.findings if f.code == "ONX703"], _show(report)


def test_outside_the_exporters_context_the_eager_branch_would_be_reported(tmp_path):
    """The eager side of the same model specialises the height (`int(x.shape[2])`): an error when traced."""
    path = _write(tmp_path, ONNX_BRANCH.replace("torch.onnx.is_in_onnx_export():\n", "False:\n", 1))
    report = _analyze(path, ("1x3x8x8",), ("batch", "height"))
    assert [(f.code, f.severity) for f in report.findings if f.code == "ONX703"] == [("ONX703", Severity.ERROR)]


# -- a guard pinning a declared dim, judged by running the graph past it ------------------------------

PIN = """
import torch


class Model(torch.nn.Module):
    def forward(self, x):
        if x.shape[0] == 1:
            return x * 2
        return {other}
"""


def test_a_pin_the_graph_does_not_depend_on_is_info(tmp_path):
    """`Eq(batch, 1)` recorded, but both sides compute the same: the graph run at batch 2 matches eager."""
    path = _write(tmp_path, PIN.format(other="x + x"))
    report = _analyze(path, ("1x3x4",), ("batch",))
    [pin] = [f for f in report.findings if f.code == "ONX703"]
    assert pin.severity is Severity.INFO and pin.start.row == 6, _show(report)
    assert "at batch=2 the exported graph computes what the eager model computes" in pin.message
    assert pin.extra["checked"] == "same"


def test_a_pin_the_graph_depends_on_is_an_error_with_what_differs(tmp_path):
    path = _write(tmp_path, PIN.format(other="x * 3"))
    report = _analyze(path, ("1x3x4",), ("batch",))
    [pin] = [f for f in report.findings if f.code == "ONX703"]
    assert pin.severity is Severity.ERROR and pin.start.row == 6, _show(report)
    assert "at batch=2 the exported graph differs from the eager model" in pin.message
    assert pin.extra["checked"] == "differs"


def test_a_pin_the_model_itself_needs_is_a_warning(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                torch._check(x.shape[0] == 1)
                return x * 2
        """,
    )
    report = _analyze(path, ("1x3x4",), ("batch",))
    pins = [f for f in report.findings if f.code == "ONX703"]
    assert [(f.severity, f.start.row) for f in pins] == [(Severity.WARNING, 6)], _show(report)
    assert "the eager model fails too" in pins[0].message


# -- the exporter's own decompositions ----------------------------------------------------------------


def test_a_size_the_exporters_decomposition_bakes_is_reported_at_the_line(tmp_path):
    """`F.interpolate(mode="area")` is `adaptive_avg_pool2d`, which the dynamo exporter decomposes into an
    `avg_pool2d` whose kernel is the example's size (`Eq(height//2, 4)`): the capture is clean, the ONNX
    graph is wrong at other sizes (smp's PSPNet under `is_in_onnx_export()`)."""
    path = _write(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F


        class Model(torch.nn.Module):
            def forward(self, x):
                y = F.interpolate(x, size=(2, 2), mode="area")
                return F.interpolate(y, size=x.shape[2:], mode="bilinear", align_corners=True)
        """,
    )
    report = _analyze(path, ("1x3x8x8",), ("height", "width"))
    pins = [f for f in report.findings if f.code == "ONX703"]
    assert pins and {f.start.row for f in pins} == {7}, _show(report)
    assert all(f.severity is Severity.ERROR for f in pins)
    assert "decomposition" in pins[0].message and "differs from the eager model" in pins[0].message


# -- the TorchScript exporter ---------------------------------------------------------------------------


def test_an_argument_passed_twice_is_reported_where_it_was_added(tmp_path):
    """transformers' `merge_with_config_defaults`: a decorator adds a keyword the TorchScript exporter also
    passes positionally (it fills in forward's defaults): the call fails in the wrapper, the cause is the
    line that wrote the keyword."""
    path = _write(
        tmp_path,
        """
        import functools

        import torch


        def with_defaults(func):
            @functools.wraps(func)
            def wrapper(self, *args, **kwargs):
                for name in ("scale",):
                    kwargs[name] = 2.0
                return call(func, self, *args, **kwargs)

            return wrapper


        def call(func, *args, **kwargs):
            return func(*args, **kwargs)


        class Model(torch.nn.Module):
            @with_defaults
            def forward(self, x, scale=None):
                return x * scale
        """,
    )
    report = _analyze(path, ("2x3",), exporter="legacy", opset=17)
    [failure] = [f for f in report.findings if f.code == "ONX711"]
    assert failure.start.row == 10, _show(report)
    assert "got multiple values for argument 'scale'" in failure.message
    assert [(r.start.row, r.message) for r in failure.related] == [(17, "the call that receives the argument twice")]


def test_the_torchscript_exporter_is_judged_by_its_own_tracer_not_by_torch_export_guards(tmp_path):
    """`len(x)` with a batch-1 example is a guard `Eq(batch, 1)` for torch.export (ONX703 with the dynamo
    exporter) and a TracerWarning for the TorchScript tracer (ONX712): with `--exporter legacy` only the
    latter, from the real TorchScript export; the torch.export capture is static (the op-level checks)."""
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                return x / float(len(x))
        """,
    )
    dynamo = _analyze(path, ("1x3x4",), ("batch",))
    assert [(f.code, f.start.row) for f in dynamo.findings if f.code == "ONX703"] == [("ONX703", 6)], _show(dynamo)
    legacy = _analyze(path, ("1x3x4",), ("batch",), exporter="legacy", opset=17)
    assert not [f for f in legacy.findings if f.code == "ONX703"], _show(legacy)
    assert [f.start.row for f in legacy.findings if f.code == "ONX712"] == [6], _show(legacy)
    assert legacy.capture == "export-nonstrict"
    [size_one] = [f for f in legacy.findings if f.code == "ONX704"]
    assert "TorchScript tracer" in size_one.message and "ONX703" not in size_one.message
