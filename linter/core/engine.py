"""The engine: lint one module's text with every enabled rule in a single traversal.

`lint_source` is a pure function of (text, filename, settings) -> findings. It knows nothing of
particular rules: it asks the registry for the enabled rule classes, skips the file when its
text mentions none of their trigger names, parses it once with Python's `ast`, and walks the
tree once, calling each rule's `visit_<NodeType>` / `leave_<NodeType>` methods.

This is the one-shot engine; `onnxlint.core.incremental` re-lints an edited text with its walker.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from onnxlint.analysis.semantic import FunctionScope, Kind
from onnxlint.analysis.traversal import CHILD_FIELDS, child_fields
from onnxlint.core import noqa
from onnxlint.core.context import FileContext
from onnxlint.core.findings import Finding, Location, Severity
from onnxlint.core.registry import selected_rules
from onnxlint.core.rule import Rule, rule_url
from onnxlint.core.settings import LintSettings, NonDefaultReference, Selection
from onnxlint.core.source import SourceText

PARSE_ERROR_CODE = "ONX000"
RULE_CRASH_CODE = "ONX001"

_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSION_NODES = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
# Nodes without children to visit (ctx and operator leaves are never visited).
_CHILDLESS_NODES = (ast.Name, ast.Constant, ast.alias, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal)
# Nodes whose children see another `context.function` / `scope` / `class_stack`.
_BOOKKEEPING_NODES = frozenset((*_SCOPE_NODES, *_COMPREHENSION_NODES, ast.ClassDef))


@dataclass
class LintResult:
    findings: list[Finding]
    parsed: bool = True  # False: the file did not parse (one ONX000 finding)
    skipped: bool = False  # True: no enabled rule could fire (or the file is exempt): nothing was walked
    crashed_rules: list[str] = field(default_factory=list)
    suppressed: int = 0


def lint_source(
    text: str,
    filename: str = "<stdin>",
    settings: LintSettings | None = None,
    *,
    relative_path: str | None = None,
    rules: Sequence[type[Rule]] | None = None,
) -> LintResult:
    settings = settings or LintSettings()
    if rules is None:
        ignored = settings.ignored_for(relative_path or filename)
        rules = enabled_rules(settings.selection, ignored)
    if noqa.file_is_exempt(text):
        return LintResult([], skipped=True)
    present: dict[str, bool] = {}  # each trigger name is searched for once, however many rules share it
    candidates = [rule for rule in rules if may_fire(rule, text, present)]
    # One file at a time per process. The GIL runs one thread's Python at a time anyway, and the
    # deep-file retry raises the process-wide recursion limit and lowers it again: a thread caught
    # deeper than the lowered limit is a fatal error in CPython, not an exception.
    with LINT_LOCK:
        return _lint_parsed(text, filename, settings, candidates)


def _lint_parsed(text: str, filename: str, settings: LintSettings, candidates: Sequence[type[Rule]]) -> LintResult:
    try:
        tree = parse_module(text, filename)
    except (SyntaxError, ValueError) as error:
        return LintResult([parse_error_finding(error, filename, text)], parsed=False)
    except (RecursionError, MemoryError, SystemError):
        # How deep the parser may go depends on how deep the caller's stack already is: try again
        # on a fresh thread, so that the answer depends on the file alone. (SystemError: CPython's
        # AST depth bookkeeping breaks when another thread changes the recursion limit mid-parse,
        # as analyse_deep does; the retry runs under its lock.)
        return analyse_deep(text, filename, settings, candidates)
    if not candidates:
        # No rule can fire (the file mentions none of their trigger names): nothing to walk. It is
        # still parsed, so that a file that does not parse always gets its ONX000.
        return LintResult([], skipped=True)

    try:
        result = _analyse(tree, text, filename, settings, candidates)
    except RecursionError:
        result = None
    if result is None:
        # The file parsed but nests deeper than the default recursion limit lets the walk and the
        # rules' own recursion go (a few hundred `a + b + ...` terms, a long `elif` chain): lint it
        # again on a thread with a large stack and a raised limit.
        result = analyse_deep(text, filename, settings, candidates)
    return result


def non_default_references(
    text: str, filename: str, settings: LintSettings, wanted: frozenset[str]
) -> tuple[NonDefaultReference, ...]:
    """The calls the file makes, on paths its export takes only on request, of the names `wanted` that it imports from
    its own package (`FileContext.non_default_references`); none when it does not parse. No rule runs: the runner's
    cross-file step asks this of the few files that call a definition of the run that has findings."""
    try:
        tree = parse_module(text, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
        return ()
    with LINT_LOCK:
        try:
            return FileContext(filename, text, tree, settings).non_default_references(wanted)
        except RecursionError:
            return ()  # too deep to analyse here: its calls count as uses on the default path


def parse_module(text: str, filename: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes etc. is not ours to report
        return ast.parse(text, filename=filename)


def _analyse(
    tree: ast.Module, text: str, filename: str, settings: LintSettings, candidates: Sequence[type[Rule]]
) -> LintResult | None:
    """Walk the tree with the rules; None when the walk or a rule ran out of recursion depth."""
    context = FileContext(filename, text, tree, settings)
    instances = [rule(context) for rule in candidates]
    walker = Walker(context, instances)
    walker.run(tree)
    if walker.overflowed:
        return None
    findings, suppressed = noqa.apply(context.findings, text)
    findings.extend(walker.crash_findings)
    findings.sort(key=lambda f: f.sort_key)
    return LintResult(findings, crashed_rules=walker.crashed, suppressed=suppressed)


# A deep file is linted again on a thread with this stack and this recursion limit. The stack is
# reserved, not committed: only the pages a deep walk touches are used. The limit stays far below
# what the stack holds even when every Python frame re-enters the C interpreter.
_DEEP_STACK_BYTES = 512 * 1024 * 1024
_DEEP_RECURSION_LIMIT = 40_000
_DEEP_LOCK = threading.Lock()
LINT_LOCK = threading.RLock()  # see lint_source


def analyse_deep(text: str, filename: str, settings: LintSettings, candidates: Sequence[type[Rule]]) -> LintResult:
    outcome: list[LintResult | BaseException | None] = [None]

    def target() -> None:
        try:
            # Parsed under the caller's limit, from the bottom of a fresh stack: Python's parser then
            # accepts about 3,000 levels, whoever calls, and that bounds the walk below.
            try:
                tree = parse_module(text, filename)
            except (SyntaxError, ValueError) as error:
                outcome[0] = LintResult([parse_error_finding(error, filename, text)], parsed=False)
                return
            except (RecursionError, MemoryError) as error:
                reason = f"Python's parser gave up ({type(error).__name__})"
                outcome[0] = LintResult([_too_deep_finding(filename, reason)], parsed=False)
                return
            sys.setrecursionlimit(max(limit, _DEEP_RECURSION_LIMIT))
            outcome[0] = _analyse(tree, text, filename, settings, candidates)
        except BaseException as error:  # reported below, on the caller's thread
            outcome[0] = error

    with _DEEP_LOCK:  # the recursion limit and the thread stack size are process-wide settings
        limit = sys.getrecursionlimit()
        try:
            previous_stack = threading.stack_size(_DEEP_STACK_BYTES)
        except (ValueError, RuntimeError):
            previous_stack = None
        try:
            thread = threading.Thread(target=target, name="onnxlint-deep-file", daemon=True)
            thread.start()
            thread.join()
        except RuntimeError as error:  # no thread could be started (memory limits)
            outcome[0] = error
        finally:
            sys.setrecursionlimit(limit)
            if previous_stack is not None:
                threading.stack_size(previous_stack)
    result = outcome[0]
    if isinstance(result, LintResult):
        return result
    if result is None or isinstance(result, (RecursionError, MemoryError, RuntimeError)):
        reason = type(result).__name__ if result is not None else "RecursionError"
        return LintResult([_too_deep_finding(filename, f"its analysis ran out of depth ({reason})")], parsed=False)
    raise result


def _too_deep_finding(filename: str, reason: str) -> Finding:
    return Finding(
        code=PARSE_ERROR_CODE,
        message=f"The file nests too deeply to be linted: {reason}; not linted",
        severity=Severity.ERROR,
        filename=filename,
        start=Location(1, 1),
        end=Location(1, 1),
        rule_name="syntax_error",
        url=rule_url(PARSE_ERROR_CODE),
    )


@functools.lru_cache(maxsize=64)
def enabled_rules(selection: Selection, ignored: tuple[str, ...]) -> tuple[type[Rule], ...]:
    """The enabled rules, computed once per (selection, per-file ignores), not once per file."""
    return tuple(selected_rules(selection, ignored))


def may_fire(rule: type[Rule], text: str, present: dict[str, bool]) -> bool:
    names = rule.trigger_names
    if not names:
        return True
    for name in names:
        found = present.get(name)
        if found is None:
            found = present[name] = name in text
        if found:
            return True
    return False


def parse_error_finding(error: Exception, filename: str, text: str) -> Finding:
    row = getattr(error, "lineno", None) or 1
    column = getattr(error, "offset", None) or 1
    message = getattr(error, "msg", None) or str(error)
    end_row = getattr(error, "end_lineno", None) or row
    end_column = getattr(error, "end_offset", None) or column
    if (end_row, end_column) < (row, column):
        end_row, end_column = row, column
    if "\x00" in text and "null bytes" in message:  # the parser names no position: point at the first NUL
        location = SourceText(text).location(text.index("\x00"))
        (row, column), (end_row, end_column) = (location.row, location.column), (location.row, location.column + 1)
    return Finding(
        code=PARSE_ERROR_CODE,
        message=f"SyntaxError: {message}",
        severity=Severity.ERROR,
        filename=filename,
        start=Location(row, max(column, 1)),
        end=Location(end_row, max(end_column, 1)),
        rule_name="syntax_error",
        url=rule_url(PARSE_ERROR_CODE),
    )


Handler = Callable[[ast.AST], None]


class Walker:
    """One pre-order traversal in source order, dispatching nodes to the rules' visit methods."""

    def __init__(self, context: FileContext, rules: list[Rule]) -> None:
        self.context = context
        self.parents = context.parent_links
        self.crashed: list[str] = []
        self.crash_findings: list[Finding] = []
        self.overflowed = False  # a rule ran out of recursion depth: the file is linted again, deeper
        self.enter: dict[type, list[tuple[Rule, Handler]]] = {}
        self.leave: dict[type, list[tuple[Rule, Handler]]] = {}
        for rule in rules:
            for node_type, method_name in _handler_names(type(rule), "visit_"):
                self.enter.setdefault(node_type, []).append((rule, getattr(rule, method_name)))
            for node_type, method_name in _handler_names(type(rule), "leave_"):
                self.leave.setdefault(node_type, []).append((rule, getattr(rule, method_name)))
        # Leaves (names, constants...) that no rule visits: the walk records their parent and moves on.
        self.skip = frozenset(t for t in _CHILDLESS_NODES if t not in self.enter and t not in self.leave)
        self._visit = self._make_visit()

    def run(self, tree: ast.Module) -> None:
        self._visit(tree)

    @property
    def visits_module(self) -> bool:
        return ast.Module in self.enter or ast.Module in self.leave

    def run_groups(self, tree: ast.Module, groups: Sequence[Sequence[ast.stmt]]) -> list[tuple[int, int]]:
        """Walk the given top-level statements of `tree` (groups of them, in order); for each group, the
        slice of `context.findings` its walk reported. Walking every statement of the module this way
        is `run(tree)` exactly when no rule visits the Module node itself (`visits_module`)."""
        parents = self.parents
        for statement in tree.body:
            parents[id(statement)] = tree
        findings = self.context.findings
        skip = self.skip
        visit = self._visit
        spans = []
        for group in groups:
            begin = len(findings)
            for statement in group:
                if type(statement) not in skip:
                    visit(statement)
            spans.append((begin, len(findings)))
        return spans

    def _call(self, handlers: list[tuple[Rule, Handler]], node: ast.AST) -> None:
        for rule, handler in handlers:
            if self.crashed and rule.code in self.crashed:
                continue
            try:
                handler(node)
            except RecursionError:
                self.overflowed = True
                self._crash(rule, node, "RecursionError (the file nests too deeply)")
            except Exception as error:  # a rule bug must not stop the other rules
                self._crash(rule, node, f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=-3)}")

    def _crash(self, rule: Rule, node: ast.AST, detail: str) -> None:
        self.crashed.append(rule.code)
        source = self.context.source
        start = source.start_of(node) if hasattr(node, "lineno") else Location(1, 1)
        first_line = detail.splitlines()[0]
        self.crash_findings.append(
            Finding(
                code=RULE_CRASH_CODE,
                message=f"Rule {rule.code} ({rule.name}) crashed on this file and was skipped: {first_line}. Please report this bug.",
                severity=Severity.ERROR,
                filename=self.context.filename,
                start=start,
                end=start,
                rule_name="rule_crashed",
                url=rule_url(RULE_CRASH_CODE),
                extra={"rule": rule.code, "traceback": detail},
            )
        )

    def _make_visit(self) -> Callable[[ast.AST], None]:
        """The recursive visit, as a closure over the walk's state: it runs once per node of the
        file, and local and closure variables are much cheaper to reach than attributes."""
        enter = self.enter
        leave = self.leave
        parents = self.parents
        skip = self.skip
        call = self._call
        visit_scoped = self._visit_scoped
        fields_of = CHILD_FIELDS
        bookkeeping = _BOOKKEEPING_NODES
        AST = ast.AST

        def visit(node: ast.AST) -> None:
            node_type = type(node)
            fields = fields_of.get(node_type)
            if fields is None:
                fields = child_fields(node_type)
            handlers = enter.get(node_type)
            if handlers:
                # A rule often asks for the parent of a child it is looking at (`skipped_during_export(node.iter)`):
                # link the children first, or that question would build the whole file's parent map.
                for name in fields:
                    value = getattr(node, name, None)
                    if type(value) is list:
                        for item in value:
                            parents[id(item)] = node
                    elif value is not None:
                        parents[id(value)] = node
                call(handlers, node)
            if node_type in bookkeeping:
                visit_scoped(node, node_type, fields)
            else:
                # The common case: no scope to enter. The parent map is filled as the walk goes
                # (`FileContext.parent` completes it when asked about a node not reached yet).
                for name in fields:
                    value = getattr(node, name, None)
                    if value is None:
                        continue
                    if type(value) is list:
                        for item in value:
                            if isinstance(item, AST):
                                parents[id(item)] = node
                                if type(item) not in skip:
                                    visit(item)
                    elif isinstance(value, AST):
                        parents[id(value)] = node
                        if type(value) not in skip:
                            visit(value)
            handlers = leave.get(node_type)
            if handlers:
                call(handlers, node)

        return visit

    def _visit_scoped(self, node: ast.AST, node_type: type, fields: tuple[str, ...]) -> None:
        """Children of a function, lambda, comprehension or class: keep `function` / `scope` current."""
        context = self.context
        saved_function = context.function
        saved_scope = context.scope
        is_class = node_type is ast.ClassDef
        if node_type in _SCOPE_NODES:
            info = (
                context.model.function_info(node)
                if node_type is not ast.Lambda
                else context.model.lambda_info(cast(ast.Lambda, node), context.function)
            )
            if info is not None:
                if node_type is not ast.Lambda and info.parent is None and context.function is not None:
                    info.parent = context.function  # functions nested in compound statements
                context.function = info
                context.scope = context.model.scope_for(info)
                if saved_scope is not None and context.scope.parent_scope is None and node_type is ast.Lambda:
                    context.scope.parent_scope = saved_scope
        elif node_type in _COMPREHENSION_NODES and saved_scope is not None:
            context.scope = _comprehension_scope(context, node, saved_scope)
        elif is_class:
            context.class_stack.append(node)  # type: ignore[arg-type]

        parents = self.parents
        visit = self._visit
        for name in fields:
            value = getattr(node, name, None)
            if value is None:
                continue
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        parents[id(item)] = node
                        visit(item)
            elif isinstance(value, ast.AST):
                parents[id(value)] = node
                visit(value)

        context.function = saved_function
        context.scope = saved_scope
        if is_class:
            context.class_stack.pop()


