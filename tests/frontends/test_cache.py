"""The results cache and the worker processes: faster, never different.

Real files (the fixtures, plus files written here), real parses, the real command line. Speed
itself is measured by benchmarks/lint_speed.py, never asserted here.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

import onnxlint
import onnxlint.rules
from onnxlint.core.engine import RULE_CRASH_CODE
from onnxlint.core.settings import LintSettings, PerFileIgnore, Selection
from onnxlint.frontends import cache as cache_module
from onnxlint.frontends.cache import KEY_DIR_ENV, LintCache, run_key, sign, signing_key, verified_payload
from onnxlint.frontends.files import Excluder, discover
from onnxlint.frontends.runner import RunOptions, _worker_count, run

from ..conftest import FIXTURES, run_onnxlint

HAZARD = 'import torch\nnet.load_state_dict(torch.load("w.pth"))\n'
BRANCH = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x.item()
"""


@pytest.fixture(autouse=True)
def _own_signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache signs its files with a per-user key: each test gets its own, not the home folder's."""
    monkeypatch.setenv(KEY_DIR_ENV, str(tmp_path / "signing-key"))


def _read_cache(path: Path) -> dict:
    """A cache file's JSON (its MAC checked)."""
    payload = verified_payload(signing_key(), path.read_bytes())
    assert payload is not None, "signed with the user's key"
    return json.loads(payload)


def _write_cache(path: Path, data: dict | bytes) -> None:
    """Write a cache file signed with the user's key (damage that gets past the MAC)."""
    payload = data if isinstance(data, bytes) else json.dumps(data).encode()
    path.write_bytes(sign(signing_key(), payload))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the fixtures (every hazard, a syntax error, an export script and its model) and a few more files."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES, root)
    (root / "extra").mkdir()
    (root / "extra" / "branch.py").write_text(BRANCH, encoding="utf-8")
    (root / "extra" / "load.py").write_text(HAZARD, encoding="utf-8")
    (root / "extra" / "plain.py").write_text("x = 1\n", encoding="utf-8")
    (root / "extra" / "crlf.py").write_bytes(BRANCH.replace("\n", "\r\n").encode())
    return root


def _files(root: Path) -> list[Path]:
    return list(discover([root], Excluder((), root)))


def _settings(root: Path, **changes) -> LintSettings:
    return LintSettings(selection=Selection(select=("ALL",)), project_root=str(root), **changes)


def _findings(outcomes) -> list[tuple[str, list]]:
    """Everything a finding holds, extra included (Finding's equality leaves `extra` out)."""
    return [(o.display_path, [(f, f.extra) for f in o.findings], o.error) for o in outcomes]


