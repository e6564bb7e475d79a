"""onnxlint: find and fix what breaks a PyTorch model's ONNX export, before you ship.

The public API is small and pure (text in, findings out); the CLI, the LSP server and the
pre-commit hooks are thin front ends over it.
"""

from typing import TYPE_CHECKING

from onnxlint.core.findings import Applicability, Confidence, Edit, Finding, Fix, Location, Severity
from onnxlint.core.settings import ExportConfig, LintSettings, Selection

if TYPE_CHECKING:
    from onnxlint.core.engine import LintResult, lint_source
    from onnxlint.core.fixer import FixResult, fix_source

__version__ = "0.1.0"

# The engine and the fixer load on first use: `import onnxlint.frontends.cli` (a warm, cached run) costs
# no rule, semantic model or fixer import.
_LAZY = {
    "LintResult": "onnxlint.core.engine",
    "lint_source": "onnxlint.core.engine",
    "FixResult": "onnxlint.core.fixer",
    "fix_source": "onnxlint.core.fixer",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Applicability",
    "Confidence",
    "Edit",
    "ExportConfig",
    "Finding",
    "Fix",
    "FixResult",
    "LintResult",
    "LintSettings",
    "Location",
    "Selection",
    "Severity",
    "__version__",
    "fix_source",
    "lint_source",
]
