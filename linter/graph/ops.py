"""Ops of a captured graph: names, schemas, counts, and the dynamo exporter's registry.

Whether an op exports is not looked up here: the exporter itself is run (`oracle.py`) and an op
is reported only where the exporter fails on it. `dynamo_registry` is the registry that run uses,
built once per opset and process as `torch.onnx.export` builds it.

All of these are private torch APIs: they are reached through `onnxlint.knowledge.torch_private`, which
turns a moved one into a one-line error (see there).
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from onnxlint.knowledge.torch_private import op_libraries_loaded, private, private_attribute


def is_op_overload(target: Any) -> bool:
    """Whether an fx node's target is an ATen (or library) op overload such as `aten.relu.default`."""
    return isinstance(target, private("torch._ops", "OpOverload"))


def schema(target: Any) -> Any:
    """An op overload's schema (`torch._C.FunctionSchema`: name, arguments, aliasing)."""
    return private_attribute(target, "_schema", "torch._ops.OpOverload")


def schema_name(target: Any) -> str:
    """`aten.cumprod.default` -> 'cumprod' (the schema name without its namespace)."""
    return schema(target).name.split("::", 1)[-1]


def dynamo_registry(opset: int) -> Any:
    """The dynamo exporter's op registry at `opset` (building it costs seconds: cached per process).

    Keyed by the op libraries imported too: a registry built before `import torchvision` lacks
    torchvision's ops, and must not be reused for a model that calls them.
    """
    return _dynamo_registry(opset, op_libraries_loaded())


@functools.lru_cache(maxsize=8)
def _dynamo_registry(opset: int, libraries: frozenset[str]) -> Any:
    from onnxlint.graph.quiet import quiet_torch

    from_torchlib = private("torch.onnx._internal.exporter._registration", "ONNXRegistry.from_torchlib")
    with quiet_torch():  # it logs a warning per optional library op it skips (torchvision::nms, ...)
        return from_torchlib(opset_version=opset)


def op_name(target: Any) -> str:
    """`aten.cumprod.default` -> 'aten.cumprod.default'; builtins by their name."""
    if is_op_overload(target):
        return str(target)
    return getattr(target, "__name__", str(target))


def packet_name(target: Any) -> str:
    """`aten.cumprod.default` -> 'cumprod'."""
    if is_op_overload(target):
        return schema_name(target)
    return getattr(target, "__name__", str(target))


def op_counts(graph_module: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for module in graph_module.modules():
        if not isinstance(module, torch.fx.GraphModule):
            continue
        for node in module.graph.nodes:
            if node.op == "call_function":
                name = op_name(node.target)
            elif node.op in ("call_module", "call_method"):
                name = f"{node.op}:{node.target if node.op == 'call_method' else type(module.get_submodule(node.target)).__name__}"
            else:
                continue
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def call_nodes(graph_module: Any) -> list[Any]:
    """Every call_function node, nested graphs (torch.cond branches) included."""
    nodes: list[Any] = []
    for module in graph_module.modules():
        if isinstance(module, torch.fx.GraphModule):
            nodes.extend(n for n in module.graph.nodes if n.op == "call_function")
    return nodes


def callees_of(node: Any) -> tuple[str, ...]:
    """Names under which the user's code may have called this op (to underline the call on the line)."""
    names: list[str] = []
    torch_fn = node.meta.get("torch_fn")
    if isinstance(torch_fn, tuple) and len(torch_fn) == 2:
        names.append(str(torch_fn[1]).rsplit(".", 1)[-1])
    original = node.meta.get("original_aten")
    for target in (original, node.target):
        if target is not None:
            name = packet_name(target)
            names.append(name)
            names.append(name.lstrip("_"))
    stack = node.meta.get("nn_module_stack") or {}
    if stack:
        path = list(stack.values())[-1][0]
        if path:
            names.append(str(path).rsplit(".", 1)[-1])
    return tuple(dict.fromkeys(n for n in names if n))