_HANDLER_CACHE: dict[tuple[type, str], list[tuple[type, str]]] = {}


def _handler_names(rule_class: type[Rule], prefix: str) -> list[tuple[type, str]]:
    key = (rule_class, prefix)
    cached = _HANDLER_CACHE.get(key)
    if cached is None:
        cached = []
        for attribute in dir(rule_class):
            if attribute.startswith(prefix):
                node_type = getattr(ast, attribute[len(prefix) :], None)
                if not (isinstance(node_type, type) and issubclass(node_type, ast.AST)):
                    raise TypeError(
                        f"{rule_class.__name__}.{attribute}: ast has no node type {attribute[len(prefix) :]!r}"
                    )
                cached.append((node_type, attribute))
        _HANDLER_CACHE[key] = cached
    return cached


def _comprehension_scope(context: FileContext, node: ast.AST, parent: FunctionScope) -> FunctionScope:
    """A scope for a comprehension: its loop variables, then the enclosing function's names."""
    scope = context.comprehension_scopes.get(id(node))
    if scope is None:
        scope = context.comprehension_scopes[id(node)] = _ComprehensionScope(parent, node)  # type: ignore[arg-type]
    return scope


class _ComprehensionScope(FunctionScope):
    _names: dict[str, Kind]  # set in __init__, never None

    def __init__(
        self, parent: FunctionScope, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        # Deliberately not calling FunctionScope.__init__: no function node to collect from.
        self.model = parent.model
        self.info = parent.info
        self.parent_scope = parent
        self._local_imports = {}
        self._memo = {}
        self._computing = False
        self._partial = {}
        self._bindings = []
        self._local_names = set()
        self._names = {}
        for generator in node.generators:
            element = parent.element_kind(generator.iter)
            for name, kind in parent._destructure_kind(generator.target, element, None):
                self._local_names.add(name)
                self._names[name] = kind

    def names(self):
        return self._names

    def name_kind(self, name: str):
        if name in self._names:
            return self._names[name]
        return self.parent_scope.name_kind(name)  # type: ignore[union-attr]

    # A comprehension's own names are loop variables, never parameters; any other name is the function's.
    def parameter_assumed(self, name: str) -> bool:
        return name not in self._local_names and self.parent_scope.parameter_assumed(name)  # type: ignore[union-attr]

    def is_assumed_flag(self, name: str) -> bool:
        return name not in self._local_names and self.parent_scope.is_assumed_flag(name)  # type: ignore[union-attr]
