"""ONX201's `torch.cond` rewrite: a data-dependent `if` whose branches are straight-line assignments.

```python
if x.sum() > 0:                                  def true_branch(x):
    h = self.a(x)                                    h = self.a(x)
    y = h * 2                            ->          y = h * 2
else:                                                return y
    y = self.b(x) - 1                            def false_branch(x):
                                                     y = self.b(x) - 1
                                                     return y
                                                 y = torch.cond(x.sum() > 0, true_branch, false_branch, (x,))
```

Offered (always `unsafe`, by tensor_condition.py when its `torch.where` rewrite is not) only when:

* the exporter is the dynamo one: the TorchScript exporter cannot trace `torch.cond` (measured on
  torch 2.13: "Detected that you are using FX to torch.jit.trace a dynamo-optimized function");
* the condition is a tensor that is proven to hold one element and be a bool (`x.sum() > 0`,
  `mask.any()`, `(x > 0).all()`, `s > t` of two reductions, `&`/`|`/`~` of those, a local name
  bound only to such values): `torch.cond` rejects any other predicate;
* each branch holds only assignments to plain names (no attribute or subscript stores, no `+=`,
  no `return`/`raise`/loops/nested `if`/`with`, no call of an in-place method, a list or dict
  mutator, `print`, a logger, `.item()`/`.tolist()`/`.numpy()`/`.nonzero()`/`.unique()`);
* every name that lives on after the `if` (read anywhere else in the function) is assigned by both
  branches or was bound before the `if`: a branch that does not assign it (or a missing `else`)
  returns its old value; a name only one branch assigns and nothing else reads stays a local of
  its branch, and a live name one branch assigns that is not bound before gets no fix;
* every live name is a tensor, and so is the condition: what the rule's `torch.where` rewrite
  asks of its values (`_applicability`); unknown facts leave only the suggestion.

The tensors the branches read before assigning are the operands (`torch.cond` passes the same
operands to both functions); other names (`self`, sizes, modules) are read from the closure. A
name a branch both reads first and assigns must be a tensor operand, else no fix. Outputs are
returned with `.clone()` unless the value is fresh arithmetic: `torch.cond` refuses, in eager
mode too (measured), a branch output that aliases an input or another output (`return y`,
`x[:, :2]`, `x.float()` of a float tensor, `self.dropout(x)` in eval mode).
"""

from __future__ import annotations

import ast
import textwrap
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from onnxlint.rules.api import (
    Applicability,
    Edit,
    FileContext,
    Kind,
    Location,
    comments_in,
    ensure_torch,
    module_insertions,
)

from ._fix_branch_free_pad import is_elif
from ._sizes import local_values

if TYPE_CHECKING:
    import libcst as cst

# Full reductions: one element when called with no dim.
_REDUCTIONS = frozenset(
    {"sum", "mean", "max", "min", "amax", "amin", "prod", "norm", "std", "var", "median", "nansum", "nanmean"}
)
_BOOL_REDUCTIONS = frozenset({"any", "all"})
# Elementwise methods / torch functions: a one-element tensor stays one.
_ELEMENTWISE = frozenset(
    {
        "abs", "neg", "float", "double", "half", "bfloat16", "int", "long", "bool", "detach", "clone",
        "exp", "log", "sqrt", "rsqrt", "sigmoid", "tanh", "relu", "square", "reciprocal",
        "isnan", "isinf", "isfinite", "logical_not",
    }
)  # fmt: skip
# torch functions whose result is always a new tensor (never one of their arguments or a view).
_ALLOCATING = frozenset(
    {
        "zeros", "ones", "full", "empty", "rand", "randn", "arange", "linspace", "zeros_like", "ones_like",
        "full_like", "empty_like", "cat", "stack", "where", "matmul", "bmm", "einsum", "tensor",
    }
)  # fmt: skip
_BOOL_RESULTS = frozenset({"bool", "isnan", "isinf", "isfinite", "logical_not"})
_LINE_LENGTH = 100  # a longer `torch.cond(...)` line is split, one argument a line
_KEYWORDS_KEPT = frozenset({"dtype"})  # `x.sum(dtype=...)` is still a full reduction

