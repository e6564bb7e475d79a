"""SARIF 2.1.0, for GitHub code scanning and other SARIF consumers (validated against the schema in tests)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from onnxlint.core.findings import Edit, Finding, Severity
from onnxlint.core.registry import documented_rules
from onnxlint.core.rule import rule_url
from onnxlint.frontends.reporters import ReportOptions, json_text
from onnxlint.frontends.runner import FileOutcome

if TYPE_CHECKING:
    from onnxlint.graph.check import DocumentedRule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _region(start_row: int, start_column: int, end_row: int, end_column: int) -> dict[str, int]:
    return {"startLine": start_row, "startColumn": start_column, "endLine": end_row, "endColumn": end_column}


def _artifact(path: str) -> dict[str, str]:
    """A file relative to %SRCROOT%, as a URI reference: its bytes percent-encoded (RFC 3986), so a
    space, `#`, `%`, `?`, a newline or a byte that is not UTF-8 in a name stays part of the path."""
    return {"uri": quote(os.fsencode(Path(path).as_posix()), safe="/"), "uriBaseId": "%SRCROOT%"}


def _related_artifact(filename: str) -> dict[str, str]:
    """A related file: relative to %SRCROOT% when under it, else its absolute file URI (a library's file)."""
    path = Path(filename).resolve()
    try:
        return _artifact(str(path.relative_to(Path.cwd().resolve())))
    except ValueError:
        return {"uri": path.as_uri()}


def _replacement(edit: Edit) -> dict[str, object]:
    return {
        "deletedRegion": _region(edit.start.row, edit.start.column, edit.end.row, edit.end.column),
        "insertedContent": {"text": edit.content},
    }


def _result(finding: Finding, path: str, rule_index: dict[str, int]) -> dict[str, object]:
    result: dict[str, object] = {
        "ruleId": finding.code,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(path),
                    "region": _region(finding.start.row, finding.start.column, finding.end.row, finding.end.column),
                }
            }
        ],
        "properties": {"confidence": finding.confidence.value, "origin": finding.origin},
    }
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": index,
                "physicalLocation": {
                    "artifactLocation": _related_artifact(related.filename),
                    "region": _region(related.start.row, related.start.column, related.end.row, related.end.column),
                },
                "message": {"text": related.message},
            }
            for index, related in enumerate(finding.related)
        ]
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    if finding.fix is not None and finding.fix.edits:
        result["fixes"] = [
            {
                "description": {"text": f"{finding.fix.title} ({finding.fix.applicability.value})"},
                "artifactChanges": [
                    {"artifactLocation": _artifact(path), "replacements": [_replacement(e) for e in finding.fix.edits]}
                ],
            }
        ]
    return result


def render(outcomes: list[FileOutcome], options: ReportOptions) -> str:
    from onnxlint import __version__

    used = sorted({f.code for outcome in outcomes for f in outcome.findings})
    rules = cast("dict[str, DocumentedRule]", documented_rules())  # rules and graph checks
    descriptors: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    for code in used:
        rule = rules.get(code)
        rule_index[code] = len(descriptors)
        if rule is None:  # ONX000 / ONX001 and graph-only codes
            descriptors.append({"id": code, "helpUri": rule_url(code), "shortDescription": {"text": code}})
            continue
        descriptors.append(
            {
                "id": code,
                "name": rule.name,
                "shortDescription": {"text": rule.message},
                "fullDescription": {"text": rule.summary()},
                "help": {"text": rule.summary(), "markdown": rule.documentation()},
                "helpUri": rule_url(code),
                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                "properties": {"tags": [rule.category()]},
            }
        )
    results = []
    notifications = []
    for outcome in outcomes:
        for finding in outcome.findings:
            results.append(_result(finding, outcome.display_path, rule_index))
        if outcome.error is not None:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": outcome.error},
                    "locations": [{"physicalLocation": {"artifactLocation": _artifact(outcome.display_path)}}],
                }
            )
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "onnxlint",
                "version": __version__,
                "informationUri": "https://github.com/onnxlint/onnxlint",
                "rules": descriptors,
            }
        },
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
        "results": results,
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
    }
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json_text(document)
