"""Shared helpers for the operator rules (ONX1xx) and the scatter/index numerics rules (ONX45x).

They answer three questions: which call is this (a `torch.*` function by qualified name, or a
method called on something known to be a tensor), what does an argument say when it is a
literal, and does the op export under the configuration the node is judged by (read from
`onnxlint.knowledge.exporters.OP_REQUIREMENTS`, never from constants here).
"""

from __future__ import annotations

import ast
from typing import Any

from onnxlint.rules.api import ExportConfig, FileContext, Kind, OpRequirement, argument

__all__ = [
    "UNKNOWN",
    "argument",
    "exports",
    "failure_text",
    "literal",
    "may_be_traced",
    "parameter_default",
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


def may_be_traced(context: FileContext) -> bool:
    """Whether a call here can end up in an exported graph.

    Model code (`forward` and what it calls in this file) can. In a file that has model code,
    the other functions are constructors, weight loading, metrics and the like: not traced. A
    file without any `forward` is library code whose functions models elsewhere call, so its
    functions count. Module-level statements (scripts) do not.
    """
    if context.in_model_code:
        return True
    info = context.function
    if info is None:
        return False
    if not context.model.defines_module_forward():
        return True
    while info.parent is not None:
        info = info.parent
    return info.owner is None and id(info.node) in context.model.referenced_from_model_code()


def parameter_default(context: FileContext, node: ast.expr) -> Any:
    """The literal default of the enclosing function's parameter `node` names, when the function
    never rebinds it (UNKNOWN otherwise): `def pool(x, output_size=1)` -> 1."""
    info = context.function
    if type(node) is not ast.Name or info is None or type(info.node) is ast.Lambda:
        return UNKNOWN
    name = node.id
    arguments = info.node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(arguments.defaults) :]], arguments.defaults))
    defaults.update({a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None})
    if name not in defaults:
        return UNKNOWN
    for child in ast.walk(info.node):
        if type(child) in (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.NamedExpr):
            targets = child.targets if type(child) is ast.Assign else [child.target]  # type: ignore[attr-defined]
            if any(type(t) is ast.Name and t.id == name for target in targets for t in ast.walk(target)):
                return UNKNOWN
    return literal(defaults[name])


def tensor_method(context: FileContext, call: ast.Call, methods: frozenset[str] | set[str]) -> str | None:
    """The method name when `call` is `<tensor>.<method>(...)` with the receiver known to be a tensor."""
    func = call.func
    if type(func) is not ast.Attribute or func.attr not in methods:
        return None
    if context.qualified_name(func) is not None:  # torch.cumprod, np.median, ...: a module attribute
        return None
    if context.kind(func.value) not in _TENSOR_KINDS:
        return None
    return func.attr


def exports(requirement: OpRequirement, config: ExportConfig) -> bool:
    """Whether the op exports (and runs correctly) under `config`, per the requirement's data."""
    if config.is_legacy:
        return requirement.legacy_min_opset is not None and config.opset >= requirement.legacy_min_opset
    if not requirement.dynamo:
        return False
    return requirement.dynamo_min_opset is None or config.opset >= requirement.dynamo_min_opset


def exports_within_ceiling(requirement: OpRequirement, config: ExportConfig) -> bool:
    """`exports`, and, when the user asked the dynamo exporter for an opset below the one it writes,
    whether the op exists at that opset (the ceiling of their runtime): the exporter converts the
    model down only when every op allows it, else it silently writes its own opset. An op's
    `legacy_min_opset` is the lowest opset it was measured to have an ONNX form at (None: unknown
    below the dynamo exporter's own, so not judged). For rules whose message is `failure_text`'s,
    which says why."""
    if not exports(requirement, config):
        return False
    ceiling, minimum = config.opset_ceiling, requirement.legacy_min_opset
    return ceiling is None or minimum is None or ceiling >= minimum


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
    ceiling, minimum = config.opset_ceiling, requirement.legacy_min_opset
    if requirement.dynamo and ceiling is not None and minimum is not None and ceiling < minimum:
        return (
            f"it needs ONNX opset {minimum}, above the opset {ceiling} asked for ({label} writes opset "
            f"{config.opset} and converts down to {ceiling} only when every op allows it)"
        )
    if requirement.dynamo and requirement.dynamo_min_opset is not None:
        return f"it needs ONNX opset {requirement.dynamo_min_opset}; {label} writes opset {config.opset}"
    alternative = (
        f"; the TorchScript exporter handles it from opset {requirement.legacy_min_opset}"
        if requirement.legacy_min_opset is not None
        else ""
    )
    return f"{label} cannot export it{alternative}"
