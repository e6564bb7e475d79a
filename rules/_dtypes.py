"""Local dtype inference for the numerics rules: is this tensor expression a bool tensor?

The semantic model knows tensors from other values, not their dtypes. The bool-tensor rules
(ONX407) need one fact more: that an expression is certainly a `torch.bool` tensor. This module
infers it from the expression itself, within one function, and answers False whenever it is not
sure (rules stay silent then):

- comparisons of tensors (`x > 0`, `a == b`), `torch.isnan` / `isinf` / `isfinite` / `isclose` /
  `logical_*` / `eq` / `gt` ... and their tensor-method spellings, `.any()` / `.all()`;
- `~m`, `m1 & m2`, `m1 | m2`, `m1 ^ m2`, `m1 + m2`, `m1 * m2` when the operands are bool;
- `.bool()`, `.to(torch.bool)`, `.type(torch.bool)`, factories with `dtype=torch.bool`
  (`torch.zeros(..., dtype=torch.bool)`, `torch.ones_like(x, dtype=torch.bool)`, `x.new_zeros(...,
  dtype=torch.bool)`);
- indexing and shape-only methods of a bool tensor (`m[:, 0]`, `m.view(...)`, `m.flatten(1)`,
  `torch.cat([m1, m2])`);
- local names whose every assignment in the function is one of the above (flow-insensitive, like
  the semantic model: one non-bool binding anywhere makes the name unknown).
"""

from __future__ import annotations

import ast

from onnxlint.rules.api import FileContext, Kind, Role, bindings_in, parameter_names, scope_nodes

_BOOL_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in (
        "isnan",
        "isinf",
        "isfinite",
        "isposinf",
        "isneginf",
        "isreal",
        "isclose",
        "isin",
        "signbit",
        "logical_and",
        "logical_or",
        "logical_not",
        "logical_xor",
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "greater",
        "greater_equal",
        "less",
        "less_equal",
        "not_equal",
        "any",
        "all",
    )
)
_BOOL_METHODS = frozenset(
    {
        "bool",
        "isnan",
        "isinf",
        "isfinite",
        "isposinf",
        "isneginf",
        "isreal",
        "isclose",
        "isin",
        "signbit",
        "logical_and",
        "logical_or",
        "logical_not",
        "logical_xor",
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "greater",
        "greater_equal",
        "less",
        "less_equal",
        "not_equal",
        "any",
        "all",
    }
)
# Methods that keep the receiver's dtype (views, copies, reshuffles of the same values).
_DTYPE_KEEPING_METHODS = frozenset(
    {
        "view",
        "view_as",
        "reshape",
        "reshape_as",
        "flatten",
        "unflatten",
        "squeeze",
        "unsqueeze",
        "expand",
        "expand_as",
        "repeat",
        "permute",
        "transpose",
        "swapaxes",
        "swapdims",
        "movedim",
        "t",
        "contiguous",
        "clone",
        "detach",
        "flip",
        "fliplr",
        "flipud",
        "roll",
        "narrow",
        "select",
        "index_select",
        "gather",
        "tril",
        "triu",
        "masked_fill",
        "cpu",
        "cuda",
    }
)
_DTYPE_KEEPING_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in (
        "flatten",
        "reshape",
        "squeeze",
        "unsqueeze",
        "transpose",
        "permute",
        "flip",
        "roll",
        "tril",
        "triu",
        "narrow",
        "select",
        "index_select",
        "gather",
    )
)
_JOINING_FUNCTIONS = frozenset({"torch.cat", "torch.concat", "torch.concatenate", "torch.stack"})
_FACTORIES = frozenset(
    f"torch.{name}"
    for name in (
        "zeros",
        "ones",
        "full",
        "empty",
        "zeros_like",
        "ones_like",
        "full_like",
        "empty_like",
        "tensor",
        "as_tensor",
    )
)
_FACTORY_METHODS = frozenset({"new_zeros", "new_ones", "new_full", "new_empty", "new_tensor"})
_BOOL_DTYPES = frozenset({"torch.bool"})


def is_bool_tensor(context: FileContext, expr: ast.AST) -> bool:
    """True when `expr` is certainly a bool tensor (evaluated in the current function)."""
    if context.function is None:
        return False
    return _is_bool(context, expr, set())


