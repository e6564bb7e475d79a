"""Reading a call's arguments from the syntax tree: by position or by keyword, and literal values."""

from __future__ import annotations

import ast


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    for item in call.keywords:
        if item.arg == name:
            return item
    return None


def argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    """An argument given by position or by keyword (None when absent)."""
    if position < len(call.args) and not any(type(a) is ast.Starred for a in call.args[: position + 1]):
        return call.args[position]
    found = keyword(call, name)
    return found.value if found is not None else None


def has_unpacking(call: ast.Call) -> bool:
    """`*args` or `**kwargs` in the call: arguments the source does not show."""
    return any(type(a) is ast.Starred for a in call.args) or any(k.arg is None for k in call.keywords)


def literal_int(expr: ast.AST, *, negative: bool = False) -> int | None:
    """The value of an integer literal (`3`; with `negative`, also `-3`), else None (a bool is not one)."""
    if type(expr) is ast.Constant and type(expr.value) is int:
        return expr.value
    if negative and type(expr) is ast.UnaryOp and type(expr.op) is ast.USub:
        inner = literal_int(expr.operand, negative=True)
        return None if inner is None else -inner
    return None


NOT_LITERAL = object()


def literal_value(expr: ast.AST) -> object:
    """The value of a literal None, bool, number (`-1` too) or string, else `NOT_LITERAL`."""
    if type(expr) is ast.Constant and (expr.value is None or type(expr.value) in (bool, int, float, str)):
        return expr.value
    if type(expr) is ast.UnaryOp and type(expr.op) is ast.USub and type(expr.operand) is ast.Constant:
        value = expr.operand.value
        if type(value) is int or type(value) is float:
            return -value  # `max_keypoints: int = -1`
    return NOT_LITERAL
