"""A failed stage's located explanation, time limits that name where the time went, and `--dynamic`
labels that keep unrelated dims apart, on tiny real models.

Real `torch.onnx.export` runs, real onnxruntime sessions and (where a stage fails) the real graph
layer's diagnosis.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onnxlint.core.modelspec import SpecError, spec_from_cli
from onnxlint.verify.pipeline import BAKED_SHAPE_CODE, EXPORT_ERROR_CODE, TIMEOUT_CODE, VerifyOptions, run_verify
from onnxlint.verify.report import Status, render_markdown, render_text

from . import verify_models as models

pytestmark = pytest.mark.export


def _spec(tmp_path: Path, source: str, inputs: list[str], dynamic: list[str]):
    path = tmp_path / "net.py"
    path.write_text(source, encoding="utf-8")
    return spec_from_cli(path, "Net()", inputs, dynamic, None)


# -- the why, located -----------------------------------------------------------------------------


def test_failed_parity_is_explained_by_the_branch_line_and_the_graph_diagnosis(tmp_path):
    spec = _spec(tmp_path, models.EVEN_FEATURE_MAP, ["1x3x64x64"], ["batch,height,width"])
    report = run_verify(spec, VerifyOptions(exporter="dynamo", lint=False))  # graph "auto": runs to explain
    text = render_text(report)

    parity = report.stage("parity")
    assert parity.status is Status.FAILED, text
    assert report.stage("graph").status is not Status.SKIPPED, text  # the diagnosis ran
    explained = parity.explained_by
    # First the verify layer's own finding at the branch the export took (line 14), then the graph
    # layer's finding about that branch.
    assert explained and explained[0].code == BAKED_SHAPE_CODE and explained[0].start.row == 14, explained
    assert any(f.origin == "graph" and f.start.row == 14 for f in explained), explained
    assert "why: " in text and "net.py:14" in text.split("parity with eager PyTorch", 1)[1]
    # onnxruntime's own error text is kept, as detail.
    assert "Reshape" in (parity.detail or "") or "Reshape" in (parity.reason or "")

    data = json.loads(json.dumps(report.to_json(), default=str))
    stage = next(s for s in data["stages"] if s["name"] == "parity")
    assert stage["explained_by"][0]["line"] == 14 and stage["explained_by"][0]["code"] == BAKED_SHAPE_CODE
    assert all("related" in f for f in data["findings"])
    assert "why: " in render_markdown(report)


def test_failed_export_is_explained_at_the_line_and_keeps_torch_text_as_detail(tmp_path):
    spec = _spec(tmp_path, models.BRANCH, ["1x3x4x4"], ["batch"])
    report = run_verify(spec, VerifyOptions(exporter="dynamo", lint=False))

    export = report.stage("export")
    assert export.status is Status.FAILED, render_text(report)
    first = export.explained_by[0]
    assert first.code == EXPORT_ERROR_CODE and first.start.row == 7 and Path(first.filename).name == "net.py"
    assert export.detail  # torch's error text, as detail


def test_related_locations_reach_the_json_report(tmp_path):
    # A library line (outside the model's folder) with the user's frame as related information: the
    # related location must be in the JSON report's findings, not only in the terminal text.
    import sys

    import torch  # noqa: F401  (imported before the load stage's 2 s limit starts)

    libraries = tmp_path / "site-packages"  # where a library lives: not the user's own code
    (libraries / "spinlib").mkdir(parents=True)
    (libraries / "spinlib" / "__init__.py").write_text("", encoding="utf-8")
    (libraries / "spinlib" / "ops.py").write_text(
        "def settle(y):\n    while True:\n        y = y * 1.0\n        if y.shape[0] < 0:\n            return y\n",
        encoding="utf-8",
    )
    project = tmp_path / "project"
    project.mkdir()
    source = (
        "import torch\n\nfrom spinlib.ops import settle\n\n\n"
        "class Net(torch.nn.Module):\n    def forward(self, x):\n        return settle(x + 1)\n"
    )
    spec = _spec(project, source, ["1x3x4x4"], ["batch"])
    sys.path.insert(0, str(libraries))
    try:
        report = run_verify(spec, VerifyOptions(exporter="legacy", graph="never", lint=False, stage_timeout=2))
    finally:
        sys.path.remove(str(libraries))
        sys.modules.pop("spinlib.ops", None)
        sys.modules.pop("spinlib", None)
    data = report.to_json()
    timeout = next(f for f in data["findings"] if f["code"] == TIMEOUT_CODE)
    assert timeout["filename"].endswith("ops.py") and timeout["line"] in (3, 4), timeout
    assert any(r["filename"].endswith("net.py") and r["line"] == 8 for r in timeout["related"]), timeout


# -- time limits: where the time went -------------------------------------------------------------


def test_time_limit_names_the_line_the_time_went_to_not_where_it_landed(tmp_path):
    import torch  # noqa: F401  (imported before the load stage's limit starts)

    spec = _spec(tmp_path, models.HOT_THEN_STUCK, ["1x3x4x4"], ["batch"])
    report = run_verify(spec, VerifyOptions(exporter="legacy", graph="never", lint=False, stage_timeout=3.5))

    export = report.stage("export")
    assert export.status is Status.FAILED and export.reason.startswith("time limit"), render_text(report)
    finding = next(f for f in report.findings if f.code == TIMEOUT_CODE)
    # Most samples were in the warm-up loop (line 9); the limit landed in the stuck loop (line 15),
    # which is related information.
    assert finding.start.row == 9 and "samples" in finding.message, finding
    assert any(r.start.row in (15, 16) and "samples here too" in r.message for r in finding.related), finding
    assert export.explained_by and export.explained_by[0].code == TIMEOUT_CODE


# -- --dynamic: dims that are the same, and dims that are not --------------------------------------


def test_unqualified_dynamic_name_is_one_label_per_input_when_the_sizes_differ(tmp_path):
    spec = _spec(tmp_path, models.ENCODER_DECODER, ["src=1x16:int64", "tgt=1x8:int64"], ["batch,sequence"])
    assert [dict(i.dynamic) for i in spec.inputs] == [
        {0: "batch", 1: "sequence_src"},
        {0: "batch", 1: "sequence_tgt"},
    ]
    # Same sizes: one label, as before (the dims are taken to be one size).
    same = _spec(tmp_path, models.ENCODER_DECODER, ["src=1x8:int64", "tgt=1x8:int64"], ["batch,sequence"])
    assert [dict(i.dynamic) for i in same.inputs] == [{0: "batch", 1: "sequence"}] * 2
    # Labels say which dims are the same, or not.
    labelled = _spec(
        tmp_path, models.ENCODER_DECODER, ["src=1x8:int64", "tgt=1x8:int64"], ["batch,src:1=source,tgt:sequence=target"]
    )
    assert [dict(i.dynamic) for i in labelled.inputs] == [{0: "batch", 1: "source"}, {0: "batch", 1: "target"}]
    with pytest.raises(SpecError, match="label"):
        _spec(tmp_path, models.ENCODER_DECODER, ["src=1x8:int64", "tgt=1x8:int64"], ["src:1=not a name"])


@pytest.mark.parametrize("exporter", ["legacy", "dynamo"])
def test_encoder_and_decoder_lengths_stay_apart_in_the_exported_file(tmp_path, exporter):
    spec = _spec(tmp_path, models.ENCODER_DECODER, ["src=1x16:int64", "tgt=1x8:int64"], ["batch,sequence"])
    report = run_verify(spec, VerifyOptions(exporter=exporter, graph="never", lint=False, extra_sizes=2))
    text = render_text(report)

    assert report.passed, text
    assert report.onnx is not None
    shapes = {i["name"]: i["shape"] for i in report.onnx.inputs}
    assert shapes["src"][1] != shapes["tgt"][1] and isinstance(shapes["src"][1], str), shapes
    assert shapes["src"][0] == shapes["tgt"][0] == "batch"
    # Each length was checked at another size on its own.
    checked = {p.dim for p in report.parity if p.dim}
    assert {"sequence_src", "sequence_tgt"} <= checked, [p.label for p in report.parity]


def test_keyword_passed_twice_is_tied_to_where_a_wrapper_adds_it(tmp_path):
    # transformers' config-defaults decorator in small: the TorchScript exporter passes `use_cache`
    # positionally, the wrapper adds it to **kwargs as well (line 9 of the library), and the call on
    # line 10 raises "got multiple values". The finding is at the library's call, the line that added
    # the keyword is related information.
    import sys

    import torch  # noqa: F401

    libraries = tmp_path / "site-packages"
    (libraries / "cfglib").mkdir(parents=True)
    (libraries / "cfglib" / "__init__.py").write_text("", encoding="utf-8")
    (libraries / "cfglib" / "defaults.py").write_text(
        "import functools\n\n\n"
        "def config_defaults(func):\n"
        "    @functools.wraps(func)\n"
        "    def wrapper(self, *args, **kwargs):\n"
        '        for name in ("use_cache",):\n'
        "            if kwargs.get(name) is None:\n"
        "                kwargs[name] = getattr(self, name, False)\n"
        "        return func(self, *args, **kwargs)\n\n"
        "    return wrapper\n",
        encoding="utf-8",
    )
    project = tmp_path / "project"
    project.mkdir()
    source = (
        "import torch\n\nfrom cfglib.defaults import config_defaults\n\n\n"
        "class Net(torch.nn.Module):\n    use_cache = True\n\n    @config_defaults\n"
        "    def forward(self, x, use_cache=None):\n        return x * 2 if use_cache else x\n"
    )
    spec = _spec(project, source, ["1x3"], ["batch"])
    sys.path.insert(0, str(libraries))
    try:
        report = run_verify(spec, VerifyOptions(exporter="legacy", graph="never", lint=False))
    finally:
        sys.path.remove(str(libraries))
        sys.modules.pop("cfglib.defaults", None)
        sys.modules.pop("cfglib", None)

    export = report.stage("export")
    assert export.status is Status.FAILED and "multiple values" in (export.reason or ""), render_text(report)
    finding = export.explained_by[0]
    assert finding.code == EXPORT_ERROR_CODE and finding.filename.endswith("defaults.py") and finding.start.row == 10
    # (the graph layer's reading of the error, onnxlint.graph.oracle, used as it is)
    assert [(r.start.row, "added the argument" in r.message) for r in finding.related] == [(9, True)], finding.related
    assert "multiple values" in (export.detail or "")  # the raw text stays, as detail
