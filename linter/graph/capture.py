"""Capturing the model's graph the way `torch.onnx.export(dynamo=True)` does, and recording why shapes froze.

The dynamo exporter captures with `torch.export.export(strict=False)`, then `strict=True`, under
`backed_size_oblivious=True` (so example sizes of 0 and 1 are not specialised up front) with
the dynamic dims as `Dim.DYNAMIC`, and on a constraint violation silently refines the dims to
what tracing allowed. We do the same with `Dim.AUTO` (the same graph, without the exception) and
fall back to `torch.fx.symbolic_trace`.

While tracing, a handler on torch's structured trace log (`torch.__trace`, the channel
`TORCH_TRACE` and `draft_export` read) records every shape guard and specialisation with its
Python stack, so a dim that stopped being dynamic can be traced to the user's line.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import re
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from onnxlint.core.modelspec import InputSpec, ModelSpec
from onnxlint.graph.check import _FRAME_LINE, Frame, frames_from_stack_trace
from onnxlint.graph.deadline import StepTimeout, time_limit
from onnxlint.graph.errors import exception_chain, message_line
from onnxlint.graph.frames import deepest_model_frame
from onnxlint.graph.quiet import quiet_torch
from onnxlint.knowledge.torch_private import private

STRATEGIES = ("export-nonstrict", "export-strict", "fx")
_SOURCE_DIM = re.compile(r"(?:\[['\"](?P<key>\w+)['\"]\]|\[(?P<index>\d+)\])\.size\(\)\[(?P<dim>\d+)\]")
_PIN = re.compile(r"^Eq\((?:(?P<sym>[su]\d+), (?P<value>-?\d+)|(?P<value2>-?\d+), (?P<sym2>[su]\d+))\)$")


@dataclass
class ShapeEvent:
    """A guard or specialisation torch recorded while tracing."""

    kind: str  # "guard" or "specialization"
    expr: str  # `Eq(s77, 1)`; for a specialisation `s77 = 1`
    symbol: str | None  # the one symbol the event pins, when it pins one
    value: int | None  # the value it is pinned to
    sources: tuple[str, ...]  # torch's names of the input dims, for specialisations (`L['x'].size()[0]`)
    reason: str
    frames: tuple[Frame, ...]


@dataclass
class CaptureFailure:
    strategy: str
    error: BaseException
    kind: str  # "data-dependent", "constraint", "unsupported" or "timeout"
    summary: str  # the most specific message, one line
    frames: tuple[Frame, ...]
    related: tuple[tuple[Frame, str], ...] = ()  # other places that explain it (a timeout's next hottest lines)


@dataclass
class DynamicDim:
    input_index: int
    input_name: str
    dim: int
    name: str  # the user's name for it (batch, height, ...)
    example: int  # the example input's size
    symbol: str | None  # the symbol it traced to (None: specialised to an int)
    bounded: bool = False  # the program's range for it has a finite upper bound (a guard narrowed it)


@dataclass
class Capture:
    """Everything checks may read about one traced model."""

    spec: ModelSpec
    model: Any
    inputs: tuple[Any, ...]
    strategy: str = "failed"
    program: Any = None  # torch.export.ExportedProgram when an export strategy succeeded
    graph_module: Any = None  # the captured fx.GraphModule (the program's, or symbolic_trace's)
    failures: list[CaptureFailure] = field(default_factory=list)
    events: list[ShapeEvent] = field(default_factory=list)  # those of the successful strategy
    failure_events: list[ShapeEvent] = field(default_factory=list)  # those of the first failed strategy
    dynamic_dims: list[DynamicDim] = field(default_factory=list)
    export_config: Any = None  # onnxlint.core.settings.ExportConfig
    target: Any = None  # onnxlint.knowledge.runtimes.TargetProfile
    user_files: frozenset[str] = frozenset()
    locator: Any = None  # onnxlint.graph.locate.Locator: reads the user's source lines for checks
    timings: dict[str, float] = field(default_factory=dict)
    timeout: float | None = None  # seconds per step (capture, export); None: no limit
    # The exporter's own run after capture (onnxlint.graph.oracle.ExportOutcome), set by the engine.
    outcome: Any = None
    # Runs of the exported graph against the eager model past a guard (onnxlint.graph.rerun), by dim names.
    reruns: dict[frozenset[str], Any] = field(default_factory=dict)

    @property
    def exported(self) -> bool:
        return self.program is not None

    def decomposed(self) -> Any:
        """The program after the dynamo exporter's own decompositions (None if they failed or did not run)."""
        return self.outcome.decomposed if self.outcome is not None else None

    def site(self, frames: Sequence[Frame]) -> tuple[str, int] | None:
        """The user's (file, line) for a stack: the key checks group and deduplicate by."""
        frame = self.locator.cause_frame(frames) if self.locator is not None else (frames[-1] if frames else None)
        return (frame.filename, frame.line) if frame is not None else None

    def dim_for_symbol(self, symbol: str) -> DynamicDim | None:
        for dim in self.dynamic_dims:
            if dim.symbol == symbol:
                return dim
        return None


