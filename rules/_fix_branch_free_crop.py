"""The branch-free form of "crop back what was padded": drop the `if`, keep the crop.

```python
padding = pad_b > 0 or pad_r > 0                 # timm's TinyViT, Swin-style window attention
if padding:
    x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))      # the branch-free pad makes this unconditional
...                                              # windows of the padded map, attention, windows back
if padding:
    x = x[:, :H, :W].contiguous()
```
becomes
```python
x = x[:, :H, :W].contiguous()
```

Offered only where the same condition (the same flag, or the same expression) guards a pad of the
function that the branch-free pad rewrites: then the crop undoes that pad, and with the condition
false (nothing padded) the slice keeps every row and column it reads, if the tensor still has the
unpadded sizes `H`, `W` there. That last fact is the code's convention (the windows are reversed
into the padded shape, then cropped), which the analysis does not prove through the reshapes in
between: the fix is always `unsafe`. The body must be the crop alone: `x = x[<slices>]`, optionally
`.contiguous()`, each slice `:` or `:bound` with a call-free bound.
"""

from __future__ import annotations

import ast
import re

from onnxlint.rules.api import Edit, FileContext, Location

from ._fix_branch_free_pad import PAD, _body_text, _pure, _terms, branch_free_pad, flag_condition, is_elif


def branch_free_crop(context: FileContext, node: ast.If) -> Edit | None:
    """The (unsafe) edit that drops `node`, an `if` that only crops back what an earlier `if` padded."""
    if node.orelse or len(node.body) != 1 or node.body[0].lineno <= node.test.end_lineno:  # type: ignore[operator]
        return None
    if is_elif(context, node):
        return None
    if not _is_crop(node.body[0]):
        return None
    terms = _terms(flag_condition(context, node.test))
    if terms is None or any(term.relation == "one" for term in terms):
        return None
    if padded_under_same_test(context, node) is None:
        return None
    return Edit(Location(node.lineno, 1), context.source.end_of(node), _body_text(context, node, []))


def crop_after_a_pad(context: FileContext, node: ast.If) -> ast.If | None:
    """For the confidence of the finding, not for a fix: `node` is `if <test>: x = x[:, :n]` alone, and an earlier
    `if` of the function on the same test pads (its body calls `F.pad` or a function named for padding, Reformer's
    `self._pad_to_mult_of_chunk_length(...)` under `if must_pad_to_match_chunk_length:`). The crop undoes that pad,
    so the export keeps both or neither: one hazard, the pad's. Returns that earlier `if`."""
    if node.orelse or len(node.body) != 1 or not _is_crop(node.body[0]) or is_elif(context, node):
        return None
    return next(
        (other for other in _same_test(context, node) if other.lineno < node.lineno and _pads(context, other)),
        None,
    )


def _pads(context: FileContext, node: ast.If) -> bool:
    """Whether the body of `node` calls `F.pad` or a function or method whose name says it pads."""
    for statement in node.body:
        for call in ast.walk(statement):
            if type(call) is not ast.Call:
                continue
            name = call.func.attr if type(call.func) is ast.Attribute else getattr(call.func, "id", "")
            if context.call_name(call) == PAD or _PAD_NAME.search(name):
                return True
    return False


# `_pad_to_mult_of_chunk_length`, `pad_to_multiple`, `maybe_pad`: a helper named for padding.
_PAD_NAME = re.compile(r"(?:^|_)pad(?:_|$|ding)", re.IGNORECASE)


def crops_undoing(context: FileContext, pad: ast.If) -> list[Edit]:
    """The edits of the later `if`s of the function that crop back what `pad` (an `if` the branch-free pad rewrites)
    padded, under the same test: the pad's own fix must make them unconditional too, or a pad kept for every size
    would leave the padded rows and columns in the output of the sizes whose crop the export dropped."""
    edits = (branch_free_crop(context, other) for other in _same_test(context, pad) if other.lineno > pad.lineno)
    return [edit for edit in edits if edit is not None]


def _same_test(context: FileContext, node: ast.If) -> list[ast.If]:
    """The other `if`s of the enclosing function whose test is written as `node`'s."""
    function = context.function.node if context.function is not None else None
    wanted = ast.dump(node.test)
    return [
        other
        for other in (ast.walk(function) if function is not None else ())
        if type(other) is ast.If and other is not node and ast.dump(other.test) == wanted
    ]


def _is_crop(statement: ast.stmt) -> bool:
    """`x = x[:, :h, :w]` or `x = x[:, :h, :w].contiguous()`."""
    if type(statement) is not ast.Assign or len(statement.targets) != 1 or type(statement.targets[0]) is not ast.Name:
        return False
    value = statement.value
    if type(value) is ast.Call and not value.args and not value.keywords:
        if type(value.func) is not ast.Attribute or value.func.attr != "contiguous":
            return False
        value = value.func.value
    if type(value) is not ast.Subscript or type(value.value) is not ast.Name:
        return False
    if value.value.id != statement.targets[0].id:
        return False
    parts = value.slice.elts if type(value.slice) is ast.Tuple else [value.slice]
    bounded = 0
    for part in parts:
        if type(part) is not ast.Slice or part.lower is not None or part.step is not None:
            return False
        if part.upper is not None:
            if not _pure(part.upper):
                return False
            bounded += 1
    return bounded > 0


def padded_under_same_test(context: FileContext, node: ast.If) -> ast.If | None:
    """An earlier `if` of the function, on the same test as `node`, that the branch-free pad rewrites."""
    return next(
        (
            other
            for other in _same_test(context, node)
            if other.lineno < node.lineno and branch_free_pad(context, other) is not None
        ),
        None,
    )
