"""Facts about the installed torch.onnx exporter, read without importing torch.

Importing torch costs seconds; the static layer must stay fast and must work without torch.
So the default opsets are read from torch's own `_constants.py` files as text, and fall back to
the values of the pinned, tested torch (2.13.0) when torch is absent or the files moved.
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
