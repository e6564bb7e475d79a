"""The human formats: `path:row:col: CODE [*] message` with a code frame, and a one-line summary."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, cast

import click

from onnxlint.core.findings import Applicability, Finding, Severity
from onnxlint.core.registry import documented_rules
from onnxlint.core.source import SourceText
from onnxlint.frontends.reporters import ReportOptions, all_findings
from onnxlint.frontends.runner import FileOutcome, display_path, printable

if TYPE_CHECKING:
    from onnxlint.graph.check import DocumentedRule

# The engine's own codes (engine.SYNTAX_ERROR_CODE, RULE_CRASH_CODE), named as ruff names E999.
_INTERNAL_NAMES = {"ONX000": "syntax-error", "ONX001": "rule-crashed"}
_SEVERITY_COLOR = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def _style(text: str, options: ReportOptions, **style: object) -> str:
    return click.style(text, **style) if options.color else text  # type: ignore[arg-type]


def fix_marker(finding: Finding, unsafe_fixes: bool) -> str:
    fix = finding.fix
    if fix is None:
        return ""
    if fix.applicability is Applicability.SAFE or (unsafe_fixes and fix.applicability is Applicability.UNSAFE):
        return "[*] "
    return ""


def _header(outcome: FileOutcome, finding: Finding, options: ReportOptions) -> str:
    location = f"{printable(outcome.display_path)}:{finding.start.row}:{finding.start.column}:"
    code = _style(finding.code, options, fg=_SEVERITY_COLOR[finding.severity], bold=True)
    marker = _style(fix_marker(finding, options.unsafe_fixes), options, fg="cyan")
    return f"{_style(location, options, bold=True)} {code} {marker}{printable(finding.message)}"


def related_lines(finding: Finding, options: ReportOptions) -> list[str]:
    """`  = related: path:row:col: message` for each related location (the user's call into a library line)."""
    from pathlib import Path

    lines = []
    for related in finding.related:
        where = f"{printable(display_path(Path(related.filename)))}:{related.start.row}:{related.start.column}:"
        lines.append(f"  {_style('= related:', options, bold=True)} {where} {printable(related.message)}")
    return lines


def _frame(source: SourceText, finding: Finding, options: ReportOptions) -> list[str]:
    first = max(1, finding.start.row - 1)
    last = min(source.line_count, finding.end.row + 1)
    if finding.end.row - finding.start.row > 6:  # long spans: show the start only
        last = min(source.line_count, finding.start.row + 2)
    width = len(str(last))
    gutter = " " * width + " |"
    lines = [_style(gutter, options, fg="blue")]
    for row in range(first, last + 1):
        text = _visible(source.line(row))
        lines.append(f"{_style(f'{row:>{width}} |', options, fg='blue')} {text}")
        if row == finding.start.row:
            start = finding.start.column - 1
            end = finding.end.column - 1 if finding.end.row == row else len(text)
            carets = "^" * max(1, end - start)
            lines.append(
                f"{_style(gutter, options, fg='blue')} {' ' * start}{_style(carets, options, fg=_SEVERITY_COLOR[finding.severity])}"
            )
    lines.append(_style(gutter, options, fg="blue"))
    return lines


# Control characters in a code frame are shown as their Unicode "control pictures" (ESC as ␛, as
# ruff does; C1 controls and bidirectional overrides as �), one column each, so the carets stay
# under the code and a source line cannot drive the terminal; tabs are expanded.
_PICTURES = (
    {code: 0x2400 + code for code in range(0x20)}
    | {0x7F: 0x2421}
    | dict.fromkeys([*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)], 0xFFFD)
)


def _visible(line: str) -> str:
    if "\t" in line:
        line = line.expandtabs(4)
    return line if line.isprintable() else line.translate(_PICTURES)