def _cli_json(root: Path, *args: str) -> str:
    result = run_onnxlint("--isolated", "--select", "ALL", "--format", "json", *args, str(root), cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def test_cli_findings_are_identical_with_and_without_cache_and_with_one_or_two_workers(project, tmp_path):
    cache_dir = tmp_path / "cache"
    reference = _cli_json(project, "--no-cache", "--jobs", "1")
    assert json.loads(reference), "the fixtures have findings"
    runs = {
        "cold cache, 1 worker": _cli_json(project, "--cache-dir", str(cache_dir), "--jobs", "1"),
        "warm cache, 1 worker": _cli_json(project, "--cache-dir", str(cache_dir), "--jobs", "1"),
        "no cache, 2 workers": _cli_json(project, "--no-cache", "--jobs", "2"),
        "warm cache, 2 workers": _cli_json(project, "--cache-dir", str(cache_dir), "--jobs", "2"),
    }
    for label, output in runs.items():
        assert output == reference, label
    assert list(cache_dir.glob(f"{onnxlint.__version__}/*.json")), "the cache was written"
    # Text output too (it re-reads the files for its code frames).
    text = run_onnxlint("--isolated", "--select", "ALL", "--no-cache", str(project), cwd=project).stdout
    cached = run_onnxlint("--isolated", "--select", "ALL", "--cache-dir", str(cache_dir), str(project), cwd=project)
    assert cached.stdout == text


def test_runner_answers_unchanged_files_from_the_cache_and_relints_a_changed_one(project, tmp_path):
    files = _files(project)
    settings = _settings(project)
    options = RunOptions(cache=True, cache_dir=tmp_path / "cache")
    reference = run(files, settings, RunOptions())
    cold = run(files, settings, options)
    assert not any(o.cached for o in cold)
    warm = run(files, settings, options)
    assert all(o.cached for o in warm)
    assert _findings(warm) == _findings(cold) == _findings(reference)

    changed = project / "extra" / "load.py"
    changed.write_text(HAZARD + "other = torch.load('x.pth')\n", encoding="utf-8")
    after = run(files, settings, options)
    assert [o.path for o in after if not o.cached] == [changed]
    assert _findings(after) == _findings(run(files, settings, RunOptions()))
    assert len(next(o for o in after if o.path == changed).findings) == 2


def test_two_workers_give_the_same_outcomes_as_one(project):
    files = _files(project)
    settings = _settings(project)
    assert _worker_count(2, len(files), 0) == 2  # an explicit --jobs 2 really starts two workers
    assert _worker_count(0, len(files), 10) == 1  # automatic: too little to lint to be worth a worker
    one = run(files, settings, RunOptions(jobs=1))
    two = run(files, settings, RunOptions(jobs=2))
    assert _findings(two) == _findings(one)
    assert [o.path for o in two] == files


def test_cache_key_changes_with_settings_version_and_rule_sources(project, tmp_path, monkeypatch):
    base = _settings(project)
    key = run_key(base)
    assert run_key(_settings(project)) == key
    variants = [
        _settings(project, exporter="legacy"),
        _settings(project, opset=13),
        _settings(project, target="openvino"),
        LintSettings(selection=Selection(select=("ONX2",)), project_root=str(project)),
        LintSettings(selection=Selection(select=("ALL",), ignore=("ONX201",)), project_root=str(project)),
        _settings(project, per_file_ignores=(PerFileIgnore("extra/*", ("ONX501",)),)),
        _settings(tmp_path),  # another project root: per-file ignores are relative to it
    ]
    assert len({key, *(run_key(v) for v in variants)}) == len(variants) + 1

    monkeypatch.setattr(onnxlint, "__version__", "999.0")
    assert run_key(base) != key
    monkeypatch.undo()
    assert run_key(base) == key

    # A rule module edited (or added) during development: the fingerprint of the rule sources changes.
    extra_rules = tmp_path / "more_rules"
    extra_rules.mkdir()
    monkeypatch.setattr(onnxlint.rules, "__path__", [*onnxlint.rules.__path__, str(extra_rules)])
    monkeypatch.setattr(cache_module, "_FINGERPRINT", None)
    with_folder = run_key(base)
    (extra_rules / "new_rule.py").write_text("CODE = 'ONX999'\n", encoding="utf-8")
    monkeypatch.setattr(cache_module, "_FINGERPRINT", None)
    with_rule = run_key(base)
    (extra_rules / "new_rule.py").write_text("CODE = 'ONX998'\n", encoding="utf-8")
    monkeypatch.setattr(cache_module, "_FINGERPRINT", None)
    edited = run_key(base)
    assert len({with_folder, with_rule, edited}) == 3


def test_changed_config_version_or_rules_relint_everything(project, tmp_path, monkeypatch):
    files = _files(project)
    options = RunOptions(cache=True, cache_dir=tmp_path / "cache")
    run(files, _settings(project), options)
    assert all(o.cached for o in run(files, _settings(project), options))

    legacy = run(files, _settings(project, exporter="legacy", opset=11), options)
    assert not any(o.cached for o in legacy)
    assert _findings(legacy) == _findings(run(files, _settings(project, exporter="legacy", opset=11), RunOptions()))

    monkeypatch.setattr(onnxlint, "__version__", "999.0")
    assert not any(o.cached for o in run(files, _settings(project), options))
    monkeypatch.undo()

    monkeypatch.setattr(cache_module, "_FINGERPRINT", "a rule was edited")
    assert not any(o.cached for o in run(files, _settings(project), options))


def test_config_change_through_the_cli_invalidates(project, tmp_path):
    cache_dir = str(tmp_path / "cache")
    target = project / "extra" / "load.py"
    first = run_onnxlint("--format", "json", "--cache-dir", cache_dir, str(target), cwd=project)
    assert [item["code"] for item in json.loads(first.stdout)] == ["ONX501"]
    (project / "pyproject.toml").write_text('[tool.onnxlint]\nignore = ["ONX501"]\n', encoding="utf-8")
    second = run_onnxlint("--format", "json", "--cache-dir", cache_dir, str(target), cwd=project)
    assert json.loads(second.stdout) == []
    (project / "pyproject.toml").write_text("[tool.onnxlint]\n", encoding="utf-8")
    third = run_onnxlint("--format", "json", "--cache-dir", cache_dir, str(target), cwd=project)
    assert third.stdout == first.stdout


def test_export_sites_reaching_a_file_are_part_of_its_entry(tmp_path):
    """A model file judged by an export script's opset: changing only the script re-lints the model."""
    root = tmp_path / "cross"
    shutil.copytree(FIXTURES / "cross_file", root)
    files = _files(root)
    options = RunOptions(cache=True, cache_dir=tmp_path / "cache")
    settings = _settings(root)
    before = {o.path.name: [f.code for f in o.findings] for o in run(files, settings, options)}
    assert "ONX101" in before["flow_model.py"]  # grid_sample at the script's opset 13
    script = root / "export_flow.py"
    script.write_text(script.read_text(encoding="utf-8").replace("opset_version=13", "opset_version=16"), "utf-8")
    after = run(files, settings, options)
    model = next(o for o in after if o.path.name == "flow_model.py")
    assert not model.cached and "ONX101" not in [f.code for f in model.findings]
    assert _findings(after) == _findings(run(files, settings, RunOptions()))


def test_no_cache_neither_reads_nor_writes(project, tmp_path):
    cache_dir = tmp_path / "cache"
    files = _files(project)
    run(files, _settings(project), RunOptions(cache=False, cache_dir=cache_dir))
    assert not cache_dir.exists()
    run_onnxlint("--isolated", "--no-cache", "--cache-dir", str(cache_dir), str(project), cwd=project)
    assert not cache_dir.exists()
    # A poisoned cache is not read with --no-cache.
    run(files, _settings(project), RunOptions(cache=True, cache_dir=cache_dir))
    cache_file = next(cache_dir.glob("*/*.json"))
    data = _read_cache(cache_file)
    for entry in data["entries"].values():
        entry[1] = []  # claim every file is clean (even signed with the user's own key)
    _write_cache(cache_file, data)
    fresh = run(files, _settings(project), RunOptions(cache=False, cache_dir=cache_dir))
    assert _findings(fresh) == _findings(run(files, _settings(project), RunOptions()))
    assert any(o.findings for o in fresh)


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
@pytest.mark.parametrize(
    "damage",
    [b"", b"not json at all", b'{"format": 2, "entries": [1, 2]}', b'{"format": 2, "entries": {"x": 5}}', b"\xff\xfe"],
)
def test_a_corrupt_cache_file_is_ignored_and_rewritten(project, tmp_path, damage, signed):
    cache_dir = tmp_path / "cache"
    files = _files(project)
    settings = _settings(project)
    reference = run(files, settings, RunOptions())
    run(files, settings, RunOptions(cache=True, cache_dir=cache_dir))
    cache_file = next(cache_dir.glob("*/*.json"))
    if signed:
        _write_cache(cache_file, damage)  # past the MAC: the structure is checked
    else:
        cache_file.write_bytes(damage)
    again = run(files, settings, RunOptions(cache=True, cache_dir=cache_dir))
    assert _findings(again) == _findings(reference)
    assert not any(o.cached for o in again)
    _read_cache(cache_file)  # rewritten whole
    assert all(o.cached for o in run(files, settings, RunOptions(cache=True, cache_dir=cache_dir)))


def test_damaged_entries_are_linted_again(project, tmp_path):
    cache_dir = tmp_path / "cache"
    files = _files(project)
    settings = _settings(project)
    run(files, settings, RunOptions(cache=True, cache_dir=cache_dir))
    cache_file = next(cache_dir.glob("*/*.json"))
    data = _read_cache(cache_file)
    for entry in data["entries"].values():
        if entry[1]:
            entry[1][0] = ["ONX501", "truncated"]  # a finding missing its fields
    _write_cache(cache_file, data)
    assert _findings(run(files, settings, RunOptions(cache=True, cache_dir=cache_dir))) == _findings(
        run(files, settings, RunOptions())
    )


def test_an_unwritable_cache_folder_does_not_fail_the_run(project, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    files = _files(project)
    settings = _settings(project)
    outcomes = run(files, settings, RunOptions(cache=True, cache_dir=blocker / "cache"))
    assert _findings(outcomes) == _findings(run(files, settings, RunOptions()))
    result = run_onnxlint("--isolated", "--cache-dir", str(blocker / "cache"), str(project), cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_project_gets_no_cache_and_no_error(project):
    os.chmod(project, 0o555)
    try:
        result = run_onnxlint("--isolated", str(project), cwd=project)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert not (project / ".onnxlint_cache").exists()
    finally:
        os.chmod(project, 0o755)


def test_default_cache_folder_is_marked_and_ignored_by_git(project):
    result = run_onnxlint("--isolated", str(project / "extra"), cwd=project)
    assert result.returncode == 1
    folder = project / ".onnxlint_cache"
    assert (
        (folder / "CACHEDIR.TAG").read_text(encoding="utf-8").startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    # The cache folder is never linted itself.
    assert ".onnxlint_cache" not in run_onnxlint("--isolated", "--format", "json", str(project), cwd=project).stdout


def test_fix_works_with_the_cache(tmp_path):
    root = tmp_path / "fixme"
    root.mkdir()
    target = root / "load.py"
    target.write_text(HAZARD, encoding="utf-8")
    other = root / "branch.py"
    other.write_text(BRANCH, encoding="utf-8")
    files = _files(root)
    settings = _settings(root)
    cache_dir = tmp_path / "cache"
    run(files, settings, RunOptions(cache=True, cache_dir=cache_dir))  # cached with a fixable finding

    fixed = run(files, settings, RunOptions(fix=True, cache=True, cache_dir=cache_dir))
    by_path = {o.path: o for o in fixed}
    assert by_path[target].written and not by_path[target].cached  # a cached fixable finding is fixed, not served
    assert "weights_only=True" in target.read_text(encoding="utf-8")
    # The fixed file's entry holds the findings of its new text: a plain run answers from the cache.
    after = run(files, settings, RunOptions(cache=True, cache_dir=cache_dir))
    assert all(o.cached for o in after)
    assert _findings(after) == _findings(run(files, settings, RunOptions()))
    assert not {o.path: o for o in after}[target].findings
    # Nothing left to fix: --fix is answered from the cache too, and writes nothing.
    again = run(files, settings, RunOptions(fix=True, cache=True, cache_dir=cache_dir))
    assert not any(o.written for o in again)
    assert _findings(again) == _findings(after)


def test_cached_findings_come_back_as_equal_findings(project, tmp_path):
    """Every field survives the round trip: fixes and their edits, confidence, noqa rows, urls, extra."""
    files = _files(project)
    settings = _settings(project)
    cache = LintCache(tmp_path / "cache", "k")
    for outcome in run(files, settings, RunOptions()):
        cache.put(str(outcome.path), "digest", outcome.findings)
        back = cache.get(str(outcome.path), "digest", str(outcome.path))
        assert [(f, f.extra) for f in back] == [(f, f.extra) for f in outcome.findings]
    assert cache.get(str(files[0]), "another digest", str(files[0])) is None


def test_a_finding_whose_extra_is_not_json_is_not_cached(tmp_path):
    from onnxlint.core.findings import Finding, Location, Severity

    cache = LintCache(tmp_path / "cache", "k")
    finding = Finding("ONX201", "m", Severity.ERROR, "f.py", Location(1, 1), Location(1, 2), extra={"rows": (1, 2)})
    cache.put("f.py", "d", [finding])
    assert cache.get("f.py", "d", "f.py") is None


def test_the_cli_keeps_the_engines_crash_code():
    from onnxlint.frontends import cli

    assert cli.RULE_CRASH_CODE == RULE_CRASH_CODE


def test_the_cli_knows_every_target_without_importing_the_tables():
    from onnxlint.core.settings import TARGETS
    from onnxlint.knowledge.runtimes import PROFILES

    assert sorted(TARGETS) == sorted(PROFILES)


def test_a_script_whose_export_calls_differ_only_in_a_docstring_is_not_parsed_again(tmp_path, monkeypatch):
    """The export-site pre-pass matches `opset_version=` textually (torchvision's docstrings show
    export calls): the cache remembers contents that hold no call to follow; a change re-checks them."""
    root = tmp_path / "docs_only"
    root.mkdir()
    doc = root / "detector.py"
    doc.write_text(
        '"""Example:\n    >>> torch.onnx.export(model, x, "m.onnx", opset_version=11)\n"""\nimport torch\n', "utf-8"
    )
    shutil.copytree(FIXTURES / "cross_file", root / "cross")
    files = _files(root)
    options = RunOptions(cache=True, cache_dir=tmp_path / "cache")
    settings = _settings(root)
    first = run(files, settings, options)

    from onnxlint.frontends import export_sites

    parsed: list[str] = []
    real_parse = export_sites.parse_quietly
    monkeypatch.setattr(
        export_sites, "parse_quietly", lambda text, path: parsed.append(Path(path).name) or real_parse(text, path)
    )
    second = run(files, settings, options)
    assert _findings(second) == _findings(first)
    # The real export script (it asks for opset 13) is parsed again: its sites reach the model file.
    assert parsed == ["export_flow.py"]
    doc.write_text(doc.read_text("utf-8").replace("opset_version=11", "opset_version=12"), "utf-8")
    parsed.clear()
    run(files, settings, options)
    assert sorted(parsed) == ["detector.py", "export_flow.py"]
