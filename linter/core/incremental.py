"""The incremental re-lint (what the language server runs on each edit): `lint_source_incremental`.

`lint_source_incremental(previous, text, ...)` returns what `engine.lint_source(text, ...)` returns,
always; it re-walks only the top-level statements an edit can have changed, with the one-shot
engine's walker (`onnxlint.core.engine`), and falls back to a full lint where its design does not
reach. The design is described below.
"""

from __future__ import annotations

import ast
import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate

from onnxlint.analysis.export_calls import EXPORT_FUNCTIONS
from onnxlint.analysis.semantic import ModuleModel, import_bindings
from onnxlint.analysis.traversal import walk
from onnxlint.core import noqa
from onnxlint.core.context import TEXT_WORDS, FileContext
from onnxlint.core.engine import (
    LINT_LOCK,
    LintResult,
    Walker,
    analyse_deep,
    enabled_rules,
    may_fire,
    parse_error_finding,
    parse_module,
)
from onnxlint.core.findings import Finding, Location
from onnxlint.core.rule import Rule
from onnxlint.core.settings import LintSettings
from onnxlint.core.source import leading_statements_end

# -- design ---------------------------------------------------------------------------------------
#
# `lint_source_incremental(previous, text, ...)` returns what `lint_source(text, ...)` returns, always;
# it re-walks only what an edit can have changed. The module is cut into *chunks*: each top-level
# statement (with its decorators) and the comment and blank lines after it, up to the next one.
#
# What the walk of a top-level statement reads, besides its own nodes (the rules in rules/ were
# read for this; a rule that reads more declares `file_global = True`, and no file is then linted
# incrementally while it can fire):
#
# * file-level facts: the imports, the names of module-level functions and of classes (with each
#   class's base classes and whether it has a `forward`), module-level `x = Function.apply`
#   aliases, the module docstring and leading imports (where fixes insert imports and helpers),
#   which words of `context.TEXT_WORDS` and which trigger names occur in the text, the settings;
# * in a file with a call of `torch.onnx.export`: the whole file (the call's `dynamo=` and
#   `opset_version=` decide every statement's exporter and opset; the export-script rules read
#   the module-level code before the call). Such files, and files where a
#   call could be one (`_may_export`), are always linted in full;
# * other top-level statements, through the semantic model and the rules' helpers: a function
#   called or referred to by name (its return kind, the kinds of its parameters from its call
#   sites, whether `forward` reaches it), a base class (its methods, the kinds of its `self.x`),
#   the class of an `X.apply` (ONX508);
# * module-level `if ...: return / raise` statements before it (guards).
#
# So chunks are joined into *components* by those references (a chunk refers to a function or
# alias that another defines, or to a class another defines as a base or `X.apply`): the walk of
# a component reads nothing of another, and the semantic model's lazy results for a component are
# computed in the same order whether the other components are walked or not (its results can
# depend on that order where they are cyclic: recursion, a class's attributes read while they are
# collected). One exception, one way: a *leaf function* (no model code reaches it, it calls no
# function of the file) computes the same whoever asks first, so its callers depend on it without
# being joined with it (`_components`).
#
# An edit re-walks the components of the chunks whose text changed, of the chunks the changed ones
# were joined with before the edit, and of the callers of a leaf function it re-walks; every other
# chunk keeps its findings, moved by the edit's line count when the chunk is below it. Whatever the
# design does not cover falls back to a full lint (the `_Fallback` messages; `IncrementalLint.mode`).

# The export-script rules (rule_cls.fix_scope == "script") resolve, at a call that resolves to
# `torch.onnx.export`, the exported model and its inputs through the module-level bindings before
# the call, by position. Elsewhere they read nothing, and no file with such a call is linted
# incrementally.
_EXPORT_NAMES = frozenset(name.rsplit(".", 1)[1] for name in (*EXPORT_FUNCTIONS, "torch.onnx.export"))

_NEWLINE = re.compile(r"\r\n|\r|\n")
_TRY_STAR = (ast.TryStar,) if hasattr(ast, "TryStar") else ()
# A finding whose text names a line cannot be moved to another line: its component is re-linted.
_NAMES_A_LINE = re.compile(r"\b(?:lines?|rows?)\s+\d", re.IGNORECASE)
_COMPOUND = (ast.If, ast.Try, ast.With, ast.For, ast.While, ast.AsyncWith, ast.AsyncFor, *_TRY_STAR)


class _Fallback(Exception):
    """The edit cannot be re-linted incrementally (the message says why): lint the whole file."""


