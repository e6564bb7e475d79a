"""onnxlint: find and fix what breaks a PyTorch model's ONNX export, before you ship.

The public API is small and pure (text in, findings out); the CLI, the LSP server and the
pre-commit hooks are thin front ends over it.
"""

from typing import TYPE_CHECKING

from .findings import Applicability, Confidence, Edit, Finding, Fix, Location, Severity
from .settings import ExportConfig, LintSettings, Selection

if TYPE_CHECKING:
    from .engine import LintResult, lint_source
    from .fixer import FixResult, fix_source

__version__ = "0.1.0"

# The engine and the fixer load on first use: `import onnxlint.cli` then costs a warm (cached) run
# no rule, semantic model or fixer import.
_LAZY = {"LintResult": "engine", "lint_source": "engine", "FixResult": "fixer", "fix_source": "fixer"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
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
