"""The bodies of `onnxlint export` and `onnxlint check --fix --verify` (the CLI only parses options).

Importing this module imports no torch: the pipeline's stages import torch, onnx, onnxruntime
and onnxsim when they run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from onnxlint.core.findings import Finding
from onnxlint.core.modelspec import ModelSpec, SpecError, spec_from_cli, specs_from_config
from onnxlint.core.settings import LintSettings
from onnxlint.frontends.config import ProjectConfig
from onnxlint.frontends.runner import FileOutcome, display_path
from onnxlint.verify.report import FixVerification, VerifyReport, dumps, render_fix_text, render_markdown, render_text

EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


@dataclass
class ExportRequest:
    """What `onnxlint export` was asked to do (already validated by click)."""

    file: Path | None
    model: str | None
    inputs: tuple[str, ...]
    dynamic: tuple[str, ...]
    weights: Path | None
    name: str | None  # a [[tool.onnxlint.models]] entry, by name
    exporter: str
    opset: int | None
    output: Path | None
    simplify: bool
    target: str
    rtol: float
    atol: float
    report_path: Path | None
    output_format: str  # "text" or "json"
    lint: bool
    graph: str  # "auto", "always", "never"
    seed: int
    fix: bool
    unsafe_fixes: bool
    write_unverified: bool
    stage_timeout: float | None = 120.0  # seconds per stage (None: no limit)
    extra_sizes: int = 6  # guard-directed sizes checked beyond the example


def resolve_spec(request: ExportRequest, config: ProjectConfig) -> ModelSpec:
    """The model to export: --model (with the FILE argument), else a [[tool.onnxlint.models]] table."""
    if request.model is not None:
        return spec_from_cli(request.file, request.model, request.inputs, request.dynamic, request.weights)
    if request.inputs or request.dynamic:
        raise SpecError("--input and --dynamic need --model")
    configured = config.extra.get("models")
    if configured is None:
        raise SpecError(
            "say which model to export: FILE --model 'Net(...)' --input 1x3x224x224, "
            "or a [[tool.onnxlint.models]] table in pyproject.toml"
        )
    specs = specs_from_config(configured, config.root)
    if request.name is not None:
        specs = [s for s in specs if s.label == request.name or s.name == request.name]
        if not specs:
            raise SpecError(f"no [[tool.onnxlint.models]] entry named {request.name!r}")
    if len(specs) != 1:
        names = ", ".join(s.label for s in specs)
        raise SpecError(f"[[tool.onnxlint.models]] lists several models ({names}); pick one with --name")
    spec = specs[0]
    if request.weights is not None:
        from dataclasses import replace

        spec = replace(spec, weights=request.weights)
    return spec


def options_for(request: ExportRequest, settings: LintSettings) -> Any:
    from onnxlint.verify.pipeline import VerifyOptions

    return VerifyOptions(
        exporter=request.exporter,
        opset=request.opset,
        simplify=request.simplify,
        target=request.target,
        rtol=request.rtol,
        atol=request.atol,
        output=request.output,
        lint=request.lint,
        graph=request.graph,
        settings=settings,
        seed=request.seed,
        stage_timeout=request.stage_timeout,
        extra_sizes=request.extra_sizes,
    )


def missing_packages(simplify: bool = False, exporter: str = "dynamo") -> list[str]:
    """The [export] extra's packages the pipeline needs that are not installed."""
    import importlib.util

    needed = ["torch", "onnx", "onnxruntime"] + (["onnxscript"] if exporter == "dynamo" else [])
    needed += ["onnxsim"] if simplify else []
    return [name for name in needed if importlib.util.find_spec(name) is None]


