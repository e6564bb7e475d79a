"""The tested torch range: facts per torch version, the saved measurements, the private-API guard.

Most of these need no torch: the claims and facts per version are data, the saved measurements
(docs/measured/torch-*.json) are files, and the private-API scan reads the source. The ones
marked `export` check the guard against the installed torch.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from onnxlint import LintSettings, Selection, lint_source
from onnxlint.core.registry import all_rules
from onnxlint.core.rule import Claim, TorchChange
from onnxlint.knowledge import torch_info
from onnxlint.knowledge.exporters import OP_REQUIREMENTS, TORCH_CHANGES, requirement

from ..conftest import REPO

TESTED = torch_info.TESTED_TORCH


@pytest.fixture
def installed_torch(monkeypatch):
    """Pretend another torch is installed (what torch_info reads from the package metadata)."""

    def use(version: str | None) -> None:
        monkeypatch.setattr(torch_info, "_installed_version", lambda: version)
        torch_info.installed_torch_version.cache_clear()

    yield use
    torch_info.installed_torch_version.cache_clear()


# -- the tested range ---------------------------------------------------------------------------


def test_tested_range_is_ordered_and_starts_at_the_pinned_torch():
    assert TESTED[0] == torch_info.PINNED_TORCH_VERSION
    assert list(TESTED) == sorted(TESTED, key=torch_info.version_tuple)
    assert len(set(TESTED)) == len(TESTED)
    constraints = (REPO / "constraints.txt").read_text(encoding="utf-8")
    assert f"torch=={torch_info.PINNED_TORCH_VERSION}\n" in constraints


@pytest.mark.parametrize(
    ("installed", "facts"),
    [
        ("2.12.1", "2.13.0"),
        ("2.13.0+cpu", "2.13.0"),
        ("2.14.0", "2.13.0"),
        ("2.14.1+cu130", "2.14.1"),
        ("2.15.0", "2.15.0"),
        ("2.15.1", "2.15.0"),
        ("2.16.0.dev20260101+cpu", "2.15.0"),
    ],
)
def test_facts_version_is_the_newest_tested_release_not_newer_than_the_installed(installed, facts):
    assert torch_info.facts_version(installed) == facts


def test_without_torch_the_pinned_facts_apply(installed_torch):
    installed_torch(None)
    assert torch_info.facts_version() == torch_info.PINNED_TORCH_VERSION
    installed_torch("2.15.0+cpu")
    assert torch_info.facts_version() == "2.15.0"


def test_untested_torch_gets_one_warning_line(installed_torch, capsys):
    for version in ("2.13.0+cpu", "2.14.1", "2.15.0", None):
        assert torch_info.untested_torch_warning(version) is None
    message = torch_info.untested_torch_warning("2.16.0")
    assert message is not None and "\n" not in message
    assert "2.16.0" in message and "2.13.0 to 2.15.0" in message
    assert "2.13.0 to 2.15.0" in torch_info.untested_torch_warning("2.12.0")

    installed_torch("2.16.0")
    torch_info._WARNED.clear()
    torch_info.warn_if_untested()
    torch_info.warn_if_untested()  # once per process
    assert capsys.readouterr().err.count("outside the tested range") == 1
    torch_info._WARNED.clear()


# -- facts per version: claims and the requirements rules decide with --------------------------


def _changes():
    for code, rule in all_rules().items():
        for claim in rule.MEASURED:
            for change in claim.changed:
                yield code, claim, change


def test_every_change_names_a_tested_torch_in_order():
    for code, claim, change in _changes():
        assert change.torch in TESTED[1:], f"{code} {claim.pattern}: {change.torch} is not a later tested torch"
        order = [torch_info.version_tuple(c.torch) for c in claim.changed]
        assert order == sorted(order), f"{code} {claim.pattern}: changes out of order"
    for key, changes in TORCH_CHANGES.items():
        assert key in OP_REQUIREMENTS, key
        for since, fields in changes:
            assert since in TESTED[1:], (key, since)
            assert set(fields) <= set(OP_REQUIREMENTS[key].__dataclass_fields__), (key, fields)


def test_claim_for_torch_applies_the_changes_from_their_release_on():
    claim = Claim("p", "legacy", 10, "EXPORT", changed=(TorchChange("2.15.0", "ok", opset_written=10),))
    assert claim.for_torch("2.13.0") is claim
    assert claim.for_torch("2.14.1").outcome == "EXPORT"
    on_new = claim.for_torch("2.15.0")
    assert (on_new.outcome, on_new.expects_finding, on_new.opset_written) == ("ok", False, 10)
    assert claim.for_torch("2.99.0").outcome == "ok"  # past the newest tested: the newest facts
    assert claim.for_torch("2.12.0").outcome == "EXPORT"  # older than the oldest: the pinned facts


def test_requirement_follows_the_installed_torch(installed_torch):
    assert requirement("index_put.number_fill", "2.14.1").legacy_min_opset == 11
    assert requirement("index_put.number_fill", "2.15.0").legacy_min_opset == 9
    assert requirement("index_put", "2.15.0").legacy_min_opset == 11
    installed_torch("2.15.0+cpu")
    assert requirement("index_put.number_fill").legacy_min_opset == 9
    installed_torch(None)  # the static layer without torch lints for the pinned torch
    assert requirement("index_put.number_fill").legacy_min_opset == 11


_ONX403_CASES = {
    "y[y < 0] = 0": {"2.13.0": True, "2.14.1": True, "2.15.0": False},
    "y[torch.tensor([0])] = -1.5": {"2.13.0": True, "2.14.1": True, "2.15.0": False},
    "y[y < 0] = float('-inf')": {"2.13.0": True, "2.14.1": True, "2.15.0": False},
    "y[y < 0] = x[y < 0] * 0.1": {"2.13.0": True, "2.14.1": True, "2.15.0": True},
    "y[:, 0] = 0": {"2.13.0": True, "2.14.1": True, "2.15.0": True},
    "y[y < 0] += 1": {"2.13.0": True, "2.14.1": True, "2.15.0": True},
    "y[y > 0] = True": {"2.13.0": True, "2.14.1": True, "2.15.0": True},  # a bool: ORT-LOAD at opset 10 on 2.15
}


@pytest.mark.parametrize("statement", list(_ONX403_CASES))
@pytest.mark.parametrize("version", TESTED)
def test_onx403_follows_the_installed_torch(installed_torch, statement, version):
    installed_torch(version)
    source = f"import torch\nclass M(torch.nn.Module):\n    def forward(self, x):\n        y = x.clone()\n        {statement}\n        return y\n"
    settings = LintSettings(selection=Selection(select=("ONX403",)), exporter="legacy", opset=10)
    flagged = any(f.code == "ONX403" for f in lint_source(source, "m.py", settings).findings)
    assert flagged is _ONX403_CASES[statement][version]
    below_nine = LintSettings(selection=Selection(select=("ONX403",)), exporter="legacy", opset=8)
    assert any(f.code == "ONX403" for f in lint_source(source, "m.py", below_nine).findings)  # Where is opset 9


# -- the saved measurements and the generated section -------------------------------------------


def _results():
    from onnxlint.measure import load_results

    return load_results(REPO / "docs" / "measured")


def test_every_tested_torch_has_saved_measurements_that_support_the_claims():
    results = _results()
    assert set(results) == set(TESTED), f"docs/measured has {sorted(results)}; run the measure tool per tested torch"
    claims = {
        (code, c.pattern, c.exporter, c.opset, c.runtime): c
        for code, rule in all_rules().items()
        for c in rule.MEASURED
    }
    for version, document in results.items():
        assert torch_info.version_tuple(document["torch"]) == torch_info.version_tuple(version)
        for record in document["claims"]:
            key = (record["rule"], record["pattern"], record["exporter"], record["opset"], record["runtime"])
            claim = claims.get(key)
            if claim is None or not record["measured"]:
                continue  # a claim since removed, or one whose module was missing there
            expected = claim.for_torch(version)
            assert record["outcome"] == expected.outcome, f"torch {version}: {key} measured {record['outcome']}"
            if expected.opset_written is not None:
                assert record["opset_written"] == expected.opset_written, f"torch {version}: {key}"


def test_measurements_doc_ends_with_the_generated_versions_section():
    from onnxlint.measure import VERSIONS_HEADING, render_versions_section

    text = (REPO / "docs" / "measurements.md").read_text(encoding="utf-8")
    assert VERSIONS_HEADING in text
    section = VERSIONS_HEADING + text.split(VERSIONS_HEADING, 1)[1]
    assert section == render_versions_section(_results()), (
        "docs/measurements.md is stale: python -m onnxlint.measure --versions-report"
    )


def test_versions_report_needs_no_torch_and_rewrites_only_its_section(tmp_path):
    from onnxlint.measure import main

    doc = tmp_path / "measurements.md"
    doc.write_text(
        "# Measured export behaviour\n\n| table |\n\n## Differences by torch version\n\nold\n", encoding="utf-8"
    )
    assert main(["--versions-report", "--output", str(doc), "--results", str(REPO / "docs" / "measured")]) == 0
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Measured export behaviour\n\n| table |\n\n## Differences by torch version\n")
    assert "\nold\n" not in text and "| 2.15.0 |" in text


# -- the private-API guard ----------------------------------------------------------------------

PRIVATE_HOME = "linter/knowledge/torch_private.py"


def _is_private(parts: list[str]) -> bool:
    """torch.a._b, torch._c, torch.fx.experimental.x: private or experimental torch (dunders are public)."""
    return any((part.startswith("_") and not part.startswith("__")) or part == "experimental" for part in parts)


def _torch_private_accesses(tree: ast.AST) -> list[str]:
    """`import torch._x`, `from torch.a._b import c`, `torch._x`, `torch.fx.experimental`: private torch."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "torch":
            if _is_private(node.module.split(".")[1:] + [alias.name for alias in node.names]):
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "torch" and _is_private(parts[1:]):
                    found.append(f"import {alias.name}")
        elif isinstance(node, ast.Attribute):
            chain = []
            current: ast.AST = node
            while isinstance(current, ast.Attribute):
                chain.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name) and current.id == "torch" and _is_private(chain):
                found.append("torch." + ".".join(reversed(chain)))
    return found


