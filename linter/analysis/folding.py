"""What a constructor's options hold once it has normalised them, folded from the code without running it.

Constructors often turn an option's default into the value the module really uses: kornia's `RANSAC` takes
`local_optimization=None` and sets it to `"lm"` when `model_type in _LM_MODELS`, and passes `degensac=False` through
`_resolve_degensac(degensac, model_type, local_optimization)`, which returns it unchanged. `rebound_parameter_values`
follows such top-level code with the options' defaults: the branches those values decide, module-level literal
constants (`_LM_MODELS = ("homography", ...)`) and calls of the module's own functions (`fold_call`: their checks that
raise are skipped, an early `return` the arguments decide is taken). Anything else is unknown: a name bound where the
path is not decided, or to a value that is not a literal, is left out. Syntax only; nothing is run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from onnxlint.analysis.bindings import parameter_defaults
from onnxlint.analysis.calls import NOT_LITERAL, literal_value
from onnxlint.analysis.reachability import COMPARISONS

UNKNOWN: Any = object()
_MAX_DEPTH = 3  # calls folded inside one another
_LITERAL_TYPES = (type(None), bool, int, float, str)

_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    **COMPARISONS,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


class ModuleFolder:
    """The module-level literal constants and functions of one module, to fold expressions and calls with."""

    def __init__(self, module: ast.Module) -> None:
        self.constants: dict[str, object] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        assigned: dict[str, int] = {}
        for statement in module.body:
            if type(statement) is ast.FunctionDef:
                self.functions[statement.name] = statement
            elif type(statement) in (ast.Assign, ast.AnnAssign):
                targets = statement.targets if type(statement) is ast.Assign else [statement.target]  # type: ignore[attr-defined]
                for target in targets:
                    if type(target) is ast.Name:
                        assigned[target.id] = assigned.get(target.id, 0) + 1
                        value = getattr(statement, "value", None)
                        folded = _constant(value) if value is not None else NOT_LITERAL
                        if folded is not NOT_LITERAL:
                            self.constants[target.id] = folded
        # A name the module binds twice (`X = None`, then `X = load()` elsewhere) holds no one value.
        self.constants = {name: value for name, value in self.constants.items() if assigned.get(name) == 1}

    def value(self, expr: ast.expr | None, env: Mapping[str, object], depth: int = 0) -> object:
        """The value of `expr` with the names of `env` and the module's constants, or `UNKNOWN`."""
        expr_type = type(expr)
        if expr is None:
            return UNKNOWN
        if expr_type is ast.Constant:
            return expr.value  # type: ignore[attr-defined]
        if expr_type is ast.Name:
            name = expr.id  # type: ignore[attr-defined]
            return env[name] if name in env else self.constants.get(name, UNKNOWN)
        if expr_type in (ast.Tuple, ast.List):
            items = [self.value(e, env, depth) for e in expr.elts]  # type: ignore[attr-defined]
            return UNKNOWN if any(item is UNKNOWN for item in items) else tuple(items)
        if expr_type is ast.UnaryOp and type(expr.op) is ast.Not:  # type: ignore[attr-defined]
            inner = self.value(expr.operand, env, depth)  # type: ignore[attr-defined]
            return UNKNOWN if inner is UNKNOWN else not inner
        if expr_type is ast.BoolOp:
            return self._bool_op(expr, env, depth)  # type: ignore[arg-type]
        if expr_type is ast.Compare and len(expr.ops) == 1:  # type: ignore[attr-defined]
            compare = _COMPARISONS.get(type(expr.ops[0]))  # type: ignore[attr-defined]
            left = self.value(expr.left, env, depth)  # type: ignore[attr-defined]
            right = self.value(expr.comparators[0], env, depth)  # type: ignore[attr-defined]
            if compare is None or left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            try:
                return bool(compare(left, right))
            except TypeError:  # `None < 1`, `"a" in 3`
                return UNKNOWN
        if expr_type is ast.IfExp:
            test = self.value(expr.test, env, depth)  # type: ignore[attr-defined]
            if test is UNKNOWN:
                return UNKNOWN
            return self.value(expr.body if test else expr.orelse, env, depth)  # type: ignore[attr-defined]
        if expr_type is ast.Call:
            return self._call(expr, env, depth)  # type: ignore[arg-type]
        return UNKNOWN

    def _bool_op(self, expr: ast.BoolOp, env: Mapping[str, object], depth: int) -> object:
        is_and = type(expr.op) is ast.And
        result: object = UNKNOWN
        for operand in expr.values:
            result = self.value(operand, env, depth)
            if result is UNKNOWN:
                return UNKNOWN
            if bool(result) is not is_and:  # `and` stops at the first false operand, `or` at the first true one
                return result
        return result

    def _call(self, call: ast.Call, env: Mapping[str, object], depth: int) -> object:
        if type(call.func) is not ast.Name or depth >= _MAX_DEPTH:
            return UNKNOWN
        callee = self.functions.get(call.func.id)
        if callee is None or any(type(a) is ast.Starred for a in call.args):
            return UNKNOWN
        arguments = callee.args
        positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
        if len(call.args) > len(positional):
            return UNKNOWN
        bound: dict[str, object] = {}
        for argument, default in parameter_defaults(callee):
            folded = literal_value(default)
            bound[argument.arg] = UNKNOWN if folded is NOT_LITERAL else folded
        for name, passed in zip(positional, call.args, strict=False):
            bound[name] = self.value(passed, env, depth)
        for keyword in call.keywords:
            if keyword.arg is None:
                return UNKNOWN
            bound[keyword.arg] = self.value(keyword.value, env, depth)
        return self.fold_call(callee, bound, depth + 1)

    def fold_call(self, function: ast.FunctionDef, env: dict[str, object], depth: int = 0) -> object:
        """What `function` returns with its parameters bound as in `env`, when its top-level statements show it:
        checks that raise are skipped (a raise returns nothing), an `if` the values decide is taken, locals are
        followed; a statement of any other kind, or a test the values do not decide before a `return`, is unknown."""
        env = dict(env)
        for statement in function.body:
            kind = type(statement)
            if kind is ast.Expr or kind is ast.Pass:
                continue
            if kind is ast.If and _only_raises(statement):  # type: ignore[arg-type]
                continue
            if kind is ast.Return:
                return self.value(statement.value, env, depth)  # type: ignore[attr-defined]
            if kind is ast.If:
                test = self.value(statement.test, env, depth)  # type: ignore[attr-defined]
                if test is UNKNOWN:
                    return UNKNOWN
                returned = self._fold_block(statement.body if test else statement.orelse, env, depth)  # type: ignore[attr-defined]
                if returned is not _FELL_THROUGH:
                    return returned
                continue
            if kind is ast.Assign and len(statement.targets) == 1 and type(statement.targets[0]) is ast.Name:  # type: ignore[attr-defined]
                env[statement.targets[0].id] = self.value(statement.value, env, depth)  # type: ignore[attr-defined]
                continue
            return UNKNOWN
        return None  # falls off the end

    def _fold_block(self, body: list[ast.stmt], env: dict[str, object], depth: int) -> object:
        """A branch of `fold_call`: a single `return` gives its value; an empty branch falls through."""
        if not body:
            return _FELL_THROUGH
        if len(body) == 1 and type(body[0]) is ast.Return:
            return self.value(body[0].value, env, depth)
        return UNKNOWN


