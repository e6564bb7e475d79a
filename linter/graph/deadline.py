"""Time limits for the steps that run the user's model: capture, export, onnxruntime sessions.

torch's symbolic shape arithmetic can run for hours on some models (sympy is pure Python), and a
user must get an answer instead. `time_limit(seconds)` raises `StepTimeout` in the running code
once the limit passes, carrying the stack it was in, so the report can name the deepest frame of
the user's or library code (`deepest_model_frame`) rather than say "timed out".

In the main thread the limit is a `SIGALRM` timer (Unix), whose handler receives the interrupted
frame. Elsewhere (or where there is no `SIGALRM`) a watchdog thread samples the worker's stack and
raises the exception in it with `PyThreadState_SetAsyncExc`. Both interrupt Python code only: a
single C++ call that never returns to Python is not interrupted, but the symbolic-shape loops that
hang exports return to Python constantly.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from types import FrameType

# Frames of these packages are never "where the model was": the exporter and its helpers.
_INFRASTRUCTURE = (
    "/torch/",
    "/sympy/",
    "/onnxscript/",
    "/onnx_ir/",
    "/onnxruntime/",
    "/onnxlint/",
    "/linter/",  # onnxlint's own folder in a checkout
    "/click/",
    "/pygls/",
    "/contextlib.py",
    "/threading.py",
    "<frozen ",
)


class StepTimeout(Exception):
    """A step ran past its limit. `stack` is the stack it was in, innermost last."""

    def __init__(self, seconds: float, stack: list[traceback.FrameSummary]) -> None:
        self.seconds = seconds
        self.stack = stack
        where = deepest_model_frame(stack)
        place = f" in {where.filename}:{where.lineno} ({where.name})" if where else ""
        super().__init__(f"stopped after {seconds:g} s{place}")


def deepest_model_frame(stack: list[traceback.FrameSummary]) -> traceback.FrameSummary | None:
    """The innermost frame of the user's or a model library's code (not torch, sympy, onnxlint)."""
    for frame in reversed(stack):
        path = frame.filename.replace("\\", "/")
        if not any(marker in path for marker in _INFRASTRUCTURE):
            return frame
    return None


def _stack_of(frame: FrameType | None) -> list[traceback.FrameSummary]:
    return list(traceback.extract_stack(frame)) if frame is not None else []


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `StepTimeout` inside the block once `seconds` pass (no limit when None or <= 0)."""
    if not seconds or seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM"):
        with _alarm(seconds):
            yield
    else:
        with _watchdog(seconds):
            yield


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def on_alarm(_signum: int, frame: FrameType | None) -> None:
        raise StepTimeout(seconds, _stack_of(frame))

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0]:  # an outer limit keeps running
            signal.setitimer(signal.ITIMER_REAL, *previous_timer)


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    worker = threading.get_ident()
    done = threading.Event()
    firing = threading.Lock()  # the block cannot end between the check and the raise
    sampled: list[list[traceback.FrameSummary]] = []

    def watch() -> None:
        if done.wait(seconds):
            return
        with firing:
            if done.is_set():
                return
            sampled.append(_stack_of(sys._current_frames().get(worker)))
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker), ctypes.py_object(_AsyncTimeout))

    watcher = threading.Thread(target=watch, name="onnxlint-time-limit", daemon=True)
    watcher.start()
    try:
        yield
    except _AsyncTimeout:
        raise StepTimeout(seconds, sampled[0] if sampled else []) from None
    finally:
        with firing:
            done.set()
        watcher.join()


class _AsyncTimeout(BaseException):
    """Raised asynchronously in a worker thread; turned into `StepTimeout` at the block's edge."""
