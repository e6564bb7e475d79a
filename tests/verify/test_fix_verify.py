"""`--fix --verify`: fixes applied to a temporary copy, re-exported, compared with the ORIGINAL eager model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onnxlint.core.modelspec import spec_from_cli
from onnxlint.core.settings import LintSettings, Selection
from onnxlint.verify.fixverify import verify_fixes
from onnxlint.verify.pipeline import VerifyOptions
from onnxlint.verify.report import Status

from ..conftest import run_onnxlint
from . import verify_models as models

pytestmark = pytest.mark.export

WARP_ARGS = ("--model", "Warp()", "--input", "1x3x8x8", "--input", "1x6x7x2", "--dynamic", "batch")
# --no-graph: the graph layer's diagnosis of a failure is tested with `onnxlint export`. Only ONX101
# is selected, so that the baked `int(...)` of WARP_AND_BAKED stays whatever the catalogue learns to fix.
# ONX101's fix is unsafe (it changes numbers slightly outside bilinear/nearest with literal modes).
LEGACY_11 = ("--exporter", "legacy", "--opset", "11", "--no-graph", "--select", "ONX101", "--unsafe-fixes")
ONLY_ONX101 = LintSettings(selection=Selection(select=("ONX101",)))


def test_fix_verify_turns_a_failing_model_into_a_passing_one(tmp_path):
    path = tmp_path / "warp.py"
    path.write_text(models.WARP, encoding="utf-8")
    result = run_onnxlint("check", "--fix", "--verify", str(path), *WARP_ARGS, *LEGACY_11)

    assert result.returncode == 0, result.stdout + result.stderr
    fixed = path.read_text(encoding="utf-8")
    assert "def onnx_grid_sample(" in fixed and "return onnx_grid_sample(x, grid" in fixed
    assert "ONX101 [unsafe]" in result.stdout and "(hazard gone)" in result.stdout
    assert "original code: failed at torch.onnx.export: UnsupportedOperatorError" in result.stdout
    assert "fixed code:    passed" in result.stdout
    assert "fixed ONNX vs ORIGINAL eager model:" in result.stdout and "batch=3        passed" in result.stdout
    assert "Wrote 1 file(s)" in result.stdout


def test_fix_verify_json_is_one_json_document(tmp_path):
    """`check --fix --verify --format json` prints the verification as JSON, not the text report."""
    path = tmp_path / "warp.py"
    path.write_text(models.WARP, encoding="utf-8")
    result = run_onnxlint("check", "--fix", "--verify", "--format", "json", str(path), *WARP_ARGS, *LEGACY_11)

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["verified"] is True and [Path(p).name for p in report["written"]] == ["warp.py"]
    assert [(fix["code"], fix["applicability"], fix["hazard_gone"]) for fix in report["fixes"]] == [
        ("ONX101", "unsafe", True)
    ]
    export_stage = next(stage for stage in report["original"]["stages"] if stage["name"] == "export")
    assert export_stage["status"] == "failed"
    assert "def onnx_grid_sample(" in path.read_text(encoding="utf-8")


def test_failed_verification_leaves_the_file_byte_identical(tmp_path):
    path = tmp_path / "warp.py"
    original = models.WARP_AND_BAKED.replace("\n", "\r\n").encode("utf-8")  # CRLF: any rewrite would show
    path.write_bytes(original)
    before = path.stat().st_mtime_ns
    result = run_onnxlint("check", "--fix", "--verify", str(path), *WARP_ARGS, *LEGACY_11)

    assert result.returncode == 1, result.stdout + result.stderr
    assert path.read_bytes() == original and path.stat().st_mtime_ns == before
    assert "Nothing written: verification failed, the files are unchanged" in result.stdout
    assert "parity with eager PyTorch failed: baked shape on batch=3" in result.stdout
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left beside it


def test_fix_verification_reports_each_fix_and_the_numbers(tmp_path):
    path = tmp_path / "warp.py"
    path.write_text(models.WARP, encoding="utf-8")
    spec = spec_from_cli(path, "Warp()", ["1x3x8x8", "1x6x7x2"], ["batch"], None)
    options = VerifyOptions(exporter="legacy", opset=11, graph="never")
    outcome = verify_fixes([path], spec, ONLY_ONX101, options, unsafe_fixes=True, write_unverified=False)

    assert outcome.verified and len(outcome.written) == 1 and outcome.written[0].endswith("warp.py")
    [record] = outcome.fixes
    assert (record.code, record.line, record.applicability, record.hazard_gone) == ("ONX101", 7, "unsafe", True)
    assert outcome.original is not None and outcome.original.stages["export"].status is Status.FAILED
    assert outcome.fixed is not None and outcome.fixed.passed
    # The helper against F.grid_sample, both eager; and the fixed export against the original eager model.
    assert outcome.eager_max_abs is not None and outcome.eager_max_abs < 1e-5
    assert all(p.max_abs is not None and p.max_abs < 1e-4 for p in outcome.fixed.parity if p.status is Status.PASSED)
    assert all(p.status is not Status.FAILED for p in outcome.fixed.parity)
    # Reported against the user's file, not the temporary copy.
    assert outcome.fixed.model["source"].endswith("warp.py")
    assert "onnx_grid_sample" in path.read_text(encoding="utf-8")


def test_write_unverified_writes_and_says_so(tmp_path):
    path = tmp_path / "warp.py"
    path.write_text(models.WARP_AND_BAKED, encoding="utf-8")
    spec = spec_from_cli(path, "Warp()", ["1x3x8x8", "1x6x7x2"], ["batch"], None)
    options = VerifyOptions(exporter="legacy", opset=11, graph="never", locate_baked=False)
    outcome = verify_fixes([path], spec, ONLY_ONX101, options, unsafe_fixes=True, write_unverified=True)

    assert not outcome.verified
    assert outcome.written and "onnx_grid_sample" in path.read_text(encoding="utf-8")
    assert outcome.reason.startswith("written without verification (--write-unverified): parity with eager")
