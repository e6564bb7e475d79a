"""The graph layer, for real: tiny models written here are traced with torch.export and checked.

Every graph check's own EXAMPLES run here too (code + line asserted), like the static rules'
VALID/INVALID cases in test_rules.py.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from onnxlint.core.engine import lint_source
from onnxlint.core.findings import Confidence
from onnxlint.core.modelspec import spec_from_cli
from onnxlint.core.settings import LintSettings, Selection
from onnxlint.graph import all_checks, analyze

from ..conftest import FIXTURES, run_onnxlint

pytestmark = pytest.mark.export

CHECKS = all_checks()


def _write(tmp_path: Path, source: str, name: str = "model.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return path


def _analyze(path: Path, model="Model()", inputs=("2x3x8x8",), dynamic=(), train=False, **settings):
    selection = Selection(extend_select=tuple(settings.pop("extend_select", ())))
    spec = spec_from_cli(path, model, inputs, dynamic, None, train=train)
    return analyze(spec, LintSettings(selection=selection, **settings), user_files=[str(path)])


def _cases():
    for code, check in CHECKS.items():
        for index, example in enumerate(check.EXAMPLES):
            yield pytest.param(check, example, id=f"{code}-{index}")


@pytest.mark.parametrize(("check", "example"), list(_cases()))
def test_graph_check_examples(tmp_path, check, example):
    path = _write(tmp_path, example.source, f"example_{check.code.lower()}.py")
    report = _analyze(path, example.model, example.inputs, example.dynamic, example.train, **example.settings)
    found = {(f.code, f.start.row) for f in report.findings}
    for expected in example.expect:
        assert expected in found, f"{check.code}: expected {expected}, got {sorted(found)}; failures {report.failures}"
    if not example.expect:
        own = {(c, r) for c, r in found if c == check.code or c in check.static_codes}
        assert not own, f"{check.code} must stay quiet here, found {own}"
    for finding in report.findings:
        assert finding.origin == "graph" and finding.confidence is Confidence.HIGH
        assert finding.filename == str(path), "graph findings point into the user's file, not torch"


def test_graph_check_contract():
    from onnxlint.core.rule import DOC_SECTIONS

    for code, check in CHECKS.items():
        assert code.startswith("ONX7") or code in ("ONX201", "ONX202")
        assert not [s for s in DOC_SECTIONS if not check.doc_sections().get(s)], code
        assert check.EXAMPLES and check.applies_to and not check.message.endswith(".")


# -- capture failures, one per kind ------------------------------------------------------------


def test_data_dependent_branch_is_onx201_at_the_if(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = torch.nn.Linear(3, 3)

            def forward(self, x):
                y = self.proj(x)
                if y.mean() > 0:
                    y = y * 2
                return y
        """,
    )
    report = _analyze(path, inputs=("2x3",))
    assert report.capture == "failed"
    [finding] = [f for f in report.findings if f.code == "ONX201"]
    assert finding.start.row == 11
    assert "data-dependent" in finding.message and "GuardOnDataDependentSymNode" in finding.message


def test_unsupported_python_is_onx701_at_the_call(tmp_path):
    path = _write(
        tmp_path,
        """
        import zlib

        import torch


        def checksum(t):
            return zlib.crc32(t.detach().numpy().tobytes())


        class Model(torch.nn.Module):
            def forward(self, x):
                return x + checksum(x) % 7
        """,
    )
    report = _analyze(path, inputs=("2x3",))
    [finding] = [f for f in report.findings if f.code == "ONX701"]
    assert finding.start.row == 7, "the innermost line of the user's code, inside the helper"
    assert "numpy" in finding.message


def test_dim_specialised_by_python_shape_arithmetic_points_at_the_line(tmp_path):
    path = _write(
        tmp_path,
        """
        import math

        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                b, c, h, w = x.shape
                tokens = x.flatten(2)
                side = int(math.sqrt(tokens.shape[-1]))
                return tokens.reshape(b, c, side, side)
        """,
    )
    report = _analyze(path, inputs=("2x3x16x16",), dynamic=("batch", "height", "width"))
    assert report.capture == "export-nonstrict"
    rows = {f.start.row for f in report.findings if f.code == "ONX703"}
    assert rows == {10}, [(f.code, f.start.row, f.message) for f in report.findings]
    message = next(f.message for f in report.findings if f.code == "ONX703")
    assert "declared dynamic" in message


