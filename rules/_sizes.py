"""Helpers shared by the size rules (ONX203, ONX204, ONX206, ONX301, ONX302): what a size is,
which size is the batch, whether a size expression is an integer, and the assignments that
give a local name its value.

Everything here reads the `ast` and the semantic model's kinds; nothing imports torch.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import cast

from onnxlint.rules.api import (
    FileContext,
    Kind,
    Role,
    annotation_kind,
    bindings_in,
    has_unpacking,
    literal_int,
    parameter_defaults,
    scope_nodes,
)

_SIZE_METHODS = ("size", "numel", "nelement")
_INT_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)


def is_rank(context: FileContext, expr: ast.AST, _depth: int = 0) -> bool:
    """`len(x.shape)`, `len(x.size())` (the number of dims, static under export), arithmetic on it
    with Python values, or a local name assigned only such values."""
    expr_type = type(expr)
    if expr_type is ast.Call and context.call_name(expr) == "builtins.len" and len(expr.args) == 1:  # type: ignore[attr-defined]
        return context.kind(expr.args[0]) is Kind.SHAPE  # type: ignore[attr-defined]
    if _depth > 4:
        return False
    if expr_type is ast.BinOp:
        sides = (expr.left, expr.right)  # type: ignore[attr-defined]
        return any(is_rank(context, side, _depth + 1) for side in sides) and all(
            is_rank(context, side, _depth + 1) or context.kind(side) is Kind.PYTHON for side in sides
        )
    if expr_type is ast.Name:
        values = local_values(context, expr.id)  # type: ignore[attr-defined]
        return bool(values) and all(position is None and is_rank(context, v, _depth + 1) for v, position in values)
    return False


def is_size(context: FileContext, expr: ast.AST) -> bool:
    """An expression whose value comes from a tensor's size (kind DIM), other than its rank."""
    if context.kind(expr) is not Kind.DIM:
        return False
    leaves = list(size_leaves(context, expr))
    return bool(leaves) and not all(is_rank(context, leaf) for leaf in leaves)


def size_leaves(context: FileContext, expr: ast.AST) -> Iterator[ast.AST]:
    """The sub-expressions of kind DIM that no larger DIM sub-expression explains (names, x.shape[i], ...)."""
    if context.kind(expr) is not Kind.DIM:
        return
    expr_type = type(expr)
    if expr_type is ast.BinOp:
        yield from size_leaves(context, expr.left)  # type: ignore[attr-defined]
        yield from size_leaves(context, expr.right)  # type: ignore[attr-defined]
        return
    if expr_type is ast.UnaryOp:
        yield from size_leaves(context, expr.operand)  # type: ignore[attr-defined]
        return
    if expr_type is ast.Compare:
        for part in (expr.left, *expr.comparators):  # type: ignore[attr-defined]
            yield from size_leaves(context, part)
        return
    if expr_type is ast.BoolOp:
        for part in expr.values:  # type: ignore[attr-defined]
            yield from size_leaves(context, part)
        return
    if expr_type is ast.Call:
        called = context.call_name(expr) or ""
        if called in ("builtins.int", "builtins.min", "builtins.max", "builtins.abs") or called.startswith(
            ("math.", "numpy.")
        ):
            # `int(...)`, `min(h, w)`, `math.sqrt(k.shape[-1])`: the sizes they read
            for part in expr.args:  # type: ignore[attr-defined]
                yield from size_leaves(context, part)
            return
    yield expr


def local_values(context: FileContext, name: str) -> list[tuple[ast.expr, int | None]]:
    """The values assigned to a local `name` in the current function: (value, position), where
    position is the index of the name in an unpacking target (`b, c, h, w = x.shape`), else None.
    An empty list when any binding is something else (a loop variable, an augmented assignment...)."""
    function = context.function
    if function is None:
        return []
    return context.cached(_local_values, function.node).get(name, [])


# Bindings that make a name's values unknown; the others that give no value (imports, `with ... as`,
# definitions, names inside a subscript or attribute target) are not read.
_UNKNOWN_VALUE = frozenset({Role.STARRED, Role.AUGMENTED, Role.AUGMENTED_INSIDE, Role.LOOP})


def _local_values(context: FileContext, function: ast.AST) -> dict[str, list[tuple[ast.expr, int | None]]]:
    """`local_values` of every name of `function` at once."""
    table: dict[str, list[tuple[ast.expr, int | None]]] = {}
    for name, bindings in bindings_in(_function_nodes(function)).items():
        values: list[tuple[ast.expr, int | None]] = []
        for binding in bindings:
            role = binding.role
            if role is Role.WHOLE:
                if binding.value is not None:  # `name: T` without a value
                    values.append((binding.value, None))
            elif role is Role.UNPACKED:
                values.append((binding.value, binding.position))  # type: ignore[arg-type]
            elif role in _UNKNOWN_VALUE:
                values = []
                break
        table[name] = values
    return table


def _value_sources(context: FileContext, key: tuple[ast.AST, str]) -> list[ast.expr] | None:
    """What each binding of a local name gives it, when every binding is `name = value` or the element
    of a loop (`for name in xs`, `for i, name in enumerate(xs)`, `for a, name in zip(ys, xs)`: `xs`);
    None when some binding is something else (unpacking, augmented, ...)."""
    function, name = key
    sources: list[ast.expr] = []
    for binding in bindings_in(_function_nodes(function)).get(name, []):
        if binding.role is Role.WHOLE:
            if binding.value is None:
                return None
            sources.append(binding.value)
        elif binding.role is Role.LOOP:
            source = _loop_source(binding.node.target, binding.node.iter, name, context)  # type: ignore[attr-defined]
            if source is None:
                return None
            sources.append(source)
        else:
            return None
    return sources


def _loop_source(target: ast.AST, iterable: ast.expr, name: str, context: FileContext) -> ast.expr | None:
    """The iterable whose elements `name` takes in a loop target, through `enumerate` and `zip`."""
    if type(target) is ast.Name:
        return iterable if target.id == name else None
    if type(target) not in (ast.Tuple, ast.List) or type(iterable) is not ast.Call or iterable.keywords:
        return None
    elements = target.elts  # type: ignore[attr-defined]
    called = context.call_name(iterable)
    if called == "builtins.enumerate" and len(elements) == 2 and len(iterable.args) == 1:
        return _loop_source(elements[1], iterable.args[0], name, context)
    if called == "builtins.zip" and len(elements) == len(iterable.args):
        for element, argument in zip(elements, iterable.args):
            if _binds(element, name):
                return _loop_source(element, argument, name, context)
    return None


def _binds(target: ast.AST, name: str) -> bool:
    return any(type(n) is ast.Name and n.id == name for n in ast.walk(target))