# -- the structured-trace recorder --------------------------------------------------------------


class _ShapeEventRecorder(logging.Handler):
    def __init__(self, probe: Callable[[], tuple[Frame, ...]] | None = None) -> None:
        super().__init__(logging.DEBUG)
        self.events: list[ShapeEvent] = []
        self._strings: dict[int, str] = {}
        # Where the code that adds a guard comes from when its own stack does not say: the exporter's
        # decompositions run in torch's fx interpreter, whose `node` carries the model line's stack.
        self._probe = probe

    def _filename(self, interned: object) -> str:
        if not isinstance(interned, int):
            return str(interned)
        name = self._strings.get(interned)
        if name is None:
            table = private("torch._logging.structured", "INTERN_TABLE", default={})
            self._strings = {v: k for k, v in table.items()}
            name = self._strings.get(interned, "?")
        return name

    def _frames(self, stack: object) -> tuple[Frame, ...]:
        if not isinstance(stack, list):
            return ()
        return tuple(
            Frame(self._filename(f.get("filename")), int(f.get("line") or 0), str(f.get("name") or ""))
            for f in stack
            if isinstance(f, dict)
        )

    def _extra(self) -> tuple[Frame, ...]:
        return self._probe() if self._probe is not None else ()

    def emit(self, record: logging.LogRecord) -> None:
        metadata = getattr(record, "metadata", None)
        if not isinstance(metadata, dict):
            return
        try:
            if "guard_added_fast" in metadata:
                data = metadata["guard_added_fast"]
                expr = str(data.get("expr", ""))
                match = _PIN.match(expr)
                symbol = value = None
                if match:
                    symbol = match.group("sym") or match.group("sym2")
                    value = int(match.group("value") or match.group("value2"))
                frames = self._frames(data.get("user_stack")) + self._frames(data.get("stack")) + self._extra()
                self.events.append(ShapeEvent("guard", expr, symbol, value, (), "guard", frames))
            elif "symbolic_shape_specialization" in metadata:
                data = metadata["symbolic_shape_specialization"]
                symbol = str(data.get("symbol", ""))
                raw = str(data.get("value", ""))
                value = int(raw) if re.fullmatch(r"-?\d+", raw) else None
                frames = self._frames(data.get("user_stack")) + self._frames(data.get("stack")) + self._extra()
                self.events.append(
                    ShapeEvent(
                        "specialization",
                        f"{symbol} = {raw}",
                        symbol,
                        value,
                        tuple(str(s) for s in data.get("sources") or ()),
                        str(data.get("reason", "")),
                        frames,
                    )
                )
        except Exception:  # a recorder must never break the trace it listens to
            pass


@contextlib.contextmanager
def recording(probe: Callable[[], tuple[Frame, ...]] | None = None) -> Iterator[_ShapeEventRecorder]:
    """Record the shape guards and specialisations torch logs in the block. `probe()`, when given, adds
    frames to each event (innermost last): where the code that added it came from, if its stack lacks it."""
    # torch's structured trace logger ("torch.__trace"): resolved, so that a renamed channel is an error, not silence.
    logger = private("torch._logging._internal", "trace_log")
    recorder = _ShapeEventRecorder(probe)
    previous, propagate = logger.level, logger.propagate
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the records are for us, not for the application's root handlers
    try:
        yield recorder
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(previous)
        logger.propagate = propagate


# -- capture ------------------------------------------------------------------------------------


def dynamic_shapes_for(inputs: Sequence[InputSpec]) -> tuple[dict[int, Any] | None, ...]:
    from torch.export import Dim

    return tuple({index: Dim.AUTO for index in spec.dynamic} or None for spec in inputs)


