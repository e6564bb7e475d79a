"""`--fix --verify`: apply the fixes to a temporary copy, export it, and write only what verifies.

1. Lint and fix every file in memory (`fix_source`), under the export's exporter and opset.
2. Run the pipeline on the ORIGINAL code: its stages say which hazards were real, and its eager
   outputs are the reference for everything after.
3. Write the fixed files that belong to the model (the spec's file and the modules of its folder
   it imports) to a temporary folder, import the model from there (with the user's own modules
   evicted from `sys.modules` meanwhile, so the patched copies are the ones imported), and run
   the pipeline again, comparing the FIXED export with the ORIGINAL eager model.
4. Only when every export stage of that run passes (or with `--write-unverified`) are the fixes
   written to the user's files, atomically; otherwise the files stay byte-identical.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onnxlint.core.findings import Finding
from onnxlint.core.fixer import fix_source, is_applicable
from onnxlint.core.modelspec import ModelSpec
from onnxlint.core.settings import LintSettings
from onnxlint.core.source import FileChangedError, FileContents, SourceDecodeError, read_source_file, write_atomically
from onnxlint.frontends.runner import display_path, printable, relative_to_root
from onnxlint.verify.compare import compare_arrays, flatten_outputs
from onnxlint.verify.pipeline import Pipeline, Progress, Reference, VerifyOptions, model_source_files, versions
from onnxlint.verify.report import FixRecord, FixVerification, Status, first_failure

EXPORT_STAGES = ("export", "checker", "simplify", "onnxruntime", "parity")


@dataclass
class _FileFix:
    contents: FileContents
    fixed_text: str
    records: list[FixRecord]


def verify_fixes(
    files: Sequence[Path],
    spec: ModelSpec,
    settings: LintSettings,
    options: VerifyOptions,
    *,
    unsafe_fixes: bool = False,
    write_unverified: bool = False,
    progress: Progress | None = None,
) -> FixVerification:
    """Fix `files`, verify the fixed model by re-export, write the fixes only when verified."""
    # The fixed copy is compared with the original eager model set by set, the example's included
    # (what the fix did to the numbers): each set is computed on its own, not inside a larger batch.
    options = dataclasses.replace(options, example_inside_batch=False)
    lint_settings = dataclasses.replace(settings, exporter=options.exporter, opset=options.opset, target=options.target)
    changed: list[_FileFix] = []
    problems: list[str] = []
    for path in files:
        try:
            contents = read_source_file(path)
        except (OSError, SourceDecodeError) as error:
            problems.append(f"{printable(display_path(path))}: not read ({error})")
            continue
        result = fix_source(
            contents.text,
            str(path),
            lint_settings,
            unsafe_fixes=unsafe_fixes,
            relative_path=relative_to_root(path, lint_settings),
        )
        if result.changed:
            records = _records(path, contents.text, result.text, lint_settings, unsafe_fixes)
            changed.append(_FileFix(contents, result.text, records))
    records = [record for fix in changed for record in fix.records]
    if not changed:
        reason = "no fixes to apply" + (f" ({'; '.join(problems)})" if problems else "")
        return FixVerification([], None, None, None, None, verified=True, reason=reason)

    closure = {p.resolve() for p in model_source_files(spec)}
    in_model = [fix for fix in changed if fix.contents.path.resolve() in closure]
    # The original's failures are what the fixes are for: no graph diagnosis of them.
    run_options = dataclasses.replace(options, output=None, graph="never" if options.graph == "auto" else options.graph)
    original = Pipeline(spec, run_options, progress)
    original.report.versions = versions(options.exporter, options.simplify)
    original.run()

    if not in_model:
        # The fixes touch export scripts, not the model: the model that was verified is the one that ships.
        fixed_report = original.report
        verified = _export_stages_pass(original)
        eager_abs = eager_rel = 0.0 if verified else None
        note = "the fixes do not touch the model's code; the model was exported and checked as it is"
    else:
        fixed_report, verified, eager_abs, eager_rel = _verify_fixed_copy(spec, options, progress, original, in_model)
        note = ""

    outcome = FixVerification(records, original.report, fixed_report, eager_abs, eager_rel, verified)
    if verified or write_unverified:
        written, errors = _write(changed)
        outcome.written = written
        if errors:
            outcome.reason = "; ".join(errors)
        elif not verified:
            outcome.reason = "written without verification (--write-unverified): " + _failure_text(fixed_report)
        else:
            outcome.reason = note
    else:
        outcome.reason = "verification failed, the files are unchanged: " + _failure_text(fixed_report)
    return outcome


def _records(path: Path, before: str, after: str, settings: LintSettings, unsafe_fixes: bool) -> list[FixRecord]:
    """One record per fixable finding of the original text; its hazard is gone when no finding of
    the same code remains on a line with the same text in the fixed code."""
    from onnxlint.core.engine import lint_source

    relative = relative_to_root(path, settings)
    original = lint_source(before, str(path), settings, relative_path=relative).findings
    remaining = lint_source(after, str(path), settings, relative_path=relative).findings
    after_lines = after.splitlines()
    before_lines = before.splitlines()

    def line_of(lines: list[str], finding: Finding) -> str:
        row = finding.start.row
        return lines[row - 1].strip() if 0 < row <= len(lines) else ""

    still = {(f.code, line_of(after_lines, f)) for f in remaining}
    records = []
    for finding in original:
        if not is_applicable(finding.fix, unsafe_fixes):
            continue
        assert finding.fix is not None
        records.append(
            FixRecord(
                code=finding.code,
                file=display_path(path),
                line=finding.start.row,
                title=finding.fix.title,
                applicability=finding.fix.applicability.value,
                hazard_gone=(finding.code, line_of(before_lines, finding)) not in still,
            )
        )
    return records


def _verify_fixed_copy(
    spec: ModelSpec,
    options: VerifyOptions,
    progress: Progress | None,
    original: Pipeline,
    fixes: list[_FileFix],
) -> tuple[Any, bool, float | None, float | None]:
    assert spec.entry_file is not None, "fix verification needs a model defined in a file"
    entry = spec.entry_file.resolve()
    folder = entry.parent
    temporary = Path(tempfile.mkdtemp(prefix="onnxlint-fix-")).resolve()
    try:
        path_map: dict[str, str] = {}
        texts = {fix.contents.path.resolve(): fix.fixed_text for fix in fixes}
        if entry not in texts:
            texts[entry] = entry.read_text(encoding="utf-8")
        for real, text in texts.items():
            target = temporary / real.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            path_map[str(target)] = str(real)
        fixed_spec = dataclasses.replace(spec, entry_file=temporary / entry.name)
        fixed_options = dataclasses.replace(options, path_map=path_map)
        reference = original.reference_result if _complete(original.reference_result) else None
        with _isolated_imports(folder, temporary):
            fixed = Pipeline(
                fixed_spec,
                fixed_options,
                progress,
                reference_model=original.model,  # also computes the eager outputs at the guard-directed sizes
                reference=reference,
            )
            fixed.report.versions = original.report.versions
            fixed.run()
            eager_abs, eager_rel = _eager_delta(fixed, original, options)
        fixed.report.model["source"] = original.report.model["source"]
        return fixed.report, _export_stages_pass(fixed), eager_abs, eager_rel
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _complete(reference: Reference | None) -> bool:
    return reference is not None and "cancelled" not in reference.errors


def _eager_delta(fixed: Pipeline, original: Pipeline, options: VerifyOptions) -> tuple[float | None, float | None]:
    """The fixed model against the original, both eager, on the example input: what the fix did to the numbers."""
    if fixed.model is None or not fixed.sets:
        return None, None
    import torch

    reference = fixed.reference_result
    expected = reference.outputs[0] if reference is not None else None
    if expected is None:
        return None, None
    try:
        with torch.no_grad():
            got = flatten_outputs(fixed.model(*(t.clone() for t in fixed.sets[0].tensors)))
    except Exception:  # the fixed model fails eagerly: the pipeline's stages say why
        return None, None
    _, max_abs, max_rel, _, _ = compare_arrays(got, expected, rtol=options.rtol, atol=options.atol)
    return max_abs, max_rel


def _export_stages_pass(pipeline: Pipeline) -> bool:
    report = pipeline.report
    if report.stage("load").status is not Status.PASSED:
        return False
    return all(report.stage(name).status in (Status.PASSED, Status.SKIPPED) for name in EXPORT_STAGES)


def _failure_text(report: Any) -> str:
    if report is None:
        return "nothing was verified"
    stage = first_failure(report)
    return "no stage failed" if stage is None else f"{stage.title} failed: {stage.reason}"


def _write(changed: list[_FileFix]) -> tuple[list[str], list[str]]:
    written, errors = [], []
    for fix in changed:
        try:
            write_atomically(fix.contents, fix.fixed_text)
            written.append(display_path(fix.contents.path))
        except (FileChangedError, OSError) as error:
            errors.append(f"{printable(display_path(fix.contents.path))}: {error}")  # the error ends "not fixed"
    return written, errors


@contextlib.contextmanager
def _isolated_imports(user_folder: Path, temporary: Path) -> Iterator[None]:
    """Import the patched copies, not the user's modules already loaded by the original run.

    Modules whose file lies in the user's folder are taken out of `sys.modules` while the fixed
    model is built and run, and put back afterwards; whatever the fixed run imported is dropped.
    """
    user = str(user_folder)
    before = dict(sys.modules)
    evicted = {
        name: module
        for name, module in before.items()
        if (getattr(module, "__file__", None) or "").startswith(user + "/")
    }
    for name in evicted:
        del sys.modules[name]
    try:
        yield
    finally:
        for name in list(sys.modules):
            if name not in before:
                location = getattr(sys.modules[name], "__file__", None) or ""
                if location.startswith((str(temporary) + "/", user + "/")):
                    del sys.modules[name]
        sys.modules.update(evicted)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(temporary))
