"""Running `torch.onnx.export` quietly and keeping what it said: the model, warnings, the error's real cause.

Both exporters print a lot (the dynamo exporter its progress banners on stdout and, on failure,
whole FX graphs through torch's loggers; the TorchScript exporter deprecation and tracer
warnings). The pipeline shows a staged report instead, so everything is captured here and only
what matters is kept: tracer warnings that point into user code, the opset the exporter chose,
and for an error the innermost cause with the user's line.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
import time
import traceback
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from onnxlint.core.modelspec import InputSpec
from onnxlint.graph.errors import ANSI, exception_chain
from onnxlint.knowledge.torch_private import op_libraries_loaded, private

if TYPE_CHECKING:
    from torch.onnx import ONNXProgram

FILE_LINE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_LIBRARIES = ("torch", "onnx", "onnxscript", "onnxruntime", "onnx_ir", "onnxsim")
# Log lines that say nothing about the user's model.
_NOISE = ("torchvision is not installed", "isinstance(treespec, LeafSpec)", "Unable to find user code")


@dataclass
class CapturedLog:
    warnings: list[tuple[str, str, str, int]] = field(default_factory=list)  # (category, message, file, line)
    log_lines: list[str] = field(default_factory=list)  # torch logger records (WARNING and above)
    stdout: str = ""


@dataclass
class ExportOutcome:
    proto: Any | None  # onnx.ModelProto
    seconds: float
    exporter: str
    opset_requested: int | None
    log: CapturedLog
    error: BaseException | None = None
    program: Any | None = None  # the dynamo exporter's ONNXProgram (for large models' external data)
    capture: list[str] = field(default_factory=list)  # dynamo capture strategies tried: "strict=False: ok"
    # The shape guards torch recorded while capturing (onnxlint.graph.capture.ShapeEvent, with their stacks).
    events: list[Any] = field(default_factory=list)


class _Capture(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must not break an export
            return
        if not any(noise in message for noise in _NOISE):
            self.sink.append(f"{record.name}: {message}")


# Stdout and the loggers are process-wide: one capture at a time (a background eager thread
# writes nothing, but two pipelines in one process must not interleave their redirections).
_CAPTURE_LOCK = threading.Lock()


@contextlib.contextmanager
def captured() -> Iterator[CapturedLog]:
    """Swallow stdout, torch's log output and warnings for the duration; keep them in a CapturedLog."""
    log = CapturedLog()
    handler = _Capture(log.log_lines)
    with _CAPTURE_LOCK:
        # torch attaches its own handlers to "torch" and to some of its children: silence them all.
        names = [n for n in logging.Logger.manager.loggerDict if n.split(".")[0] in _LIBRARIES]
        loggers = [logging.getLogger(), *(logging.getLogger(n) for n in names)]
        saved = [(lg, lg.handlers[:], lg.propagate) for lg in loggers]
        for lg in loggers:
            lg.handlers = []
            lg.propagate = True
        logging.getLogger().addHandler(handler)
        stdout = io.StringIO()
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(stdout):
                warnings.simplefilter("always")
                yield log
        finally:
            for lg, handlers, propagate in saved:
                lg.handlers = handlers
                lg.propagate = propagate
            log.stdout = stdout.getvalue()
            for item in caught:
                text = str(item.message)
                if any(noise in text for noise in _NOISE):
                    continue
                log.warnings.append((item.category.__name__, text, item.filename, item.lineno))


@contextlib.contextmanager
def _silenced_fd(fd: int) -> Iterator[None]:
    """Send what C/C++ code writes to `fd` into a temporary file for the duration (discarded)."""
    import os
    import sys
    import tempfile

    with contextlib.suppress(Exception):
        sys.stdout.flush()
    try:
        saved = os.dup(fd)
    except OSError:  # no such descriptor (embedded interpreters): nothing to silence
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


# -- the dynamo exporter's operator registry ----------------------------------------------------

_REGISTRIES: dict[tuple[int, frozenset[str]], Any] = {}


