"""The exporter itself as the oracle: run the rest of `torch.onnx.export` and say where it fails.

Dynamo exporter: after the capture, the captured `ExportedProgram` goes through the exporter's
own remaining steps, in process, exactly as `torch.onnx.export(dynamo=True)` runs them
(`_core.export` on the program: decompositions, translation into ONNX, the onnxscript
optimizer), with the registry built once per opset and process. TorchScript exporter: the real
`torch.onnx.export(dynamo=False)` into a memory buffer, with the target opset and the declared
dynamic axes, recording every TracerWarning with its Python stack.

A failure is mapped to the node it happened on by walking the exception's tracebacks, innermost
first, for the node being handled (`node` in the exporter's frames): an fx node carries its
`stack_trace`, an ONNX IR node the fx node's stack in `pkg.torch.onnx.stack_trace`, a
TorchScript node its `sourceRange()`. So the finding names the source line, library code
included. Nothing here is a hand-kept list of what the exporters support.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import time
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from onnxlint.graph.check import Frame, frames_from_stack_trace
from onnxlint.graph.deadline import StepTimeout, time_limit
from onnxlint.graph.errors import ANSI, exception_chain, message_line
from onnxlint.graph.frames import is_model_code
from onnxlint.graph.quiet import quiet_torch
from onnxlint.knowledge.torch_private import private

_SOURCE_RANGE_FRAME = re.compile(r"^(?P<file>.+?)\((?P<line>\d+)\): (?P<name>[\w<>.]+)\s*$")
_NODE_DEFINED = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_QUOTED_OP = re.compile(r"'((?:aten|prim|onnx|quantized|torchvision)::\w+)'")
# Exceptions that mean "the exporter has no translation for this op" (the rest are step failures).
_UNSUPPORTED_TYPES = ("DispatchError", "UnsupportedOperatorError")
_UNSUPPORTED_TEXT = ("No ONNX function found", "No decompositions registered", "is not supported")


@dataclass
class StepFailure:
    """One failure of an exporter step, mapped to the node it happened on when one is known."""

    step: str  # "decomposition", "translation", "optimization", "tracing", "conversion", "export"
    summary: str  # the most specific message, one line, with its exception type
    frames: tuple[Frame, ...]  # the failing node's Python stack (innermost last), else the traceback's
    op: str | None = None  # the failing node's op (`aten.scaled_dot_product_attention.default`, `aten::grid_sampler`)
    unsupported: bool = False  # the exporter has no translation for the op (ONX705), rather than a step crash
    callees: tuple[str, ...] = ()
    timeout: StepTimeout | None = None
    related: tuple[tuple[Frame, str], ...] = ()  # other places that explain it (the call that raised)


@dataclass
class TracerNote:
    """A TracerWarning: a value the TorchScript tracer baked into the graph."""

    kind: str  # what was baked, in words
    message: str  # torch's warning, first sentence
    frames: tuple[Frame, ...]


@dataclass
class ExportOutcome:
    exporter: str  # "dynamo" or "legacy"
    failure: StepFailure | None = None
    tracer_notes: list[TracerNote] = field(default_factory=list)
    seconds: float = 0.0
    decomposed: Any = None  # dynamo: the program after the exporter's decompositions (None when they failed)
    # dynamo: the shape guards and specialisations the exporter's own steps added (its decompositions decide
    # on sizes too: `adaptive_avg_pool2d` becomes an `avg_pool2d` whose kernel is the example's size), each
    # with the stack of the node being exported (onnxlint.graph.capture.ShapeEvent)
    events: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None


@contextlib.contextmanager
def _stdout_descriptor_silenced():
    """File descriptor 1 pointed at /dev/null: the TorchScript exporter logs its whole graph to C++'s
    stdout on a failure (`_jit_onnx_log`, always on in torch 2.13-2.14), which would land in the
    middle of `--format json` output. `quiet_torch` handles Python's own streams."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


# -- dynamo --------------------------------------------------------------------------------------


