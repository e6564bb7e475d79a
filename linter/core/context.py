"""What a rule sees of the file being linted: source, tree, semantic model, settings, position.

One `FileContext` is shared by every rule during the single traversal of a file; the engine
keeps `function` / `scope` up to date as it enters and leaves functions and comprehensions.
"""

from __future__ import annotations

import ast
import os
import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from typing import Any, TypeVar, cast

from onnxlint.analysis.bindings import Role, bindings_in, parameter_defaults, parameter_names
from onnxlint.analysis.calls import NOT_LITERAL, literal_value
from onnxlint.analysis.export_calls import EXPORT_FUNCTIONS, export_request
from onnxlint.analysis.folding import ModuleFolder, rebound_parameter_values
from onnxlint.analysis.reachability import (
    BUILTIN_NON_DEFAULT_DECORATORS,
    MEDIA_INPUT,
    MODALITY_INPUT,
    NOT_NONE,
    UNKNOWN_VALUE,
    default_local_values,
    default_returned_value,
    getattr_with_default,
    has_decorator,
    is_cache_name,
    is_plain_literal,
    is_size_flag,
    non_default_test,
    non_model_file,
    on_request_function,
    option_key,
    optional_parameters,
    parameter_options,
    parameters_off_by_default,
    past_a_memory_budget,
    pipeline_driver_file,
    runs_no_iteration,
    tested_for_none,
    tested_not_none,
)
from onnxlint.analysis.semantic import ClassInfo, FunctionInfo, FunctionScope, Kind, ModuleModel
from onnxlint.analysis.traversal import nodes_on_lines, parent_map, scope_nodes, walk
from onnxlint.core import noqa
from onnxlint.core.findings import Finding
from onnxlint.core.settings import ExportConfig, LintSettings, NonDefaultReference
from onnxlint.core.source import SourceText

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
# Calls that return True while a model is being exported or traced (by their last name, so that
# a project's own `is_exporting()` wrapper counts too). Code they keep out of export is not flagged.
# `torch.jit.is_scripting()` is not one: it is False under both ONNX exporters.
EXPORT_GUARDS = frozenset(
    {
        "is_in_onnx_export",
        "is_tracing",
        "is_compiling",
        "is_exporting",
        "is_fx_tracing",
        "is_dynamo_compiling",
        # transformers' wrappers of `torch.compiler.is_compiling()` / `is_exporting()`: True under torch.export
        "is_torchdynamo_compiling",
        "is_torchdynamo_exporting",
    }
)
# Calls that return False while exporting with either ONNX exporter: the body of `if
# torch.jit.is_scripting():` is not exported (torchvision keeps TorchScript-only code there).
NON_EXPORT_GUARDS = frozenset({"is_scripting"})
# Parameters that carry training targets: an export passes none of them, so `if labels is not None:`
# (the loss branch of transformers' and torchvision's `forward`) does not run while exporting.
LABEL_PARAMETERS = frozenset(
    {"labels", "label", "targets", "target", "gt", "gts", "ground_truth", "gt_labels", "gt_boxes", "y_true"}
)
# Flags that ask `forward` for a loss: an export passes none.
LOSS_FLAGS = frozenset({"return_loss", "compute_loss"})
# Words whose absence from a file's text proves it has no guard of any kind (one search per file).
_GUARD_WORDS = ("is_", "training", "False", *LABEL_PARAMETERS, *LOSS_FLAGS)
# Every word whose presence anywhere in the file's text an analysis checks (a search of the whole
# text, not of one statement): the engine's incremental re-lint re-lints the whole file when the
# answer changes. A new whole-text search belongs here.
TEXT_WORDS = (*_GUARD_WORDS, "export")
# What torch's own guards return inside `torch.onnx.export`, per exporter, measured on torch 2.13
# (docs/ground-truth.md; tests/static/test_measured.py re-measures it). They differ: `torch.jit.is_tracing()`
# is False under the dynamo exporter, `torch.compiler.is_compiling()` False under the TorchScript one.
TORCH_GUARD_VALUES: dict[str, dict[str, bool]] = {
    "torch.jit.is_tracing": {"legacy": True, "dynamo": False},
    "torch.jit.is_scripting": {"legacy": False, "dynamo": False},
    "torch.onnx.is_in_onnx_export": {"legacy": True, "dynamo": True},
    "torch.compiler.is_compiling": {"legacy": False, "dynamo": True},
    "torch._dynamo.is_compiling": {"legacy": False, "dynamo": True},
    "torch.compiler.is_dynamo_compiling": {"legacy": False, "dynamo": False},
    "torch.compiler.is_exporting": {"legacy": False, "dynamo": True},
    "torch.fx._symbolic_trace.is_fx_tracing": {"legacy": False, "dynamo": True},
}
# What a size is while exporting when the exporter keeps it dynamic (`isinstance(h, torch.SymInt)`).
_SYMBOLIC_TYPES = frozenset({"SymInt", "SymFloat", "Tensor"})
_CONDITION_OWNERS = (ast.If, ast.While, ast.IfExp, ast.Assert)
_CONFLICTING = object()  # an attribute two constructors set from different configuration options
# Methods a module defines for its export in place of `forward` (diffusers' safety checkers: `forward_onnx`).
_EXPORT_FORWARDS = ("forward_onnx", "onnx_forward", "forward_export", "export_forward")
_SCOPE_OWNERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)