_FELL_THROUGH: Any = object()


def _constant(expr: ast.expr) -> object:
    """A literal (`literal_value`), or a tuple or list of literals as a tuple; else `NOT_LITERAL`."""
    if type(expr) in (ast.Tuple, ast.List):
        items = [literal_value(element) for element in expr.elts]  # type: ignore[attr-defined]
        return NOT_LITERAL if any(item is NOT_LITERAL for item in items) else tuple(items)
    return literal_value(expr)


def _only_raises(statement: ast.If) -> bool:
    """`if <check>: raise ...` with no `else`: a check that stops the call, never a value."""
    return not statement.orelse and bool(statement.body) and type(statement.body[-1]) is ast.Raise


def rebound_parameter_values(
    function: ast.FunctionDef, initial: Mapping[str, object], folder: ModuleFolder
) -> dict[str, object]:
    """What the names of `initial` hold after the top-level statements of `function` (a constructor normalising its
    options), starting from those values: assignments on the path those values decide, with `folder`'s constants and
    functions. Only names that end at a literal (None, a bool, a number, a string) are returned."""
    env: dict[str, object] = dict(initial)

    def forget(statements: list[ast.stmt]) -> None:
        for statement in statements:
            for node in ast.walk(statement):
                if type(node) is ast.Name and type(node.ctx) is not ast.Load and node.id in env:
                    env[node.id] = UNKNOWN

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            kind = type(statement)
            if kind is ast.If and _only_raises(statement):  # type: ignore[arg-type]
                continue
            if kind is ast.If:
                test = folder.value(statement.test, env)  # type: ignore[attr-defined]
                if test is UNKNOWN:
                    forget([statement])
                else:
                    visit(statement.body if test else statement.orelse)  # type: ignore[attr-defined]
            elif kind is ast.Assign and len(statement.targets) == 1 and type(statement.targets[0]) is ast.Name:  # type: ignore[attr-defined]
                name = statement.targets[0].id  # type: ignore[attr-defined]
                env[name] = folder.value(statement.value, env)  # type: ignore[attr-defined]
            else:
                forget([statement])

    visit(function.body)
    return {
        name: value
        for name, value in env.items()
        if name in initial and value is not UNKNOWN and type(value) in _LITERAL_TYPES
    }