def run_dynamo(program: Any, opset: int, timeout: float | None) -> ExportOutcome:
    """The dynamo exporter's steps after capture, on the captured program, as `torch.onnx.export` runs them."""
    from onnxlint.graph import ops
    from onnxlint.graph.capture import recording

    outcome = ExportOutcome("dynamo")
    started = time.perf_counter()
    core_export = private("torch.onnx._internal.exporter._core", "export", default=None)
    try:
        with (
            recording(probe=_current_node_frames) as recorder,
            _stdout_descriptor_silenced(),
            quiet_torch(),
            time_limit(timeout, repeat=1.0, sample=0.5, probe=_probe_node),
        ):
            if core_export is not None:
                onnx_program = core_export(
                    program, registry=ops.dynamo_registry(opset), verbose=False, optimize=True, opset_version=opset
                )
            else:  # the public entry point: same steps, with a registry of its own
                onnx_program = torch.onnx.export(program, dynamo=True, opset_version=opset, verbose=False)
        outcome.decomposed = getattr(onnx_program, "exported_program", None)
    except StepTimeout as error:
        outcome.failure = _timeout_failure(error, "export")
    except Exception as error:
        outcome.failure = _failure(error, _dynamo_step(error))
    outcome.events = list(recorder.events)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _current_node_frames() -> tuple[Frame, ...]:
    """The Python stack of the node the exporter is handling now (from the calling thread's frames), or ()."""
    found = _probe_node(sys._getframe(1))
    return found[0] if found is not None else ()


def _dynamo_step(error: BaseException) -> str:
    text = str(error)
    if "step 2/3" in text:
        return "decomposition"
    if "step 3/3" in text:
        return "translation"
    names = {f.name for item in exception_chain(error) for f in traceback.extract_tb(item.__traceback__)}
    if "optimize" in names or any("optimiz" in n for n in names):
        return "optimization"
    return "export"


# -- TorchScript ----------------------------------------------------------------------------------


