"""The static layer without torch: what `pip install onnxlint` gives (libcst and click only).

These checks run in the lean environment that `make test-core` builds from a wheel; in the full
environment they only check that importing onnxlint does not import torch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ..conftest import FIXTURES, expected_findings, run_onnxlint

LEAN = os.environ.get("ONNXLINT_LEAN_ENV") == "1"


def test_importing_onnxlint_and_linting_never_imports_torch():
    code = (
        "import sys, onnxlint\n"
        "from onnxlint.frontends.cli import main\n"
        "from onnxlint.core.registry import all_rules\n"
        "all_rules()\n"
        "onnxlint.lint_source(open(sys.argv[1]).read(), sys.argv[1])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'onnx', 'onnxruntime', 'numpy')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(FIXTURES / "hazards" / "control_flow.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(not LEAN, reason="runs in the lean environment built by `make test-core`")
def test_lean_environment_has_no_torch_and_the_wheel_is_installed():
    with pytest.raises(ImportError):
        __import__("torch")
    import onnxlint

    assert "site-packages" in onnxlint.__file__, "the tests must exercise the installed wheel, not the checkout"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
    )
    names = {item["name"].lower() for item in json.loads(installed.stdout)}
    assert {"libcst", "click"} <= names and not names & {"torch", "onnx", "onnxruntime"}


@pytest.mark.skipif(not LEAN, reason="runs in the lean environment built by `make test-core`")
def test_lean_cli_reports_the_fixtures():
    result = run_onnxlint("--format", "json", "--isolated", str(FIXTURES))
    assert result.returncode == 1
    found = {(item["filename"], item["location"]["row"], item["code"]) for item in json.loads(result.stdout)}
    assert {(str((FIXTURES / path).resolve()), row, code) for path, row, code in expected_findings(FIXTURES)} == found
