"""Reading `torch.onnx.export(...)` calls and the script around them (shared by the ONX5xx rules).

Export scripts are plain top-to-bottom code: the model is built, maybe put in eval mode, an
example input is created, and the call names them. These helpers resolve the call's arguments
to what the script bound them to (the last assignment before the call, in the same function or
at module level) and read the literal parts (sizes, dynamic dims, names). Anything that is not
a literal, or is bound in a way the script does not show, is unknown (None), and the rules stay
silent on unknown. The call's own text is read by `onnxlint.analysis.export_calls` and
`onnxlint.analysis.calls` (through `onnxlint.rules.api`), the same reader the engine's export
configuration and the runner's export-site pre-pass use.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from onnxlint.rules.api import (
    ONNX_EXPORT,
    Binding,
    FileContext,
    Role,
    argument,
    bindings_in,
    declares_dynamic_shapes,
    exporter_hidden,
    has_unpacking,
    inputs_argument,
    keyword,
    literal_int,
    model_argument,
    parameter_names,
    scope_nodes,
)

__all__ = [
    "ONNX_EXPORT",
    "TENSOR_FACTORIES",
    "Example",
    "argument",
    "bindings_before",
    "declares_dynamic_shapes",
    "dynamic_dims",
    "dynamic_shapes_migration",
    "enclosing_scope",
    "enclosing_statement",
    "example_inputs",
    "exported_program_model",
    "exporter_hidden",
    "factory_sizes",
    "has_unpacking",
    "is_onnx_export",
    "is_parameter",
    "literal_int",
    "position_of",
    "resolve",
    "scope_bindings",
    "scope_nodes",
    "string_list",
    "strip_pass_through",
    "tensor_factory",
]

# Tensor factories whose positional arguments (or one tuple/list argument, or `size=`) are the shape.
TENSOR_FACTORIES = frozenset(
    {"torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty", "torch.randint", "torch.full"}
)
# Methods that return the same tensor (or the same module) on another device/dtype.
_PASS_THROUGH_METHODS = frozenset(
    {"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "contiguous", "requires_grad_", "detach", "clone"}
)
# The bindings a script's name can be followed through (`resolve`): a value when it is `name = value`,
# unknown for the others. A name bound as an `except` target is not followed.
_FOLLOWED = frozenset(set(Role) - {Role.AUGMENTED_INSIDE, Role.EXCEPT})


def is_onnx_export(context: FileContext, call: ast.Call) -> bool:
    return context.call_name(call) == ONNX_EXPORT


# -- the script around the call ----------------------------------------------------------------


def enclosing_scope(context: FileContext, node: ast.AST) -> ast.AST:
    """The function (or module) whose body holds `node`."""
    return context.enclosing_scope(node)


def enclosing_statement(context: FileContext, node: ast.AST) -> ast.stmt | None:
    current: ast.AST | None = node
    while current is not None and not isinstance(current, ast.stmt):
        current = context.parent(current)
    return current


def is_parameter(scope: ast.AST, name: str) -> bool:
    return isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and name in parameter_names(scope)


def _before(node: ast.AST, position: tuple[int, int]) -> bool:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0)) < position


def position_of(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


def scope_bindings(context: FileContext, scope: ast.AST) -> dict[str, list[Binding]]:
    """name -> every binding of it in `scope` that `resolve` follows, in source order (built once per
    scope and file: walking the scope per look-up made big modules quadratic)."""
    found = {
        name: [binding for binding in bindings if binding.role in _FOLLOWED]
        for name, bindings in bindings_in(scope_nodes(scope)).items()
    }
    for bindings in found.values():
        bindings.sort(key=lambda b: position_of(b.node) if hasattr(b.node, "lineno") else (0, 0))
    return found


def bindings_before(context: FileContext, scope: ast.AST, name: str, position: tuple[int, int]) -> list[Binding]:
    """The bindings of `name` in `scope` that start before `position`, in source order."""
    table = context.cached(scope_bindings, scope)
    return [b for b in table.get(name, ()) if _before(b.node, position)]


def resolve(context: FileContext, expr: ast.expr | None, at: ast.AST, depth: int = 0) -> ast.expr | None:
    """The expression a name stands for at `at`: its last plain assignment before `at` in the
    same function, or at module level when the function does not bind it (None: unknown)."""
    if expr is None or type(expr) is not ast.Name or depth > 4:
        return expr
    name = expr.id
    scope = enclosing_scope(context, at)
    if is_parameter(scope, name):
        return None
    found = bindings_before(context, scope, name, position_of(at))
    if not found and not isinstance(scope, ast.Module):
        found = bindings_before(context, context.tree, name, (10**9, 0))
    if not found:
        return None
    last = found[-1]
    value = last.value if last.role is Role.WHOLE else None
    if value is not None and type(value) is ast.Name:
        return resolve(context, value, last.node, depth + 1)
    return value


def strip_pass_through(expr: ast.expr) -> ast.expr:
    """`torch.randn(...).to(device).float()` -> `torch.randn(...)`."""
    while type(expr) is ast.Call and type(expr.func) is ast.Attribute and expr.func.attr in _PASS_THROUGH_METHODS:
        expr = expr.func.value
    return expr


# -- example inputs and dynamic dims ------------------------------------------------------------


@dataclass
class Example:
    """One positional example input of an export call."""

    expr: ast.expr  # as written in the call's `args`
    factory: ast.Call | None  # the `torch.randn(...)`-like call that builds it, when the script shows it
    sizes: list[ast.expr] | None  # the size expressions of that call (None: not a literal shape)


def example_inputs(context: FileContext, call: ast.Call) -> list[Example] | None:
    """The call's positional example inputs (None: the script does not show how many there are)."""
    args = inputs_argument(call)
    if args is None:
        return None
    resolved = resolve(context, args, call) if type(args) is ast.Name else args
    if resolved is None:
        return None
    if type(resolved) in (ast.Tuple, ast.List):
        elements = resolved.elts  # type: ignore[attr-defined]
        if any(type(e) is ast.Starred for e in elements) or (elements and type(elements[-1]) is ast.Dict):
            return None  # a trailing dict is keyword inputs (TorchScript exporter convention)
        anchor = call if resolved is args else resolved
        return [_example(context, element, anchor) for element in elements]
    factory = tensor_factory(context, strip_pass_through(resolved))
    if factory is None:
        return None  # could be a tuple built elsewhere
    return [Example(args, factory, factory_sizes(factory))]


