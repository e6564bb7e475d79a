"""The graph layer: trace the user's model, check every op and every dynamic dim, point at source lines.

Opt-in, because it imports and runs the user's code. Importing this package imports no torch;
`analyze` does, on first call.

    from onnxlint.graph import analyze
    report = analyze(spec, settings)          # GraphReport: findings, capture, seconds, op_counts
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onnxlint.graph.check import Frame, GraphCheck, GraphExample, Issue
from onnxlint.graph.registry import all_checks
from onnxlint.graph.report import GraphReport

if TYPE_CHECKING:
    from onnxlint.core.findings import Finding
    from onnxlint.core.modelspec import ModelSpec
    from onnxlint.core.settings import LintSettings


def analyze(
    spec: ModelSpec,
    settings: LintSettings,
    *,
    model: Any = None,
    static_findings: list[Finding] | None = None,
    user_files: list[str] | None = None,
    timeout: float | None = 120.0,
) -> GraphReport:
    """Build (unless `model` is given), trace and check one model; see `onnxlint.graph.engine.analyze`.

    `timeout`: seconds each step that runs the model (capture, the exporter's run) may take."""
    from onnxlint.graph.engine import analyze as run

    return run(spec, settings, model=model, static_findings=static_findings, user_files=user_files, timeout=timeout)


__all__ = ["Frame", "GraphCheck", "GraphExample", "GraphReport", "Issue", "all_checks", "analyze"]