class FileContext:
    def __init__(
        self,
        filename: str,
        text: str,
        tree: ast.Module,
        settings: LintSettings,
        model: ModuleModel | None = None,
        *,
        no_export_calls: bool = False,
    ) -> None:
        """`model`: the semantic model of `tree`, when the caller built it; `no_export_calls`: the caller
        knows the file has no `torch.onnx.export(...)` call (`export_calls()` then searches nothing)."""
        self.filename = filename
        self.source = SourceText(text)
        self.tree = tree
        self.settings = settings
        self.model = model if model is not None else ModuleModel(tree)
        self.findings: list[Finding] = []
        # Maintained by the engine's traversal:
        self.function: FunctionInfo | None = None
        self.scope: FunctionScope | None = None
        self.class_stack: list[ast.ClassDef] = []
        # id(child) -> parent: filled by the engine's traversal as it goes, completed by
        # `parent()` when a rule asks about a node the traversal has not reached yet.
        self.parent_links: dict[int, ast.AST] = {}
        self._parents_complete = False
        self._export_calls: list[tuple[ast.Call, ExportConfig]] | None = [] if no_export_calls else None
        self._file_export_config: ExportConfig | None = None
        self._export_spans: tuple[list[tuple[int, int]], list[tuple[tuple[int, int], ExportConfig]]] | None = None
        self._guarded_exits: dict[int, dict[int, bool]] = {}  # see _after_guarded_exit
        self._mentions_guards: bool | None = None  # whether the text could hold an export guard (`is_...`)
        self._dead_at_export_memo: dict[int, bool] = {}  # see only_called_where_export_does_not_go
        self._off_by_default_flags: dict[int, set[str]] = {}  # id(class node) -> see _off_by_default
        self._non_default_memo: dict[int, str | None] = {}  # id(function node) -> see non_default_reason
        self._flags_off: dict[int, frozenset[str]] = {}  # id(function node) -> see _flags_off_by_default
        self._options: dict[int, dict[str, object]] = {}  # id(function node) -> see _parameter_options
        self._passed_on: dict[int, dict[str, object]] = {}  # id(function node) -> see _optional_inputs_passed_on
        self._locals: dict[int, dict[str, object]] = {}  # id(function node) -> see _local_defaults
        self._returns: dict[tuple[int, tuple[tuple[str, str], ...]], object] = {}  # see _default_return
        self._returns_in_progress: set[int] = set()
        self._returns_cut = False  # whether a walk of `_default_return` met a cycle or the depth limit
        self._scope_options: dict[int, Mapping[str, object]] = {}  # id(scope node) -> see _enclosing_options
        self._computing_options = False
        self._constructed_options: dict[int, dict[str, object]] = {}  # id(class node) -> see _constructor_options
        self._config_options: dict[str, object] | None = None  # see _configuration_options
        self._predicates: dict[int, bool | None] = {}  # id(function node) -> see _predicate_polarity
        self._cached: dict[Callable[..., Any], dict[Any, Any]] = {}  # see cached
        # id(comprehension node) -> its scope, made by the engine's traversal as it enters one
        self.comprehension_scopes: dict[int, FunctionScope] = {}
        self.cache: dict[str, Any] = {}  # per-file scratch space of the rules themselves (keyed by rule code)
        # id(test of an `if` or a conditional expression) -> (code, line) of the finding that reports it as a branch
        # the export keeps only on the example's side: see `record_kept_branch` and `kept_branch_above`
        self._kept_branches: dict[int, tuple[str, int]] = {}
        # id(a block's statement list) -> (position of its first `if`, id(statement) -> position): `_after_an_if`
        self._block_positions: dict[int, tuple[int, dict[int, int]]] = {}
        self._noqa_comments: dict[int, str] | None = None  # line -> its comment, read once (`_suppressed_at`)

    # -- per-file results of the rules' helpers ------------------------------------------------

    def cached(self, compute: Callable[[FileContext, K], V], key: K) -> V:
        """`compute(self, key)`, computed once per file: the cache of the rules' helper analyses,
        kept per computing function (never under a string that another helper could reuse)."""
        table = self._cached.get(compute)
        if table is None:
            table = self._cached[compute] = {}
        try:
            return table[key]
        except KeyError:
            value = table[key] = compute(self, key)
            return value

    # -- reporting -----------------------------------------------------------------------------

    def add_finding(self, finding: Finding) -> None:
        self.findings.append(finding)

    def record_kept_branch(self, test: ast.AST, code: str, line: int) -> None:
        """A finding (`code` at `line`) reports `test` as the test of a branch the export keeps only on the side the
        example's sizes take (`Rule.reports_the_kept_branch`). The traversal visits an `if` before what it holds, so
        the findings under it see this when they are reported (`kept_branch_above`)."""
        parent = self.parent(test)
        if isinstance(parent, (ast.If, ast.IfExp)) and parent.test is test and not self._suppressed_at(line, code):
            self._kept_branches[id(test)] = (code, line)

    def _suppressed_at(self, row: int, code: str) -> bool:
        """Whether a `# noqa` comment on line `row` suppresses a finding of `code` (a root the user silenced leaves
        the code under it at its own level)."""
        text = self.source.text
        if "noqa" not in text.lower():
            return False
        if self._noqa_comments is None:
            self._noqa_comments = noqa._comment_lines(text)
        comment = self._noqa_comments.get(row)
        return comment is not None and noqa.suppresses(comment, code)

    def kept_branch_above(self, node: ast.AST) -> tuple[str, str, int] | None:
        """The innermost `if` or conditional expression around `node` (in its function) that a finding reports as a
        branch the export keeps only on the example's side (`record_kept_branch`): its test shortened for a message,
        with that finding's code and line. Code under either side is that finding's consequence: which side the
        export traces, the example's sizes decide, and the fix of the branch changes what runs there."""
        if not self._kept_branches:
            return None
        child, parent = node, self.parent(node)
        while parent is not None and type(parent) not in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            if isinstance(parent, (ast.If, ast.IfExp)) and child is not parent.test:
                root = self._kept_branches.get(id(parent.test))
                if root is not None:
                    in_body = (
                        child is parent.body
                        if isinstance(parent, ast.IfExp)
                        else self._position_in(parent.body, child) is not None
                    )
                    if not _side_of_every_other_size(parent.test, in_body):
                        return _short(parent.test), root[0], root[1]
            child, parent = parent, self.parent(parent)
        return None

    # -- semantics -----------------------------------------------------------------------------

    def qualified_name(self, expr: ast.AST) -> str | None:
        return self.model.qualified_name(expr, self.scope)

    def call_name(self, call: ast.AST) -> str | None:
        """The qualified name of what a Call node calls (None for anything else)."""
        if type(call) is not ast.Call:
            return None
        return self.model.qualified_name(call.func, self.scope)

    def kind(self, expr: ast.AST) -> Kind:
        """The inferred kind of an expression in the current scope (UNKNOWN outside functions)."""
        if self.scope is None:
            return Kind.UNKNOWN
        return self.scope.kind(expr)

    @property
    def in_model_code(self) -> bool:
        """True inside `forward` or a function of this file that `forward` calls."""
        return self.function is not None and self.model.is_model_function(self.function)

    @property
    def in_forward(self) -> bool:
        info = self.function
        while info is not None:
            if info.owner is not None and info.name == "forward":
                return True
            info = info.parent
        return False

    def parent(self, node: ast.AST) -> ast.AST | None:
        """The parent of a node."""
        found = self.parent_links.get(id(node))
        if found is not None or self._parents_complete or node is self.tree:
            return found
        parent_map(self.tree, self.parent_links)
        self._parents_complete = True
        return self.parent_links.get(id(node))

    def enclosing_scope(self, node: ast.AST) -> ast.AST:
        """The function (or module) whose body holds `node` (a lambda or class body does not count)."""
        parent = self.parent(node)
        while parent is not None and not isinstance(parent, _SCOPE_OWNERS):
            parent = self.parent(parent)
        return parent if parent is not None else self.tree

    def only_reports(self, node: ast.AST) -> bool:
        """Whether `node` only builds a message: it sits in a `raise` statement, an `assert`'s message,
        an f-string, or the arguments of `print`, `warnings.warn` or a logger call. Such code runs,
        if ever, when the model reports a problem, not in the graph an export records: a fix there
        changes no exported number and is at most shown (the fixer leaves it)."""
        child = node
        parent = self.parent(node)
        while parent is not None:
            parent_type = type(parent)
            if parent_type is ast.Raise or parent_type is ast.JoinedStr:
                return True
            if parent_type is ast.Assert:
                return child is parent.msg  # type: ignore[attr-defined]
            if parent_type is ast.Call and child is not parent.func and _is_report_call(self, parent):  # type: ignore[attr-defined, arg-type]
                return True
            if isinstance(parent, (ast.stmt, ast.Lambda)):
                return False
            child, parent = parent, self.parent(parent)
        return False

    def in_raise(self, node: ast.AST) -> bool:
        """Whether `node` is part of a `raise` statement (`raise ValueError(f"... {ids.tolist()}")`)."""
        parent = self.parent(node)
        while parent is not None and not isinstance(parent, ast.stmt):
            parent = self.parent(parent)
        return type(parent) is ast.Raise

    def enclosing_condition(self, node: ast.AST) -> ast.AST | None:
        """The if/while/ternary/assert whose test contains `node`, if any (within one statement)."""
        child = node
        parent = self.parent(node)
        while parent is not None and not isinstance(child, ast.stmt):
            if isinstance(parent, _CONDITION_OWNERS) and parent.test is child:
                return parent
            child, parent = parent, self.parent(parent)
        return None

    def bound_once(self, name: str) -> ast.expr | None:
        """The value the current function binds a local `name` to, when it binds it once (`name = value`) and it
        is not a parameter; else None."""
        function = self.function
        if function is None or type(function.node) is ast.Lambda:
            return None
        table = self.cached(_single_bindings, function.node)
        return table.get(name)

    def guard_polarity(self, expr: ast.AST, _depth: int = 0) -> bool | None:
        """True/False: what `expr` evaluates to while exporting, when it is an export guard; else None.

        Besides torch's own guards: a flag the constructor sets to False (`self.use_tiling = False`) is
        False, and a module's `self.training` is False (both exporters trace it in eval
        mode: the TorchScript exporter switches it, and an export script calls `.eval()`, which
        ONX503 checks); a label parameter (`labels`, `targets`, ...) is None and a loss flag
        (`return_loss`) false, since an export passes neither."""
        expr_type = type(expr)
        if (
            expr_type is ast.Attribute
            and type(expr.value) is ast.Name  # type: ignore[attr-defined]
            and expr.value.id == "self"  # type: ignore[attr-defined]
            and (expr.attr == "training" or self._off_by_default(expr.attr))  # type: ignore[attr-defined]
        ):
            return False
        if expr_type is ast.Name and expr.id in LOSS_FLAGS:  # type: ignore[attr-defined]
            return False
        if expr_type is ast.Name and _depth < 3:
            # `tiled = big and not torch.compiler.is_compiling()` ... `if tiled:`: a flag bound once to a guard
            value = self.bound_once(expr.id)  # type: ignore[attr-defined]
            if value is None:
                return self._parameter_guard(expr.id, _depth)  # type: ignore[attr-defined]
            return self.guard_polarity(value, _depth + 1)
        if (
            expr_type is ast.Compare
            and len(expr.ops) == 1  # type: ignore[attr-defined]
            and type(expr.ops[0]) in (ast.In, ast.NotIn)  # type: ignore[attr-defined]
            and type(expr.comparators[0]) is ast.Name  # type: ignore[attr-defined]
            and _depth < 3
            and self._empty_while_exporting(expr.comparators[0].id, _depth)  # type: ignore[attr-defined]
        ):
            # `i in stop_checks` with `stop_checks = ... if guard else ()`: False while exporting
            return type(expr.ops[0]) is ast.NotIn  # type: ignore[attr-defined]
        if (
            expr_type is ast.Compare
            and type(expr.left) is ast.Name  # type: ignore[attr-defined]
            and expr.left.id in LABEL_PARAMETERS  # type: ignore[attr-defined]
            and len(expr.ops) == 1  # type: ignore[attr-defined]
            and type(expr.comparators[0]) is ast.Constant  # type: ignore[attr-defined]
            and expr.comparators[0].value is None  # type: ignore[attr-defined]
            and type(expr.ops[0]) in (ast.Is, ast.IsNot)  # type: ignore[attr-defined]
        ):
            return type(expr.ops[0]) is ast.Is  # type: ignore[attr-defined]
        if expr_type is ast.Call:
            func = expr.func  # type: ignore[attr-defined]
            name = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else None
            if name in EXPORT_GUARDS or name in NON_EXPORT_GUARDS:
                measured = TORCH_GUARD_VALUES.get(self.model.qualified_name(func) or "")
                if measured is not None:
                    return measured[self.export_config_for(expr).exporter]
            if name in EXPORT_GUARDS:  # a project's own wrapper (`is_exporting()`): taken as True
                return True
            if name in NON_EXPORT_GUARDS:
                return False
            return self._predicate_polarity(expr)  # type: ignore[arg-type]
        if expr_type is ast.UnaryOp and type(expr.op) is ast.Not:  # type: ignore[attr-defined]
            inner = self.guard_polarity(expr.operand, _depth)  # type: ignore[attr-defined]
            return None if inner is None else not inner
        if (
            expr_type is ast.Compare
            and len(expr.ops) == 1  # type: ignore[attr-defined]
            and type(expr.ops[0]) in (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)  # type: ignore[attr-defined]
            and type(expr.comparators[0]) is ast.Constant  # type: ignore[attr-defined]
            and type(expr.comparators[0].value) is bool  # type: ignore[attr-defined]
        ):
            # Reformer's `if self.training is True:`: the guard compared with a bool literal
            inner = self.guard_polarity(expr.left, _depth)  # type: ignore[attr-defined]
            if inner is None:
                return None
            same = type(expr.ops[0]) in (ast.Is, ast.Eq)  # type: ignore[attr-defined]
            return (inner == expr.comparators[0].value) == same  # type: ignore[attr-defined]
        if expr_type is ast.BoolOp:
            polarities = [self.guard_polarity(v, _depth) for v in expr.values]  # type: ignore[attr-defined]
            if type(expr.op) is ast.And and False in polarities:  # type: ignore[attr-defined]
                return False
            if type(expr.op) is ast.Or and True in polarities:  # type: ignore[attr-defined]
                return True
        return None

    def _parameter_guard(self, name: str, depth: int) -> bool | None:
        """What a parameter holds while exporting when every call of its function in the file passes it a guard of
        the same polarity: timm's `patch_dropout_forward(x, ..., self.training)` makes `training` False at export."""
        info = self.function
        if info is None or type(info.node) is ast.Lambda or name not in parameter_names(info.node):
            return None
        passed = self._passed_by_every_call(info, name)
        if passed is None:
            return None
        polarities = set()
        saved = self.function
        try:
            for caller, argument in passed:
                self.function = caller  # the argument means what it means where the call is
                polarities.add(self.guard_polarity(argument, depth + 1))
        finally:
            self.function = saved
        return polarities.pop() if len(polarities) == 1 else None

    def _empty_while_exporting(self, name: str, depth: int) -> bool:
        """`stop_checks = _rounds(n) if _can_stop_early(x) else ()`: a local bound once to a conditional expression
        whose export guard picks an empty tuple, list or set while exporting."""
        value = self.bound_once(name)
        if type(value) is not ast.IfExp:
            return False
        taken = self.guard_polarity(value.test, depth + 1)
        if taken is None:
            return False
        chosen = value.body if taken else value.orelse
        return type(chosen) in (ast.Tuple, ast.List, ast.Set) and not chosen.elts  # type: ignore[attr-defined]

    def _predicate_polarity(self, call: ast.Call) -> bool | None:
        """What a call to a predicate of this file returns while exporting, when its whole body is `return
        <test>` and the test is an export guard: kornia's `_bilateral_blur_cpu_eligible(...)` returns
        `... and not is_exporting()`, so `if _bilateral_blur_cpu_eligible(...):` is False at export."""
        callee = self.model.resolve_local_call(call, self.function)
        if callee is None or type(callee.node) is ast.Lambda:
            return None
        key = id(callee.node)
        if key in self._predicates:
            return self._predicates[key]
        self._predicates[key] = None  # recursion: no evidence
        body = [
            statement
            for statement in callee.node.body  # type: ignore[union-attr]
            if not (type(statement) is ast.Expr and type(statement.value) is ast.Constant)  # the docstring
        ]
        polarity = None
        saved = self.function
        self.function = callee
        try:
            # `if torch.jit.is_scripting(): return False` first (kornia's `_is_tracing_or_exporting`): an exit the
            # export never takes leaves the return after it.
            # `if torch.jit.is_tracing() or is_compiling(): return False` (kornia's `_can_stop_cascade`): an exit the
            # export takes, with a constant, is what the predicate returns.
            while (
                len(body) > 1
                and type(body[0]) is ast.If
                and not body[0].orelse
                and len(body[0].body) == 1
                and type(body[0].body[0]) is ast.Return
            ):
                taken = self.guard_polarity(body[0].test)
                returned = body[0].body[0].value
                if taken is True and type(returned) is ast.Constant and type(returned.value) is bool:
                    polarity = returned.value
                    break
                if taken is not False:
                    break
                body = body[1:]
            if polarity is None and len(body) == 1 and type(body[0]) is ast.Return and body[0].value is not None:
                polarity = self.guard_polarity(body[0].value)
        finally:
            self.function = saved
        self._predicates[key] = polarity
        return polarity

    def only_called_where_export_does_not_go(self, info: FunctionInfo | None) -> bool:
        """Whether every call that model code makes to `info` (or to the function it is nested in) sits
        where the export does not go: `if self.use_tiling: return self.tiled_decode(z)` makes
        `tiled_decode`, and what only it calls, code the export never runs; a submodule's `forward` the same by the
        calls of the attributes that hold it (`if self.training: aux = self.aux_head(x)`). The `forward` of a module
        no module of the file runs (the model the user exports) and a function no model code calls (library code)
        are not judged here."""
        while info is not None and info.parent is not None:
            info = info.parent
        if info is None:
            return False
        return self._dead_at_export(info, self._dead_at_export_memo)

    def _dead_at_export(self, info: FunctionInfo, memo: dict[int, bool]) -> bool:
        key = id(info.node)
        if key in memo:
            return memo[key]
        memo[key] = False  # a recursive call is not evidence either way
        sites = self._callers_of(info)
        if not sites:
            return False
        dead = True
        for caller, call in sites:
            outer = caller
            while outer.parent is not None:
                outer = outer.parent
            if self._skipped_at(caller, call) or self._dead_at_export(outer, memo):
                continue
            dead = False
            break
        memo[key] = dead
        return dead

    def _callers_of(self, info: FunctionInfo) -> list[tuple[FunctionInfo, ast.Call]]:
        """Where model code of the file runs `info`: its calls, and for a submodule's `forward` the calls of the
        attributes that hold one (`self.aux1 = InceptionAux(...)`, then `self.aux1(x)`), made by the enclosing method.
        Empty for a `forward` no module of the file runs: the model the user exports, or library code."""
        if info.name != "forward":
            return list(self.model.call_sites(info))
        if info.owner is None:
            return []
        found = []
        for call in self.model.module_call_sites(info.owner):
            caller = self.model.function_info(self.enclosing_scope(call))
            if caller is not None:
                found.append((caller, call))
        return found

    # -- paths an export takes only on request ---------------------------------------------------

    def non_default_reason(self, node: ast.AST) -> str | None:
        """Why `node` runs while exporting only when the user asks for a path that is not the model's
        default one, or None. The engine reports findings there at `low` confidence: they are real
        for whoever exports that path, noise for everyone else. Such a path is
        - a `forward` that takes a plain Python object of the file (a session), which an export cannot take, or
          the `forward` of a module that defines its export path beside it (`forward_onnx`), or of a submodule the
          file's models build as an attribute but never read (`_built_but_never_run`: esmfold2's confidence head);
        - an implementation a dispatch decorator replaces by default (`@use_experts_implementation`'s
          eager experts loop; `non-default-decorators` in the configuration adds more), and what
          only it calls; a function that takes a `torch.distributed` process group (an export runs in one process);
        - a branch taken only with a flag whose default is off (`if do_sample:`, for a parameter that
          defaults to False and that no call passes on, or a flag that lets a submodule take other sizes when
          no module of the file passes it; `if self.crop_scale:` for an attribute the
          constructor sets from such a parameter), with another value of a string option than its
          default (`if side == "horz":` with `side="short"`), with an option of the model's configuration that
          its default does not take (`if self.config.use_rel_pos:`, `settings.config_defaults`), with an
          optional input nothing passes (`if mask is not None:`, `_parameter_options`; `self.max_candidates`,
          `_constructor_options`; `getattr(self, "s1", None)` for an attribute only an opt-in switch sets,
          `_fallback_attributes`), with a local the default path binds otherwise (`recurrent_state = None`
          without a cache, `_local_defaults`), with an optional decoding cache (`if cache
          is not None and ...`, `cache.is_initialized`), for a half-precision model
          (`hidden_states.dtype == torch.float16 and ...`) or for a device an export does not run on
          (`x.device.type == "mps"`), or only on a module called before, whose cache from an earlier call is set
          (`_caches_of_earlier_calls`: the `else` of MagViT's `if self.prev_features is None:`); the body of a loop the default configuration runs no time (`range(1,
          self.merger_times)`); code after an early `return` the default path takes (`if mask is None: return
          x`, also from inside a `with` block; in a loop, a `continue` or `break`: kornia's `if origin is None or
          ...: continue`) or after the author's own export path for some inputs (`if is_exporting() and n <= 4: return
          ...`); and what only such places call;
        - a top-level class or function that the other files of the run use only in opt-in switches or training
          code, or call only on paths their own analysis says are taken on request (`settings.on_request`: diffusers'
          `FreeNoiseTransformerBlock`, built only by `enable_free_noise()`; `apply_freeu`, called only under `if
          is_freeu_enabled:`), and what the file calls only from such definitions (`fourier_filter`);
        - code around the model, not in it: a file in a `transforms/`, `augmentation/`, `data/`,
          `losses/`, `metrics/`, `schedulers/` or `hooks/` folder of its package, a `processing_*.py` or
          `convert_*.py` module (`reachability.non_model_file`)."""
        place = self._non_model_file()
        if place is not None:
            return place
        reason = self._non_default_branch(node)
        if reason is not None:
            return reason
        info = self.function
        while info is not None and info.parent is not None:
            info = info.parent
        if info is None:
            return None
        return self._used_only_on_request(info) or self._non_default_function(info)

    def non_default_references(self, wanted: frozenset[str]) -> tuple[NonDefaultReference, ...]:
        """The file's calls of names it imports from its own package (a relative import, or an absolute one whose
        first part is a folder of the file's path) at places the export reaches only on request, or never (training
        branches and code): what the runner needs to find the definitions the whole run uses only on request
        (frontends/on_request.py), for the names `wanted` (as the module that defines them spells them). A call at
        module level runs on import: never one of these. Other uses (a class passed on, `ACT2FN[...]`) are not
        reported, so the runner counts them as uses on the default path."""
        imports: list[ast.ImportFrom] = []
        names: list[ast.Name] = []
        # Only the lines that mention a wanted name hold its imports and calls: the walk goes only into what spans one.
        word = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in sorted(wanted)) + r")\b")
        lines = {self.source.location(match.start()).row for match in word.finditer(self.source.text)}
        if not lines:
            return ()
        for node in reversed(nodes_on_lines(self.tree, lines, (ast.Call, ast.ImportFrom))):
            if type(node) is ast.ImportFrom:
                imports.append(node)
            elif type(node.func) is ast.Name:  # type: ignore[attr-defined]
                names.append(node.func)  # type: ignore[attr-defined]
        imported: dict[str, tuple[str, int, str]] = {}  # local name -> (module, level, name there)
        folders = set(os.path.normpath(self.filename).split(os.sep)[:-1])
        for statement in imports:
            if statement.level or (statement.module or "").split(".")[0] in folders:
                for alias in statement.names:
                    if alias.name in wanted:
                        imported[alias.asname or alias.name] = (statement.module or "", statement.level, alias.name)
        if not imported:
            return ()
        found: list[NonDefaultReference] = []
        saved = self.function
        try:
            for node in names:
                if node.id not in imported:
                    continue
                info = self.model.function_info(self.enclosing_scope(node))
                if info is None:
                    continue
                self.function = info
                if (
                    self.skipped_during_export(node)
                    or self.model.is_non_inference(info)
                    or self.only_called_where_export_does_not_go(info)
                ):
                    reason: str | None = "code the export does not run (training)"
                else:
                    reason = self.non_default_reason(node)
                if reason is not None:
                    module, level, name = imported[node.id]
                    found.append(NonDefaultReference(module, level, name, node.lineno, node.col_offset, reason))
        finally:
            self.function = saved
        return tuple(sorted(found, key=lambda reference: (reference.line, reference.column)))

    def _used_only_on_request(self, outermost: FunctionInfo) -> str | None:
        """Why the top-level class or function holding `outermost` runs only on request, when the other files of the
        run use it only in opt-in switches or training code (`settings.on_request`, the runner's pre-passes), or when
        the file refers to it only from such definitions (diffusers' `fourier_filter`, used only by `apply_freeu`)."""
        if not self.settings.on_request:
            return None
        name = outermost.owner.node.name if outermost.owner is not None else getattr(outermost.node, "name", None)
        found = next((use.reason for use in self.settings.on_request if use.name == name), None)
        if found is None and name is not None:
            found = self.cached(_used_only_by_on_request_definitions, None).get(name)
        return found

    def _non_model_file(self) -> str | None:
        return self.cached(_file_around_the_model, None)

    def _non_default_branch(self, node: ast.AST) -> str | None:
        """The reason when `node` sits in a branch that only a non-default request takes (see above)."""
        if not self._maybe_conditional(node):
            return None  # no test decides whether it runs: nothing to ask of the options
        child = node
        parent = self.parent(node)
        flags = self._enclosing_flags(node)
        options = self._enclosing_options(node)
        if type(node) is ast.BoolOp and non_default_test(node.values[0], flags, options) is (type(node.op) is ast.Or):
            # `cache and x.any()`; `origin is None or scores[best] <= best` with `origin` None by default: the default
            # path stops at the first operand
            return f"a branch the export takes only on request (`{_short(node.values[0])}`)"
        while parent is not None:
            parent_type = type(parent)
            if parent_type is ast.If or parent_type is ast.IfExp or parent_type is ast.While:
                test = parent.test  # type: ignore[attr-defined]
                if child is not test:
                    by_default = non_default_test(test, flags, options, self.guard_polarity)
                    in_body = child is parent.body if parent_type is ast.IfExp else child in parent.body  # type: ignore[attr-defined]
                    if by_default is not None and in_body != by_default:
                        if in_body:
                            return f"a branch the export takes only on request (`{_short(test)}`)"
                        # `else` of `if sub_pixel:` with `sub_pixel=True`: say which way the default goes
                        return f"a branch the export takes only on request (the `else` of `{_short(test)}`, true by default)"
            if parent_type is ast.If and child in parent.body and past_a_memory_budget(parent.test):  # type: ignore[attr-defined]
                # CogVideoX's `if memory_count > 2:` (GB): a split of the computation for memory, the same numbers
                return f"a branch for inputs past a memory budget (`{_short(parent.test)}`), which splits the computation for memory"  # type: ignore[attr-defined]
            if parent_type is ast.For and child in parent.body and runs_no_iteration(parent.iter, options):  # type: ignore[attr-defined]
                return f"a loop the model's default configuration runs no time (`{_short(parent.iter)}`)"  # type: ignore[attr-defined]
            elif parent_type is ast.BoolOp and child in parent.values:  # type: ignore[attr-defined]
                values = parent.values  # type: ignore[attr-defined]
                short_circuit = type(parent.op) is not ast.And  # type: ignore[attr-defined]
                for value in values[: values.index(child)]:
                    if non_default_test(value, flags, options) is short_circuit:
                        return f"a branch the export takes only on request (`{_short(value)}`)"
            if isinstance(child, ast.stmt):
                # Not after a `raise`: a default that raises makes the value required (`optional_parameters`).
                exit_test = after_early_exit(
                    parent,
                    child,
                    lambda test: non_default_test(test, flags, options) is True,
                    exits=(ast.Return, ast.Continue, ast.Break),
                )
                if exit_test is not None:
                    return f"code after an early exit the default path takes (`{_short(exit_test)}`)"
                export_path = after_early_exit(parent, child, self._export_path_for_some_inputs, exits=(ast.Return,))
                if export_path is not None:
                    # kornia's `if _is_tracing_or_exporting() and _has_closed_form_inverse(x): return ...`
                    return f"code an export reaches only for inputs its own export path does not take (`{_short(export_path)}`)"
            if parent_type in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module):
                return None
            child, parent = parent, self.parent(parent)
        return None

    def _maybe_conditional(self, node: ast.AST) -> bool:
        """Whether some test of its function may decide whether `node` runs (the syntax alone): an `if`, a conditional
        expression, a loop, an `and`/`or` around it, or an earlier `if ...: return` in a block around it."""
        if type(node) is ast.BoolOp:
            return True
        child, parent = node, self.parent(node)
        while parent is not None:
            parent_type = type(parent)
            if parent_type in (ast.If, ast.IfExp, ast.While, ast.For, ast.BoolOp):
                return True
            if isinstance(child, ast.stmt):
                for block in (
                    getattr(parent, "body", None),
                    getattr(parent, "orelse", None),
                    getattr(parent, "finalbody", None),
                ):
                    if type(block) is list and self._after_an_if(block, child):
                        return True
            if parent_type in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module):
                return False
            child, parent = parent, self.parent(parent)
        return False

    def _after_an_if(self, block: list[ast.stmt], statement: ast.AST) -> bool:
        """Whether `statement` is in `block` after an `if` statement of it."""
        position = self._position_in(block, statement)
        return position is not None and self._block_positions[id(block)][0] < position

    def _position_in(self, block: list[ast.stmt], statement: ast.AST) -> int | None:
        """Where `statement` is in `block`, or None. Each block's positions (and where its first `if` is) are read
        once: a module of thousands of statements asks this of each of them."""
        known = self._block_positions.get(id(block))
        if known is None:
            first_if = next((i for i, earlier in enumerate(block) if type(earlier) is ast.If), len(block))
            known = self._block_positions[id(block)] = (first_if, {id(s): i for i, s in enumerate(block)})
        return known[1].get(id(statement))

    def undecided_reason(self, node: ast.AST) -> str | None:
        """Why `node`'s reachability is not proven, or None: it sits in an `if` (in its function) whose test the
        analysis cannot decide on the default path. `Rule.report` lowers such a finding one level."""
        found = self._undecided_branch(node)
        if found is None:
            return None
        test, in_body = found
        holds = "holds" if in_body else "does not hold"  # the `else` of `if is_flash_attention_requested(...)`
        return f"it runs only where `{_short(test)}` {holds}, which the analysis cannot decide"

    def _undecided_branch(self, node: ast.AST) -> tuple[ast.expr, bool] | None:
        """The test of the innermost `if` around `node` (in its function) that decides whether `node` runs and that
        the analysis cannot decide on the default path, with whether `node` is in its body (else in its `else`), or
        None: not a constant, not an export guard, not a test
        the default path decides (`default_path_value`; one decided against `node` makes it a path on request, see
        `non_default_reason`), not a test of a value's form (`_dispatches_on_type_or_presence`: `attention_mask is not
        None`, `isinstance(...)`), not a flag every caller sets alike. Code there runs only for some configurations
        or inputs: its reachability is not proven. Also a flag an `and` tests before the part that `node` is or holds
        (`output_attentions and is_global_attn`: the second part runs only where the flag holds)."""
        if type(node) is ast.BoolOp and type(node.op) is ast.And and self._undecided_flag(node.values[0]):
            return node.values[0], True
        child = node
        parent = self.parent(node)
        while parent is not None and type(parent) not in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            if type(parent) is ast.If and child is not parent.test:
                test = parent.test
                if self._undecided(test):
                    return test, child in parent.body
            elif type(parent) is ast.BoolOp and type(parent.op) is ast.And and child in parent.values:
                flag = next((v for v in parent.values[: parent.values.index(child)] if self._undecided_flag(v)), None)
                if flag is not None:
                    return flag, True
            child, parent = parent, self.parent(parent)
        return None

    def _undecided(self, test: ast.expr) -> bool:
        """A test that decides a path and that the analysis cannot decide (see `_undecided_branch`)."""
        return (
            type(test) is not ast.Constant  # `if True:`
            and self.guard_polarity(test) is None
            and self.default_path_value(test) is None
            and not _dispatches_on_type_or_presence(test)
            and not self._flag_every_caller_sets(test)
        )

    def _undecided_flag(self, operand: ast.expr) -> bool:
        """An operand of an `and` that is a plain flag (`output_attentions`, `self.use_cache`), not a value the finding
        may be about, that the analysis cannot decide."""
        flag = operand.operand if type(operand) is ast.UnaryOp and type(operand.op) is ast.Not else operand
        while type(flag) is ast.Attribute:
            flag = flag.value
        return type(flag) is ast.Name and self.kind(flag) is not Kind.TENSOR and self._undecided(operand)

    def _flag_every_caller_sets(self, test: ast.expr) -> bool:
        """`if sample:` in a helper every call of which passes `sample=True` (or every one `False`): the callers decide
        the flag, the same way each time."""
        operand = test.operand if type(test) is ast.UnaryOp and type(test.op) is ast.Not else test
        info = self._enclosing_def(test)
        if type(operand) is not ast.Name or info is None:
            return False
        passed = self._passed_by_every_call(info, operand.id)
        return (
            passed is not None
            and all(type(argument) is ast.Constant and type(argument.value) is bool for _, argument in passed)
            and len({argument.value for _, argument in passed if type(argument) is ast.Constant}) == 1
        )

    def _passed_by_every_call(self, info: FunctionInfo, name: str) -> list[tuple[FunctionInfo, ast.expr]] | None:
        """(caller, argument) for the parameter `name` of `info` when every call of it in the file (but its own
        recursion) passes that parameter; None when a call leaves it out or nothing calls it."""
        sites = sum(1 for caller, _ in self.model.call_sites(info) if caller is not info)
        passed = [
            (caller, argument)
            for caller, parameter, argument in self.model.call_site_arguments(info)
            if parameter == name
        ]
        return passed if sites and len(passed) == sites else None

    def _export_path_for_some_inputs(self, test: ast.expr) -> bool:
        """`_is_tracing_or_exporting() and _has_closed_form_inverse(x)`: an export guard and a condition on the inputs,
        the test of a path the model's author wrote for the export."""
        return (
            type(test) is ast.BoolOp
            and type(test.op) is ast.And
            and any(self.guard_polarity(value) is True for value in test.values)
        )

    def default_path_value(self, test: ast.expr) -> bool | None:
        """What a condition evaluates to on the model's default path when flags, options, caches, precision or
        devices decide it whatever else it reads (`antialias and x.device.type == "mps"`: False); else None."""
        return non_default_test(test, self._enclosing_flags(test), self._enclosing_options(test))

    def default_value(self, expr: ast.expr) -> object | None:
        """What an option `expr` holds on the model's default path where it is read (`self.config.tubelet_size`: 2,
        `self.ratio` set from a constructor parameter that defaults to 6, `side` for `side="short"`), from the same
        options that decide paths (`_enclosing_options`); None when it is not such an option or may be None."""
        key = option_key(expr)
        if key is None:
            return None
        value = self._enclosing_options(expr).get(key)
        return None if value is NOT_NONE else value

    def _enclosing_flags(self, node: ast.AST) -> frozenset[str]:
        scope = self.enclosing_scope(node)
        info = self.model.function_info(scope)
        if info is None:
            return frozenset()
        return self._flags_off_by_default(info) | self._constructor_flags_off(info)

    def _enclosing_options(self, node: ast.AST) -> Mapping[str, object]:
        """What names and attributes hold by default where `node` is: the enclosing function's string options and
        optional inputs (see `_parameter_options`), the options of the model's configuration (see
        `_configuration_options`), the module's optional constructor parameters (see `_constructor_options`), and
        the locals the default path binds to one literal (see `_local_defaults`). The same for every node of one
        scope: remembered by scope, for the calls made outside the computation of another scope's options (inside
        one, a cycle may see a part not yet known)."""
        scope = id(self.enclosing_scope(node))
        remembered = self._scope_options.get(scope)
        if remembered is not None:
            return remembered
        outermost = not self._computing_options
        self._computing_options = True
        try:
            options = self._options_where(node)
        finally:
            if outermost:
                self._computing_options = False
        if outermost:
            self._scope_options[scope] = options
        return options

    def _options_where(self, node: ast.AST, with_locals: bool = True) -> Mapping[str, object]:
        configuration = self._configuration_options()
        parameters = self._parameter_options(node)
        options = {**configuration, **parameters} if configuration and parameters else configuration or parameters
        constructed = self._constructor_options(node)
        if constructed:
            options = {**constructed, **options}
        owner = self.model.owner_class(self.model.function_info(self.enclosing_scope(node)))
        caches = self.cached(_caches_of_earlier_calls, owner) if owner is not None else {}
        if caches:
            options = {**caches, **options}
        if not with_locals:
            return options
        local = self._local_defaults(node, options)
        return {**options, **local} if local else options

    def _constructor_options(self, node: ast.AST) -> dict[str, object]:
        """`self.<attribute>` -> its default for each attribute the constructor of the module around `node` sets from
        a parameter with a literal default (None, a bool, a number, a string: `max_candidates=None`, `is_causal=True`,
        `model_type="homography"`) that the constructor never binds again, that no call of the class in the file
        passes with another value (the caller's own parameter of the same name and default passed on keeps it), and
        that no other method sets: a path on request where another value is tested, and a default left as it is
        where it is passed on (`nms(..., max_candidates=self.max_candidates)`); an item of the caller's own tuple of
        one repeated literal passes that literal (`inject_noise=inject_noise[i]`). A parameter the constructor binds
        again counts with the value its defaults give it there (`_normalised_options`). Also None for an attribute the
        constructor sets to None and again only under such a flag when it is on (`_set_only_when_on`). Not the
        flags that let a model take other sizes (`reachability.is_size_flag`). For a mixin without a constructor, the
        defaults that the file's classes built on it agree on (`_agreed_by_subclasses`)."""
        owner = self.model.owner_class(self.model.function_info(self.enclosing_scope(node)))
        return self._options_of_constructor(owner) if owner is not None else {}

    def _options_of_constructor(self, owner: ClassInfo) -> dict[str, object]:
        """`_constructor_options` of the module `owner`."""
        key = id(owner.node)
        found = self._constructed_options.get(key)
        if found is None:
            found = self._constructed_options[key] = {}  # a module built with its own attribute, in a cycle: none
            init = self.model.find_method(owner, "__init__")
            defaults = self.cached(_constructor_defaults, init) if init is not None else {}
            if defaults:
                kept = self._kept_by_every_build(owner, defaults)
                if kept is not None:
                    for statement in walk(init):  # type: ignore[arg-type]
                        if (
                            type(statement) is ast.Assign
                            and type(statement.value) is ast.Name
                            and statement.value.id in kept
                        ):
                            for target in statement.targets:
                                attribute = _self_attribute(target)
                                if attribute is not None:
                                    found[attribute] = kept[statement.value.id]
                    if init is not None:
                        found.update(_set_only_when_on(init, {name for name, value in kept.items() if value is False}))
            if type(init) is ast.FunctionDef:
                found.update(self._normalised_options(owner, init))
            if init is not None:
                found.update(_literal_attributes(init))
            found.update(self.cached(_fallback_attributes, owner.node))
            if init is None:
                found.update({k: v for k, v in self._agreed_by_subclasses(owner).items() if k not in found})
            for name, method in owner.methods.items() if found else ():
                if name != "__init__":
                    for stored in _stored_self_attributes([method]):
                        found.pop(stored, None)  # set again after construction
            self._constructed_options[key] = found
        return found

    def _agreed_by_subclasses(self, owner: ClassInfo) -> dict[str, object]:
        """For a mixin without a constructor (MONAI's `_DepthwiseFFTForward`, whose `forward` reads
        `getattr(self, "fft_chunk_size", 0)`): `self.<attribute>` -> the default that every class of the file built on
        it gives the attribute by its own constructor options (`DepthwiseFFTConv2d(..., fft_chunk_size=0)`), where
        they all agree and the mixin's own class attribute, if it declares one, is that value too."""
        subclasses = [
            other
            for other in self.model.classes.values()
            if other is not owner
            and any(type(base) is ast.Name and base.id == owner.node.name for base in other.node.bases)
        ]
        if not subclasses:
            return {}
        declared = {
            f"self.{statement.target.id}": literal_value(statement.value)
            for statement in owner.node.body
            if type(statement) is ast.AnnAssign and type(statement.target) is ast.Name and statement.value is not None
        }
        options = [self._options_of_constructor(other) for other in subclasses]
        agreed: dict[str, object] = {}
        for attribute, value in options[0].items():
            if all(attribute in other and other[attribute] == value for other in options[1:]) and (
                attribute not in declared or declared[attribute] == value
            ):
                agreed[attribute] = value
        return agreed

    def _normalised_options(self, owner: ClassInfo, init: ast.FunctionDef) -> dict[str, object]:
        """`self.<attribute>` -> its default for each attribute the constructor sets, after the last binding of it,
        from a parameter with a literal default that every build leaves as it is and that the constructor binds
        again to a value the defaults decide (`folding.rebound_parameter_values`: kornia's RANSAC turns
        `local_optimization=None` into `"lm"` for its default `model_type="homography"`)."""
        rebound = _bound_names(init)
        defaults = {name: value for name, value in _literal_defaults(init).items() if not is_size_flag(name)}
        if not rebound & defaults.keys():
            return {}
        initial = self._kept_by_every_build(owner, defaults)
        kept = {name: value for name, value in initial.items() if name in rebound} if initial else {}
        if not initial or not kept:
            return {}
        values = rebound_parameter_values(init, initial, self.cached(_module_folder, None))
        last_binding = {
            node.id: node.lineno
            for node in walk(init)
            if type(node) is ast.Name and type(node.ctx) is not ast.Load and node.id in kept
        }
        found: dict[str, object] = {}
        for statement in init.body:
            if (
                type(statement) is ast.Assign
                and type(statement.value) is ast.Name
                and statement.value.id in values
                and statement.value.id in kept
                and statement.lineno > last_binding.get(statement.value.id, 0)
            ):
                for target in statement.targets:
                    attribute = _self_attribute(target)
                    if attribute is not None:
                        found[attribute] = values[statement.value.id]
        return found

    def _kept_by_every_build(self, owner: ClassInfo, defaults: Mapping[str, object]) -> dict[str, object] | None:
        """The constructor parameters of `owner` (with their `defaults`) that every build of the class in the file
        leaves at that default: not passed, passed the same literal, the caller's own parameter of the same name and
        default, or its module's own attribute as built by default (`is_sparse=self.is_sparse`); None when a build
        passes `**kwargs`. Any call of the file that passes the keyword another literal counts too: timm's variants
        build their model through `dict(crop_scale=True, ...)` and a builder, not by calling the class."""
        passed = self.cached(_keywords_passed_to_classes, None).get(owner.node.name, {})
        if "*" in passed:
            return None
        literals = self.model.literal_keywords()

        def keeps(value: object, default: object) -> bool:
            if isinstance(value, _OwnDefault) and value.stored is not None:
                # `is_sparse=self.is_sparse`: the builder's own option, if its builders leave it at this default
                builder, attribute = value.stored
                held = self._options_of_constructor(builder).get(attribute, _OTHER_VALUE)
                if not _keeps_default(held, default):
                    return False
            return _keeps_default(value, default)

        return {
            name: default
            for name, default in defaults.items()
            if all(keeps(value, default) for value in (*passed.get(name, ()), *literals.get(name, ())))
        }

    def _enclosing_def(self, node: ast.AST) -> FunctionInfo | None:
        """The function (not a lambda) whose body holds `node`."""
        info = self.model.function_info(self.enclosing_scope(node))
        return None if info is None or type(info.node) is ast.Lambda else info

    def _local_defaults(self, node: ast.AST, options: Mapping[str, object]) -> dict[str, object]:
        """The enclosing function's locals that hold one literal on its default path
        (`reachability.default_local_values`): `recurrent_state = None` when no cache is passed."""
        info = self._enclosing_def(node)
        if info is None:
            return {}
        key = id(info.node)
        found = self._locals.get(key)
        if found is None:
            flags = self._flags_off_by_default(info) | self._constructor_flags_off(info)
            self._locals[key] = {}  # a call back into this function while its locals are computed sees none
            found = self._locals[key] = default_local_values(info.node, flags, options, self._default_return)
            parent = info.parent.node if info.parent is not None else None
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and parent.body:
                # A closure reads its enclosing function's locals that it does not bind itself (controlnet-XS's
                # `maybe_apply_freeu_to_subblock` reads `is_freeu_enabled`).
                bound = _bound_names(info.node) | set(parameter_names(info.node))
                outer = self._local_defaults(parent.body[0], options)
                found.update({name: value for name, value in outer.items() if name not in bound and name not in found})
        return found

    def _default_return(self, call: ast.Call, known: Mapping[str, object]) -> object:
        """What a call of one of the file's functions (`helper(...)`, `self.method(...)`) returns on the callee's
        default path with the arguments of the call (`reachability.default_returned_value`): kornia's
        `models, origin = self._lm_minimal_models(x1, x2, track_origins=degensac)` gets `(UNKNOWN_VALUE, None)` where
        `degensac` is False by default (`known`: the caller's options and the locals it holds there). An argument
        whose value the caller's default path does not fix leaves that parameter unknown; one not passed takes its
        literal default."""
        caller = self.model.function_info(self.enclosing_scope(call))
        callee = self.model.resolve_local_call(call, caller)
        if callee is None or not isinstance(callee.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return UNKNOWN_VALUE
        node = callee.node
        if (
            not node.body
            or any(type(a) is ast.Starred for a in call.args)
            or any(k.arg is None for k in call.keywords)
            or not _returns_a_literal(node)
        ):
            return UNKNOWN_VALUE
        arguments = node.args
        positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
        if callee.is_method and type(call.func) is ast.Attribute and not has_decorator(node, ("staticmethod",)):
            positional = positional[1:]  # `self` (or `cls`), bound by the attribute
        passed = {name: value for name, value in zip(positional, call.args, strict=False)}
        passed.update({k.arg: k.value for k in call.keywords if k.arg is not None})
        bound: dict[str, object] = {}
        for argument, default in parameter_defaults(node):
            value = literal_value(default)
            if is_plain_literal(value):
                bound[argument.arg] = value
        for name, expr in passed.items():
            bound[name] = _passed_literal(expr, known)
        key = (id(node), tuple(sorted((name, repr(value)) for name, value in bound.items())))
        found = self._returns.get(key)
        if found is None:
            if len(self._returns_in_progress) >= 3 or id(node) in self._returns_in_progress:
                self._returns_cut = True
                return UNKNOWN_VALUE  # a call cycle, or calls nested deeper than the walks are worth
            self._returns_in_progress.add(id(node))
            cut_before, self._returns_cut = self._returns_cut, False
            try:
                options = dict(self._options_where(node.body[0], with_locals=False))
                for name, value in bound.items():
                    if value is UNKNOWN_VALUE:
                        options.pop(name, None)
                    else:
                        options[name] = value
                flags = self._enclosing_flags(node.body[0]) - {n for n, v in bound.items() if v is not False}
                found = default_returned_value(node, flags, options, self._default_return)
            finally:
                self._returns_in_progress.discard(id(node))
                cut, self._returns_cut = self._returns_cut, cut_before or self._returns_cut
            if not cut:  # what a walk cut short found depends on where it started: not remembered
                self._returns[key] = found
        return found

    def _configuration_options(self) -> dict[str, object]:
        """`config.<option>` for each option of the configuration class the file imports
        (`settings.config_defaults`, read by the runner: analysis/config_defaults.py), and `self.<attribute>` for
        each attribute the constructors of the file set from one and nothing else sets: `self.use_rel_pos =
        config.use_rel_pos`, or a value chosen by an option (`self.position_embeddings = nn.Parameter(...) if
        config.use_absolute_embeddings else None`: None by default; a statement `if` the same)."""
        if self._config_options is None:
            # Not the options that let a model take other sizes: a dynamic-size export sets them. Nor the ids of
            # special tokens left None in the class (`image_token_id`): every checkpoint of a model that reads them
            # sets them, so `if self.config.image_token_id is not None` is the default path of an image request.
            defaults = {
                name: value
                for name, value in self.settings.config_defaults
                if not is_size_flag(name) and not (value is None and _TOKEN_ID.search(name))
            }
            options: dict[str, object] = {f"config.{name}": value for name, value in defaults.items()}
            if defaults:
                config_only = dict(options)
                for class_info in self.model.classes.values():
                    for name, method in class_info.methods.items():
                        if name == "__init__":
                            _record_attributes(method.body, config_only, options)
                        else:  # set again after construction (`enable_tiling()`): not what the configuration says
                            for node in ast.walk(method):
                                attribute = _self_attribute(node) if type(node) is ast.Attribute else None
                                if attribute is not None and type(node.ctx) is ast.Store:  # type: ignore[attr-defined]
                                    options[attribute] = _CONFLICTING
                options = {k: v for k, v in options.items() if v is not _CONFLICTING}
            self._config_options = options
        return self._config_options

    def configuration_default(self, option: str) -> object | None:
        """The default of `config.<option>` in the configuration class the file imports (see
        `_configuration_options`), or None where the run did not read one."""
        return self._configuration_options().get(f"config.{option}")

    def _parameter_options(self, node: ast.AST) -> dict[str, object]:
        """The enclosing function's parameters that choose a path (`reachability.parameter_options`: a string
        option, `side="short"`; an optional input, `mask=None`) and that every call from model code leaves at their
        default (not passed, the same literal, or the caller's own option of the same name and default passed on):
        `side == "horz"` and `if mask is not None:` are then paths taken only on request."""
        info = self._enclosing_def(node)
        return {} if info is None else self._parameter_options_of(info)

    def _parameter_options_of(self, info: FunctionInfo) -> dict[str, object]:
        """`_parameter_options` of the function `info`."""
        key = id(info.node)
        options = self._options.get(key)
        if options is None:
            options = dict(self._caller_options(info))  # its own defaults and the optional inputs passed on to it
            if options:
                every = [a.arg for a in (*info.node.args.posonlyargs, *info.node.args.args)]
                if info.is_method:
                    every = every[1:]
                sites: list[tuple[FunctionInfo | None, ast.Call]] = list(self.model.call_sites(info))
                owner = info.owner
                if info.name == "forward" and owner is not None and self._built_by_a_module(owner):
                    # A submodule: the modules that build it pass its inputs, through calls this file only sees
                    # when it keeps it in an attribute (`self.encoder = Encoder(...)`, then `self.encoder(x, mask)`).
                    module_calls = self.model.module_call_sites(owner)
                    if not module_calls:
                        options = {name: value for name, value in options.items() if value is not None}
                    # The method that makes the call is its caller: its own optional inputs passed on keep the default.
                    sites += [(self.model.function_info(self.enclosing_scope(call)), call) for call in module_calls]
                for caller, call in sites:
                    if self._skipped_at(caller, call):
                        continue  # never made while exporting: kornia's `self._blur_cpu(..., out=...)` under `is_compiling()`
                    if any(type(a) is ast.Starred for a in call.args):
                        return self._options.setdefault(key, {})  # `*args`: any parameter may be passed
                    passed = [(k.arg, k.value) for k in call.keywords if k.arg is not None]
                    passed += [(every[i], value) for i, value in enumerate(call.args) if i < len(every)]
                    if any(k.arg is None for k in call.keywords):
                        # `**kwargs` may pass any parameter but those the call names (Python refuses a name twice):
                        # LLaVA's `get_image_features(..., image_sizes=image_sizes, **kwargs)`.
                        named = {name for name, _ in passed}
                        options = {name: value for name, value in options.items() if name in named}
                    caller_defaults = self._caller_options(caller)
                    for name, value in passed:
                        if name in options and not (
                            (type(value) is ast.Constant and value.value == options[name])
                            or (
                                type(value) is ast.Name
                                and value.id in caller_defaults
                                and caller_defaults[value.id] == options[name]
                            )
                            or (
                                options[name] is None
                                and (_self_attribute(value) or "") in self._constructor_options(call)
                            )
                            or self._passes_an_options_default(call, value, options[name])
                        ):
                            del options[name]
            self._options[key] = options
        return options

    def _skipped_at(self, caller: FunctionInfo | None, call: ast.Call) -> bool:
        """Whether `call`, made in `caller`, sits where the export does not go (judged from the caller's place)."""
        saved = self.function
        try:
            if caller is not None:
                self.function = caller
            return self.skipped_during_export(call)
        finally:
            self.function = saved

    def _built_by_a_module(self, owner: ClassInfo) -> bool:
        """Whether a method of one of the file's classes builds `owner` (a submodule, whose inputs the module that
        builds it passes), not only a module-level factory (`vista3d132()` returns the model a user exports)."""
        for call in self.model.calls_by_name().get(owner.node.name, ()):
            builder = self.model.function_info(self.enclosing_scope(call))
            if builder is None or self.model.owner_class(builder) is not None:
                return True
        return False

    def _passes_an_options_default(self, call: ast.Call, value: ast.expr, default: object) -> bool:
        """Whether a call passes an option of the model's configuration that holds `default` (BLT's
        `max_patch_length=self.config.max_patch_length`, None in its configuration, to a parameter whose default is
        None; `_configuration_options`), so the callee's parameter keeps its default on the default path."""
        key = option_key(value) if type(value) is ast.Attribute else None
        if key is None:
            return False
        options = self._configuration_options()  # a constructor's own options passed on: see `_parameter_options_of`
        return key in options and type(options[key]) is type(default) and options[key] == default

    def _optional_inputs_passed_on(self, info: FunctionInfo) -> dict[str, object]:
        """The parameters of a helper without a default that every call of the file fills with None or with the
        caller's own optional input (`optional_parameters`): kornia's `_process_octave(..., mask)` called with
        `detect`'s `mask=None`. A `forward` is left out (the modules that build it pass its inputs), and so is a
        helper no call of the file reaches or one a call reaches with `*args` or `**kwargs`."""
        if info.name == "forward" or type(info.node) is ast.Lambda:
            return {}
        arguments = info.node.args
        positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
        if info.is_method:
            positional = positional[1:]
        with_default = {argument.arg for argument, _ in parameter_defaults(info.node)}
        candidates = [
            name for name in (*positional, *(a.arg for a in arguments.kwonlyargs)) if name not in with_default
        ]
        sites = self.model.call_sites(info)
        if not candidates or not sites:
            return {}
        found = dict.fromkeys(candidates)
        for caller, call in sites:
            if any(type(a) is ast.Starred for a in call.args) or any(k.arg is None for k in call.keywords):
                return {}
            passed = dict(zip(positional, call.args))
            passed.update((k.arg, k.value) for k in call.keywords if k.arg is not None)
            caller_options = self._caller_options(caller)
            for name in list(found):
                value = passed.get(name)
                if not (
                    (type(value) is ast.Constant and value.value is None)
                    or (type(value) is ast.Name and value.id in caller_options and caller_options[value.id] is None)
                    or (value is not None and self._passes_an_options_default(call, value, None))
                ):
                    del found[name]
            if not found:
                return {}
        rebound = _bound_names(info.node)
        return {name: None for name in found if name not in rebound}

    def given_with_the_data(self) -> frozenset[str]:
        """The inputs named for a modality (`reachability.MODALITY_INPUT`) that the file treats as given with the
        data: a call passes one, where it is not tested for None, to a parameter without a default (Qwen's
        `self.visual(pixel_values, grid_thw=image_grid_thw)`) or to a callee the file does not define. The others
        are options of the data, passed on only to parameters that default to None and tested there (VisualBERT's
        `image_text_alignment`, RADIO's packed `image_grid_hw`): the paths they choose are taken on request. Also the
        inputs that come with images, video or audio (`_companions_of_the_data`: MiniCPM-V's `target_sizes`)."""
        return self.cached(_given_with_the_data, None)

    def _caller_options(self, caller: FunctionInfo | None) -> Mapping[str, object]:
        """What a function's parameters that choose a path hold when it is called without them: its own
        defaults (`reachability.parameter_options`) and the optional inputs its callers pass on to it
        (`_optional_inputs_passed_on`)."""
        if caller is None:
            return {}
        own = parameter_options(caller.node, self.given_with_the_data())
        key = id(caller.node)
        passed_on = self._passed_on.get(key)
        if passed_on is None:
            self._passed_on[key] = {}  # a call cycle back to this function sees none
            passed_on = self._passed_on[key] = self._optional_inputs_passed_on(caller)
        return {**passed_on, **own} if passed_on else own

    def _passes_constructor_flag(self, caller: FunctionInfo, value: ast.expr) -> bool:
        """`scale_image(x, ss, self.crop_scale)` from a method of a module whose `crop_scale` is off by default."""
        attribute = _self_attribute(value)
        return attribute is not None and attribute in self._constructor_flags_off(caller)

    def _constructor_flags_off(self, info: FunctionInfo) -> frozenset[str]:
        """`self.<attribute>` for each constructor option of the module (`_constructor_options`) whose default is
        False (timm's `crop_scale`, kornia's `prosac_sampling`): a path the user asks for when building the model,
        which the model as built by default does not take."""
        owner = self.model.owner_class(info)
        options = self._options_of_constructor(owner) if owner is not None else {}
        return frozenset(attribute for attribute, default in options.items() if default is False)

    def _size_flags_never_passed(self, info: FunctionInfo) -> frozenset[str]:
        """A submodule's `forward` flags that let it take other sizes (`interpolate_pos_encoding=False`), when the
        file's modules run that submodule and none of those calls passes the flag: the user cannot turn it on, so
        the path it guards is not the dynamic-size export's either (Granite-Docling's vision embeddings)."""
        owner = info.owner
        if owner is None or info.name != "forward" or type(info.node) is ast.Lambda:
            return frozenset()
        size_flags = parameters_off_by_default(info.node, size_flags=True) - parameters_off_by_default(info.node)
        calls = self.model.module_call_sites(owner) if size_flags else []
        if not calls:
            return frozenset()
        positional = [a.arg for a in (*info.node.args.posonlyargs, *info.node.args.args)][1:]
        passed: set[str] = set()
        for call in calls:
            if any(type(a) is ast.Starred for a in call.args) or any(k.arg is None for k in call.keywords):
                return frozenset()  # `*args` / `**kwargs`: anything may be passed
            passed.update(k.arg for k in call.keywords if k.arg is not None)
            passed.update(positional[: len(call.args)])
        return frozenset(size_flags - passed)

    def _flags_off_by_default(self, info: FunctionInfo) -> frozenset[str]:
        """The parameters of `info` that default to False and that no call from model code turns on (a
        literal False, or the caller's own parameter of the same name passed on, keep it off)."""
        key = id(info.node)
        flags = self._flags_off.get(key)
        if flags is None:
            flags = parameters_off_by_default(info.node) | self._size_flags_never_passed(info)
            owner = info.owner
            if flags and info.name == "__init__" and owner is not None:
                # A constructor's callers build the class (`Block(moe_enabled=moe_enabled and ...)`), which
                # `call_sites` does not list: its flags are off only where every build leaves them off.
                flags = frozenset(self._kept_by_every_build(owner, dict.fromkeys(flags, False)) or ())
            if flags and type(info.node) is not ast.Lambda:
                every = [a.arg for a in (*info.node.args.posonlyargs, *info.node.args.args)]
                if info.is_method:
                    every = every[1:]
                kept = set(flags)
                for caller, call in self.model.call_sites(info):
                    passed = [(k.arg, k.value) for k in call.keywords if k.arg is not None]
                    passed += [(every[i], value) for i, value in enumerate(call.args) if i < len(every)]
                    for name, value in passed:
                        if name in kept and not (
                            (type(value) is ast.Constant and value.value is False)
                            or (type(value) is ast.Name and value.id == name)
                            or self._passes_constructor_flag(caller, value)
                        ):
                            kept.discard(name)
                flags = frozenset(kept)
            self._flags_off[key] = flags
        return flags

    def _non_default_function(self, info: FunctionInfo) -> str | None:
        """The reason when a whole (outermost) function is a non-default path: a decorated implementation,
        or a function every model-code call to which sits on a non-default path."""
        key = id(info.node)
        if key in self._non_default_memo:
            return self._non_default_memo[key]
        self._non_default_memo[key] = None  # a recursive call is not evidence either way
        decorators = BUILTIN_NON_DEFAULT_DECORATORS | frozenset(self.settings.non_default_decorators)
        reason: str | None = None
        if has_decorator(info.node, decorators) or (
            info.owner is not None and info.name == "forward" and has_decorator(info.owner.node, decorators)
        ):
            reason = "an implementation that a dispatch decorator replaces by default"
        elif _takes_a_process_group(info.node):
            reason = "a function that takes a distributed process group, while an export runs in one process"
        elif info.name == "forward":
            session = self._python_object_parameter(info)
            export_forward = next(
                (name for name in _EXPORT_FORWARDS if info.owner is not None and name in info.owner.methods), None
            )
            if session is not None:
                reason = f"a `forward` that takes a `{session}`, a Python object that an export cannot take as input"
            elif export_forward is not None:
                reason = f"the `forward` of a module that exports `{export_forward}` instead"
            elif info.owner is not None:
                reason = self._built_only_on_request(info.owner) or self.cached(_built_but_never_run, info.owner.node)
        if reason is None:
            # A helper by its calls; a submodule's `forward` by the calls of the attributes that hold it
            # (`if msa is not None: msa = self.msa_stack(msa, ...)`, with `msa=None` by default). The `forward` of a
            # module no module of the file runs (the model the user exports) has no such calls.
            sites = self._callers_of(info) if info.name == "forward" else self.model.call_sites(info)
            saved = self.function
            try:
                for caller, call in sites:
                    outer = caller
                    while outer.parent is not None:
                        outer = outer.parent
                    self.function = caller
                    found = (
                        self._non_default_branch(call)
                        or self._non_default_function(outer)
                        or self._used_only_on_request(outer)
                    )
                    if found is None:
                        reason = None
                        break
                    reason = reason or (found if found.startswith("only called") else f"only called from {found}")
            finally:
                self.function = saved
        self._non_default_memo[key] = reason
        return reason

    def _built_only_on_request(self, owner: ClassInfo) -> str | None:
        """The reason when every place the file builds `owner` is on a path taken only on request (`if
        config.position_embeddings_type == "rotary": self.embed_positions = RotaryEmbedding(config)` with
        `"relative_key"` by default): the module's `forward` runs only in a model built that way."""
        calls = self.model.calls_by_name().get(owner.node.name)
        if not calls:
            return None
        saved = self.function
        reason = None
        try:
            for call in calls:
                self.function = self.model.function_info(self.enclosing_scope(call))
                found = self._non_default_branch(call)
                if found is None:
                    return None
                reason = reason or f"a module the file builds only on a path taken on request: {found}"
        finally:
            self.function = saved
        return reason

    def _python_object_parameter(self, info: FunctionInfo) -> str | None:
        """The class of a required `forward` parameter annotated with a plain class of this file (no bases, no
        decorators: Sam3-video's `inference_session: Sam3VideoInferenceSession`, Wan-Animate's `kv_cache:
        WanAnimate2KVCache`): a stateful driver around the model, which `torch.export` cannot take (its inputs are
        tensors, numbers and registered containers)."""
        if type(info.node) is ast.Lambda:
            return None
        arguments = info.node.args
        positional = [*arguments.posonlyargs, *arguments.args][1:]
        required = positional[: len(positional) - len(arguments.defaults)]
        required += [a for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is None]
        for argument in required:
            annotation = argument.annotation
            if type(annotation) is not ast.Name or annotation.id not in self.model.classes:
                continue
            owner = self.model.classes[annotation.id].node
            # A plain class: not a dataclass or a named tuple (containers of tensors `torch.export` can be told
            # to flatten), not a module.
            if not owner.decorator_list and all(type(b) is ast.Name and b.id == "object" for b in owner.bases):
                return annotation.id
        return None

    def _off_by_default(self, attribute: str) -> bool:
        """Whether the module's constructor sets `self.<attribute> = False` (diffusers' `use_tiling`,
        `use_slicing`): a path the model takes only when the user switches it on after building it,
        which an export of the model as built does not take."""
        owner = self.model.owner_class(self.function)
        if owner is None:
            return False
        key = id(owner.node)
        flags = self._off_by_default_flags.get(key)
        if flags is None:
            flags = self._off_by_default_flags[key] = self._false_in_init(owner)
        return attribute in flags

    def _false_in_init(self, owner: ClassInfo) -> set[str]:
        return _set_in_init(self.model, owner, False)

    def cached_from_an_earlier_call(self, expr: ast.AST) -> bool:
        """Whether `expr` is `self.<attribute>` that the module's constructor sets to None and another of its methods
        sets again (wav2vec2-BERT's `self.cached_sequence_length`, MONAI's `self.ref_grid`): a value a call leaves
        for the next one, None on a freshly built module."""
        attribute = _self_attribute(expr)
        owner = self.model.owner_class(self.function)
        return attribute is not None and owner is not None and attribute in self.cached(_caches_of_earlier_calls, owner)

    def skipped_during_export(self, node: ast.AST) -> bool:
        """True when `node` cannot run while exporting: it sits behind an export guard
        (`if not torch.onnx.is_in_onnx_export(): ...`, `x if is_exporting() else ...`,
        `not is_compiling() and ...`), in a training-only branch (`if self.training:`, `if labels
        is not None:`), or after `if torch.jit.is_tracing(): return ...`."""
        mentions = self._mentions_guards
        if mentions is None:  # searched once per file: rules ask this of every finding they make
            text = self.source.text
            mentions = self._mentions_guards = any(word in text for word in _GUARD_WORDS)
        if not mentions:
            return False
        child = node
        parent = self.parent(node)
        while parent is not None:
            parent_type = type(parent)
            if parent_type is ast.If or parent_type is ast.IfExp:
                polarity = self.guard_polarity(parent.test)  # type: ignore[attr-defined]
                if polarity is not None and child is not parent.test:  # type: ignore[attr-defined]
                    in_body = child is parent.body if parent_type is ast.IfExp else child in parent.body  # type: ignore[attr-defined]
                    if in_body != polarity:
                        return True
                elif (
                    polarity is None
                    and child is not parent.test  # type: ignore[attr-defined]
                    and (child is parent.orelse if parent_type is ast.IfExp else child in parent.orelse)  # type: ignore[attr-defined]
                    and self._symbolic_sizes_routed_away(parent.test, node)  # type: ignore[attr-defined]
                ):
                    return True
            elif parent_type is ast.BoolOp:
                values = parent.values  # type: ignore[attr-defined]
                short_circuit = False if type(parent.op) is ast.And else True  # type: ignore[attr-defined]
                for value in values[: values.index(child)] if child in values else ():
                    if self.guard_polarity(value) is short_circuit:
                        return True
            elif parent_type in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module):
                return self._after_guarded_exit(parent, child)
            if isinstance(child, ast.stmt) and self._after_guarded_exit(parent, child):
                return True
            child, parent = parent, self.parent(parent)
        return False

    def _symbolic_sizes_routed_away(self, test: ast.expr, node: ast.AST) -> bool:
        """Whether `test` sends every symbolic value that `node` reads to its true branch while exporting:
        `elif isinstance(height, torch.SymInt) and torch.onnx.is_in_onnx_export():` keeps a dynamic
        size on the export's own path (kornia's `pyrdown`), so its `else` sees `height` only as a plain
        int, a size the export has fixed anyway."""
        if type(test) is not ast.BoolOp or type(test.op) is not ast.And:
            return False
        routed: set[str] = set()
        guarded = False
        for value in test.values:
            if (
                type(value) is ast.Call
                and type(value.func) is ast.Name
                and value.func.id == "isinstance"
                and len(value.args) == 2
                and type(value.args[0]) is ast.Name
            ):
                kinds = value.args[1].elts if type(value.args[1]) is ast.Tuple else [value.args[1]]
                if any((self.model.qualified_name(k) or "").rsplit(".", 1)[-1] in _SYMBOLIC_TYPES for k in kinds):
                    routed.add(value.args[0].id)
            elif self.guard_polarity(value) is True:
                guarded = True
            else:
                return False
        if not guarded or not routed:
            return False
        # The dims unpacked beside a routed one (`_, _, height, width = x.shape`) are sizes of the same
        # tensor, dynamic together in an export that keeps its spatial dims dynamic.
        for statement in ast.walk(self.enclosing_scope(test)):
            if (
                type(statement) is ast.Assign
                and len(statement.targets) == 1
                and type(statement.targets[0]) is ast.Tuple
            ):
                names = {e.id for e in statement.targets[0].elts if type(e) is ast.Name}
                if names & routed:
                    routed |= names
        read = {n.id for n in ast.walk(node) if type(n) is ast.Name}
        return bool(read & routed)

    def _after_guarded_exit(self, parent: ast.AST, statement: ast.AST) -> bool:
        """Whether an earlier statement of the same block is `if <guard>: return/raise`.

        `after_early_exit`'s answer, from a table built once per block: it is asked for every
        ancestor of every finding, and a module's body can hold thousands of statements.
        """
        table = self._guarded_exits.get(id(parent))
        if table is None:
            table = self._guarded_exits[id(parent)] = statements_after_early_exit(
                parent, lambda test: self.guard_polarity(test) is True
            )
        return table.get(id(statement), False)

    # -- export configuration ------------------------------------------------------------------

    def export_calls(self) -> list[tuple[ast.Call, ExportConfig]]:
        """Every `torch.onnx.export(...)` call of the file, with the configuration it exports with."""
        if self._export_calls is None:
            calls = []
            if "export" in self.source.text:
                for node in walk(self.tree):
                    if type(node) is ast.Call and self.model.qualified_name(node.func) in EXPORT_FUNCTIONS:
                        calls.append((node, self._config_of_call(node)))
            self._export_calls = calls
        return self._export_calls

    def _export_call_spans(self) -> tuple[list[tuple[int, int]], list[tuple[tuple[int, int], ExportConfig]]]:
        """The outermost export calls sorted by start: their starts, and (end, configuration) of each.

        Built once per file, so that `export_config_for` finds the call around a node by bisection
        instead of trying every call of the file for every node a rule asks about. Spans of AST
        nodes are nested or disjoint, and `export_calls` lists an outer call before the calls in its
        arguments (breadth-first), so the first call containing a node is the outermost one: the one
        kept here.
        """
        if self._export_spans is None:
            ordered = sorted(
                (
                    ((call.lineno, call.col_offset), (call.end_lineno or 0, call.end_col_offset or 0), rank, config)
                    for rank, (call, config) in enumerate(self.export_calls())
                ),
                key=lambda span: (span[0], span[2]),
            )
            starts: list[tuple[int, int]] = []
            spans: list[tuple[tuple[int, int], ExportConfig]] = []
            for begin, end, _rank, config in ordered:
                if spans and begin <= spans[-1][0]:
                    continue  # inside the previous outermost call
                starts.append(begin)
                spans.append((end, config))
            self._export_spans = (starts, spans)
        return self._export_spans

    def _config_of_call(self, call: ast.Call) -> ExportConfig:
        base = self.settings.export_config()
        request = export_request(call, self.model.qualified_name(call.func))
        exporter = request.exporter if request.exporter is not None else base.exporter
        opset = request.opset if request.opset is not None else base.requested_opset
        return ExportConfig(exporter, opset, base.target, origin="call")

    def export_config_for(self, node: ast.AST | None = None) -> ExportConfig:
        """The configuration to judge `node` by.

        Inside a `torch.onnx.export(...)` call: that call's own `dynamo=` / `opset_version=`.
        Elsewhere: the file's export calls when they all agree (a model defined next to its
        export script is exported by it); in a file without export calls, the export calls of
        the scripts that import it (`settings.export_sites`, set by the runner) when they agree;
        else the run's settings (`--exporter`, `--opset`).
        """
        calls = self.export_calls()
        if node is not None and calls:
            start = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
            starts, spans = self._export_call_spans()
            index = bisect_right(starts, start) - 1  # the last outermost call starting at or before `node`
            if index >= 0 and start <= spans[index][0]:
                return spans[index][1]
        if self._file_export_config is None:
            configs = {(c.exporter, c.requested_opset) for _, c in calls}
            if len(configs) == 1:
                self._file_export_config = calls[0][1]
            elif not calls and self.settings.export_sites:
                self._file_export_config = self._imported_by_config()
            else:
                self._file_export_config = self.settings.export_config()
        return self._file_export_config

    def _imported_by_config(self) -> ExportConfig:
        """The configuration of the export calls in the scripts that import this file, when they agree."""
        sites = self.settings.export_sites
        configs = {(s.exporter, s.requested_opset) for s in sites}
        if len(configs) != 1:
            return self.settings.export_config()
        first = sites[0]
        site = first.site if len(sites) == 1 else f"{first.site} and {len(sites) - 1} more"
        base = self.settings.export_config()
        return ExportConfig(first.exporter, first.requested_opset, base.target, origin="script", site=site)


