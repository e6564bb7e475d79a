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
from typing import TYPE_CHECKING, NoReturn, cast

import click

from onnxlint import __version__
from onnxlint.core.registry import documented_rules, rule_by_name_or_code, validate_selectors
from onnxlint.core.settings import CONFIDENCES, EXPORTERS, TARGETS
from onnxlint.frontends.config import ConfigError, ProjectConfig, build_settings, find_config, load_config
from onnxlint.frontends.files import DEFAULT_EXCLUDES, Excluder, discover
from onnxlint.frontends.reporters import FORMATS, ReportOptions, get_reporter
from onnxlint.frontends.runner import (
    DEFAULT_MAX_FILE_BYTES,
    FileOutcome,
    RunOptions,
    display_path,
    printable,
    run,
    unified_diff,
)

if TYPE_CHECKING:
    from onnxlint.graph.check import DocumentedRule

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# engine.RULE_CRASH_CODE, not imported from there: a run answered by the cache never loads the engine.
RULE_CRASH_CODE = "ONX001"


class _DefaultToCheck(click.Group):
    """`onnxlint [OPTIONS] [PATHS]` means `onnxlint check [OPTIONS] [PATHS]`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code.strip().upper() for value in values for code in value.split(",") if code.strip())


def _max_file_size_option(help_text: str):
    """`--max-file-size MIB`, shared by the command line and the language server (the same limit)."""
    return click.option(
        "--max-file-size",
        type=click.IntRange(0, 1024),
        default=DEFAULT_MAX_FILE_BYTES // (1024 * 1024),
        show_default=True,
        metavar="MIB",
        help=help_text,
    )


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="onnxlint")
def main() -> None:
    """Find and fix what breaks a PyTorch model's ONNX export, before you ship.

    Run `onnxlint [PATHS]` to lint (the `check` command), `onnxlint rules` to list the rules.
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--fix", is_flag=True, help="Apply safe fixes (and unsafe ones with --unsafe-fixes).")
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    default=None,
    help="Also show and apply fixes that may change outputs (--no-unsafe-fixes: never, whatever the config says).",
)
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
    "--target",
    type=click.Choice(TARGETS),
    help="Runtime the model is deployed to (default: onnxruntime); rules add that runtime's restrictions.",
)
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format."
)
@click.option(
    "--confidence",
    type=click.Choice(CONFIDENCES),
    help="The lowest confidence to report (default: medium). high: the code runs at export and the values "
    "are proven; medium: one of the two rests on a heuristic; low: both do.",
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
@click.option(
    "--model",
    "model_text",
    metavar="'Net(arg=1)'",
    help="Trace this model (a constructor call with literal arguments, defined in the linted files or "
    "'package.module.Net(...)') and check its graph; 'auto': every nn.Module of the files whose constructor "
    "needs no arguments, with an input guessed from its first layer. Runs your code.",
)
@click.option(
    "--input",
    "input_shapes",
    multiple=True,
    metavar="1x3x224x224",
    help="Example input shape for --model (repeat for several inputs; 'name=1x3x8x8:float16').",
)
@click.option(
    "--dynamic",
    multiple=True,
    metavar="batch,height",
    help="Dims that must stay dynamic: names or indices, INPUT:DIM for one input, INPUT:DIM=LABEL to say "
    "which dims are one size (same label) and which are not; a name whose dims differ in size across "
    "inputs gets one label per input (sequence_src, sequence_tgt).",
)
@click.option("--weights", type=click.Path(path_type=Path), help="State dict to load into --model (weights_only=True).")
@click.option(
    "--train-mode", is_flag=True, help="Trace the model as built, without .eval() (reports training-mode modules)."
)
@click.option(
    "--graph-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop a graph-layer step (the capture, the exporter's run) after this long and report where it was "
    "(default: 120, or graph-timeout in the configuration).",
)
@click.option(
    "--graph/--no-graph",
    "graph",
    default=None,
    help="Trace the models configured in [[tool.onnxlint.models]] too (runs their code). Without --graph "
    "they are not traced: a configuration alone never runs code.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="With --fix and --model: export the fixed model, compare it with the original in onnxruntime, "
    "and write the fixes only when that passes (see `onnxlint export --help`).",
)
@click.option("--write-unverified", is_flag=True, help="With --verify: write the fixes even when verification fails.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Lint every file again; neither read nor write the results cache (.onnxlint_cache).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ONNXLINT_CACHE_DIR",
    help="Where the results cache lives (default: .onnxlint_cache in the project root).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(0, 512),
    default=0,
    show_default=True,
    help="Worker processes for the files to lint (0: one per CPU when there is enough to lint; 1: none).",
)
@_max_file_size_option("Report larger files (E902) instead of linting them; 0: lint every size.")
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
    target: str | None,
    output_format: str,
    confidence: str | None,
    statistics: bool,
    exit_zero: bool,
    quiet: bool,
    config_path: Path | None,
    isolated: bool,
    force_exclude: bool,
    stdin_filename: str | None,
    model_text: str | None,
    input_shapes: tuple[str, ...],
    dynamic: tuple[str, ...],
    weights: Path | None,
    train_mode: bool,
    graph_timeout: float | None,
    graph: bool | None,
    verify: bool,
    write_unverified: bool,
    no_cache: bool,
    cache_dir: Path | None,
    jobs: int,
    max_file_size: int,
) -> None:
    """Lint PATHS (files or folders; default: .); with --model, also trace the model (ONX7xx)."""
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
        target=target,
        confidence=confidence,
    )
    _announce_opset_ceiling(settings)
    unsafe = bool(unsafe_fixes) if unsafe_fixes is not None else config.unsafe_fixes
    options = RunOptions(
        fix=fix and not diff,
        unsafe_fixes=unsafe,
        diff=diff,
        cache=not no_cache,
        cache_dir=cache_dir,
        jobs=jobs,
        max_file_bytes=max_file_size * 1024 * 1024,
    )

    if reading_stdin:
        sys.exit(_check_stdin(stdin_filename or "<stdin>", settings, options, output_format, exit_zero))

    excluder = Excluder((*config.exclude, *config.extend_exclude), config.root)
    targets = list(paths) or [Path(".")]
    files = list(discover(targets, excluder, force_exclude=force_exclude))
    files = _without_generator_sources(files, quiet or output_format not in ("text", "concise"))
    if not files:
        click.echo("onnxlint: warning: No Python files found under the given path(s)", err=True)
    if verify:
        if not fix or model_text is None:
            _fail("--verify needs --fix and a model: --model 'Net(...)' --input 1x3x224x224")
        sys.exit(
            _verify_fixes(
                files,
                settings,
                config,
                unsafe,
                model_text,
                input_shapes,
                dynamic,
                weights,
                write_unverified,
                graph is False,
                output_format,
            )
        )
    if weights is not None and model_text is not None:
        _check_weights(weights)  # before anything is linted, imported or traced
    # Consent: the user's code runs only when this command line asks for it (--model names a model,
    # --graph the configured ones). A [[tool.onnxlint.models]] table found in a cloned repository is
    # untrusted input, like the code it points at.
    model_options = model_text is not None or input_shapes or dynamic or weights is not None or train_mode
    trace_configured = bool(graph) and model_text is None and "models" in config.extra
    if trace_configured:
        _check_configured_weights(config)
    progress = _ProgressLine() if _show_progress(quiet) else None
    try:
        outcomes = run(files, settings, options, progress=progress)
    finally:
        if progress is not None:
            progress.clear()
    if model_options or trace_configured:
        _add_graph_findings(
            files,
            settings,
            outcomes,
            config,
            model_text,
            input_shapes,
            dynamic,
            weights,
            train_mode,
            quiet,
            timeout=graph_timeout if graph_timeout is not None else config.extra.get("graph-timeout"),
        )
    elif graph is None and "models" in config.extra and not quiet and output_format in ("text", "concise"):
        count = len(config.extra["models"])
        click.echo(
            f"onnxlint: {count} model{'s' if count != 1 else ''} configured in {printable(display_path(config.path or Path('pyproject.toml')))} "
            "not traced (static checks only); pass --graph to trace them, which runs their code",
            err=True,
        )
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


