"""Fast tree traversals for the engine and the semantic model.

`ast.walk` and `ast.iter_child_nodes` are generic: for every node they go through every field
with `iter_fields` and test each value. Profiling the benchmark corpus showed them at ~18% of
the engine's time. The helpers here visit the same nodes in the same order but look only at the
fields of each node type that can hold child nodes (computed once per type), and never yield the
context and operator leaves (`Load`, `Store`, `Add`, `Eq`, ...), which CPython shares between
nodes and which no rule inspects.

`walk(node)` yields exactly what `ast.walk(node)` yields, minus those leaves, in the same
(breadth-first) order: removing leaves from a breadth-first order leaves the rest in place, so
code that filters `ast.walk` by node type gets identical results.
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator

# Fields that never hold a child worth visiting: contexts and operators (shared leaves), and
# fields whose values are plain strings, numbers or constants.
_LEAF_FIELDS = frozenset(
    {
        "ctx",
        "op",
        "ops",
        "type_comment",
        "type_ignores",
        "id",
        "attr",
        "arg",
        "name",
        "module",
        "level",
        "asname",
        "kind",
        "conversion",
        "is_async",
        "simple",
        "tag",
    }
)

CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(node_type: type) -> tuple[str, ...]:
    """The fields of `node_type` that may hold child nodes, in `_fields` order."""
    fields = CHILD_FIELDS.get(node_type)
    if fields is None:
        if node_type is ast.Constant or node_type is ast.Global or node_type is ast.Nonlocal:
            fields = ()  # a constant's value, or names as strings
        else:
            fields = tuple(f for f in node_type._fields if f not in _LEAF_FIELDS)  # type: ignore[attr-defined]
        CHILD_FIELDS[node_type] = fields
    return fields


def iter_children(node: ast.AST) -> Iterator[ast.AST]:
    """The child nodes of `node`, as `ast.iter_child_nodes` (minus context and operator leaves)."""
    for name in CHILD_FIELDS.get(type(node)) or child_fields(type(node)):
        value = getattr(node, name, None)
        if value is None:
            continue
        if type(value) is list:
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
        elif isinstance(value, ast.AST):
            yield value


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under `node` (itself included), in `ast.walk`'s breadth-first order."""
    todo = deque((node,))
    pop = todo.popleft
    push = todo.append
    fields_of = CHILD_FIELDS
    AST = ast.AST
    while todo:
        current = pop()
        node_type = type(current)
        fields = fields_of.get(node_type)
        if fields is None:
            fields = child_fields(node_type)
        for name in fields:
            value = getattr(current, name, None)
            if value is None:
                continue
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
        yield current


def nodes_of_types(node: ast.AST, types: tuple[type, ...]) -> list[ast.AST]:
    """The nodes of the given types under `node`, in `ast.walk` order."""
    return [n for n in walk(node) if type(n) in types]


def nodes_on_lines(tree: ast.AST, lines: set[int], types: tuple[type, ...]) -> list[ast.AST]:
    """The nodes of `types` under `tree` that span one of `lines`: the walk goes only into the nodes that span one
    (a search for the uses of a few names, whose lines a text search found, need not visit the whole file)."""
    if not lines:
        return []
    ordered = sorted(lines)
    found: list[ast.AST] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        start = getattr(node, "lineno", None)
        if start is not None:
            end = getattr(node, "end_lineno", None) or start
            at = bisect_left(ordered, start)  # the first wanted line at or after the node's first line
            if at == len(ordered) or ordered[at] > end:
                continue
        if isinstance(node, types):
            found.append(node)
        pending.extend(iter_children(node))
    return found


def parent_map(tree: ast.AST, parents: dict[int, ast.AST] | None = None) -> dict[int, ast.AST]:
    """id(child) -> parent for every node under `tree` (contexts and operators excepted)."""
    parents = {} if parents is None else parents
    stack = [tree]
    pop = stack.pop
    push = stack.append
    fields_of = CHILD_FIELDS
    AST = ast.AST
    while stack:
        current = pop()
        node_type = type(current)
        fields = fields_of.get(node_type)
        if fields is None:
            fields = child_fields(node_type)
        for name in fields:
            value = getattr(current, name, None)
            if value is None:
                continue
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        parents[id(item)] = current
                        push(item)
            elif isinstance(value, AST):
                parents[id(value)] = current
                push(value)
    return parents


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def scope_nodes(scope: ast.AST, *, signature: bool = True, into_body_definitions: bool = False) -> Iterator[ast.AST]:
    """The nodes of a function's, lambda's or module's own code, in source order (pre-order), not
    descending into nested functions, lambdas and classes (those nodes are yielded, not their insides).

    `signature`: start from every child of `scope` (a function's parameters, their defaults and
    annotations, its body, decorators and return annotation); else from its body alone (a lambda's
    body expression). `into_body_definitions`: do descend into the functions and classes defined
    directly in that body (not in its nested blocks): the size helpers (rules/_sizes.py) have always
    read them as part of the enclosing function, and their results must not change in a move.
    """
    if signature:
        roots = list(iter_children(scope))
    elif type(scope) is ast.Lambda:
        roots = [scope.body]
    else:
        roots = list(getattr(scope, "body", None) or ())
    entered = {id(root) for root in roots} if into_body_definitions else None
    stack = roots[::-1]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _NESTED_SCOPES) and (entered is None or id(node) not in entered):
            continue
        children = list(iter_children(node))
        children.reverse()
        stack.extend(children)
