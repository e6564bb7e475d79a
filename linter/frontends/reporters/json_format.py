"""JSON in the shape of ruff's `--output-format json`, so tools that read ruff's JSON read ours."""

from __future__ import annotations

from pathlib import Path

from onnxlint.core.findings import Edit, Finding, Location
from onnxlint.frontends.reporters import ReportOptions, json_text
from onnxlint.frontends.runner import FileOutcome


def _location(location: Location) -> dict[str, int]:
    return {"column": location.column, "row": location.row}


def _edit(edit: Edit) -> dict[str, object]:
    return {"content": edit.content, "end_location": _location(edit.end), "location": _location(edit.start)}


def finding_to_json(finding: Finding) -> dict[str, object]:
    fix = None
    if finding.fix is not None:
        fix = {
            "applicability": finding.fix.applicability.value,
            "edits": [_edit(edit) for edit in finding.fix.edits],
            "message": finding.fix.title,
        }
    return {
        "cell": None,
        "code": finding.code,
        "end_location": _location(finding.end),
        "filename": str(Path(finding.filename).resolve()) if finding.filename != "<stdin>" else finding.filename,
        "fix": fix,
        "location": _location(finding.start),
        "message": finding.message,
        "name": finding.rule_name.replace("_", "-"),
        "noqa_row": finding.noqa_row,
        "severity": finding.severity.value,
        "url": finding.url,
        # onnxlint's additions (tools that read ruff's JSON ignore unknown keys):
        "confidence": finding.confidence.value,
        "origin": finding.origin,
        "related": [
            {
                "filename": str(Path(related.filename).resolve()),
                "location": _location(related.start),
                "end_location": _location(related.end),
                "message": related.message,
            }
            for related in finding.related
        ],
    }


def render(outcomes: list[FileOutcome], options: ReportOptions) -> str:
    findings = [finding_to_json(f) for outcome in outcomes for f in outcome.findings]
    findings.extend(_error_entries(outcomes))
    return json_text(findings)


def _error_entries(outcomes: list[FileOutcome]) -> list[dict[str, object]]:
    """Unreadable files, in ruff's E902 form."""
    entries: list[dict[str, object]] = []
    for outcome in outcomes:
        if outcome.error is not None:
            entries.append(
                {
                    "cell": None,
                    "code": "E902",
                    "end_location": {"column": 1, "row": 1},
                    "filename": str(outcome.path.resolve()),
                    "fix": None,
                    "location": {"column": 1, "row": 1},
                    "message": outcome.error,
                    "name": "io-error",
                    "noqa_row": None,
                    "severity": "error",
                    "url": None,
                    "confidence": "high",
                    "origin": "static",
                }
            )
    return entries