@dataclass(frozen=True)
class _Facts:
    """What the rest of the file can see of a chunk."""

    signature: tuple[tuple[object, ...], ...]  # its part of the file-level facts, in order
    defines: frozenset[str]  # module-level functions and `x = F.apply` aliases it defines
    classes: frozenset[str]  # classes it defines (those the semantic model indexes)
    class_refs: frozenset[str]  # classes it looks up by name: base classes, `X.apply`
    names: frozenset[str]  # the ids of its Name nodes
    calls: frozenset[str]  # the ids of the names it calls (`f(...)`)
    words: frozenset[str]  # the trigger names and TEXT_WORDS in its text
    early_exit: bool  # a module-level `if ...: return / raise`: it judges every later statement
    export: bool  # a call in it could be an export call (`_may_export`)
    forward: bool  # it defines a class with a `forward` (model code starts there)
    function: bool  # it is one module-level function


@dataclass
class _Chunk:
    start: int  # first line, 0-based
    end: int  # one past its last line
    text: str
    statements: list[ast.stmt]
    parsed_at: int  # the first line its statements' positions were parsed for (== start: current)
    facts: _Facts
    findings: list[Finding] = field(default_factory=list)  # after noqa, positions as of `start`
    suppressed: int = 0
    pinned: bool = False  # a finding points outside the chunk and the header: always re-lint it
    names_a_line: bool = False  # a finding's text names a line: re-lint it when it moves
    component: int = -1
    comments: dict[int, str] | None = None  # suppression comments by row within the chunk (1-based), lazily


@dataclass
class _State:
    text: str
    line_starts: list[int]
    chunks: list[_Chunk]
    filename: str
    relative_path: str | None
    settings: LintSettings
    rules: tuple[type[Rule], ...]
    candidates: tuple[type[Rule], ...]
    words: frozenset[str]  # every trigger name and TEXT_WORD in the text
    header_end: int  # first line of the first statement after the docstring and the leading imports
    result: LintResult


@dataclass
class IncrementalLint:
    """A lint result, and what `lint_source_incremental` needs to re-lint the next version of the text."""

    result: LintResult
    # "full: <why>" (the whole file was walked), "incremental" or "unchanged" (the same text again).
    mode: str
    relinted: int = 0  # top-level statements walked
    statements: int = 0  # top-level statements of the file
    _state: _State | None = field(default=None, repr=False)
    _no_state: str = field(default="", repr=False)  # why no state was kept, for the next call's mode


def lint_source_incremental(
    previous: IncrementalLint | None,
    text: str,
    filename: str = "<stdin>",
    settings: LintSettings | None = None,
    *,
    relative_path: str | None = None,
    rules: Sequence[type[Rule]] | None = None,
) -> IncrementalLint:
    """`lint_source(text, filename, settings, ...)`, re-using what `previous` (the lint of an earlier
    version of the same document, or None) found in the top-level statements the edit left alone.

    `.result` always equals `lint_source`'s result for `text` (findings, fixes, suppressions).
    """
    settings = settings or LintSettings()
    if rules is None:
        ignored = settings.ignored_for(relative_path or filename)
        rules = enabled_rules(settings.selection, ignored)
    rules = tuple(rules)
    state = previous._state if previous is not None else None
    if state is None:
        reason = "first lint" if previous is None else previous._no_state or "no state"
        return _full(None, text, filename, settings, rules, relative_path, reason)
    if (
        state.filename != filename
        or state.relative_path != relative_path
        or state.rules != rules
        or (state.settings is not settings and state.settings != settings)
    ):
        return _full(None, text, filename, settings, rules, relative_path, "other settings")
    if text == state.text:
        result = state.result
        copy = LintResult(list(result.findings), result.parsed, result.skipped, [], result.suppressed)
        return IncrementalLint(copy, "unchanged", 0, sum(len(c.statements) for c in state.chunks), state)
    if noqa.file_is_exempt(text):
        return IncrementalLint(LintResult([], skipped=True), "full: exempt", _state=state)
    with LINT_LOCK:
        try:
            return _incremental(state, text)
        except _Fallback as why:
            reason = str(why)
        except (RecursionError, MemoryError, SystemError):
            reason = "the edited statements nest too deeply"
        except Exception as error:  # a bug here must not cost the user a finding: the full lint is the answer
            reason = f"internal error in the incremental lint ({type(error).__name__}: {error})"
    return _full(state, text, filename, settings, rules, relative_path, reason)


