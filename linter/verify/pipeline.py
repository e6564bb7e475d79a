"""The verify pipeline: lint → load → graph → export → checker → onnxsim → onnxruntime → parity.

Each stage ends passed, failed, not run (an earlier stage it needs failed) or skipped (not
requested), with its time and, on failure, a one-line reason. The costs are kept to what the
checks need on top of a plain export script:

- one export; the eager reference outputs are computed before it, in the main thread (a
  background thread beside the exporter was measured slower on a 2-core machine: the exporter's
  Python and the eager thread fight for the GIL and the cores, and the export took 1.7 s longer
  on NestedUNet than the eager work it hid; `parallel_reference` keeps that mode);
- a dynamic batch is checked at the next odd prime size (the next size up with --extra-sizes 0)
  with the example as its first rows, and that
  one comparison stands for the example's too: the example is compared on its own only when the
  larger batch does not pass (to tell a baked shape from a wrong export), so the second size
  costs one more batch row, not one more eager and onnxruntime run;
- the dynamo exporter's operator registry is built once per process (exporting.py);
- the model is serialized once and the checker and onnxruntime read those bytes;
- onnx, onnxruntime and onnxsim are imported only by the stages that use them, and a baked
  shape is diagnosed (by a second, diagnostic export) only when one was found.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from onnxlint.core.engine import lint_source
from onnxlint.core.findings import Finding, Location, RelatedLocation, Severity
from onnxlint.core.modelspec import (
    ModelSpec,
    SpecError,
    WeightsError,
    alternative_shapes,
    build_model,
    dim_role,
    make_inputs,
)
from onnxlint.core.settings import LintSettings
from onnxlint.core.source import SourceDecodeError, read_source_file
from onnxlint.frontends.runner import display_path, relative_to_root
from onnxlint.graph.deadline import StepTimeout, time_limit
from onnxlint.graph.domain import DEFAULT_EXTRA_SIZES, boundary_sizes, validity_domain
from onnxlint.graph.errors import exception_chain, first_line
from onnxlint.graph.frames import deepest_model_frame, is_model_code
from onnxlint.knowledge.torch_info import warn_if_untested
from onnxlint.verify import locate
from onnxlint.verify.compare import compare_arrays, flatten_outputs
from onnxlint.verify.exporting import (
    ExportOutcome,
    error_detail,
    export_model,
    root_cause,
    user_frames,
)
from onnxlint.verify.report import (
    BakedShape,
    OnnxSummary,
    ParityResult,
    StageResult,
    Status,
    VerifyReport,
)
from onnxlint.verify.report import Location as SourceLocation
from onnxlint.verify.sizes import REPEAT_SECONDS, conversion_line, timeout_in

# Codes of the findings the verify layer itself reports (band 8: found by exporting and running).
EXPORT_ERROR_CODE = "ONX801"
BAKED_SHAPE_CODE = "ONX802"
TIMEOUT_CODE = "ONX803"  # a stage ran past --stage-timeout: where it was
NODE_FAILURE_CODE = "ONX804"  # the checker or onnxruntime failed in a node: the line that made it
DEFAULT_STAGE_TIMEOUT = 120.0
SAMPLE_SECONDS = 0.5  # how often a stage's stack is sampled (where the time went, if it runs out)
# Graph findings that explain a failed stage even as warnings: a capture that failed or ran out of
# time (ONX701), a data-dependent guard (ONX702), a branch decided for the example (ONX703), an op
# the exporter does not support (ONX705).
_EXPLAINING_GRAPH_CODES = ("ONX701", "ONX702", "ONX703", "ONX705")
_EXPLANATIONS = 6  # located findings listed under a failed stage
DEFERRED = "deferred: compared inside a larger batch"  # the eager error of a set not computed in advance
# How a fixed copy's lines are labelled: they are lines of the fixed code, not of the file on disk.
FIXED_SUFFIX = " (fixed)"
# Above this the protobuf cannot be serialized in one piece: weights go to an external data file.
_PROTOBUF_LIMIT = (1 << 31) - (1 << 24)


@dataclass
class VerifyOptions:
    exporter: str = "dynamo"  # or "legacy" (TorchScript, dynamo=False)
    opset: int | None = None  # None: the exporter's default
    simplify: bool = False  # run onnxsim (and check its output again)
    target: str = "onnxruntime"
    rtol: float = 1e-3
    atol: float = 1e-4
    output: Path | None = None  # where to write the ONNX file (None: keep it in memory)
    lint: bool = True
    graph: str = "auto"  # graph layer rules: "auto" (only to explain a failure), "always", "never"
    settings: LintSettings | None = None  # selection and per-file ignores for the lint stage
    seed: int = 0
    example_seeds: int = 1  # random inputs at the example shape (fix parity checks use more)
    locate_baked: bool = True  # on a baked shape, export again at the other shape to find the line
    parallel_reference: bool = False  # compute eager outputs in a thread while exporting
    example_inside_batch: bool = True  # compare the example as the first rows of the next batch size
    path_map: dict[str, str] = field(default_factory=dict)  # temporary copy -> the user's file (fix runs)
    extra_sizes: int = DEFAULT_EXTRA_SIZES  # guard-directed sizes checked beyond the example (0: none)
    stage_timeout: float | None = DEFAULT_STAGE_TIMEOUT  # seconds per stage (None or 0: no limit)


class Progress(Protocol):
    def start(self, stage: StageResult) -> None: ...

    def finish(self, stage: StageResult) -> None: ...


class _NoProgress:
    def start(self, stage: StageResult) -> None:
        pass

    def finish(self, stage: StageResult) -> None:
        pass


@dataclass
class InputSet:
    label: str
    dim: str | None
    shapes: list[tuple[int, ...]]
    tensors: tuple[Any, ...]
    arrays: dict[str, Any]  # onnxruntime feeds, copied before anything ran (models may modify inputs in place)
    size: int | None = None  # the dim's size in this set
    why: str = ""  # why this size is checked ("crosses Eq(Mod(height, 2), 0) (outside)")
    inside: bool | None = None  # inside the guards' validity domain (None: not known)
    where: str = ""  # file:line of the guard this size crosses, when torch recorded it
    guard: str = ""  # that guard, as torch printed it (symbols, not dim names)
    # The label of a batch set whose first rows are this set's inputs: this set is compared on its
    # own only when that one does not pass (its eager outputs are not computed in advance).
    inside_of: str | None = None


@dataclass
class Reference:
    """Eager outputs for each input set (flattened numpy arrays), or the error eager raised."""

    outputs: list[list[Any] | None]
    errors: list[str | None]
    seconds: float = 0.0
    timeouts: list[StepTimeout] = field(default_factory=list)  # a time limit stopped the eager model


class Pipeline:
    """One verify run. `run()` fills `report`; the model and reference outputs stay available."""

    def __init__(
        self,
        spec: ModelSpec,
        options: VerifyOptions,
        progress: Progress | None = None,
        *,
        reference_model: Any | None = None,
        reference: Reference | None = None,
    ) -> None:
        self.spec = spec
        self.options = options
        self.progress = progress or _NoProgress()
        self.reference_model = reference_model  # the eager model to compare with (default: the exported one)
        self.reference = reference  # precomputed eager outputs (same spec, same seeds)
        self.report = VerifyReport(model=describe_spec(spec, options), settings=describe_options(options))
        self.model: Any | None = None
        self.sets: list[InputSet] = []
        self.export: ExportOutcome | None = None
        self.final_proto: Any | None = None
        self.lint_findings: list[Finding] = []
        self.graph_findings: list[Finding] = []
        self.reference_result: Reference | None = reference  # eager outputs, once parity has them
        self.extra_sets: list[InputSet] = []  # guard-directed sizes, chosen after the export
        # Sizes that break common assumptions (odd, prime...), known before the export: their eager
        # outputs are computed beside it, and used when the guard-directed choice keeps them.
        self.speculative_sets: list[InputSet] = []
        self._known_extra: dict[str, tuple[Any, str | None]] = {}  # label -> (eager outputs, eager error)
        self.domains: list[Any] = []  # onnxlint.graph.domain.DimDomain per dynamic dim name
        self._job: _ReferenceJob | None = None
        self._timeouts: list[StepTimeout] = []  # limits that fired and were caught by the code they stopped
        self._plan_note: str | None = None
        self._conversion_lines: dict[str, str] = {}  # float-converted sizes -> the line that made them
        self._stage_findings: dict[str, list[Finding]] = {}  # the verify findings each stage made
        self._user_roots = [spec.entry_file.resolve().parent] if spec.entry_file else []
        self.is_user_file = locate.make_user_file_test(self._user_roots)

    # -- driver --------------------------------------------------------------------------------

    def run(self) -> VerifyReport:
        start = time.perf_counter()
        try:
            self._run()
        finally:
            self._explain_failures()
            self.report.total_seconds = time.perf_counter() - start
        return self.report

    def _explain_failures(self) -> None:
        """Give each failed stage its located findings: the verify layer's own at the root-cause line
        (ONX801-ONX804, a baked shape's lines), then the graph layer's diagnosis (errors first).

        The graph layer maps a failure to the line that causes it (library code included, the user's
        frame as related information); that mapping is used as it is, not repeated here.
        """
        graph = sorted(
            (f for f in self.graph_findings if f.severity is Severity.ERROR or f.code in _EXPLAINING_GRAPH_CODES),
            key=lambda f: (f.severity is not Severity.ERROR, f.code not in _EXPLAINING_GRAPH_CODES),
        )
        for stage in self.report.ordered_stages():
            if stage.status is not Status.FAILED or stage.name in ("lint", "graph", "load"):
                continue
            chosen: list[Finding] = []
            seen: set[tuple[str, int, str]] = set()
            for finding in [*self._stage_findings.get(stage.name, []), *graph]:
                key = (finding.filename, finding.start.row, finding.code)
                if key not in seen:
                    seen.add(key)
                    chosen.append(finding)
            stage.explained_by = chosen[:_EXPLANATIONS]

    def _run(self) -> None:
        self._lint()
        if not self._load():
            self._not_run("graph", "export", "checker", "simplify", "onnxruntime", "parity", because="load")
            return
        if self.options.graph == "always":
            self._graph()
        try:
            self._run_export_stages()
        finally:
            if self.options.graph == "auto":
                # An opset other than the one requested is not something tracing explains.
                export_stages: tuple[str, ...] = ("checker", "simplify", "onnxruntime", "parity")
                if self.export is None or self.export.error is not None:
                    export_stages = ("export", *export_stages)
                if (self.report.stage("export").reason or "").startswith("time limit"):
                    # Tracing runs the symbolic shape arithmetic the exporter's capture ran out of time in:
                    # a third of the limit per step is enough for its sampled stack to name the line.
                    self._graph(diagnosis=True, step_timeout=(self.options.stage_timeout or 120.0) / 3)
                elif not any(self.report.stage(n).status is Status.FAILED for n in export_stages):
                    self._skip("graph", "not needed: the export verified (--graph runs it anyway)")
                else:
                    self._graph(diagnosis=True)
            elif self.options.graph == "never":
                self._skip("graph", "not requested (--no-graph)")

    def _run_export_stages(self) -> None:
        reference_job = self._start_reference()
        exported = self._export()
        if not exported and (self.export is None or self.export.proto is None):
            reference_job.cancel()
            self._not_run("checker", "simplify", "onnxruntime", "parity", because="export")
            return
        self._plan_note = self._plan_sizes()
        artifact = self._serialize(self.export.proto)  # type: ignore[union-attr]
        self._checker(artifact)
        artifact = self._simplify(artifact)
        session = self._session(artifact)
        if session is None:
            reference_job.cancel()
            self._not_run("parity", because="onnxruntime")
            return
        self._parity(session, reference_job)

    @contextlib.contextmanager
    def _stage(self, name: str) -> Iterator[StageResult]:
        result = self.report.stage(name)
        self.progress.start(result)
        start = time.perf_counter()
        before = len(self.report.findings)
        try:
            # Sampled, so that a stage that runs out of time names the model line the time went to.
            with time_limit(self.options.stage_timeout, repeat=REPEAT_SECONDS, sample=SAMPLE_SECONDS):
                yield result
        except StepTimeout as timeout:
            if (
                result.status is Status.FAILED and result.reason
            ):  # it had failed already: what ran out was the diagnosis
                result.notes.append(
                    f"stopped after {timeout.seconds:g} s (--stage-timeout) while explaining the failure"
                )
            else:
                self._timed_out(result, timeout)
        except Exception as error:  # a bug or an unexpected library error: the stage fails, the report survives
            result.status = Status.FAILED
            result.reason = f"internal error: {first_line(error)}"
            result.detail = error_detail(error)
        finally:
            result.seconds = time.perf_counter() - start
            if result.status is Status.NOT_RUN:
                result.status = Status.PASSED
            made = [f for f in self.report.findings[before:] if f.origin == "verify"]
            self._stage_findings.setdefault(name, []).extend(made)
            self.progress.finish(result)

    def _not_run(self, *names: str, because: str) -> None:
        for name in names:
            result = self.report.stage(name)
            if name == "simplify" and not self.options.simplify:
                result.status, result.reason = Status.SKIPPED, "not requested (--simplify)"
            else:
                result.status, result.reason = Status.NOT_RUN, f"{because} failed"

    def _skip(self, name: str, reason: str) -> None:
        result = self.report.stage(name)
        result.status, result.reason = Status.SKIPPED, reason

    # -- lint ----------------------------------------------------------------------------------

    def lint_settings(self) -> LintSettings:
        base = self.options.settings or LintSettings()
        return dataclasses.replace(
            base, exporter=self.options.exporter, opset=self.options.opset, target=self.options.target
        )

    def _lint(self) -> None:
        if not self.options.lint:
            self._skip("lint", "not requested (--no-lint)")
            return
        with self._stage("lint") as stage:
            files = model_source_files(self.spec)
            if not files:
                stage.status, stage.reason = Status.SKIPPED, "no model source file to lint (module spec)"
                return
            settings = self.lint_settings()
            findings: list[Finding] = []
            for path in files:
                try:
                    contents = read_source_file(path)
                except (OSError, SourceDecodeError) as error:
                    stage.notes.append(f"{self._show(path)}: not read ({error})")
                    continue
                relative = relative_to_root(path, settings)  # per-file-ignores match project paths
                result = lint_source(contents.text, self._show(path), settings, relative_path=relative)
                findings.extend(result.findings)
            self.lint_findings = findings
            self.report.findings.extend(findings)
            errors = [f for f in findings if f.severity is Severity.ERROR]
            warnings = [f for f in findings if f.severity is not Severity.ERROR]
            shown = ", ".join(self._show(p) for p in files)
            if errors:
                stage.status = Status.FAILED
                stage.reason = f"{len(errors)} error(s) in {shown}: " + "; ".join(
                    f"{f.code} line {f.start.row}" for f in errors[:4]
                )
            else:
                stage.status = Status.PASSED
                stage.reason = f"{shown}: " + (f"{len(warnings)} warning(s)" if warnings else "clean")

    # -- load ----------------------------------------------------------------------------------

    def _load(self) -> bool:
        with self._stage("load") as stage:
            try:
                self.model = build_seeded(self.spec, self.options.seed)
            except WeightsError as error:
                stage.status, stage.reason = Status.FAILED, f"weights refused: {error}"
                return False
            except SpecError as error:
                stage.status, stage.reason = Status.FAILED, str(error)
                return False
            except Exception as error:  # the user's module or constructor raised
                stage.status, stage.reason = Status.FAILED, f"building the model failed: {first_line(error)}"
                frames = user_frames(error, self.is_user_file)
                stage.detail = error_detail(error) + "".join(f"\n  at {self._show(f)}:{n}" for f, n in frames[-3:])
                return False
            self.sets = self._input_sets()
            self.speculative_sets = self._speculative_sets()
            parameters = (
                sum(int(p.numel()) for p in self.model.parameters()) if hasattr(self.model, "parameters") else 0
            )
            stage.reason = f"{type(self.model).__name__}, {parameters:,} parameters" + (
                f", weights {self._show(self.spec.weights)}" if self.spec.weights else ""
            )
            stage.status = Status.PASSED
            return True

    def _input_sets(self) -> list[InputSet]:
        spec, options = self.spec, self.options
        sets = []
        base = [tuple(i.shape) for i in spec.inputs]
        for k in range(max(1, options.example_seeds)):
            label = "example" if k == 0 else f"example #{k + 1}"
            sets.append(self._make_set(label, None, base, options.seed + k))
        names = sorted({name for i in spec.inputs for name in i.dynamic.values()})
        for name, shapes in zip(names, alternative_shapes(spec.inputs)):
            size = next(
                (shapes[p][d] for p, i in enumerate(spec.inputs) for d, n in i.dynamic.items() if n == name), None
            )
            why = "the next size up"
            example = next((i.shape[d] for i in spec.inputs for d, n in i.dynamic.items() if n == name), None)
            if dim_role(name) == "batch" and options.extra_sizes > 0 and example is not None:
                # An odd prime batch (3 after 1 or 2) catches what the next size up does, and an even-only
                # assumption too: one onnxruntime run, where the next size up and an odd one were two.
                size = _next_odd_prime(example)
                shapes = self._shapes_with(name, size)
                why = "the next odd prime batch"
            input_set = self._make_set(f"{name}={size}", name, shapes, options.seed + 100)
            input_set.size, input_set.why = size, why
            if dim_role(name) == "batch" and self._may_embed_example() and example is not None:
                self._embed_example(sets[0], input_set)
            sets.append(input_set)
        return sets

    def _may_embed_example(self) -> bool:
        """The example may be compared as the first rows of the next batch size (see the module docstring).

        Not when the eager outputs come from elsewhere (they are per set) or when several example
        seeds are asked for (fix parity checks compare each seed on its own).
        """
        options = self.options
        return options.example_inside_batch and self.reference is None and options.example_seeds == 1

    def _embed_example(self, example: InputSet, batch: InputSet) -> None:
        """Make `example`'s inputs the first rows of `batch`'s, along each input's batch dim."""
        import torch

        tensors = []
        rows = 0
        for spec, tensor, example_tensor in zip(self.spec.inputs, batch.tensors, example.tensors):
            dims = [d for d, name in spec.dynamic.items() if name == batch.dim]
            if dims:
                d = dims[0]
                rows = example_tensor.shape[d]
                rest = tensor.narrow(d, 0, tensor.shape[d] - rows)
                tensor = torch.cat([example_tensor, rest], dim=d)
            elif tuple(tensor.shape) == tuple(example_tensor.shape):
                tensor = example_tensor  # an input without the batch dim: the example's own, or it is no example
            tensors.append(tensor)
        if not rows:
            return
        batch.tensors = tuple(tensors)
        batch.arrays = {spec.name: t.numpy().copy() for spec, t in zip(self.spec.inputs, batch.tensors)}
        batch.why += f", the example as its first {'row' if rows == 1 else f'{rows} rows'}"
        example.inside_of = batch.label

    def _speculative_sets(self) -> list[InputSet]:
        """The sizes `boundary_sizes` picks when no guard narrows a dim: eager runs them beside the export."""
        if self.options.extra_sizes <= 0:
            return []
        if self.reference is not None and len(self.reference.outputs) <= len(self.sets):
            return []  # precomputed outputs without them (a reference from elsewhere)
        from onnxlint.graph.capture import DynamicDim

        dims = [
            DynamicDim(i, spec.name, d, name, spec.shape[d], None)
            for i, spec in enumerate(self.spec.inputs)
            for d, name in sorted(spec.dynamic.items())
        ]
        if not dims:
            return []
        domains = validity_domain([], dims, known=False)
        sets = []
        for number, choice in enumerate(boundary_sizes(domains, limit=self.options.extra_sizes, exclude=self._taken())):
            shapes = self._shapes_with(choice.dim, choice.size)
            label = f"{choice.dim}={choice.size}"
            input_set = self._make_set(label, choice.dim, shapes, self.options.seed + 200 + number)
            input_set.size, input_set.why = choice.size, choice.why
            sets.append(input_set)
        return sets

    def _taken(self) -> dict[str, set[int]]:
        taken: dict[str, set[int]] = {}
        for input_set in self.sets:
            if input_set.dim is not None and input_set.size is not None:
                taken.setdefault(input_set.dim, set()).add(input_set.size)
        return taken

    def _make_set(self, label: str, dim: str | None, shapes: list[tuple[int, ...]], seed: int) -> InputSet:
        tensors = make_inputs(self.spec.inputs, seed=seed, shapes=shapes)
        arrays = {spec.name: tensor.numpy().copy() for spec, tensor in zip(self.spec.inputs, tensors)}
        return InputSet(label, dim, list(shapes), tensors, arrays)

    def _shapes_with(self, name: str, size: int) -> list[tuple[int, ...]]:
        """The example shapes with every dim named `name` set to `size`."""
        shapes = []
        for spec in self.spec.inputs:
            shape = list(spec.shape)
            for index, dim_name in spec.dynamic.items():
                if dim_name == name:
                    shape[index] = size
            shapes.append(tuple(shape))
        return shapes

    # -- validity domain and guard-directed sizes ----------------------------------------------

    def _plan_sizes(self) -> str | None:
        """The validity domain per dynamic dim, from the export's guards, and the extra sizes to check.

        Returns a note for the parity stage (what was chosen, or why nothing was).
        """
        if not any(spec.dynamic for spec in self.spec.inputs) or self.export is None:
            return None
        start = time.perf_counter()
        program = getattr(self.export.program, "exported_program", None)
        try:
            if program is not None:
                from onnxlint.verify.sizes import conversion_lines, program_guards

                guards, dims, ranges = program_guards(program, self.spec.inputs)
                self._conversion_lines = conversion_lines(program)
                # The runtime asserts the exporter kept in its program, and the guards it only logged.
                domains = validity_domain([*self.export.events, *guards], dims, ranges=ranges)
            else:  # the TorchScript exporter records no guards: sizes that break common assumptions only
                from onnxlint.graph.capture import DynamicDim

                dims = [
                    DynamicDim(i, spec.name, d, name, spec.shape[d], None)
                    for i, spec in enumerate(self.spec.inputs)
                    for d, name in sorted(spec.dynamic.items())
                ]
                domains = validity_domain([], dims, known=False)
        except Exception as error:  # never let the domain's analysis break the verification itself
            return f"validity domain not computed: {first_line(error)}"
        self.domains = domains
        self.report.domains = domains
        chosen = boundary_sizes(domains, limit=max(0, self.options.extra_sizes), exclude=self._taken())
        speculative = {s.label: s for s in self.speculative_sets}
        for number, choice in enumerate(chosen):
            label = f"{choice.dim}={choice.size}"
            input_set = speculative.get(label)
            if input_set is None:
                shapes = self._shapes_with(choice.dim, choice.size)
                input_set = self._make_set(label, choice.dim, shapes, self.options.seed + 300 + number)
            input_set.size, input_set.why, input_set.inside = choice.size, choice.why, choice.inside
            input_set.where, input_set.guard = choice.where, choice.guard
            self.extra_sets.append(input_set)
        seconds = time.perf_counter() - start
        return f"validity domain and {len(chosen)} guard-directed size(s) chosen in {seconds * 1000:.0f} ms"

    # -- graph layer ---------------------------------------------------------------------------

    def _graph(self, *, diagnosis: bool = False, step_timeout: float | None = None) -> None:
        """The graph layer's rules on a trace of the model (onnxlint.graph), when it is installed.

        Tracing costs about as much as the dynamo exporter's own capture and decompositions, so
        by default ("auto") it runs only to explain a failed stage; `--graph` runs it up front.
        """
        try:
            from onnxlint.graph import analyze  # type: ignore[import-not-found, unused-ignore]
            from onnxlint.graph.engine import GraphUnavailable
        except ImportError:
            self._skip("graph", "the graph layer (onnxlint.graph) is not installed")
            return
        from onnxlint.verify.exporting import captured, shared_dynamo_registry

        with self._stage("graph") as stage:
            try:
                # The graph layer's decompositions build the same operator registry the export uses.
                with captured(), shared_dynamo_registry():
                    limit: dict[str, Any] = {"timeout": step_timeout} if step_timeout else {}
                    result = analyze(self.spec, self.lint_settings(), model=self.model, **limit)
            except GraphUnavailable as error:  # torch missing, or a private torch API it uses moved: one line
                stage.status, stage.reason = Status.SKIPPED, f"graph layer unavailable: {error}"
                return
            except Exception as error:  # a spec the graph layer cannot use
                stage.status, stage.reason = Status.SKIPPED, f"graph layer unavailable: {first_line(error)}"
                return
            findings = [
                dataclasses.replace(
                    f,
                    filename=self._show(f.filename),
                    related=tuple(dataclasses.replace(r, filename=self._show(r.filename)) for r in f.related),
                )
                for f in result.findings
            ]
            self.graph_findings = findings
            self.report.findings.extend(findings)
            errors = [f for f in findings if f.severity is Severity.ERROR]
            stage.status = Status.FAILED if errors else Status.PASSED
            listed = "; ".join(f"{f.code} {f.filename}:{f.start.row}" for f in findings[:4])
            stage.reason = (
                (
                    f"run to explain the failure: {len(findings)} finding(s)"
                    if diagnosis
                    else f"{len(findings)} finding(s)"
                )
                + (f": {listed}" if listed else "")
                + f" (capture: {getattr(result, 'capture', '?')})"
            )
            for baked in self.report.baked:
                known = {(s.file, s.line) for s in (*baked.locations, *baked.suspects)}
                for finding in findings:
                    about_dim = f"`{baked.dim}`" in finding.message or f"'{baked.dim}'" in finding.message
                    if about_dim and (finding.filename, finding.start.row) not in known:
                        baked.suspects.append(
                            SourceLocation(
                                finding.filename,
                                finding.start.row,
                                locate.line_text(self._real(finding.filename), finding.start.row),
                                f"{finding.code} (graph): {finding.message}",
                            )
                        )

    # -- eager reference -----------------------------------------------------------------------

    def _start_reference(self) -> _ReferenceJob:
        if self.reference is not None:
            return _ReferenceJob.done(self.reference)
        model = self.reference_model
        parallel = self.options.parallel_reference
        if model is None:
            model = self.model
            if parallel:
                try:
                    # The dynamo exporter swaps fake tensors into the module it traces: never share it.
                    model = copy.deepcopy(self.model)
                except Exception:
                    parallel = False
        job = _ReferenceJob(model, self.sets + self.speculative_sets, self.options.stage_timeout)
        self._job = job
        if parallel:
            job.start()
        else:
            job.run()
        return job

    # -- export --------------------------------------------------------------------------------

    def _export(self) -> bool:
        options = self.options
        with self._stage("export") as stage:
            example = self.sets[0]
            outcome = export_model(
                self.model, _clone(example.tensors), self.spec.inputs, exporter=options.exporter, opset=options.opset
            )
            self.export = outcome
            stage.notes.extend(self._export_notes(outcome))
            timeout = timeout_in(outcome.error)
            if timeout is not None:
                raise timeout  # the exporter caught it: the stage ran out of time
            if outcome.error is not None:
                cause = root_cause(outcome.error)
                stage.status, stage.reason = Status.FAILED, first_line(cause)
                stage.detail = error_detail(outcome.error)
                frames = user_frames(outcome.error, self.is_user_file)
                deepest = self._model_line(outcome.error)
                related: list[RelatedLocation] = []
                place: tuple[str, int] | None = None
                if deepest is not None and (not frames or not self.is_user_file(deepest[0])):
                    # Raised in a model library: that line, with the user's own frame as related information.
                    place = deepest
                    if frames and frames[-1] != deepest:
                        related.append(self._related(*frames[-1], "your code that reaches it"))
                elif frames:
                    place = frames[-1]
                if place is not None:
                    file, line = place
                    origin = _argument_origin(outcome.error)
                    if origin is not None:
                        related.append(self._related(origin.filename, origin.line, "the line that added the argument"))
                    stage.detail += f"\n  raised at {self._show(file)}:{line}: {locate.line_text(file, line).strip()}"
                    self.report.findings.append(
                        self._finding(
                            EXPORT_ERROR_CODE,
                            f"export failed here: {first_line(cause)}",
                            file,
                            line,
                            related=tuple(related),
                        )
                    )
                else:
                    predicted = [f for f in self.lint_findings if f.severity is Severity.ERROR][:3]
                    for finding in predicted:
                        stage.notes.append(
                            f"lint predicted it: {finding.filename}:{finding.start.row} {finding.code} {finding.message}"
                        )
                return False
            self.report.onnx = summarize(outcome.proto, options.opset)
            stage.status = Status.PASSED
            summary = self.report.onnx
            stage.reason = f"{options.exporter} exporter, opset {summary.opset}, {summary.nodes} nodes"
            problem = self._opset_problem(summary)
            if problem:
                stage.status, stage.reason = Status.FAILED, problem
            return True

    def _opset_problem(self, summary: OnnxSummary) -> str | None:
        requested = self.options.opset
        if requested is not None and summary.opset is not None and summary.opset != requested:
            why = (
                "the dynamo exporter translates at opset 18 or later and could not convert the model down; "
                "use --exporter legacy for an older opset"
                if self.options.exporter == "dynamo"
                else "the exporter changed it"
            )
            return f"opset {requested} was requested but the file declares opset {summary.opset} ({why})"
        from onnxlint.knowledge.runtimes import PROFILES

        profile = PROFILES.get(self.options.target)
        if profile and profile.max_opset is not None and summary.opset and summary.opset > profile.max_opset:
            return f"opset {summary.opset} is above what {profile.name} loads ({profile.max_opset})"
        return None

    def _export_notes(self, outcome: ExportOutcome) -> list[str]:
        notes = []
        for category, message, file, line in outcome.log.warnings:
            if category == "TracerWarning" and self.is_user_file(file):
                notes.append(f"{self._show(file)}:{line}: TracerWarning: {_first_sentence(message)}")
        for log_line in outcome.log.log_lines:
            if "operator set version" in log_line or "version conversion" in log_line.lower():
                notes.append(log_line.split(": ", 1)[-1].split(". ")[0].strip())
        failed = [c for c in outcome.capture if c.endswith("failed")]
        if failed and outcome.error is None:
            used = next((c for c in outcome.capture if c.endswith("ok")), "")
            notes.append(f"graph captured with torch.export.export({used.rsplit(':', 1)[0]}) after {', '.join(failed)}")
        unique: list[str] = []
        for note in notes:
            if note not in unique:
                unique.append(note)
        return unique[:8]

    # -- serialization -------------------------------------------------------------------------

    def _serialize(self, proto: Any) -> _Artifact:
        """Serialize once; write the user's file (when -o was given) from the same bytes."""
        output = self.options.output
        if proto.ByteSize() > _PROTOBUF_LIMIT:
            import tempfile

            import onnx

            path = output or Path(tempfile.mkdtemp(prefix="onnxlint-")) / "model.onnx"
            path.parent.mkdir(parents=True, exist_ok=True)
            onnx.save_model(proto, str(path), save_as_external_data=True, location=path.name + ".data")
            artifact = _Artifact(proto, None, path)
        else:
            data = proto.SerializeToString()
            artifact = _Artifact(proto, data, None)
            if output is not None:
                output.parent.mkdir(parents=True, exist_ok=True)
                output.write_bytes(data)
                artifact.path = output
        if self.report.onnx is not None:
            self.report.onnx.size_bytes = artifact.size
            self.report.onnx.path = self._show(output) if output else None
        return artifact

    # -- checker -------------------------------------------------------------------------------

    def _checker(self, artifact: _Artifact) -> None:
        import onnx

        with self._stage("checker") as stage:
            try:
                onnx.checker.check_model(artifact.source, full_check=True)
            except Exception as error:  # ValidationError, InferenceError, ...
                stage.status, stage.reason = Status.FAILED, first_line(error)
                stage.detail = error_detail(error)
                self._node_finding(artifact.proto, str(error), "onnx.checker")
                return
            stage.status, stage.reason = Status.PASSED, "valid (full check, with shape inference)"

    # -- onnxsim -------------------------------------------------------------------------------

    def _simplify(self, artifact: _Artifact) -> _Artifact:
        if not self.options.simplify:
            self._skip("simplify", "not requested (--simplify)")
            return artifact
        with self._stage("simplify") as stage:
            if artifact.data is None:
                stage.status, stage.reason = Status.SKIPPED, "model over 2 GB: onnxsim not run"
                return artifact
            import onnx
            import onnxsim

            from onnxlint.verify.exporting import captured

            try:
                with captured():
                    simplified, ok = onnxsim.simplify(artifact.proto)
            except Exception as error:
                stage.status, stage.reason = Status.FAILED, f"onnxsim failed: {first_line(error)}"
                stage.detail = error_detail(error)
                return artifact
            if not ok:
                stage.status, stage.reason = Status.FAILED, "onnxsim's own check of the simplified model failed"
                return artifact
            data = simplified.SerializeToString()
            try:
                onnx.checker.check_model(data, full_check=True)
            except Exception as error:
                stage.status, stage.reason = (
                    Status.FAILED,
                    f"the simplified model fails the checker: {first_line(error)}",
                )
                stage.detail = error_detail(error)
                return artifact
            summary = self.report.onnx
            if summary is not None:
                summary.simplified_size_bytes = len(data)
                summary.simplified_nodes = len(simplified.graph.node)
                summary.simplified_op_types = op_histogram(simplified)
            if self.options.output is not None:
                self.options.output.write_bytes(data)
            stage.status = Status.PASSED
            before = len(artifact.proto.graph.node)
            stage.reason = (
                f"{before} -> {len(simplified.graph.node)} nodes, "
                f"{artifact.size:,} -> {len(data):,} bytes; checker passed again"
            )
            return _Artifact(simplified, data, self.options.output)

    # -- onnxruntime ---------------------------------------------------------------------------

    def _session(self, artifact: _Artifact) -> Any | None:
        import onnxruntime as ort

        with self._stage("onnxruntime") as stage:
            session_options = ort.SessionOptions()
            session_options.log_severity_level = 4  # fatal only: its errors and warnings are in the report
            # As many threads as there are idle cores: on a busy 2-core runner one thread ran
            # NestedUNet faster than onnxruntime's default of one per core (they contend).
            session_options.intra_op_num_threads = free_cores()
            try:
                session = ort.InferenceSession(artifact.source, session_options, providers=["CPUExecutionProvider"])
            except Exception as error:
                stage.status, stage.reason = Status.FAILED, f"session creation failed: {first_line(error)}"
                stage.detail = error_detail(error)
                self._node_finding(artifact.proto, str(error), "onnxruntime")
                return None
            self.final_proto = artifact.proto
            known = {i.name for i in session.get_inputs()}
            missing = [name for name in known if name not in self.sets[0].arrays]
            if missing:
                stage.status = Status.FAILED
                stage.reason = f"the ONNX model expects inputs {missing} that the spec does not name"
                return None
            stage.status = Status.PASSED
            stage.reason = "CPUExecutionProvider; inputs " + ", ".join(
                f"{i.name} {format_dims(i.shape)}" for i in session.get_inputs()
            )
            return session

    # -- parity --------------------------------------------------------------------------------

    def _parity(self, session: Any, job: _ReferenceJob) -> None:
        options = self.options
        with self._stage("parity") as stage:
            feeds_known = {i.name for i in session.get_inputs()}
            reference = job.result()
            self.reference_result = reference
            self._note_timeouts(reference.timeouts)
            count = len(self.sets)
            for position, input_set in enumerate(self.speculative_sets, start=count):
                if position < len(reference.outputs):
                    self._known_extra[input_set.label] = (reference.outputs[position], reference.errors[position])
            sets = self.sets + self.extra_sets
            extra_start = time.perf_counter()
            extra = self._extra_reference()
            outputs = list(reference.outputs[:count]) + extra.outputs
            errors = list(reference.errors[:count]) + extra.errors
            combined = Reference(outputs, errors, reference.seconds + extra.seconds)
            results: list[ParityResult] = []
            for position, input_set in enumerate(sets):
                if input_set.inside_of is None:
                    results.append(self._compare_set(session, feeds_known, input_set, combined, position))
                else:
                    results.append(
                        ParityResult(input_set.label, [list(s) for s in input_set.shapes], None, Status.FAILED)
                    )
            for position, input_set in enumerate(sets):
                if input_set.inside_of is not None:
                    results[position] = self._compare_inside(
                        session, feeds_known, input_set, results, combined, position
                    )
            extra_seconds = extra.seconds + sum(r.seconds or 0.0 for r in results[len(self.sets) :])
            self.report.parity = results
            self.report.extra_seconds = time.perf_counter() - extra_start if self.extra_sets else 0.0
            examples = [r for r in results if r.dim is None]
            others = [r for r in results if r.dim is not None]
            examples_ok = all(r.status is Status.PASSED for r in examples)
            for result in others:
                if result.status is Status.FAILED and examples_ok and result.kind != "reference error":
                    result.kind = "baked shape"
            self._record_checked(results)
            if self._plan_note:
                stage.notes.append(self._plan_note)
            if reference.seconds:
                when = "alongside the export" if job.parallel else "before the export"
                stage.notes.append(f"eager reference outputs took {reference.seconds:.2f} s, {when}")
            if self.extra_sets:
                stage.notes.append(
                    f"{len(self.extra_sets)} guard-directed size(s) took {extra_seconds:.2f} s "
                    f"(eager {extra.seconds:.2f} s, onnxruntime {extra_seconds - extra.seconds:.2f} s)"
                )
            skipped = [r for r in results if r.status is Status.SKIPPED]
            if skipped:
                stage.notes.append("not checked, eager PyTorch rejects them: " + ", ".join(r.label for r in skipped))
            failed = [r for r in results if r.status is Status.FAILED]
            checked = [r for r in results if r.status is not Status.SKIPPED]
            if not failed:
                stage.status = Status.PASSED
                worst = max((r.max_abs or 0.0) for r in checked) if checked else 0.0
                stage.reason = (
                    f"{len(checked)} input set(s) within rtol={options.rtol}, atol={options.atol}; max abs {worst:.2e}"
                )
                sizes = self._sizes_text(checked)
                if sizes:
                    stage.reason += f"; sizes checked: {sizes}"
                return
            stage.status = Status.FAILED
            first = failed[0]
            stage.reason = f"{first.kind or 'mismatch'} on {first.label}" + (
                f" (max abs {first.max_abs:.2e})" if first.max_abs is not None else ""
            )
            if len(failed) > 1:
                stage.reason += f" and {len(failed) - 1} more input set(s)"
            if first.error:
                stage.reason += f": {first.error.splitlines()[0][:200]}"
            baked: list[ParityResult] = []
            for result in others:  # one diagnosis (a second export) per dim: its first failing size
                if result.kind == "baked shape" and all(b.dim != result.dim for b in baked):
                    baked.append(result)
            if baked:
                self._diagnose_baked(baked, session)
            for result in failed:
                if result.kind == "onnxruntime error" and result.error and self.final_proto is not None:
                    if self._node_finding(self.final_proto, result.error, f"onnxruntime at {result.label}"):
                        break

    def _compare_inside(
        self,
        session: Any,
        known: set[str],
        input_set: InputSet,
        results: list[ParityResult],
        reference: Reference,
        position: int,
    ) -> ParityResult:
        """The example set's result: the batch set holding its inputs when that passed, else its own run."""
        cover = next((r for r in results if r.label == input_set.inside_of), None)
        if cover is not None and cover.status is Status.PASSED:
            result = ParityResult(input_set.label, [list(s) for s in input_set.shapes], None, Status.PASSED)
            result.max_abs, result.max_rel = cover.max_abs, cover.max_rel
            result.compared_inside = cover.label
            return result
        # The larger batch failed or eager rejected it: the example on its own tells a baked shape
        # from an export that is wrong everywhere.
        model = self.reference_model if self.reference_model is not None else self.model
        job = _ReferenceJob(model, [dataclasses.replace(input_set, inside_of=None)], None)
        job.run()
        own = job.result()
        reference.outputs[position], reference.errors[position] = own.outputs[0], own.errors[0]
        return self._compare_set(session, known, input_set, reference, position)

    def _extra_reference(self) -> Reference:
        """Eager outputs at the guard-directed sizes (chosen after the export, so computed now)."""
        if not self.extra_sets:
            return Reference([], [], 0.0)
        needed = [s for s in self.extra_sets if s.label not in self._known_extra]
        computed = Reference([], [], 0.0)
        if needed:
            model = self.reference_model if self.reference_model is not None else self.model
            job = _ReferenceJob(model, needed, None)  # already inside the parity stage's limit
            job.run()
            computed = job.result()
        fresh = dict(zip((s.label for s in needed), zip(computed.outputs, computed.errors)))
        outputs, errors = [], []
        for input_set in self.extra_sets:
            output, error = self._known_extra.get(input_set.label) or fresh[input_set.label]
            outputs.append(output)
            errors.append(error)
        return Reference(outputs, errors, computed.seconds)

    def _record_checked(self, results: list[ParityResult]) -> None:
        """Each checked size in its dim's validity domain: passed, failed, or eager rejects it."""
        by_name = {d.name: d for d in self.domains}
        sets = self.sets + self.extra_sets
        for result, input_set in zip(results, sets):
            domain = by_name.get(input_set.dim or "")
            if domain is None or input_set.size is None:
                continue
            if result.status is Status.SKIPPED:
                domain.checked[input_set.size] = "eager rejects"
            else:
                domain.checked[input_set.size] = result.status.value

    @staticmethod
    def _sizes_text(results: list[ParityResult]) -> str:
        by_dim: dict[str, list[str]] = {}
        for result in results:
            if result.dim is not None and result.size is not None:
                by_dim.setdefault(result.dim, []).append(str(result.size))
        return "; ".join(f"{dim} {', '.join(sizes)}" for dim, sizes in by_dim.items())

    def _compare_set(
        self, session: Any, known: set[str], input_set: InputSet, reference: Reference, position: int
    ) -> ParityResult:
        options = self.options
        shapes = [list(s) for s in input_set.shapes]
        result = ParityResult(input_set.label, shapes, input_set.dim, Status.FAILED)
        result.size, result.why, result.inside = input_set.size, input_set.why, input_set.inside
        expected, eager_error = reference.outputs[position], reference.errors[position]
        if expected is None:
            if input_set.dim is not None and eager_error != "cancelled" and not (eager_error or "").startswith("time"):
                # A size the model itself does not accept is no size the file must handle.
                result.status, result.kind = Status.SKIPPED, "eager rejects"
                result.error = f"eager PyTorch rejects this size: {eager_error}"
                return result
            result.kind = "reference error"
            result.error = f"eager PyTorch itself fails on these inputs: {eager_error}"
            return result
        feeds = {name: array for name, array in input_set.arrays.items() if name in known}
        start = time.perf_counter()
        try:
            got = session.run(None, feeds)
        except Exception as error:
            result.kind = "onnxruntime error"
            result.error = first_line(error)
            return result
        finally:
            result.seconds = time.perf_counter() - start
        ok, max_abs, max_rel, diffs, problem = compare_arrays(got, expected, rtol=options.rtol, atol=options.atol)
        result.max_abs, result.max_rel, result.outputs = max_abs, max_rel, diffs
        if ok:
            result.status = Status.PASSED
        else:
            result.kind = "wrong output shape" if problem else "numeric mismatch"
            result.error = problem or None
        return result

    # -- time limits and located failures ------------------------------------------------------

    def _note_timeouts(self, timeouts: Sequence[StepTimeout]) -> None:
        self._timeouts.extend(timeouts)

    def _timed_out(self, stage: StageResult, timeout: StepTimeout) -> None:
        """The stage ran past --stage-timeout: fail it with the model line the time went to.

        The stage's stack is sampled while it runs (`SAMPLE_SECONDS`): the line of model code most
        samples were in (`StepTimeout.hotspot`, as the graph layer's capture reads it) is where the
        time went, rather than wherever the limit happened to land; the next hottest lines are
        related information, and so is the user's own frame.
        """
        candidates = [*self._timeouts, timeout]
        job = self._job
        if job is not None and stage.name == "parity":
            stack = job.stack()
            if stack:
                candidates.append(StepTimeout(timeout.seconds, stack))
        chosen = next((t for t in candidates if _model_frame(_hot_stack(t)) is not None), timeout)
        self._timeouts.clear()
        chosen_stack = _hot_stack(chosen)
        where = _model_frame(chosen_stack)
        stage.status = Status.FAILED
        stage.reason = f"time limit: stopped after {timeout.seconds:g} s (--stage-timeout)"
        stack = [f for f in chosen_stack if "/deadline.py" not in f.filename]
        end = next((i for i in range(len(stack) - 1, -1, -1) if stack[i] is where), len(stack) - 1)
        tail = stack[max(0, end - 4) : end + 4]
        samples = chosen.hotspot_share[1]
        count = next((n for stack, n in chosen.hotspots if stack is chosen_stack or stack == chosen_stack), 0)
        share = f" ({count} of {samples} samples)" if count and samples else ""
        stage.detail = f"the stack the time went to{share} (innermost last):\n" + "\n".join(
            f"  {self._show(f.filename)}:{f.lineno} in {f.name}" for f in tail
        )
        if where is None or where.lineno is None:
            return
        stage.reason += f" in {self._show(where.filename)}:{where.lineno} ({where.name})"
        user = next((f for f in reversed(chosen_stack) if f.lineno is not None and self.is_user_file(f.filename)), None)
        related = []
        if (
            user is not None
            and user.lineno is not None
            and (user.filename, user.lineno) != (where.filename, where.lineno)
        ):
            related.append(self._related(user.filename, user.lineno, "your code that reaches it"))
        for hot_stack, hits in chosen.hotspots:
            other = _model_frame(hot_stack)
            if (
                other is None
                or other.lineno is None
                or (other.filename, other.lineno) == (where.filename, where.lineno)
            ):
                continue
            related.append(self._related(other.filename, other.lineno, f"{hits} of {samples} samples here too"))
        self.report.findings.append(
            self._finding(
                TIMEOUT_CODE,
                f"{stage.name} ran past its time limit ({timeout.seconds:g} s) here, in {where.name}"
                + (f"{share}" if share else ""),
                where.filename,
                where.lineno,
                related=tuple(related),
            )
        )

    def _model_line(self, error: BaseException) -> tuple[str, int] | None:
        """The deepest frame of model code (the user's or a model library's) in the error's tracebacks,
        innermost exception first."""
        import traceback

        for item in reversed(exception_chain(error)):
            where = _model_frame(list(traceback.extract_tb(item.__traceback__)))
            if where is not None and where.lineno is not None:
                return where.filename, where.lineno
        return None

    def _node_finding(self, proto: Any, message: str, what: str) -> bool:
        """The checker or onnxruntime named a node: a finding at the line its recorded stack ends in."""
        hit = locate.error_node(message)
        if hit is None or proto is None:
            return False
        node = locate.find_node(proto, hit[1])
        if node is None:
            return False
        frames = locate.node_frames(node, lambda name: True)
        model = [(f, n) for f, n in frames if is_model_code(f)]
        if not model:
            return False
        file, line = model[0]  # innermost: the library line the node comes from, or the user's
        user = next(((f, n) for f, n in frames if self.is_user_file(f)), None)
        related: tuple[RelatedLocation, ...] = ()
        if user is not None and user != (file, line):
            related = (self._related(user[0], user[1], "your code that reaches it"),)
        self.report.findings.append(
            self._finding(
                NODE_FAILURE_CODE,
                f"{what} failed in {hit[0]} node {hit[1]!r}, made here: {message.strip().splitlines()[0][:160]}",
                file,
                line,
                related=related,
            )
        )
        return True

    # -- baked shapes --------------------------------------------------------------------------

    def _diagnose_baked(self, failures: list[ParityResult], session: Any) -> None:
        proto = self.final_proto
        for result in failures:
            dim = result.dim or "?"
            how = "rejects" if result.error and not result.outputs else "mis-computes"
            if how == "rejects":
                detail = f"right at the example shape; at {result.label} onnxruntime fails: {result.error}"
            elif result.error:
                detail = f"right at the example shape; at {result.label} the output shape differs: {result.error}"
            else:
                detail = (
                    f"right at the example shape; at {result.label} the numbers differ from eager PyTorch "
                    f"(max abs {result.max_abs:.2e})"
                )
            interface = self._interface_problem(dim)
            if interface:
                detail = interface + "; " + detail
            guard_line = size_line = None
            guard_text = next((s.guard for s in self.extra_sets if s.label == result.label), "")
            if result.inside is False and result.why.startswith("crosses "):
                guard = result.why.removeprefix("crosses ").removesuffix(" (outside)")
                detail += f"; the exporter traced under the guard {guard}, which {result.label} breaks"
                where = next((s.where for s in self.extra_sets if s.label == result.label), "")
                file, _, line = where.rpartition(":")
                if file and line.isdigit():
                    guard_line = self._location(file, int(line), f"the branch the export took: {guard}")
                made = conversion_line(guard_text, self._conversion_lines) if guard_text else None
                if made is not None:
                    file, _, line = made[1].rpartition(":")
                    if file and line.isdigit():
                        size_line = self._location(
                            file, int(line), f"the size that guard tests went through a float here: {made[0]}"
                        )
            sizes = sorted(r.size for r in self.report.parity if r.dim == dim and r.kind == "baked shape" and r.size)
            if len(sizes) > 1:
                detail += f" (fails at {dim} = {', '.join(str(size) for size in sizes)})"
            baked = BakedShape(dim, how, detail)
            locations: list[SourceLocation] = [loc for loc in (size_line, guard_line) if loc is not None]
            node_hit = locate.ort_error_node(result.error or "") if how == "rejects" else None
            if node_hit and proto is not None:
                node = locate.find_node(proto, node_hit[1])
                if node is not None:
                    for node_file, node_line in locate.node_frames(node, self.is_user_file)[:1]:
                        locations.append(
                            self._location(
                                node_file, node_line, f"onnxruntime failed in {node_hit[0]} node {node_hit[1]}"
                            )
                        )
            if self.options.locate_baked and not locations:
                # The failing node is often where the frozen value is used, not where it was made: a
                # diagnostic export (a whole export) when neither a guard's nor a node's stack located it.
                locations.extend(self._differential(result, node_hit))
            baked.locations = _unique_locations(locations)
            baked.suspects = self._suspects(baked.locations)
            self.report.baked.append(baked)
            for location in baked.locations[:3]:
                self.report.findings.append(
                    self._finding(
                        BAKED_SHAPE_CODE,
                        f"dim '{dim}' is baked into the exported graph here ({location.why})",
                        location.file,
                        location.line,
                        severity=Severity.WARNING,
                    )
                )

    def _interface_problem(self, dim: str) -> str | None:
        """The ONNX input itself declares a fixed size for a dim that was asked to be dynamic."""
        summary = self.report.onnx
        if summary is None:
            return None
        for spec, declared in zip(self.spec.inputs, summary.inputs):
            for index, name in spec.dynamic.items():
                shape = declared.get("shape", [])
                if name == dim and index < len(shape) and isinstance(shape[index], int):
                    return f"the ONNX input {spec.name!r} declares dim {index} as {shape[index]}, not dynamic"
        return None

    def _differential(self, result: ParityResult, node_hit: tuple[str, str] | None) -> list[SourceLocation]:
        """Export again at the failing shape and report the nodes whose shape-derived constants differ."""
        every = self.sets + self.extra_sets
        position = next(i for i, s in enumerate(every) if s.label == result.label)
        second = export_model(
            self.model,
            _clone(every[position].tensors),
            self.spec.inputs,
            exporter=self.options.exporter,
            opset=self.options.opset,
            verbose_locations=True,
        )
        if second.proto is None or self.export is None or self.export.proto is None:
            return []
        locations = []
        if node_hit is not None:
            node = locate.find_node(second.proto, node_hit[1])
            if node is not None:
                for file, line in locate.node_frames(node, self.is_user_file)[:1]:
                    locations.append(
                        self._location(file, line, f"onnxruntime failed in {node_hit[0]} node {node_hit[1]}")
                    )
        for difference in locate.diff_exports(self.export.proto, second.proto):
            for file, line in locate.node_frames(difference.node, self.is_user_file)[:1]:
                locations.append(self._location(file, line, f"exported at two shapes, {difference.why}"))
        return locations

    def _suspects(self, confirmed: list[SourceLocation]) -> list[SourceLocation]:
        """Unconfirmed leads: static shape and control-flow findings, TorchScript tracer warnings."""
        seen = {(c.file, c.line) for c in confirmed}
        suspects = []
        for finding in self.lint_findings:
            if finding.code[3] in "23" and (finding.filename, finding.start.row) not in seen:
                seen.add((finding.filename, finding.start.row))
                suspects.append(
                    SourceLocation(
                        finding.filename,
                        finding.start.row,
                        locate.line_text(self._real(finding.filename), finding.start.row),
                        f"{finding.code}: {finding.message}",
                    )
                )
        if self.export is not None:
            for category, message, file, line in self.export.log.warnings:
                if category == "TracerWarning" and self.is_user_file(file):
                    shown = self._show(file)
                    if (shown, line) not in seen:
                        seen.add((shown, line))
                        suspects.append(
                            SourceLocation(
                                shown, line, locate.line_text(file, line), "TracerWarning: " + _first_sentence(message)
                            )
                        )
        return suspects[:6]

    # -- helpers -------------------------------------------------------------------------------

    def _show(self, path: str | Path | None) -> str:
        """The path to show: relative to the working folder; a fixed copy as the user's file + " (fixed)"."""
        if path is None:
            return ""
        text = str(path)
        for temporary, original in self.options.path_map.items():
            if locate_same(text, temporary):
                return display_path(Path(original)) + FIXED_SUFFIX
        return display_path(Path(text))

    def _real(self, shown: str) -> str:
        """The file to read a shown path's lines from (the temporary copy, in fix verification runs)."""
        for temporary, original in self.options.path_map.items():
            if display_path(Path(original)) + FIXED_SUFFIX == shown:
                return temporary
        return shown

    def _location(self, file: str, line: int, why: str) -> SourceLocation:
        return SourceLocation(self._show(file), line, locate.line_text(file, line), why)

    def _related(self, file: str, line: int, message: str) -> RelatedLocation:
        text = locate.line_text(file, line)
        column = len(text) - len(text.lstrip()) + 1
        return RelatedLocation(
            self._show(file), Location(line, column), Location(line, max(column, len(text.rstrip()) + 1)), message
        )

    def _finding(
        self,
        code: str,
        message: str,
        file: str,
        line: int,
        *,
        severity: Severity = Severity.ERROR,
        related: tuple[RelatedLocation, ...] = (),
    ) -> Finding:
        shown = self._show(file)
        text = locate.line_text(self._real(shown), line)
        column = len(text) - len(text.lstrip()) + 1
        return Finding(
            related=related,
            code=code,
            message=message,
            severity=severity,
            filename=shown,
            start=Location(line, column),
            end=Location(line, max(column, len(text.rstrip()) + 1)),
            rule_name="verify",
            origin="verify",
        )


def _argument_origin(error: BaseException) -> Any | None:
    """`f() got multiple values for argument 'x'`: the line that put `x` into the keyword arguments.

    The graph layer's reading of that error (`onnxlint.graph.oracle`), used as it is: one copy.
    """
    try:
        from onnxlint.graph.oracle import _argument_origin as origin_of
    except ImportError:  # an older graph layer without it
        return None
    try:
        return origin_of(exception_chain(error))
    except Exception:  # never let an explanation break the report
        return None


def _hot_stack(timeout: StepTimeout) -> list[Any]:
    """The stack most of a timed-out step's samples were in, else the one the limit landed in.

    Samples in generated code only (the exporter running an FX graph: `<string>`, `<eval_with_key>`)
    name no line of the model: the hottest sample with a real model frame is taken instead.
    """
    for stack, _count in timeout.hotspots or ([(timeout.hotspot, 0)] if timeout.hotspot else []):
        if _model_frame(stack) is not None:
            return list(stack)
    return list(timeout.stack)


def _model_frame(stack: Sequence[Any]) -> Any | None:
    """The deepest frame of model code, leaving out generated code (`<string>`, `<eval_with_key>...`)."""
    return deepest_model_frame([f for f in stack if not str(f.filename).startswith("<")])


def _next_odd_prime(size: int) -> int:
    candidate = max(3, size + 1)
    while candidate % 2 == 0 or any(candidate % k == 0 for k in range(3, int(candidate**0.5) + 1, 2)):
        candidate += 1
    return candidate


def _first_sentence(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line.split(". ")[0].rstrip(".")


def build_seeded(spec: ModelSpec, seed: int) -> Any:
    """Build the model with torch's generator seeded: layers without --weights get the same random
    values in every run (the original and the fixed model of a fix verification must match)."""
    import torch

    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        return build_model(spec)
    finally:
        torch.random.set_rng_state(state)


def locate_same(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _unique_locations(locations: list[SourceLocation]) -> list[SourceLocation]:
    seen: set[tuple[str, int]] = set()
    unique = []
    for location in locations:
        if (location.file, location.line) not in seen:
            seen.add((location.file, location.line))
            unique.append(location)
    return unique


def _clone(tensors: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(t.clone() for t in tensors)


@dataclass
class _Artifact:
    proto: Any
    data: bytes | None  # the serialized model (None: over 2 GB, read from `path`)
    path: Path | None

    @property
    def source(self) -> Any:
        return self.data if self.data is not None else str(self.path)

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))


def free_cores() -> int:
    """Cores idle right now, at least one (all of them when that cannot be measured).

    Measured over a tenth of a second from /proc/stat where there is one: the 1-minute load
    average counts this very process's export (and the eager reference beside it) as load, so on
    an idle 2-core machine it left onnxruntime one thread where two were free.
    """
    import os

    cores = os.cpu_count() or 1
    idle = _idle_cores_now(cores)
    if idle is None:
        try:
            idle = cores - os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average on this platform
            return cores
    return max(1, min(cores, round(idle + 0.25)))


def _idle_cores_now(cores: int, window: float = 0.1) -> float | None:
    """How many cores were idle over the last `window` seconds (Linux's /proc/stat), or None."""
    import time

    def sample() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="ascii") as stream:
                fields = [int(value) for value in stream.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        if len(fields) < 5:
            return None
        return fields[3] + fields[4], sum(fields[:8])  # (idle + iowait, all but guest time)

    first = sample()
    if first is None:
        return None
    time.sleep(window)
    second = sample()
    if second is None or second[1] <= first[1]:
        return None
    return cores * (second[0] - first[0]) / (second[1] - first[1])


def _reference_threads() -> int:
    """Intra-op threads for the eager reference running beside the export (torch's setting is per thread)."""
    import os

    cores = os.cpu_count() or 1
    return max(1, cores // 2 - 1)


class _ReferenceJob:
    """Eager outputs for every input set, in a background thread or inline."""

    def __init__(self, model: Any, sets: list[InputSet], timeout: float | None = None) -> None:
        self.model = model
        self.sets = sets
        self.timeout = timeout
        self.parallel = False
        self._thread: threading.Thread | None = None
        self._result: Reference | None = None
        self._cancelled = False

    @classmethod
    def done(cls, reference: Reference) -> _ReferenceJob:
        job = cls(None, [])
        job._result = reference
        return job

    def start(self) -> None:
        self.parallel = True
        self._thread = threading.Thread(target=self.run, name="onnxlint-eager-reference", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancelled = True

    def stack(self) -> list[Any]:
        """Where the background eager thread is now (empty when it is not running)."""
        import sys
        import traceback

        thread = self._thread
        if thread is None or not thread.is_alive() or thread.ident is None:
            return []
        frame = sys._current_frames().get(thread.ident)
        return list(traceback.extract_stack(frame)) if frame is not None else []

    def run(self) -> None:
        import torch

        start = time.perf_counter()
        outputs: list[list[Any] | None] = []
        errors: list[str | None] = []
        threads = torch.get_num_threads()
        if self.parallel:
            # Leave the exporter (one busy Python thread) its core: on a 2-core machine two eager
            # threads beside it slowed the export by more than the eager work took on its own.
            torch.set_num_threads(_reference_threads())
        timeouts: list[StepTimeout] = []
        try:
            with time_limit(self.timeout, repeat=REPEAT_SECONDS):
                self._run_sets(outputs, errors)
        except StepTimeout as timeout:
            timeouts.append(timeout)
            while len(outputs) < len(self.sets):
                outputs.append(None)
                errors.append(f"time limit: {timeout}")
        finally:
            if self.parallel:
                torch.set_num_threads(threads)
        self._result = Reference(outputs, errors, time.perf_counter() - start, timeouts)

    def _run_sets(self, outputs: list[list[Any] | None], errors: list[str | None]) -> None:
        import torch

        with torch.no_grad():
            for input_set in self.sets:
                if self._cancelled or input_set.inside_of is not None:
                    outputs.append(None)
                    errors.append("cancelled" if self._cancelled else DEFERRED)
                    continue
                try:
                    value = self.model(*_clone(input_set.tensors))
                    outputs.append(flatten_outputs(value))
                    errors.append(None)
                except StepTimeout:
                    raise
                except Exception as error:  # the eager model itself fails at this shape
                    outputs.append(None)
                    errors.append(first_line(error))

    def result(self) -> Reference:
        if self._thread is not None:
            self._thread.join()
        assert self._result is not None
        return self._result


# -- describing ---------------------------------------------------------------------------------


def describe_spec(spec: ModelSpec, options: VerifyOptions | None = None) -> dict[str, Any]:
    path_map = options.path_map if options else {}
    source = str(spec.entry_file) if spec.entry_file else (spec.module or "")
    for temporary, original in path_map.items():
        if spec.entry_file and locate_same(str(spec.entry_file), temporary):
            source = original
    return {
        "source": display_path(Path(source)) if spec.entry_file else source,
        "factory": spec.factory,
        "constructor": spec.constructor_text(),
        "weights": display_path(spec.weights) if spec.weights else None,
        "inputs": [
            {
                "name": i.name,
                "shape": list(i.shape),
                "dtype": i.dtype,
                "dynamic": {str(k): v for k, v in i.dynamic.items()},
            }
            for i in spec.inputs
        ],
        "inputs_text": [i.describe() for i in spec.inputs],
    }


def describe_options(options: VerifyOptions) -> dict[str, Any]:
    return {
        "exporter": options.exporter,
        "opset": options.opset,
        "rtol": options.rtol,
        "atol": options.atol,
        "simplify": options.simplify,
        "target": options.target,
        "output": str(options.output) if options.output else None,
        "seed": options.seed,
    }


def versions(exporter: str, simplify: bool) -> dict[str, str]:
    from importlib import metadata

    names = (
        ["torch", "onnx", "onnxruntime"]
        + (["onnxscript"] if exporter == "dynamo" else [])
        + (["onnxsim"] if simplify else [])
    )
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def format_dims(shape: Sequence[Any]) -> str:
    return "x".join(str(d) if d is not None else "?" for d in shape)


def op_histogram(proto: Any) -> dict[str, int]:
    counts = Counter(
        (f"{n.domain}::" if n.domain and n.domain != "ai.onnx" else "") + n.op_type for n in proto.graph.node
    )
    return dict(counts.most_common())


def summarize(proto: Any, requested: int | None) -> OnnxSummary:
    from onnx import TensorProto

    imports = {(o.domain or "ai.onnx"): o.version for o in proto.opset_import}

    def value_info(value: Any) -> dict[str, Any]:
        tensor = value.type.tensor_type
        shape: list[Any] = []
        if tensor.HasField("shape"):
            for dim in tensor.shape.dim:
                shape.append(dim.dim_param if dim.dim_param else (dim.dim_value if dim.HasField("dim_value") else "?"))
        dtype = TensorProto.DataType.Name(tensor.elem_type).lower() if tensor.elem_type else "?"
        return {"name": value.name, "shape": shape, "dtype": dtype}

    return OnnxSummary(
        opset=imports.get("ai.onnx"),
        opset_requested=requested,
        opset_imports=imports,
        ir_version=proto.ir_version,
        producer=f"{proto.producer_name} {proto.producer_version}".strip(),
        nodes=len(proto.graph.node),
        op_types=op_histogram(proto),
        inputs=[value_info(v) for v in proto.graph.input],
        outputs=[value_info(v) for v in proto.graph.output],
    )


# -- the model's source files -------------------------------------------------------------------


def model_source_files(spec: ModelSpec) -> list[Path]:
    """The spec's file and the modules of its own folder it imports (transitively): what the lint stage reads."""
    if spec.entry_file is None:
        return []
    entry = spec.entry_file
    folder = entry.resolve().parent
    found: list[Path] = []
    pending = [entry]
    while pending and len(found) < 50:
        path = pending.pop(0)
        if path in found or not path.is_file():
            continue
        found.append(path)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError, OSError):
            continue
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level <= 1:
                names = [node.module]
            for name in names:
                relative = Path(*name.split("."))
                for candidate in (folder / relative.with_suffix(".py"), folder / relative / "__init__.py"):
                    if candidate.is_file() and candidate not in found:
                        pending.append(candidate)
    return found


def run_verify(spec: ModelSpec, options: VerifyOptions, progress: Progress | None = None) -> VerifyReport:
    """Run every stage for `spec` and return the report (never raises for model problems)."""
    warn_if_untested()  # one stderr line when the installed torch is outside the tested range
    pipeline = Pipeline(spec, options, progress)
    pipeline.report.versions = versions(options.exporter, options.simplify)
    return pipeline.run()
