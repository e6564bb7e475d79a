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
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from types import FrameType
from typing import Any

from onnxlint.graph.frames import deepest_model_frame


class StepTimeout(Exception):
    """A step ran past its limit. `stack` is the stack it was in, innermost last."""

    def __init__(self, seconds: float, stack: list[traceback.FrameSummary], frame: FrameType | None = None) -> None:
        self.seconds = seconds
        self.stack = stack
        # The interrupted frame itself (None from a watchdog): callers may read its locals and its
        # callers' (`f_back`), e.g. the exporter's node being translated when the limit passed.
        self.frame = frame
        # With sampling (`time_limit(sample=...)`): the stack of the model line most samples were in (where
        # the time went, rather than where the limit happened to land), its share of the samples, and the
        # most frequent answer of the `probe` (e.g. the exporter's node being handled).
        self.hotspot: list[traceback.FrameSummary] | None = None
        self.hotspot_share: tuple[int, int] = (0, 0)
        self.hotspots: list[tuple[list[traceback.FrameSummary], int]] = []  # the top lines, most sampled first
        self.probed: Hashable | None = None
        where = deepest_model_frame(stack)
        place = f" in {where.filename}:{where.lineno} ({where.name})" if where else ""
        super().__init__(f"stopped after {seconds:g} s{place}")


def _stack_of(frame: FrameType | None) -> list[traceback.FrameSummary]:
    return list(traceback.extract_stack(frame)) if frame is not None else []


class _Sampler:
    """Samples a thread's stack every `interval` seconds: which model line, and which probe answer, the time went to."""

    def __init__(self, ident: int, depth: int, interval: float, probe: Callable[[FrameType], Any] | None) -> None:
        self.ident, self.depth, self.interval, self.probe = ident, depth, interval, probe
        self.lines: Counter[tuple[str, int]] = Counter()
        self.stacks: dict[tuple[str, int], list[traceback.FrameSummary]] = {}
        self.probed: Counter[Hashable] = Counter()
        self.samples = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="onnxlint-time-sampler", daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                frame = sys._current_frames().get(self.ident)
                if frame is None:
                    continue
                stack = list(traceback.StackSummary.extract(traceback.walk_stack(frame), lookup_lines=False))
                stack.reverse()
                inner = stack[self.depth :]  # below the `with time_limit(...)` line: the step, not its caller
                self.samples += 1
                where = deepest_model_frame(inner)
                if where is not None:
                    key = (where.filename, where.lineno or 0)
                    self.lines[key] += 1
                    self.stacks[key] = inner
                if self.probe is not None:
                    answer = self.probe(frame)
                    if answer is not None:
                        self.probed[answer] += 1
            except Exception:  # a sampler must never break the step it watches
                continue

    def annotate(self, error: StepTimeout) -> None:
        if self.lines:
            key, count = self.lines.most_common(1)[0]
            error.hotspot = self.stacks[key]
            error.hotspot_share = (count, self.samples)
            error.hotspots = [(self.stacks[k], n) for k, n in self.lines.most_common(3)]
        if self.probed:
            error.probed = self.probed.most_common(1)[0][0]


@contextlib.contextmanager
def time_limit(
    seconds: float | None,
    *,
    repeat: float | None = None,
    sample: float | None = None,
    probe: Callable[[FrameType], Any] | None = None,
) -> Iterator[None]:
    """Raise `StepTimeout` inside the block once `seconds` pass (no limit when None or <= 0).

    `repeat`: raise it again every `repeat` seconds until the block ends, for code that catches
    `Exception` and carries on (torch and sympy do, in places); every raise carries the stack of
    the first, where the step really was. `sample`: also sample the block's stack every `sample`
    seconds, so the `StepTimeout` names the model line the time went to (`hotspot`), and the most
    frequent answer of `probe(frame)` (`probed`; e.g. the node an exporter was handling).
    """
    if not seconds or seconds <= 0:
        yield
        return
    sampler = None
    if sample:
        caller = sys._getframe(2)  # this generator <- contextlib's __enter__ <- the `with` statement
        depth = sum(1 for _ in traceback.walk_stack(caller))
        sampler = _Sampler(threading.get_ident(), depth, sample, probe)
        sampler.thread.start()
    try:
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM"):
            with _alarm(seconds, repeat, sampler):
                yield
        else:
            with _watchdog(seconds, repeat, sampler):
                yield
    finally:
        if sampler is not None:
            sampler.stop.set()
            sampler.thread.join()


@contextlib.contextmanager
def _alarm(seconds: float, repeat: float | None = None, sampler: _Sampler | None = None) -> Iterator[None]:
    first: list[tuple[list[traceback.FrameSummary], FrameType | None]] = []
    active = [True]

    def on_alarm(_signum: int, frame: FrameType | None) -> None:
        if not active[0]:
            return  # the block is ending: let its clean-up run
        if not first:
            first.append((_stack_of(frame), frame))
        error = StepTimeout(seconds, *first[0])
        if sampler is not None:
            sampler.annotate(error)
        raise error

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds, repeat or 0)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0]:  # an outer limit keeps running
            signal.setitimer(signal.ITIMER_REAL, *previous_timer)


@contextlib.contextmanager
def _watchdog(seconds: float, repeat: float | None = None, sampler: _Sampler | None = None) -> Iterator[None]:
    worker = threading.get_ident()
    done = threading.Event()
    firing = threading.Lock()  # the block cannot end between the check and the raise
    sampled: list[list[traceback.FrameSummary]] = []

    def watch() -> None:
        wait = seconds
        while not done.wait(wait):
            with firing:
                if done.is_set():
                    return
                if not sampled:
                    sampled.append(_stack_of(sys._current_frames().get(worker)))
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker), ctypes.py_object(_AsyncTimeout))
            if not repeat:
                return
            wait = repeat

    watcher = threading.Thread(target=watch, name="onnxlint-time-limit", daemon=True)
    watcher.start()
    try:
        yield
    except _AsyncTimeout:
        with firing:
            done.set()
        error = StepTimeout(seconds, sampled[0] if sampled else [])
        if sampler is not None:
            sampler.annotate(error)
        raise error from None
    finally:
        with firing:
            done.set()
        watcher.join()


class _AsyncTimeout(BaseException):
    """Raised asynchronously in a worker thread; turned into `StepTimeout` at the block's edge."""