def after_early_exit(
    parent: ast.AST,
    statement: ast.AST,
    exits_when: Callable[[ast.expr], bool],
    exits: tuple[type[ast.stmt], ...] = (ast.Return, ast.Raise),
) -> ast.expr | None:
    """The test of an earlier statement of `statement`'s block in `parent` that is `if <test>: ... return` (or
    `raise`, or what `exits` names) with `exits_when(test)`, else None: `statement` only runs when that test was
    false."""
    for block in ("body", "orelse", "finalbody"):
        statements = getattr(parent, block, None)
        if not isinstance(statements, list) or statement not in statements:
            continue
        for earlier in statements[: statements.index(statement)]:
            if type(earlier) is ast.If and always_exits(earlier.body, exits) and exits_when(earlier.test):
                return earlier.test
    return None


def always_exits(statements: list[ast.stmt], exits: tuple[type[ast.stmt], ...]) -> bool:
    """Whether a block ends in one of `exits` on every path: its last statement is one, a `with` block that always
    exits (kornia's `if self.local_optimization == "lm": with torch.no_grad(): ... return self._forward_lm(...)`), or
    an `if` both branches of which always exit."""
    if not statements:
        return False
    last = statements[-1]
    kind = type(last)
    if kind in exits:
        return True
    if kind is ast.With or kind is ast.AsyncWith:
        return always_exits(last.body, exits)  # type: ignore[attr-defined]
    if kind is ast.If:
        return always_exits(last.body, exits) and always_exits(last.orelse, exits)  # type: ignore[attr-defined]
    return False