def _full(
    carried: _State | None,
    text: str,
    filename: str,
    settings: LintSettings,
    rules: tuple[type[Rule], ...],
    relative_path: str | None,
    reason: str,
) -> IncrementalLint:
    """A full lint (what `lint_source` does, step by step), recording per chunk what it found.

    `carried`: the last state, kept when this text does not parse (the next edit that fixes it is
    compared with the last text that parsed)."""
    mode = f"full: {reason}"
    if noqa.file_is_exempt(text):
        return IncrementalLint(LintResult([], skipped=True), mode, _state=carried)
    present: dict[str, bool] = {}
    candidates = tuple(rule for rule in rules if may_fire(rule, text, present))
    with LINT_LOCK:
        try:
            tree = parse_module(text, filename)
        except (SyntaxError, ValueError) as error:
            result = LintResult([parse_error_finding(error, filename, text)], parsed=False)
            return IncrementalLint(result, mode, _state=carried, _no_state="" if carried else "the text did not parse")
        except (RecursionError, MemoryError, SystemError):
            result = analyse_deep(text, filename, settings, candidates)
            return IncrementalLint(result, mode, _no_state="a deep file")
        starts = _line_starts(text)
        count = len(tree.body)
        try:
            chunks = _chunks(tree.body, text, starts, 0, len(starts))
        except _Fallback as why:
            chunks, no_state = [], str(why)
        else:
            no_state = ""
        header_end = _header_end(tree.body)
        if header_end is None:
            no_state = no_state or "no statement after the imports"
        words_wanted = _words_wanted(rules)
        if words_wanted is None:
            no_state = no_state or "a trigger name holds a line break"
        else:
            for chunk in chunks:
                chunk.facts = _facts(chunk.statements, chunk.text, words_wanted)
        if not candidates:
            result = LintResult([], skipped=True)
        else:
            global_rule = next((r.code for r in candidates if getattr(r, "file_global", False)), None)
            no_state = no_state or (f"{global_rule} reads the whole file" if global_rule else "")
            if not no_state and any(chunk.facts.export for chunk in chunks):
                no_state = "a call could be torch.onnx.export"
            try:
                walked = _walk(tree, text, filename, settings, candidates, None, chunks if chunks else None)
            except RecursionError:
                walked = None
            if walked is None:
                return IncrementalLint(
                    analyse_deep(text, filename, settings, candidates), mode, _no_state="a deep file"
                )
            context, walker, spans = walked
            if spans is None:
                no_state = no_state or "a rule visits the module node"
            comments = noqa._comment_lines(text) if context.findings and "noqa" in text.lower() else {}
            kept: list[Finding] = []
            suppressed = 0
            if spans is None:
                kept, suppressed = _suppress(context.findings, comments.get)
            else:
                for chunk, (begin, finish) in zip(chunks, spans):
                    chunk.findings, chunk.suppressed = _suppress(context.findings[begin:finish], comments.get)
                    kept.extend(chunk.findings)
                    suppressed += chunk.suppressed
            kept.extend(walker.crash_findings)
            kept.sort(key=lambda f: f.sort_key)
            result = LintResult(kept, crashed_rules=walker.crashed, suppressed=suppressed)
            if walker.crashed:
                no_state = no_state or "a rule crashed"
        if no_state or header_end is None:  # (no header end: no_state says so)
            return IncrementalLint(result, mode, count, count, _no_state=no_state)
        for chunk in chunks:
            _check_positions(chunk, header_end)
        _assign_components(chunks)
        words = frozenset().union(*(chunk.facts.words for chunk in chunks))
        state = _State(
            text, starts, chunks, filename, relative_path, settings, rules, candidates, words, header_end, result
        )
        return IncrementalLint(result, mode, count, count, state)