def _example(context: FileContext, expr: ast.expr, at: ast.AST) -> Example:
    value = resolve(context, expr, at) if type(expr) is ast.Name else expr
    factory = tensor_factory(context, strip_pass_through(value)) if value is not None else None
    return Example(expr, factory, factory_sizes(factory) if factory is not None else None)


def tensor_factory(context: FileContext, expr: ast.expr) -> ast.Call | None:
    if type(expr) is ast.Call and context.call_name(expr) in TENSOR_FACTORIES:
        return expr
    return None


def factory_sizes(call: ast.Call) -> list[ast.expr] | None:
    name_arguments = call.args
    if any(type(a) is ast.Starred for a in name_arguments):
        return None
    func = call.func
    qualified_tail = func.attr if type(func) is ast.Attribute else getattr(func, "id", "")
    if qualified_tail == "randint":  # randint(high, size) / randint(low, high, size)
        size = keyword(call, "size")
        shape = size.value if size is not None else (name_arguments[-1] if name_arguments else None)
        return list(shape.elts) if type(shape) in (ast.Tuple, ast.List) else None  # type: ignore[union-attr]
    if qualified_tail == "full":  # full(size, fill_value)
        shape = name_arguments[0] if name_arguments else getattr(keyword(call, "size"), "value", None)
        return list(shape.elts) if type(shape) in (ast.Tuple, ast.List) else None  # type: ignore[union-attr]
    if len(name_arguments) == 1 and type(name_arguments[0]) in (ast.Tuple, ast.List):
        return list(name_arguments[0].elts)  # type: ignore[attr-defined]
    if name_arguments:
        return list(name_arguments)
    size = keyword(call, "size")
    if size is not None and type(size.value) in (ast.Tuple, ast.List):
        return list(size.value.elts)  # type: ignore[attr-defined]
    return None


def string_list(expr: ast.expr | None) -> list[str] | None:
    if expr is None or type(expr) not in (ast.List, ast.Tuple):
        return None
    names = []
    for element in expr.elts:  # type: ignore[attr-defined]
        if type(element) is not ast.Constant or not isinstance(element.value, str):
            return None
        names.append(element.value)
    return names


def _axes(value: ast.expr) -> set[int] | None:
    """`{0: "batch"}` / `[0, 2]` / `(0,)` -> the axes; None when not literal."""
    if type(value) is ast.Dict:
        axes = [literal_int(k) if k is not None else None for k in value.keys]
    elif type(value) in (ast.List, ast.Tuple):
        axes = [literal_int(e) for e in value.elts]  # type: ignore[attr-defined]
    elif type(value) is ast.Constant and value.value is None:
        return set()
    else:
        return None
    if any(a is None for a in axes):
        return None
    return set(axes)  # type: ignore[arg-type]


def dynamic_dims(context: FileContext, call: ast.Call, count: int) -> dict[int, set[int]] | None:
    """Input position -> axes declared dynamic, from `dynamic_shapes` or `dynamic_axes` (None: unknown)."""
    shapes = keyword(call, "dynamic_shapes")
    axes = keyword(call, "dynamic_axes")
    if shapes is not None and not (type(shapes.value) is ast.Constant and shapes.value.value is None):
        value = resolve(context, shapes.value, call)
        if type(value) in (ast.Tuple, ast.List):
            result = {}
            for position, element in enumerate(value.elts):  # type: ignore[union-attr]
                found = _axes(element)
                if found is None:
                    return None
                result[position] = found
            return result
        if type(value) is ast.Dict and count == 1 and len(value.keys) == 1:
            found = _axes(value.values[0])
            return None if found is None else {0: found}
        return None
    if axes is not None and not (type(axes.value) is ast.Constant and axes.value.value is None):
        value = resolve(context, axes.value, call)
        names = string_list(resolve(context, argument(call, 99, "input_names"), call))
        if type(value) is not ast.Dict or names is None:
            return None
        result = {}
        for key, element in zip(value.keys, value.values):
            if type(key) is not ast.Constant or not isinstance(key.value, str):
                return None
            if key.value in names:
                found = _axes(element)
                if found is None:
                    return None
                result[names.index(key.value)] = found
        return result
    return {}


