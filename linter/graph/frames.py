"""Which frames are model code: the one definition the graph and verify layers use for locations.

A finding goes to the innermost frame of the user's code or of a model library (torchvision,
timm, diffusers...): never to the exporter's machinery, onnxlint itself, its dependencies, a
test runner or Python's standard library.
"""

from __future__ import annotations

import sysconfig
import traceback
from collections.abc import Sequence

# Packages whose frames are never a finding's location: the exporters, onnxlint's dependencies and test runners.
INFRASTRUCTURE_PACKAGES = (
    "torch",
    "torchgen",
    "functorch",
    "onnxscript",
    "onnx_ir",
    "onnx",
    "onnxruntime",
    "onnxsim",
    "sympy",
    "mpmath",
    "numpy",
    "optree",
    "google",  # protobuf
    "click",
    "pygls",
    "lsprotocol",
    "libcst",
    "_pytest",
    "pytest",
    "pluggy",
)
_MARKERS = (
    *(f"/{name}/" for name in INFRASTRUCTURE_PACKAGES),
    "/onnxlint/",
    "/linter/",  # onnxlint's own folder in a checkout
    "/typing_extensions.py",
    "<frozen ",
)


def is_stdlib(filename: str) -> bool:
    """A file of Python's standard library (inspect.py, threading.py): never where a model is."""
    if "site-packages" in filename or "dist-packages" in filename:
        return False
    folders = [sysconfig.get_paths().get(key, "") for key in ("stdlib", "platstdlib")]
    return any(folder and filename.startswith(folder) for folder in folders)


def is_model_code(filename: str) -> bool:
    """The user's code or a model library's (timm, torchvision...), not torch, onnx or onnxlint itself."""
    path = filename.replace("\\", "/")
    return not is_stdlib(filename) and not any(marker in path for marker in _MARKERS)


def deepest_model_frame(stack: Sequence[traceback.FrameSummary]) -> traceback.FrameSummary | None:
    """The innermost frame of model code in `stack` (innermost last), or None."""
    for frame in reversed(stack):
        if is_model_code(frame.filename):
            return frame
    return None
