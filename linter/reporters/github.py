"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request's diff."""

from __future__ import annotations

from ..findings import Severity
from ..runner import FileOutcome
from . import ReportOptions

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(outcomes: list[FileOutcome], options: ReportOptions) -> str:
    lines = []
    for outcome in outcomes:
        path = outcome.display_path
        if outcome.error is not None:
            lines.append(
                f"::error title=onnxlint (E902),file={_escape_property(path)},line=1,col=1::{_escape_data(outcome.error)}"
            )
        for finding in outcome.findings:
            title = _escape_property(f"onnxlint ({finding.code})")
            properties = (
                f"title={title},file={_escape_property(path)},line={finding.start.row},col={finding.start.column},"
                f"endLine={finding.end.row},endColumn={finding.end.column}"
            )
            message = f"{path}:{finding.start.row}:{finding.start.column}: {finding.code} {finding.message}"
            if finding.fix is not None:
                message += f"\n  help: {finding.fix.title}"
            lines.append(f"::{_LEVEL[finding.severity]} {properties}::{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)