def _is_bool(context: FileContext, expr: ast.AST, seen: set[str]) -> bool:
    node_type = type(expr)
    if node_type is ast.Compare:
        ops = expr.ops  # type: ignore[attr-defined]
        if any(type(op) in (ast.In, ast.NotIn, ast.Is, ast.IsNot) for op in ops):
            return False
        return context.kind(expr) is Kind.TENSOR
    if node_type is ast.UnaryOp:
        return type(expr.op) is ast.Invert and _is_bool(context, expr.operand, seen)  # type: ignore[attr-defined]
    if node_type is ast.BinOp:
        left, right = expr.left, expr.right  # type: ignore[attr-defined]
        if type(expr.op) in (ast.Add, ast.Mult):  # type: ignore[attr-defined]
            # bool + bool and bool * bool stay bool in PyTorch
            return _is_bool(context, left, seen) and _is_bool(context, right, seen)
        if type(expr.op) not in (ast.BitAnd, ast.BitOr, ast.BitXor):  # type: ignore[attr-defined]
            return False
        return (
            _is_bool_or_bool_literal(context, left, seen)
            and _is_bool_or_bool_literal(context, right, seen)
            and (_is_bool(context, left, seen) or _is_bool(context, right, seen))
        )
    if node_type is ast.Subscript:
        return _is_bool(context, expr.value, seen)  # type: ignore[attr-defined]
    if node_type is ast.Call:
        return _call_is_bool(context, expr, seen)  # type: ignore[arg-type]
    if node_type is ast.Name:
        return _name_is_bool(context, expr.id, seen)  # type: ignore[attr-defined]
    if node_type is ast.NamedExpr:
        return _is_bool(context, expr.value, seen)  # type: ignore[attr-defined]
    return False


def _is_bool_or_bool_literal(context: FileContext, expr: ast.AST, seen: set[str]) -> bool:
    if type(expr) is ast.Constant and isinstance(expr.value, bool):
        return True
    return _is_bool(context, expr, seen)


def _dtype_argument_is_bool(context: FileContext, call: ast.Call, position: int | None = None) -> bool:
    for keyword in call.keywords:
        if keyword.arg == "dtype":
            return context.qualified_name(keyword.value) in _BOOL_DTYPES
    if position is not None and position < len(call.args):
        return context.qualified_name(call.args[position]) in _BOOL_DTYPES
    return False


def _call_is_bool(context: FileContext, call: ast.Call, seen: set[str]) -> bool:
    func = call.func
    qualified = context.call_name(call)
    if qualified is not None:
        if qualified in _BOOL_FUNCTIONS:
            return context.kind(call) is Kind.TENSOR
        if qualified in _FACTORIES:
            return _dtype_argument_is_bool(context, call)
        if qualified in _DTYPE_KEEPING_FUNCTIONS:
            return bool(call.args) and _is_bool(context, call.args[0], seen)
        if qualified in _JOINING_FUNCTIONS:
            if not call.args or type(call.args[0]) not in (ast.List, ast.Tuple):
                return False
            elements = call.args[0].elts  # type: ignore[attr-defined]
            return bool(elements) and all(_is_bool(context, e, seen) for e in elements)
        if qualified == "torch.where" and len(call.args) == 3:
            return _is_bool(context, call.args[1], seen) and _is_bool(context, call.args[2], seen)
        return False
    if type(func) is not ast.Attribute:
        return False
    method = func.attr
    receiver = func.value
    if context.kind(receiver) is not Kind.TENSOR:
        return False
    if method in _BOOL_METHODS:
        return True
    if method in ("to", "type"):
        if call.args and context.qualified_name(call.args[0]) in _BOOL_DTYPES:
            return True
        if _dtype_argument_is_bool(context, call):
            return True
        # `.to(device)` / `.to(other)` keep bool only when they carry no dtype: not sure; stay silent.
        return False
    if method in _FACTORY_METHODS:
        return _dtype_argument_is_bool(context, call)
    if method in _DTYPE_KEEPING_METHODS:
        return _is_bool(context, receiver, seen)
    return False


def _name_is_bool(context: FileContext, name: str, seen: set[str]) -> bool:
    if name in seen:
        return False
    values = bindings(context).get(name)
    if not values:
        return False
    seen = seen | {name}
    return all(value is not None and _is_bool(context, value, seen) for value in values)


def bindings(context: FileContext) -> dict[str, list[ast.expr | None]]:
    """Every value bound to each local name of the current function (None: a binding we cannot read)."""
    info = context.function
    assert info is not None
    return context.cached(_function_bindings, info.node)


# In-place arithmetic keeps a tensor's dtype (or fails in eager): not a new binding. A name first
# bound to a Python value is not a bool tensor anyway.
_NOT_REBOUND = frozenset({Role.AUGMENTED, Role.AUGMENTED_INSIDE})


def _function_bindings(context: FileContext, function: ast.AST) -> dict[str, list[ast.expr | None]]:
    table: dict[str, list[ast.expr | None]] = {}
    if type(function) is ast.Lambda:
        return table
    for name in parameter_names(function):
        table.setdefault(name, []).append(None)
    for name, found in bindings_in(scope_nodes(function, signature=False)).items():
        values = table.setdefault(name, [])
        values.extend(b.value if b.role is Role.WHOLE else None for b in found if b.role not in _NOT_REBOUND)
    return table