def statements_after_early_exit(parent: ast.AST, exits_when: Callable[[ast.expr], bool]) -> dict[int, bool]:
    """id(statement) -> whether `after_early_exit(parent, statement, exits_when)` finds an exit, for every statement of
    `parent`'s blocks, in one pass (`exits_when` is asked about every early-exit `if` of the blocks)."""
    table: dict[int, bool] = {}
    for block in ("body", "orelse", "finalbody"):
        statements = getattr(parent, block, None)
        if not isinstance(statements, list):
            continue
        exited = False
        for statement in statements:
            table.setdefault(id(statement), exited)  # the first block holding a statement decides, as there
            if (
                not exited
                and type(statement) is ast.If
                and always_exits(statement.body, (ast.Return, ast.Raise))
                and exits_when(statement.test)
            ):
                exited = True
    return table


def _side_of_every_other_size(test: ast.expr, in_body: bool) -> bool:
    """Whether the side of `test` (its body where `in_body`) holds for every size but those equalities name: the
    `else` of `H == self.window_size and W == self.window_size`, the body of `n != 1`. An example takes it unless it
    has exactly those sizes, so what runs there is traced with ordinary examples."""
    joined = test.values if type(test) is ast.BoolOp else [test]
    wanted = ast.NotEq if in_body else ast.Eq
    return all(type(value) is ast.Compare and len(value.ops) == 1 and type(value.ops[0]) is wanted for value in joined)