def render(outcomes: list[FileOutcome], options: ReportOptions) -> str:
    out: list[str] = []
    for outcome in outcomes:
        if outcome.diff:
            out.append(outcome.diff.rstrip("\n"))
        if outcome.error is not None:
            location = _style(printable(outcome.display_path) + ":1:1:", options, bold=True)
            out.append(f"{location} {_style('E902', options, fg='red', bold=True)} {printable(outcome.error)}")
        if options.quiet or options.diffing or options.statistics:  # as in ruff, --statistics shows only the table
            continue
        source: SourceText | None = None
        for finding in outcome.findings:
            out.append(_header(outcome, finding, options))
            if options.show_fixes:
                if source is None:
                    source = _load(outcome)
                if source is not None:
                    out.extend(_frame(source, finding, options))
                out.extend(related_lines(finding, options))
                if finding.fix is not None:
                    note = (
                        ""
                        if finding.fix.applicability is Applicability.SAFE
                        else f" ({finding.fix.applicability.value} fix)"
                    )
                    out.append(f"  {_style('help:', options, bold=True)} {printable(finding.fix.title)}{note}")
                out.append("")
        name = printable(outcome.display_path)
        for rejected in outcome.rejected_fixes:
            out.append(
                f"{name}: error: a fix was dropped because it broke the syntax: {printable(rejected)} (please report)"
            )
        if not outcome.converged:
            out.append(f"{name}: error: fixes did not converge; the file was left as fixed so far")
    if options.statistics:
        out.extend(statistics_lines(outcomes, options))
    summary = summary_lines(outcomes, options)
    if summary:
        out.extend(summary)
    return "".join(line + "\n" for line in out)


def render_concise(outcomes: list[FileOutcome], options: ReportOptions) -> str:
    return render(outcomes, ReportOptions(**{**options.__dict__, "show_fixes": False}))


def _load(outcome: FileOutcome) -> SourceText | None:
    from onnxlint.core.source import SourceDecodeError, read_source_file

    try:
        return SourceText(read_source_file(outcome.path).text)
    except (OSError, SourceDecodeError):
        return None


def statistics_lines(outcomes: list[FileOutcome], options: ReportOptions) -> list[str]:
    counts: Counter[str] = Counter()
    fixable: Counter[str] = Counter()
    for finding in all_findings(outcomes):
        counts[finding.code] += 1
        if fix_marker(finding, options.unsafe_fixes):
            fixable[finding.code] += 1
    rules = cast("dict[str, DocumentedRule]", documented_rules())  # rules and graph checks
    lines = []
    width = max((len(str(n)) for n in counts.values()), default=1)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        name = rules[code].name.replace("_", "-") if code in rules else _INTERNAL_NAMES.get(code, "")
        marker = "[*]" if fixable[code] else "[ ]"
        lines.append(f"{count:>{width}}\t{code}\t{marker} {name}")
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def counted(findings: list[Finding], unread: int = 0, fixed: int = 0) -> str:
    """ "3 errors and 2 warnings": the findings by severity (files not checked count as errors, fixed
    findings, whose severity is gone with them, as errors too, as ruff counts every diagnostic)."""
    by_severity = Counter(finding.severity for finding in findings)
    parts = [
        _plural(by_severity[Severity.ERROR] + unread + fixed, "error")
        if by_severity[Severity.ERROR] + unread + fixed
        else "",
        _plural(by_severity[Severity.WARNING], "warning") if by_severity[Severity.WARNING] else "",
        _plural(by_severity[Severity.INFO], "note") if by_severity[Severity.INFO] else "",
    ]
    parts = [part for part in parts if part] or ["0 errors"]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def summary_lines(outcomes: list[FileOutcome], options: ReportOptions) -> list[str]:
    findings = all_findings(outcomes)
    errors = sum(1 for o in outcomes if o.error is not None and not o.written)
    total = len(findings) + errors
    fixed = sum(sum(o.fixed.values()) for o in outcomes)
    if options.diffing:
        if fixed == 0:
            return ["No fixes to apply."]
        return [f"Would fix {_plural(fixed, 'error')} ({total} remaining)."]
    if options.fixing:
        if total == 0 and fixed == 0:
            return ["All checks passed!"]
        return [f"Found {counted(findings, errors, fixed)} ({fixed} fixed, {total} remaining)."]
    if total == 0:
        return ["All checks passed!"]
    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.UNSAFE)
    noun = counted(findings, errors)
    if options.unsafe_fixes:
        fixable = f" ({safe + unsafe} fixable with `--fix --unsafe-fixes`)" if safe + unsafe else ""
    else:
        hidden = f", {unsafe} more with `--unsafe-fixes`" if unsafe else ""
        fixable = f" ({safe} fixable with `--fix`{hidden})" if safe or unsafe else ""
    return [f"Found {noun}{fixable}."]