# Calls a branch must not make: they mutate, print, read a value out of a tensor (which
# `torch.cond`'s tracing of the branch rejects), or give a data-dependent shape.
_MUTATORS = frozenset(
    {
        "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem", "add",
        "discard", "sort", "reverse", "register_buffer", "register_parameter", "write",
    }
)  # fmt: skip
_UNTRACEABLE_METHODS = frozenset({"item", "tolist", "numpy", "nonzero", "unique", "masked_select", "cpu", "backward"})
# `super()` needs the method's own frame: it fails inside the nested branch functions.
_IMPURE_FUNCTIONS = frozenset(
    {"print", "setattr", "delattr", "exec", "eval", "input", "open", "globals", "locals", "vars", "super"}
)
_LOGGERS = frozenset({"logger", "logging", "log", "warnings", "LOGGER", "_logger"})

Applicable = Callable[[ast.expr, list[ast.expr]], "Applicability | None"]


def torch_cond_fix(
    context: FileContext, node: ast.If, applicability: Applicable
) -> tuple[list[Edit], Applicability] | None:
    """The edits rewriting `node` to `torch.cond`, with `applicability` of the facts (None: no fix)."""
    if context.kind(node.test) is not Kind.TENSOR or not context.export_config_for(node.test).is_dynamo:
        return None
    if not scalar_bool(context, node.test) or any(type(n) is ast.NamedExpr for n in ast.walk(node.test)):
        return None
    if any(type(n) is ast.Constant and isinstance(n.value, str) and n.lineno != n.end_lineno for n in ast.walk(node)):
        return None  # re-indenting would change a multi-line string
    if is_elif(context, node) or (len(node.orelse) == 1 and type(node.orelse[0]) is ast.If):
        return None
    function = _enclosing_function(context, node)
    if function is None:
        return None
    branches = [node.body, node.orelse]
    reads: list[dict[str, ast.Name]] = []
    assigned: list[dict[str, ast.AST]] = []
    for block in branches:
        found = _straight_line(block)
        if found is None:
            return None
        reads.append(found[0])
        assigned.append(found[1])
    if _declared_outside(function, set(assigned[0]) | set(assigned[1])):
        return None

    inside = {id(n) for block in branches for statement in block for n in ast.walk(statement)}
    read_elsewhere = {
        n.id for n in ast.walk(function) if type(n) is ast.Name and type(n.ctx) is ast.Load and id(n) not in inside
    }
    live = [name for name in _ordered(assigned[0], assigned[1]) if name in read_elsewhere]
    if not live:
        return None
    # A live name that a branch does not assign keeps, on that path, the value it had before the `if`
    # (an `if` without `else` assigns nothing on the other path): it must be bound before the `if`.
    missing = [name for name in live if name not in assigned[0] or name not in assigned[1]]
    if not all(_bound_before(context, function, node, name) for name in missing):
        return None  # a name only one branch binds: unbound on the other path

    # Facts: the condition and every output a tensor.
    values: list[ast.expr] = []
    for index in range(2):
        for name in live:
            if name in assigned[index]:
                value = _output_value(assigned[index][name])
                if context.kind(value) is not Kind.TENSOR:
                    return None
                values.append(value)
    for name in missing:
        old = reads[0].get(name) or reads[1].get(name) or ast.Name(id=name, ctx=ast.Load())
        if context.kind(old) is not Kind.TENSOR:
            return None  # `None` before the `if`, or a Python value: `torch.cond` returns tensors only
        values.append(old)
    verdict = applicability(node.test, values)
    if verdict is None:
        return None

    # Operands: the tensors read before being assigned (and the old values kept); the rest is closure.
    operands: list[str] = []
    for index, block_reads in enumerate(reads):
        for name, first in block_reads.items():
            if name in operands:
                continue
            if context.kind(first) is Kind.TENSOR:
                operands.append(name)
            elif name in assigned[index]:
                return None  # read and rebound inside the branch, but no tensor to pass in
    operands += [name for name in live if name in missing and name not in operands]

    true_name, false_name = _fresh_names(context)
    torch_name, imports = ensure_torch(context)
    fresh = [
        {name: _is_fresh(context, assigned[index][name]) for name in live if name in assigned[index]}
        for index in range(2)
    ]
    unit = _indent_unit(context, node)

    import libcst as cst  # only when a fix is built

    def build(statement: cst.BaseStatement) -> str:
        assert isinstance(statement, cst.If)
        params = cst.Parameters([cst.Param(cst.Name(name)) for name in operands])

        def returned(index: int) -> cst.SimpleStatementLine:
            elements = []
            for name in live:
                value: cst.BaseExpression = cst.Name(name)
                if not fresh[index].get(name, False):
                    value = cst.Call(cst.Attribute(cst.Name(name), cst.Name("clone")))
                elements.append(value)
            result = (
                elements[0] if len(elements) == 1 else cst.Tuple([cst.Element(e) for e in elements], lpar=[], rpar=[])
            )
            return cst.SimpleStatementLine([cst.Return(result)])

        def function_def(name: str, block: cst.BaseSuite | None, index: int) -> cst.FunctionDef:
            lines: list[cst.BaseStatement] = _block_statements(block) if block is not None else []
            return cst.FunctionDef(
                name=cst.Name(name), params=params, body=cst.IndentedBlock([*lines, returned(index)])
            )

        orelse = statement.orelse.body if isinstance(statement.orelse, cst.Else) else None
        targets = [cst.Element(cst.Name(name)) for name in live]
        target: cst.BaseAssignTargetExpression = (
            cst.Name(live[0]) if len(live) == 1 else cst.Tuple(targets, lpar=[], rpar=[])
        )
        operand_tuple = cst.Tuple([cst.Element(cst.Name(name)) for name in operands])
        call = cst.Call(
            func=cst.Attribute(cst.Name(torch_name), cst.Name("cond")),
            args=[
                cst.Arg(
                    statement.test.with_changes(lpar=[], rpar=[])
                    if _redundant_parens(statement.test)
                    else statement.test
                ),
                cst.Arg(cst.Name(true_name)),
                cst.Arg(cst.Name(false_name)),
                cst.Arg(operand_tuple),
            ],
        )
        definitions = cst.Module(
            [function_def(true_name, statement.body, 0), function_def(false_name, orelse, 1)], default_indent=unit
        ).code
        assignment = _code(cst.Assign([cst.AssignTarget(target)], call))
        if "\n" not in assignment and len(context.source.indentation(node.lineno)) + len(assignment) > _LINE_LENGTH:
            arguments = "".join(f"{unit}{_code(argument.value)},\n" for argument in call.args)
            assignment = f"{_code(target)} = {_code(call.func)}(\n{arguments})"
        code = definitions + assignment + "\n"
        original = Counter(comments_in(cst.Module([], default_indent=unit).code_for_node(statement)))
        hoisted = list((original - Counter(comments_in(code))).elements())
        return "".join(f"{comment}\n" for comment in hoisted) + code

    end = _line_end(context, node)
    try:
        replacement = _render(context, node, end, build)
    except (cst.ParserSyntaxError, AttributeError, IndexError, AssertionError, TypeError):
        return None
    edits = [Edit(Location(node.lineno, 1), end, replacement)]
    edits += module_insertions(context, imports)
    return edits, verdict