def _short(test: ast.AST) -> str:
    text = ast.unparse(test)
    return text if len(text) <= 60 else text[:57] + "..."


_LOGGER_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})


def _is_report_call(context: FileContext, call: ast.Call) -> bool:
    """`print(...)`, `warnings.warn(...)`, `logger.info(...)` / `logging.warning(...)` and the like."""
    name = context.call_name(call)
    if name in ("builtins.print", "warnings.warn"):
        return True
    func = call.func
    if type(func) is ast.Attribute and func.attr in _LOGGER_METHODS:
        receiver = func.value
        label = receiver.id if type(receiver) is ast.Name else receiver.attr if type(receiver) is ast.Attribute else ""
        return "log" in label.lower()
    return False


def _dispatches_on_type_or_presence(test: ast.expr) -> bool:
    """`isinstance(image_size, (list, tuple))`, `x_e is not None and ...`, `self.prev_features is None`: a test that
    adapts the code to the form of a value (its type, whether it was given or computed yet) rather than choosing a
    configuration; the form an export passes is the model's usual one."""
    for node in ast.walk(test):
        if type(node) is ast.Call and (
            (type(node.func) is ast.Name and node.func.id == "isinstance")
            or (type(node.func) is ast.Attribute and node.func.attr == "isinstance")
        ):
            return True
        if (
            type(node) is ast.Compare
            and len(node.ops) == 1
            and type(node.ops[0]) in (ast.Is, ast.IsNot)
            and type(node.comparators[0]) is ast.Constant
            and node.comparators[0].value is None
        ):
            return True
    return False


