"""Helpers shared by the numerics and semantics rules (ONX402-ONX408).

- `training_only(context, node)`: whether code only runs while the module trains (`if
  self.training:` bodies, code after `if not training: return x`, the right side of `self.training
  and ...`). A model is exported in eval mode (ONX503 checks the script), so such code is not part
  of the exported graph.
- Small text helpers for fixes: parenthesizing an operand, the torch spelling of the file.
"""

from __future__ import annotations

import ast

from onnxlint.rules.api import FileContext, after_early_exit

# (test true => training, test false => training)
_Polarity = tuple[bool, bool]
_NEUTRAL: _Polarity = (False, False)


def _polarity(test: ast.AST) -> _Polarity:
    test_type = type(test)
    if test_type is ast.Attribute and test.attr == "training":  # type: ignore[attr-defined]
        return (True, False)
    if test_type is ast.Name and test.id in ("training", "is_training"):  # type: ignore[attr-defined]
        return (True, False)
    if test_type is ast.UnaryOp and type(test.op) is ast.Not:  # type: ignore[attr-defined]
        when_true, when_false = _polarity(test.operand)  # type: ignore[attr-defined]
        return (when_false, when_true)
    if test_type is ast.BoolOp:
        parts = [_polarity(value) for value in test.values]  # type: ignore[attr-defined]
        if type(test.op) is ast.And:  # type: ignore[attr-defined]
            # all true => each conjunct true; false => at least one false
            return (any(p[0] for p in parts), all(p[1] for p in parts))
        return (all(p[0] for p in parts), any(p[1] for p in parts))
    return _NEUTRAL


def training_only(context: FileContext, node: ast.AST, _depth: int = 0) -> bool:
    """True when `node` can only run while the module is in training mode.

    Within the function, and across calls: a function of this file that model code only calls
    from training-only code (`if self.training: mask = self.random_mask(x)`) is training-only.
    """
    text = context.source.text
    if "training" not in text:
        return False
    child = node
    parent = context.parent(node)
    while parent is not None:
        parent_type = type(parent)
        if parent_type is ast.If or parent_type is ast.IfExp:
            test = parent.test  # type: ignore[attr-defined]
            if child is not test:
                when_true, when_false = _polarity(test)
                in_body = child is parent.body if parent_type is ast.IfExp else child in parent.body  # type: ignore[attr-defined]
                if (in_body and when_true) or (not in_body and when_false):
                    return True
        elif parent_type is ast.BoolOp and child in parent.values:  # type: ignore[attr-defined]
            values = parent.values  # type: ignore[attr-defined]
            is_and = type(parent.op) is ast.And  # type: ignore[attr-defined]
            for value in values[: values.index(child)]:
                when_true, when_false = _polarity(value)
                # `a and <node>`: node runs when a is true; `a or <node>`: when a is false.
                if (is_and and when_true) or (not is_and and when_false):
                    return True
        if isinstance(child, ast.stmt) and after_early_exit(parent, child, lambda test: _polarity(test)[1]):
            return True
        if parent_type in (ast.FunctionDef, ast.AsyncFunctionDef):
            return _only_called_in_training(context, parent, _depth)
        if parent_type in (ast.Lambda, ast.ClassDef, ast.Module):
            return False
        child, parent = parent, context.parent(parent)
    return False


def _only_called_in_training(context: FileContext, function: ast.AST, depth: int) -> bool:
    if depth >= 3:
        return False
    info = context.model.function_info(function)
    if info is None or (info.owner is not None and info.name == "forward"):
        return False
    sites = context.model.call_sites(info)
    return bool(sites) and all(training_only(context, call, depth + 1) for _, call in sites)


# -- text helpers -------------------------------------------------------------------------------

_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set)


def operand_text(context: FileContext, node: ast.AST) -> str:
    """The source of `node`, parenthesized unless it is an atom (safe as an operand of `|`, `.`)."""
    text = context.source.segment(node)
    if isinstance(node, _ATOMS) and not (type(node) is ast.Tuple and not text.startswith("(")):
        return text
    return f"({text})"


def needs_parentheses_in(context: FileContext, node: ast.AST) -> bool:
    """Whether a `|` / `&` expression replacing `node` needs parentheses where `node` stands."""
    parent = context.parent(node)
    if parent is None:
        return False
    if type(parent) is ast.BinOp:
        return True
    if type(parent) is ast.UnaryOp:
        return True
    if type(parent) is ast.Attribute:
        return True
    if type(parent) is ast.Subscript and parent.value is node:
        return True
    if type(parent) is ast.Call and parent.func is node:
        return True
    return type(parent) is ast.Await