def _linter_files():
    for folder in ("linter", "rules"):
        yield from sorted((REPO / folder).rglob("*.py"))


def test_no_private_torch_api_is_reached_outside_torch_private():
    offenders = []
    for path in _linter_files():
        relative = path.relative_to(REPO).as_posix()
        if relative == PRIVATE_HOME:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{relative}: {access}" for access in _torch_private_accesses(tree)]
        offenders += [
            f"{relative}: .{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr in ("_schema", "_overloadname", "_graph_module")
            and not isinstance(node.ctx, ast.Store)
        ]
    assert not offenders, "use onnxlint.knowledge.torch_private.private():\n" + "\n".join(offenders)


def test_every_private_call_names_a_listed_api():
    from onnxlint.knowledge.torch_private import PRIVATE_APIS, PRIVATE_ATTRIBUTES

    listed = {(module, attribute) for module, attribute, _ in PRIVATE_APIS}
    attributes = {(owner, attribute) for owner, attribute, _ in PRIVATE_ATTRIBUTES}
    calls = 0
    for path in _linter_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            arguments = [a.value if isinstance(a, ast.Constant) else a for a in node.args]
            if node.func.id == "private":
                calls += 1
                module = arguments[0]
                if isinstance(module, ast.JoinedStr):  # symbolic_opset{N}: optional, looked up with a default
                    assert any(k.arg == "default" for k in node.keywords), ast.unparse(node)
                    continue
                attribute = arguments[1] if len(arguments) > 1 else None
                assert (module, attribute) in listed, f"{path.name}: private({module!r}, {attribute!r}) not listed"
            elif node.func.id == "private_attribute":
                assert (arguments[2], arguments[1]) in attributes, f"{path.name}: {ast.unparse(node)} not listed"
    assert calls >= 10