@contextlib.contextmanager
def exporting_as(export_config: Any) -> Iterator[None]:
    """`torch.onnx.is_in_onnx_export()` True, as the real exporter has it while it traces the model.

    Models branch on it (kornia's pyramid keeps its output size symbolic only under it; smp's
    PSPNet pools with `F.interpolate(mode="area")` under it), so a capture outside it traces the
    eager side and judges a graph the exporter never builds. The dynamo exporter sets
    `_flags._is_onnx_exporting` for the whole of `_core.export` (its capture included: the
    `set_onnx_exporting_flag` decorator, torch 2.13-2.15); the TorchScript exporter sets
    `GLOBALS.in_onnx_export` around its tracing (`torchscript_exporter.utils._export`). The
    previous value is restored (an exporter that is running already keeps its own).
    """
    if export_config is not None and not export_config.is_dynamo:
        globals_ = private("torch.onnx._internal.torchscript_exporter._globals", "GLOBALS")
        previous = globals_.in_onnx_export
        globals_.in_onnx_export = True
        try:
            yield
        finally:
            globals_.in_onnx_export = previous
        return
    flags = private("torch.onnx._internal.exporter._flags")
    previous = flags._is_onnx_exporting
    flags._is_onnx_exporting = True
    try:
        yield
    finally:
        flags._is_onnx_exporting = previous


def capture(
    spec: ModelSpec,
    model: Any,
    inputs: tuple[Any, ...],
    *,
    export_config: Any,
    target: Any,
    timeout: float | None = None,
) -> Capture:
    """Capture as torch.onnx.export does; each attempt stops after `timeout` seconds (a "timeout" failure,
    after which nothing more is tried: the next strategy would run the same code)."""
    result = Capture(spec, model, inputs, export_config=export_config, target=target, timeout=timeout)
    legacy = export_config is not None and not export_config.is_dynamo
    # The TorchScript exporter does not capture with torch.export: its own run is the oracle (ONX705, ONX711,
    # and ONX712 for what its tracer bakes), and torch.export's guards are not its decisions. The capture
    # only gives the op-level checks (training mode, random ops, state writes, target ops) their graph, and
    # a static one has the same ops without the symbolic-shape reasoning that can cost minutes (timm's TF
    # "same" padding: 110 s against a 6 s TorchScript export).
    dynamic_shapes = None if legacy else dynamic_shapes_for(spec.inputs)
    # torch.onnx.export passes torch.onnx._flags.PREFER_DEFERRED_RUNTIME_ASSERTS_OVER_GUARDS (True on torch
    # 2.13 to 2.15). This capture has always passed False: it read the flag from `_internal.exporter._flags`,
    # which never had it. Passing True turns guards into `_assert_scalar` nodes that the checks report as
    # untranslated ops (NestedUNet gains an ONX705): kept False until the checks skip assertion nodes.
    prefer_deferred = False
    patch_config = private("torch.fx.experimental._config", "patch")
    reset_dynamo = private("torch._dynamo", "reset")
    attempts = [("export-nonstrict", False), ("export-strict", True)]
    if legacy:
        # One attempt gives the other checks their graph; the strict retry is the dynamo exporter's.
        attempts = attempts[:1]
    for strategy, strict in attempts:
        with (
            recording() as recorder,
            quiet_torch(),
            patch_config(backed_size_oblivious=True),
            exporting_as(export_config),
        ):
            try:
                with time_limit(timeout, repeat=1.0, sample=0.5):
                    program = torch.export.export(
                        model,
                        inputs,
                        dynamic_shapes=dynamic_shapes,
                        strict=strict,
                        prefer_deferred_runtime_asserts_over_guards=prefer_deferred,
                    )
            except Exception as error:
                failure = _failure(strategy, error)
                result.failures.append(failure)
                if len(result.failures) == 1:
                    result.failure_events = list(recorder.events)
                reset_dynamo()
                if failure.kind == "timeout":
                    return result
                continue
        result.strategy, result.program, result.graph_module = strategy, program, program.graph_module
        result.events = list(recorder.events)
        result.dynamic_dims = [] if legacy else dynamic_dims(spec.inputs, program)
        return result
    with quiet_torch(), exporting_as(export_config):
        try:
            with time_limit(timeout, repeat=1.0, sample=0.5):
                result.graph_module = torch.fx.symbolic_trace(model)
            result.strategy = "fx"
        except Exception as error:
            result.failures.append(_failure("fx", error))
    return result


