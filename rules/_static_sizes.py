"""Sizes that are static by construction although the value model sees a tensor's size.

A parameter's or buffer's shape is fixed when the model is built: `self.pos_embed.shape[1]` is
known to the value model, but not through a local alias (`pos = self.position_embedding;
n = int(pos.shape[0])`, kornia's NaFlex) nor through a name bound to such a size. A submodule run on
module state alone (`pos = self.position_embedding(self.position_ids)`) is fixed the same way, and so is each dim
a table built from module state keeps when it is repeated or expanded over the batch (`times =
self.times.to(x).unsqueeze(0).repeat(b, 1)`: `times.shape[1]` is the buffer's length). The rules ask
`static_by_construction` before reporting a size as dynamic.
"""

from __future__ import annotations

import ast

from onnxlint.rules.api import FileContext, Kind, literal_int

from ._export_call import factory_sizes, tensor_factory
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


# Tensor methods that keep every dim as it is.
_SHAPE_KEEPING = frozenset(
    {
        "to",
        "float",
        "half",
        "double",
        "bfloat16",
        "int",
        "long",
        "bool",
        "type",
        "type_as",
        "contiguous",
        "clone",
        "detach",
        "cpu",
        "cuda",
    }
)


def _literal_index(leaf: ast.AST) -> int | None:
    """`i` of `t.shape[i]`, `t.size(i)`, `t.size()[i]` when it is an integer literal."""
    index: ast.AST | None = None
    if type(leaf) is ast.Subscript:
        index = leaf.slice
    elif type(leaf) is ast.Call and len(leaf.args) == 1:
        index = leaf.args[0]
    return literal_int(index, negative=True) if index is not None else None


def _chain_source(context: FileContext, expr: ast.AST) -> ast.AST:
    """What a local name holds when the function binds it once (`times = self.times.to(x).unsqueeze(0)`)."""
    if type(expr) is ast.Name:
        values = local_values(context, expr.id)
        if len(values) == 1 and values[0][1] is None:
            return values[0][0]
    return expr


def _every_dim_static(context: FileContext, expr: ast.AST, _depth: int = 0) -> bool:
    """Module state, or what shape-keeping methods and `unsqueeze` make of it (`self.times.to(x).unsqueeze(0)`)."""
    expr = _chain_source(context, expr)
    if _module_state(context, expr):
        return True
    if _depth > 8 or type(expr) is not ast.Call or type(expr.func) is not ast.Attribute:
        return False
    method = expr.func.attr
    if method in _SHAPE_KEEPING or (method == "unsqueeze" and len(expr.args) == 1):
        return _every_dim_static(context, expr.func.value, _depth + 1)
    return False


def _static_dim(context: FileContext, expr: ast.AST, index: int, _depth: int = 0) -> bool:
    """Whether dim `index` of `expr` is fixed when the model is built, though other dims may not be: a table built
    from module state and repeated or expanded over the batch keeps its other dims (kornia DeFMO's `times =
    self.times.to(x).unsqueeze(0).repeat(latent.shape[0], 1)`: dim 1 is the buffer's length)."""
    expr = _chain_source(context, expr)
    if _every_dim_static(context, expr):
        return True
    if _depth > 8 or type(expr) is not ast.Call or type(expr.func) is not ast.Attribute:
        return False
    made = _factory_sizes(context, expr)
    if made is not None:  # `images[0].new_full(batch_shape, 0)`, `torch.zeros(b, self.num_experts)`
        at = index if index >= 0 else (len(made) + index if None not in made else -1)
        made_size = made[at] if 0 <= at < len(made) else None
        return made_size is not None and _fixed_size(context, made_size)
    if expr.keywords:
        return False
    method, source = expr.func.attr, expr.func.value
    if method in _SHAPE_KEEPING:
        return _static_dim(context, source, index, _depth + 1)
    if method == "unsqueeze" and len(expr.args) == 1 and index >= 0:
        where = literal_int(expr.args[0])
        if where is None or where < 0:
            return False
        return index == where or _static_dim(context, source, index - 1 if index > where else index, _depth + 1)
    if method in ("repeat", "expand"):
        sizes = list(expr.args)
        if len(sizes) == 1 and type(sizes[0]) in (ast.Tuple, ast.List):
            sizes = list(sizes[0].elts)  # type: ignore[attr-defined]
        position = index if index >= 0 else len(sizes) + index
        if not 0 <= position < len(sizes) or not _every_dim_static(context, source):
            return False  # `repeat` / `expand` take at least as many sizes as the tensor has dims
        size = sizes[position]
        if method == "expand" and literal_int(size, negative=True) == -1:
            return True  # the source's own dim
        return literal_int(size) is not None or context.kind(size) is Kind.PYTHON
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
            index = _literal_index(leaf)
            if index is not None and _static_dim(context, owner, index):
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


# The methods that make a new tensor of given sizes (the sizes first, then the fill value).
_NEW_TENSOR_METHODS = frozenset({"new_zeros", "new_ones", "new_empty", "new_full"})


def _factory_sizes(context: FileContext, call: ast.Call) -> list[ast.expr | None] | None:
    """The sizes a factory call gives its tensor, in order (`torch.zeros(b, n)`, as `_export_call.factory_sizes`
    reads them; `x.new_full(shape, 0)` with `shape = [len(images)] + max_size`); None in place of the unknown rest of a
    list built by concatenation, and None for a call that is no factory or whose sizes the code does not show."""
    func = call.func
    if type(func) is ast.Attribute and func.attr in _NEW_TENSOR_METHODS:
        given: list[ast.expr] | None = call.args[:1]
    elif tensor_factory(context, call) is not None:
        given = factory_sizes(call)
    else:
        return None
    if given is not None and len(given) == 1:
        return _listed_sizes(context, given[0])
    return list(given) if given else None


def _listed_sizes(context: FileContext, expr: ast.expr, _depth: int = 0) -> list[ast.expr | None] | None:
    """The items of a list or tuple of sizes: a literal, a local bound once to one, or a concatenation whose left
    part is one (`[len(images)] + max_size`: the first size, then unknown ones); a single size stands for itself."""
    if type(expr) in (ast.List, ast.Tuple):
        return list(expr.elts)  # type: ignore[attr-defined]
    if type(expr) is ast.BinOp and type(expr.op) is ast.Add and _depth < 3:
        left = _listed_sizes(context, expr.left, _depth + 1)
        if left is None or left[-1:] == [None]:
            return left
        return [*left, None]
    if type(expr) is ast.Name and _depth < 3:
        values = local_values(context, expr.id)
        if len(values) == 1 and values[0][1] is None:
            return _listed_sizes(context, values[0][0], _depth + 1)
        return None
    return None if context.kind(expr) in (Kind.SHAPE, Kind.PYTHON, Kind.UNKNOWN) else [expr]


def _fixed_size(context: FileContext, size: ast.expr) -> bool:
    """A size fixed when the model is built: a literal, the length of a list of tensors (flattened into as many
    inputs, so its length is fixed at export), module state's size, or a number the module holds
    (`self.num_experts`)."""
    if literal_int(size) is not None:
        return True
    if (
        type(size) is ast.Call
        and context.call_name(size) == "builtins.len"
        and len(size.args) == 1
        and context.kind(size.args[0]) is Kind.TENSOR_SEQUENCE
    ):
        return True
    if context.kind(size) is Kind.DIM:
        return static_by_construction(context, size)
    return context.kind(size) is Kind.PYTHON and is_module_state(size)  # `self.num_experts`, `self.config.n`