def _add_graph_findings(
    files: list[Path],
    settings,
    outcomes: list[FileOutcome],
    config: ProjectConfig,
    model_text: str | None,
    input_shapes: tuple[str, ...],
    dynamic: tuple[str, ...],
    weights: Path | None,
    train_mode: bool,
    quiet: bool,
    timeout: float | None = None,
) -> None:
    """Trace the requested or configured models (the graph layer, imported only here) into the outcomes."""
    from onnxlint.core.modelspec import SpecError, WeightsError
    from onnxlint.graph.engine import GraphUnavailable
    from onnxlint.graph.lint import add_graph_findings, describe, specs_for_run

    try:
        specs = specs_for_run(
            files,
            model=model_text,
            inputs=input_shapes,
            dynamic=dynamic,
            weights=weights,
            train=train_mode,
            configured=config.extra.get("models"),
            config_root=config.root,
        )
        reports = add_graph_findings(specs, settings, outcomes, timeout=timeout)
    except GraphUnavailable as error:
        if model_text is None:  # configured models in a lean install (pre-commit): lint statically, say so
            click.echo(f"onnxlint: configured models not traced: {error}", err=True)
            return
        _fail(str(error))
        return
    except (SpecError, WeightsError) as error:
        _fail(str(error))
        return
    if not quiet:
        for graph_report in reports:
            click.echo(describe(graph_report), err=True)


