"""`onnxlint server` without the [lsp] extra fails with an install hint (runs in the lean env too)."""

from __future__ import annotations

import subprocess
import sys


def test_server_without_pygls_says_what_to_install() -> None:
    # `sys.modules[name] = None` makes `import name` fail as if the package were not installed.
    code = "import sys; sys.modules['pygls'] = None; from onnxlint.frontends.cli import main; main(['server'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "onnxlint: error: the language server needs" in result.stderr
    assert "pip install 'onnxlint[lsp]'" in result.stderr
    assert "Traceback" not in result.stderr