# -- the predicate ------------------------------------------------------------------------------


def scalar_bool(context: FileContext, expr: ast.expr, depth: int = 0) -> bool:
    """Whether `expr` is proven a one-element bool tensor (what `torch.cond` takes as its predicate)."""
    if depth > 4:
        return False
    expr_type = type(expr)
    if expr_type is ast.Compare:
        if len(expr.ops) != 1 or type(expr.ops[0]) in (ast.Is, ast.IsNot, ast.In, ast.NotIn):  # type: ignore[attr-defined]
            return False
        sides = [expr.left, expr.comparators[0]]  # type: ignore[attr-defined]
        return all(_scalar_operand(context, side, depth) for side in sides) and any(
            _one_element(context, side, depth) for side in sides
        )
    if expr_type is ast.BinOp and type(expr.op) in (ast.BitAnd, ast.BitOr, ast.BitXor):  # type: ignore[attr-defined]
        return scalar_bool(context, expr.left, depth + 1) and scalar_bool(context, expr.right, depth + 1)  # type: ignore[attr-defined]
    if expr_type is ast.UnaryOp:
        return type(expr.op) is ast.Invert and scalar_bool(context, expr.operand, depth + 1)  # type: ignore[attr-defined]
    if expr_type is ast.Call:
        method, receiver, others = _method(context, expr)  # type: ignore[arg-type]
        if receiver is None:
            return False
        if method in _BOOL_REDUCTIONS:
            return context.kind(receiver) is Kind.TENSOR and _full_reduction(expr, others)  # type: ignore[arg-type]
        if method in _BOOL_RESULTS:
            return not others and _one_element(context, receiver, depth + 1)
        return False
    if expr_type is ast.Name:
        return _name_all(context, expr, depth, scalar_bool)  # type: ignore[arg-type]
    return False