def _verify_fixes(
    files: list[Path],
    settings,
    config: ProjectConfig,
    unsafe: bool,
    model_text: str,
    input_shapes: tuple[str, ...],
    dynamic: tuple[str, ...],
    weights: Path | None,
    write_unverified: bool,
    no_graph: bool,
    output_format: str,
) -> int:
    """`--fix --verify`: fixes confirmed by re-export (the verify layer, imported only here)."""
    from onnxlint.verify.command import missing_packages, run_fix_verification

    missing = missing_packages(exporter=settings.exporter)
    if missing:
        _fail(f"--verify exports the model and needs {', '.join(missing)}: pip install 'onnxlint[export]'")
        return EXIT_ERROR
    from onnxlint.core.modelspec import SpecError
    from onnxlint.graph.lint import specs_for_run
    from onnxlint.verify.pipeline import VerifyOptions

    try:
        specs = specs_for_run(
            files,
            model=model_text,
            inputs=input_shapes,
            dynamic=dynamic,
            weights=weights,
            train=False,
            configured=None,
            config_root=config.root,
        )
    except SpecError as error:
        _fail(str(error))
        return EXIT_ERROR
    if not specs or specs[0].entry_file is None:
        _fail("--verify needs the model's file among the linted paths")
        return EXIT_ERROR
    options = VerifyOptions(
        exporter=settings.exporter,
        opset=settings.opset,
        target=settings.target,
        settings=settings,
        graph="never" if no_graph else "auto",
    )
    return run_fix_verification(
        files,
        specs[0],
        settings,
        options,
        unsafe_fixes=unsafe,
        write_unverified=write_unverified,
        output_format=output_format,
    )


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
    if options.diff:  # a file that could not be read was not checked: that fails the run too
        return EXIT_FINDINGS if any(o.diff or o.error is not None for o in outcomes) else EXIT_CLEAN
    if any(o.findings or (o.error is not None) for o in outcomes):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _check_stdin(filename: str, settings, options: RunOptions, output_format: str, exit_zero: bool) -> int:
    from onnxlint.core.engine import lint_source
    from onnxlint.core.fixer import fix_source
    from onnxlint.core.source import FileContents, SourceDecodeError, decode_source

    raw = sys.stdin.buffer.read()
    path = Path(filename)
    try:
        text, encoding, has_bom = decode_source(raw)
    except SourceDecodeError as error:  # reported like an unreadable file: E902, exit 1; stdout unchanged with --fix
        if options.fix:
            sys.stdout.buffer.write(raw)
            click.echo(f"onnxlint: {printable(filename)}: {error}; not fixed", err=True)
            return EXIT_CLEAN if exit_zero else EXIT_FINDINGS
        outcome = FileOutcome(path=path, display_path=display_path(path), error=str(error))
        report = ReportOptions(color=_use_color(output_format), show_fixes=False)
        click.echo(get_reporter(output_format)([outcome], report), nl=False, color=report.color)
        return _exit_code([outcome], options, exit_zero)
    if options.fix or options.diff:
        result = fix_source(text, filename, settings, unsafe_fixes=options.unsafe_fixes)
        if options.diff:
            click.echo(unified_diff(text, result.text, display_path(path)), nl=False)
            return EXIT_FINDINGS if result.changed and not exit_zero else EXIT_CLEAN
        # The fixed file, for editors that format through stdin: the same bytes when nothing was
        # fixed, else in the input's encoding, BOM and newlines (as --fix writes files).
        output = raw
        if result.changed:
            try:
                output = FileContents(path, raw, text, encoding, has_bom).encode(result.text)
            except UnicodeEncodeError:
                click.echo(
                    f"onnxlint: {printable(filename)}: the fixed text cannot be encoded as {encoding}; not fixed",
                    err=True,
                )
        sys.stdout.buffer.write(output)
        sys.stdout.buffer.flush()
        return EXIT_FINDINGS if result.remaining and not exit_zero else EXIT_CLEAN
    findings = lint_source(text, filename, settings).findings
    outcome = FileOutcome(path=path, display_path=display_path(path), findings=findings)
    report = ReportOptions(color=_use_color(output_format), show_fixes=False)
    click.echo(get_reporter(output_format)([outcome], report), nl=False, color=report.color)
    return _exit_code([outcome], options, exit_zero)