def run_legacy(model: Any, inputs: tuple[Any, ...], spec: Any, opset: int, timeout: float | None) -> ExportOutcome:
    """`torch.onnx.export(dynamo=False)` into memory, with the target opset and the declared dynamic axes."""
    outcome = ExportOutcome("legacy")
    names = [i.name for i in spec.inputs]
    axes = {i.name: {d: n for d, n in sorted(i.dynamic.items())} for i in spec.inputs if i.dynamic}
    notes: dict[tuple[str, str, int], TracerNote] = {}

    def record(message: Any, category: type[Warning], filename: str, lineno: int, *_: Any, **__: Any) -> None:
        if not _is_tracer_warning(category):
            return
        stack = tuple(Frame(f.filename, f.lineno or 0, f.name) for f in traceback.extract_stack()[:-1])
        text = str(message)
        kind = _baked_kind(text)
        key = (kind, filename, lineno)
        if key not in notes:
            notes[key] = TracerNote(kind, text.split(". ")[0].strip().rstrip("."), stack)

    started = time.perf_counter()
    try:
        with (
            _stdout_descriptor_silenced(),
            quiet_torch(),
            time_limit(timeout, repeat=1.0, sample=0.5, probe=_probe_node),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("always")
            warnings.showwarning = record
            torch.onnx.export(
                model,
                inputs,
                io.BytesIO(),  # type: ignore[arg-type]  # torch's annotation names paths; it writes file objects too
                dynamo=False,
                opset_version=opset,
                input_names=names,
                dynamic_axes=axes or None,
            )
    except StepTimeout as error:
        outcome.failure = _timeout_failure(error, "export")
    except Exception as error:
        outcome.failure = _failure(error, _legacy_step(error))
    outcome.tracer_notes = list(notes.values())
    outcome.seconds = time.perf_counter() - started
    return outcome


def _is_tracer_warning(category: type[Warning]) -> bool:
    return category.__name__ == "TracerWarning" or category.__module__.startswith("torch.jit")


_BAKED_KINDS = (
    ("python boolean", "a Python bool: the branch taken for the example input is baked in"),
    ("python integer", "a Python int: the value is baked in as a constant"),
    ("python index", "a Python int (an index): the value is baked in as a constant"),
    ("python float", "a Python float: the value is baked in as a constant"),
    ("python number", "a Python number (`.item()`): the value is baked in as a constant"),
    ("numpy", "a NumPy array: the values are baked in as constants"),
    ("torch.tensor results are registered as constants", "a `torch.tensor(...)` built from Python values: a constant"),
    ("iterating over a tensor", "iterating over a tensor: the loop is unrolled for the example's length"),
    ("len", "`len()` of a tensor: the length is baked in as a constant"),
    ("python list", "a Python list: the values are baked in as constants"),
)


def _baked_kind(text: str) -> str:
    lowered = text.lower()
    for needle, kind in _BAKED_KINDS:
        if needle in lowered:
            return kind
    return "a traced value the tracer cannot record"


def _legacy_step(error: BaseException) -> str:
    names = {f.name for item in exception_chain(error) for f in traceback.extract_tb(item.__traceback__)}
    if "_run_symbolic_function" in names or any(type(e).__name__ in _UNSUPPORTED_TYPES for e in exception_chain(error)):
        return "conversion"
    if "_create_jit_graph" in names or "_trace_and_get_graph_from_model" in names:
        return "tracing"
    return "export"


# -- failures to source lines -------------------------------------------------------------------


def _summary(chain: Sequence[BaseException]) -> str:
    """The innermost error with a message of its own (not the exporter's step banner)."""
    for item in reversed(chain):
        line = message_line(item)
        if line and not line.startswith(("Failed to ", "Error when translating node", "Error when calling function")):
            return f"{type(item).__name__}: {line}"
    item = chain[-1]
    return f"{type(item).__name__}: {message_line(item)}"


def _failure(error: BaseException, step: str) -> StepFailure:
    chain = exception_chain(error)
    timeout = next((e for e in chain if isinstance(e, StepTimeout)), None)
    if timeout is not None:  # raised inside the exporter and wrapped by it
        return _timeout_failure(timeout, step)
    node_frames, op, callees = _failing_node(chain)
    frames = node_frames
    if not frames:
        frames = tuple(
            Frame(f.filename, f.lineno or 0, f.name) for item in chain for f in traceback.extract_tb(item.__traceback__)
        )
        for item in chain:  # "(node defined in File ..., line N)" in SymbolicValueError messages
            match = _NODE_DEFINED.search(ANSI.sub("", str(item)))
            if match:
                frames += (Frame(match.group("file"), int(match.group("line")), ""),)
    unsupported = any(type(e).__name__ in _UNSUPPORTED_TYPES for e in chain) or any(
        needle in str(e) for e in chain for needle in _UNSUPPORTED_TEXT
    )
    if op is None:
        for item in chain:
            match = _QUOTED_OP.search(str(item))
            if match:
                op = match.group(1)
                break
    related: tuple[tuple[Frame, str], ...] = ()
    origin = _argument_origin(chain)
    if origin is not None:
        # The call raised where it received the argument twice; the cause is the line that added it.
        raised = next((f for f in reversed(frames) if is_model_code(f.filename)), None)
        frames += (origin,)
        if raised is not None:
            related = ((raised, "the call that receives the argument twice"),)
    return StepFailure(step, _summary(chain), frames, op, unsupported, callees, related=related)


_MULTIPLE_VALUES = re.compile(r"got multiple values for (?:keyword )?argument '(?P<name>\w+)'")


def _argument_origin(chain: Sequence[BaseException]) -> Frame | None:
    """For `TypeError: f() got multiple values for argument 'x'`: the line that put `x` into the keyword
    arguments. The call fails where both meet (a decorator's `func(*args, **kwargs)`), but the cause is
    the frame that added the keyword (transformers' `merge_with_config_defaults` adds `use_cache` from the
    config while the TorchScript exporter passes every parameter positionally): the outermost frame of
    model code whose keyword dict holds `x` and whose function writes into that dict, at that write."""
    for item in chain:
        match = _MULTIPLE_VALUES.search(str(item)) if isinstance(item, TypeError) else None
        if match is None:
            continue
        name = match.group("name")
        tb = item.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if is_model_code(frame.f_code.co_filename):
                for local, value in frame.f_locals.items():
                    if isinstance(value, dict) and name in value:
                        line = _dict_write_line(frame.f_code, local, name)
                        if line is not None:
                            return Frame(frame.f_code.co_filename, line, frame.f_code.co_name)
            tb = tb.tb_next
    return None


def _dict_write_line(code: Any, local: str, key: str) -> int | None:
    """The line of `code`'s function that writes `key` (or a computed key) into the dict named `local`."""
    import ast
    import inspect
    import textwrap

    try:
        lines, first = inspect.getsourcelines(code)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    writes: list[tuple[bool, int]] = []  # (computed key, line): a write of the literal key first
    for node in ast.walk(tree):
        targets: list[ast.expr] = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        )
        for target in targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == local:
                key_node = target.slice
                literal = isinstance(key_node, ast.Constant)
                if not isinstance(key_node, ast.Constant) or key_node.value == key:
                    writes.append((not literal, first + target.lineno - 1))
    return min(writes)[1] if writes else None