def _one_element(context: FileContext, expr: ast.expr, depth: int = 0) -> bool:
    """A tensor proven to hold one element: a full reduction, elementwise functions and arithmetic of those."""
    if depth > 4 or context.kind(expr) is not Kind.TENSOR:
        return False
    expr_type = type(expr)
    if expr_type is ast.Compare or (expr_type is ast.BinOp and type(expr.op) in (ast.BitAnd, ast.BitOr, ast.BitXor)):  # type: ignore[attr-defined]
        return scalar_bool(context, expr, depth + 1)
    if expr_type is ast.BinOp:
        sides = [expr.left, expr.right]  # type: ignore[attr-defined]
        return all(_scalar_operand(context, side, depth + 1) for side in sides) and any(
            _one_element(context, side, depth + 1) for side in sides
        )
    if expr_type is ast.UnaryOp:
        return type(expr.op) in (ast.USub, ast.UAdd, ast.Invert) and _one_element(context, expr.operand, depth + 1)  # type: ignore[attr-defined]
    if expr_type is ast.Call:
        method, receiver, others = _method(context, expr)  # type: ignore[arg-type]
        if receiver is None:
            return False
        if method in _REDUCTIONS or method in _BOOL_REDUCTIONS:
            return context.kind(receiver) is Kind.TENSOR and _full_reduction(expr, others)  # type: ignore[arg-type]
        if method in _ELEMENTWISE:
            return not others and _one_element(context, receiver, depth + 1)
        return False
    if expr_type is ast.Name:
        return _name_all(context, expr, depth, _one_element)  # type: ignore[arg-type]
    return False


def _scalar_operand(context: FileContext, expr: ast.expr, depth: int) -> bool:
    """A one-element tensor or a Python number (a literal, a size, a Python value): never a bigger tensor."""
    if type(expr) is ast.Constant:
        return type(expr.value) in (int, float, bool)
    if type(expr) is ast.UnaryOp and type(expr.op) in (ast.USub, ast.UAdd) and type(expr.operand) is ast.Constant:
        return type(expr.operand.value) in (int, float)
    if context.kind(expr) in (Kind.DIM, Kind.PYTHON):
        return True
    return _one_element(context, expr, depth + 1)


def _method(context: FileContext, call: ast.Call) -> tuple[str | None, ast.expr | None, list[ast.expr]]:
    """(`sum`, `x`, the other positional arguments) for `x.sum(...)` and for `torch.sum(x, ...)`."""
    func = call.func
    name = context.call_name(call)
    if name is not None and name.startswith("torch.") and name.count(".") == 1:
        if not call.args or type(call.args[0]) is ast.Starred:
            return None, None, []
        return name[6:], call.args[0], list(call.args[1:])
    if type(func) is ast.Attribute and context.kind(func.value) is Kind.TENSOR:
        return func.attr, func.value, list(call.args)
    return None, None, []


def _full_reduction(call: ast.Call, others: list[ast.expr]) -> bool:
    """No dim: `x.sum()`, `torch.sum(x)`, `x.sum(dtype=torch.float32)`."""
    return not others and all(keyword.arg in _KEYWORDS_KEPT for keyword in call.keywords)


