"""ruff's command-line conventions that users carry over: rule families, empty paths."""

from __future__ import annotations

from ..conftest import FIXTURES, run_onnxlint


def test_rule_with_a_prefix_lists_the_family():
    result = run_onnxlint("rule", "ONX2")
    assert result.returncode == 0, result.stderr
    codes = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("ONX")]
    assert codes and all(code.startswith("ONX2") for code in codes)
    assert "ONX201" in codes and "tensor_condition" in result.stdout


def test_rule_with_an_unknown_prefix_is_an_error():
    result = run_onnxlint("rule", "ONX9")
    assert result.returncode == 2 and "no rule 'ONX9'" in result.stderr


def test_a_folder_without_python_files_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("not python\n")
    result = run_onnxlint(str(tmp_path))
    assert result.returncode == 0
    assert "No Python files found under the given path(s)" in result.stderr


GRID_SAMPLE = "import torch.nn.functional as F\n\n\ndef warp(x, g):\n    return F.grid_sample(x, g)\n"


def test_an_opset_the_dynamo_exporter_cannot_write_is_announced_and_judged_as_the_ceiling(tmp_path):
    (tmp_path / "warp.py").write_text(GRID_SAMPLE)
    asked = run_onnxlint("--isolated", "--opset", "15", "warp.py", cwd=tmp_path)
    assert asked.returncode == 1 and "ONX101" in asked.stdout, asked.stdout + asked.stderr
    assert "the dynamo exporter cannot write opset 15" in asked.stderr
    assert "opset 15 was asked for" in asked.stdout
    # GridSample converts down to 16: no finding, though the note still says what the exporter writes.
    sixteen = run_onnxlint("--isolated", "--opset", "16", "warp.py", cwd=tmp_path)
    assert sixteen.returncode == 0 and "cannot write opset 16" in sixteen.stderr, sixteen.stdout + sixteen.stderr
    native = run_onnxlint("--isolated", "--opset", "18", "warp.py", cwd=tmp_path)
    assert native.returncode == 0 and "cannot write" not in native.stderr


def test_the_configured_opset_is_a_ceiling_too(tmp_path):
    (tmp_path / "warp.py").write_text(GRID_SAMPLE)
    (tmp_path / "pyproject.toml").write_text("[tool.onnxlint]\nopset = 15\n")
    result = run_onnxlint("warp.py", cwd=tmp_path)
    assert result.returncode == 1 and "ONX101" in result.stdout
    assert "cannot write opset 15" in result.stderr


def test_the_summary_counts_findings_by_severity():
    import json
    from collections import Counter

    target = str(FIXTURES / "hazards")
    findings = json.loads(run_onnxlint("--isolated", "--format", "json", target).stdout)
    counts = Counter(finding["severity"] for finding in findings)
    assert counts["error"] and counts["warning"], counts
    summary = run_onnxlint("--isolated", target).stdout.strip().splitlines()[-1]
    expected = f"Found {counts['error']} errors, {counts['warning']} warnings and {counts['info']} notes"
    assert summary.startswith(expected if counts["info"] else expected.split(",")[0]), summary


def test_statistics_show_only_the_table_and_the_summary():
    result = run_onnxlint("--statistics", "--isolated", str(FIXTURES / "hazards"))
    lines = result.stdout.strip().splitlines()
    assert all("\t" in line for line in lines[:-1]) and lines[-1].startswith("Found "), result.stdout
    assert "\tONX000\t[ ] syntax-error" in result.stdout


def test_progress_is_drawn_only_on_a_terminal_and_only_for_long_runs(monkeypatch, capsys):
    from onnxlint.frontends import cli

    clock = iter([0.0, 0.5, 1.5, 1.55, 2.0])
    monkeypatch.setattr("time.monotonic", lambda: next(clock))
    line = cli._ProgressLine()
    line(1, 4)  # 0.5 s in: too early to draw
    line(2, 4)  # 1.5 s: drawn
    line(3, 4)  # 50 ms later: throttled
    line(4, 4)  # the last one is always drawn
    line.clear()
    err = capsys.readouterr().err
    assert "Linting 1/4" not in err and "Linting 2/4 files" in err and "3/4" not in err and "Linting 4/4" in err
    assert err.endswith("\r\x1b[2K")
    # Piped (as here, and in CI) there is no progress at all.
    assert not cli._show_progress(quiet=False)
