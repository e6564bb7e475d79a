"""Shared helpers for the tests. Everything here runs the real engine on real files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
EXPECT_MARKER = re.compile(r"#\s*expect:\s*(?P<codes>ONX\d{3}(?:\s*,\s*ONX\d{3})*)")


@pytest.fixture(autouse=True, scope="session")
def _cache_key_outside_home(tmp_path_factory: pytest.TempPathFactory):
    """The results cache's per-user signing key lives in the user's cache folder: the suite (and the
    onnxlint processes it starts, which inherit the environment) keeps its own instead."""
    import os

    previous = os.environ.get("ONNXLINT_CACHE_KEY_DIR")
    os.environ["ONNXLINT_CACHE_KEY_DIR"] = str(tmp_path_factory.mktemp("cache-key"))
    yield
    if previous is None:
        os.environ.pop("ONNXLINT_CACHE_KEY_DIR", None)
    else:
        os.environ["ONNXLINT_CACHE_KEY_DIR"] = previous


def expected_findings(folder: Path) -> set[tuple[str, int, str]]:
    """(relative path, row, code) for every `# expect: CODE` marker under `folder`."""
    expected = set()
    for path in sorted(folder.rglob("*.py")):
        for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = EXPECT_MARKER.search(line)
            if match:
                for code in re.split(r"\s*,\s*", match.group("codes")):
                    expected.add((path.relative_to(folder).as_posix(), row, code))
    return expected


def run_onnxlint(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real console entry point, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "onnxlint", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def fixtures_copy(tmp_path: Path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, target)
    return target


def has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