def _incremental(state: _State, text: str) -> IncrementalLint:
    old_text, old_starts, old_chunks = state.text, state.line_starts, state.chunks
    starts = _line_starts(text)
    first, unchanged_tail = _changed_lines(old_text, old_starts, text, starts)
    if first <= state.header_end:
        raise _Fallback("the docstring or the leading imports changed")
    old_count, count = len(old_starts), len(starts)
    delta = count - old_count
    old_end = old_count - unchanged_tail  # old lines [first, old_end) changed

    # The window: the chunks around the change, parsed again from the new text. A window starts and
    # ends at a top-level statement at column 0, so (when it parses on its own) the file parses as
    # the text before it, it, and the text after it, each on its own (`_chunks` keeps the boundaries).
    chunk_starts = [chunk.start for chunk in old_chunks]
    lo = bisect_right(chunk_starts, max(first - 1, 0)) - 1
    hi = bisect_right(chunk_starts, max(min(old_end, old_count - 1), first - 1, 0)) - 1
    window_start, window_end = old_chunks[lo].start, old_chunks[hi].end + delta
    window_text = text[starts[window_start] : starts[window_end] if window_end < count else len(text)]
    try:
        window = parse_module("\n" * window_start + window_text, state.filename)
    except (SyntaxError, ValueError) as error:
        raise _Fallback("the edited statements do not parse on their own") from error
    new_window = _chunks(window.body, text, starts, window_start, window_end)
    old_window = old_chunks[lo : hi + 1]
    same_head = 0
    while (
        same_head < min(len(old_window), len(new_window)) and old_window[same_head].text == new_window[same_head].text
    ):
        same_head += 1
    same_tail = 0
    while (
        same_tail < min(len(old_window), len(new_window)) - same_head
        and old_window[-1 - same_tail].text == new_window[-1 - same_tail].text
    ):
        same_tail += 1
    changed_old = old_window[same_head : len(old_window) - same_tail]
    changed_new = new_window[same_head : len(new_window) - same_tail]
    words_wanted = _words_wanted(state.rules)
    assert words_wanted is not None  # else the full lint kept no state
    for chunk in changed_new:
        chunk.facts = _facts(chunk.statements, chunk.text, words_wanted)
    if any(chunk.facts.early_exit for chunk in (*changed_old, *changed_new)):
        raise _Fallback("a module-level early exit changed")
    if any(chunk.facts.export for chunk in changed_new):
        raise _Fallback("a call could be torch.onnx.export")
    if [s for c in changed_old for s in c.facts.signature] != [s for c in changed_new for s in c.facts.signature]:
        raise _Fallback("the file-level facts changed")

    # The chunks of the new text: before the window as they were; in the window, the unchanged ones
    # with their old findings (and fresh statements); after it, moved by `delta` lines.
    chunks: list[_Chunk] = [_carry(old, None, 0) for old in old_chunks[:lo]]  # copies: `state` stays as it was
    for old, new in zip(old_window[:same_head], new_window[:same_head]):
        chunks.append(_carry(old, new, 0))
    changed_from = len(chunks)
    chunks.extend(changed_new)
    changed_to = len(chunks)
    for old, new in zip(old_window[len(old_window) - same_tail :], new_window[len(new_window) - same_tail :]):
        if new.start != old.start + delta:
            raise _Fallback("the unchanged statements after the edit did not move with it")
        chunks.append(_carry(old, new, delta))
    for old in old_chunks[hi + 1 :]:
        chunks.append(_carry(old, None, delta))

    words = frozenset().union(*(chunk.facts.words for chunk in chunks))
    candidates = tuple(rule for rule in state.rules if _may_fire_on(rule, words))
    if candidates != state.candidates:
        raise _Fallback("a rule's trigger name appeared or went")
    if (words & _TEXT_WORDS) != (state.words & _TEXT_WORDS):
        raise _Fallback("a word that an analysis searches the whole text for appeared or went")

    # What to walk: the components of the changed chunks, now and before the edit, and the components
    # whose findings cannot simply move with their chunks.
    tainted = {old.component for old in changed_old}
    new_components, dependents = _components(chunks)
    dirty: set[int] = set()
    moved: set[int] = set()  # components with a chunk below the edit (moved by `delta` lines)
    names_a_line: set[int] = set()
    for index, chunk in enumerate(chunks):
        component = new_components[index]
        if changed_from <= index < changed_to or chunk.pinned or chunk.component in tainted:
            dirty.add(component)
        if index >= changed_to:
            moved.add(component)
        if chunk.names_a_line:
            names_a_line.add(component)
    if delta:  # a finding that names a line may name one that moved: find it again
        dirty.update(moved & names_a_line)
    # The callers of a leaf function walked again are walked again (`_components`).
    members: dict[int, list[int]] = {}
    for index, component in enumerate(new_components):
        members.setdefault(component, []).append(index)
    frontier = [index for component in dirty for index in members[component]]
    while frontier:
        for caller in dependents.get(frontier.pop(), ()):
            component = new_components[caller]
            if component not in dirty:
                dirty.add(component)
                frontier.extend(members[component])
    walk_indexes = [index for index in range(len(chunks)) if new_components[index] in dirty]
    for index in walk_indexes:
        chunk = chunks[index]
        if chunk.parsed_at != chunk.start:  # moved: parse it again where it stands now
            chunk.statements = parse_module("\n" * chunk.start + chunk.text, state.filename).body
            chunk.parsed_at = chunk.start

    statements_count = sum(len(chunk.statements) for chunk in chunks)
    if not state.candidates:
        result = LintResult([], skipped=True)
        walked_count = 0
    else:
        walked_count = sum(len(chunks[index].statements) for index in walk_indexes)
        result = _relint(state, text, chunks, walk_indexes, changed_new)
    for index, component in enumerate(new_components):
        chunks[index].component = component
    new_state = _State(
        text, starts, chunks, state.filename, state.relative_path, state.settings, state.rules, candidates, words,
        state.header_end, result,
    )  # fmt: skip
    return IncrementalLint(result, "incremental", walked_count, statements_count, new_state)


