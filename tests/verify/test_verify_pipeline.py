"""The verify pipeline on tiny real models: real exports, real onnx.checker, real onnxsim and onnxruntime.

Most tests use the TorchScript exporter (fast); the dynamo exporter where its behaviour differs
(data-dependent branches, stack traces on nodes, opsets below 18).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onnxlint.core.modelspec import spec_from_cli
from onnxlint.verify.pipeline import VerifyOptions, run_verify
from onnxlint.verify.report import Status, render_markdown, render_text

from . import verify_models as models

pytestmark = pytest.mark.export


def _spec(tmp_path: Path, source: str, model: str, inputs: list[str], dynamic: list[str], weights: Path | None = None):
    path = tmp_path / "net.py"
    path.write_text(source, encoding="utf-8")
    return spec_from_cli(path, model, inputs, dynamic, weights)


def _statuses(report) -> dict[str, str]:
    return {stage.name: stage.status.value for stage in report.ordered_stages()}


def test_clean_model_passes_every_stage(tmp_path):
    import onnx

    spec = _spec(tmp_path, models.CLEAN, "Net(channels=4)", ["1x3x8x8"], ["batch,height,width"])
    output = tmp_path / "out" / "net.onnx"
    report = run_verify(spec, VerifyOptions(exporter="legacy", opset=17, simplify=True, output=output))

    assert report.passed, render_text(report)
    assert _statuses(report) == {
        "lint": "passed",
        "load": "passed",
        "graph": "skipped",  # only run to explain a failure, by default
        "export": "passed",
        "checker": "passed",
        "simplify": "passed",
        "onnxruntime": "passed",
        "parity": "passed",
    }
    # The example and one more input per dynamic dim, each within tolerance.
    labels = [p.label for p in report.parity]
    # The batch grows to an odd prime; height and width to the next size up that keeps their divisibility.
    assert labels[:4] == ["example", "batch=3", "height=16", "width=16"]
    # and at most 6 sizes chosen to break assumptions: odd, prime, not multiples of 4 (no guards: legacy)
    assert {"height=7", "width=7", "height=6"} <= set(labels) and len(labels) <= 4 + 6
    assert all(p.why for p in report.parity[1:])
    assert all(p.max_abs is not None and p.max_abs < 1e-4 for p in report.parity)
    # The example was compared as the first row of the batch of 3 (one eager and onnxruntime run, not two).
    assert report.parity[0].compared_inside == "batch=3" and report.parity[0].seconds is None
    assert "the example as its first row" in report.parity[1].why
    summary = report.onnx
    assert summary is not None and summary.opset == 17
    assert summary.op_types == {"Conv": 1, "Relu": 1}  # BatchNorm folded into the convolution
    assert summary.inputs[0]["shape"] == ["batch", 3, "height", "width"]
    assert summary.size_bytes and summary.simplified_size_bytes
    written = onnx.load(str(output))  # the simplified model, checked again
    onnx.checker.check_model(written, full_check=True)
    assert len(written.graph.node) == summary.simplified_nodes

    data = json.loads(json.dumps(report.to_json()))
    assert data["passed"] is True
    assert [s["name"] for s in data["stages"]][:2] == ["lint", "load"]
    assert all(isinstance(s["seconds"], float) for s in data["stages"] if s["status"] == "passed")
    assert data["onnx"]["op_types"] == {"Conv": 1, "Relu": 1}
    markdown = render_markdown(report)
    assert "| onnx.checker (full_check) | passed |" in markdown and "| Conv | 1 | 1 |" in markdown


def test_export_error_is_tied_to_the_line(tmp_path):
    spec = _spec(tmp_path, models.BRANCH, "Net()", ["2x3x4x4"], ["batch"])
    report = run_verify(spec, VerifyOptions(exporter="dynamo", graph="never"))

    statuses = _statuses(report)
    assert statuses["export"] == "failed"
    assert {statuses[s] for s in ("checker", "onnxruntime", "parity")} == {"not run"}
    assert statuses["lint"] == "failed"  # ONX201 predicted it
    assert "data-dependent" in (report.stages["export"].reason or "")
    verify_findings = [f for f in report.findings if f.origin == "verify"]
    assert [(f.code, f.start.row) for f in verify_findings] == [("ONX801", 7)]
    assert "raised at" in (report.stages["export"].detail or "")


def test_checker_error(tmp_path):
    spec = _spec(tmp_path, models.BOOL_ADD, "Net()", ["2x3x4x4"], ["batch"])
    report = run_verify(spec, VerifyOptions(exporter="legacy", opset=17, graph="never"))

    statuses = _statuses(report)
    assert statuses["export"] == "passed"
    assert statuses["checker"] == "failed"
    assert "tensor(bool)" in (report.stages["checker"].reason or "")
    assert statuses["onnxruntime"] == "failed" and statuses["parity"] == "not run"
    assert not report.passed


def test_numeric_mismatch(tmp_path):
    spec = _spec(tmp_path, models.INDEX_ADD, "Net()", ["2x3x8"], ["batch"])
    report = run_verify(spec, VerifyOptions(exporter="legacy", opset=17, graph="never"))

    assert _statuses(report)["checker"] == "passed"
    assert _statuses(report)["parity"] == "failed"
    example = report.parity[0]
    assert example.label == "example" and example.kind == "numeric mismatch"
    assert example.max_abs is not None and example.max_abs > 0.1
    assert report.baked == []  # wrong at the example shape already: not a baked shape
    assert "numeric mismatch on example" in (report.stages["parity"].reason or "")


def test_baked_batch_dim_is_caught_by_the_second_shape_and_tied_to_its_line(tmp_path):
    spec = _spec(tmp_path, models.BAKED_BATCH, "Net()", ["1x3x4x4"], ["batch"])
    report = run_verify(spec, VerifyOptions(exporter="legacy", opset=17, graph="never"))

    example, second = report.parity
    # The batch of 3 failed, so the example (its first row) was compared on its own: right there.
    assert example.status is Status.PASSED and example.compared_inside is None and example.seconds is not None
    assert second.label == "batch=3" and second.status is Status.FAILED and second.kind == "baked shape"
    [baked] = report.baked
    assert baked.dim == "batch" and baked.how == "mis-computes"
    assert [(loc.line, loc.code.strip()) for loc in baked.locations] == [(7, "y = x.reshape(n, -1)")]
    assert "[1, -1] vs [3, -1]" in baked.locations[0].why
    # The line that read the size is a suspect (a static finding there, or the tracer's own warning).
    assert any(s.line == 6 for s in baked.suspects)
    assert any("net.py:6: TracerWarning" in note for note in report.stages["export"].notes)
    assert ("ONX802", 7) in [(f.code, f.start.row) for f in report.findings]
    text = render_text(report)
    assert "baked shape: dim 'batch' mis-computes" in text and "net.py:7: y = x.reshape(n, -1)" in text


def test_baked_batch_rejected_by_onnxruntime_is_tied_to_the_failing_node(tmp_path):
    """The dynamo exporter records each node's stack: onnxruntime's error names the node, the node names the line."""
    spec = _spec(tmp_path, models.BAKED_CONCAT, "Net()", ["1x3x4x4"], ["batch"])
    report = run_verify(spec, VerifyOptions(exporter="dynamo", graph="never"))

    [baked] = report.baked
    assert baked.dim == "batch" and baked.how == "rejects"
    assert "Concat" in baked.detail
    first = baked.locations[0]
    assert (first.line, first.code.strip()) == (8, "return torch.cat([x, pad], dim=1)")
    assert first.why.startswith("onnxruntime failed in Concat node")
    assert report.parity[1].error and "Non concat axis dimensions must match" in report.parity[1].error


def test_dynamo_opset_below_18_is_reported(tmp_path):
    """The seed article's opset_version=11: the dynamo exporter writes opset 18 without raising."""
    spec = _spec(tmp_path, models.UPSAMPLE, "Net()", ["1x3x8x8"], ["batch"])
    report = run_verify(spec, VerifyOptions(exporter="dynamo", opset=11, graph="never"))

    assert report.onnx is not None and report.onnx.opset == 18 and report.onnx.opset_requested == 11
    assert _statuses(report)["export"] == "failed"
    assert "opset 11 was requested but the file declares opset 18" in (report.stages["export"].reason or "")
    # The file itself is fine: the later stages ran and passed.
    assert _statuses(report)["parity"] == "passed"
    assert not report.passed


