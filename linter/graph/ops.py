"""The exporters' own answers: which ATen ops they translate, at which opset.

Dynamo exporter: the same `ONNXRegistry.from_torchlib(opset)` that `torch.onnx.export` builds,
the same decomposition table (`_decomp.create_onnx_friendly_decomposition_table`) and the same
per-node dispatch (`_dispatching.dispatch`). TorchScript exporter: its symbolic-function
registry, queried per opset. Nothing here is a hand-kept list of supported ops.

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


def decompose(program: Any, opset: int) -> Any:
    """The exported program after the dynamo exporter's step 2 (decompositions, assertion removal)."""
    decompose_with_registry = private("torch.onnx._internal.exporter._fx_passes", "decompose_with_registry")
    remove_assertion_nodes = private("torch.onnx._internal.exporter._fx_passes", "remove_assertion_nodes")
    registry = dynamo_registry(opset)
    with private("torch.fx.experimental._config", "patch")(backed_size_oblivious=True):
        decomposed = decompose_with_registry(program, registry)
        module = remove_assertion_nodes(decomposed.graph_module)
        private_attribute(decomposed, "_graph_module", "torch.export.ExportedProgram")  # it must exist to be replaced
        decomposed._graph_module = module
    return decomposed


def dynamo_dispatch_failure(node: Any, opset: int) -> str | None:
    """Why the dynamo exporter has no translation for this call_function node (None: it has one)."""
    import operator

    dispatch = private("torch.onnx._internal.exporter._dispatching", "dispatch")
    target = node.target
    if target is operator.getitem or isinstance(target, private("torch._ops", "HigherOrderOperator")):
        return None
    if is_op_overload(target) and target.namespace == "onnx":
        return None
    function, message = dispatch(node, dynamo_registry(opset))
    return None if function is not None else message


@functools.lru_cache(maxsize=1)
def legacy_registry() -> Any:
    """The TorchScript exporter's symbolic registry, with every opset module loaded."""
    registry = private("torch.onnx._internal.torchscript_exporter.registration", "registry")
    for version in range(7, 30):  # each module registers its opset's symbolic functions when imported
        private(f"torch.onnx._internal.torchscript_exporter.symbolic_opset{version}", default=None)
    return registry


_LEGACY_SKIPPED = ("sym_", "_assert", "_local_scalar_dense")


def legacy_support(target: Any, opset: int) -> tuple[bool, int | None] | None:
    """(translated at `opset`, lowest opset that translates it) for an ATen op; None: not judged."""
    if not is_op_overload(target) or target.namespace != "aten":
        return None
    name = schema_name(target)
    if name.startswith(_LEGACY_SKIPPED):
        return None
    registry = legacy_registry()
    group = registry.get_function_group(f"aten::{name}")
    if group is None and name.startswith("__") and name.endswith("__"):
        # The TorchScript exporter registers dunder ops with one trailing underscore: `aten::__and_`.
        group = registry.get_function_group(f"aten::{name[:-1]}")
    if group is None:
        return False, None
    if group.get(opset) is not None:
        return True, None
    try:
        return False, group.get_min_supported()
    except Exception:
        return False, None


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
    nodes = []
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


def dynamo_decomposition_table(opset: int) -> dict[Any, Any]:
    """The table `torch.onnx.export` decomposes with at `opset` (ops without an ONNX function)."""
    return _dynamo_decomposition_table(opset, op_libraries_loaded())


@functools.lru_cache(maxsize=8)
def _dynamo_decomposition_table(opset: int, libraries: frozenset[str]) -> dict[Any, Any]:
    create_table = private("torch.onnx._internal.exporter._decomp", "create_onnx_friendly_decomposition_table")
    implemented = private("torch.onnx._internal.exporter._decomp", "get_onnx_implemented_overloads")
    return create_table(set(implemented(dynamo_registry(opset))))


def _functional_variant(target: Any) -> Any:
    """`aten.relu_.default` -> `aten.relu.default` (functionalisation's rewrite), else None."""
    name = schema_name(target)
    if not name.endswith("_") or name.endswith("__") or target.namespace != "aten":
        return None
    packet = getattr(torch.ops.aten, name[:-1], None)
    overload = private_attribute(target, "_overloadname", "torch._ops.OpOverload")
    return getattr(packet, overload, None) if packet is not None else None


def _to_meta(value: Any) -> Any:
    import torch.fx

    if isinstance(value, torch.fx.Node):
        value = value.meta.get("val")
    if isinstance(value, torch.Tensor):
        shape = [_hint(s) for s in value.shape]
        return torch.empty(shape, dtype=value.dtype, device="meta")
    if isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        return _hint(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_meta(v) for v in value)
    return value


def _hint(value: Any) -> Any:
    if isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        hint = value.node.hint
        return hint if hint is not None else 2
    return value


def dynamo_op_failures(node: Any, opset: int) -> list[tuple[Any, str]]:
    """The ops this node becomes in the dynamo exporter that have no translation: [] when it translates.

    A node the registry translates directly is fine. Otherwise, as the exporter's step 2 would,
    it is decomposed with the exporter's own table (traced on meta tensors of the node's example
    sizes, so only this op is decomposed, not the whole model) and every resulting op is
    dispatched. An op with no decomposition and no translation is reported as itself.
    """
    reason = dynamo_dispatch_failure(node, opset)
    if reason is None:
        return []
    target = node.target
    if not is_op_overload(target):
        return [(target, reason)]
    functional = _functional_variant(target)
    if functional is not None and dynamo_registry(opset).is_registered(functional):
        return []  # functionalisation rewrites the in-place op into its registered functional form
    table = dynamo_decomposition_table(opset)
    decomposition = table.get(target) or (table.get(functional) if functional is not None else None)
    if decomposition is None and private("torch._C", "_dispatch_has_kernel_for_dispatch_key")(
        target.name(), "CompositeImplicitAutograd"
    ):
        # run_decompositions also decomposes CompositeImplicitAutograd ops (aten.batch_norm, ...).
        decomposition = target.decompose
    if decomposition is None:
        return [(target, reason)]
    args = _to_meta(node.args)
    kwargs = {k: _to_meta(v) for k, v in node.kwargs.items()}
    key = (target, opset, op_libraries_loaded(), _signature(args), _signature(kwargs))
    cached = _DECOMPOSED.get(key)
    if cached is not None:
        return cached
    make_fx = private("torch.fx.experimental.proxy_tensor", "make_fx")
    try:
        traced = make_fx(decomposition, decomposition_table=table)(*args, **kwargs)
    except Exception:
        return [("unknown", "")]  # the caller falls back to decomposing the whole program
    failures = []
    for inner in traced.graph.nodes:
        if inner.op == "call_function":
            inner_reason = dynamo_dispatch_failure(inner, opset)
            if inner_reason is not None:
                failures.append((inner.target, inner_reason))
    _DECOMPOSED[key] = failures
    return failures


# (op, opset, argument signature) -> what its decomposition leaves untranslated; a model calls the
# same op with the same ranks and dtypes many times (53 batch norms in a ResNet-50).
_DECOMPOSED: dict[tuple[Any, ...], list[tuple[Any, str]]] = {}


def _signature(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return ("tensor", value.dtype, value.dim())
    if isinstance(value, (list, tuple)):
        return tuple(_signature(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _signature(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
