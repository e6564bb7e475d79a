"""Every attack of scripts/attack_sweep.py holds against this checkout (the real CLI, cache and server)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ..conftest import REPO


@pytest.mark.export  # the weights attacks need torch, the server attacks pygls: the full environment
def test_every_attack_is_held():
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "attack_sweep.py")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " 0 broken" in result.stdout, result.stdout[-3000:]
