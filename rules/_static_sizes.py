"""Sizes that are static by construction although the value model sees a tensor's size.

A parameter's or buffer's shape is fixed when the model is built: `self.pos_embed.shape[1]` is
known to the value model, but not through a local alias (`pos = self.position_embedding;
n = int(pos.shape[0])`, kornia's NaFlex) nor through a name bound to such a size. A submodule run on
module state alone (`pos = self.position_embedding(self.position_ids)`) is fixed the same way. The rules ask
`static_by_construction` before reporting a size as dynamic.
"""

from __future__ import annotations

import ast

from onnxlint.rules.api import FileContext, Kind

from ._sizes import computed_from_module_state, is_module_state, is_rank, local_values, size_leaves

_SIZE_METHODS = frozenset({"size", "numel", "dim", "ndimension", "nelement"})


def _owner(leaf: ast.AST) -> ast.AST | None:
    """The tensor expression `t` of `t.shape[i]`, `t.size(i)`, `t.size()[i]`, `t.numel()`."""
    if type(leaf) is ast.Subscript:
        value = leaf.value
        if type(value) is ast.Attribute and value.attr == "shape":
            return value.value
        if type(value) is ast.Call and type(value.func) is ast.Attribute and value.func.attr == "size":
            return value.func.value
    if type(leaf) is ast.Call and type(leaf.func) is ast.Attribute and leaf.func.attr in _SIZE_METHODS:
        return leaf.func.value
    return None


def _module_state(context: FileContext, owner: ast.AST) -> bool:
    """Whether `owner` is module state, directly or through a name every binding of which is."""
    if is_module_state(owner) or _output_of_state(owner):
        return True
    if type(owner) is ast.Attribute and owner.attr in ("weight", "bias"):
        return _module_state(context, owner.value)
    if type(owner) is ast.Name:
        return computed_from_module_state(context, owner.id, owner)
    return False


def _output_of_state(value: ast.AST) -> bool:
    """`self.position_embedding(self.position_ids)`: a submodule of the model run on module state alone
    (its buffers, parameters, constants), so its output's shape is fixed when the model is built, as
    its arguments' are. Not when an argument is an input or a local (`self.embed(input_ids)`)."""
    return (
        type(value) is ast.Call
        and is_module_state(value.func)
        and bool(value.args)
        and not value.keywords
        and all(is_module_state(argument) for argument in value.args)
    )


def _shape_of_state(context: FileContext, value: ast.AST) -> bool:
    """`self.pos.shape` or `pos.size()` of module state (unpacked: `n, d = self.pos.shape`)."""
    if type(value) is ast.Attribute and value.attr == "shape":
        return _module_state(context, value.value)
    if type(value) is ast.Call and type(value.func) is ast.Attribute and value.func.attr == "size" and not value.args:
        return _module_state(context, value.func.value)
    return False


def _reads_unknown(context: FileContext, expr: ast.AST) -> bool:
    """Whether `expr` reads a local name of unknown kind: a size the value model could not follow
    (`h_grid, w_grid = grid if grid is not None else self._token_grid(...)`) may be the dynamic one."""
    for node in ast.walk(expr):
        if (
            type(node) is ast.Name
            and type(node.ctx) is ast.Load
            and node.id != "self"
            and context.qualified_name(node) is None
            and context.kind(node) is Kind.UNKNOWN
        ):
            return True
    return False


def static_by_construction(context: FileContext, expr: ast.AST, _depth: int = 0) -> bool:
    """Whether every size `expr` reads is module state's (a parameter's or a buffer's shape), directly,
    through an alias of it, or through local names bound only to such sizes or to plain Python values."""
    if _depth > 3:
        return False
    leaves = [leaf for leaf in size_leaves(context, expr) if not is_rank(context, leaf)]
    if not leaves or _reads_unknown(context, expr):
        return False
    for leaf in leaves:
        owner = _owner(leaf)
        if owner is not None:
            if _module_state(context, owner):
                continue
            return False
        if type(leaf) is ast.Name:
            values = local_values(context, leaf.id)
            if values and all(
                context.kind(value) is Kind.PYTHON
                or (position is not None and _shape_of_state(context, value))  # `n, d = self.pos.shape`
                or static_by_construction(context, value, _depth + 1)
                for value, position in values
            ):
                continue
        return False
    return True
