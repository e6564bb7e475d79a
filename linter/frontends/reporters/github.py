"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request's diff."""

from __future__ import annotations

from pathlib import Path

from onnxlint.core.findings import Severity
from onnxlint.frontends.reporters import ReportOptions
from onnxlint.frontends.runner import FileOutcome, display_path, printable

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    """A workflow command's message, escaped as the runner's own toolkit does (`escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A property value (`escapeProperty`): the message's escapes, and `:` and `,` that end a value."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _file_property(path: str) -> str:
    """The `file=` property: the real name, so the annotation lands on the file; a newline or a
    carriage return in it is encoded (%0A, %0D) and decoded by GitHub, other control characters
    are shown escaped (`printable`), never written raw into the log."""
    return _escape_property(printable(path, keep="\r\n"))


def render(outcomes: list[FileOutcome], options: ReportOptions) -> str:
    lines = []
    for outcome in outcomes:
        file = _file_property(outcome.display_path)
        path = printable(outcome.display_path)  # in the message: one line, whatever the name holds
        if outcome.error is not None:
            lines.append(
                f"::error title=onnxlint (E902),file={file},line=1,col=1::{_escape_data(printable(outcome.error))}"
            )
        for finding in outcome.findings:
            title = _escape_property(f"onnxlint ({finding.code})")
            properties = (
                f"title={title},file={file},line={finding.start.row},col={finding.start.column},"
                f"endLine={finding.end.row},endColumn={finding.end.column}"
            )
            message = f"{path}:{finding.start.row}:{finding.start.column}: {finding.code} {printable(finding.message)}"
            for related in finding.related:
                where = f"{printable(display_path(Path(related.filename)))}:{related.start.row}:{related.start.column}"
                message += f"\n  related: {where}: {printable(related.message)}"
            if finding.fix is not None:
                message += f"\n  help: {printable(finding.fix.title)}"
            lines.append(f"::{_LEVEL[finding.severity]} {properties}::{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)
