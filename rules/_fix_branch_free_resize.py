"""The branch-free form of "resize only when the size differs": drop the `if`, keep the resize.

```python
B, C, H, W = x.shape
if new_h != H or new_w != W:                      # false exactly when the target size is x's own
    x = F.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False)
```
becomes
```python
B, C, H, W = x.shape
x = F.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False)
```

A resize to a tensor's own size is the identity: measured exactly (`torch.equal`) in eager
PyTorch for nearest, bilinear, bicubic, area, linear and trilinear with either `align_corners`,
and in onnxruntime for the exported `Resize` (`python -m onnxlint.measure`, "resize to the same
size"). So the rewrite keeps the numbers when the condition proves that a false condition means
"the target size is the tensor's own". What is checked:

- the condition is `T != H or U != W` (in any order, either side of `!=`) where the size is
  `(T, U)` and `H`, `W` are the resized tensor's last two dims, bound by `..., H, W = x.shape`,
  or `H, W = x.shape[-2:]`, with nothing re-binding `x`, `H` or `W` in between
  and no loop around the `if` that the binding is outside of;
- or the condition is `H < bound or W < bound` (either side) and the size is `(max(bound, H),
  max(bound, W))`: with the condition false both dims are at least the bound, so each maximum is
  the dim (timm's VGG pre-logits MLP pools inputs under 7x7 up to 7x7); the dims may also be read
  in the condition itself (`x.shape[-2]`), and the size may be a name the body binds first;
- the resize is `x = F.interpolate(x, size=..., mode=...)` with a literal mode above, no
  `scale_factor`, no antialiasing (the TorchScript exporter has no ONNX form for it, and the
  original export never met it on the untaken branch), arguments without calls; or
  `x = F.adaptive_avg_pool{1,2,3}d(x, output_size)` (to the input's own size it averages one
  element per output: the identity, measured in eager and onnxruntime);
- other statements of the body bind names read only inside it (from call-free expressions, `max`
  and `min` allowed), or set a flag to a constant.

The fix is always `unsafe`: the tensor's dtype is not proven (`F.interpolate` rejects integer
tensors in most modes, which the original's untaken branch never met), and a flag set
unconditionally changes what reads it after the `if` (MobileViT's `interpolate = True` makes
the resize back to the input's size run on every path, the identity when the sizes match, but
that code is not checked here). Shapes of the `if` that are not the pattern get no fix.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from onnxlint.rules.api import Applicability, Edit, FileContext, Location, argument

from ._fix_branch_free_pad import _body_text, _names_stay_inside, _pure, _same, is_elif
from ._sizes import is_name

INTERPOLATE = "torch.nn.functional.interpolate"
# Adaptive average pooling to the input's own size averages one element per output: the identity too.
ADAPTIVE_POOLS = frozenset(f"torch.nn.functional.adaptive_avg_pool{n}d" for n in (1, 2, 3))
# Modes whose resize to the same size is exactly the identity, eager and in onnxruntime (measured).
_MIN_MAX = frozenset({"max", "min"})  # builtins that neither act nor raise on sizes: allowed in the body's names
IDENTITY_MODES = frozenset({"nearest", "bilinear", "bicubic", "area", "linear", "trilinear"})


@dataclass(frozen=True)
class BranchFreeResize:
    edit: Edit
    applicability: Applicability


def branch_free_resize(context: FileContext, node: ast.If) -> BranchFreeResize | None:
    """The edit that drops `node` (an `if` that only resizes to a different size) and keeps its body, or None."""
    if node.orelse or not node.body or node.body[0].lineno <= node.test.end_lineno:  # type: ignore[operator]
        return None
    if is_elif(context, node):
        return None
    if not _pure(node.test):
        return None
    resizes = [s for s in node.body if _resize_call(context, s) is not None]
    if len(resizes) != 1:
        return None
    statement = resizes[0]
    call = _resize_call(context, statement)
    assert call is not None
    resized = statement.targets[0].id  # type: ignore[attr-defined]
    pooled = context.call_name(call) in ADAPTIVE_POOLS
    mode = "adaptive" if pooled and len(call.args) == 2 and not call.keywords else _mode(call)
    size = argument(call, 1, "output_size" if pooled else "size")
    if mode is None or size is None:
        return None
    if type(size) is ast.Name:  # `output_size = (...)` bound in the body, before the resize
        bound = [s for s in node.body if type(s) is ast.Assign and is_name(s.targets[0], size.id)]
        if len(bound) != 1 or bound[0].lineno > statement.lineno:
            return None
        size = bound[0].value
    local: set[str] = set()
    for other in node.body:
        if other is statement:
            continue
        if type(other) is not ast.Assign or len(other.targets) != 1 or type(other.targets[0]) is not ast.Name:
            return None
        name = other.targets[0].id
        if name == resized:
            return None
        if type(other.value) is ast.Constant:
            continue  # a flag, set on every path now: one reason the fix is unsafe (module docstring)
        if _pure(other.value, allowed_calls=_MIN_MAX):
            local.add(name)
        else:
            return None
    if not _names_stay_inside(context, node, local):
        return None
    if not _false_means_same_size(context, node, resized, size):
        return None
    edit = Edit(Location(node.lineno, 1), context.source.end_of(node), _body_text(context, node, []))
    return BranchFreeResize(edit, Applicability.UNSAFE)


# -- the resize ---------------------------------------------------------------------------------------


def _resize_call(context: FileContext, statement: ast.stmt) -> ast.Call | None:
    """`x = F.interpolate(x, ...)`: the resize of `x` kept in `x`, with arguments that are safe to run always."""
    if type(statement) is not ast.Assign or len(statement.targets) != 1:
        return None
    target, value = statement.targets[0], statement.value
    if type(target) is not ast.Name or type(value) is not ast.Call:
        return None
    if context.call_name(value) != INTERPOLATE and context.call_name(value) not in ADAPTIVE_POOLS:
        return None
    if not value.args or type(value.args[0]) is not ast.Name or value.args[0].id != target.id:
        return None
    if any(keyword.arg is None for keyword in value.keywords) or any(type(a) is ast.Starred for a in value.args):
        return None
    if len(value.args) > 3:  # positional scale_factor: not the size form
        return None
    if not all(_pure(a) for a in [*value.args[1:], *(k.value for k in value.keywords)]):
        return None
    return value


def _mode(call: ast.Call) -> str | None:
    """The literal mode of an identity-at-same-size resize (no scale factor, no antialiasing), or None."""
    keywords = {k.arg: k.value for k in call.keywords}
    if len(call.args) > 2 or "scale_factor" in keywords:
        return None
    for name in ("antialias", "recompute_scale_factor"):
        value = keywords.get(name)
        if value is not None and not (type(value) is ast.Constant and value.value in (False, None)):
            return None
    mode = keywords.get("mode")
    if mode is None:
        return "nearest"
    if type(mode) is ast.Constant and mode.value in IDENTITY_MODES:
        return str(mode.value)
    return None


# -- the condition ------------------------------------------------------------------------------------


def _false_means_same_size(context: FileContext, node: ast.If, resized: str, size: ast.expr) -> bool:
    terms = _inequalities(node.test)
    if terms is None:
        return False
    if type(size) not in (ast.Tuple, ast.List) or len(size.elts) != 2 or len(terms) != 2:  # type: ignore[attr-defined]
        return False
    names = _spatial_names(context, node, resized, 2)
    for position, target in enumerate(size.elts):  # type: ignore[attr-defined]

        def is_dim(expr: ast.expr, position: int = position) -> bool:
            # the resized tensor's own dim: a name unpacked from its shape, or read in the test itself
            return (names is not None and is_name(expr, names[position])) or _dim_of(expr, resized) == position - 2

        if not any(_pairs(term, target, is_dim) for term in terms):
            return False
    return True


def _inequalities(test: ast.expr) -> list[tuple[str, ast.expr, ast.expr]] | None:
    """The disjuncts of `test`: `a != b` as ("ne", a, b); `d < bound` (or `bound > d`) as ("below", d, bound)."""
    if type(test) is ast.BoolOp:
        if type(test.op) is not ast.Or:
            return None
        terms: list[tuple[str, ast.expr, ast.expr]] = []
        for value in test.values:
            inner = _inequalities(value)
            if inner is None:
                return None
            terms += inner
        return terms
    if type(test) is ast.Compare and len(test.ops) == 1:
        operator, left, right = type(test.ops[0]), test.left, test.comparators[0]
        if operator is ast.NotEq:
            return [("ne", left, right)]
        if operator is ast.Lt:
            return [("below", left, right)]
        if operator is ast.Gt:
            return [("below", right, left)]
    return None


def _pairs(term: tuple[str, ast.expr, ast.expr], target: ast.expr, is_dim: Callable[[ast.expr], bool]) -> bool:
    """Whether, with `term` false, the target size equals the dim: `target != dim`, or `dim < bound` with
    the target `max(bound, dim)` (then `dim >= bound`, so the maximum is the dim: VGG's pre-logits MLP
    pools inputs under 7x7 up to 7x7)."""
    kind, left, right = term
    if kind == "ne":
        return (_same(left, target) and is_dim(right)) or (_same(right, target) and is_dim(left))
    if not is_dim(left) or type(target) is not ast.Call or type(target.func) is not ast.Name:
        return False
    if target.func.id != "max" or len(target.args) != 2 or target.keywords:
        return False
    first, second = target.args
    return (_same(first, right) and _same(second, left)) or (_same(first, left) and _same(second, right))


def _dim_of(expr: ast.expr, tensor: str) -> int | None:
    """`x.shape[-2]` / `x.size(-1)` of `tensor` as the negative index, else None."""
    if type(expr) is ast.Subscript and type(expr.value) is ast.Attribute and expr.value.attr == "shape":
        holder, index = expr.value.value, expr.slice
    elif type(expr) is ast.Call and type(expr.func) is ast.Attribute and expr.func.attr == "size" and expr.args:
        holder, index = expr.func.value, expr.args[0]
    else:
        return None
    if not is_name(holder, tensor) or type(index) is not ast.UnaryOp or type(index.op) is not ast.USub:
        return None
    value = index.operand
    if type(value) is not ast.Constant or type(value.value) is not int or value.value not in (1, 2):
        return None
    return -value.value


def _shape_of(expr: ast.expr) -> tuple[str, str] | None:
    """`x.shape` / `x.shape[2:]` / `x.shape[-2:]` (or `.size()`) as (tensor name, slice text)."""
    part = ""
    if type(expr) is ast.Subscript and type(expr.slice) is ast.Slice:
        lower = expr.slice.lower
        if expr.slice.upper is not None or expr.slice.step is not None or lower is None:
            return None
        part = ast.unparse(lower)
        if part not in ("2", "-2"):
            return None
        expr = expr.value
    if type(expr) is ast.Call and not expr.args and not expr.keywords:
        expr = expr.func  # x.size()
        if type(expr) is not ast.Attribute or expr.attr != "size":
            return None
    elif type(expr) is not ast.Attribute or expr.attr != "shape":
        return None
    if type(expr.value) is not ast.Name:
        return None
    return expr.value.id, part


def _spatial_names(context: FileContext, node: ast.If, tensor: str, count: int) -> list[str] | None:
    """The names bound to `tensor`'s last `count` dims before `node`, in order, unchanged since."""
    if count != 2:
        return None
    function = context.function.node if context.function is not None else None
    if function is None:
        return None
    ancestors = _ancestors(context, node, function)
    for statement in reversed(_statements_before(node, ancestors)):
        names = _binds_last_dims(statement, tensor)
        if names is None:
            continue
        watched = {tensor, *names}
        if _rebound_between(function, watched, statement, node) or _loop_between(context, node, statement, function):
            return None
        return names
    return None


