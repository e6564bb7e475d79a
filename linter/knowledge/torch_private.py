"""Every private torch API onnxlint uses, resolved in one place.

The graph and verify layers (and the measure tool) call into the exporter's internals: the dynamo
exporter's op registry, decomposition table and dispatcher, the TorchScript exporter's symbolic
registry, `torch._ops` classes, torch.fx's experimental config. None of these is a public API;
they move between torch releases. `private(module, attribute)` imports and returns one; when it is
gone, it raises `TorchPrivateAPIError`, whose message is one line naming what is missing, the
installed torch and the tested range, never an ImportError / AttributeError traceback. The graph
layer turns that error into `GraphUnavailable` (the CLI prints the line and exits 2); the verify
pipeline reports its graph stage as skipped with the same line.

`PRIVATE_APIS` lists every one of them (tests/static/test_torch_versions.py checks that every `private()`
call names a listed API, that no other module reaches into torch's private modules, and that every
listed API resolves on the installed torch). Importing this module imports no torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from onnxlint.knowledge.torch_info import NEWEST_TESTED_TORCH, installed_torch_version, tested_range

# (module, attribute or None for the module itself, what uses it). Optional ones (callers pass a
# default and fall back) are marked in the third field.
PRIVATE_APIS: tuple[tuple[str, str | None, str], ...] = (
    ("torch._ops", "OpOverload", "graph: which fx nodes are ATen / library ops"),
    ("torch._dynamo", "reset", "graph: forget a failed strict capture before the next try"),
    ("torch._logging._internal", "trace_log", "graph: the structured trace logger shape guards are recorded from"),
    ("torch._logging.structured", "INTERN_TABLE", "graph: file names in structured trace records"),
    ("torch.fx.experimental._config", "patch", "graph: backed_size_oblivious=True, as torch.onnx.export"),
    ("torch.fx.experimental.symbolic_shapes", "GuardOnDataDependentSymNode", "graph: data-dependent failures"),
    ("torch.utils._pytree", "tree_leaves", "graph: the eager model's outputs flattened as torch.export flattens them"),
    (
        "torch.onnx._internal.exporter._flags",
        None,
        "graph: capture with is_in_onnx_export() True, as the dynamo exporter's _core.export sets it",
    ),
    (
        "torch.onnx._internal.torchscript_exporter._globals",
        "GLOBALS",
        "graph: capture with is_in_onnx_export() True, as the TorchScript exporter sets it while it traces",
    ),
    ("torch.onnx._internal.exporter._registration", "ONNXRegistry.from_torchlib", "graph, verify, measure"),
    ("torch.onnx._internal.exporter._registration", "ONNXRegistry", "verify: one registry per opset (optional)"),
    ("torch.onnx._internal.exporter._core", "export", "measure: export with a shared registry (optional)"),
    ("torch.onnx._internal.exporter._constants", "TORCHLIB_OPSET", "measure (optional; torch_info reads it as text)"),
    ("torch.onnx._constants", "ONNX_DEFAULT_OPSET", "measure (optional; torch_info reads it as text)"),
)

# Private attributes of torch objects: (class, attribute, what uses it), read with `private_attribute`.
PRIVATE_ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    ("torch._ops.OpOverload", "_schema", "graph: an op's schema (its name, arguments, aliasing)"),
    ("torch._ops.OpOverload", "_overloadname", "graph: the functional variant of an in-place op"),
    ("torch.export.ExportedProgram", "_graph_module", "graph: the decomposed program's graph, assertions removed"),
)

# The ones the graph layer cannot work without: checked before it traces anything.
GRAPH_LAYER = tuple(
    (module, attribute)
    for module, attribute, used in PRIVATE_APIS
    if used.startswith("graph") and "optional" not in used
)

_MISSING: Any = object()


class TorchPrivateAPIError(RuntimeError):
    """A private torch API onnxlint uses is not in the installed torch (it moved or was removed)."""

    def __init__(self, name: str) -> None:
        self.name = name
        installed = installed_torch_version() or "(not installed)"
        super().__init__(
            f"torch {installed} has no `{name}` (a private torch API onnxlint's graph and verify layers use; "
            f"tested with torch {tested_range()}): install a tested torch, e.g. pip install torch=={NEWEST_TESTED_TORCH}"
        )


def private(module: str, attribute: str | None = None, *, default: Any = _MISSING) -> Any:
    """`module.attribute` from the installed torch (`attribute` may be dotted: `Class.method`).

    Raises TorchPrivateAPIError when the module or the attribute is missing, unless `default` is
    given, which is then returned instead (for the callers that have a fallback).
    """
    try:
        return _resolve(module, attribute)
    except TorchPrivateAPIError:
        if default is not _MISSING:
            return default
        raise


def _resolve(module: str, attribute: str | None) -> Any:
    name = module if attribute is None else f"{module}.{attribute}"
    try:
        value = importlib.import_module(module)
    except ImportError:
        raise TorchPrivateAPIError(module) from None
    for part in (attribute or "").split(".") if attribute else ():
        try:
            value = getattr(value, part)
        except AttributeError:
            raise TorchPrivateAPIError(name) from None
    return value


def private_attribute(value: Any, attribute: str, owner: str) -> Any:
    """`value.attribute` for a private attribute of a torch object (`owner` names its class for the message)."""
    try:
        return getattr(value, attribute)
    except AttributeError:
        raise TorchPrivateAPIError(f"{owner}.{attribute}") from None


def require(apis: tuple[tuple[str, str | None], ...] = GRAPH_LAYER) -> None:
    """Resolve every API in `apis`; the first missing one raises TorchPrivateAPIError."""
    for module, attribute in apis:
        _resolve(module, attribute)


def op_libraries_loaded() -> frozenset[str]:
    """The op libraries imported now that register ops torchlib translates (torchvision::nms, ...).

    The dynamo exporter's registry (`ONNXRegistry.from_torchlib`) skips the ops of a library that is
    not imported yet: a registry built before `import torchvision` lacks torchvision's ops. A cache
    of registries is keyed by this as well as by the opset.
    """
    import sys

    return frozenset(name for name in ("torchvision", "torchaudio") if name in sys.modules)
