"""The pre-commit hooks, run by the real `pre-commit` on a temporary git repository.

pre-commit clones a hook repository at a commit, so uncommitted work in this checkout would be
invisible to it: the test commits a copy of the working tree (`git ls-files -co
--exclude-standard`) into a temporary repository and points `repo:` at it. The hook environment
is installed with pip from the package index, pinned by constraints.txt, into an isolated
PRE_COMMIT_HOME.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from onnxlint import fix_source

from ..conftest import REPO

pytest.importorskip("pre_commit")
pytestmark = pytest.mark.slow

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "onnxlint tests",
    "GIT_AUTHOR_EMAIL": "tests@onnxlint.invalid",
    "GIT_COMMITTER_NAME": "onnxlint tests",
    "GIT_COMMITTER_EMAIL": "tests@onnxlint.invalid",
}

# Hazards whose fixes are all safe: the fix hook repairs the file completely.
MODEL = """\
import torch
from torch import nn


class Gate(nn.Module):
    def forward(self, x: torch.Tensor):
        y = torch.sigmoid(x) if x.mean() > 0 else x
        if y.sum() > 0:
            out = y * 2
        else:
            out = y - 1
        return out


Gate().load_state_dict(torch.load("weights.pth"))
"""

# The export call's dynamo=False makes `.item()` a hazard whose only fix is unsafe.
LEGACY_MODEL = """\
import torch
from torch import nn


class Normalize(nn.Module):
    def forward(self, x):
        return x / x.abs().max().item()


torch.onnx.export(Normalize(), (torch.randn(1, 3),), "normalize.onnx", dynamo=False)
"""


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_IDENTITY}, timeout=120
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A committed copy of this checkout's working tree: (path, HEAD sha)."""
    target = tmp_path_factory.mktemp("hook-repo")
    listed = git("ls-files", "-co", "--exclude-standard", "-z", cwd=REPO).split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # deleted-but-tracked files are listed too
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git("init", "-q", cwd=target)
    git("add", "-A", cwd=target)
    git("commit", "-q", "-m", "onnxlint working tree", cwd=target)
    return target, git("rev-parse", "HEAD", cwd=target).strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path, hook_repository: tuple[Path, str]) -> Path:
    """A user's repository using both hooks, with one commit (configuration only)."""
    repo_path, sha = hook_repository
    folder = tmp_path / "project"
    folder.mkdir()
    git("init", "-q", cwd=folder)
    (folder / ".pre-commit-config.yaml").write_text(
        textwrap.dedent(
            f"""\
            repos:
              - repo: {repo_path}
                rev: {sha}
                hooks:
                  - id: onnxlint
                  - id: onnxlint-fix
            """
        )
    )
    # unsafe-fixes in the config must not make the fix hook apply unsafe fixes.
    (folder / "pyproject.toml").write_text('[tool.onnxlint]\nexclude = ["third_party"]\nunsafe-fixes = true\n')
    git("add", "-A", cwd=folder)
    git("commit", "-q", "-m", "configuration", cwd=folder)
    return folder


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **GIT_IDENTITY,
        "PRE_COMMIT_HOME": str(home),
        "PIP_CONSTRAINT": str(REPO / "constraints.txt"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PRE_COMMIT_COLOR": "never",
    }
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=900
    )


def test_check_hook_fails_then_fix_hook_repairs_and_passes(project: Path, pre_commit_home: Path) -> None:
    (project / "model.py").write_text(MODEL)
    (project / "third_party").mkdir()
    (project / "third_party" / "vendored.py").write_text(MODEL)  # excluded by the config
    (project / "notes.txt").write_text("torch.load('x')\n")  # not Python: never passed to the hooks
    git("add", "-A", cwd=project)

    checked = pre_commit("run", "onnxlint", cwd=project, home=pre_commit_home)
    output = checked.stdout + checked.stderr
    assert checked.returncode == 1, output
    assert "onnxlint" in output and "Failed" in output
    assert "model.py:7:33: ONX201" in output
    assert "model.py:8:12: ONX201" in output
    assert "model.py:15:24: ONX501" in output
    assert "third_party" not in output, "--force-exclude keeps excluded files out"
    assert "notes.txt" not in output
    assert (project / "model.py").read_text() == MODEL, "the check hook writes nothing"

    fixed = pre_commit("run", "onnxlint-fix", cwd=project, home=pre_commit_home)
    output = fixed.stdout + fixed.stderr
    assert fixed.returncode == 1, output
    assert "files were modified by this hook" in output
    assert (project / "model.py").read_text() == fix_source(MODEL).text
    assert "torch.where(y.sum() > 0, y * 2, y - 1)" in (project / "model.py").read_text()
    assert (project / "third_party" / "vendored.py").read_text() == MODEL

    git("add", "model.py", cwd=project)
    again = pre_commit("run", "onnxlint-fix", cwd=project, home=pre_commit_home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Passed" in again.stdout
    checked = pre_commit("run", "onnxlint", cwd=project, home=pre_commit_home)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # Installed as a git hook, both run on `git commit`, which now succeeds.
    pre_commit("install", cwd=project, home=pre_commit_home)
    git("commit", "-q", "-m", "model", cwd=project)
    assert git("status", "--porcelain", cwd=project).strip() == ""


def test_fix_hook_never_applies_unsafe_fixes(project: Path, pre_commit_home: Path) -> None:
    (project / "normalize.py").write_text(LEGACY_MODEL)
    git("add", "normalize.py", cwd=project)

    fixed = pre_commit("run", "onnxlint-fix", cwd=project, home=pre_commit_home)
    output = fixed.stdout + fixed.stderr
    assert fixed.returncode == 1, output
    assert "normalize.py:7:20: ONX202" in output
    assert "files were modified by this hook" not in output
    assert (project / "normalize.py").read_text() == LEGACY_MODEL


def test_hook_environment_holds_only_the_lean_core(project: Path, pre_commit_home: Path) -> None:
    (project / "model.py").write_text(MODEL)
    git("add", "model.py", cwd=project)
    pre_commit("install-hooks", cwd=project, home=pre_commit_home)
    environments = sorted(pre_commit_home.glob("repo*/py_env-*"))
    assert environments, f"no hook environment under {pre_commit_home}"
    python = environments[0] / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    installed = dict(line.split("==", 1) for line in listed.stdout.splitlines() if "==" in line)
    names = {name.lower() for name in installed}
    assert "onnxlint" in names
    assert not names & {"torch", "onnx", "onnxruntime", "pygls"}, sorted(names)
    pinned = dict(line.split("==", 1) for line in (REPO / "constraints.txt").read_text().splitlines() if "==" in line)
    assert installed["libcst"] == pinned["libcst"] and installed["click"] == pinned["click"]
