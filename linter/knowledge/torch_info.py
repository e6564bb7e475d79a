"""Facts about the installed torch.onnx exporter, read without importing torch.

Importing torch costs seconds; the static layer must stay fast and must work without torch.
So the default opsets are read from torch's own `_constants.py` files as text, and fall back to
the values of the pinned, tested torch (2.13.0) when torch is absent or the files moved. The
installed version comes from the package metadata (importlib.metadata), also without importing torch.

The tested range: every measured claim (rules' `MEASURED`, docs/measurements.md) and the export,
graph and verify tests were run on each of `TESTED_TORCH` (`make test-torch TORCH=...`). Facts
that differ between those releases are recorded per version (`Claim.changed`, and
`exporters.TORCH_CHANGES` for the facts rules decide with); `facts_version()` says whose facts apply.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

PINNED_TORCH_VERSION = "2.13.0"
PINNED_DEFAULT_OPSET = 20  # torch.onnx._constants.ONNX_DEFAULT_OPSET on torch 2.13
PINNED_TORCHLIB_OPSET = 18  # the lowest opset the dynamo exporter translates at (torch >= 2.5)
PINNED_TORCHSCRIPT_MAX_OPSET = 20

# Every torch release the claims were measured on and the export, graph and verify tests passed with,
# oldest first. The pinned one (constraints.txt, CI) is the first; see docs/measurements.md.
TESTED_TORCH = ("2.13.0", "2.14.1", "2.15.0")
OLDEST_TESTED_TORCH = TESTED_TORCH[0]
NEWEST_TESTED_TORCH = TESTED_TORCH[-1]


@dataclass(frozen=True)
class ExporterFacts:
    torch_version: str | None  # None: torch is not installed
    default_opset: int  # what torch.onnx.export uses with no opset_version, both exporters
    dynamo_minimum_opset: int  # the dynamo exporter translates at max(requested, this)
    torchscript_max_opset: int
    source: str  # where the numbers come from, for `onnxlint --version`-like reports


def _read_int(path: Path, name: str) -> int | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(rf"^{name}\s*(?::\s*\w+)?\s*=\s*(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


@functools.lru_cache(maxsize=1)
def exporter_facts() -> ExporterFacts:
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return ExporterFacts(
            None,
            PINNED_DEFAULT_OPSET,
            PINNED_TORCHLIB_OPSET,
            PINNED_TORCHSCRIPT_MAX_OPSET,
            f"pinned torch {PINNED_TORCH_VERSION} (torch not installed)",
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    version = _installed_version()
    default = _read_int(root / "onnx" / "_constants.py", "ONNX_DEFAULT_OPSET")
    torchscript_max = _read_int(root / "onnx" / "_constants.py", "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET")
    torchlib = _read_int(root / "onnx" / "_internal" / "exporter" / "_constants.py", "TORCHLIB_OPSET")
    return ExporterFacts(
        version,
        default or PINNED_DEFAULT_OPSET,
        torchlib or PINNED_TORCHLIB_OPSET,
        torchscript_max or PINNED_TORCHSCRIPT_MAX_OPSET,
        f"installed torch {version}" if default else f"pinned torch {PINNED_TORCH_VERSION} (constants not found)",
    )


def _installed_version() -> str | None:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("torch")
    except (ImportError, PackageNotFoundError):
        return None


@functools.lru_cache(maxsize=1)
def installed_torch_version() -> str | None:
    """The installed torch's version as its metadata says (`2.15.0+cpu`); None when torch is not installed."""
    return _installed_version()


def version_tuple(version: str) -> tuple[int, int, int]:
    """`2.15.0+cpu` -> (2, 15, 0); `2.16.0.dev20260101` -> (2, 16, 0); missing parts count as 0."""
    parts = []
    for piece in version.split("+", 1)[0].split(".")[:3]:
        digits = re.match(r"\d+", piece)
        parts.append(int(digits.group()) if digits else 0)
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


def facts_version(installed: str | None = None) -> str:
    """The tested torch whose measured facts apply to `installed` (default: the installed torch).

    The newest tested release not newer than it: a torch between two tested releases gets the older
    one's facts, one past the newest gets the newest's. No torch, or one older than the oldest
    tested, gets the pinned (oldest) facts: the static layer then lints for the pinned torch.
    """
    if installed is None:
        installed = installed_torch_version()
    if installed is None:
        return OLDEST_TESTED_TORCH
    current = version_tuple(installed)
    applying = [v for v in TESTED_TORCH if version_tuple(v) <= current]
    return applying[-1] if applying else OLDEST_TESTED_TORCH


def tested_range() -> str:
    return f"{OLDEST_TESTED_TORCH} to {NEWEST_TESTED_TORCH}"


def untested_torch_warning(installed: str | None = None) -> str | None:
    """One line when the installed torch is outside the tested range (None inside it, or without torch)."""
    if installed is None:
        installed = installed_torch_version()
    if installed is None:
        return None
    current = version_tuple(installed)
    if version_tuple(OLDEST_TESTED_TORCH) <= current <= version_tuple(NEWEST_TESTED_TORCH):
        return None
    return (
        f"onnxlint: warning: torch {installed} is outside the tested range ({tested_range()}): "
        f"measured facts of torch {facts_version(installed)} are used, and the exporter internals the graph "
        "and verify layers call may have moved"
    )


_WARNED: set[str] = set()


def warn_if_untested() -> None:
    """Print `untested_torch_warning()` once per process, to stderr (the graph and verify layers call this)."""
    import sys

    message = untested_torch_warning()
    if message is None or message in _WARNED:
        return
    _WARNED.add(message)
    print(message, file=sys.stderr)
