"""Where a name gets its values: every binding of every name among some nodes of a scope.

One collector, `bindings_in(nodes)`, records each binding with its `Role` (how the name is bound)
and, where the code shows it, the value. The helpers that follow a name back to what it was
assigned read it through their own view (rules/_export_call.py: the bindings before an export
call; rules/_sizes.py: the values of a local size; rules/_dtypes.py: the values of a local tensor;
the runner's export-site pre-pass: the constructor of the exported model), each deciding which
roles it can follow and which make the name unknown. Which nodes count as the scope is the
caller's choice (`traversal.scope_nodes`, or `ast.walk` of the whole scope).
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from onnxlint.analysis.traversal import walk


class Role(enum.Enum):
    """How a binding binds its name."""

    WHOLE = "whole"  # `name = value`, `name: T = value` (value None when not given), `(name := value)`
    UNPACKED = "unpacked"  # `a, name = value`: `position` is the name's index in the target
    STARRED = "starred"  # `a, *name = value`
    INSIDE = "inside"  # a name elsewhere in an assignment target: `name[i] = v`, `name.x = v`, `(a, name), b = v`
    AUGMENTED = "augmented"  # `name += v`
    AUGMENTED_INSIDE = "augmented inside"  # a name in another augmented target: `name[i] += v`
    LOOP = "loop"  # a `for` or comprehension target
    WITH = "with"  # `with ... as name` (the node: the `withitem`)
    IMPORT = "import"  # `import name`, `from m import x as name`
    DEFINITION = "definition"  # `def name`, `class name`
    EXCEPT = "except"  # `except E as name`


@dataclass(frozen=True)
class Binding:
    """One binding of a name: the node that binds it, how, and the value when the code shows it
    (`WHOLE`: the value bound; `UNPACKED`, `STARRED`, `INSIDE`: the assigned value the target takes apart)."""

    node: ast.AST
    role: Role
    value: ast.expr | None = None
    position: int | None = None  # UNPACKED: the index in the unpacking target


def bindings_in(nodes: Iterable[ast.AST]) -> dict[str, list[Binding]]:
    """name -> its bindings among `nodes`, in the order of `nodes`."""
    found: dict[str, list[Binding]] = {}

    def add(name: str, binding: Binding) -> None:
        entries = found.get(name)
        if entries is None:
            found[name] = [binding]
        else:
            entries.append(binding)

    def add_names(target: ast.AST, binding: Binding) -> None:
        for node in walk(target):
            if type(node) is ast.Name:
                add(node.id, binding)

    for node in nodes:
        node_type = type(node)
        if node_type is ast.Assign:
            value = node.value  # type: ignore[attr-defined]
            for target in node.targets:  # type: ignore[attr-defined]
                target_type = type(target)
                if target_type is ast.Name:
                    add(target.id, Binding(node, Role.WHOLE, value))
                elif target_type is ast.Tuple or target_type is ast.List:
                    for position, element in enumerate(target.elts):
                        element_type = type(element)
                        if element_type is ast.Name:
                            add(element.id, Binding(node, Role.UNPACKED, value, position))
                        elif element_type is ast.Starred:
                            add_names(element, Binding(node, Role.STARRED, value))
                        else:
                            add_names(element, Binding(node, Role.INSIDE, value))
                else:
                    add_names(target, Binding(node, Role.INSIDE, value))
        elif node_type is ast.AnnAssign:
            target = node.target  # type: ignore[attr-defined]
            if type(target) is ast.Name:
                add(target.id, Binding(node, Role.WHOLE, node.value))  # type: ignore[attr-defined]
        elif node_type is ast.AugAssign:
            target = node.target  # type: ignore[attr-defined]
            if type(target) is ast.Name:
                add(target.id, Binding(node, Role.AUGMENTED))
            else:
                add_names(target, Binding(node, Role.AUGMENTED_INSIDE))
        elif node_type is ast.For or node_type is ast.AsyncFor or node_type is ast.comprehension:
            add_names(node.target, Binding(node, Role.LOOP))  # type: ignore[attr-defined]
        elif node_type is ast.withitem:
            variable = node.optional_vars  # type: ignore[attr-defined]
            if variable is not None:
                add_names(variable, Binding(node, Role.WITH))
        elif node_type is ast.NamedExpr:
            add(node.target.id, Binding(node, Role.WHOLE, node.value))  # type: ignore[attr-defined]
        elif node_type is ast.Import or node_type is ast.ImportFrom:
            for alias in node.names:  # type: ignore[attr-defined]
                add(alias.asname or alias.name.split(".")[0], Binding(node, Role.IMPORT))
        elif node_type is ast.FunctionDef or node_type is ast.AsyncFunctionDef or node_type is ast.ClassDef:
            add(node.name, Binding(node, Role.DEFINITION))  # type: ignore[attr-defined]
        elif node_type is ast.ExceptHandler and node.name:  # type: ignore[attr-defined]
            add(node.name, Binding(node, Role.EXCEPT))  # type: ignore[attr-defined]
    return found


def parameter_defaults(function: ast.AST) -> list[tuple[ast.arg, ast.expr]]:
    """(parameter, default) for each parameter of a function or lambda that has a default, positional ones
    first; none for anything else."""
    arguments = getattr(function, "args", None)
    if type(arguments) is not ast.arguments:
        return []
    positional = [*arguments.posonlyargs, *arguments.args]
    pairs = list(zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults))
    pairs += [(argument, default) for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults) if default]
    return pairs


def parameter_names(function: ast.AST) -> list[str]:
    """The parameters of a function or lambda, in order (positional-only, positional, keyword-only,
    `*args`, `**kwargs`); none for anything else."""
    if type(function) not in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
        return []
    arguments = function.args  # type: ignore[attr-defined]
    names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
    names.extend(extra.arg for extra in (arguments.vararg, arguments.kwarg) if extra is not None)
    return names