def _file_around_the_model(context: FileContext, _: None) -> str | None:
    """Why the file is code around the model rather than in it (`reachability.non_model_file`), by its
    path relative to the project root; once per file."""
    name = context.filename
    root = context.settings.project_root
    if root and os.path.isabs(name):
        relative = os.path.relpath(name, root)
        name = relative if not relative.startswith("..") else os.path.basename(name)
    return non_model_file(name) or (pipeline_driver_file(name) if not context.model.defines_module_forward() else None)


_OTHER_VALUE = object()


def _set_only_when_on(init: ast.AST, flags_off: set[str]) -> dict[str, object]:
    """`self.<attribute>` -> None for each attribute the constructor sets to None and again only in the body of an
    `if <flag>:` whose flag is off by default (diffusers' LTX VAE: `self.per_channel_scale1 = None`, then `if
    inject_noise: self.per_channel_scale1 = nn.Parameter(...)`): None in the model as built by default."""
    if not flags_off:
        return {}
    set_to_none: set[str] = set()
    set_when_on: set[str] = set()
    elsewhere: set[str] = set()
    for statement in getattr(init, "body", []):
        if type(statement) is ast.If and type(statement.test) is ast.Name and statement.test.id in flags_off:
            set_when_on |= _stored_self_attributes(statement.body)
            elsewhere |= _stored_self_attributes(statement.orelse)
        elif (
            type(statement) is ast.Assign
            and type(statement.value) is ast.Constant
            and statement.value.value is None
            and len(statement.targets) == 1
        ):
            set_to_none.add(_self_attribute(statement.targets[0]) or "")
        else:
            elsewhere |= _stored_self_attributes([statement])
    return {attribute: None for attribute in (set_to_none & set_when_on) - elsewhere if attribute}


def _stored_self_attributes(statements: Iterable[ast.AST]) -> set[str]:
    """`self.<attribute>` for every attribute of the module that `statements` store to."""
    return {
        _self_attribute(node) or ""
        for statement in statements
        for node in walk(statement)
        if type(node) is ast.Attribute and type(node.ctx) is ast.Store
    }


def _bound_names(function: ast.AST) -> set[str]:
    """The names `function` binds anywhere in its body (assigned, unpacked, looped over, deleted)."""
    return {node.id for node in walk(function) if type(node) is ast.Name and type(node.ctx) is not ast.Load}


