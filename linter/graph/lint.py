"""The graph layer behind the command line: which models to trace, and their findings in the file outcomes.

Imports no torch (`analyze` does). The CLI calls `specs_for_run` to resolve `--model` or the
`[[tool.onnxlint.models]]` tables, then `add_graph_findings` after the static run, so static
and graph findings come out of the same reporters, in the same per-file lists.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from onnxlint.core.findings import Finding
from onnxlint.core.modelspec import (
    ModelSpec,
    SpecError,
    locate_factory,
    parse_constructor,
    spec_from_cli,
    specs_from_config,
)
from onnxlint.core.settings import LintSettings
from onnxlint.frontends.runner import FileOutcome, display_path
from onnxlint.graph.report import GraphReport


def specs_for_run(
    files: Sequence[Path],
    *,
    model: str | None,
    inputs: Sequence[str],
    dynamic: Sequence[str],
    weights: Path | None,
    train: bool,
    configured: Any,
    config_root: Path,
) -> list[ModelSpec]:
    """The models to trace: `--model` (looked up among the linted files), else the configured tables."""
    if model is None:
        if inputs or dynamic or weights is not None or train:
            raise SpecError("--input, --dynamic, --weights and --train-mode need --model")
        if configured is None:
            return []
        specs = specs_from_config(configured, config_root)
        return [_with_train(spec) if train else spec for spec in specs]
    python_files = [f for f in files if f.suffix == ".py"]
    if model == "auto":
        if inputs or dynamic or weights is not None:
            raise SpecError("--model auto guesses the inputs; name the model to give --input, --dynamic or --weights")
        from onnxlint.graph.guess import candidate_specs

        return [_with_train(spec) if train else spec for spec in candidate_specs(python_files)]
    factory, _, _ = parse_constructor(model)
    defining = locate_factory(python_files, factory)
    if len(defining) > 1:
        names = ", ".join(display_path(f) for f in defining)
        raise SpecError(f"--model {factory}: defined in several linted files ({names}); lint one of them")
    if not defining and "." not in factory:
        raise SpecError(
            f"--model {factory}: no linted file defines it at top level; name the file that does, "
            "or write 'package.module.Factory(...)'"
        )
    entry = defining[0] if defining else None
    return [spec_from_cli(entry, model, inputs, dynamic, weights, train=train)]


def _with_train(spec: ModelSpec) -> ModelSpec:
    from dataclasses import replace

    return replace(spec, train=True)


def add_graph_findings(
    specs: Sequence[ModelSpec], settings: LintSettings, outcomes: list[FileOutcome], *, timeout: float | None = None
) -> list[GraphReport]:
    """Trace each model and merge its findings into the outcomes (new outcomes for files not linted).

    `timeout`: seconds per step that runs the model (None: the default, 120 s)."""
    from dataclasses import replace

    from onnxlint.graph import analyze
    from onnxlint.graph.engine import merge

    linted = [str(o.path) for o in outcomes]
    reports = []
    for spec in specs:
        model = None
        note = None
        if not spec.inputs:  # --model auto: build it and guess an input from its first layer
            from onnxlint.core.modelspec import build_model
            from onnxlint.graph.guess import guess_inputs

            try:
                model = build_model(spec)
            except Exception as error:  # a class that cannot be built without arguments is no candidate
                reports.append(GraphReport(spec.label, capture="skipped", notes=[f"not built: {error}"]))
                continue
            guessed = guess_inputs(model)
            if guessed is None:
                reports.append(
                    GraphReport(spec.label, capture="skipped", notes=["no first layer to guess an input from"])
                )
                continue
            spec = replace(spec, inputs=guessed)
            note = "guessed input " + ", ".join(i.describe() for i in guessed) + " from its first layer"
        limit: dict[str, Any] = {"timeout": timeout} if timeout else {}  # none: analyze's default
        report = analyze(spec, settings, model=model, user_files=linted, **limit)
        if note:
            report.notes.append(note)
        reports.append(report)
        by_file: dict[str, list[Finding]] = {}
        for finding in report.findings:
            by_file.setdefault(os.path.realpath(finding.filename), []).append(finding)
        for real, findings in by_file.items():
            outcome = next((o for o in outcomes if os.path.realpath(o.path) == real), None)
            if outcome is None:
                path = Path(findings[0].filename)
                outcome = FileOutcome(path=path, display_path=display_path(path))
                outcomes.append(outcome)
            placed = [f.with_filename(str(outcome.path)) for f in findings]
            outcome.findings = sorted(merge(outcome.findings, placed), key=lambda f: f.sort_key)
    return reports


def describe(report: GraphReport) -> str:
    """One line for the terminal: how tracing went."""
    if report.capture == "skipped":
        return f"onnxlint: did not trace {report.label}: {'; '.join(report.notes)}"
    ops = sum(report.op_counts.values())
    text = f"onnxlint: traced {report.label} with {report.capture} in {report.seconds:.1f} s ({ops} ops)"
    if report.notes:
        text += f"; {'; '.join(report.notes)}"
    if report.capture in ("fx", "failed") and report.failures:
        text += f"; {report.failures[0]}"
    return text