@contextlib.contextmanager
def shared_dynamo_registry() -> Iterator[None]:
    """Build the dynamo exporter's ONNX operator registry once per process and opset.

    `torch.onnx.export(dynamo=True)` rebuilds it from torchlib on every call (0.6-0.9 s here);
    a pipeline that exports the original and the fixed model, or a test suite that exports
    dozens of tiny models, pays that once. It is a private torch API: when it is not there, the
    exporter simply builds its own.
    """
    registry_class = private("torch.onnx._internal.exporter._registration", "ONNXRegistry", default=None)
    original = registry_class.__dict__.get("from_torchlib") if registry_class is not None else None
    if not isinstance(original, classmethod):
        yield
        return
    build = original.__func__

    def cached(cls: Any, opset_version: int = 18, *args: Any, **kwargs: Any) -> Any:
        if cls is not registry_class or args or kwargs:
            return build(cls, opset_version, *args, **kwargs)
        # A registry built before `import torchvision` lacks torchvision's ops: key by the libraries loaded too.
        key = (opset_version, op_libraries_loaded())
        if key not in _REGISTRIES:
            _REGISTRIES[key] = build(cls, opset_version)
        return _REGISTRIES[key]

    registry_class.from_torchlib = classmethod(cached)
    try:
        yield
    finally:
        registry_class.from_torchlib = original


# -- exporting ----------------------------------------------------------------------------------


def dynamic_axes_for(inputs: Sequence[InputSpec]) -> dict[str, dict[int, str]] | None:
    axes = {spec.name: dict(spec.dynamic) for spec in inputs if spec.dynamic}
    return axes or None


def dynamic_shapes_for(inputs: Sequence[InputSpec]) -> tuple[dict[int, str] | None, ...] | None:
    """Dynamic dims in torch.export's form; names (strings) also name the ONNX input dims."""
    if not any(spec.dynamic for spec in inputs):
        return None
    return tuple(dict(spec.dynamic) if spec.dynamic else None for spec in inputs)


def export_model(
    model: Any,
    args: tuple[Any, ...],
    inputs: Sequence[InputSpec],
    *,
    exporter: str,
    opset: int | None,
    verbose_locations: bool = False,
) -> ExportOutcome:
    """Export `model` in memory with the requested exporter; never raises for export errors.

    `verbose_locations`: with the TorchScript exporter, record each node's source location in
    its doc_string (used by the baked-shape diagnosis; the user's file never gets them).
    """
    import torch

    names = [spec.name for spec in inputs]
    start = time.perf_counter()
    proto = program = error = None
    # The TorchScript exporter prints graphs from C++ (verbose=True, and on errors), past sys.stdout.
    with _silenced_fd(1), captured() as log, _guard_events(exporter, inputs) as events:
        try:
            if exporter == "legacy":
                import onnx

                buffer = io.BytesIO()
                kwargs: dict[str, Any] = {"opset_version": opset} if opset is not None else {}
                torch.onnx.export(
                    model,
                    args,
                    buffer,  # type: ignore[arg-type]  # torch's annotation names paths; it writes file objects too
                    dynamo=False,
                    input_names=names,
                    dynamic_axes=dynamic_axes_for(inputs),
                    verbose=verbose_locations,
                    **kwargs,
                )
                proto = onnx.load_model_from_string(buffer.getvalue())
            else:
                with shared_dynamo_registry():
                    program = torch.onnx.export(
                        model,
                        args,
                        dynamo=True,
                        input_names=names,
                        dynamic_shapes=dynamic_shapes_for(inputs),
                        opset_version=opset,
                    )
                proto = cast("ONNXProgram", program).model_proto  # dynamo=True: always a program
        except Exception as caught:  # the exporters raise anything; all of it is an export failure
            error = caught
    outcome = ExportOutcome(proto, time.perf_counter() - start, exporter, opset, log, error, program)
    outcome.events = list(events)
    outcome.capture = [
        f"{call.strip(', ')}: {'ok' if mark == '✅' else 'failed'}"
        for call, mark in re.findall(r"with `torch\.export\.[a-z_]+\(([^`]*)\)`\.\.\. (✅|❌)", log.stdout)
    ]
    return outcome