def _name_all(
    context: FileContext, name: ast.Name, depth: int, test: Callable[[FileContext, ast.expr, int], bool]
) -> bool:
    """Every value bound to a local name passes `test` (`cond = x.sum() > 0; if cond:`)."""
    values = local_values(context, name.id)
    return bool(values) and all(position is None and test(context, value, depth + 1) for value, position in values)


# -- the branches -------------------------------------------------------------------------------


def _straight_line(block: list[ast.stmt]) -> tuple[dict[str, ast.Name], dict[str, ast.AST]] | None:
    """(names read before being assigned, with their first read; names assigned, with their last
    assignment) when the block is only assignments of side-effect-free values to plain names."""
    reads: dict[str, ast.Name] = {}
    assigned: dict[str, ast.AST] = {}
    for statement in block:
        statement_type = type(statement)
        if statement_type is ast.Pass or (
            statement_type is ast.Expr and type(statement.value) is ast.Constant  # type: ignore[attr-defined]
        ):
            continue
        if statement_type is ast.Assign:
            targets = statement.targets  # type: ignore[attr-defined]
        elif statement_type is ast.AnnAssign and statement.value is not None:  # type: ignore[attr-defined]
            targets = [statement.target]  # type: ignore[attr-defined]
        else:
            return None
        value = statement.value  # type: ignore[attr-defined]
        if not _pure(value):
            return None
        for name in _loads(value):
            if name.id not in assigned and name.id not in reads:
                reads[name.id] = name
        for target in targets:
            names = _target_names(target)
            if names is None:
                return None
            for name in names:
                # A name bound from an unpacking keeps its Name node: the value model types it there.
                assigned[name.id] = statement if type(target) is ast.Name and len(targets) == 1 else name
    return reads, assigned


def _target_names(target: ast.expr) -> list[ast.Name] | None:
    if type(target) is ast.Name:
        return [target]
    if type(target) in (ast.Tuple, ast.List):
        found: list[ast.Name] = []
        for element in target.elts:  # type: ignore[attr-defined]
            names = _target_names(element)
            if names is None:
                return None
            found += names
        return found
    return None  # attribute, subscript or starred stores


def _loads(expr: ast.expr) -> list[ast.Name]:
    """Names `expr` reads, in source order, without the variables its comprehensions bind."""
    bound = {
        n.id
        for comprehension in ast.walk(expr)
        if type(comprehension) is ast.comprehension
        for n in ast.walk(comprehension.target)
        if type(n) is ast.Name
    }
    names = [n for n in ast.walk(expr) if type(n) is ast.Name and type(n.ctx) is ast.Load and n.id not in bound]
    return sorted(names, key=lambda n: (n.lineno, n.col_offset))


def _pure(expr: ast.expr) -> bool:
    for child in ast.walk(expr):
        child_type = type(child)
        if child_type in (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await, ast.Lambda):
            return False
        if child_type is ast.Call:
            func = child.func  # type: ignore[attr-defined]
            if type(func) is ast.Attribute:
                attr = func.attr
                if (
                    (attr.endswith("_") and not attr.endswith("__"))
                    or attr in _MUTATORS
                    or attr in _UNTRACEABLE_METHODS
                ):
                    return False
                if type(func.value) is ast.Name and func.value.id in _LOGGERS:
                    return False
            elif type(func) is ast.Name and func.id in _IMPURE_FUNCTIONS:
                return False
    return True


def _output_value(binding: ast.AST) -> ast.expr:
    """The expression whose kind is the output's: the assigned value, or the unpacked Name node."""
    if type(binding) in (ast.Assign, ast.AnnAssign):
        return binding.value  # type: ignore[attr-defined]
    assert isinstance(binding, ast.expr)
    return binding