def test_a_missing_private_api_is_one_line_naming_it_the_installed_torch_and_the_range(installed_torch):
    from onnxlint.knowledge.torch_private import TorchPrivateAPIError, private

    installed_torch("2.16.0")
    with pytest.raises(TorchPrivateAPIError) as raised:
        private("torch.onnx._internal.exporter._no_such_module", "dispatch")
    message = str(raised.value)
    assert "\n" not in message
    assert "`torch.onnx._internal.exporter._no_such_module`" in message
    assert "torch 2.16.0" in message and "2.13.0 to 2.15.0" in message
    assert private("onnxlint.knowledge.torch_info", "NO_SUCH_CONSTANT", default=7) == 7
    with pytest.raises(TorchPrivateAPIError, match=r"`onnxlint\.knowledge\.torch_info\.NO_SUCH_CONSTANT`"):
        private("onnxlint.knowledge.torch_info", "NO_SUCH_CONSTANT")


@pytest.mark.export
def test_every_listed_private_api_resolves_on_the_installed_torch():
    import torch

    from onnxlint.knowledge.torch_private import PRIVATE_APIS, private, private_attribute, require

    require()
    for module, attribute, _ in PRIVATE_APIS:
        private(module, attribute)
    op = torch.ops.aten.relu_.default
    assert private_attribute(op, "_schema", "torch._ops.OpOverload").name == "aten::relu_"
    assert private_attribute(op, "_overloadname", "torch._ops.OpOverload") == "default"

    class Net(torch.nn.Module):
        def forward(self, x):
            return x + 1

    program = torch.export.export(Net(), (torch.zeros(2),))
    private_attribute(program, "_graph_module", "torch.export.ExportedProgram")