def _without_generator_sources(files: list[Path], quiet: bool) -> list[Path]:
    """Leave out the files found in a folder walk whose generated twin was found too (transformers'
    `modular_*.py`): the twin is the code that runs. A file named on the command line is linted."""
    from onnxlint.frontends.files import generator_sources

    walked = [path for path in files if getattr(path, "found_by_walking", False)]
    sources = generator_sources(walked) if walked else {}
    if not sources:
        return files
    left_out = {path for path in walked if Path(os.path.abspath(path)) in sources}
    kept = [path for path in files if path not in left_out]
    if not quiet:
        skipped = len(files) - len(kept)
        click.echo(
            f"onnxlint: skipped {skipped} file{'s' if skipped != 1 else ''} that generated files were made from "
            f"(e.g. {printable(display_path(next(iter(sources))))}, generated into "
            f"{printable(display_path(next(iter(sources.values()))))}); name a file to lint it",
            err=True,
        )
    return kept


def _announce_opset_ceiling(settings) -> None:
    """Say at the start of the run when the chosen exporter cannot write the opset asked for."""
    from onnxlint.core.settings import ExportConfig

    config = ExportConfig(settings.exporter, settings.opset, settings.target)
    if config.opset_ceiling is None:
        return
    click.echo(
        f"onnxlint: note: {config.exporter_label} cannot write opset {config.opset_ceiling}: it translates at "
        f"opset {config.opset} and converts the model down, which fails for many models (it then writes opset "
        f"{config.opset}); operator support is judged against opset {config.opset_ceiling} as your runtime's "
        "ceiling. `--exporter legacy` writes that opset.",
        err=True,
    )


def _check_configured_weights(config: ProjectConfig) -> None:
    """Refuse a configured `weights` file that is not a plain state dict (exit 2), before any import."""
    from onnxlint.core.modelspec import SpecError, specs_from_config

    try:
        specs = specs_from_config(config.extra["models"], config.root)
    except SpecError as error:
        _fail(str(error))
        return
    for spec in specs:
        if spec.weights is not None:
            _check_weights(spec.weights)


def _check_weights(weights: Path) -> None:
    """Refuse a --weights file that is not a plain state dict (exit 2) before any user code runs.

    Read with `weights_only=True`, so nothing in the file runs; skipped without torch (the command
    then says torch is missing). The model's own check (missing or unexpected keys) comes later.
    """
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return
    from onnxlint.core.modelspec import WeightsError, read_state_dict

    try:
        read_state_dict(weights)
    except WeightsError as error:
        _fail(str(error))


def _show_progress(quiet: bool) -> bool:
    """Progress goes to stderr, only on a terminal (never in CI logs, pipes or pre-commit output)."""
    return not quiet and not os.environ.get("CI") and sys.stderr.isatty()


