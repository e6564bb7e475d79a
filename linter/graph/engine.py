"""The graph engine: build the model, capture it, run the enabled graph checks, place findings.

It knows nothing of particular checks: it asks `registry.all_checks()` for them, runs those the
settings enable, and turns each `Issue` into a `Finding` at the user's line (see `locate.py`).
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path
from typing import Any

from onnxlint.core import noqa
from onnxlint.core.findings import Confidence, Finding, Location, RelatedLocation, Severity
from onnxlint.core.modelspec import ModelSpec, SpecError, WeightsError, build_model, make_inputs
from onnxlint.core.rule import rule_url
from onnxlint.core.settings import LintSettings
from onnxlint.graph.check import Frame, GraphCheck, Issue
from onnxlint.graph.locate import Locator, definition_location
from onnxlint.graph.registry import all_checks
from onnxlint.graph.report import GraphReport
from onnxlint.knowledge import runtimes as targets
from onnxlint.knowledge.torch_info import warn_if_untested
from onnxlint.knowledge.torch_private import GRAPH_LAYER, TorchPrivateAPIError, require

DEFAULT_TIMEOUT = 120.0  # seconds per step (capture, the exporter's run): `--graph-timeout`, `graph-timeout`
GRAPH_CRASH_CODE = "ONX001"  # the engine's "a check crashed" code, shared with the static engine
BUILD_FAILED_CODE = "ONX701"


class GraphUnavailable(RuntimeError):
    """torch is not installed (the graph layer needs the [export] extra), or a private torch API it uses moved."""


def enabled_checks(settings: LintSettings) -> list[type[GraphCheck]]:
    selection = settings.selection
    return [
        check
        for check in all_checks().values()
        if selection.enables(check.code, check.default_enabled) or any(selection.enables(c) for c in check.static_codes)
    ]


def analyze(
    spec: ModelSpec,
    settings: LintSettings,
    *,
    model: Any = None,
    static_findings: list[Finding] | None = None,
    user_files: list[str] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> GraphReport:
    """Trace one model and check it. Raises SpecError / WeightsError for specs that cannot be used.

    `timeout` bounds each step that runs the model (the capture, the exporter's run after it), in
    seconds: a step past it stops with a finding at the deepest model frame it was in.

    `static_findings`, when given, are merged in: a graph finding with the same code on the same
    line confirms the static one (see `merge`), and the report lists the merged result.
    """
    started = time.perf_counter()
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise GraphUnavailable("the graph layer needs torch: pip install 'onnxlint[export]'") from error
    warn_if_untested()
    try:
        require(
            GRAPH_LAYER
        )  # every private torch API the layer calls, before anything is traced: one line if one moved
        return _analyze(
            spec,
            settings,
            started,
            model=model,
            static_findings=static_findings,
            user_files=user_files,
            timeout=timeout,
        )
    except TorchPrivateAPIError as error:
        raise GraphUnavailable(str(error)) from None


def _analyze(
    spec: ModelSpec,
    settings: LintSettings,
    started: float,
    *,
    model: Any,
    static_findings: list[Finding] | None,
    user_files: list[str] | None,
    timeout: float | None,
) -> GraphReport:
    from onnxlint.graph import capture as capture_module
    from onnxlint.graph import ops, oracle

    report = GraphReport(spec.label)
    files = list(user_files or [])
    if spec.entry_file is not None:
        files.append(str(spec.entry_file))
    driver = [(f.filename, f.lineno or 0) for f in traceback.extract_stack()]  # who called onnxlint
    locator = Locator(files, driver)
    if model is None:
        stage = time.perf_counter()
        try:
            model = build_model(spec)
        except (SpecError, WeightsError):
            raise
        except Exception as error:
            report.failures.append(f"build: {type(error).__name__}: {error}")
            frames = tuple(Frame(f.filename, f.lineno or 0, f.name) for f in traceback.extract_tb(error.__traceback__))
            issue = Issue(f"the model could not be built: {type(error).__name__}: {error}", frames)
            check = all_checks().get(BUILD_FAILED_CODE)
            if check is not None:
                found = _finding(check, issue, locator, _spec_location(spec), report, spec)
                report.findings = _filter([found] if found else [], settings)
            report.seconds = time.perf_counter() - started
            return report
        report.timings["build"] = time.perf_counter() - stage
    inputs = make_inputs(spec.inputs)

    stage = time.perf_counter()
    config = settings.export_config()
    capture = capture_module.capture(
        spec, model, inputs, export_config=config, target=targets.profile(settings.target), timeout=timeout
    )
    capture.locator = locator
    capture.user_files = frozenset(files)
    report.timings["capture"] = time.perf_counter() - stage
    report.capture = capture.strategy
    report.failures.extend(f"{f.strategy}: {f.summary}" for f in capture.failures)
    if capture.graph_module is not None:
        report.op_counts = ops.op_counts(capture.graph_module)

    # The exporter itself is the oracle: its own remaining steps on the captured program (dynamo), or
    # the real TorchScript export (legacy), so an op is unsupported only where the exporter fails on it.
    stage = time.perf_counter()
    if config.is_dynamo:
        if capture.exported:
            capture.outcome = oracle.run_dynamo(capture.program, config.opset, timeout)
    else:
        capture.outcome = oracle.run_legacy(model, inputs, spec, config.opset, timeout)
    if capture.outcome is not None:
        report.timings["export"] = time.perf_counter() - stage
        if capture.outcome.failure is not None:
            report.failures.append(f"{capture.outcome.failure.step}: {capture.outcome.failure.summary}")

    default_location = _model_location(model, spec)
    stage = time.perf_counter()
    findings: list[Finding] = []
    for check in enabled_checks(settings):
        if check.needs_export and not capture.exported:
            continue
        try:
            issues = list(check().run(capture))
        except TorchPrivateAPIError:
            raise  # not the check's bug: the installed torch lacks an API (analyze says which, in one line)
        except Exception as error:  # a check's bug must not hide the other checks' findings
            filename, start, end = default_location
            findings.append(
                Finding(
                    code=GRAPH_CRASH_CODE,
                    message=f"Graph check {check.code} ({check.name}) crashed and was skipped: "
                    f"{type(error).__name__}: {error}. Please report this bug.",
                    severity=Severity.ERROR,
                    filename=filename,
                    start=start,
                    end=end,
                    rule_name="rule_crashed",
                    origin="graph",
                    extra={"rule": check.code, "traceback": traceback.format_exc(limit=-5)},
                )
            )
            continue
        for issue in issues:
            found = _finding(check, issue, locator, default_location, report, spec)
            if found is not None:
                findings.append(found)
    report.timings["checks"] = time.perf_counter() - stage
    findings = _filter(_dedupe(findings), settings)
    if static_findings is not None:
        findings = merge(static_findings, findings)
    report.findings = sorted(findings, key=lambda f: f.sort_key)
    report.seconds = time.perf_counter() - started
    return report


def _finding(
    check: type[GraphCheck],
    issue: Issue,
    locator: Locator,
    default: tuple[str, Location, Location],
    report: GraphReport,
    spec: ModelSpec,
) -> Finding | None:
    frame = locator.cause_frame(issue.frames)
    related: list[RelatedLocation] = []
    if frame is not None:
        filename = frame.filename
        start, end = locator.span(frame, _callees(issue, frame))
        own = locator.own_frame(issue.frames)
        if own is not None and (own.filename, own.line) != (frame.filename, frame.line):
            # The cause is in a library: the user's own call that reaches it is related information.
            own_start, own_end = locator.span(own, _callees(issue, own))
            related.append(RelatedLocation(own.filename, own_start, own_end, "your code that reaches it"))
    else:
        filename, start, end = default
    for extra_frame, note in issue.related:
        extra_start, extra_end = locator.span(extra_frame)
        related.append(RelatedLocation(extra_frame.filename, extra_start, extra_end, note))
    code = issue.code or check.code
    extra: dict[str, object] = {
        "check": check.code,
        "model": spec.label,
        **issue.extra,
    }
    return Finding(
        code=code,
        message=f"{issue.message} (found by tracing `{spec.constructor_text()}`)",
        severity=issue.severity or check.severity,
        filename=filename,
        start=start,
        end=end,
        rule_name=check.name if code == check.code else _static_name(code),
        confidence=Confidence.HIGH,
        noqa_row=start.row,
        url=rule_url(code),
        origin="graph",
        related=tuple(related),
        extra=extra,
    )


def _callees(issue: Issue, frame: Frame) -> tuple[str, ...]:
    if issue.callees:
        return issue.callees
    # Guards and errors name no op: the functions called below the frame often do (torch's `expand`
    # reference, `reshape` meta function), so they may pick the call.
    deeper = issue.frames[issue.frames.index(frame) + 1 :]
    return tuple(f.name.strip("_") for f in deeper if f.name and not f.name.startswith("<"))


def _static_name(code: str) -> str:
    from onnxlint.core.registry import rule_by_code

    rule = rule_by_code(code)
    return rule.name if rule is not None else ""


def _spec_location(spec: ModelSpec) -> tuple[str, Location, Location]:
    if spec.entry_file is not None:
        from onnxlint.core.modelspec import locate_factory

        path = spec.entry_file
        if locate_factory([path], spec.factory):
            import ast

            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if getattr(node, "name", None) == spec.factory.split(".", 1)[0]:
                    return (
                        str(path),
                        Location(node.lineno, node.col_offset + 1),
                        Location(node.lineno, node.col_offset + 1),
                    )
        return str(path), Location(1, 1), Location(1, 1)
    return f"<{spec.label}>", Location(1, 1), Location(1, 1)


def _model_location(model: Any, spec: ModelSpec) -> tuple[str, Location, Location]:
    """Findings without a source line (about the spec or the whole model) go to the model's definition."""
    if spec.entry_file is not None:
        return _spec_location(spec)
    located = definition_location(type(model))
    return located if located is not None else _spec_location(spec)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, int, str]] = set()
    kept = []
    for finding in findings:
        key = (
            finding.code,
            os.path.realpath(finding.filename),
            finding.start.row,
            finding.start.column,
            finding.message,
        )
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def _filter(findings: list[Finding], settings: LintSettings) -> list[Finding]:
    """Selection, per-file ignores and `# noqa` comments, as the static engine applies them."""
    from onnxlint.core.source import SourceDecodeError, read_source_file
    from onnxlint.frontends.runner import relative_to_root

    checks = all_checks()
    kept: list[Finding] = []
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        check = checks.get(finding.code)
        default_enabled = check.default_enabled if check is not None else True
        if finding.code != GRAPH_CRASH_CODE and not settings.selection.enables(finding.code, default_enabled):
            continue
        relative = relative_to_root(Path(finding.filename), settings)
        ignored = settings.ignored_for(relative)
        if any(finding.code.startswith(code) for code in ignored):
            continue
        by_file.setdefault(finding.filename, []).append(finding)
    for filename, group in by_file.items():
        try:
            text = read_source_file(Path(filename)).text
        except (OSError, SourceDecodeError):
            kept.extend(group)
            continue
        if noqa.file_is_exempt(text):
            continue
        remaining, _ = noqa.apply(group, text)
        kept.extend(remaining)
    return kept


def merge(static: list[Finding], graph: list[Finding]) -> list[Finding]:
    """Static and graph findings as one list: a graph finding with a static finding's code on its line
    confirms it (confidence HIGH, "confirmed by tracing") instead of being listed twice."""
    from dataclasses import replace

    merged = list(static)
    index = {(f.code, os.path.realpath(f.filename), f.start.row): position for position, f in enumerate(merged)}
    for finding in graph:
        key = (finding.code, os.path.realpath(finding.filename), finding.start.row)
        position = index.get(key)
        if position is None:
            merged.append(finding)
            index[key] = len(merged) - 1
            continue
        existing = merged[position]
        if existing.origin == "graph":
            continue
        merged[position] = replace(
            existing,
            message=existing.message + " (confirmed by tracing)",
            confidence=Confidence.HIGH,
            related=existing.related or finding.related,
            extra={
                **existing.extra,
                "confirmed_by": "graph",
                "graph_message": finding.message,
                **{k: v for k, v in finding.extra.items() if k in ("check", "model")},
            },
        )
    return merged