def _function_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function body as the size helpers read it: `scope_nodes` of the body, with the
    functions and classes defined directly in it."""
    return scope_nodes(function, signature=False, into_body_definitions=True)


def shape_index(context: FileContext, expr: ast.AST, _depth: int = 0) -> int | None:
    """Which dim a size expression reads: `x.shape[i]`, `x.size(i)`, `x.size()[i]`, `len(x)` (0), or a
    local name assigned one of those (also by unpacking `x.shape`). None when unknown."""
    expr_type = type(expr)
    if expr_type is ast.Subscript and context.kind(expr.value) is Kind.SHAPE:  # type: ignore[attr-defined]
        return literal_int(expr.slice, negative=True)  # type: ignore[attr-defined]
    if expr_type is ast.Call:
        func = expr.func  # type: ignore[attr-defined]
        if (
            type(func) is ast.Attribute
            and func.attr == "size"
            and len(expr.args) == 1  # type: ignore[attr-defined]
            and context.kind(func.value) in (Kind.TENSOR, Kind.OPTIONAL_TENSOR)
        ):
            return literal_int(expr.args[0], negative=True)  # type: ignore[attr-defined]
        if context.call_name(expr) == "builtins.len" and len(expr.args) == 1:  # type: ignore[attr-defined]
            return 0 if context.kind(expr.args[0]) in (Kind.TENSOR, Kind.OPTIONAL_TENSOR) else None  # type: ignore[attr-defined]
        return None
    if expr_type is ast.Name and _depth < 4:
        values = local_values(context, expr.id)  # type: ignore[attr-defined]
        indices = set()
        for value, position in values:
            if position is None:
                indices.add(shape_index(context, value, _depth + 1))
            elif context.kind(value) is Kind.SHAPE and type(value) is not ast.Tuple:
                start = _shape_slice_start(context, value)
                indices.add(None if start is None else start + position)
            else:
                indices.add(None)
        if len(indices) == 1:
            return indices.pop()
    return None


def _shape_slice_start(context: FileContext, value: ast.AST, _depth: int = 0) -> int | None:
    """Where an unpacked shape starts: 0 for `x.shape` / `x.size()`, 2 for `x.shape[2:]` (also through a
    local name: `x_shape = x.size()`)."""
    if type(value) is ast.Name and _depth < 2:
        values = local_values(context, value.id)
        if len(values) == 1 and values[0][1] is None:
            return _shape_slice_start(context, values[0][0], _depth + 1)
        return None
    if type(value) is ast.Subscript and type(value.slice) is ast.Slice:
        lower = value.slice.lower
        if value.slice.step is not None or value.slice.upper is not None:
            return None
        start = 0 if lower is None else literal_int(lower, negative=True)
        return start if start is not None and start >= 0 else None
    if type(value) is ast.Attribute and value.attr == "shape":
        return 0
    if type(value) is ast.Call and type(value.func) is ast.Attribute and value.func.attr == "size":
        return 0
    return None


def shape_rank(context: FileContext, expr: ast.AST) -> int | None:
    """The rank of the tensor a size comes from, when a local name unpacks its whole shape
    (`b, n, c = x.shape`: 3). None when unknown."""
    if type(expr) is not ast.Name:
        return None
    function = context.function
    if function is None:
        return None
    ranks = set()
    for node in _function_nodes(function.node):
        if type(node) is not ast.Assign:
            continue
        for target in node.targets:
            if type(target) in (ast.Tuple, ast.List) and any(
                type(e) is ast.Name and e.id == expr.id
                for e in target.elts  # type: ignore[attr-defined]
            ):
                value = node.value
                if context.kind(value) is Kind.SHAPE and _shape_slice_start(context, value) == 0:
                    if any(type(e) is ast.Starred for e in target.elts):  # type: ignore[attr-defined]
                        return None
                    ranks.add(len(target.elts))  # type: ignore[attr-defined]
    return ranks.pop() if len(ranks) == 1 else None


def likely_static(context: FileContext, leaf: ast.AST, _depth: int = 0) -> bool:
    """Whether a size most likely reads a dim that is static in deployment: the channels of an
    image tensor (dim 1 of 4 or more), the features of a sequence or a matrix (the last dim of 2
    or 3), or `x.shape[-1]` / `x.size(-1)` of a tensor of unknown rank (the feature dim of most
    non-convolutional code). A heuristic for precision: such sizes are frozen just the same, but
    harmlessly when the dim is static."""
    if type(leaf) is ast.Name and _counts_dims(context, leaf):
        return True
    if _of_self_or_module_state(context, leaf):
        return True
    owner = size_owner(leaf)
    if owner is not None and type(owner) is ast.Name and _WEIGHT_NAME.match(owner.id):
        return True  # `ky, kx = kernel.shape[-2:]`: a kernel's or a weight's size is the model's, not the input's
    if type(leaf) is ast.Name and _iterates_shape(context, leaf):
        return False  # every dim in turn, the batch among them
    if type(leaf) is ast.Name and _STATIC_NAME.match(leaf.id):
        # `b, c, d, h, w = x.shape`: the `d` of a 5-D unpack is the depth of a volume, a spatial dim.
        return not (leaf.id in ("d", "D") and shape_rank(context, leaf) == 5 and shape_index(context, leaf) == 2)
    if type(leaf) is ast.Name and _read_from_a_weight(context, leaf):
        return True
    if _set_by_a_view(context, leaf):
        return True
    index = shape_index(context, leaf)
    if index is None:
        return type(leaf) is ast.Name and _computed_from_static(context, leaf, _depth)
    rank = shape_rank(context, leaf)
    if rank is None:
        return index == -1
    position = index if index >= 0 else rank + index
    if rank >= 4:
        # Dim 1 is the channels of NCHW, unless the name says it is a spatial size (NHWC code:
        # `_, pad_H, pad_W, _ = x.shape`, `B, H, W, C = x.shape`).
        return position == 1 and not (type(leaf) is ast.Name and _SPATIAL_NAME.match(leaf.id))
    return rank >= 2 and position == rank - 1


def _set_by_a_view(context: FileContext, leaf: ast.AST) -> bool:
    """`x.size(1)` after `x = x.view(n, self.num_groups, c // self.num_groups, h, w)` (MONAI's MAISI group norm): a
    dim a `view` or `reshape` sets to a constant or to the module's own attribute, whatever the input."""
    owner = size_owner(leaf)
    if type(owner) is not ast.Name or not any(
        type(value) is ast.Call and type(value.func) is ast.Attribute and value.func.attr in ("view", "reshape")
        for value, _ in local_values(context, owner.id)
    ):
        return False
    index = shape_index(context, leaf)
    if index is None:
        return False
    view = binding_reaching(context, owner.id, leaf)
    if (
        type(view) is not ast.Call
        or type(view.func) is not ast.Attribute
        or view.func.attr not in ("view", "reshape")
        or view.keywords
        or len(view.args) < 2
        or any(type(argument) is ast.Starred for argument in view.args)
        or not -len(view.args) <= index < len(view.args)
    ):
        return False
    size = view.args[index]
    if type(size) is ast.Constant:
        return type(size.value) is int and size.value >= 0
    while type(size) is ast.Attribute:
        size = size.value
    return type(size) is ast.Name and size.id == "self"


def binding_reaching(context: FileContext, name: str, use: ast.AST) -> ast.expr | None:
    """The value of the last assignment to the local `name` before `use` (`x = x.view(...)` above a loop over `x`),
    when that assignment sits in a block around `use`, so that it is the one the use reads; else None."""
    line = getattr(use, "lineno", None)
    values = local_values(context, name)
    if line is None or not values:
        return None
    before = [
        (value, statement)
        for value, position in values
        if position is None
        and (statement := context.parent(value)) is not None
        and getattr(statement, "lineno", line) < line
    ]
    if not before:
        return None
    value, statement = max(before, key=lambda pair: pair[1].lineno)  # type: ignore[attr-defined]
    block = context.parent(statement)
    node: ast.AST | None = context.parent(use)
    while node is not None and node is not block:
        node = context.parent(node)
    return value if node is block else None


def _read_from_a_weight(context: FileContext, name: ast.Name) -> bool:
    """`ky, kx = kernel.shape[-2], kernel.shape[-1]`, `out_c, in_c, kh, kw = weight.shape`: a local bound, in every
    binding, to a size of a tensor named for a weight (`_WEIGHT_NAME`)."""
    values = local_values(context, name.id)
    if not values:
        return False
    for value, position in values:
        owner: ast.AST | None
        if position is not None and type(value) is ast.Tuple and position < len(value.elts):
            value, position = value.elts[position], None  # `ky, kx = kernel.shape[-2], kernel.shape[-1]`
        if position is not None:  # unpacked: `kh, kw = kernel.shape[-2:]`
            while type(value) is ast.Subscript:
                value = value.value
            owner = value.value if type(value) is ast.Attribute and value.attr == "shape" else None
        else:
            owner = size_owner(value)
        if not (owner is not None and type(owner) is ast.Name and _WEIGHT_NAME.match(owner.id)):
            return False
    return True


def _computed_from_static(context: FileContext, name: ast.Name, depth: int) -> bool:
    """A local computed, in every binding, from sizes that are all likely static (`num_rope_elems = num_pos_dims *
    2` with `num_pos_dims` named for a count of dims): arithmetic on static sizes stays static."""
    if depth > 2:
        return False
    values = local_values(context, name.id)
    if not values or any(position is not None for _, position in values):
        return False
    for value, _ in values:
        leaves = [leaf for leaf in size_leaves(context, value) if not is_rank(context, leaf)]
        if not leaves or not all(
            leaf is not name and _static_by_name_or_state(context, leaf, depth) for leaf in leaves
        ):
            return False
    return True


def _static_by_name_or_state(context: FileContext, leaf: ast.AST, depth: int) -> bool:
    """`likely_static`'s evidence from names and module state, not its guess from a dim's position (`x.shape[-1]`
    of a tensor of unknown rank): through arithmetic that guess would spread to the sizes computed from it."""
    if type(leaf) is ast.Name:
        if _counts_dims(context, leaf) or _computed_from_static(context, leaf, depth + 1):
            return True
        # Not `num_features` unpacked from a shape: audio code's name for its frame count (Granite Speech).
        ambiguous = leaf.id == "num_features" and shape_index(context, leaf) is not None
        return _STATIC_NAME.match(leaf.id) is not None and not ambiguous and not _iterates_shape(context, leaf)
    return _of_self_or_module_state(context, leaf)


def _of_self_or_module_state(context: FileContext, leaf: ast.AST) -> bool:
    """A size of a parameter or buffer (`self.pos_embed.shape[1]`), fixed when the model is built, of one passed
    to a helper (`self.get_absolute_positions(self.position_embeddings, ...)`), or of a local computed from them
    alone (`other = self.position_embeddings[0, 1:].transpose(1, 2)`)."""
    owner = size_owner(leaf)
    if (
        owner is not None
        and type(owner) is ast.Attribute
        and type(owner.value) is ast.Name
        and owner.value.id == "self"
    ):
        return True
    if type(owner) is ast.Name and computed_from_module_state(context, owner.id, leaf):
        return True
    return _of_module_state(context, leaf)


def computed_from_module_state(context: FileContext, name: str, use: ast.AST | None = None, _depth: int = 0) -> bool:
    """A local computed from the module's own attributes alone (`position_embeddings = self.position_embeddings`,
    then `other = position_embeddings[0, 1:, :].unsqueeze(0).transpose(1, 2)`): no input and no value cached by an
    earlier call enters it, so its shape is fixed when the model is built. Where `use` is given, the assignment that
    reaches it (`binding_reaching`) decides when there is one, else every binding. Names bound outside the function
    (modules such as `torch`, constants) are not inputs, nor is a name read only for its dtype or device."""
    function = context.function
    if function is None or _depth > 3:
        return False
    local = context.cached(_local_values, function.node)
    reaching = binding_reaching(context, name, use) if use is not None else None
    values = [(reaching, None)] if reaching is not None else local.get(name, [])
    if not values or any(position is not None for _, position in values):
        return False
    for value, _ in values:
        reads_self = False
        # `self.table.to(hidden_states.dtype)`: an input's dtype or device does not enter the shape.
        kind_only = {
            id(node.value)
            for node in ast.walk(value)
            if type(node) is ast.Attribute and node.attr in ("dtype", "device") and type(node.value) is ast.Name
        }
        for node in ast.walk(value):
            if id(node) in kind_only:
                continue
            if type(node) is ast.Attribute and is_name(node.value, "self"):
                if context.cached_from_an_earlier_call(node):
                    return False
                reads_self = True
            elif type(node) is ast.Name and node.id != "self":
                if node.id == name or _is_parameter(context, node.id):
                    return False
                if node.id in local:  # bound in the function: computed from module state too
                    if not computed_from_module_state(context, node.id, node, _depth + 1):
                        return False
                    reads_self = True
        if not reads_self:
            return False
    return True


# Names of tensors that are a model's weights rather than its inputs: a filter kernel passed to a functional op
# (kornia's `_blur_pool_conv2d(input, kernel, stride)`), a weight.
_WEIGHT_NAME = re.compile(r"^(?:\w+_)?(?:kernel|weight|filter)s?$")


# Names of sizes that vary with the input: spatial (`H`, `w`, `height`, `pad_H`, `Hp`, `grid_h`, `new_width`)
# and sequence lengths (`seq_len`, `sequence_length`, `q_len`, `num_tokens`): in `b, s, h, d = key.shape` or
# `_, pad_H, pad_W, _ = x.shape`, dim 1 so named is not the channels of NCHW.
_SPATIAL_NAME = re.compile(
    r"^(?:[A-Za-z0-9]+_)?(?:[hHwW]|[hHwW]p|height|width|Height|Width)$"
    r"|^(?:seq|sequence|q|kv|k|tgt|src|query|key|target|source)_?len(?:gth)?$|^seqlen$|^num_tokens$"
)


# Names that people give to sizes of dims that are static in deployment (channels, features,
# head dims): `c`, `C`, `ch`, `channels`, `dim`, `head_dim`, `c_per_head`, `embed_dim`, `d_model`.
_STATIC_NAME = re.compile(
    r"^(c|ch|chs|chan|chans|d|dk|d_k|dv|d_v|d_model|hidden|hidden_size|embed|feat|feats|features|dim|dims"
    r"|c_.*|.*_c|.*chan.*|.*channels?|.*_per_head|.*features|embed.*|(num_)?(\w+_)?heads?|num_(\w+_)?heads"
    r"|(num_)?experts?|(num_)?codebooks?|(num_|n_)?bins|(num_|n_)?colou?rs|(num_)?groups|(num_)?coordinates|.*head_dim|kernel_?size|ksize|(num|n)_(\w+_)?dims"
    r"|(head|embed|hidden|in|out|model|feat|feature|q|k|v|c|key|value|query|attn|mlp|inner|token)_?dims?"
    r"|dims?_?(head|per_head))$",
    re.IGNORECASE,
)


def size_owner(leaf: ast.AST) -> ast.AST | None:
    """The tensor expression `t` of `t.shape[i]`, `t.size(i)`, `t.size()[i]`, `t.numel()`."""
    if type(leaf) is ast.Subscript:
        leaf = leaf.value
        if type(leaf) is ast.Attribute and leaf.attr == "shape":
            return leaf.value
    if type(leaf) is ast.Call and type(leaf.func) is ast.Attribute and leaf.func.attr in _SIZE_METHODS:
        return leaf.func.value
    return None


def _counts_dims(context: FileContext, name: ast.Name) -> bool:
    """Whether `name` is only ever the variable of loops over `range(<rank>)` (a dim index)."""
    function = context.function
    if function is None:
        return False
    found = False
    for node in _function_nodes(function.node):
        if type(node) in (ast.For, ast.AsyncFor, ast.comprehension) and _binds(node.target, name.id):  # type: ignore[attr-defined]
            iterable = node.iter  # type: ignore[attr-defined]
            if not (
                type(iterable) is ast.Call
                and context.call_name(iterable) == "builtins.range"
                and all(is_rank(context, a) or context.kind(a) is Kind.PYTHON for a in iterable.args)
            ):
                return False
            found = True
        elif type(node) in (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr) and any(
            _binds(t, name.id) for t in (getattr(node, "targets", None) or [getattr(node, "target", None)]) if t
        ):
            return False
    return found


def is_dynamic_size(context: FileContext, expr: ast.AST) -> bool:
    """A size (see `is_size`) that reads at least one dim that may be dynamic (see `likely_static`)."""
    return is_size(context, expr) and next(dynamic_size_leaves(context, expr), None) is not None


def dynamic_size_leaves(context: FileContext, expr: ast.AST) -> Iterator[ast.AST]:
    """The leaves of a size expression (see `size_leaves`) that may read a dynamic dim: not a rank, not a size that
    `likely_static` takes for a static one, not channels tested as RGB, not `len()` of a list."""
    return (
        leaf
        for leaf in size_leaves(context, expr)
        if not is_rank(context, leaf)
        and not likely_static(context, leaf)
        and not _rgb_test(context, leaf)
        and not _len_of_non_tensor(context, leaf)
    )


# How many assignments `size_origin` follows back before it stops.
_ORIGIN_STEPS = 5


def size_origin(context: FileContext, expr: ast.AST) -> str | None:
    """What a finding on a size proved, for its message: the first leaf of `expr` that may be dynamic, followed back
    through the local assignments that give it its value to the shape it reads (`"`pad_b` is derived from
    `x.shape[1]` (through `H`; lines 399, 390)"`) or to the size a caller passes. None when `expr` reads the shape
    itself (`x.shape[2] > 8`: the condition says it) or the chain cannot be followed."""
    first = next(dynamic_size_leaves(context, expr), None)
    if type(first) is not ast.Name:
        return None
    name = first
    through: list[str] = []
    lines: list[int] = []
    root: str | None = None
    exact = True  # every step assigns the size itself, not a value computed from it
    while True:
        found, line, following = _origin_step(context, name)
        if found is None:
            break
        if line is None:  # a parameter that callers pass a size
            root = found if name is first else f"`{name.id}`, {found}"
            break
        if name is not first:
            through.append(name.id)
        lines.append(line)
        exact = exact and not found.startswith(_DERIVED)
        root = found.removeprefix(_DERIVED)
        if following is None or len(lines) >= _ORIGIN_STEPS or following.id in (first.id, *through):
            break
        name = following
    if root is None:
        return None
    verb = "is" if exact and len(lines) <= 1 else f"is {_DERIVED.strip()}"
    where = [f"through {', '.join(f'`{n}`' for n in through)}"] if through else []
    if lines:
        where.append(f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}")
    return f"`{first.id}` {verb} {root}" + (f" ({'; '.join(where)})" if where else "")


_DERIVED = "derived from "


_TENSOR_KINDS = (Kind.TENSOR, Kind.OPTIONAL_TENSOR, Kind.DATA)


def tensor_origin(context: FileContext, expr: ast.AST) -> str | None:
    """What a finding on a tensor value proved, for its message: the first name in `expr` the value model takes for a
    tensor (or a value read out of one), and why: the assignment that gives it its value ("`keep` is a tensor:
    `scores > threshold` (line 40)"), its annotation, the tensor a caller passes, or, for an unannotated parameter,
    that it is only taken for one (what makes such a finding `medium`)."""
    name = next(
        (
            node
            for node in ast.walk(expr)
            if type(node) is ast.Name and node.id != "self" and context.kind(node) in _TENSOR_KINDS
        ),
        None,
    )
    if name is None:
        return None
    what = "a value read out of a tensor" if context.kind(name) is Kind.DATA else "a tensor"
    reaching = binding_reaching(context, name.id, name)
    values = [(reaching, None)] if reaching is not None else _values_before(context, name)
    if len(values) == 1 and values[0][0] is not None:
        value = values[0][0]
        statement = context.parent(value)
        line = getattr(statement, "lineno", None) or value.lineno
        return f"`{name.id}` is {what}: `{_short(context.source.segment(value))}` (line {line})"
    function = context.function
    if values or function is None or not _is_parameter(context, name.id):
        return None
    arguments = function.node.args
    for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
        if argument.arg == name.id and argument.annotation is not None:
            return f"`{name.id}` is annotated `{_short(context.source.segment(argument.annotation))}`"
    model = context.model
    for caller, parameter, passed in model.call_site_arguments(function):
        if parameter == name.id and model.scope_for(caller).kind(passed) in _TENSOR_KINDS:
            return f"`{name.id}` is {what} `{caller.name}` passes (`{_short(context.source.segment(passed))}`, line {passed.lineno})"
    return f"`{name.id}` is taken for a tensor: an unannotated parameter of `{function.name}`"


def _values_before(context: FileContext, name: ast.Name) -> list[tuple[ast.expr, int | None]]:
    """`local_values` of `name` assigned on lines above its use (`x = x.tolist()` is not where the `x` it reads
    comes from)."""
    return [
        (value, position)
        for value, position in local_values(context, name.id)
        if getattr(context.parent(value), "lineno", name.lineno) < name.lineno
    ]


def with_tensor_origin(context: FileContext, message: str, value: ast.AST) -> str:
    """`message` with what `tensor_origin` proved about `value`, before any "low confidence" reason."""
    return _with_origin(message, tensor_origin(context, value))


def _with_origin(message: str, origin: str | None) -> str:
    if origin is None:
        return message
    head, low, reason = message.partition("; low confidence:")
    return f"{head}; {origin}{low}{reason}"


def with_size_origin(context: FileContext, message: str, size: ast.AST | None) -> str:
    """`message` with what `size_origin` proved about `size`, before any "low confidence" reason."""
    return _with_origin(message, size_origin(context, size) if size is not None else None)


def _origin_step(context: FileContext, name: ast.Name) -> tuple[str | None, int | None, ast.Name | None]:
    """One step of `size_origin`: what `name`'s value reads (a shape, or the caller's size), the line of the
    assignment, and the next name to follow (None at a shape read)."""
    reaching = binding_reaching(context, name.id, name)
    values = [(reaching, None)] if reaching is not None else _values_before(context, name)
    if not values and _is_parameter(context, name.id):
        return _passed_by_caller(context, name.id), None, None
    if len(values) != 1 or values[0][0] is None:
        return None, None, None
    value, position = values[0]
    assert value is not None
    statement = context.parent(value)
    line = getattr(statement, "lineno", None) or value.lineno
    if position is not None:
        if type(value) in (ast.Tuple, ast.List) and position < len(value.elts):  # type: ignore[attr-defined]
            value = value.elts[position]  # type: ignore[attr-defined]  # `h, w = x.shape[2], x.shape[3]`
        else:
            index = shape_index(context, name)
            owner = size_owner(value) or (
                value.value if type(value) is ast.Attribute and value.attr == "shape" else None
            )
            if owner is not None and index is not None:
                return f"`{_short(context.source.segment(owner))}.shape[{index}]`", line, None
            return f"one of `{_short(context.source.segment(value))}`", line, None
    # The leaves that may be dynamic; else any size read (a name judged dynamic as a whole, `must_pad = n % k != 0`,
    # can read sizes that `likely_static` alone would take for features).
    inner = _dynamic_parts(context, value) or _dynamic_parts(context, value, every_size=True)
    if not inner:
        return None, None, None
    leaf = inner[0]
    if type(leaf) is ast.Name and leaf.id == name.id:
        return None, None, None  # `flag = flag and i > 0`: a rebinding from itself, not an origin
    derived = "" if leaf is value else _DERIVED
    if type(leaf) is ast.Name and size_owner(value) is None:
        return f"{derived}`{_short(context.source.segment(leaf))}`", line, leaf
    return f"{derived}`{_short(context.source.segment(leaf))}`", line, None


def _dynamic_parts(context: FileContext, expr: ast.AST, every_size: bool = False) -> list[ast.AST]:
    """`dynamic_size_leaves` of `expr`, or of its parts when it mixes sizes with other values (`n % k != 0 and
    cache is None`); with `every_size`, every size leaf but ranks."""
    if every_size:
        leaves = [leaf for leaf in size_leaves(context, expr) if not is_rank(context, leaf)]
    else:
        leaves = list(dynamic_size_leaves(context, expr))
    if leaves or type(expr) not in (ast.BoolOp, ast.Compare, ast.UnaryOp):
        return leaves
    parts: list[ast.expr]
    if type(expr) is ast.BoolOp:
        parts = expr.values
    elif type(expr) is ast.UnaryOp:
        parts = [expr.operand]
    else:
        parts = [expr.left, *expr.comparators]  # type: ignore[attr-defined]
    return [leaf for part in parts for leaf in _dynamic_parts(context, part, every_size)]


def _passed_by_caller(context: FileContext, name: str) -> str | None:
    """ "a size `forward` passes (`x.shape[2]`, line 30)": the first call site that passes parameter `name` of the
    current function a size, as the value model's call-site kinds see it."""
    function = context.function
    if function is None:
        return None
    model = context.model
    for caller, parameter, argument in model.call_site_arguments(function):
        if parameter == name and model.scope_for(caller).kind(argument) is Kind.DIM:
            return (
                f"a size `{caller.name}` passes (`{_short(context.source.segment(argument))}`, line {argument.lineno})"
            )
    return None


def _short(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _len_of_non_tensor(context: FileContext, leaf: ast.AST) -> bool:
    """`len(x)` where an `isinstance` test says `x` is a list or tuple."""
    if type(leaf) is not ast.Call or context.call_name(leaf) != "builtins.len" or len(leaf.args) != 1:
        return False
    argument = leaf.args[0]
    return type(argument) is ast.Name and narrowed_to_non_tensor(context, argument)


def _rgb_test(context: FileContext, leaf: ast.AST) -> bool:
    """`x.shape[1] == 3` (three channels: an RGB image) or `x.shape[1] < in_channels - 1` (compared with a
    channel count): dim 1 tested as the channels, a static dim."""
    parent = context.parent(leaf)
    if type(parent) is not ast.Compare or len(parent.ops) != 1:
        return False
    other = parent.comparators[0] if parent.left is leaf else parent.left
    if type(other) is ast.Constant:
        if other.value != 3 or type(parent.ops[0]) not in (ast.Eq, ast.NotEq):
            return False
    elif not any(
        _CHANNEL_NAME.search(n.id if type(n) is ast.Name else n.attr)  # type: ignore[attr-defined]
        for n in ast.walk(other)
        if type(n) in (ast.Name, ast.Attribute)
    ):
        return False
    return shape_index(context, leaf) == 1


_CHANNEL_NAME = re.compile(r"channel", re.IGNORECASE)


def is_batch_size(context: FileContext, expr: ast.AST) -> bool:
    """Whether a size expression reads dim 0 (the batch, in most models) somewhere."""
    return any(shape_index(context, leaf) == 0 for leaf in size_leaves(context, expr))


# Sign-preserving operators: non-negative operands give a non-negative result.
_NON_NEGATIVE_OPERATORS = (ast.Add, ast.Mult, ast.FloorDiv, ast.Div)


def is_non_negative_size(context: FileContext, expr: ast.AST, _depth: int = 0) -> bool:
    """Whether an expression is proven >= 0: read from a tensor's shape (`x.shape[i]`, `x.size(i)`,
    `x.numel()`, `len(x)`, a name unpacked from a shape), a non-negative literal, or sums, products and
    quotients of those. Not a parameter the value model takes for a size from its call sites: a
    caller could pass a difference. `math.log(...)`, differences and unknown calls are not:
    a fix that rests on the sign (`math.sqrt(v)` → `v ** 0.5`, which is complex, not an error, for
    v < 0) is safe only on what this proves."""
    if _depth > 8:
        return False
    expr_type = type(expr)
    if expr_type is ast.Constant:
        value = expr.value  # type: ignore[attr-defined]
        return type(value) in (int, float) and value >= 0
    if expr_type is ast.BinOp:
        operator = type(expr.op)  # type: ignore[attr-defined]
        left, right = expr.left, expr.right  # type: ignore[attr-defined]
        if operator is ast.Mod:  # Python's % takes the divisor's sign
            return type(right) is ast.Constant and type(right.value) is int and right.value > 0
        if operator is ast.Pow:
            return is_non_negative_size(context, left, _depth + 1) and type(right) is ast.Constant
        return operator in _NON_NEGATIVE_OPERATORS and all(
            is_non_negative_size(context, side, _depth + 1) for side in (left, right)
        )
    if expr_type is ast.Subscript:
        return context.kind(expr.value) is Kind.SHAPE and type(expr.slice) is not ast.Slice  # type: ignore[attr-defined]
    if expr_type is ast.Call:
        call = cast(ast.Call, expr)
        if type(call.func) is ast.Attribute and call.func.attr in _SIZE_METHODS:
            return context.kind(call.func.value) in (Kind.TENSOR, Kind.OPTIONAL_TENSOR)
        name = context.call_name(call)
        if name in ("builtins.len", "builtins.abs"):
            return True
        if name in ("builtins.min", "builtins.max", "builtins.int", "math.floor", "math.ceil"):
            return bool(call.args) and all(is_non_negative_size(context, a, _depth + 1) for a in call.args)
        return False
    if expr_type is ast.Name:
        values = local_values(context, expr.id)  # type: ignore[attr-defined]
        if values:
            return all(
                is_non_negative_size(context, value, _depth + 1)
                if position is None
                else context.kind(value) is Kind.SHAPE and type(value) not in (ast.Tuple, ast.List)
                for value, position in values
            )
        return False
    return False


def is_int_size(context: FileContext, expr: ast.AST, _depth: int = 0) -> bool:
    """Whether a size expression is certainly a Python int in eager mode (no `/`, no floats)."""
    expr_type = type(expr)
    if expr_type is ast.Constant:
        return type(expr.value) is int  # type: ignore[attr-defined]
    if context.kind(expr) not in (Kind.DIM, Kind.PYTHON):
        return False
    if expr_type is ast.Subscript:
        return context.kind(expr.value) is Kind.SHAPE and type(expr.slice) is not ast.Slice  # type: ignore[attr-defined]
    if expr_type is ast.Call:
        call = cast(ast.Call, expr)
        func = call.func
        if type(func) is ast.Attribute and func.attr in _SIZE_METHODS:
            return context.kind(func.value) in (Kind.TENSOR, Kind.OPTIONAL_TENSOR) and bool(
                call.args or func.attr != "size"
            )
        name = context.call_name(call)
        if name in ("builtins.len", "builtins.int"):
            return True
        if name in ("builtins.min", "builtins.max", "builtins.abs"):
            return all(is_int_size(context, a, _depth + 1) for a in call.args)
        return False
    if expr_type is ast.BinOp:
        return (
            type(expr.op) in _INT_OPERATORS  # type: ignore[attr-defined]
            and is_int_size(context, expr.left, _depth + 1)  # type: ignore[attr-defined]
            and is_int_size(context, expr.right, _depth + 1)  # type: ignore[attr-defined]
        )
    if expr_type is ast.UnaryOp:
        return type(expr.op) in (ast.USub, ast.UAdd) and is_int_size(context, expr.operand, _depth + 1)  # type: ignore[attr-defined]
    if expr_type is ast.Name and _depth < 4:
        if _iterates_shape(context, expr):  # type: ignore[arg-type]
            return True
        values = local_values(context, expr.id)  # type: ignore[attr-defined]
        if not values:
            return False
        for value, position in values:
            if position is None:
                if not is_int_size(context, value, _depth + 1):
                    return False
            elif context.kind(value) is not Kind.SHAPE or type(value) in (ast.Tuple, ast.List):
                return False
        return True
    return False


def _iterates_shape(context: FileContext, name: ast.Name) -> bool:
    """Whether `name` is the variable of an enclosing comprehension or `for` loop over a shape
    (`[int(s) for s in x.shape]`): each value is then an int size."""
    parent = context.parent(name)
    while parent is not None:
        generators: list[ast.comprehension] = []
        if type(parent) in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
            generators = parent.generators  # type: ignore[attr-defined]
        elif type(parent) in (ast.For, ast.AsyncFor):
            generators = [parent]  # type: ignore[list-item]
        for generator in generators:
            target = generator.target
            if type(target) is ast.Name and target.id == name.id:
                return context.kind(generator.iter) is Kind.SHAPE
        if type(parent) in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef):
            return False
        parent = context.parent(parent)
    return False


def parenthesized(context: FileContext, expr: ast.AST) -> str:
    """The source of `expr`, in parentheses unless it is atomic (a name, call, attribute, subscript...)."""
    text = context.source.segment(expr)
    if type(expr) in (ast.Name, ast.Call, ast.Attribute, ast.Subscript, ast.Constant, ast.List, ast.Tuple):
        return text
    return f"({text})"


def in_loop_header(context: FileContext, node: ast.AST) -> bool:
    """Whether `node` sits in the iterable of a `for` loop or a comprehension."""
    child = node
    parent = context.parent(node)
    while parent is not None and not isinstance(parent, ast.stmt):
        if type(parent) is ast.comprehension and parent.iter is child:
            return True
        child, parent = parent, context.parent(parent)
    return type(parent) in (ast.For, ast.AsyncFor) and parent.iter is child  # type: ignore[union-attr]


# Tensor members that lists, tuples and dicts do not have: using one on a name is evidence that
# the name holds a tensor (a `forward` parameter may well be a list of feature maps).
_TENSOR_EVIDENCE = frozenset(
    {
        "shape",
        "size",
        "dim",
        "ndim",
        "dtype",
        "device",
        "view",
        "reshape",
        "permute",
        "unsqueeze",
        "squeeze",
        "flatten",
        "transpose",
        "contiguous",
        "float",
        "half",
        "to",
        "sum",
        "mean",
        "amax",
        "amin",
        "softmax",
        "sigmoid",
        "detach",
        "clone",
        "numel",
        "expand",
        "expand_as",
        "repeat",
        "chunk",
        "split",
        "unbind",
        "new_zeros",
        "new_ones",
        "new_full",
        "new_empty",
        "new_tensor",
        "type_as",
        "masked_fill",
        "clamp",
        "abs",
        "exp",
        "log",
        "norm",
        "matmul",
        "bmm",
        "flip",
        "argmax",
        "argmin",
        "topk",
        "sort",
        "gather",
        "index_select",
        "narrow",
        "item",
        "tolist",
        "bool",
        "long",
        "int",
        "any",
        "all",
        "cumsum",
        "max",
        "min",
    }
)


def is_strong_tensor(context: FileContext, expr: ast.AST, _depth: int = 0, _seen: frozenset[str] = frozenset()) -> bool:
    """Whether `expr` is a tensor beyond reasonable doubt: the kinds say TENSOR, and a name is either
    computed by torch in this function or used as a tensor here (`x.shape`, `x.view(...)`,
    `torch.*(x)`) without being used as a dict (`x["key"]`). `forward` parameters are assumed to
    be tensors by the semantic model; lists of feature maps are common, hence the evidence."""
    if context.kind(expr) is not Kind.TENSOR or _depth > 4:
        return False
    expr_type = type(expr)
    if expr_type is ast.Name:
        if expr.id in _seen:  # type: ignore[attr-defined]
            return True  # `x = x[mask]`: a cycle brings in no value of another kind
        if narrowed_to_non_tensor(context, expr):  # type: ignore[arg-type]
            return False
        if _used_as_tensor(context, expr.id):  # type: ignore[attr-defined]
            return True
        function = context.function
        sources = context.cached(_value_sources, (function.node, expr.id)) if function is not None else None  # type: ignore[attr-defined]
        # Each binding a strong tensor: an assigned value, or an element of a loop over one
        # (`for i, row in enumerate(input_ids)`, then `row = row[mask]`).
        if _is_parameter(context, expr.id):  # type: ignore[attr-defined]
            # A parameter needs the evidence above, annotated or not: `hidden_states = hidden_states[::-1]`
            # may reverse a list of features, and `feats: torch.Tensor` be iterated as the list it is.
            return False
        seen = _seen | {expr.id}  # type: ignore[attr-defined]
        return bool(sources) and all(is_strong_tensor(context, v, _depth + 1, seen) for v in sources)  # type: ignore[union-attr]
    if expr_type is ast.Call:
        name = context.call_name(expr)
        if name is not None:
            return name.startswith("torch.")
        func = expr.func  # type: ignore[attr-defined]
        if type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id == "self":
            return _tensor_layer(context, func.attr)
        return type(func) is ast.Attribute and is_strong_tensor(context, func.value, _depth + 1, _seen)
    if expr_type is ast.Subscript:
        return is_strong_tensor(context, expr.value, _depth + 1, _seen) and not (  # type: ignore[attr-defined]
            type(expr.slice) is ast.Constant and isinstance(expr.slice.value, str)  # type: ignore[attr-defined]
        )
    if expr_type is ast.BinOp:
        left = is_strong_tensor(context, expr.left, _depth + 1, _seen)  # type: ignore[attr-defined]
        return left or is_strong_tensor(context, expr.right, _depth + 1, _seen)  # type: ignore[attr-defined]
    if expr_type is ast.Attribute:
        return is_strong_tensor(context, expr.value, _depth + 1, _seen)  # type: ignore[attr-defined]
    return False


_CONTAINER_TYPES = frozenset({"list", "tuple", "dict", "set", "str", "int", "float", "bool"})


def narrowed_to_non_tensor(context: FileContext, name: ast.Name) -> bool:
    """Whether `name` sits where an `isinstance` test says it is no tensor (pyright's narrowing): in the
    body of `if isinstance(name, (list, tuple)):`, or in the `else` of `if isinstance(name, torch.Tensor):`
    (and the same for conditional expressions); or what the function returns as the list or tuple its return
    annotation declares (`returned_as_annotated_sequence`)."""
    if returned_as_annotated_sequence(context, name.id):
        return True
    child: ast.AST = name
    parent = context.parent(name)
    while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        if type(parent) is ast.BoolOp and type(parent.op) is ast.And:
            # `isinstance(x, (tuple, list)) and len(x) == 2`: the operands after the test see it true
            for value in parent.values:
                if value is child:
                    break
                if _isinstance_says(context, value, name.id) is False:
                    return True
        if type(parent) in (ast.If, ast.IfExp) and child is not parent.test:  # type: ignore[attr-defined]
            in_body = child is parent.body if type(parent) is ast.IfExp else child in parent.body  # type: ignore[attr-defined]
            says = _isinstance_says(context, parent.test, name.id)  # type: ignore[attr-defined]
            if says is not None and says != in_body:  # "is a tensor" False in the body, or True in the else
                return True
        child, parent = parent, context.parent(parent)
    return False


def returned_as_annotated_sequence(context: FileContext, name: str) -> bool:
    """Whether the function returns `name` as the list or tuple its annotation declares: diffusers' MultiAdapter
    (`def forward(...) -> list[torch.Tensor]`) returns `accume_state`, which it binds to `features = adapter(x)`, the
    per-scale feature maps of a submodule; so `len(features)` counts the scales, not a dim. Every `return` of the
    function returns a name, and `name` is one of them or is bound as a whole to one of them (`accume_state =
    features`)."""
    function = context.function
    if function is None or type(function.node) is ast.Lambda:
        return False
    return name in context.cached(_annotated_sequence_names, function.node)


def _annotated_sequence_names(context: FileContext, function: ast.AST) -> frozenset[str]:
    """The names `returned_as_annotated_sequence` accepts in `function`."""
    annotation = getattr(function, "returns", None)
    if annotation is None or not _SEQUENCE_ANNOTATION.match(ast.unparse(annotation)):
        return frozenset()
    returns = [node for node in _function_nodes(function) if type(node) is ast.Return]
    if not returns or not all(type(node.value) is ast.Name for node in returns):
        return frozenset()
    names = {node.value.id for node in returns}  # type: ignore[union-attr]
    for node in _function_nodes(function):
        if (
            type(node) is ast.Assign
            and len(node.targets) == 1
            and type(node.targets[0]) is ast.Name
            and node.targets[0].id in names
            and type(node.value) is ast.Name
        ):
            names.add(node.value.id)
    return frozenset(names)


# A return annotation of a Python list or tuple (`list[torch.Tensor]`, `Tuple[Tensor, ...]`, `Sequence[...]`).
_SEQUENCE_ANNOTATION = re.compile(r"^(?:typing\.)?(?:list|List|tuple|Tuple|Sequence)\[")


def _isinstance_says(context: FileContext, test: ast.expr, name: str) -> bool | None:
    """For `isinstance(name, T)`: True when T is a tensor type, False when T is only Python containers or
    scalars, None when the test is something else."""
    if type(test) is not ast.Call or context.call_name(test) != "builtins.isinstance" or len(test.args) != 2:
        return None
    subject, types = test.args
    if type(subject) is not ast.Name or subject.id != name:
        return None
    names = [
        context.qualified_name(t) or (t.id if type(t) is ast.Name else None)
        for t in (types.elts if type(types) is ast.Tuple else [types])
    ]
    if any(n in ("torch.Tensor", "torch.nn.Parameter") for n in names):
        return True
    if names and all(n is not None and n.removeprefix("builtins.") in _CONTAINER_TYPES for n in names):
        return False
    return None


def is_proven_tensor(context: FileContext, expr: ast.AST, _seen: frozenset[str] = frozenset()) -> bool:
    """A tensor by proof, not by evidence: a name every binding of which in this function is a proven
    tensor (`x = torch.cat(...)`, `x = self.proj(y)`, `x = y.view(...)` of a proven `y`), a parameter
    annotated as a tensor, a `torch.*` call, a tensor layer's output, a tensor method of a proven tensor,
    arithmetic, an index or a comparison of a proven tensor (not with `is` / `in`, not with a string).
    What a `safe` fix may rely on (an unannotated `forward` parameter is only assumed one, and so is what
    a method of it returns: `.values()` of a dict, `.split()` of a string)."""
    expr_type = type(expr)
    if expr_type is ast.Compare:
        if any(type(op) in (ast.Is, ast.IsNot, ast.In, ast.NotIn) for op in expr.ops):  # type: ignore[attr-defined]
            return False
        operands = [expr.left, *expr.comparators]  # type: ignore[attr-defined]
        if any(type(o) is ast.Constant and not isinstance(o.value, (int, float)) for o in operands):
            return False  # a string, None, bytes: a Python comparison
        return any(is_proven_tensor(context, operand, _seen) for operand in operands)
    if expr_type is ast.UnaryOp:
        return type(expr.op) is not ast.Not and is_proven_tensor(context, expr.operand, _seen)  # type: ignore[attr-defined]
    if expr_type is ast.IfExp:  # `a if c else b`: a tensor when both arms are
        return is_proven_tensor(context, expr.body, _seen) and is_proven_tensor(context, expr.orelse, _seen)  # type: ignore[attr-defined]
    if len(_seen) > 4 or context.kind(expr) is not Kind.TENSOR:
        return False
    if expr_type is ast.Name:
        name = expr.id  # type: ignore[attr-defined]
        if name in _seen:
            return True  # `x = x.view(...)`: a cycle brings in no value of another kind
        if narrowed_to_non_tensor(context, expr):  # type: ignore[arg-type]
            return False
        function = context.function
        if function is not None and context.cached(_used_as_sequence, (function.node, name)):
            return False  # annotated `torch.Tensor` yet given to `torch.cat`: a list (transformers' ovis2_5)
        values = local_values(context, name)
        if _is_parameter(context, name):
            if not _annotated_tensor_parameter(context, name):
                return False
        elif not values:
            return False
        return all(position is None and is_proven_tensor(context, value, _seen | {name}) for value, position in values)
    if expr_type is ast.BinOp:  # tensor arithmetic: a tensor when either side is one by proof
        return is_proven_tensor(context, expr.left, _seen) or is_proven_tensor(context, expr.right, _seen)  # type: ignore[attr-defined]
    if expr_type is ast.Call:
        name = context.call_name(expr)
        if name is not None:
            return name.startswith("torch.")
        func = expr.func  # type: ignore[attr-defined]
        if type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id == "self":
            return is_strong_tensor(context, expr)  # a tensor layer of the class (`_tensor_layer`)
        return type(func) is ast.Attribute and is_proven_tensor(context, func.value, _seen)
    if expr_type is ast.Subscript:
        index = expr.slice  # type: ignore[attr-defined]
        if type(index) is ast.Constant and isinstance(index.value, str):
            return False  # `x["key"]`: a mapping
        return is_proven_tensor(context, expr.value, _seen)  # type: ignore[attr-defined]
    if expr_type is ast.Attribute:
        return is_proven_tensor(context, expr.value, _seen)  # type: ignore[attr-defined]
    return False


def _of_module_state(context: FileContext, leaf: ast.AST, _depth: int = 0) -> bool:
    """A size of a helper's parameter that every call passes module state (see `_passed_module_state`), read
    directly (`abs_pos.shape[1]`) or through a name bound only to such sizes (`n = abs_pos.shape[1]`)."""
    if type(leaf) is ast.Name:
        values = local_values(context, leaf.id)
        return (
            _depth < 4
            and bool(values)
            and all(position is None and _of_module_state(context, value, _depth + 1) for value, position in values)
        )
    owner = size_owner(leaf)
    return type(owner) is ast.Name and _passed_module_state(context, owner.id)


def is_module_state_size(context: FileContext, expr: ast.AST) -> bool:
    """`self.weights.size(0)`, `self.pe.shape[1]`, a size of a parameter every call passes such state (see
    `_passed_module_state`: `pe.size(1)` in `extend_pe(self, x, pe=None)`), or a local name bound once to one: a size
    of the module's own parameters or buffers."""
    if type(expr) is ast.Name:
        values = local_values(context, expr.id)
        return len(values) == 1 and values[0][1] is None and is_module_state_size(context, values[0][0])
    owner = size_owner(expr)
    if type(owner) is ast.Name:
        # A parameter every call fills with module state, or a local computed from it alone (`positional_embeddings =
        # self.positional_embedding.to(hidden_states.dtype)`, diffusers' PriorTransformer).
        return _passed_module_state(context, owner.id, use=expr) or computed_from_module_state(context, owner.id, expr)
    return owner is not None and is_module_state(owner)


def _passed_module_state(context: FileContext, name: str, use: ast.AST | None = None) -> bool:
    """Whether `name` is a parameter of the current function that every call to it in model code passes a
    module attribute (`self.position_embeddings`, `self.pos_embed.weight`) or, where it defaults to None, leaves out
    (wav2vec2-conformer's `extend_pe(x, pe=None)`, called with `self.pe`), and that the function binds again only
    to a slice of itself (`abs_pos = abs_pos[:, 1:]`) or to itself in another dtype or device (`pe =
    pe.to(dtype=x.dtype)`): a tensor whose sizes are fixed when the model is built. With `use`, a read outside any
    loop, bindings below it do not count (`pe = torch.cat(...)` after `if pe is not None: ... return pe`)."""
    function = context.function
    if function is None or type(function.node) is ast.Lambda or not _is_parameter(context, name):
        return False
    last_line = getattr(use, "lineno", None) if use is not None and not _in_a_loop(context, use) else None
    for value, position in local_values(context, name):
        if last_line is not None and value.lineno > last_line:
            continue
        if position is not None or not (
            (type(value) is ast.Subscript and is_name(value.value, name)) or _same_sizes_of(value, name)
        ):
            return False
    if not local_values(context, name) and name in bindings_in(_function_nodes(function.node)):
        return False  # bound some other way (a loop, an augmented assignment)
    calls = context.model.call_sites(function)
    if not calls:
        return False
    arguments = function.node.args
    positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    if function.is_method:
        positional = positional[1:]
    optional = any(
        argument.arg == name and type(default) is ast.Constant and default.value is None
        for argument, default in parameter_defaults(function.node)
    )
    for _caller, call in calls:
        if has_unpacking(call):
            return False
        passed = [k.value for k in call.keywords if k.arg == name]
        if name in positional and positional.index(name) < len(call.args):
            passed.append(call.args[positional.index(name)])
        if not (is_module_state(passed[0]) if passed else optional):
            return False
    return True


def _in_a_loop(context: FileContext, node: ast.AST) -> bool:
    """Whether `node` sits in a `for` or `while` loop of its function (a binding below it may reach it)."""
    parent = context.parent(node)
    while parent is not None and type(parent) not in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
        if type(parent) in (ast.For, ast.AsyncFor, ast.While):
            return True
        parent = context.parent(parent)
    return False


# Methods that return the tensor they are called on in another dtype, device or layout: its sizes.
_SAME_SIZES = frozenset({"to", "type_as", "contiguous", "float", "half", "double", "detach", "clone"})


def _same_sizes_of(value: ast.expr, name: str) -> bool:
    """`pe.to(dtype=x.dtype, device=x.device)`, `pe.contiguous()`: `name` with the same sizes."""
    return (
        type(value) is ast.Call
        and type(value.func) is ast.Attribute
        and value.func.attr in _SAME_SIZES
        and is_name(value.func.value, name)
    )


def is_name(expr: ast.AST, name: str) -> bool:
    """`name` itself (an `ast.Name` of that id)."""
    return type(expr) is ast.Name and expr.id == name


def is_module_state(expr: ast.AST) -> bool:
    """`self.pos_embed`, `self.embedding.weight`: an attribute chain rooted at `self` (a parameter, a buffer, a
    submodule's weight)."""
    if type(expr) is not ast.Attribute:
        return False
    while type(expr) is ast.Attribute:
        expr = expr.value
    return type(expr) is ast.Name and expr.id == "self"


def _is_parameter(context: FileContext, name: str) -> bool:
    function = context.function
    if function is None:
        return False
    arguments = function.node.args
    every = (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg)
    return any(argument is not None and argument.arg == name for argument in every)


def _annotated_tensor_parameter(context: FileContext, name: str) -> bool:
    function = context.function
    if function is None or type(function.node) is ast.Lambda:
        return False
    arguments = function.node.args
    for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
        if argument.arg == name:
            return annotation_kind(argument.annotation, context.model) is Kind.TENSOR
    return False


def _used_as_tensor(context: FileContext, name: str) -> bool:
    function = context.function
    if function is None:
        return False
    return context.cached(_tensor_evidence, (function.node, name))


def _tensor_evidence(context: FileContext, key: tuple[ast.AST, str]) -> bool:
    function, name = key
    evidence = False
    for node in _function_nodes(function):
        node_type = type(node)
        if node_type is ast.Subscript and type(node.value) is ast.Name and node.value.id == name:  # type: ignore[attr-defined]
            if type(node.slice) is ast.Constant and isinstance(node.slice.value, str):  # type: ignore[attr-defined]
                evidence = False
                break
        elif node_type is ast.Attribute and type(node.value) is ast.Name and node.value.id == name:  # type: ignore[attr-defined]
            if node.attr in _TENSOR_EVIDENCE:  # type: ignore[attr-defined]
                evidence = True
            elif node.attr in ("append", "extend", "items", "keys", "values", "get", "pop", "insert"):  # type: ignore[attr-defined]
                evidence = False
                break
        elif node_type is ast.Call:
            qualified = context.call_name(node)
            arguments = node.args  # type: ignore[attr-defined]
            if (
                qualified is not None
                and qualified.startswith("torch.")
                and arguments
                and type(arguments[0]) is ast.Name
                and arguments[0].id == name
            ):
                if qualified in _SEQUENCE_CONSUMERS:
                    evidence = False  # `torch.cat(x)`: a list of tensors, whatever its annotation says
                    break
                evidence = True
    return evidence


# torch functions whose first argument is a sequence of tensors.
_SEQUENCE_CONSUMERS = frozenset(
    {
        "torch.cat",
        "torch.concat",
        "torch.concatenate",
        "torch.stack",
        "torch.hstack",
        "torch.vstack",
        "torch.dstack",
        "torch.column_stack",
        "torch.row_stack",
        "torch.block_diag",
        "torch.broadcast_tensors",
    }
)


def _used_as_sequence(context: FileContext, key: tuple[ast.AST, str]) -> bool:
    """Whether the function passes `name` where torch wants a sequence of tensors (`torch.cat(name)`)."""
    function, name = key
    for node in _function_nodes(function):
        if type(node) is ast.Call and node.args and type(node.args[0]) is ast.Name and node.args[0].id == name:
            if context.call_name(node) in _SEQUENCE_CONSUMERS:
                return True
    return False


_CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict", "Module", "Identity"})


def _tensor_layer(context: FileContext, attribute: str) -> bool:
    """Whether `self.<attribute>` is assigned a `torch.nn` layer (Conv2d, Linear, ...) in the class:
    calling it returns a tensor (a container or a custom module may return anything)."""
    function = context.function
    owner = context.model.owner_class(function) if function is not None else None
    if owner is None:
        return False
    found = False
    for method in owner.methods.values():
        for node in ast.walk(method):
            if type(node) is not ast.Assign:
                continue
            for target in node.targets:
                if (
                    type(target) is ast.Attribute
                    and target.attr == attribute
                    and type(target.value) is ast.Name
                    and target.value.id == "self"
                ):
                    value = node.value
                    qualified = context.model.qualified_name(value.func) if type(value) is ast.Call else None
                    if (
                        qualified is None
                        or not qualified.startswith("torch.nn.")
                        or qualified.rsplit(".", 1)[-1] in _CONTAINERS
                    ):
                        return False
                    found = True
    return found
