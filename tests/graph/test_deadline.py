"""Time limits on steps that run the user's code: a runaway step stops, naming the line it was in."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

from onnxlint.graph.deadline import StepTimeout, time_limit

RUNAWAY = """\
def spin():
    total = 0
    while True:
        total += 1  # the runaway line
"""


def _load_runaway(tmp_path: Path):
    path = tmp_path / "user_model.py"
    path.write_text(RUNAWAY, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("user_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def test_a_runaway_step_in_the_main_thread_stops_at_its_line(tmp_path):
    module, path = _load_runaway(tmp_path)
    with pytest.raises(StepTimeout) as caught, time_limit(0.3):
        module.spin()
    assert f"{path}:4" in str(caught.value) or f"{path}:3" in str(caught.value)
    assert caught.value.stack[-1].filename == str(path)


def test_a_runaway_step_in_a_worker_thread_stops_at_its_line(tmp_path):
    module, path = _load_runaway(tmp_path)
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            with time_limit(0.3):
                module.spin()
        except StepTimeout as error:
            outcome.append(error)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(outcome) == 1 and str(path) in str(outcome[0])


def test_a_step_within_its_limit_is_untouched_and_leaves_no_timer():
    with time_limit(5):
        value = sum(range(1000))
    assert value == 499500
    import signal

    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with time_limit(None):
        pass


SWALLOWER = """\
def spin():
    total = 0
    while True:
        total += 1  # the runaway line


def stubborn():
    try:
        spin()
    except Exception:
        pass  # code that catches everything once and carries on (torch and sympy do, in places)
    spin()
"""


def test_a_repeating_limit_stops_code_that_swallows_the_first_timeout(tmp_path):
    path = tmp_path / "swallower.py"
    path.write_text(SWALLOWER, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("swallower", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(StepTimeout) as caught, time_limit(0.3, repeat=0.1):
        module.stubborn()
    assert caught.value.stack[-1].filename == str(path)
    import signal

    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


SLOW_THEN_STUCK = """\
import time


def slow_then_stuck():
    start = time.monotonic()
    while time.monotonic() - start < 1.5:
        pass  # where the time goes
    while True:
        pass  # where the limit lands
"""


def test_sampling_names_the_line_the_time_went_to(tmp_path):
    path = tmp_path / "slow.py"
    path.write_text(SLOW_THEN_STUCK, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("slow", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(StepTimeout) as caught, time_limit(2.0, sample=0.1):
        module.slow_then_stuck()
    error = caught.value
    assert error.stack[-1].lineno in (8, 9)
    assert error.hotspot is not None and error.hotspot[-1].lineno in (6, 7), error.hotspot
    count, samples = error.hotspot_share
    assert samples >= 5 and count > samples / 2