def exported_program_model(context: FileContext, call: ast.Call) -> bool:
    """The call exports an `ExportedProgram` (or a scripted module): shapes were decided before it."""
    model = model_argument(call)
    value = resolve(context, model, call) if type(model) is ast.Name else model
    if type(value) is not ast.Call:
        return False
    return (context.call_name(value) or "").startswith(("torch.export.", "torch.jit."))


# -- the dynamic_axes -> dynamic_shapes migration -----------------------------------------------


def dynamic_shapes_migration(context: FileContext, call: ast.Call, *, switch_to_dynamo: bool) -> list | None:
    """Edits replacing `dynamic_axes=` by the equivalent `dynamic_shapes=` (and stating `dynamo=True`).

    `dynamic_axes` is keyed by `input_names` (and `output_names`); `dynamic_shapes` is by
    position of the forward inputs, so each input name maps to its index in `input_names`.
    Outputs need no axes under the dynamo exporter (their shapes follow from the inputs) and are
    dropped. Axis names stay strings, which `torch.onnx.export` turns into `Dim.DYNAMIC` and
    keeps as the ONNX dim names; list values (`[0, 2]`) become `Dim.DYNAMIC`, as torch's own
    conversion does. Only the keyword's text changes; comments inside the old value move above
    it. None when the script does not show everything the mapping needs.
    """
    from onnxlint.rules.api import Edit, comments_in, ensure_torch, module_insertions, replace_node

    axes_keyword = keyword(call, "dynamic_axes")
    if axes_keyword is None or keyword(call, "dynamic_shapes") is not None or has_unpacking(call):
        return None
    axes = resolve(context, axes_keyword.value, call)
    input_names = string_list(resolve(context, argument(call, 99, "input_names"), call))
    output_names = string_list(resolve(context, argument(call, 99, "output_names"), call)) or []
    examples = example_inputs(context, call)
    if type(axes) is not ast.Dict or input_names is None or examples is None:
        return None
    torch_name, imports = ensure_torch(context)
    entries: dict[int, str] = {}
    for key, value in zip(axes.keys, axes.values):
        if type(key) is not ast.Constant or not isinstance(key.value, str):
            return None
        name = key.value
        if name in input_names:
            position = input_names.index(name)
            if position >= len(examples) or _axes(value) is None:
                return None
            if type(value) is ast.Dict:
                if any(type(v) is not ast.Constant or not isinstance(v.value, str) for v in value.values):
                    return None
                entries[position] = context.source.segment(value)
            elif type(value) in (ast.List, ast.Tuple):
                dims = sorted(_axes(value) or ())
                entries[position] = "{" + ", ".join(f"{d}: {torch_name}.export.Dim.DYNAMIC" for d in dims) + "}"
            else:
                entries[position] = "None"
        elif name not in output_names:
            return None
    if not entries:
        return None
    parts = [entries.get(position, "None") for position in range(len(examples))]
    shapes = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    source = context.source
    start = source.location_from_ast(axes_keyword.lineno, axes_keyword.col_offset)
    end = source.end_of(axes_keyword.value)
    separator = _separator_before(context, call, axes_keyword)
    comments = comments_in(source.segment(axes_keyword.value)) if axes_keyword.value is axes else []
    if comments and "\n" not in separator:
        return None  # nowhere to keep them on a one-line call
    prefix = "".join(f"{comment}{separator}" for comment in comments)
    dynamo = keyword(call, "dynamo")
    edits = []
    text = f"{prefix}dynamic_shapes={shapes}"
    if switch_to_dynamo and dynamo is not None:
        edits.append(replace_node(context, dynamo.value, "True"))
    elif dynamo is None:
        text = f"{prefix}dynamo=True,{separator}dynamic_shapes={shapes}"
    edits.append(Edit(start, end, text))
    if "Dim.DYNAMIC" in shapes:
        edits += module_insertions(context, imports)
    return edits


def _separator_before(context: FileContext, call: ast.Call, item: ast.keyword) -> str:
    """The whitespace that separates `item` from the argument before it (a newline and indent, or a space)."""
    source = context.source
    previous = [a for a in [*call.args, *call.keywords] if a is not item and position_of(a) < position_of(item)]
    item_start = source.offset(source.location_from_ast(item.lineno, item.col_offset))
    if previous:
        last = max(previous, key=position_of)
        between = source.text[source.offset(source.end_of(last)) : item_start]
        after_comma = between.split(",", 1)[1] if "," in between else between
        if after_comma.strip() == "":
            return after_comma if after_comma else " "
    row = source.location(item_start).row
    line_start = source.offset(source.line_start(row))
    if source.text[line_start:item_start].strip() == "":
        return source.newline() + source.indentation(row)
    return " "
