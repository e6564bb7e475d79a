"""`onnxlint export` through the real console entry point (a subprocess), and the weights it refuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import run_onnxlint
from . import verify_models as models

pytestmark = pytest.mark.export


def _model(tmp_path: Path, source: str = models.CLEAN) -> Path:
    path = tmp_path / "net.py"
    path.write_text(source, encoding="utf-8")
    return path


def test_export_command_json_report_and_files(tmp_path):
    path = _model(tmp_path)
    output, report = tmp_path / "net.onnx", tmp_path / "report.md"
    result = run_onnxlint(
        "export",
        str(path),
        "--model",
        "Net(channels=2)",
        "--input",
        "1x3x8x8",
        "--dynamic",
        "batch",
        "--exporter",
        "legacy",
        "--opset",
        "17",
        "-o",
        str(output),
        "--report",
        str(report),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["passed"] is True
    assert {s["name"]: s["status"] for s in data["stages"]}["parity"] == "passed"
    assert data["onnx"]["opset"] == 17 and data["onnx"]["size_bytes"] == output.stat().st_size
    assert [p["label"] for p in data["parity"]] == ["example", "batch=3"]  # the next odd prime batch
    assert data["model"]["constructor"] == "Net(channels=2)"
    assert report.read_text(encoding="utf-8").startswith("# onnxlint export report: Net(channels=2)")


def test_failing_stage_exits_1_and_usage_errors_exit_2(tmp_path):
    path = _model(tmp_path, models.BAKED_BATCH)
    failed = run_onnxlint(
        "export", str(path), "--model", "Net()", "--input", "1x3x4x4", "--dynamic", "batch", "--exporter", "legacy"
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "baked shape: dim 'batch' mis-computes" in failed.stdout
    assert "Failed: " in failed.stdout and "parity" in failed.stdout.split("Failed: ")[1]
    assert "Exported graph" not in failed.stdout  # the diagnostic export's verbose output stays hidden
    usage = run_onnxlint("export", str(path), "--model", "Net()")
    assert usage.returncode == 2 and "--input" in usage.stderr


def test_pickled_weights_are_refused_without_running_them(tmp_path):
    import torch

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    weights = tmp_path / "best_model.pth"
    torch.save({"conv.weight": Payload()}, weights)
    path = _model(tmp_path)
    result = run_onnxlint(
        "export", str(path), "--model", "Net()", "--input", "1x3x8x8", "--weights", str(weights), "--exporter", "legacy"
    )
    # Refused before the pipeline starts (docs/hardening.md, "Untrusted checkpoints"): exit 2, one line.
    assert result.returncode == 2, result.stdout + result.stderr
    assert not marker.exists(), "the pickle's code ran"
    assert result.stderr.startswith("onnxlint: error: ") and "weights_only=True was refused" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    # The file is really malicious: unpickling it without weights_only runs its code.
    torch.load(weights, weights_only=False)
    assert marker.exists()


def test_export_help_imports_no_torch():
    code = (
        "import sys\n"
        "from onnxlint.frontends.cli import main\n"
        "try:\n"
        "    main(['export', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'torch' not in sys.modules and 'onnx' not in sys.modules, 'imported torch or onnx'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--simplify" in result.stdout


def test_export_takes_the_model_from_the_config(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from onnxlint.frontends.cli import main

    _model(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.onnxlint]\n"
        'exporter = "legacy"\n'
        "opset = 17\n\n"
        "[[tool.onnxlint.models]]\n"
        'name = "net"\n'
        'entry = "net.py:Net"\n'
        "kwargs = { channels = 3 }\n"
        "inputs = [{ shape = [1, 3, 8, 8] }]\n"
        'dynamic = ["batch", "height"]\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["model"]["constructor"] == "Net(channels=3)"
    assert data["settings"]["exporter"] == "legacy" and data["onnx"]["opset"] == 17
    labels = [p["label"] for p in data["parity"]]
    assert labels[:3] == ["example", "batch=3", "height=16"]
    # Then sizes that break common assumptions (the TorchScript exporter records no guards): odd, prime...
    assert "height=7" in labels and "height=6" in labels and len(labels) <= 3 + 6
