"""A repository's files never make onnxlint run its code, and its configuration errors are errors.

The attacks are the ones a cloned repository or a pull request from a fork can mount: a
`[[tool.onnxlint.models]]` table whose entry is `os:system` or a module that does something on
import, in the linted folder's pyproject or a parent's; a configured `weights` pickle; typos in
rule selectors that would silently turn every rule off. Everything runs the real CLI in a
subprocess; a marker file outside the repository shows whether any code ran.
"""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from ..conftest import run_onnxlint

HAZARD = textwrap.dedent(
    """
    import torch


    class Net(torch.nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                x = x * 2
            return x
    """
)


def _repository(tmp_path: Path, models_table: str, *, nested: bool = False) -> tuple[Path, Path, Path]:
    """A cloned repository with a hostile models table; returns (folder to lint, marker, repo root)."""
    marker = tmp_path / "MARK"
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("[tool.onnxlint]\n" + models_table.replace("MARKER", str(marker)))
    (repo / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n\nclass Net:\n    pass\n")
    package = repo / "src" if nested else repo
    package.mkdir(exist_ok=True)
    (package / "model.py").write_text(HAZARD)
    return package, marker, repo


SYSTEM_TABLE = """
[[tool.onnxlint.models]]
entry = "os:system"
args = ["touch MARKER"]
inputs = [{ shape = [1, 3] }]
"""

IMPORT_TABLE = """
[[tool.onnxlint.models]]
entry = "evil.py:Net"
inputs = [{ shape = [1, 3] }]
"""


@pytest.mark.parametrize(
    "options",
    [(), ("--fix",), ("--diff",), ("--format", "json"), ("--fix", "--unsafe-fixes"), ("--no-cache",)],
    ids=["plain", "fix", "diff", "json", "unsafe-fixes", "no-cache"],
)
@pytest.mark.parametrize("table", [SYSTEM_TABLE, IMPORT_TABLE], ids=["os-system", "import"])
def test_configured_models_never_run_without_consent(tmp_path, options, table):
    folder, marker, _ = _repository(tmp_path, table)
    result = run_onnxlint(*options, ".", cwd=folder)
    assert not marker.exists(), f"the configuration ran code: {result.stdout}{result.stderr}"
    assert result.returncode in (0, 1), result.stderr
    if options in ((), ("--no-cache",)):
        assert "ONX201" in result.stdout, "the static checks still run"
        assert "pass --graph to trace them, which runs their code" in result.stderr


def test_a_parent_folders_models_table_runs_nothing(tmp_path):
    folder, marker, _ = _repository(tmp_path, SYSTEM_TABLE, nested=True)
    result = run_onnxlint(".", cwd=folder)
    assert not marker.exists()
    assert "ONX201" in result.stdout


def test_no_graph_is_quiet_about_configured_models(tmp_path):
    """Pre-commit hooks pass --no-graph: the reminder would be noise on every commit."""
    folder, marker, _ = _repository(tmp_path, IMPORT_TABLE)
    result = run_onnxlint("--no-graph", ".", cwd=folder)
    assert not marker.exists() and "--graph" not in result.stderr


@pytest.mark.export
def test_a_configured_weights_pickle_is_refused_before_the_model_is_imported(tmp_path):
    class Payload:
        def __reduce__(self):
            return (open, (str(tmp_path / "PICKLE_RAN"), "w"))

    table = IMPORT_TABLE + 'weights = "evil.pkl"\n'
    folder, marker, repo = _repository(tmp_path, table)
    (repo / "evil.pkl").write_bytes(pickle.dumps({"state_dict": Payload()}))
    for command in (("--graph", "."), ("export",)):
        result = run_onnxlint(*command, cwd=folder)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "weights_only=True was refused" in result.stderr or "not a" in result.stderr, result.stderr
        assert not marker.exists(), f"{command}: the model module was imported before the weights were checked"
        assert not (tmp_path / "PICKLE_RAN").exists()


# -- configuration errors are errors -------------------------------------------------------------


def _configured(tmp_path: Path, table: str):
    (tmp_path / "pyproject.toml").write_text("[tool.onnxlint]\n" + textwrap.dedent(table))
    (tmp_path / "model.py").write_text(HAZARD)
    return run_onnxlint(".", cwd=tmp_path)


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('select = ["ONX999", "XYZ"]', ["select", "'ONX999'", "'XYZ'"]),
        ('extend-select = ["NOPE"]', ["extend-select", "'NOPE'"]),
        ('ignore = ["ONX2O1"]', ["ignore", "'ONX2O1'"]),
        ('[tool.onnxlint.per-file-ignores]\n"model.py" = ["ONX9"]', ["per-file-ignores['model.py']", "'ONX9'"]),
    ],
    ids=["select", "extend-select", "ignore", "per-file-ignores"],
)
def test_unknown_selectors_in_the_config_exit_2_and_name_them(tmp_path, table, named):
    result = _configured(tmp_path, table)
    assert result.returncode == 2, result.stdout
    assert "All checks passed" not in result.stdout
    for word in named:
        assert word in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_known_selectors_and_prefixes_are_accepted(tmp_path):
    result = _configured(tmp_path, 'select = ["ONX2", "ONX501"]\nignore = ["ONX202"]\nextend-select = ["ALL"]')
    assert result.returncode == 1 and "ONX201" in result.stdout, result.stderr


def test_a_misspelt_key_gets_a_did_you_mean(tmp_path):
    result = _configured(tmp_path, 'selct = ["ONX2"]')
    assert result.returncode == 2
    assert "unknown key 'selct' (did you mean 'select'?)" in result.stderr


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ('[{ shape = ["a"] }]', "inputs[0].shape must list positive integers"),
        ("[{ shape = [1, -3] }]", "inputs[0].shape must list positive integers"),
        ("[{ shape = [1, 3], dtype = 7 }]", "inputs[0]: unknown dtype 7"),
        ('[{ shape = [1, 3], dynamic = ["nope"] }]', "inputs[0].dynamic: 'nope'"),
        ('[{ shape = [1, 3], name = "a b" }]', "inputs[0].name must be a Python identifier"),
    ],
)
def test_every_models_table_error_is_a_configuration_error(tmp_path, inputs, message):
    table = f'[[tool.onnxlint.models]]\nentry = "model.py:Net"\ninputs = {inputs}\n'
    result = _configured(tmp_path, table)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "pyproject.toml" in line and "[[tool.onnxlint.models]] #1" in line and message in line, line


def test_a_config_that_is_a_fifo_is_refused_not_read(tmp_path):
    """A pre-commit `args: [--config, x.toml]` can point at a committed FIFO: reading it would block."""
    import os

    os.mkfifo(tmp_path / "pyproject.toml")
    (tmp_path / "model.py").write_text(HAZARD)
    result = run_onnxlint("--config", "pyproject.toml", "model.py", cwd=tmp_path)
    assert result.returncode == 2 and "not a regular file" in result.stderr


def test_python_m_onnxlint_does_not_import_the_linted_folders_modules(tmp_path):
    """`python -m` puts the current folder first on sys.path: a repository's click.py must not shadow click."""
    marker = tmp_path.parent / f"{tmp_path.name}-MARK"
    (tmp_path / "click.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (tmp_path / "model.py").write_text(HAZARD)
    result = run_onnxlint("model.py", cwd=tmp_path)
    assert "ONX201" in result.stdout, result.stderr
    assert not marker.exists()