class _ProgressLine:
    """`Linting 120/489 files` on one stderr line, drawn only once a run has lasted a second (a warm or
    small run shows nothing) and at most ten times a second; erased before the report."""

    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._started = self._clock()
        self._drawn_at = 0.0
        self._visible = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if now - self._started < 1.0 or (now - self._drawn_at < 0.1 and done < total):
            return
        self._drawn_at = now
        self._visible = True
        sys.stderr.write(f"\r\x1b[2KLinting {done}/{total} files")
        sys.stderr.flush()

    def clear(self) -> None:
        if self._visible:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def _use_color(output_format: str) -> bool:
    if output_format not in ("text", "concise") or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _fail(message: str) -> NoReturn:
    click.echo(f"onnxlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@main.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Show a rule's documentation (by code, e.g. ONX201, or by name); a prefix (ONX2) lists its family."""
    rule = rule_by_name_or_code(code) or _graph_check(code)
    if rule is None:
        family = {c: r for c, r in _documented_rules().items() if c.startswith(code.strip().upper())}
        if not family or not code.strip():
            _fail(f"no rule {code!r} (see `onnxlint rules`)")
            return
        _list_rules(family)
        return
    from onnxlint.docs import render_rule

    click.echo(render_rule(rule))


def _graph_check(key: str):
    from onnxlint.graph.registry import all_checks

    checks = all_checks()
    return checks.get(key.upper()) or next(
        (c for c in checks.values() if key in (c.name, c.name.replace("_", "-"))), None
    )


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(output_format: str) -> None:
    """List every rule: code, name, whether it can fix, and what it speaks for."""
    rules = _documented_rules()
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
    _list_rules(rules)


def _documented_rules() -> dict[str, DocumentedRule]:
    """`documented_rules()`, typed: the registry only admits rules and graph checks."""
    return cast("dict[str, DocumentedRule]", documented_rules())


def _list_rules(rules: dict[str, DocumentedRule]) -> None:
    """One line per rule: code, fix applicability, name, what it applies to."""
    width = max(len(r.name) for r in rules.values())
    for rule in rules.values():
        fix = {"safe": "[*]", "unsafe": "[!]", "display-only": "[~]"}.get(
            rule.fix_applicability.value if rule.fix_applicability else "", "   "
        )
        flag = "" if rule.default_enabled else " (off by default)"
        click.echo(f"{rule.code}  {fix}  {rule.name:<{width}}  {rule.applies_to}{flag}")
    click.echo("\n[*] safe fix  [!] unsafe fix (--unsafe-fixes)  [~] suggestion only")


@main.command("server")
@click.option(
    "--debounce-ms",
    type=click.IntRange(0, 10_000),
    default=250,
    show_default=True,
    help="Wait this long after the last edit before linting (the client's initializationOptions.debounceMs wins).",
)
@_max_file_size_option(
    "Documents larger than this get one E902 diagnostic instead of being linted; 0: lint every size "
    "(the client's initializationOptions.maxFileSizeMiB wins)."
)
def server_command(debounce_ms: int, max_file_size: int) -> None:
    """Run the language server (LSP over stdin/stdout) for editors."""
    try:
        from onnxlint.frontends.server import run_server
    except ImportError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in ("pygls", "lsprotocol"):
            raise
        _fail(f"the language server needs {missing}, which is not installed: pip install 'onnxlint[lsp]'")
        return
    run_server(debounce_ms, max_file_size * 1024 * 1024)


@main.command("export")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--model", "model_text", metavar="'Net(arg=1)'", help="The model: a constructor call with literal arguments."
)
@click.option("--input", "input_shapes", multiple=True, metavar="1x3x224x224", help="Example input (repeatable).")
@click.option(
    "--dynamic",
    multiple=True,
    metavar="batch,height",
    help="Dims that must stay dynamic (names or indices; INPUT:DIM, INPUT:DIM=LABEL: dims with one label are one size).",
)
@click.option("--weights", type=click.Path(path_type=Path), help="State dict to load (weights_only=True).")
@click.option("--name", help="The [[tool.onnxlint.models]] entry to export (when the config lists several).")
@click.option(
    "--exporter",
    type=click.Choice(EXPORTERS),
    help="dynamo (torch.onnx.export's default) or legacy (TorchScript, dynamo=False).",
)
@click.option("--opset", type=click.IntRange(7, 30), help="ONNX opset to export at (default: the exporter's).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the ONNX file here.")
@click.option("--simplify", is_flag=True, help="Run onnxsim on the export (its output is checked and run again).")
@click.option("--target", type=click.Choice(TARGETS), help="Runtime the model is for (default: onnxruntime).")
@click.option("--rtol", type=float, default=1e-3, show_default=True, help="Relative tolerance of the parity check.")
@click.option("--atol", type=float, default=1e-4, show_default=True, help="Absolute tolerance of the parity check.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report: Markdown, or JSON for a .json name.",
)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-lint", is_flag=True, help="Skip the static lint stage.")
@click.option(
    "--graph/--no-graph",
    "graph",
    default=None,
    help="Always (or never) run the graph layer's rules; by default they run only to explain a failed stage.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random example inputs.")
