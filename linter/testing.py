"""Run a rule's own VALID / INVALID cases (used by the test suite, usable by rule authors).

Every case runs through the real engine and fixer: a real parse, the rule's real visit
methods, real edits applied to the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from onnxlint.core.engine import lint_source
from onnxlint.core.findings import Applicability, Edit, Finding, Location
from onnxlint.core.fixer import fix_source
from onnxlint.core.rule import Invalid, Rule, Valid
from onnxlint.core.settings import LintSettings, Selection
from onnxlint.core.source import SourceText


@dataclass(frozen=True)
class CaseFailure:
    rule: str
    case: str
    reason: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.reason}\n--- case ---\n{self.case}"


def settings_for(rule: type[Rule], overrides: dict[str, Any]) -> LintSettings:
    return LintSettings(selection=Selection(select=(rule.code,)), **overrides)


def check_valid(rule: type[Rule], case: Valid | str) -> CaseFailure | None:
    case = Valid(case) if isinstance(case, str) else case
    result = lint_source(case.source, "case.py", settings_for(rule, case.settings), rules=[rule])
    findings = [f for f in result.findings if f.code == rule.code or f.code.startswith("ONX00")]
    if findings:
        return CaseFailure(rule.code, case.source, f"VALID case flagged: {_describe(findings)}")
    return None


def check_invalid(rule: type[Rule], case: Invalid) -> CaseFailure | None:
    settings = settings_for(rule, case.settings)
    result = lint_source(case.source, "case.py", settings, rules=[rule])
    crashes = [f for f in result.findings if f.code.startswith("ONX00")]
    if crashes:
        return CaseFailure(rule.code, case.source, f"parse error or crash: {_describe(crashes)}")
    findings = [f for f in result.findings if f.code == rule.code]
    if not findings:
        return CaseFailure(rule.code, case.source, "INVALID case not flagged")
    if case.line is not None and not any(f.start.row == case.line for f in findings):
        return CaseFailure(rule.code, case.source, f"expected a finding on line {case.line}, got {_describe(findings)}")
    if case.count is not None and len(findings) != case.count:
        return CaseFailure(rule.code, case.source, f"expected {case.count} findings, got {_describe(findings)}")
    if case.message_contains is not None and not any(case.message_contains in f.message for f in findings):
        return CaseFailure(
            rule.code, case.source, f"no message contains {case.message_contains!r}: {_describe(findings)}"
        )
    for finding in findings:
        if (
            finding.fix is not None
            and finding.fix.applicability is not Applicability.DISPLAY_ONLY
            and not finding.fix.edits
        ):
            return CaseFailure(rule.code, case.source, "an applicable fix without edits")
    expected = case.fixed_source
    if expected is not None:
        fixed = fix_source(case.source, "case.py", settings, unsafe_fixes=case.unsafe_fixes, rules=[rule])
        if fixed.text != expected:
            return CaseFailure(
                rule.code,
                case.source,
                f"fix mismatch\n--- expected ---\n{expected}\n--- got ---\n{fixed.text}",
            )
    return None


def _describe(findings: list[Finding]) -> str:
    return "; ".join(f"{f.code}@{f.start.row}:{f.start.column} {f.message}" for f in findings)


def changed_outside_edits(before: str, after: str, edits: Sequence[Edit]) -> str | None:
    """Where `after` differs from `before` outside the lines `edits` touch (None: nowhere): how the
    fix-integrity script and the property tests check that a fix changed nothing else.

    The text outside those lines is cut into the pieces between them; `after` must hold every
    piece, in order, the first as its prefix and the last as its suffix.
    """
    source = SourceText(before)
    regions = sorted((source.offset(Location(edit.start.row, 1)), _end_of_row(source, edit.end.row)) for edit in edits)
    kept: list[tuple[int, int]] = []
    position = 0
    for start, end in regions:
        if start > position:
            kept.append((position, start))
        position = max(position, end)
    if position < len(before) or not kept:
        kept.append((position, len(before)))
    cursor = 0
    for number, (start, end) in enumerate(kept):
        piece = before[start:end]
        if number == 0 and start == 0:
            found = 0 if after.startswith(piece) else -1
        elif number == len(kept) - 1 and end == len(before):
            found = len(after) - len(piece) if after.endswith(piece) and len(after) - len(piece) >= cursor else -1
        else:
            found = after.find(piece, cursor)
        if found < 0:
            row = source.location(start).row
            return f"text outside the edited lines changed (near line {row}: {piece[:80]!r})"
        cursor = found + len(piece)
    return None


def _end_of_row(source: SourceText, row: int) -> int:
    """Offset just past row `row`'s line ending."""
    if row >= source.line_count:
        return len(source.text)
    return source.offset(Location(row + 1, 1))