def test_free_cores_counts_idle_cores_now_not_this_process_past_load():
    """onnxruntime gets the cores idle at session time; a busy other process takes one away."""
    import multiprocessing
    import os
    import sys

    from onnxlint.verify.pipeline import _idle_cores_now, free_cores

    cores = os.cpu_count() or 1
    assert 1 <= free_cores() <= cores
    if not sys.platform.startswith("linux") or cores < 2:
        return
    idle = _idle_cores_now(cores, window=0.3)
    assert idle is not None and 0.0 <= idle <= cores
    busy = multiprocessing.get_context("spawn").Process(target=_spin, args=(3.0,))
    busy.start()
    try:
        import time

        time.sleep(1.0)  # let it start spinning
        busy_idle = _idle_cores_now(cores, window=0.5)
        assert busy_idle is not None
        # One core fewer, within noise; on a machine already busy there is no idle core to take.
        assert busy_idle <= max(idle - 0.5, 0.0) + 0.25
    finally:
        busy.join()


def _spin(seconds: float) -> None:
    import time

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


TWO_INPUTS = """
import torch


class Net(torch.nn.Module):
    def forward(self, x, scale):
        return x * scale.sum()
"""


def test_the_example_is_the_first_entries_of_the_larger_batch(tmp_path):
    import torch

    from onnxlint.verify.pipeline import Pipeline

    # `scale` has no dynamic dim: the batch set must use the example's own, or its first entry is no example.
    spec = _spec(tmp_path, TWO_INPUTS, "Net()", ["1x3", "3"], ["input:batch"])
    pipeline = Pipeline(spec, VerifyOptions(exporter="legacy", opset=17, graph="never", lint=False))
    report = pipeline.run()
    example, batch = pipeline.sets[0], pipeline.sets[1]
    assert batch.label.endswith("=3") and batch.dim is not None and example.inside_of == batch.label
    assert torch.equal(batch.tensors[0][:1], example.tensors[0]) and torch.equal(batch.tensors[1], example.tensors[1])
    second = spec.inputs[1].name
    assert (batch.arrays[second] == example.arrays[second]).all()
    assert report.passed and report.parity[0].compared_inside == batch.label
