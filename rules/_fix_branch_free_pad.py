"""The branch-free form of "pad only when a size is not a multiple": drop the `if`, keep the pad.

```python
if w % p != 0:                                   # and other conditions that are false
    pad_values = (0, p - w % p)                  #   exactly when every pad amount is 0
    x = F.pad(x, pad_values)
```
becomes
```python
pad_values = (0, (p - w % p) % p)
x = F.pad(x, pad_values)
```

The rewrite is proven when, with the condition false, every pad amount is 0 (then `F.pad` is the
identity, in every mode), and every amount the rewrite changes (`p - w % p` → `(p - w % p) % p`)
keeps its value whenever the condition is true. What is checked, amount by amount:

- a literal `0`;
- an amount that is itself a term of the condition (`if pad_h != 0 or pad_w:` / `if pad_h > 0 ...`
  with `pad_h` padded): `!= 0` and truthiness need nothing more; `> 0` / `>= 1` / `0 <`
  need the amount to be non-negative (`a % k` for a positive literal `k`, a size, a literal,
  sums and products of those, or a name bound only to such values); `== 1` needs an amount in
  {0, 1} (`s % 2`);
- `(p - s % p) % p` with a term `s % p` (`!= 0`, truthy; `> 0` when `p` is a positive literal;
  `== 1` when `p` is 2): it is `p % p == 0` when `s % p == 0`;
- `p - s % p` when the condition is that one term `s % p != 0` (or `s % p`): rewritten to
  `(p - s % p) % p`, equal when `s % p != 0` for any non-zero `p` (`s % p` lies strictly between
  0 and `p`, so `p - s % p` does too), and 0 otherwise.

When a fact needs a sign the code does not show (`x > 0` for an `x` not proven non-negative),
the fix is unsafe. Shapes of the `if` that are not the pattern get no fix.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

from onnxlint.rules.api import Applicability, Edit, FileContext, Location, argument, comments_in

from ._sizes import is_non_negative_size, local_values

PAD = "torch.nn.functional.pad"


@dataclass(frozen=True)
class BranchFreePad:
    edit: Edit
    applicability: Applicability


@dataclass(frozen=True)
class _Term:
    expr: ast.expr
    relation: str  # "nonzero" (`!= 0`, truthy), "positive" (`> 0`, `>= 1`, `0 <`), "one" (`== 1`)


def branch_free_pad(context: FileContext, node: ast.If) -> BranchFreePad | None:
    """The edit that drops `node` (an `if` that only pads) and keeps its body, or None."""
    if node.orelse or not node.body or node.body[0].lineno <= node.test.end_lineno:  # type: ignore[operator]
        return None  # (a body on the `if` line is left alone)
    if is_elif(context, node):
        return None  # an `elif`: its body cannot stand on its own line
    test = flag_condition(context, node.test)
    terms = _terms(test)
    if terms is None or not _pure(test):
        return None
    *setup, last = node.body
    call = _pad_call(context, last)
    if call is None:
        return None
    padded = last.targets[0].id  # type: ignore[attr-defined]
    local: dict[str, ast.expr] = {}
    for statement in setup:
        if type(statement) is not ast.Assign or len(statement.targets) != 1:
            return None
        target = statement.targets[0]
        if type(target) is not ast.Name or target.id == padded or not _pure(statement.value):
            return None
        local[target.id] = statement.value
    if not _names_stay_inside(context, node, set(local)):
        return None
    amounts = argument(call, 1, "pad")
    if type(amounts) is ast.Name and amounts.id in local:
        amounts = local[amounts.id]
    if type(amounts) not in (ast.Tuple, ast.List):
        return None
    safe = True
    wraps: list[ast.expr] = []
    for amount in amounts.elts:  # type: ignore[union-attr]
        verdict = _zero_when_false(context, amount, terms)
        if verdict is None:
            return None
        proven, wrap = verdict
        safe = safe and proven
        if wrap:
            wraps.append(amount)
    if not wraps and all(type(a) is ast.Constant and a.value == 0 for a in amounts.elts):  # type: ignore[union-attr]
        return None  # nothing is padded: not this pattern
    edit = Edit(Location(node.lineno, 1), context.source.end_of(node), _body_text(context, node, wraps))
    return BranchFreePad(edit, Applicability.SAFE if safe else Applicability.UNSAFE)


# -- the condition ------------------------------------------------------------------------------------


def is_elif(context: FileContext, node: ast.If) -> bool:
    """`elif test:` (the whole `else` of the `if` above), not an `if` nested in an `else:` block."""
    parent = context.parent(node)
    return (
        type(parent) is ast.If
        and parent.orelse == [node]
        and context.source.line(node.lineno).lstrip().startswith("elif")
    )


def flag_condition(context: FileContext, test: ast.expr) -> ast.expr:
    """The condition a flag name stands for (`padding = pad_b > 0 or pad_r > 0; if padding:`, timm's
    TinyViT), when the function binds the flag once, before the `if`, to a comparison or a boolean
    operation without calls, and binds no name that condition reads after the flag (so the flag still
    says what the condition would); else `test` itself."""
    if type(test) is not ast.Name:
        return test
    values = local_values(context, test.id)
    function = context.function.node if context.function is not None else None
    if len(values) != 1 or values[0][1] is not None or function is None:
        return test
    value = values[0][0]
    if type(value) not in (ast.Compare, ast.BoolOp) or not _pure(value) or value.lineno >= test.lineno:
        return test
    read = {n.id for n in ast.walk(value) if type(n) is ast.Name}
    for store in ast.walk(function):
        if type(store) is not ast.Name or type(store.ctx) is ast.Load:
            continue
        if store.id == test.id and store.lineno != value.lineno:
            return test  # the flag is bound elsewhere too
        if store.id in read and store.lineno >= value.lineno:
            return test  # `pad += 1` after `padding = pad != 0`: the flag no longer says what the condition would
    return value


def _terms(test: ast.expr) -> list[_Term] | None:
    """The disjuncts of `test`, each read as "this expression is not 0" (or > 0, or == 1)."""
    if type(test) is ast.BoolOp:
        if type(test.op) is not ast.Or:
            return None
        terms: list[_Term] = []
        for value in test.values:
            inner = _terms(value)
            if inner is None:
                return None
            terms += inner
        return terms
    if type(test) is ast.Compare and len(test.ops) == 1:
        left, operator, right = test.left, type(test.ops[0]), test.comparators[0]
        if _is_int(left, 0) and operator is ast.Lt:
            return [_Term(right, "positive")]
        if _is_int(left, 0) and operator is ast.NotEq:
            return [_Term(right, "nonzero")]
        if _is_int(right, 0) and operator is ast.NotEq:
            return [_Term(left, "nonzero")]
        if _is_int(right, 0) and operator is ast.Gt:
            return [_Term(left, "positive")]
        if _is_int(right, 1) and operator is ast.GtE:
            return [_Term(left, "positive")]
        if _is_int(right, 1) and operator is ast.Eq:
            return [_Term(left, "one")]
        return None
    if type(test) in (ast.BinOp, ast.Name, ast.Subscript, ast.Attribute):
        return [_Term(test, "nonzero")]
    return None


def _pure(expr: ast.AST, allowed_calls: frozenset[str] = frozenset()) -> bool:
    """No call (but of the builtins named in `allowed_calls`, such as `max`), no await, no walrus, no
    lambda: evaluating it twice, or not at all, changes nothing."""
    for node in ast.walk(expr):
        if type(node) is ast.Call:
            func = node.func
            if type(func) is not ast.Name or func.id not in allowed_calls or node.keywords:
                return False
        elif type(node) in (ast.Await, ast.NamedExpr, ast.Lambda, ast.Yield):
            return False
    return True


# -- the amounts --------------------------------------------------------------------------------------


def _zero_when_false(context: FileContext, amount: ast.expr, terms: list[_Term]) -> tuple[bool, bool] | None:
    """(proven, needs the `% p` wrap) when `amount` is 0 whenever no term holds, else None."""
    if _is_int(amount, 0):
        return True, False
    best: tuple[bool, bool] | None = None
    for term in terms:
        verdict = _by_term(context, amount, term, len(terms) == 1)
        if verdict is not None and (best is None or (verdict[0] and not best[0])):
            best = verdict
    return best


def _by_term(context: FileContext, amount: ast.expr, term: _Term, only_term: bool) -> tuple[bool, bool] | None:
    if _same(amount, term.expr):
        if term.relation == "nonzero":
            return True, False
        if term.relation == "positive":
            return _non_negative(context, amount), False
        return (_is_mod_of(amount, 2), False) if _is_mod_of(amount, 2) else None
    modulus = _remainder_parts(term.expr)  # term `s % p`
    if modulus is None:
        return None
    size, p = modulus
    if term.relation == "one" and not _is_int(p, 2):
        return None
    sign_known = term.relation != "positive" or _positive_literal(p)
    complement = _complement(amount)  # `p - s % p`
    outer = amount.right if type(amount) is ast.BinOp and type(amount.op) is ast.Mod else None
    if outer is not None and _same(outer, p):
        inner = _complement(amount.left)  # type: ignore[attr-defined]
        if inner is not None and _same(inner[0], p) and _same(inner[1], size) and _same(inner[2], p):
            return sign_known, False
    if complement is not None and _same(complement[0], p) and _same(complement[1], size) and _same(complement[2], p):
        # `p - s % p` is p (not 0) when s % p == 0: only the wrapped form is 0 then. Equal when the
        # term holds; so the condition must be this term alone.
        if not only_term or term.relation == "one":
            return None
        return sign_known, True
    return None


def _complement(expr: ast.AST) -> tuple[ast.expr, ast.expr, ast.expr] | None:
    """`p - s % q` as (p, s, q)."""
    if type(expr) is ast.BinOp and type(expr.op) is ast.Sub:
        parts = _remainder_parts(expr.right)
        if parts is not None:
            return expr.left, parts[0], parts[1]
    return None


def _remainder_parts(expr: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    if type(expr) is ast.BinOp and type(expr.op) is ast.Mod:
        return expr.left, expr.right
    return None


def _is_mod_of(expr: ast.AST, modulus: int) -> bool:
    parts = _remainder_parts(expr)
    return parts is not None and _is_int(parts[1], modulus)


def _non_negative(context: FileContext, expr: ast.AST) -> bool:
    return is_non_negative_size(context, expr)


def _positive_literal(expr: ast.AST) -> bool:
    return type(expr) is ast.Constant and type(expr.value) is int and expr.value > 0


def _is_int(expr: ast.AST, value: int) -> bool:
    return type(expr) is ast.Constant and type(expr.value) is int and expr.value == value


def _same(a: ast.AST, b: ast.AST) -> bool:
    return ast.dump(a) == ast.dump(b)


# -- the body -----------------------------------------------------------------------------------------


def _pad_call(context: FileContext, statement: ast.stmt) -> ast.Call | None:
    """`x = F.pad(x, amounts, ...)`: the pad of `x` kept in `x`."""
    if type(statement) is not ast.Assign or len(statement.targets) != 1:
        return None
    target, value = statement.targets[0], statement.value
    if type(target) is not ast.Name or type(value) is not ast.Call or context.call_name(value) != PAD:
        return None
    if not value.args or type(value.args[0]) is not ast.Name or value.args[0].id != target.id:
        return None
    if any(keyword.arg is None for keyword in value.keywords) or any(type(a) is ast.Starred for a in value.args):
        return None
    if not all(_pure(a) for a in [*value.args[1:], *(k.value for k in value.keywords)]):
        return None  # the pad's other arguments now run on every path: nothing that could raise or act
    return value


def _names_stay_inside(context: FileContext, node: ast.If, names: set[str]) -> bool:
    """Every read of the names the body binds is inside an `if` body that binds it first: making the
    binding unconditional changes no value anyone reads."""
    if not names:
        return True
    function = context.function.node if context.function is not None else None
    if function is None:
        return False
    for other in ast.walk(function):
        if type(other) is not ast.Name or other.id not in names or type(other.ctx) is not ast.Load:
            continue
        holder = context.parent(other)
        while holder is not None and holder is not function:
            if type(holder) is ast.If and _binds_before(holder, other):
                break
            holder = context.parent(holder)
        else:
            return False
    return True


def _binds_before(node: ast.If, read: ast.Name) -> bool:
    for statement in node.body:
        if statement.lineno >= read.lineno:
            return False
        if type(statement) is ast.Assign and any(type(t) is ast.Name and t.id == read.id for t in statement.targets):
            return True
    return False


def _body_text(context: FileContext, node: ast.If, wraps: list[ast.expr]) -> str:
    """The body's lines at the `if`'s indentation, each `p - s % p` in `wraps` as `(p - s % p) % p`."""
    source = context.source
    start = source.offset(Location(node.test.end_lineno + 1, 1))  # type: ignore[operator]
    end = source.offset(source.end_of(node.body[-1]))
    text = source.text[start:end]
    for amount in sorted(wraps, key=lambda a: source.offset(source.start_of(a)), reverse=True):
        a, b = source.offset(source.start_of(amount)) - start, source.offset(source.end_of(amount)) - start
        modulus = source.segment(_complement(amount)[2])  # type: ignore[index]
        text = f"{text[:a]}({text[a:b]}) % {_atom(modulus)}{text[b:]}"
    header = source.text[source.offset(source.end_of(node.test)) : start]
    kept = comments_in(header)  # a comment on the `if` line moves to its own line
    if kept:
        body_indent = source.indentation(node.body[0].lineno)
        text = "".join(f"{body_indent}{comment}{source.newline()}" for comment in kept) + text
    indent = source.indentation(node.lineno)
    newline = source.newline()
    lines = textwrap.dedent(text.replace(newline, "\n")).split("\n")
    return newline.join(indent + line if line.strip() else line for line in lines)


def _atom(text: str) -> str:
    """`text` as an operand of `%`: parenthesised unless it is a name, attribute, subscript or literal."""
    try:
        expr = ast.parse(text, mode="eval").body
    except SyntaxError:
        return f"({text})"
    return text if type(expr) in (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Call) else f"({text})"