def _is_fresh(context: FileContext, binding: ast.AST) -> bool:
    """A value that cannot alias an input or another output: arithmetic, or a torch function that
    allocates its result (`torch.zeros(...)`, `torch.cat(...)`)."""
    value = _output_value(binding)
    value_type = type(value)
    if value_type is ast.BinOp or (value_type is ast.UnaryOp and type(value.op) in (ast.USub, ast.Invert)):  # type: ignore[attr-defined]
        return True
    name = context.call_name(value)
    return name is not None and name.startswith("torch.") and name[6:] in _ALLOCATING


def _ordered(*mappings: dict[str, ast.AST]) -> list[str]:
    seen: list[str] = []
    for mapping in mappings:
        seen += [name for name in mapping if name not in seen]
    return seen


# -- the function around it ---------------------------------------------------------------------


def _enclosing_function(context: FileContext, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    parent = context.parent(node)
    while parent is not None:
        if type(parent) in (ast.FunctionDef, ast.AsyncFunctionDef):
            return parent  # type: ignore[return-value]
        if type(parent) in (ast.ClassDef, ast.Lambda, ast.Module):
            return None
        parent = context.parent(parent)
    return None


def _declared_outside(function: ast.AST, names: set[str]) -> bool:
    return any(
        type(n) in (ast.Global, ast.Nonlocal) and names.intersection(n.names)  # type: ignore[attr-defined]
        for n in ast.walk(function)
    )


def _bound_before(
    context: FileContext, function: ast.FunctionDef | ast.AsyncFunctionDef, node: ast.If, name: str
) -> bool:
    """A parameter, or a name assigned by a statement of the function that ends before the `if`."""
    arguments = function.args
    if any(a.arg == name for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)):
        return True
    for child in ast.walk(function):
        if type(child) is ast.Name and type(child.ctx) is ast.Store and child.id == name:
            if (child.end_lineno or 0) < node.lineno:
                return True
    return False


def _fresh_names(context: FileContext) -> tuple[str, str]:
    taken: set[str] = set()
    for n in ast.walk(context.tree):
        if isinstance(n, ast.Name):
            taken.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            taken.add(n.name)
        elif isinstance(n, ast.arg):
            taken.add(n.arg)
    suffix = ""
    counter = 1
    while f"true_branch{suffix}" in taken or f"false_branch{suffix}" in taken:
        counter += 1
        suffix = f"_{counter}"
    return f"true_branch{suffix}", f"false_branch{suffix}"


def _indent_unit(context: FileContext, node: ast.If) -> str:
    """The file's indentation step, read from the `if` to its body."""
    outer = context.source.indentation(node.lineno)
    inner = context.source.indentation(node.body[0].lineno)
    if inner.startswith(outer) and len(inner) > len(outer):
        return inner[len(outer) :]
    return "    "


def _line_end(context: FileContext, node: ast.stmt) -> Location:
    """The end of the statement, or of its last line when only a comment follows it there
    (`y = b  # note` on the last line moves with its statement)."""
    end = context.source.end_of(node)
    rest = context.source.line(end.row)[end.column - 1 :]
    if rest.strip().startswith("#"):
        return Location(end.row, len(context.source.line(end.row)) + 1)
    return end


def _render(context: FileContext, node: ast.stmt, end: Location, build: Callable[[cst.BaseStatement], str]) -> str:
    """Like `render_statement`, from the statement's first line to `end`."""
    import libcst as cst

    indent = context.source.indentation(node.lineno)
    source = context.source
    original = source.text[source.offset(Location(node.lineno, 1)) : source.offset(end)]
    module = cst.parse_module(textwrap.dedent(original) + "\n")
    code = build(module.body[0]).rstrip("\r\n")
    newline = source.newline()
    return newline.join((indent + line) if line.strip() else line for line in code.split("\n"))


def _block_statements(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    import libcst as cst

    if isinstance(block, cst.IndentedBlock):
        return list(block.body)
    assert isinstance(block, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=list(block.body))]  # `if c: y = a`


def _redundant_parens(test: cst.BaseExpression) -> bool:
    """`if (x.sum() > 0):` needs no parentheses as an argument (a multi-line test keeps them)."""
    return bool(test.lpar) and "\n" not in _code(test)


def _code(node: cst.CSTNode) -> str:
    import libcst as cst

    return cst.Module([]).code_for_node(node)
