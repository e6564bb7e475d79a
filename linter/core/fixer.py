"""Applying fixes: non-overlapping edits, re-lint, repeat until nothing changes, never break syntax.

`fix_source` is a pure function of text; writing files is the caller's business
(see `source.write_atomically`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from onnxlint.core.engine import lint_source
from onnxlint.core.findings import Applicability, Edit, Finding, Fix
from onnxlint.core.rule import Rule
from onnxlint.core.settings import LintSettings
from onnxlint.core.source import SourceText, apply_edits, parses

MAX_ITERATIONS = 10


@dataclass
class FixResult:
    text: str
    applied: Counter[str] = field(default_factory=Counter)  # fixes applied, by code
    remaining: list[Finding] = field(default_factory=list)  # findings left after fixing
    iterations: int = 0
    converged: bool = True
    rejected: list[str] = field(default_factory=list)  # fixes dropped because they broke the syntax
    # The edits applied in each round, in the coordinates of that round's input text (the text
    # before round 1 is the caller's): what changed, for integrity checks and diff displays.
    rounds: list[tuple[Edit, ...]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return sum(self.applied.values()) > 0

    @property
    def fixed_count(self) -> int:
        return sum(self.applied.values())


def is_applicable(fix: Fix | None, unsafe_fixes: bool) -> bool:
    if fix is None:
        return False
    if fix.applicability is Applicability.SAFE:
        return True
    return unsafe_fixes and fix.applicability is Applicability.UNSAFE


def fix_source(
    text: str,
    filename: str = "<stdin>",
    settings: LintSettings | None = None,
    *,
    unsafe_fixes: bool = False,
    relative_path: str | None = None,
    rules: Sequence[type[Rule]] | None = None,
    max_iterations: int = MAX_ITERATIONS,
) -> FixResult:
    result = FixResult(text)
    for iteration in range(max_iterations):
        lint = lint_source(result.text, filename, settings, relative_path=relative_path, rules=rules)
        result.remaining = lint.findings
        if not lint.parsed:
            break  # never "fix" a file that does not parse
        candidates = [f for f in lint.findings if is_applicable(f.fix, unsafe_fixes)]
        if not candidates:
            break
        chosen = _non_overlapping(candidates, SourceText(result.text))
        new_text = apply_edits(result.text, [edit for finding in chosen for edit in finding.fix.edits])  # type: ignore[union-attr]
        if not parses(new_text):
            chosen = _keep_parsing_fixes(result, chosen)
            if not chosen:
                break
            new_text = apply_edits(result.text, [edit for finding in chosen for edit in finding.fix.edits])  # type: ignore[union-attr]
            if not parses(new_text):  # individually fine, together not: apply one at a time
                chosen = chosen[:1]
                new_text = apply_edits(result.text, list(chosen[0].fix.edits))  # type: ignore[union-attr]
        if new_text == result.text:
            break
        result.text = new_text
        result.iterations = iteration + 1
        result.applied.update(f.code for f in chosen)
        result.rounds.append(tuple(edit for finding in chosen for edit in finding.fix.edits))  # type: ignore[union-attr]
    else:
        result.converged = False
        result.remaining = lint_source(
            result.text, filename, settings, relative_path=relative_path, rules=rules
        ).findings
        return result
    # The loop broke right after linting the final text, so `remaining` describes it.
    return result


def _non_overlapping(findings: list[Finding], source: SourceText) -> list[Finding]:
    """Pick fixes whose edits touch disjoint spans (two insertions at one point also clash)."""
    chosen: list[Finding] = []
    taken: list[tuple[int, int]] = []
    ordered = sorted(findings, key=lambda f: (f.start.row, f.start.column, f.code))
    for finding in ordered:
        spans = [(source.offset(e.start), source.offset(e.end)) for e in finding.fix.edits]  # type: ignore[union-attr]
        if any(_clash(span, other) for span in spans for other in taken):
            continue
        if any(_clash(a, b) for i, a in enumerate(spans) for b in spans[i + 1 :]):
            continue  # a malformed fix: its own edits overlap
        chosen.append(finding)
        taken.extend(spans)
    return chosen


def _clash(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] or b[0] == b[1]:  # an insertion clashes with anything at or around its point
        return a[0] <= b[1] and b[0] <= a[1]
    return a[0] < b[1] and b[0] < a[1]


def _keep_parsing_fixes(result: FixResult, chosen: list[Finding]) -> list[Finding]:
    kept = []
    for finding in chosen:
        if parses(apply_edits(result.text, list(finding.fix.edits))):  # type: ignore[union-attr]
            kept.append(finding)
        else:
            result.rejected.append(f"{finding.code} at {finding.start.row}:{finding.start.column}: {finding.fix.title}")  # type: ignore[union-attr]
    return kept