# Configuration options that name a special token (`image_token_id`, `video_token_index`, `pad_token_id`).
_TOKEN_ID = re.compile(r"token_(?:id|index|ids)$")


def _keywords_passed_to_classes(context: FileContext, _key: None) -> dict[str, dict[str, list[object]]]:
    """For each name the file calls (`Detector(max_candidates=64)`), what each keyword is passed: a literal's value,
    `_OwnDefault(d)` for the caller's own parameter of the same name with default `d` passed on, `_OTHER_VALUE`
    for anything else; the keyword `"*"` where it passes `**kwargs`."""
    passed: dict[str, dict[str, list[object]]] = {}
    defaults_of: dict[int, dict[str, object]] = {}  # id(calling function) -> its literal defaults
    uniform_of: dict[int, dict[str, object]] = {}  # id(calling function) -> see _uniform_sequence_defaults
    in_pretraining_heads = context.model.in_pretraining_heads()
    for name, calls in context.model.calls_by_name().items():
        positional = _constructor_positional_parameters(context, name)
        for call in calls:
            if id(call) in in_pretraining_heads:
                # PatchTSMixer's `PatchTSMixerModel(config, mask_input=True)` in `PatchTSMixerForPretraining`: the
                # pretraining objective's build, which an export of the model does not take
                continue
            # The keywords, and for a class of the file the arguments passed by position under their parameters'
            # names (NLLB-MoE's `NllbMoeEncoderLayer(config, is_sparse, layer_idx=i)`); `*args` passes anything.
            arguments: list[tuple[str | None, ast.expr]] = [(k.arg, k.value) for k in call.keywords]
            if positional is not None:
                for index, value in enumerate(call.args):
                    if type(value) is ast.Starred:
                        arguments.append((None, value))
                        break
                    if index < len(positional):
                        arguments.append((positional[index], value))
            if not arguments:
                continue
            caller = context.enclosing_scope(call)
            defaults = defaults_of.get(id(caller))
            if defaults is None:
                is_function = type(caller) in (ast.FunctionDef, ast.AsyncFunctionDef)
                defaults = defaults_of[id(caller)] = _literal_defaults(caller) if is_function else {}
            for argument, value in arguments:
                if argument is None:
                    seen: object = _OTHER_VALUE
                elif type(value) is ast.Constant:
                    seen = value.value
                elif type(value) is ast.Name and value.id == argument and value.id in defaults:
                    seen = _OwnDefault(defaults[value.id])
                elif (
                    type(value) is ast.Subscript
                    and type(value.value) is ast.Name
                    and value.value.id == argument
                    and type(value.slice) is not ast.Slice
                    and argument in _uniform_of(caller, uniform_of)
                ):
                    # `inject_noise=inject_noise[i]` from the caller's `inject_noise=(False, False, False)`
                    seen = _OwnDefault(uniform_of[id(caller)][argument])
                elif _self_attribute(value) == f"self.{argument}" and argument in (
                    stored := context.cached(_stored_constructor_defaults, caller)
                ):
                    # `is_causal=self.is_causal`, the caller's module's own `is_causal: bool = True`: its default, if
                    # the modules that build the caller leave it so (checked in `_options_of_constructor`)
                    owner = context.model.owner_class(context.model.function_info(caller))
                    seen = _OwnDefault(stored[argument], (owner, f"self.{argument}") if owner is not None else None)
                else:
                    seen = _OTHER_VALUE
                passed.setdefault(name, {}).setdefault(argument or "*", []).append(seen)
    return passed


def _constructor_positional_parameters(context: FileContext, name: str) -> list[str] | None:
    """The positional parameters of the constructor of the file's class `name` after `self`, or None when `name`
    is no class of the file or its constructor is not found."""
    owner = context.model.classes.get(name)
    init = context.model.find_method(owner, "__init__") if owner is not None else None
    if init is None:
        return None
    return [a.arg for a in (*init.args.posonlyargs, *init.args.args)][1:]


def _stored_constructor_defaults(context: FileContext, function: ast.AST) -> dict[str, object]:
    """For a method, the attributes its module's constructor sets to a parameter of the same name left as it is
    (`self.is_causal = is_causal`, `is_causal: bool = True`), with that parameter's literal default (once per
    calling function, through `FileContext.cached`)."""
    info = context.model.function_info(function)
    owner = info.owner if info is not None else None
    init = context.model.find_method(owner, "__init__") if owner is not None else None
    if init is None:
        return {}
    defaults = context.cached(_constructor_defaults, init)
    return {
        name: defaults[name]
        for statement in walk(init)
        if type(statement) is ast.Assign and type(statement.value) is ast.Name and statement.value.id in defaults
        for target in statement.targets
        if (name := (_self_attribute(target) or "").removeprefix("self.")) == statement.value.id
    }


class _OwnDefault:
    """A caller's own parameter passed on under the same name, with its default; or the caller's module's own
    attribute (`is_sparse=self.is_sparse`), with the class and attribute whose default it is only as built by default
    (`stored`)."""

    def __init__(self, default: object, stored: tuple[ClassInfo, str] | None = None) -> None:
        self.default = default
        self.stored = stored


def _keeps_default(passed: object, default: object) -> bool:
    if isinstance(passed, _OwnDefault):
        passed = passed.default
    return passed is not _OTHER_VALUE and type(passed) is type(default) and passed == default


def _uniform_of(caller: ast.AST, table: dict[int, dict[str, object]]) -> dict[str, object]:
    """`_uniform_sequence_defaults` of `caller`, computed once per calling function."""
    found = table.get(id(caller))
    if found is None:
        found = table[id(caller)] = _uniform_sequence_defaults(caller)
    return found


def _uniform_sequence_defaults(function: ast.AST) -> dict[str, object]:
    """The parameters of a function whose default is a tuple or list of one literal repeated (`inject_noise=(False,
    False, False, False)`), with that literal, where the function binds them again only to a reordering of
    themselves (`inject_noise = tuple(reversed(inject_noise))`): any item is the literal."""
    if type(function) not in (ast.FunctionDef, ast.AsyncFunctionDef):
        return {}
    found: dict[str, object] = {}
    for argument, default in parameter_defaults(function):
        if type(default) in (ast.Tuple, ast.List) and default.elts:  # type: ignore[attr-defined]
            items = default.elts  # type: ignore[attr-defined]
            if all(type(item) is ast.Constant for item in items) and len({repr(item.value) for item in items}) == 1:
                found[argument.arg] = items[0].value
    if found:
        for node in walk(function):
            if type(node) is ast.Assign:
                for target in node.targets:
                    if type(target) is ast.Name and target.id in found and not _reorders(node.value, target.id):
                        del found[target.id]
            elif type(node) in (ast.AugAssign, ast.AnnAssign, ast.For, ast.NamedExpr):
                bound = getattr(node, "target", None)
                if type(bound) is ast.Name:
                    found.pop(bound.id, None)
    return found


def _reorders(value: ast.expr, name: str) -> bool:
    """`tuple(reversed(name))`, `list(reversed(name))`, `name[::-1]`: the same items in another order."""
    if type(value) is ast.Subscript and type(value.value) is ast.Name and value.value.id == name:
        part = value.slice
        return type(part) is ast.Slice and part.lower is None and part.upper is None
    if type(value) is ast.Call and type(value.func) is ast.Name and value.func.id in ("tuple", "list") and value.args:
        inner = value.args[0]
        return (
            type(inner) is ast.Call
            and type(inner.func) is ast.Name
            and inner.func.id == "reversed"
            and len(inner.args) == 1
            and type(inner.args[0]) is ast.Name
            and inner.args[0].id == name
        )
    return False


def _literal_defaults(function: ast.AST) -> dict[str, object]:
    """The parameters of `function` whose default is a literal None, bool, number or string, with it."""
    found = {argument.arg: literal_value(default) for argument, default in parameter_defaults(function)}
    return {name: value for name, value in found.items() if value is not NOT_LITERAL}


def _given_with_the_data(context: FileContext, _key: None) -> frozenset[str]:
    """See `FileContext.given_with_the_data`."""
    model = context.model
    # Only the inputs that could be options matter: parameters named for a modality that default to None.
    candidates = {
        argument.arg
        for info in model.definitions()
        for argument, default in parameter_defaults(info.node)
        if type(default) is ast.Constant and default.value is None and MODALITY_INPUT.match(argument.arg)
    }
    given: set[str] = set()
    for call in cast("list[ast.Call]", _calls_on_lines_naming(context, candidates)):
        passed = _arguments_of(call)
        named = [
            (index, keyword, value.id)
            for index, keyword, value in passed
            if type(value) is ast.Name and value.id not in given and value.id in candidates
        ]
        if not named:
            continue
        caller = model.function_info(context.enclosing_scope(call))
        callee = model.resolve_local_call(call, caller) or model.submodule_forward(call, caller)
        for index, keyword, name in named:
            if _tested_for_none_at(context, call, name):
                continue
            if callee is None or _binds_a_required_parameter(callee, index, keyword):
                given.add(name)
    # The inputs of another modality than text, also by their usual names (`pixel_values`, `input_features`).
    media = given | {
        argument.arg
        for info in model.definitions()
        for argument in (*info.node.args.posonlyargs, *info.node.args.args, *info.node.args.kwonlyargs)
        if MEDIA_INPUT.match(argument.arg)
    }
    if media:
        given |= _companions_of_the_data(context, media)
    return frozenset(given)


def _arguments_of(call: ast.Call) -> list[tuple[int | None, str | None, ast.expr]]:
    """(position, keyword, value) for each argument of `call`: positional ones by index, keyword ones by name
    (`**kwargs` with keyword None)."""
    passed: list[tuple[int | None, str | None, ast.expr]] = [
        (index, None, value) for index, value in enumerate(call.args)
    ]
    passed += [(None, keyword.arg, keyword.value) for keyword in call.keywords]
    return passed


def _calls_on_lines_naming(context: FileContext, names: Collection[str]) -> list[ast.AST]:
    """The calls on the lines of the file that mention one of `names` (none for no names)."""
    if not names:
        return []
    word = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in sorted(names)) + r")\b")
    lines = {context.source.location(match.start()).row for match in word.finditer(context.source.text)}
    return nodes_on_lines(context.tree, lines, (ast.Call,)) if lines else []


def _companions_of_the_data(context: FileContext, media: set[str]) -> set[str]:
    """The inputs that default to None which a call that passes images, video or audio (`media`, read anywhere in
    its arguments) also passes, where they are not tested for None, to parameters of the file without a default:
    whenever such data comes, they come with it (MiniCPM-V's `get_image_features(pixel_values[:1], target_sizes)` under
    `if pixel_values is not None:`, with `target_sizes` required there). Not a cache (`reachability.is_cache_name`)."""
    model = context.model
    optional = {
        argument.arg
        for info in model.definitions()
        for argument, default in parameter_defaults(info.node)
        if type(default) is ast.Constant
        and default.value is None
        and argument.arg not in media
        and not is_cache_name(argument.arg)
    }
    companions: set[str] = set()
    for call in cast("list[ast.Call]", _calls_on_lines_naming(context, media)):
        arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
        if not any(type(node) is ast.Name and node.id in media for a in arguments for node in ast.walk(a)):
            continue
        caller = model.function_info(context.enclosing_scope(call))
        callee = model.resolve_local_call(call, caller) or model.submodule_forward(call, caller)
        if callee is None:
            continue  # a callee the file does not define may take anything with a default
        for index, keyword, value in _arguments_of(call):
            if (
                type(value) is ast.Name
                and value.id in optional
                and value.id not in companions
                and not _tested_for_none_at(context, call, value.id)
                and _binds_a_required_parameter(callee, index, keyword)
            ):
                companions.add(value.id)
    return companions


def _binds_a_required_parameter(callee: FunctionInfo, index: int | None, keyword: str | None) -> bool:
    """Whether the argument at position `index` (or passed as `keyword`) of a call of `callee` binds a parameter
    without a default, or one the call cannot name (`*args`, `**kwargs`: the callee passes it on, unseen)."""
    arguments = callee.node.args
    positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    if callee.is_method:
        positional = positional[1:]
    if keyword is not None:
        name: str | None = (
            keyword if keyword in positional or keyword in {a.arg for a in arguments.kwonlyargs} else None
        )
    else:
        name = positional[index] if index is not None and index < len(positional) else None
    if name is None:
        return True
    return name not in {argument.arg for argument, _ in parameter_defaults(callee.node)}


def _tested_for_none_at(context: FileContext, node: ast.AST, name: str) -> bool:
    """Whether `node` runs only where `name` is not None: in the body of `if name is not None:` (or of an `and`
    after it), in the `else` of `if name is None:`, or after `if name is None: return ...` in the same block
    (`after_early_exit`), up to the enclosing function's own body."""
    child, parent = node, context.parent(node)
    while parent is not None:
        if type(parent) in (ast.If, ast.IfExp, ast.While):
            test = parent.test  # type: ignore[attr-defined]
            if child is not test:
                in_body = child is parent.body or child in (  # type: ignore[attr-defined]
                    parent.body if type(parent.body) is list else [parent.body]  # type: ignore[attr-defined]
                )
                if name in (tested_not_none(test) if in_body else set(tested_for_none(test))):
                    return True
        elif type(parent) is ast.BoolOp and type(parent.op) is ast.And:
            earlier = parent.values[: next(i for i, value in enumerate(parent.values) if value is child)]
            if any(name in tested_not_none(value) for value in earlier):
                return True
        if after_early_exit(parent, child, lambda test: name in set(tested_for_none(test))) is not None:
            return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
        child, parent = parent, context.parent(parent)
    return False


def _module_folder(context: FileContext, _key: None) -> ModuleFolder:
    """The file's constants and functions to fold constructor code with (`folding.ModuleFolder`), once per file."""
    return ModuleFolder(context.tree)


def _constructor_defaults(context: FileContext, init: ast.AST) -> dict[str, object]:
    """`_literal_constructor_defaults` of a constructor, computed once per file (`FileContext.cached`)."""
    return _literal_constructor_defaults(init)


def _literal_constructor_defaults(init: ast.AST) -> dict[str, object]:
    """`_literal_defaults` of a constructor, but the parameters it binds again or requires with a `raise` (see
    `reachability.optional_parameters`) and the flags that let a model take other sizes."""
    defaults = _literal_defaults(init)
    optional = optional_parameters(init, main_input=False)
    rebound = _bound_names(init)
    return {
        name: default
        for name, default in defaults.items()
        if name not in rebound and (default is not None or name in optional) and not is_size_flag(name)
    }