def test_batch_one_example_guard_eq_batch_1_is_reported_at_its_line(tmp_path):
    """`len(x)` with a batch-1 example: no error, a guard Eq(batch, 1), a graph baked to batch 1
    (harness row shape_len in docs/ground-truth.md: BAKED under dynamo)."""
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = torch.nn.Conv2d(3, 4, 1)

            def forward(self, x):
                y = self.conv(x)
                scale = float(len(x))
                return y / scale
        """,
    )
    report = _analyze(path, inputs=("1x3x4x4",), dynamic=("batch",))
    assert report.capture == "export-nonstrict"
    guard = [f for f in report.findings if f.code == "ONX703"]
    assert [f.start.row for f in guard] == [11], [(f.code, f.start.row, f.message) for f in report.findings]
    assert "Eq(batch, 1)" in guard[0].message
    assert any(f.code == "ONX704" for f in report.findings), "and the size-1 example is warned about"


def test_expand_of_a_size_one_tensor_to_the_batch_is_not_a_pin(tmp_path):
    """The guard Eq(batch, 1) from an `expand` leaves the program general (measured on timm's ViT:
    its ONNX model runs at batch 2 and 3), so only the size-1 example is warned about."""
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.token = torch.nn.Parameter(torch.zeros(1, 1, 8))

            def forward(self, x):
                token = self.token.expand(x.shape[0], -1, -1)
                return torch.cat([token, x], 1)
        """,
    )
    report = _analyze(path, inputs=("1x5x8",), dynamic=("batch",))
    assert [f.code for f in report.findings] == ["ONX704"], [(f.code, f.message) for f in report.findings]