@contextlib.contextmanager
def _guard_events(exporter: str, inputs: Sequence[InputSpec]) -> Iterator[list[Any]]:
    """The shape guards torch records while the dynamo exporter captures (its structured trace log).

    Entered inside `captured()`, which takes every handler off torch's loggers, this one included.
    The exporter defers some guards to runtime asserts (read from its program, verify/sizes.py);
    others, on float arithmetic of sizes (`math.ceil(H / 2) * 2 != H`), it only records here. Only
    the guards of the capture strategy that succeeded are kept: each strategy traces anew, and
    the symbol `s77` of a failed one may be another dim.
    """
    kept: list[Any] = []
    if exporter != "dynamo" or not any(spec.dynamic for spec in inputs):
        yield kept
        return
    try:
        from onnxlint.graph.capture import recording

        context = recording()
        recorder = context.__enter__()
    except Exception:  # the graph layer's private torch API moved: no guards from the log
        yield kept
        return
    watcher = _AttemptWatcher(recorder.events)
    recorder.addFilter(watcher)
    try:
        yield kept
    finally:
        context.__exit__(None, None, None)
        kept.extend(watcher.capture_events())


class _AttemptWatcher(logging.Filter):
    """Which events belong to the capture attempt that succeeded.

    The exporter prints a banner on stdout (captured in a StringIO) when a capture attempt begins
    and a line with ✅ or ❌ when it ends; decompositions and the ONNX translation come after, and
    their guards are not the capture's. Each record is tagged with the attempt it came in.
    """

    _BANNER = "Obtain model graph for"

    def __init__(self, events: list[Any]) -> None:
        super().__init__()
        self.events = events
        self.phases: list[tuple[int, int, bool]] = []  # (first event, attempt number, attempt still running)

    def filter(self, record: logging.LogRecord) -> bool:
        import sys

        try:
            text = sys.stdout.getvalue() if isinstance(sys.stdout, io.StringIO) else ""
        except Exception:
            text = ""
        lines = [line for line in text.splitlines() if self._BANNER in line]
        started = sum(1 for line in lines if "✅" not in line and "❌" not in line)
        ended = len(lines) - started
        phase = (started, started > ended)
        if not self.phases or self.phases[-1][1:] != phase:
            self.phases.append((len(self.events), *phase))
        return True

    def capture_events(self) -> list[Any]:
        """The events recorded while the last capture attempt ran (all of them if no banner was seen)."""
        if not self.phases:
            return list(self.events)
        last = max(attempt for _, attempt, _ in self.phases)
        kept: list[Any] = []
        for position, (first, attempt, running) in enumerate(self.phases):
            end = self.phases[position + 1][0] if position + 1 < len(self.phases) else len(self.events)
            if attempt == last and running:
                kept.extend(self.events[first:end])
        return kept


# -- errors -------------------------------------------------------------------------------------


def root_cause(error: BaseException) -> BaseException:
    """The innermost exception of the chain: the dynamo exporter wraps the real one in a 'step 1/3' banner."""
    return exception_chain(error)[-1]


def error_detail(error: BaseException, limit: int = 14) -> str:
    """The innermost cause's first lines, and what wrapped it, for the report's detail section."""
    chain = exception_chain(error)
    cause = chain[-1]
    text = ANSI.sub("", str(cause)).strip()
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    head = f"{type(cause).__module__}.{type(cause).__name__}".removeprefix("builtins.")
    out = [head + (": " + lines[0] if lines else "")] + ["  " + ln for ln in lines[1:limit]]
    if len(lines) > limit:
        out.append("  ...")
    if len(chain) > 1:
        out.append("(raised inside " + " <- ".join(type(e).__name__ for e in reversed(chain[:-1])) + ")")
    return "\n".join(out)


def user_frames(error: BaseException, is_user_file: Any) -> list[tuple[str, int]]:
    """(file, line) pairs in user code named by the error: traceback frames and 'File "...", line N' text."""
    found: list[tuple[str, int]] = []
    for item in exception_chain(error):
        for frame in traceback.extract_tb(item.__traceback__):
            if is_user_file(frame.filename) and frame.lineno is not None:
                found.append((frame.filename, frame.lineno))
        for match in FILE_LINE.finditer(ANSI.sub("", str(item))):
            if is_user_file(match.group("file")):
                found.append((match.group("file"), int(match.group("line"))))
    unique: list[tuple[str, int]] = []
    for entry in found:
        if entry not in unique:
            unique.append(entry)
    return unique


def same_file(a: str, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
