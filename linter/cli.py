"""The command line, in ruff's conventions. It only translates: options to settings, outcomes to text.

    onnxlint [PATHS...]            lint (same as `onnxlint check`)
    onnxlint --fix [PATHS...]      apply safe fixes (`--unsafe-fixes` for the rest)
    onnxlint rule ONX201           a rule's documentation
    onnxlint rules                 every rule

Exit status: 0 clean, 1 findings remain, 2 usage, configuration or internal errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, ProjectConfig, build_settings, find_config, load_config
from .engine import RULE_CRASH_CODE
from .files import DEFAULT_EXCLUDES, Excluder, discover
from .fixer import fix_source
from .registry import all_rules, rule_by_name_or_code, validate_selectors
from .reporters import FORMATS, ReportOptions, get_reporter
from .runner import FileOutcome, RunOptions, display_path, run, unified_diff
from .settings import EXPORTERS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _DefaultToCheck(click.Group):
    """`onnxlint [OPTIONS] [PATHS]` means `onnxlint check [OPTIONS] [PATHS]`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code.strip().upper() for value in values for code in value.split(",") if code.strip())


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="onnxlint")
def main() -> None:
    """Find and fix what breaks a PyTorch model's ONNX export, before you ship.

    Run `onnxlint [PATHS]` to lint (the `check` command), `onnxlint rules` to list the rules.
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--fix", is_flag=True, help="Apply safe fixes (and unsafe ones with --unsafe-fixes).")
@click.option("--unsafe-fixes", is_flag=True, default=None, help="Also show and apply fixes that may change outputs.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option(
    "--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated), replacing the config's."
)
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to enable in addition.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option(
    "--opset",
    type=click.IntRange(7, 30),
    help="Target ONNX opset (default: the installed torch's default, 20 on torch 2.13).",
)
@click.option(
    "--exporter",
    type=click.Choice(EXPORTERS),
    help="Exporter to judge against: dynamo (torch's default) or legacy (TorchScript).",
)
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format."
)
@click.option("--statistics", is_flag=True, help="Show counts per rule.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary (text format).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this pyproject.toml.",
)
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option(
    "--force-exclude", is_flag=True, help="Apply exclusions to paths named on the command line too (for pre-commit)."
)
@click.option("--stdin-filename", help="The name of the file read from stdin (with the path '-').")
def check(
    paths: tuple[Path, ...],
    fix: bool,
    unsafe_fixes: bool | None,
    diff: bool,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    opset: int | None,
    exporter: str | None,
    output_format: str,
    statistics: bool,
    exit_zero: bool,
    quiet: bool,
    config_path: Path | None,
    isolated: bool,
    force_exclude: bool,
    stdin_filename: str | None,
) -> None:
    """Lint PATHS (files or folders; default: the current folder)."""
    reading_stdin = paths == (Path("-"),)
    start = Path(stdin_filename).parent if (reading_stdin and stdin_filename) else (paths[0] if paths else Path.cwd())
    try:
        config = _load_project_config(start, config_path, isolated)
    except ConfigError as error:
        _fail(str(error))
    selectors = (*_split_codes(select), *_split_codes(extend_select), *_split_codes(ignore))
    unknown = validate_selectors(selectors)
    if unknown:
        _fail(f"unknown rule selector{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} (see `onnxlint rules`)")
    settings = build_settings(
        config,
        select=_split_codes(select) or None,
        extend_select=_split_codes(extend_select),
        ignore=_split_codes(ignore),
        exporter=exporter,
        opset=opset,
    )
    unsafe = bool(unsafe_fixes) if unsafe_fixes is not None else config.unsafe_fixes
    options = RunOptions(fix=fix and not diff, unsafe_fixes=unsafe, diff=diff)

    if reading_stdin:
        sys.exit(_check_stdin(stdin_filename or "<stdin>", settings, options, output_format, exit_zero))

    excluder = Excluder((*config.exclude, *config.extend_exclude), config.root)
    targets = list(paths) or [Path(".")]
    files = list(discover(targets, excluder, force_exclude=force_exclude))
    outcomes = run(files, settings, options)
    report = ReportOptions(
        color=_use_color(output_format),
        unsafe_fixes=unsafe,
        fixing=options.fix,
        diffing=options.diff,
        quiet=quiet,
        statistics=statistics,
    )
    output = get_reporter(output_format)(outcomes, report)
    click.echo(output, nl=False, color=report.color)
    sys.exit(_exit_code(outcomes, options, exit_zero))


def _load_project_config(start: Path, explicit: Path | None, isolated: bool) -> ProjectConfig:
    if isolated:
        return ProjectConfig()
    path = explicit or find_config(start if start.exists() else Path.cwd())
    return load_config(path) if path is not None else ProjectConfig()


def _exit_code(outcomes: list[FileOutcome], options: RunOptions, exit_zero: bool) -> int:
    if any(f.code == RULE_CRASH_CODE for o in outcomes for f in o.findings):
        return EXIT_ERROR
    if exit_zero:
        return EXIT_CLEAN
    if options.diff:
        return EXIT_FINDINGS if any(o.diff for o in outcomes) else EXIT_CLEAN
    if any(o.findings or (o.error is not None) for o in outcomes):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _check_stdin(filename: str, settings, options: RunOptions, output_format: str, exit_zero: bool) -> int:
    from .engine import lint_source

    text = sys.stdin.read()
    path = Path(filename)
    if options.fix or options.diff:
        result = fix_source(text, filename, settings, unsafe_fixes=options.unsafe_fixes)
        if options.diff:
            click.echo(unified_diff(text, result.text, display_path(path)), nl=False)
            return EXIT_FINDINGS if result.changed and not exit_zero else EXIT_CLEAN
        sys.stdout.write(result.text)  # the fixed file, for editors that format through stdin
        return EXIT_FINDINGS if result.remaining and not exit_zero else EXIT_CLEAN
    findings = lint_source(text, filename, settings).findings
    outcome = FileOutcome(path=path, display_path=display_path(path), findings=findings)
    report = ReportOptions(color=_use_color(output_format), show_fixes=False)
    click.echo(get_reporter(output_format)([outcome], report), nl=False, color=report.color)
    return _exit_code([outcome], options, exit_zero)


def _use_color(output_format: str) -> bool:
    if output_format not in ("text", "concise") or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _fail(message: str) -> None:
    click.echo(f"onnxlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@main.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Show a rule's documentation (by code, e.g. ONX201, or by name)."""
    rule = rule_by_name_or_code(code)
    if rule is None:
        _fail(f"no rule {code!r} (see `onnxlint rules`)")
        return
    from .docs import render_rule

    click.echo(render_rule(rule))


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(output_format: str) -> None:
    """List every rule: code, name, whether it can fix, and what it speaks for."""
    rules = all_rules()
    if output_format == "json":
        import json

        click.echo(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "message": r.message,
                        "severity": r.severity.value,
                        "fix": r.fix_applicability.value if r.fix_applicability else None,
                        "category": r.category(),
                        "applies_to": r.applies_to,
                        "default_enabled": r.default_enabled,
                    }
                    for r in rules.values()
                ],
                indent=2,
            )
        )
        return
    width = max(len(r.name) for r in rules.values())
    for rule in rules.values():
        fix = {"safe": "[*]", "unsafe": "[!]", "display-only": "[~]"}.get(
            rule.fix_applicability.value if rule.fix_applicability else "", "   "
        )
        flag = "" if rule.default_enabled else " (off by default)"
        click.echo(f"{rule.code}  {fix}  {rule.name:<{width}}  {rule.applies_to}{flag}")
    click.echo("\n[*] safe fix  [!] unsafe fix (--unsafe-fixes)  [~] suggestion only")


# Folders onnxlint never descends into, for `--help` readers.
check.help = (check.help or "") + "\n\nSkipped folders: " + ", ".join(sorted(DEFAULT_EXCLUDES)) + ", and virtualenvs."

if __name__ == "__main__":  # pragma: no cover
    main()
