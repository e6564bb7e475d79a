"""A one-line live progress display on stderr while the stages run (only on a terminal)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from onnxlint.verify.report import STAGE_TITLES, StageResult, Status

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class TerminalProgress:
    """Shows the running stage, its elapsed time and the stages done so far; erased when a stage ends."""

    def __init__(self, stream: TextIO | None = None, *, label: str = "", color: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.color = color
        self._done: list[StageResult] = []
        self._current: StageResult | None = None
        self._started = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self, stage: StageResult) -> None:
        with self._lock:
            self._current = stage
            self._started = time.perf_counter()
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="onnxlint-progress", daemon=True)
            self._ticker.start()
        self._draw()

    def finish(self, stage: StageResult) -> None:
        with self._lock:
            self._done.append(stage)
            self._current = None
        self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=1)
        self._write("\r\x1b[2K")

    def _tick(self) -> None:
        while not self._stop.wait(0.1):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            current, started, done = self._current, self._started, list(self._done)
        marks = " ".join(self._mark(s) for s in done)
        if current is not None:
            elapsed = time.perf_counter() - started
            spinner = _SPINNER[int(elapsed * 10) % len(_SPINNER)]
            title = STAGE_TITLES.get(current.name, current.name)
            text = f"{spinner} {self.label}{title} … {elapsed:4.1f} s"
        else:
            text = f"  {self.label}"
        self._write(f"\r\x1b[2K{text}   {marks}")

    def _mark(self, stage: StageResult) -> str:
        symbol = stage.status.symbol
        if self.color:
            code = {Status.PASSED: "32", Status.FAILED: "31"}.get(stage.status, "2")
            symbol = f"\x1b[{code}m{symbol}\x1b[0m"
        return f"{symbol} {stage.name}"

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away
            pass