def _relint(
    state: _State, text: str, chunks: list[_Chunk], walk_indexes: list[int], changed: list[_Chunk]
) -> LintResult:
    """Walk the statements of `walk_indexes` with a fresh context over the whole (spliced) module."""
    tree = ast.Module(body=[statement for chunk in chunks for statement in chunk.statements], type_ignores=[])
    walked = [statement for index in walk_indexes for statement in chunks[index].statements]
    model = ModuleModel(tree, model_code_in=walked)
    context = FileContext(state.filename, text, tree, state.settings, model, no_export_calls=True)
    walker = Walker(context, [rule(context) for rule in state.candidates])
    if walker.visits_module:
        raise _Fallback("a rule visits the module node")
    spans = walker.run_groups(tree, [chunks[index].statements for index in walk_indexes])
    if walker.overflowed or walker.crashed:
        raise _Fallback("a rule crashed or ran out of depth")
    chunk_starts = [chunk.start for chunk in chunks]

    def comment_on(row: int) -> str | None:
        index = bisect_right(chunk_starts, row - 1) - 1
        if index < 0:
            return None
        chunk = chunks[index]
        if chunk.comments is None:
            chunk.comments = noqa._comment_lines(chunk.text) if "noqa" in chunk.text.lower() else {}
        return chunk.comments.get(row - chunk.start)

    for index, (begin, finish) in zip(walk_indexes, spans):
        chunk = chunks[index]
        chunk.findings, chunk.suppressed = _suppress(context.findings[begin:finish], comment_on)
        _check_positions(chunk, state.header_end)
    findings = [finding for chunk in chunks for finding in chunk.findings]
    findings.sort(key=lambda f: f.sort_key)
    return LintResult(findings, suppressed=sum(chunk.suppressed for chunk in chunks))


def _walk(
    tree: ast.Module,
    text: str,
    filename: str,
    settings: LintSettings,
    candidates: Sequence[type[Rule]],
    model: ModuleModel | None,
    chunks: list[_Chunk] | None,
) -> tuple[FileContext, Walker, list[tuple[int, int]] | None] | None:
    """`_analyse`'s walk, by chunk when `chunks` is given (the findings of each: the spans); None when
    the walk or a rule ran out of recursion depth."""
    context = FileContext(filename, text, tree, settings, model)
    walker = Walker(context, [rule(context) for rule in candidates])
    spans = None
    if chunks is None or walker.visits_module:
        walker.run(tree)
    else:
        spans = walker.run_groups(tree, [chunk.statements for chunk in chunks])
    if walker.overflowed:
        return None
    return context, walker, spans


def _suppress(findings: Sequence[Finding], comment_on: Callable[[int], str | None]) -> tuple[list[Finding], int]:
    """`noqa.apply`, with the noqa comment of a row from `comment_on`."""
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        comment = comment_on(finding.noqa_row) if finding.noqa_row is not None else None
        if comment is not None:
            codes = noqa.codes_on(comment)
            if codes is None or any(finding.code.startswith(code) for code in codes):
                suppressed += 1
                continue
        kept.append(finding)
    return kept, suppressed


def _may_fire_on(rule: type[Rule], words: frozenset[str]) -> bool:
    names = rule.trigger_names
    return not names or any(name in words for name in names)


@functools.lru_cache(maxsize=16)
def _words_wanted(rules: tuple[type[Rule], ...]) -> tuple[str, ...] | None:
    """TEXT_WORDS and the rules' trigger names: what is searched for in each chunk's text (None: a
    name holds a line break, so a search chunk by chunk could miss it)."""
    words = dict.fromkeys(TEXT_WORDS)
    for rule in rules:
        words.update(dict.fromkeys(rule.trigger_names))
    if any("\n" in word or "\r" in word for word in words):
        return None
    return tuple(words)


_TEXT_WORDS = frozenset(TEXT_WORDS)


# -- chunks -----------------------------------------------------------------------------------------


def _line_starts(text: str) -> list[int]:
    """The offset of each line, as `SourceText` counts lines (`\\r\\n`, `\\r` and `\\n` end one)."""
    if "\r" in text:
        starts = [0]
        starts.extend(match.end() for match in _NEWLINE.finditer(text))
        return starts
    starts = list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))
    starts.pop()
    return starts


