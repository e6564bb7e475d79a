"""The human formats: `path:row:col: CODE [*] message` with a code frame, and a one-line summary."""

from __future__ import annotations

from collections import Counter

import click

from ..findings import Applicability, Finding, Severity
from ..registry import documented_rules
from ..runner import FileOutcome
from ..source import SourceText
from . import ReportOptions, all_findings

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
    location = f"{outcome.display_path}:{finding.start.row}:{finding.start.column}:"
    code = _style(finding.code, options, fg=_SEVERITY_COLOR[finding.severity], bold=True)
    marker = _style(fix_marker(finding, options.unsafe_fixes), options, fg="cyan")
    return f"{_style(location, options, bold=True)} {code} {marker}{finding.message}"


def _frame(source: SourceText, finding: Finding, options: ReportOptions) -> list[str]:
    first = max(1, finding.start.row - 1)
    last = min(source.line_count, finding.end.row + 1)
    if finding.end.row - finding.start.row > 6:  # long spans: show the start only
        last = min(source.line_count, finding.start.row + 2)
    width = len(str(last))
    gutter = " " * width + " |"
    lines = [_style(gutter, options, fg="blue")]
    for row in range(first, last + 1):
        text = source.line(row).expandtabs(4) if "\t" in source.line(row) else source.line(row)
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


def render(outcomes: list[FileOutcome], options: ReportOptions) -> str:
    out: list[str] = []
    for outcome in outcomes:
        if outcome.diff:
            out.append(outcome.diff.rstrip("\n"))
        if outcome.error is not None:
            out.append(
                f"{_style(outcome.display_path + ':1:1:', options, bold=True)} {_style('E902', options, fg='red', bold=True)} {outcome.error}"
            )
        if options.quiet or options.diffing:
            continue
        source: SourceText | None = None
        for finding in outcome.findings:
            out.append(_header(outcome, finding, options))
            if options.show_fixes:
                if source is None:
                    source = _load(outcome)
                if source is not None:
                    out.extend(_frame(source, finding, options))
                if finding.fix is not None:
                    note = (
                        ""
                        if finding.fix.applicability is Applicability.SAFE
                        else f" ({finding.fix.applicability.value} fix)"
                    )
                    out.append(f"  {_style('help:', options, bold=True)} {finding.fix.title}{note}")
                out.append("")
        for rejected in outcome.rejected_fixes:
            out.append(
                f"{outcome.display_path}: error: a fix was dropped because it broke the syntax: {rejected} (please report)"
            )
        if not outcome.converged:
            out.append(f"{outcome.display_path}: error: fixes did not converge; the file was left as fixed so far")
    if options.statistics:
        out.extend(statistics_lines(outcomes, options))
    summary = summary_lines(outcomes, options)
    if summary:
        out.extend(summary)
    return "".join(line + "\n" for line in out)


def render_concise(outcomes: list[FileOutcome], options: ReportOptions) -> str:
    return render(outcomes, ReportOptions(**{**options.__dict__, "show_fixes": False}))


def _load(outcome: FileOutcome) -> SourceText | None:
    from ..source import SourceDecodeError, read_source_file

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
    rules = documented_rules()
    lines = []
    width = max((len(str(n)) for n in counts.values()), default=1)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        name = rules[code].name.replace("_", "-") if code in rules else ""
        marker = "[*]" if fixable[code] else "[ ]"
        lines.append(f"{count:>{width}}\t{code}\t{marker} {name}")
    return lines


def summary_lines(outcomes: list[FileOutcome], options: ReportOptions) -> list[str]:
    findings = all_findings(outcomes)
    errors = sum(1 for o in outcomes if o.error is not None and not o.written)
    total = len(findings) + errors
    fixed = sum(sum(o.fixed.values()) for o in outcomes)
    if options.diffing:
        if fixed == 0:
            return ["No fixes to apply."]
        return [f"Would fix {fixed} error{'s' if fixed != 1 else ''} ({total} remaining)."]
    if options.fixing:
        if total == 0 and fixed == 0:
            return ["All checks passed!"]
        noun = "error" if total + fixed == 1 else "errors"
        return [f"Found {total + fixed} {noun} ({fixed} fixed, {total} remaining)."]
    if total == 0:
        return ["All checks passed!"]
    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.UNSAFE)
    noun = "error" if total == 1 else "errors"
    if options.unsafe_fixes:
        fixable = f" ({safe + unsafe} fixable with `--fix --unsafe-fixes`)" if safe + unsafe else ""
    else:
        hidden = f", {unsafe} more with `--unsafe-fixes`" if unsafe else ""
        fixable = f" ({safe} fixable with `--fix`{hidden})" if safe or unsafe else ""
    return [f"Found {total} {noun}{fixable}."]