def dynamic_dims(inputs: Sequence[InputSpec], program: Any) -> list[DynamicDim]:
    """Each declared dynamic dim of `inputs` and the symbol it traced to in `program` (an
    ExportedProgram; None where torch specialised it), with whether a guard bounded its range."""
    from torch.export.graph_signature import InputKind

    user_inputs = [s.arg.name for s in program.graph_signature.input_specs if s.kind == InputKind.USER_INPUT]
    placeholders = {n.name: n for n in program.graph.nodes if n.op == "placeholder"}
    bounded = {
        str(symbol): getattr(value_range, "is_bool", False) is False and _finite(value_range.upper)
        for symbol, value_range in program.range_constraints.items()
    }
    dims = []
    for index, input_spec in enumerate(inputs):
        node = placeholders.get(user_inputs[index]) if index < len(user_inputs) else None
        value = node.meta.get("val") if node is not None else None
        for dim, name in sorted(input_spec.dynamic.items()):
            symbol = None
            if value is not None and hasattr(value, "shape") and dim < len(value.shape):
                size = value.shape[dim]
                if isinstance(size, torch.SymInt) and not size.node.expr.is_number:
                    symbol = str(size.node.expr)
            dims.append(
                DynamicDim(
                    index, input_spec.name, dim, name, input_spec.shape[dim], symbol, bounded.get(symbol or "", False)
                )
            )
    return dims


def _finite(bound: Any) -> bool:
    if "oo" in str(bound):  # sympy's oo and torch's int_oo
        return False
    try:
        return int(bound) < 2**62
    except (TypeError, ValueError, OverflowError, AttributeError):
        return False


def input_index_of_source(source: str, model: Any, count: int) -> tuple[int, int] | None:
    """`L['x'].size()[0]` / `L['args'][0][1].size()[2]` -> (input index, dim), by forward's parameter names."""
    matches = list(_SOURCE_DIM.finditer(source))
    if not matches:
        return None
    match = matches[-1]
    dim = int(match.group("dim"))
    if match.group("index") is not None:
        return int(match.group("index")), dim
    key = match.group("key")
    try:
        parameters = [p for p in inspect.signature(model.forward).parameters if p != "self"]
    except (TypeError, ValueError):
        parameters = []
    if key in parameters and parameters.index(key) < count:
        return parameters.index(key), dim
    return None


# -- failures -----------------------------------------------------------------------------------


def _failure(strategy: str, error: BaseException) -> CaptureFailure:
    GuardOnDataDependentSymNode = private("torch.fx.experimental.symbolic_shapes", "GuardOnDataDependentSymNode")
    chain = exception_chain(error)
    timeout = next((item for item in chain if isinstance(item, StepTimeout)), None)
    if timeout is not None:
        # The model line most samples were in (where the time went), else where the limit landed.
        timeout_frames = tuple(Frame(f.filename, f.lineno or 0, f.name) for f in (timeout.hotspot or timeout.stack))
        samples = timeout.hotspot_share[1]
        hot = [(deepest_model_frame(stack), count) for stack, count in timeout.hotspots[1:]]
        related = tuple(
            (Frame(where.filename, where.lineno or 0, where.name), f"{count} of {samples} samples here too")
            for where, count in hot
            if where is not None
        )
        summary = f"did not finish within {timeout.seconds:g} s"
        return CaptureFailure(strategy, timeout, "timeout", summary, timeout_frames, related)
    kind = "unsupported"
    specific = chain[-1]
    for item in chain:
        if isinstance(item, GuardOnDataDependentSymNode):
            kind, specific = "data-dependent", item
            break
        text = str(item)
        if "data-dependent branching" in text.lower() or "data-dependent expression" in text:
            kind, specific = "data-dependent", item
            break
        if type(item).__name__ == "UserError" and "Constraints violated" in text:
            kind, specific = "constraint", item
            break
    frames: list[Frame] = []
    for item in chain:  # the root cause's frames are the most specific: keep them last (innermost)
        frames.extend(Frame(f.filename, f.lineno or 0, f.name) for f in traceback.extract_tb(item.__traceback__))
    # Dynamo (strict) errors carry the user's frames in the message: "from user code: File ..., line N".
    for item in chain:
        text = str(item)
        if "from user code" in text:
            tail = text.split("from user code", 1)[1]
            frames.extend(
                Frame(m.group("file"), int(m.group("line")), m.group("name")) for m in _FRAME_LINE.finditer(tail)
            )
    summary = message_line(specific) or type(specific).__name__
    if kind == "unsupported" and summary.lower().startswith(("failed to", "step 1/3", "the error above")):
        summary = message_line(chain[-1]) or type(chain[-1]).__name__
    return CaptureFailure(strategy, error, kind, f"{type(specific).__name__}: {summary}", tuple(frames))


__all__ = ["Capture", "CaptureFailure", "DynamicDim", "ShapeEvent", "capture", "frames_from_stack_trace"]