def _single_bindings(context: FileContext, function: ast.AST) -> dict[str, ast.expr]:
    """See `FileContext.bound_once`: name -> value for the locals of `function` bound exactly once, wholly."""
    arguments = getattr(function, "args", None)
    parameters = (
        {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)} if arguments else set()
    )
    found: dict[str, ast.expr] = {}
    for name, bindings in bindings_in(scope_nodes(function, signature=False)).items():
        if name in parameters or len(bindings) != 1:
            continue
        binding = bindings[0]
        if binding.role is Role.WHOLE and binding.value is not None:
            found[name] = binding.value
    return found


def _built_but_never_run(context: FileContext, owner: ast.ClassDef) -> str | None:
    """Why the `forward` of `owner` is not run by the models of the file, when every build of it is `self.<attribute> =
    Owner(...)` in another class that defines its own `forward`, and nothing in the file reads those attributes (no `self.<attribute>`, no
    `getattr(self, ...)` with a computed name, no string naming it): esmfold2's `confidence_head`, which only the
    generation helper of another file runs. None otherwise (a model no module builds is the one a user exports)."""
    builds = context.model.calls_by_name().get(owner.name)
    if not builds:
        return None
    attributes: set[str] = set()
    for call in builds:
        statement = context.parent(call)
        if type(statement) is not ast.Assign or len(statement.targets) != 1:
            return None
        attribute = _self_attribute(statement.targets[0])
        builder = context.model.owner_class(context.model.function_info(context.enclosing_scope(call)))
        if attribute is None or builder is None or builder.node is owner or "forward" not in builder.methods:
            return None  # a builder without its own `forward` may be a base whose subclass elsewhere runs it
        attributes.add(attribute[len("self.") :])
    read = context.cached(_attributes_read, None)
    if read is None or attributes & read:
        return None  # run, passed on, returned or named somewhere in the file, or read by a computed name
    shown = ", ".join(f"`self.{attribute}`" for attribute in sorted(attributes))
    return f"a submodule the file's models build as {shown} but never run (their code does not read it)"


def _attributes_read(context: FileContext, _key: None) -> frozenset[str] | None:
    """The attributes the file reads as `self.<attribute>` or names in a string (`getattr(self, "head")`, a list of
    module names); None when it reads one by a computed name (`getattr(self, name)`): any may be read."""
    found: set[str] = set()
    for node in walk(context.tree):
        if type(node) is ast.Attribute and type(node.ctx) is ast.Load:
            if type(node.value) is ast.Name and node.value.id == "self":
                found.add(node.attr)
        elif type(node) is ast.Constant and type(node.value) is str:
            found.add(node.value)
        elif type(node) is ast.Call and type(node.func) is ast.Name and node.func.id == "getattr":
            if len(node.args) > 1 and type(node.args[1]) is not ast.Constant:
                return None
    return frozenset(found)


def _used_only_by_on_request_definitions(context: FileContext, _key: None) -> dict[str, str]:
    """Top-level name -> why, for each top-level definition of the file that the file refers to only from inside
    its definitions the run uses only on request (`settings.on_request`), transitively: `fourier_filter`, which only
    `apply_freeu` calls. A definition the file does not refer to at all is left alone (the model a user exports)."""
    on_request = {use.name: use.reason for use in context.settings.on_request}
    definitions = {
        node.name: node
        for node in context.tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    users: dict[str, set[str | None]] = {}  # definition -> the top-level definitions (None: module level) using it
    for statement in context.tree.body:
        owner = statement.name if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None
        for node in ast.walk(statement):
            if type(node) is ast.Name and type(node.ctx) is ast.Load and node.id in definitions and node.id != owner:
                users.setdefault(node.id, set()).add(owner)
    found: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for name, using in users.items():
            if name in on_request or name in found:
                continue
            if using and all(user is not None and (user in on_request or user in found) for user in using):
                user = sorted(u for u in using if u is not None)[0]
                found[name] = f"only called from `{user}`: {on_request.get(user) or found[user]}"
                changed = True
    return found


_MODULE_BASES = frozenset({"Module", "nn.Module", "torch.nn.Module"})


def _fallback_attributes(context: FileContext, owner: ast.ClassDef) -> dict[str, object]:
    """`self.<attribute>` -> the fallback for each attribute the module reads only through `getattr(self, "s1", None)`
    and that no code of the file sets (no store, no `setattr`, no class attribute), in a module whose bases are
    `nn.Module` or classes of the file that set none either: diffusers' FreeU blocks read `s1`, which only
    `enable_freeu()` in another file sets, so `is_freeu_enabled` is None as the model is built."""
    if "getattr(self" not in context.source.text:
        return {}
    classes = {node.name: node for node in context.tree.body if type(node) is ast.ClassDef}
    lineage, seen = [owner], set()
    while lineage:  # every base is nn.Module or a class of the file (whose own bases are checked in turn)
        current = lineage.pop()
        seen.add(current.name)
        for base in current.bases:
            text = ast.unparse(base)
            if text in classes and text not in seen:
                lineage.append(classes[text])
            elif text not in _MODULE_BASES and text not in classes:
                return {}
    fallbacks: dict[str, object] = {}
    for node in ast.walk(owner):
        read = getattr_with_default(node)
        if read is not None and type(read.value) is ast.Name and read.value.id == "self":
            fallback = node.args[2].value  # type: ignore[attr-defined]
            if fallback is None or type(fallback) in (bool, int, str):
                fallbacks[f"self.{read.attr}"] = fallback
    if not fallbacks:
        return {}
    attributes_set = context.cached(_attributes_set, None)
    if attributes_set is None:
        return {}  # `setattr(self, key, value)`: any attribute may be set
    return {attribute: value for attribute, value in fallbacks.items() if attribute not in attributes_set}


def _attributes_set(context: FileContext, _key: None) -> frozenset[str] | None:
    """`self.<attribute>` for every attribute name the file stores to (on any object), sets with `setattr` or declares
    as a class attribute, outside its opt-in switches (`enable_freeu()` sets `s1` when the user asks) and not counting
    a `setattr(..., None)` (`disable_freeu()` puts the fallback back); None when a `setattr` names its attribute by a
    computed name, so any may be set."""
    found: set[str] = set()
    pending: list[ast.AST] = [context.tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and on_request_function(node.name):
            continue
        pending.extend(ast.iter_child_nodes(node))
        if type(node) is ast.Attribute and type(node.ctx) is not ast.Load:
            found.add(f"self.{node.attr}")
        elif type(node) is ast.Call and type(node.func) is ast.Name and node.func.id in ("setattr", "delattr"):
            name = node.args[1] if len(node.args) > 1 else None
            value = node.args[2] if len(node.args) > 2 else None
            if type(value) is ast.Constant and value.value is None:
                continue
            if type(name) is not ast.Constant:
                return None
            found.add(f"self.{name.value!s}")
        elif type(node) is ast.ClassDef:
            for statement in node.body:
                for target in getattr(statement, "targets", [getattr(statement, "target", None)]):
                    if type(target) is ast.Name:
                        found.add(f"self.{target.id}")
    return frozenset(found)


def _literal_attributes(init: ast.AST) -> dict[str, object]:
    """`self.<attribute>` -> value for the attributes a constructor's own statements (not a nested block) set to a bool,
    number or string literal and that it sets nowhere else (HunyuanVideo's VAE `self.use_framewise_encoding = True`):
    what the module holds as built."""
    counts: dict[str, int] = {}
    for node in walk(init):
        attribute = _self_attribute(node) if type(node) is ast.Attribute and type(node.ctx) is ast.Store else None
        if attribute is not None:
            counts[attribute] = counts.get(attribute, 0) + 1
    found: dict[str, object] = {}
    for statement in getattr(init, "body", ()):
        if type(statement) is ast.Assign and len(statement.targets) == 1:
            attribute = _self_attribute(statement.targets[0])
            value = literal_value(statement.value)
            if attribute is not None and counts.get(attribute) == 1 and value is not None and value is not NOT_LITERAL:
                found[attribute] = value
    return found


def _caches_of_earlier_calls(context: FileContext, owner: ClassInfo) -> dict[str, object]:
    """`self.<attribute>` -> None for each attribute the constructor of the class sets to None and another of its
    methods sets again (wav2vec2-BERT's `self.cached_sequence_length`, MagViT's causal conv's `self.prev_features`):
    a value a call leaves for the next one, None on a freshly built module, the one an export traces. A branch on such
    a cache being set (`else` of `if self.prev_features is None:`) runs only on a module called before (measured for
    ONX302, `cached_for_last_length`)."""
    stored = _stored_self_attributes(method for name, method in owner.methods.items() if name != "__init__")
    return {f"self.{name}": None for name in _set_in_init(context.model, owner, None) if f"self.{name}" in stored}


def _set_in_init(model: ModuleModel, owner: ClassInfo, literal: object) -> set[str]:
    """The attributes that the constructor of `owner` sets to `literal` (`self.use_tiling = False`)."""
    found: set[str] = set()
    init = model.find_method(owner, "__init__")
    for node in model.assignments_and_calls(init) if init is not None else ():
        if type(node) is ast.Assign and type(node.value) is ast.Constant and node.value.value is literal:
            for target in node.targets:
                if type(target) is ast.Attribute and type(target.value) is ast.Name and target.value.id == "self":
                    found.add(target.attr)
    return found


def _self_attribute(node: ast.AST) -> str | None:
    if type(node) is ast.Attribute and type(node.value) is ast.Name and node.value.id == "self":
        return f"self.{node.attr}"
    return None


def _record_attributes(
    statements: list[ast.stmt],
    config: Mapping[str, object],
    options: dict[str, object],
    chosen: bool = False,
    local: dict[str, object] | None = None,
) -> None:
    """What a constructor's statements set `self.<attribute>`s to on the configuration's defaults (see
    `FileContext._configuration_options`): only the branch of an `if` on an option that its default takes.
    `chosen`: the statements are that branch (a value there that is no literal is some object, not None). `local`:
    what the constructor's plain names hold on those defaults (TimeSformer's `attention_type =
    config.attention_type`, then `self.attention_type = attention_type`); a name bound to two things holds neither."""
    if local is None:
        local = {}
    for statement in statements:
        if type(statement) is ast.If:
            decided = non_default_test(statement.test, frozenset(), _with_locals(config, local))
            if decided is None:
                _record_attributes(statement.body + statement.orelse, config, options, chosen, local)
            else:
                _record_attributes(statement.body if decided else statement.orelse, config, options, True, local)
            continue
        if type(statement) in (ast.Assign, ast.AnnAssign, ast.AugAssign):
            targets = statement.targets if type(statement) is ast.Assign else [statement.target]  # type: ignore[attr-defined]
            value = statement.value if type(statement) is not ast.AugAssign else None  # type: ignore[attr-defined]
            default = _default_of(value, config, chosen, local) if value is not None else _CONFLICTING
            for target in targets:
                attribute = _self_attribute(target)
                bound = local if attribute is None and type(target) is ast.Name else options
                name = attribute if attribute is not None else target.id if type(target) is ast.Name else None
                if name is None:
                    continue
                if name in bound and bound[name] is not default and bound[name] != default:
                    bound[name] = _CONFLICTING  # set to two different things
                else:
                    bound[name] = default
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            nested = getattr(statement, field, None)
            if nested:
                _record_attributes([n for n in nested if isinstance(n, ast.stmt)], config, options, chosen, local)


def _returns_a_literal(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a `return` of `function` may give a literal or a tuple with one (a name, a literal or a conditional
    expression among what it returns): the only calls `FileContext._default_return` walks the callee of."""
    for node in walk(function):
        if type(node) is ast.Return and node.value is not None:
            returned = node.value.elts if type(node.value) is ast.Tuple else [node.value]
            if any(type(item) in (ast.Name, ast.Constant, ast.IfExp) for item in returned):
                return True
    return False


def _passed_literal(expr: ast.expr, known: Mapping[str, object]) -> object:
    """The literal an argument holds where the call is made: a literal, or a name or option the caller's default path
    fixes (`known`); else `UNKNOWN_VALUE`."""
    value = literal_value(expr)
    if value is NOT_LITERAL:
        key = option_key(expr)
        value = known.get(key, UNKNOWN_VALUE) if key is not None else UNKNOWN_VALUE
    return value if is_plain_literal(value) else UNKNOWN_VALUE


def _with_locals(config: Mapping[str, object], local: Mapping[str, object] | None) -> Mapping[str, object]:
    """`config` and the constructor's names known on its defaults (not those bound to two things)."""
    known = {name: value for name, value in local.items() if value is not _CONFLICTING} if local else None
    return {**config, **known} if known else config


def _default_of(
    value: ast.expr, config: Mapping[str, object], chosen: bool, local: Mapping[str, object] | None = None
) -> object:
    """The value an expression has on the configuration's defaults: an option's default, a literal, what an
    option chooses between two (`x if config.flag else None`), a constructor's name bound to one of those (`local`),
    or, in a branch an option chose, some object; `_CONFLICTING` otherwise."""
    key = option_key(value)
    if key is not None and key.startswith("config.") and key in config:
        return config[key]
    if local and type(value) is ast.Name and value.id in local:
        return local[value.id]
    if type(value) is ast.IfExp:
        decided = non_default_test(value.test, frozenset(), _with_locals(config, local))
        if decided is not None:
            return _default_of(value.body if decided else value.orelse, config, True, local)
    if chosen:
        return value.value if type(value) is ast.Constant else NOT_NONE
    return _CONFLICTING


def _takes_a_process_group(function: ast.AST) -> bool:
    """Whether a parameter of `function` is annotated as a `torch.distributed` process group (`group:
    dist.ProcessGroup`, `Optional["ProcessGroup"]`): code of a distributed run (diffusers' Ulysses attention helpers)."""
    arguments = getattr(function, "args", None)
    if arguments is None:
        return False
    for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
        for node in ast.walk(argument.annotation) if argument.annotation is not None else ():
            if (
                (type(node) is ast.Name and node.id == "ProcessGroup")
                or (type(node) is ast.Attribute and node.attr == "ProcessGroup")
                or (type(node) is ast.Constant and type(node.value) is str and "ProcessGroup" in node.value)
            ):
                return True
    return False