def test_op_finding_is_narrowed_to_the_call_on_the_line(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.relu(x) + x.cumprod(1)
        """,
    )
    report = _analyze(path, inputs=("2x3",))
    [finding] = [f for f in report.findings if f.code == "ONX705"]
    assert (finding.start.row, finding.start.column) == (6, 32)
    assert "cumprod" in finding.message and "opset 20" in finding.message


# -- merging with the static layer --------------------------------------------------------------


def test_graph_confirms_the_static_finding_on_the_same_line(tmp_path):
    source = """
    import torch


    class Model(torch.nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                return x * 2
            return x
    """
    path = _write(tmp_path, source)
    static = lint_source(path.read_text(), str(path), LintSettings()).findings
    assert [(f.code, f.start.row) for f in static] == [("ONX201", 6)]
    spec = spec_from_cli(path, "Model()", ["2x3"], [], None)
    report = analyze(spec, LintSettings(), static_findings=static, user_files=[str(path)])
    [merged] = [f for f in report.findings if f.code == "ONX201"]
    assert merged.confidence is Confidence.HIGH
    assert merged.origin == "static" and merged.message.endswith("(confirmed by tracing)")
    assert (merged.start, merged.end) == (static[0].start, static[0].end)


def test_noqa_silences_graph_findings(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                return x.cumprod(1)  # noqa: ONX705
        """,
    )
    assert not [f for f in _analyze(path, inputs=("2x3",)).findings if f.code == "ONX705"]


def test_ignore_selector_drops_graph_findings(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                return x + torch.rand_like(x)
        """,
    )
    spec = spec_from_cli(path, "Model()", ["2x3"], [], None)
    report = analyze(spec, LintSettings(selection=Selection(ignore=("ONX708",))), user_files=[str(path)])
    assert not report.findings
    assert report.capture == "export-nonstrict" and report.op_counts.get("aten.rand_like.default") == 1


def test_target_profile_restriction_is_reported(tmp_path):
    """A real profile with a restriction on `cumsum`, run through the real capture and check."""
    from onnxlint.core.modelspec import build_model, make_inputs
    from onnxlint.graph.capture import capture
    from onnxlint.graph.checks.target_restricted_op import TargetRestrictedOp
    from onnxlint.knowledge import runtimes

    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                return x.cumsum(1)
        """,
    )
    profile = runtimes.TargetProfile(
        "test-runtime",
        "a runtime without CumSum",
        {
            "cumsum": runtimes.Restriction(
                "cumsum", "CumSum is not supported", runtimes.Source("doc", "test"), ops=("cumsum",)
            )
        },
    )
    spec = spec_from_cli(path, "Model()", ["2x3"], [], None)
    result = capture(spec, build_model(spec), make_inputs(spec.inputs), export_config=None, target=profile)
    [issue] = list(TargetRestrictedOp().run(result))
    assert "CumSum is not supported" in issue.message and issue.frames[-1].line == 6


def test_tensorrt_profile_merges_the_traced_op_with_the_static_onx601(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F


        class Model(torch.nn.Module):
            def forward(self, x):
                return F.interpolate(x, scale_factor=2, mode="bicubic")
        """,
    )
    static = lint_source(path.read_text(), str(path), LintSettings(target="tensorrt")).findings
    spec = spec_from_cli(path, "Model()", ["2x3x8x8"], [], None)
    report = analyze(spec, LintSettings(target="tensorrt"), user_files=[str(path)], static_findings=static)
    onx601 = [f for f in report.findings if f.code == "ONX601"]
    assert len(onx601) == 1 and onx601[0].start.row == 7 and onx601[0].confidence is Confidence.HIGH


def test_dunder_ops_are_found_in_the_torchscript_registry(tmp_path):
    """`a & b` traces to aten.__and__, which the TorchScript exporter registers as `aten::__and_`."""
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                return x * ((x > 0) & (x < 1))
        """,
    )
    report = _analyze(path, exporter="legacy", opset=11)
    assert not [f for f in report.findings if f.code == "ONX705"], report.findings


# -- the command line ---------------------------------------------------------------------------


def test_cli_prints_static_and_graph_findings_together(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Net(torch.nn.Module):
            def __init__(self, width=4):
                super().__init__()
                self.conv = torch.nn.Conv2d(3, width, 3, padding=1)
                self.bn = torch.nn.BatchNorm2d(width)

            def forward(self, x):
                y = self.bn(self.conv(x))
                if y.sum() > 0:
                    y = y * 2
                return y
        """,
    )
    result = run_onnxlint(
        str(path), "--model", "Net(width=4)", "--input", "1x3x8x8", "--dynamic", "batch", "--train-mode",
        "--format", "json", "--isolated",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    found = {(f["code"], f["location"]["row"], f["confidence"], f["origin"]) for f in json.loads(result.stdout)}
    assert ("ONX201", 12, "high", "static") in found, found  # confirmed by tracing
    assert ("ONX704", 4, "high", "graph") in found, found
    assert "traced Net" in result.stderr


def test_cli_refuses_a_pickled_model_as_weights(tmp_path):
    import torch

    path = _write(
        tmp_path,
        """
        import torch


        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(3, 3)

            def forward(self, x):
                return self.fc(x)
        """,
    )
    weights = tmp_path / "full.pth"
    torch.save(torch.nn.Linear(3, 3), weights)
    result = run_onnxlint(str(path), "--model", "Net()", "--input", "2x3", "--weights", str(weights), "--isolated")
    assert result.returncode == 2
    assert "weights_only=True" in result.stderr and "state_dict()" in result.stderr


def test_configured_models_are_traced_with_graph(tmp_path):
    _write(
        tmp_path,
        """
        import torch


        class Net(torch.nn.Module):
            def forward(self, x):
                return x.cumprod(1)
        """,
        "net.py",
    )
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.onnxlint]
            [[tool.onnxlint.models]]
            entry = "net.py:Net"
            inputs = [{ shape = [2, 3] }]
            """
        )
    )
    result = run_onnxlint("net.py", "--graph", "--format", "concise", cwd=tmp_path)
    assert "net.py:6:16: ONX705" in result.stdout, result.stdout + result.stderr
    # The configuration alone is no consent to run code: without --graph the model is not traced, and the
    # run says so.
    plain = run_onnxlint("net.py", cwd=tmp_path)
    assert "ONX705" not in plain.stdout and "pass --graph to trace them" in plain.stderr
    skipped = run_onnxlint("net.py", "--no-graph", cwd=tmp_path)
    assert "ONX705" not in skipped.stdout and "traced" not in skipped.stderr


# -- the bundled NestedUNet ---------------------------------------------------------------------


@pytest.mark.slow
def test_nested_unet_traces_with_dynamic_batch_height_width():
    path = FIXTURES / "nested_unet" / "model.py"
    spec = spec_from_cli(path, "NestedUNet(num_classes=2)", ["1x3x256x256"], ["batch,height,width"], None)
    report = analyze(spec, LintSettings(), user_files=[str(path)])
    assert report.capture == "export-nonstrict"
    assert report.op_counts["aten.conv2d.default"] == 31
    # The model itself is clean for the dynamo exporter; the batch-1 example is warned about.
    assert [(f.code, f.start.row) for f in report.findings] == [("ONX704", 28)]