def run_export(request: ExportRequest, config: ProjectConfig, settings: LintSettings) -> int:
    """`onnxlint export`: the staged pipeline (or, with --fix, fixes verified by re-export)."""
    missing = missing_packages(request.simplify, request.exporter)
    if missing:
        click.echo(
            f"onnxlint: error: exporting needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: pip install 'onnxlint[export]'",
            err=True,
        )
        return EXIT_ERROR
    try:
        spec = resolve_spec(request, config)
    except SpecError as error:
        click.echo(f"onnxlint: error: {error}", err=True)
        return EXIT_ERROR
    if spec.weights is not None:
        # A configured `weights` file is checked like --weights: before the model's module is imported.
        from onnxlint.core.modelspec import WeightsError, read_state_dict

        try:
            read_state_dict(spec.weights)
        except WeightsError as error:
            click.echo(f"onnxlint: error: {error}", err=True)
            return EXIT_ERROR
    options = options_for(request, settings)
    if request.fix:
        if spec.entry_file is None:
            click.echo("onnxlint: error: --fix needs the model's file (FILE --model ...)", err=True)
            return EXIT_ERROR
        from onnxlint.verify.pipeline import model_source_files

        files = model_source_files(spec)
        return run_fix_verification(
            files,
            spec,
            settings,
            options,
            unsafe_fixes=request.unsafe_fixes,
            write_unverified=request.write_unverified,
            output_format=request.output_format,
            report_path=request.report_path,
        )
    from onnxlint.verify.pipeline import run_verify

    progress = _progress(spec)
    try:
        report = run_verify(spec, options, progress)
    finally:
        if progress is not None:
            progress.close()
    _emit(report, request.output_format, request.report_path)
    return EXIT_PASSED if report.passed else EXIT_FAILED


def run_fix_verification(
    files: Sequence[Path],
    spec: ModelSpec,
    settings: LintSettings,
    options: Any,
    *,
    unsafe_fixes: bool,
    write_unverified: bool,
    output_format: str = "text",
    report_path: Path | None = None,
) -> int:
    """`--fix --verify`: exit 0 only when the fixes verified and the fixed code passes every stage."""
    missing = missing_packages(options.simplify, options.exporter)
    if missing:
        click.echo(f"onnxlint: error: --verify needs {', '.join(missing)}: pip install 'onnxlint[export]'", err=True)
        return EXIT_ERROR
    from onnxlint.verify.fixverify import verify_fixes

    progress = _progress(spec)
    try:
        result = verify_fixes(
            files,
            spec,
            settings,
            options,
            unsafe_fixes=unsafe_fixes,
            write_unverified=write_unverified,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    if output_format == "json":
        click.echo(dumps(result.to_json()), nl=False)
    else:
        if result.fixed is not None:
            _emit(result.fixed, "text", None)
        click.echo(render_fix_text(result, color=_color()), nl=False)
    if report_path is not None and result.fixed is not None:
        _write_report(result.fixed, report_path, result)
    return EXIT_PASSED if _fix_passed(result) else EXIT_FAILED


def _fix_passed(result: FixVerification) -> bool:
    if not result.fixes:
        return result.verified
    return result.verified and result.fixed is not None and result.fixed.passed


def _emit(report: VerifyReport, output_format: str, report_path: Path | None) -> None:
    if output_format == "json":
        click.echo(dumps(report.to_json()), nl=False)
    else:
        findings = _findings_text(report.findings)
        if findings:
            click.echo(findings, nl=False, color=_color())
        click.echo(render_text(report, color=_color()), nl=False, color=_color())
    if report_path is not None:
        _write_report(report, report_path)


def _write_report(report: VerifyReport, path: Path, fixes: FixVerification | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        data = fixes.to_json() if fixes is not None else report.to_json()
        path.write_text(dumps(data), encoding="utf-8")
    else:
        text = render_markdown(report)
        if fixes is not None:
            text += "\n## Fixes\n\n```text\n" + render_fix_text(fixes).strip() + "\n```\n"
        path.write_text(text, encoding="utf-8")
    click.echo(f"report written to {display_path(path)}", err=True)


def _findings_text(findings: list[Finding]) -> str:
    """Lint, graph and verify findings with code frames, through the text reporter."""
    if not findings:
        return ""
    from onnxlint.frontends.reporters import ReportOptions
    from onnxlint.frontends.reporters.text import render

    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.filename, []).append(finding)
    framed = [
        FileOutcome(path=Path(name), display_path=name, findings=sorted(items, key=lambda f: f.sort_key))
        for name, items in by_file.items()
        if Path(name).is_file()
    ]
    text = render(framed, ReportOptions(color=_color())) + "\n" if framed else ""
    # Lines of a fixed copy (or of a file that is gone): no code frame to show, one line each.
    for name, items in by_file.items():
        if not Path(name).is_file():
            for finding in sorted(items, key=lambda f: f.sort_key):
                text += f"{name}:{finding.start.row}:{finding.start.column}: {finding.code} {finding.message}\n"
    return text


def _color() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()


def _progress(spec: ModelSpec) -> Any:
    if not sys.stderr.isatty() or os.environ.get("ONNXLINT_NO_PROGRESS"):
        return None
    from onnxlint.verify.progress import TerminalProgress

    return TerminalProgress(label=f"{spec.label}: ", color=not os.environ.get("NO_COLOR"))