def _changed_lines(old: str, old_starts: list[int], new: str, starts: list[int]) -> tuple[int, int]:
    """(first changed line, how many lines at the end are unchanged): the lines before the first and
    the last ones are the same text in `old` and `new`."""
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit:  # compare blocks, then characters in the first block that differs
        block = min(prefix + 4096, limit)
        if old[prefix:block] == new[prefix:block]:
            prefix = block
            continue
        while old[prefix] == new[prefix]:
            prefix += 1
        break
    suffix = 0
    limit -= prefix
    while suffix < limit:
        block = min(suffix + 4096, limit)
        if old[len(old) - block : len(old) - suffix] == new[len(new) - block : len(new) - suffix]:
            suffix = block
            continue
        while old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
            suffix += 1
        break
    first = min(bisect_right(old_starts, prefix), bisect_right(starts, prefix)) - 1
    if prefix and old[prefix - 1] == "\r":  # a "\r" then "\n" in one text only: one line ending or two
        first = min(first, bisect_right(old_starts, prefix - 1) - 1)
    first = max(first, 0)
    # A line is unchanged at the end when it starts inside the common suffix (its line break too).
    tail_old = len(old_starts) - bisect_left(old_starts, len(old) - suffix + 1)
    tail_new = len(starts) - bisect_left(starts, len(new) - suffix + 1)
    tail = min(tail_old, tail_new, len(old_starts) - first, len(starts) - first)
    return first, max(tail, 0)


def _first_line(statement: ast.stmt) -> int:
    """The 0-based first line of a top-level statement (its first decorator's)."""
    line = statement.lineno
    for decorator in getattr(statement, "decorator_list", None) or ():
        line = min(line, decorator.lineno)
    return line - 1


def _chunks(statements: list[ast.stmt], text: str, starts: list[int], begin: int, end: int) -> list[_Chunk]:
    """Lines [begin, end) of `text`, holding `statements`, as chunks. A chunk starts where a statement
    starts at the beginning of a line, alone on it; lines before the first statement (comments)
    make a chunk without statements."""
    pieces: list[list] = []  # [first line, statements, last line]
    for statement in statements:
        line = _first_line(statement)
        clean = line < len(starts) and starts[line] < len(text) and not text[starts[line]].isspace()
        if pieces and (line <= pieces[-1][2] or not clean):
            pieces[-1][1].append(statement)
        elif not clean:
            raise _Fallback("a statement that does not start a line")
        else:
            pieces.append([line, [statement], 0])
        pieces[-1][2] = max(pieces[-1][2], (statement.end_lineno or statement.lineno) - 1)
    if not pieces or pieces[0][0] != begin:
        pieces.insert(0, [begin, [], begin])
    chunks = []
    for index, (first, owned, _last) in enumerate(pieces):
        last = pieces[index + 1][0] if index + 1 < len(pieces) else end
        chunk_text = text[starts[first] : starts[last] if last < len(starts) else len(text)]
        chunks.append(_Chunk(first, last, chunk_text, owned, first, _NO_FACTS))
    return chunks


def _header_end(body: list[ast.stmt]) -> int | None:
    """The first line of the first statement after the module docstring and the leading imports (what
    `edits._import_block_end` reads: fixes insert imports and helpers there), or None."""
    index = leading_statements_end(body)
    return _first_line(body[index]) if index < len(body) else None


def _carry(old: _Chunk, new: _Chunk | None, delta: int) -> _Chunk:
    """An unchanged chunk in the new text: `new` (the same text parsed again) or `old` moved by `delta` lines."""
    chunk = _Chunk(
        old.start + delta,
        old.end + delta,
        old.text,
        new.statements if new is not None else old.statements,
        new.parsed_at if new is not None else old.parsed_at,
        old.facts,
        old.findings if not delta else [_moved(f, delta, old.start + 1, old.end) for f in old.findings],
        old.suppressed,
        old.pinned,
        old.names_a_line,
        old.component,
        old.comments,
    )
    return chunk


def _moved(finding: Finding, delta: int, low: int, high: int) -> Finding:
    """`finding` of a chunk at rows [low, high] that moved by `delta` lines: its rows in the chunk move,
    the others (in the header, above the edit: `_check_positions`) stay."""

    def row(location: Location) -> Location:
        return Location(location.row + delta, location.column) if low <= location.row <= high else location

    fix = finding.fix
    if fix is not None:
        fix = replace(fix, edits=tuple(replace(edit, start=row(edit.start), end=row(edit.end)) for edit in fix.edits))
    noqa_row = finding.noqa_row
    if noqa_row is not None and low <= noqa_row <= high:
        noqa_row += delta
    return replace(finding, start=row(finding.start), end=row(finding.end), fix=fix, noqa_row=noqa_row)