_MOVED = """
import sys
import onnxlint.knowledge.torch_private as guard

real = guard._resolve


def moved(module, attribute):
    if module == "torch._logging._internal":
        raise guard.TorchPrivateAPIError(f"{module}.{attribute}")
    return real(module, attribute)


guard._resolve = moved
from onnxlint.frontends.cli import main

sys.argv = ["onnxlint", *sys.argv[1:]]
main()
"""


@pytest.mark.export
def test_cli_says_which_private_api_moved_in_one_line(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(
        "import torch\n\n\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return x.cumprod(1)\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-c", _MOVED, str(path), "--model", "Net()", "--input", "2x3", "--isolated"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if "torch._logging._internal" in line]
    assert len(lines) == 1, result.stderr
    assert "has no `torch._logging._internal.trace_log`" in lines[0]
    assert f"tested with torch {torch_info.tested_range()}" in lines[0]


@pytest.mark.export
def test_verify_reports_the_moved_api_as_the_graph_stage_reason(tmp_path, monkeypatch):
    import onnxlint.knowledge.torch_private as guard
    from onnxlint.core.modelspec import spec_from_cli
    from onnxlint.verify.pipeline import VerifyOptions, run_verify

    real = guard._resolve

    def moved(module, attribute):
        if module == "torch.fx.experimental._config":
            raise guard.TorchPrivateAPIError(f"{module}.{attribute}")
        return real(module, attribute)

    monkeypatch.setattr(guard, "_resolve", moved)
    path = tmp_path / "net.py"
    path.write_text("import torch\n\n\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return x * 2\n")
    spec = spec_from_cli(path, "Net()", ["2x3"], [], None)
    report = run_verify(spec, VerifyOptions(exporter="legacy", opset=17, graph="always"))
    stage = {s.name: s for s in report.ordered_stages()}["graph"]
    assert stage.status.value == "skipped"
    assert "has no `torch.fx.experimental._config." in stage.reason and "\n" not in stage.reason
    assert stage.reason.startswith("graph layer unavailable: torch ")
    assert report.passed  # the export itself uses the public API only


@pytest.mark.export
def test_graph_layer_warns_once_outside_the_tested_range(tmp_path, installed_torch, capsys):
    from onnxlint.core.modelspec import spec_from_cli
    from onnxlint.graph import analyze

    path = tmp_path / "net.py"
    path.write_text("import torch\n\n\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return x * 2\n")
    spec = spec_from_cli(path, "Net()", ["2x3"], [], None)
    torch_info._WARNED.clear()
    installed_torch("2.99.0")
    analyze(spec, LintSettings())
    analyze(spec, LintSettings())
    assert capsys.readouterr().err.count("torch 2.99.0 is outside the tested range (2.13.0 to 2.15.0)") == 1
    torch_info._WARNED.clear()
    installed_torch(None)
    analyze(spec, LintSettings())
    assert "outside the tested range" not in capsys.readouterr().err


def test_saved_results_are_plain_json():
    for path in (REPO / "docs" / "measured").glob("torch-*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert {"torch", "packages", "claims"} <= set(document), path
        assert all(" at 0x" not in record["detail"] for record in document["claims"]), path  # reproducible text


def test_static_layer_reads_the_installed_torch_version_without_importing_torch():
    code = (
        "import sys\n"
        "from onnxlint.knowledge import torch_info, exporters\n"
        "torch_info.facts_version(); exporters.requirement('index_put.number_fill')\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
