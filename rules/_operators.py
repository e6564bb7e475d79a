"""Shared helpers for the operator rules (ONX1xx) and the scatter/index numerics rules (ONX45x).

They answer three questions: which call is this (a `torch.*` function by qualified name, or a
method called on something known to be a tensor), what does an argument say when it is a
literal, and does the op export under the configuration the node is judged by (read from
`onnxlint.targets.OP_REQUIREMENTS`, never from constants here).
"""

from __future__ import annotations

import ast
from typing import Any

from onnxlint.context import FileContext
from onnxlint.edits import argument
from onnxlint.semantic import Kind
from onnxlint.settings import ExportConfig
from onnxlint.targets import OpRequirement

__all__ = [
    "UNKNOWN",
    "argument",
    "exports",
    "failure_text",
    "literal",
    "tensor_method",
]

UNKNOWN: Any = object()  # an argument that is not a literal
_TENSOR_KINDS = (Kind.TENSOR, Kind.OPTIONAL_TENSOR)


def literal(node: ast.expr | None, default: Any = None) -> Any:
    """The value of a literal argument (`default` when absent, UNKNOWN when not a literal)."""
    if node is None:
        return default
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN


def tensor_method(context: FileContext, call: ast.Call, methods: frozenset[str] | set[str]) -> str | None:
    """The method name when `call` is `<tensor>.<method>(...)` with the receiver known to be a tensor."""
    func = call.func
    if type(func) is not ast.Attribute or func.attr not in methods:  # type: ignore[attr-defined]
        return None
    if context.qualified_name(func) is not None:  # torch.cumprod, np.median, ...: a module attribute
        return None
    if context.kind(func.value) not in _TENSOR_KINDS:  # type: ignore[attr-defined]
        return None
    return func.attr  # type: ignore[attr-defined]


def exports(requirement: OpRequirement, config: ExportConfig) -> bool:
    """Whether the op exports (and runs correctly) under `config`, per the requirement's data."""
    if config.is_legacy:
        return requirement.legacy_min_opset is not None and config.opset >= requirement.legacy_min_opset
    if not requirement.dynamo:
        return False
    return requirement.dynamo_min_opset is None or config.opset >= requirement.dynamo_min_opset


def failure_text(requirement: OpRequirement, config: ExportConfig) -> str:
    """Why the op does not export under `config`, and what would (for a message)."""
    label = config.exporter_label
    if config.is_legacy:
        minimum = requirement.legacy_min_opset
        if minimum is not None:
            return f"it needs ONNX opset {minimum}; {label} fails at opset {config.opset}"
        alternative = "; the dynamo exporter handles it" if requirement.dynamo else ""
        if requirement.dynamo and requirement.dynamo_min_opset:
            alternative += f" at opset {requirement.dynamo_min_opset} or later"
        return f"{label} cannot export it at any opset{alternative}"
    if requirement.dynamo and requirement.dynamo_min_opset is not None:
        return f"it needs ONNX opset {requirement.dynamo_min_opset}; {label} writes opset {config.opset}"
    alternative = (
        f"; the TorchScript exporter handles it from opset {requirement.legacy_min_opset}"
        if requirement.legacy_min_opset is not None
        else ""
    )
    return f"{label} cannot export it{alternative}"
