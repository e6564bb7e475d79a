"""Guard-directed parity sizes, the validity domain and stage time limits, on tiny real models.

Real `torch.onnx.export` runs and onnxruntime sessions: the guards come from the exporter's own
ExportedProgram, the sizes are run in eager PyTorch and onnxruntime.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from onnxlint.core.modelspec import spec_from_cli
from onnxlint.graph.domain import Guard, boundary_sizes, validity_domain
from onnxlint.verify.pipeline import TIMEOUT_CODE, VerifyOptions, run_verify
from onnxlint.verify.report import Status, render_text

from ..conftest import run_onnxlint
from . import verify_models as models

pytestmark = pytest.mark.export


def _spec(tmp_path: Path, source: str, inputs: list[str], dynamic: list[str]):
    path = tmp_path / "net.py"
    path.write_text(source, encoding="utf-8")
    return spec_from_cli(path, "Net()", inputs, dynamic, None)


def _domain(report, name):
    return next(d for d in report.domains if d.name == name)


def test_even_feature_map_false_pass_now_fails(tmp_path):
    # Before guard-directed sizes the parity stage tried 2x3x64x64 and 1x3x128x128 (even feature
    # maps, where the traced branch is right) and passed a file that fails at 1x3x65x64.
    spec = _spec(tmp_path, models.EVEN_FEATURE_MAP, ["1x3x64x64"], ["batch,height,width"])
    report = run_verify(spec, VerifyOptions(exporter="dynamo", graph="never"))
    text = render_text(report)

    assert not report.passed, text
    assert report.stage("parity").status is Status.FAILED
    failed = [p for p in report.parity if p.status is Status.FAILED]
    assert failed and all(p.kind == "baked shape" for p in failed), text
    # The failing sizes were chosen to cross the parity guard, and the next sizes up passed.
    crossing = [p for p in failed if p.why.startswith("crosses ")]
    assert crossing and all(p.inside is False for p in crossing)
    assert {p.label for p in report.parity if p.why.startswith("the next")} <= {
        p.label for p in report.parity if p.status is Status.PASSED
    }
    height = _domain(report, "height")
    assert height.modulus == 4 and height.remainders == (0, 3), height.text()
    assert "mod 4" in height.text()
    assert any(how == "failed" for how in height.checked.values())
    # Tied to the branch the export took (line 14: the guard's recorded stack) and to the Reshape
    # that breaks (line 17: the failing node's stack).
    located = [(loc.line, loc.why) for loc in report.baked[0].locations]
    assert located[0][0] == 14 and located[0][1].startswith("the branch the export took"), located
    assert 17 in [line for line, _ in located]
    assert {14, 17} <= {f.start.row for f in report.findings if f.code == "ONX802"}, text
    assert "valid sizes" in text and "checked because: crosses" in text


def test_boundary_sizes_from_real_guards_cross_a_mod_guard(tmp_path):
    import torch

    from onnxlint.verify.exporting import export_model
    from onnxlint.verify.pipeline import build_seeded
    from onnxlint.verify.sizes import program_guards

    spec = _spec(tmp_path, models.MOD_GUARD, ["1x3x16x5"], ["height"])
    model = build_seeded(spec, 0).eval()
    outcome = export_model(model, (torch.randn(1, 3, 16, 5),), spec.inputs, exporter="dynamo", opset=None)
    assert outcome.error is None, outcome.error
    guards, dims, ranges = program_guards(outcome.program.exported_program, spec.inputs)
    assert any("Mod" in g.expr for g in guards), guards

    (height,) = validity_domain(guards, dims, ranges=ranges)
    assert (height.minimum, height.maximum, height.modulus, height.remainders) == (8, None, 4, (0,))
    assert height.text() == "multiples of 4 from 8"
    sizes = boundary_sizes([height], limit=6)
    assert len(sizes) <= 6
    crossing = [s for s in sizes if s.why.startswith("crosses") and "Mod" in s.why]
    assert crossing and all(s.size % 4 != 0 for s in crossing)  # the other side of the Mod guard
    assert any(s.inside and s.size != 16 for s in sizes)  # and a size back inside it
    assert any(s.why.startswith("crosses") and "height >= 8" in s.why and s.size == 7 for s in sizes), sizes

    # The pipeline checks those sizes; both branches compute the same numbers, so all pass.
    report = run_verify(spec, VerifyOptions(exporter="dynamo", graph="never", lint=False))
    assert report.passed, render_text(report)
    checked = _domain(report, "height").checked
    assert any(size % 4 for size in checked), checked


def test_domain_of_a_pinned_dim_and_a_relation():
    from types import SimpleNamespace as Dim

    dims = [
        Dim(name="batch", example=1, symbol=None),  # torch specialised it
        Dim(name="height", example=32, symbol="s1"),
        Dim(name="width", example=32, symbol="s2"),
        Dim(name="sequence", example=7, symbol="s3"),
    ]
    guards = [Guard("Eq(s3, 7)"), Guard("Eq(s1, s2)"), Guard("s1 <= 64"), "Ne(Mod(s2, 2), 1)"]
    batch, height, width, sequence = validity_domain(guards, dims, ranges={"s2": (2, None)})
    assert batch.one_size_only and "valid for one size only: 1" in batch.text()
    assert sequence.one_size_only and sequence.to_json()["one_size_only"] is True
    assert height.text() == "any from 1 to 64; with Eq(height, width)"
    assert width.text() == "multiples of 2 from 2; with Eq(height, width)"
    unknown = validity_domain([], dims[1:2], known=False)[0]
    assert not unknown.known and "TorchScript" in unknown.text()
    assert boundary_sizes([unknown], limit=1)[0].size == 31  # odd, prime, below the example


def test_size_eager_rejects_is_skipped_and_reported(tmp_path):
    spec = _spec(tmp_path, models.EVEN_ONLY, ["1x3x8x4"], ["height"])
    report = run_verify(spec, VerifyOptions(exporter="legacy", opset=17, graph="never", lint=False))
    text = render_text(report)

    assert report.passed, text
    skipped = [p for p in report.parity if p.status is Status.SKIPPED]
    assert skipped and all(p.kind == "eager rejects" and p.size % 2 for p in skipped), text
    assert any(p.status is Status.PASSED and p.dim == "height" for p in report.parity)
    notes = " ".join(report.stage("parity").notes)
    assert "eager PyTorch rejects them" in notes and skipped[0].label in notes
    assert "eager rejects" in _domain(report, "height").checked.values()
    assert "sizes checked: height" in (report.stage("parity").reason or "")


def test_json_report_carries_the_domain(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(models.MOD_GUARD, encoding="utf-8")
    result = run_onnxlint(
        "export", str(path), "--model", "Net()", "--input", "1x3x16x5", "--dynamic", "batch,height",
        "--no-lint", "--format", "json", "--extra-sizes", "3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    domains = {d["dim"]: d for d in data["domains"]}
    # Both branches compute the same numbers: the file is right outside the guards' domain too, and says so.
    assert domains["height"]["text"].startswith("multiples of 4 from 8; the file also passed at ")
    assert (domains["height"]["modulus"], domains["height"]["min"]) == (4, 8)
    assert domains["batch"]["text"] == "any >= 1" and not domains["batch"]["one_size_only"]
    assert domains["height"]["checked"]
    extra = [p for p in data["parity"] if p["why"] and not p["why"].startswith("the next")]
    assert 0 < len(extra) <= 3
    assert "extra_sizes_seconds" in data


def test_stage_past_its_time_limit_names_the_deepest_user_frame(tmp_path):
    spec = _spec(tmp_path, models.SPIN, ["1x3x4x4"], ["batch"])
    start = time.perf_counter()
    report = run_verify(spec, VerifyOptions(exporter="legacy", graph="never", lint=False, stage_timeout=2))
    elapsed = time.perf_counter() - start

    export = report.stage("export")
    assert export.status is Status.FAILED, render_text(report)
    assert export.reason.startswith("time limit: stopped after 2 s")
    assert "net.py:" in export.reason and "(settle)" in export.reason, export.reason  # in the loop
    assert report.stage("parity").status is Status.NOT_RUN
    finding = next(f for f in report.findings if f.code == TIMEOUT_CODE)
    assert Path(finding.filename).name == "net.py" and finding.start.row in (5, 6, 7), finding
    assert elapsed < 30


def test_guards_from_a_kernel_or_layout_choice_do_not_narrow_the_domain():
    from types import SimpleNamespace as Obj

    from onnxlint.graph.check import Frame

    conv = (
        Frame("/site/torch/_subclasses/fake_impls.py", 2166, "conv"),
        Frame("/site/torch/fx/experimental/symbolic_shapes.py", 8514, "evaluate_expr"),
    )
    user = (Frame("/home/me/net.py", 14, "forward"),)
    events = [
        Obj(kind="guard", expr="s77 <= 1", symbol=None, value=None, frames=conv),  # convnext's conv backend
        Obj(kind="guard", expr="Eq(Mod(s53, 2), 0)", symbol=None, value=None, frames=user),
    ]
    dims = [Obj(name="batch", example=1, symbol="s77"), Obj(name="height", example=64, symbol="s53")]
    # torch folded the layout guard into the batch's range as well, and kept it as a runtime assert.
    batch, height = validity_domain([*events, Guard("s77 <= 1", "assert")], dims, ranges={"s77": (0, 1)})
    assert batch.text() == "any >= 1" and not batch.one_size_only
    assert height.text() == "multiples of 2 from 2"
    assert height.guards[0].where == "/home/me/net.py:14"  # the branch's line, for the report


def test_a_per_input_batch_label_is_checked_as_a_batch():
    from types import SimpleNamespace as Dim

    # `--dynamic` names dims of one name whose example sizes differ per input (`batch_input_ids`): each is
    # still a batch, checked at small odd sizes near the example, not at a spatial dim's spread of sizes.
    dims = [Dim(name="batch_input_ids", example=8, symbol=None), Dim(name="sequence", example=8, symbol=None)]
    batch, sequence = validity_domain([], dims, known=False)
    assert [choice.size for choice in boundary_sizes([batch], limit=6)] == [7]  # odd and prime, near 8
    assert len(boundary_sizes([sequence], limit=6)) == 2  # another dim of that example: also an even non-multiple of 4


def test_a_range_without_a_guard_is_checked_inside_and_a_failure_there_refutes_it():
    from types import SimpleNamespace as Dim

    # kornia's KeyNet (dynamo, batch-1 example): the program's range constraints bound the batch to
    # [1, 2] with no guard to cross; the file fails at 2 all the same (a reshape baked the batch).
    [batch] = validity_domain([], [Dim(name="batch", example=1, symbol="s0")], ranges={"s0": (1, 2)})
    assert batch.text() == "any from 1 to 2"
    chosen = boundary_sizes([batch], limit=6, exclude={"batch": {3}})
    assert [(c.size, c.why) for c in chosen] == [(2, "another size inside the domain")]
    batch.checked.update({1: "passed", 2: "failed"})
    assert batch.refuted and batch.to_json()["refuted"] is True
    assert batch.text().endswith(
        "but the file failed at 2 (the guards do not describe it: valid only where checked, 1)"
    )