# Exporter functions whose `node` local is the node being exported (the fx interpreter of the
# decompositions, the translation, the TorchScript symbolic conversion): what the sampler reads.
_NODE_HANDLERS = frozenset(
    {"run_node", "_translate_fx_graph", "_handle_call_function_node_with_lowering", "_run_symbolic_function"}
)


# The names exporter frames give the node they handle (`Interpreter.run_node(self, n)` among them).
_NODE_LOCALS = ("node", "fx_node", "n", "ir_node")


def _probe_node(frame: Any) -> tuple[tuple[Frame, ...], str | None, tuple[str, ...]] | None:
    """The node an exporter frame on this stack is handling (for the time limit's sampler), or None."""
    while frame is not None:
        if frame.f_code.co_name in _NODE_HANDLERS:
            local = frame.f_locals
            for name in _NODE_LOCALS:
                found = _node_stack(local.get(name))
                if found is not None:
                    return found
        frame = frame.f_back
    return None


def _timeout_failure(error: StepTimeout, step: str) -> StepFailure:
    """A step past its limit: at the node the exporter spent most of the sampled time on (else the one it was
    handling when stopped), else at the model line most samples were in, else the deepest one when stopped."""
    stack = error.hotspot or error.stack
    frames = tuple(Frame(f.filename, f.lineno or 0, f.name) for f in stack)
    found = getattr(error, "probed", None) or _probe_node(getattr(error, "frame", None))
    error.frame = None  # the frames' locals are not needed any more
    op: str | None = None
    callees: tuple[str, ...] = ()
    if found is not None:
        node_frames, op, callees = found
        frames = frames + node_frames  # the node's own stack is the innermost: where the cause is
    return StepFailure(
        step, f"did not finish within {error.seconds:g} s", frames, op=op, callees=callees, timeout=error
    )


def _failing_node(chain: Sequence[BaseException]) -> tuple[tuple[Frame, ...], str | None, tuple[str, ...]]:
    """The innermost node an exporter frame was handling when it raised: (its stack, its op, callees)."""
    for item in reversed(chain):
        tracebacks = []
        tb = item.__traceback__
        while tb is not None:
            tracebacks.append(tb)
            tb = tb.tb_next
        for tb in reversed(tracebacks):
            local = tb.tb_frame.f_locals
            for name in _NODE_LOCALS:
                found = _node_stack(local.get(name))
                if found is not None:
                    return found
    return (), None, ()


def _node_stack(value: Any) -> tuple[tuple[Frame, ...], str | None, tuple[str, ...]] | None:
    from onnxlint.graph import ops

    if value is None:
        return None
    if isinstance(value, torch.fx.Node):
        frames = frames_from_stack_trace(value.meta.get("stack_trace"))
        if not frames:
            return None
        name = ops.op_name(value.target)
        original = value.meta.get("original_aten")
        if original is not None and original != value.target:
            name = f"{ops.op_name(original)} (decomposed to {name})"
        return frames, name, ops.callees_of(value)
    if callable(getattr(value, "sourceRange", None)):  # TorchScript: "file(line): function" lines, innermost first
        try:
            text = value.sourceRange()
        except Exception:
            return None
        source_frames: list[Frame] = []
        for line in str(text).splitlines():
            match = _SOURCE_RANGE_FRAME.match(line.strip())
            if match:
                source_frames.append(Frame(match.group("file"), int(match.group("line")), match.group("name")))
        if not source_frames:
            return None
        kind = value.kind()
        return tuple(reversed(source_frames)), kind, (kind.split("::")[-1],)
    props = getattr(value, "metadata_props", None)
    if isinstance(props, dict) and props.get("pkg.torch.onnx.stack_trace"):
        frames = frames_from_stack_trace(props["pkg.torch.onnx.stack_trace"])
        if frames:
            op_type = getattr(value, "op_type", "")
            return frames, f"onnx::{op_type}" if op_type else None, ()
    return None


__all__ = ["ExportOutcome", "StepFailure", "TracerNote", "run_dynamo", "run_legacy"]