def _ancestors(context: FileContext, node: ast.AST, function: ast.AST) -> list[ast.AST]:
    chain = []
    holder = context.parent(node)
    while holder is not None:
        chain.append(holder)
        if holder is function:
            break
        holder = context.parent(holder)
    return chain


def _statements_before(node: ast.If, ancestors: list[ast.AST]) -> list[ast.stmt]:
    """Statements that run before `node` on every path to it: earlier ones of each enclosing block."""
    found: list[ast.stmt] = []
    child: ast.AST = node
    for holder in ancestors:
        for field in ("body", "orelse", "finalbody"):
            block = getattr(holder, field, None)
            if isinstance(block, list) and child in block:
                found[:0] = block[: block.index(child)]
        child = holder
    return found


def _binds_last_dims(statement: ast.stmt, tensor: str) -> list[str] | None:
    """`..., H, W = x.shape` / `H, W = x.shape[-2:]` (or `[2:]` of a 4-D unpack) as [H, W]."""
    if type(statement) is not ast.Assign or len(statement.targets) != 1:
        return None
    target = statement.targets[0]
    if type(target) is not ast.Tuple or not all(type(e) is ast.Name for e in target.elts):
        return None
    shape = _shape_of(statement.value)
    if shape is None or shape[0] != tensor or len(target.elts) < 2:
        return None
    if shape[1] == "2" and len(target.elts) != 2:
        return None
    return [e.id for e in target.elts[-2:]]  # type: ignore[attr-defined]


def _rebound_between(function: ast.AST, names: set[str], start: ast.stmt, node: ast.If) -> bool:
    end = node.lineno
    for other in ast.walk(function):
        if type(other) is ast.Name and type(other.ctx) is ast.Store and other.id in names:
            if start.end_lineno < other.lineno < end:  # type: ignore[operator]
                return True
    return False


def _loop_between(context: FileContext, node: ast.If, binding: ast.stmt, function: ast.AST) -> bool:
    """A loop encloses the `if` but not the binding: a later iteration could see other sizes."""
    holder = context.parent(node)
    binding_holder = context.parent(binding)
    while holder is not None and holder is not binding_holder and holder is not function:
        if type(holder) in (ast.For, ast.While, ast.AsyncFor):
            return True
        holder = context.parent(holder)
    return False