@click.option(
    "--stage-timeout",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Stop a stage after this long and report the line it was in (0: no limit; "
    "default: 120, or stage-timeout in the configuration).",
)
@click.option(
    "--extra-sizes",
    type=click.IntRange(min=0),
    default=6,
    show_default=True,
    help="Sizes chosen from the exporter's guards to check beyond the example and one more per dim (0: none).",
)
@click.option("--fix", is_flag=True, help="Fix the model's code, verify the fixed export, write only if it passes.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix: also apply fixes that may change outputs.")
@click.option("--write-unverified", is_flag=True, help="With --fix: write the fixes even when verification fails.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this pyproject.toml.",
)
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
def export_command(
    file: Path | None,
    model_text: str | None,
    input_shapes: tuple[str, ...],
    dynamic: tuple[str, ...],
    weights: Path | None,
    name: str | None,
    exporter: str | None,
    opset: int | None,
    output: Path | None,
    simplify: bool,
    target: str | None,
    rtol: float,
    atol: float,
    report_path: Path | None,
    output_format: str,
    no_lint: bool,
    graph: bool | None,
    seed: int,
    stage_timeout: float | None,
    extra_sizes: int,
    fix: bool,
    unsafe_fixes: bool,
    write_unverified: bool,
    config_path: Path | None,
    isolated: bool,
) -> None:
    """Export a model to ONNX and prove the file right: lint, export, check, simplify, run, compare.

    \b
    onnxlint export model.py --model 'NestedUNet(num_classes=1)' --input 1x3x256x256 \\
        --dynamic batch --weights best_model.pth -o model.onnx --report report.md

    Stages: lint -> load -> export (torch.onnx.export) -> onnx.checker (full_check) -> onnxsim
    (--simplify) -> onnxruntime -> parity with eager PyTorch on the example input and on one
    more input per dynamic dim, plus sizes that cross the guards the exporter traced under
    (--extra-sizes); each stage stops after --stage-timeout. Exit 0 only when every requested
    stage passed, 1 when one failed, 2 on usage errors. Runs your code (and loads weights with
    weights_only=True).
    """
    try:
        config = _load_project_config(file or Path.cwd(), config_path, isolated)
    except ConfigError as error:
        _fail(str(error))
    settings = build_settings(config, exporter=exporter, opset=opset, target=target)
    if weights is not None:
        _check_weights(weights)
    from onnxlint.verify.command import ExportRequest, run_export

    request = ExportRequest(
        file=file,
        model=model_text,
        inputs=input_shapes,
        dynamic=dynamic,
        weights=weights,
        name=name,
        exporter=settings.exporter,
        opset=settings.opset,
        output=output,
        simplify=simplify,
        target=settings.target,
        rtol=rtol,
        atol=atol,
        report_path=report_path,
        output_format=output_format,
        lint=not no_lint,
        graph={None: "auto", True: "always", False: "never"}[graph],
        seed=seed,
        fix=fix,
        unsafe_fixes=unsafe_fixes,
        write_unverified=write_unverified,
        stage_timeout=(stage_timeout if stage_timeout is not None else config.extra.get("stage-timeout", 120.0))
        or None,
        extra_sizes=extra_sizes,
    )
    sys.exit(run_export(request, config, settings))


# Folders onnxlint never descends into, for `--help` readers.
check.help = (check.help or "") + "\n\nSkipped folders: " + ", ".join(sorted(DEFAULT_EXCLUDES)) + ", and virtualenvs."

if __name__ == "__main__":  # pragma: no cover
    main()