def _check_positions(chunk: _Chunk, header_end: int) -> None:
    """Pin a chunk whose findings point outside it and the header; note whether one names a line."""
    low, high = chunk.start + 1, chunk.end  # 1-based rows of the chunk
    header = header_end + 1  # rows up to here: the docstring, the imports, the first statement's line
    pinned = names_a_line = False
    for finding in chunk.findings:
        rows = [finding.start.row, finding.end.row]
        if finding.noqa_row is not None:
            rows.append(finding.noqa_row)
        if finding.fix is not None:
            for edit in finding.fix.edits:
                rows += (edit.start.row, edit.end.row)
                names_a_line = names_a_line or bool(_NAMES_A_LINE.search(edit.content))
            names_a_line = names_a_line or bool(_NAMES_A_LINE.search(finding.fix.title))
        if any(not (low <= row <= high or row <= header) for row in rows):
            pinned = True
        names_a_line = names_a_line or bool(_NAMES_A_LINE.search(finding.message))
        if finding.extra:
            names_a_line = names_a_line or bool(_NAMES_A_LINE.search(repr(finding.extra)))
    chunk.pinned, chunk.names_a_line = pinned, names_a_line


def _facts(statements: list[ast.stmt], text: str, words_wanted: tuple[str, ...]) -> _Facts:
    signature: list[tuple[object, ...]] = []
    functions: set[str] = set()
    classes: set[str] = set()
    class_refs: set[str] = set()
    _index_facts(statements, signature, functions, classes, class_refs, None, False, True)
    early_exit = False
    for statement in statements:
        statement_type = type(statement)
        if (
            statement_type is ast.Assign
            and len(statement.targets) == 1  # type: ignore[attr-defined]
            and type(statement.targets[0]) is ast.Name  # type: ignore[attr-defined]
            and type(statement.value) is ast.Attribute  # type: ignore[attr-defined]
            and statement.value.attr == "apply"  # type: ignore[attr-defined]
            and type(statement.value.value) is ast.Name  # type: ignore[attr-defined]
        ):  # ONX508's aliases (`fn = MyFunction.apply`)
            signature.append(("alias", statement.targets[0].id, statement.value.value.id))  # type: ignore[attr-defined]
            functions.add(statement.targets[0].id)  # type: ignore[attr-defined]
        elif statement_type is ast.If and statement.body and type(statement.body[-1]) in (ast.Return, ast.Raise):  # type: ignore[attr-defined]
            early_exit = True
    if "apply" in text:
        for statement in statements:
            for node in walk(statement):
                if type(node) is ast.Attribute and node.attr == "apply" and type(node.value) is ast.Name:
                    class_refs.add(node.value.id)
    names: set[str] = set()
    calls: set[str] = set()
    for statement in statements:
        for node in walk(statement):
            node_type = type(node)
            if node_type is ast.Name:
                names.add(node.id)  # type: ignore[attr-defined]
            elif node_type is ast.Call and type(node.func) is ast.Name:  # type: ignore[attr-defined]
                calls.add(node.func.id)  # type: ignore[attr-defined]
    return _Facts(
        tuple(signature),
        frozenset(functions),
        frozenset(classes),
        frozenset(class_refs),
        frozenset(names),
        frozenset(calls),
        frozenset(word for word in words_wanted if word in text),
        early_exit,
        "export" in text and _may_export(statements),
        any(event[0] == "class" and event[2] for event in signature),
        len(statements) == 1 and type(statements[0]) in (ast.FunctionDef, ast.AsyncFunctionDef),
    )


def _may_export(statements: list[ast.stmt]) -> bool:
    """Whether a call in the statements could resolve to an export function (`torch.onnx.export`,
    `torch.onnx.dynamo_export`): a call of `<anything>.export(...)` or of `export(...)`, or an import
    that binds one of them under another name. A superset of `FileContext.export_calls()` and of the
    calls the export-script rules look at (they resolve names through imports, local ones included)."""
    for statement in statements:
        for node in walk(statement):
            node_type = type(node)
            if node_type is ast.Call:
                func = node.func  # type: ignore[attr-defined]
                if (type(func) is ast.Attribute and func.attr in _EXPORT_NAMES) or (
                    type(func) is ast.Name and func.id in _EXPORT_NAMES
                ):
                    return True
            elif node_type is ast.Import or node_type is ast.ImportFrom:
                if any(alias.name.rsplit(".", 1)[-1] in _EXPORT_NAMES for alias in node.names):  # type: ignore[attr-defined]
                    return True
    return False


