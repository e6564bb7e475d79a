"""Confidence that ranks: what a finding rests on decides its level, and the default hides LOW."""

from __future__ import annotations

import json
import textwrap

from onnxlint.core.engine import lint_source
from onnxlint.core.settings import LintSettings

from ..conftest import run_onnxlint

MODEL = textwrap.dedent(
    """
    import torch


    class Net(torch.nn.Module):
        def forward(self, x, y: torch.Tensor):
            if x.sum() > 0:
                x = x * 2
            if y.sum() > 0:
                y = y * 2
            return x + y
    """
)
REBOUND = textwrap.dedent(
    """
    import torch


    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(3, 3)

        def forward(self, x):
            x = self.proj(x)
            if x.sum() > 0:
                x = x * 2
            return x
    """
)


def _confidences(source: str, level: str = "low") -> dict[int, str]:
    findings = lint_source(source, "m.py", LintSettings(confidence=level)).findings
    return {f.start.row: f.confidence.value for f in findings if f.code == "ONX201"}


def test_a_proven_value_in_model_code_is_high_an_assumed_one_medium():
    # Line 7 reads `x`, an unannotated forward parameter (assumed a tensor); line 9 reads `y: torch.Tensor`.
    assert _confidences(MODEL) == {7: "medium", 9: "high"}


def test_a_parameter_rebound_to_a_modules_output_is_proven():
    assert _confidences(REBOUND) == {12: "high"}


def test_the_level_asked_for_hides_what_is_below_it():
    assert _confidences(MODEL, "high") == {9: "high"}
    assert _confidences(MODEL, "medium") == {7: "medium", 9: "high"}


def test_the_cli_and_the_config_choose_the_level_and_json_carries_it(tmp_path):
    (tmp_path / "net.py").write_text(MODEL)
    strict = run_onnxlint(
        "--isolated", "--no-cache", "--confidence", "high", "--format", "json", "net.py", cwd=tmp_path
    )
    assert [(f["location"]["row"], f["confidence"]) for f in json.loads(strict.stdout)] == [(9, "high")]
    default = run_onnxlint("--isolated", "--no-cache", "--format", "json", "net.py", cwd=tmp_path)
    assert sorted(f["confidence"] for f in json.loads(default.stdout)) == ["high", "medium"]
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nconfidence = "high"\n')
    configured = run_onnxlint("--no-cache", "--format", "sarif", "net.py", cwd=tmp_path)
    [result] = json.loads(configured.stdout)["runs"][0]["results"]
    assert result["properties"]["confidence"] == "high"
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nconfidence = "sure"\n')
    assert run_onnxlint("--no-cache", "net.py", cwd=tmp_path).returncode == 2


def test_the_editor_shows_low_findings_as_hints():
    import pytest

    pytest.importorskip("pygls")
    from dataclasses import replace

    from lsprotocol import types

    from onnxlint.core.findings import Confidence
    from onnxlint.frontends.server import PositionMapper, to_diagnostic

    [finding] = [f for f in lint_source(MODEL, "m.py", LintSettings()).findings if f.start.row == 9]
    mapper = PositionMapper(MODEL, "utf-16")
    assert to_diagnostic(finding, mapper, 1).severity is not types.DiagnosticSeverity.Hint
    low = replace(finding, confidence=Confidence.LOW)
    assert to_diagnostic(low, mapper, 1).severity is types.DiagnosticSeverity.Hint
