"""onnxlint: find and fix what breaks a PyTorch model's ONNX export, before you ship.

The public API is small and pure (text in, findings out); the CLI, the LSP server and the
pre-commit hooks are thin front ends over it.
"""

from .engine import LintResult, lint_source
from .findings import Applicability, Confidence, Edit, Finding, Fix, Location, Severity
from .fixer import FixResult, fix_source
from .settings import ExportConfig, LintSettings, Selection

__version__ = "0.1.0"

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