def _index_facts(
    body: list[ast.stmt],
    signature: list[tuple[object, ...]],
    functions: set[str],
    classes: set[str],
    class_refs: set[str],
    methods: list[str] | None,
    in_function: bool,
    top_level: bool,
) -> None:
    """What `ModuleModel._index` takes from these statements, in its order: module-level functions,
    classes (name, whether it has a `forward`, its bases), imports outside functions."""
    for statement in body:
        kind = type(statement)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            name = statement.name  # type: ignore[attr-defined]
            if methods is not None:
                methods.append(name)
            elif top_level:
                signature.append(("def", name))
                functions.add(name)
            _index_facts(statement.body, signature, functions, classes, class_refs, None, True, False)  # type: ignore[attr-defined]
        elif kind is ast.ClassDef:
            position = len(signature)
            signature.append(())
            own: list[str] = []
            _index_facts(statement.body, signature, functions, classes, class_refs, own, in_function, False)  # type: ignore[attr-defined]
            bases = statement.bases  # type: ignore[attr-defined]
            signature[position] = ("class", statement.name, "forward" in own, tuple(ast.dump(b) for b in bases))  # type: ignore[attr-defined]
            classes.add(statement.name)  # type: ignore[attr-defined]
            class_refs.update(base.id for base in bases if type(base) is ast.Name)
        elif kind is ast.Import or kind is ast.ImportFrom:
            if not in_function:
                signature.append(("import", *import_bindings(statement)))  # type: ignore[arg-type]
        elif kind in _COMPOUND:
            for block in ("body", "orelse", "finalbody"):
                _index_facts(
                    getattr(statement, block, None) or [],
                    signature,
                    functions,
                    classes,
                    class_refs,
                    methods,
                    in_function,
                    top_level,
                )
            for handler in getattr(statement, "handlers", None) or []:
                _index_facts(handler.body, signature, functions, classes, class_refs, methods, in_function, top_level)


_NO_FACTS = _Facts(
    (), frozenset(), frozenset(), frozenset(), frozenset(), frozenset(), frozenset(), False, False, False, False
)


def _assign_components(chunks: list[_Chunk]) -> None:
    for chunk, component in zip(chunks, _components(chunks)[0]):
        chunk.component = component


def _components(chunks: list[_Chunk]) -> tuple[list[int], dict[int, list[int]]]:
    """Each chunk's component (a representative index): chunks joined by the references of `_Facts`;
    and, for each *leaf function* chunk, the chunks that refer to it without being joined with it.

    A leaf function is a module-level function that no model code can reach (no chunk with a
    `forward`, nor any chunk such a chunk refers to, refers to it) and that calls no function of the
    file: what the semantic model computes for it (its names' kinds, its return kind) reads its own
    statements and the file-level facts only, so it is the same whichever caller asks first, and a
    caller's edit changes nothing of it. Its callers depend on it, one way: they are walked again
    when it changes (`dependents`), not the other way round (timm's hundred `@register_model`
    functions all call one `_create_...`).
    """
    parent = list(range(len(chunks)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def union(a: int, b: int) -> None:
        a, b = find(a), find(b)
        if a != b:
            parent[max(a, b)] = min(a, b)

    definers: dict[str, list[int]] = {}
    class_definers: dict[str, list[int]] = {}
    for index, chunk in enumerate(chunks):
        for name in chunk.facts.defines:
            definers.setdefault(name, []).append(index)
        for name in chunk.facts.classes:
            class_definers.setdefault(name, []).append(index)
    defined = set(definers)

    # Chunks model code may reach: from the chunks with a `forward`, by names and base classes.
    reachable = {index for index, chunk in enumerate(chunks) if chunk.facts.forward}
    stack = list(reachable)
    while stack:
        chunk = chunks[stack.pop()]
        targets = [j for name in chunk.facts.names & defined for j in definers[name]]
        targets += [j for name in chunk.facts.class_refs for j in class_definers.get(name, ())]
        for target in targets:
            if target not in reachable:
                reachable.add(target)
                stack.append(target)
    leaves = {
        name
        for name, owners in definers.items()
        if all(
            chunks[j].facts.function and j not in reachable and not (chunks[j].facts.calls & defined) for j in owners
        )
    }

    for group in (*definers.values(), *class_definers.values()):
        for other in group[1:]:
            union(group[0], other)
    dependents: dict[int, list[int]] = {}
    for index, chunk in enumerate(chunks):
        for name in chunk.facts.names & defined:
            if name in leaves:
                for owner in definers[name]:
                    if owner != index:
                        dependents.setdefault(owner, []).append(index)
            else:
                union(index, definers[name][0])
        for name in chunk.facts.class_refs:
            if name in class_definers:
                union(index, class_definers[name][0])
    return [find(index) for index in range(len(chunks))], dependents
