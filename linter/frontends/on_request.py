"""The runner's second pre-pass: classes and functions that the rest of the run builds or calls only on request.

Model code often defines a block that no model builds by default: diffusers' `FreeNoiseTransformerBlock` lives in
`models/attention.py`, and only `AnimateDiffFreeNoiseMixin._enable_free_noise_in_block` (in
`pipelines/free_noise_utils.py`) swaps it into a model, when the user calls `enable_free_noise()`; LoFTR's
`warp_kpts` (`loftr/utils/geometry.py`) is called only by the training supervision of `loftr/utils/supervision.py`.
Linted file by file, such code looks like any model code. Seen with the files of the run that use it, it is a path
the export takes only when the user asks for it, and its findings are `low` with that reason, as the engine already
does for the paths a file shows itself (`FileContext.non_default_reason`).

Before linting, `on_request_uses_for` finds the functions of the run that run only on request, by name as the
libraries spell them (`reachability.on_request_function`: an opt-in switch `enable_*`, training supervision, a loss
or a metric), and what they build or call from other files of the run (by the file's imports, resolved as
`export_sites` resolves them). A top-level class or function used that way is *on request* unless some file of the
run (its own included) refers to it anywhere else (another function, a module-level statement, a base class list,
a default argument), or to the on-request function that uses it (a switch the model calls itself runs by default).
Imports, `isinstance`/`issubclass` tests, annotations and strings do not count (they build and
call nothing). Any other reference keeps the definition as model code, whatever it refers to: a name shared by two
definitions keeps both, which errs on the side of reporting.

A second way in, after the lint, is `cross_file_uses_for` (the runner's cross-file step, below): a definition that
holds findings and that every other file calls only where its own analysis says the export goes only on request
(diffusers' `apply_freeu`, called under `if is_freeu_enabled:`), asked of those files' `FileContext`.

The runner passes each file its `OnRequestUse`s through `LintSettings.on_request` (part of the cache digest), so
that `lint_source` stays a pure function of (text, settings). Nothing is imported or executed; the parses are
memoised by file content in the results cache, and the whole answer by the run's files (their paths and a hash of
their bytes), so a warm run reads and hashes the files and parses nothing.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

from onnxlint.analysis.reachability import on_request_function
from onnxlint.core.settings import NonDefaultReference, OnRequestUse
from onnxlint.frontends.export_sites import FROM_IMPORT, import_target_files, parse_quietly

FROM_IMPORT_BYTES = re.compile(FROM_IMPORT.pattern.encode(), FROM_IMPORT.flags & ~re.UNICODE)

# The cheap test before a parse: the names of the file's `def`s (a regular expression with a literal prefix scans
# fast; one with the name fragments in it, case-insensitive, is three times slower).
_DEF_NAME = re.compile(rb"def[ \t]+(\w+)")
_MAX_SITES_SHOWN = 2
_DEF_LINE = re.compile(r"^([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)", re.M)


class UsesMemo(Protocol):
    """Remembers, by file content, what a file's on-request functions use and which names it refers to outside
    them (the results cache does): a warm run parses nothing again."""

    def remembered(self, kind: str, path: Path, data: bytes) -> object | None: ...

    def remember(self, kind: str, path: Path, data: bytes, value: object) -> None: ...

    def remembered_run(self, digest: str, step: str = "on_request") -> object | None: ...

    def remember_run(self, digest: str, value: object, step: str = "on_request") -> None: ...


def run_files_digest(
    files: Sequence[tuple[Path, bytes]], display: Callable[[Path], str] = str, project_root: str | None = None
) -> str:
    """What a run-wide answer depends on of the run's files: their paths, where messages show them, their bytes."""
    run = hashlib.blake2b(repr(project_root).encode(), digest_size=16)
    for path, data in files:
        run.update(f"{path}\0{display(path)}".encode("utf-8", "surrogateescape"))  # messages show display paths
        run.update(hashlib.blake2b(data, digest_size=16).digest())
    return run.hexdigest()


def on_request_uses_for(
    files: Sequence[tuple[Path, bytes]],
    display: Callable[[Path], str] = str,
    project_root: str | None = None,
    memo: UsesMemo | None = None,
    files_digest: str | None = None,
) -> dict[Path, tuple[OnRequestUse, ...]]:
    """For each file of the run (absolute path, its bytes): its top-level definitions that the other files build or
    call only from on-request functions, with where. `files_digest`: `run_files_digest` of `files`, when the caller
    has it (the runner shares it with its cross-file step)."""
    run_digest = files_digest or run_files_digest(files, display, project_root)
    if memo is not None:
        answer = memo.remembered_run(run_digest)
        if isinstance(answer, list):  # the same files as the last run: its answer
            return _decoded(answer)
    found = _on_request_uses(files, display, project_root, memo)
    if memo is not None:
        memo.remember_run(
            run_digest, [[str(path), use.name, use.reason] for path, uses in found.items() for use in uses]
        )
    return found


def _decoded(answer: list[object]) -> dict[Path, tuple[OnRequestUse, ...]]:
    found: dict[Path, list[OnRequestUse]] = {}
    for item in answer:
        if isinstance(item, list) and len(item) == 3 and all(type(part) is str for part in item):
            found.setdefault(Path(item[0]), []).append(OnRequestUse(item[1], item[2]))
    return {path: tuple(uses) for path, uses in found.items()}


def _on_request_uses(
    files: Sequence[tuple[Path, bytes]],
    display: Callable[[Path], str],
    project_root: str | None,
    memo: UsesMemo | None,
) -> dict[Path, tuple[OnRequestUse, ...]]:
    linted = {path for path, _ in files}
    sites: dict[tuple[Path, str], list[tuple[str, str, str]]] = {}  # (file, name) -> [(function, where, kind)]
    for path, data in files:
        if not _defines_on_request_function(data):
            continue
        remembered = memo.remembered("uses", path, data) if memo is not None else None
        if _well_formed_uses(remembered):
            uses = cast("list[list[Any]]", remembered)
        else:  # none yet, or a damaged entry: find them again
            uses = _uses_in_on_request_functions(path, data, project_root)
            if memo is not None:
                memo.remember("uses", path, data, uses)
        for target, name, line, function, kind in uses:
            key = (Path(target), name)
            if key[0] in linted and key[0] != path:
                sites.setdefault(key, []).append((function, f"`{function}` at {display(path)}:{line}", kind))
    contents = dict(files)
    sites = {key: where for key, where in sites.items() if _defined_at_top_level(key[1], contents.get(key[0], b""))}
    if not sites:
        return {}
    # The on-request functions themselves are asked about too: a switch that model code calls (`self.enable_x()` in
    # a constructor) runs by default, and so does what it uses.
    names = sorted({name for _, name in sites} | {function for where in sites.values() for function, _, _ in where})
    mention = re.compile(rb"\b(?:" + b"|".join(re.escape(name.encode()) for name in names) + rb")\b")
    mentions: list[tuple[int, Path, bytes, set[str]]] = []
    encoded = [name.encode() for name in names]
    for path, data in files:
        if not any(name in data for name in encoded):
            continue
        found_words = [match.group().decode() for match in mention.finditer(data)]
        if found_words:
            mentions.append((len(found_words), path, data, set(found_words)))
    # The files that mention the names most first: a name most files use is decided by the first parse that finds
    # it used, and a file whose names are all decided is not parsed at all.
    mentions.sort(key=lambda item: -item[0])
    undecided = set(names)
    for _, path, data, mentioned in mentions:
        asked = sorted(mentioned & undecided)
        if not asked:
            continue
        kind = "elsewhere:" + ",".join(asked)
        remembered = memo.remembered(kind, path, data) if memo is not None else None
        if isinstance(remembered, list) and all(type(name) is str for name in remembered):
            elsewhere = cast("list[str]", remembered)
        else:
            elsewhere = sorted(_referred_to_elsewhere(path, data, set(asked)))
            if memo is not None:
                memo.remember(kind, path, data, elsewhere)
        undecided.difference_update(elsewhere)
        if not undecided:
            return {}
    found: dict[Path, list[OnRequestUse]] = {}
    for (target, name), where in sorted(sites.items()):
        if name not in undecided or any(function not in undecided for function, _, _ in where):
            continue  # some file of the run uses it, or a function that uses it, as model code
        shown = ", ".join(dict.fromkeys(text for _, text, _ in where[:_MAX_SITES_SHOWN]))
        shown += " and more" if len(where) > _MAX_SITES_SHOWN else ""
        what = " or ".join(sorted({kind for _, _, kind in where}))
        found.setdefault(target, []).append(
            OnRequestUse(name, f"the linted files use `{name}` only in {what} ({shown})")
        )
    return {path: tuple(uses) for path, uses in found.items()}


def _well_formed_uses(uses: object) -> bool:
    """Whether a remembered answer of `_uses_in_on_request_functions` has its shape (the cache is signed, but an entry
    of an older onnxlint or a damaged one must not break the run)."""
    return isinstance(uses, list) and all(
        isinstance(use, list)
        and len(use) == 5
        and all(type(part) is str for part in (use[0], use[1], use[3], use[4]))
        and type(use[2]) is int
        for use in uses
    )


def _defines_on_request_function(data: bytes) -> bool:
    return any(on_request_function(match.group(1).decode("ascii", "replace")) for match in _DEF_NAME.finditer(data))


def _defined_at_top_level(name: str, data: bytes) -> bool:
    """Whether `data` defines `name` at its top level (`class name`, `def name` at the start of a line), as the
    module's own text says: a package's `__init__.py` that only imports it (a re-export) is not where it runs."""
    return (
        re.search(rb"^(?:async[ \t]+)?(?:class|def)[ \t]+" + re.escape(name.encode()) + rb"\b", data, re.M) is not None
    )


def _uses_in_on_request_functions(path: Path, data: bytes, project_root: str | None) -> list[list[Any]]:
    """[target file, name, line, function, what the function is] for each name imported from a local file that an
    on-request function of `path` (top-level, or a method of a top-level class) builds, calls or otherwise refers to
    (not in `isinstance`, annotations)."""
    wanted = _imported_names_in_on_request_bodies(path, data)
    if not wanted:
        return []  # the text shows none: no parse (most files with a `loss` or `enable_` function)
    tree = parse_quietly(data, path)
    if tree is None:
        return []
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    imports: list[ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(statement)
            if on_request_function(statement.name):
                imports.extend(n for n in ast.walk(statement) if type(n) is ast.ImportFrom)  # imports inside it
        elif type(statement) is ast.ImportFrom:
            imports.append(statement)
        elif isinstance(statement, (ast.ClassDef, ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(statement, field, ()):
                    pending.extend(child.body if type(child) is ast.ExceptHandler else [child])
    imported: dict[str, tuple[str, str]] = {}  # local name -> (target file, name there)
    for node in imports:
        for alias in node.names:
            local = alias.asname or alias.name
            if local not in wanted:
                continue
            targets = import_target_files(path, node, alias.name, project_root)
            if targets and alias.name not in (targets[0].stem, targets[0].parent.name):
                # A name defined in that module (not the module itself: `from . import attention`).
                imported[local] = (str(targets[0]), alias.name)
    found: list[list[Any]] = []
    for function in functions if imported else ():
        kind = on_request_function(function.name)
        if kind is None:
            continue
        for name_node in _references(function):
            target = imported.get(name_node.id)
            if target is not None:
                found.append([target[0], target[1], name_node.lineno, function.name, kind])
    return found


def _imported_names_in_on_request_bodies(path: Path, data: bytes) -> set[str]:
    """The names `from ... import`ed from the file's own package (a relative import, or an absolute one that starts
    with a folder of its path: `from kornia.geometry import ...` in `kornia/feature/...`) that the text of an
    on-request function's body mentions: what a parse could find used there (a superset: by words, not syntax)."""
    text = data.decode("utf-8", "replace")
    lines = text.splitlines()
    words: set[str] = set()
    for match in _DEF_LINE.finditer(text):
        if on_request_function(match.group(2)) is None:
            continue
        indent = len(match.group(1).expandtabs())
        first = text.count("\n", 0, match.start()) + 1
        body = []
        for line in lines[first:]:
            stripped = line.strip()
            if (
                stripped
                and not stripped.startswith(("#", ")", "]"))  # a comment, the end of a signature on several lines
                and len(line) - len(line.lstrip()) <= indent
            ):
                break
            body.append(line)
        words.update(re.findall(r"\w+", "\n".join(body)))
    if not words:
        return set()
    imported: set[str] = set()
    folders = set(path.parts[:-1])
    for match in FROM_IMPORT.finditer(text):
        if not match.group(1) and match.group(2).split(".")[0] not in folders:
            continue  # `from torch import nn`: not a file of the run
        for item in match.group(3).strip("() \t\\").replace("\n", " ").split(","):
            parts = item.split()
            if parts:
                imported.add(parts[-1])  # `b as c`: c
    return words & imported


def _referred_to_elsewhere(path: Path, data: bytes, names: set[str]) -> set[str]:
    """The names of `names` that `path` refers to outside its on-request functions and outside the definition of
    that name itself (imports, `isinstance` tests, annotations and strings do not count). A file that does not parse
    keeps them all: nothing is known of it."""
    tree = parse_quietly(data, path)
    if tree is None:
        return set(names)
    found: set[str] = set()
    pending: list[tuple[ast.AST, str | None]] = [(tree, None)]  # (node, the definition it is inside)
    while pending:
        node, inside = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and on_request_function(node.name):
            continue  # what an on-request function uses runs on request
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and inside is None:
            inside = node.name if node.name in names else None
        if type(node) is ast.Name and type(node.ctx) is ast.Load and node.id in names and node.id != inside:
            found.add(node.id)
        elif type(node) is ast.Attribute and node.attr in names and node.attr != inside:
            found.add(node.attr)  # `attention.FreeNoiseTransformerBlock(...)`
        for child in _children_that_use(node):
            pending.append((child, inside))
    return found


def _references(function: ast.AST) -> list[ast.Name]:
    found: list[ast.Name] = []
    pending = [function]
    while pending:
        node = pending.pop()
        if type(node) is ast.Name and type(node.ctx) is ast.Load:
            found.append(node)
        pending.extend(_children_that_use(node))
    return found


def _children_that_use(node: ast.AST) -> list[ast.AST]:
    """The children of `node` that may use a name: not annotations, not the classes an `isinstance` /
    `issubclass` tests against."""
    if type(node) is ast.Call and type(node.func) is ast.Name and node.func.id in ("isinstance", "issubclass"):
        return [node.func, *node.args[:1]]
    if type(node) is ast.AnnAssign:
        return [child for child in (node.target, node.value) if child is not None]
    if type(node) is ast.arg:
        return []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        arguments = node.args
        defaults = [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]
        return [*node.decorator_list, *defaults, *node.body]
    return list(ast.iter_child_nodes(node))


# -- across the files of a run: what every file uses only on paths taken on request -------------------------------

_MAX_REEXPORTS = 3  # `from .unet_2d_blocks import apply_freeu` where that module imports it in turn
_IMPORT_LINE = re.compile(rb"^[ \t]*import[ \t][^\n]*", re.M)
_TOP_LEVEL_DEFINITION = re.compile(rb"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.M)
_TOP_LEVEL_STATEMENT = re.compile(rb"^[^\s#)\]}]", re.M)


class ReferencesOf(Protocol):
    """The engine's answer for one file (`engine.non_default_references` under the file's settings)."""

    def __call__(self, path: Path, data: bytes, wanted: frozenset[str]) -> tuple[NonDefaultReference, ...]: ...


def cross_file_uses_for(
    finding_rows: dict[Path, list[int]],
    contents: dict[Path, bytes],
    references_of: ReferencesOf,
    display: Callable[[Path], str] = str,
    project_root: str | None = None,
) -> dict[Path, tuple[OnRequestUse, ...]]:
    """The runner's cross-file step, after a lint. The top-level definitions that hold findings (`finding_rows`: each
    file's rows with a finding), and those of their files that refer to them, are the names asked about; the files
    that import one are asked where they call it on paths their own analysis says are taken only on request
    (`references_of`); then `cross_file_uses`. Diffusers' `fourier_filter` (two findings) is called only by
    `apply_freeu`, which the UNet blocks call only under `if is_freeu_enabled:`."""
    wanted: dict[str, set[Path]] = {}  # name -> the files that define it
    for path, rows in finding_rows.items():
        data = contents.get(path)
        if data is not None and rows:
            for name in _definitions_around(data, rows):
                wanted.setdefault(name, set()).add(path)
    if not wanted:
        return {}
    imported = {path: _imported_words(data) for path, data in contents.items()}
    _add_calling_definitions(wanted, contents, imported)
    askers: dict[Path, set[str]] = {}
    used_otherwise: set[str] = set()  # mentioned other than in an import or a call: kept as model code whatever else
    for path, words in imported.items():
        for name in words.intersection(wanted):
            if path in wanted[name]:
                continue
            if _only_called(contents[path], name):
                askers.setdefault(path, set()).add(name)
            else:
                used_otherwise.add(name)
    references: dict[Path, tuple[NonDefaultReference, ...]] = {}
    for path, names in askers.items():
        asked = frozenset(names - used_otherwise)
        if asked:
            found = references_of(path, contents[path], asked)
            if found:
                references[path] = found
    return cross_file_uses(references, contents, display, project_root, imported) if references else {}


def cross_file_uses(
    references: dict[Path, tuple[NonDefaultReference, ...]],
    contents: dict[Path, bytes],
    display: Callable[[Path], str] = str,
    project_root: str | None = None,
    imported: dict[Path, set[str]] | None = None,
) -> dict[Path, tuple[OnRequestUse, ...]]:
    """For each file of the run (absolute path -> bytes in `contents`): its top-level definitions that the other files
    call only where their own analysis says the export goes only on request (`references`, from
    `FileContext.non_default_references`).

    A definition counts only when every mention of its name in the files that can use it is accounted for: one of
    those calls, an import, its own `def`/`class` line, a comment or a docstring (`:func:` references). Any other
    mention (a call on the default path, a use that is not a call) keeps it as model code, so what is not known errs
    on the side of reporting. Nothing is parsed: the words are found in the bytes. `imported`: each file's import words (`_imported_words`), when known:
    only the files that import the name or its module, and the file that defines it, can use it, and only those are
    searched (all files otherwise)."""
    by_definition: dict[tuple[Path, str], list[tuple[Path, NonDefaultReference]]] = {}
    for path, found in references.items():
        for reference in found:
            target = _defining_file(path, reference.module, reference.level, reference.name, contents, project_root)
            if target is not None and target != path:
                by_definition.setdefault((target, reference.name), []).append((path, reference))
    if not by_definition:
        return {}
    accounted = {
        path: {(reference.line, reference.column) for reference in found} for path, found in references.items()
    }
    names = sorted({name for _, name in by_definition})
    searched = contents
    if imported is not None:
        targets = {target for target, _ in by_definition}
        modules = {target.parent.name if target.name == "__init__.py" else target.stem for target in targets}
        keys = set(names) | modules
        searched = {path: data for path, data in contents.items() if path in targets or imported.get(path, keys) & keys}
    unaccounted = _names_mentioned_elsewhere(names, searched, accounted, set(by_definition))
    uses: dict[Path, list[OnRequestUse]] = {}
    for (target, name), where in sorted(by_definition.items()):
        if name in unaccounted:
            continue
        path, first = where[0]
        shown = f"{display(path)}:{first.line}: {first.reason}"
        shown += f"; and {len(where) - 1} more" if len(where) > 1 else ""
        uses.setdefault(target, []).append(
            OnRequestUse(name, f"the linted files call `{name}` only on paths taken on request ({shown})")
        )
    return {path: tuple(found) for path, found in uses.items()}


# Levels of callers in other files whose own callers are asked about (see `_add_calling_definitions`).
_CALLER_LEVELS = 2


def _add_calling_definitions(
    wanted: dict[str, set[Path]], contents: dict[Path, bytes], imported: dict[Path, set[str]]
) -> None:
    """Add to `wanted` the top-level definitions of other files that call a wanted name, for `_CALLER_LEVELS` levels:
    whether they run only on request is asked in turn. kornia's `_refine_essential_lm` (a finding) is called by
    `_lm_refine` in `_ransac_program.py`, which holds no finding of its own at the level shown, and which only
    `load_program`, called by `RANSAC` under `if self.compiled:`, runs."""
    frontier = set(wanted)
    for _ in range(_CALLER_LEVELS):
        added: set[str] = set()
        for path, words in imported.items():
            names = [name for name in words.intersection(frontier) if path not in wanted[name]]
            if not names:
                continue
            data = contents[path]
            calls = re.compile(rb"\b(?:" + b"|".join(re.escape(name.encode()) for name in names) + rb")\s*\(")
            rows = [data.count(b"\n", 0, match.start()) + 1 for match in calls.finditer(data)]
            for name in _definitions_around(data, rows) if rows else ():
                if name not in wanted:
                    added.add(name)
                if path not in wanted.setdefault(name, set()):
                    wanted[name].add(path)
        frontier = added
        if not frontier:
            return


def _definitions_around(data: bytes, rows: list[int]) -> set[str]:
    """The top-level definitions of a file that hold one of `rows`, and the file's other top-level definitions that
    mention those, transitively (what runs them within the file)."""
    starts = [match.start() for match in _TOP_LEVEL_STATEMENT.finditer(data)]
    spans: list[tuple[str, int, int]] = []  # (name, first byte, end byte)
    for match in _TOP_LEVEL_DEFINITION.finditer(data):
        index = bisect.bisect_right(starts, match.start())
        spans.append((match.group(1).decode(), match.start(), starts[index] if index < len(starts) else len(data)))
    line_starts = [0, *(match.end() for match in re.finditer(rb"\n", data))]
    offsets = [line_starts[row - 1] for row in rows if 0 < row <= len(line_starts)]
    found = {name for name, begin, end in spans if any(begin <= offset < end for offset in offsets)}
    pending = list(found)
    while pending:
        word = re.compile(rb"\b" + re.escape(pending.pop().encode()) + rb"\b")
        for name, begin, end in spans:
            if name not in found and word.search(data, begin, end):
                found.add(name)
                pending.append(name)
    return found


def _import_spans(data: bytes) -> list[tuple[int, int]]:
    """Where the file's import statements lie (`from ... import (...)` over several lines included), as byte spans."""
    return [match.span() for pattern in (FROM_IMPORT_BYTES, _IMPORT_LINE) for match in pattern.finditer(data)]


def _names_nothing(data: bytes, position: int, imports: list[tuple[int, int]]) -> bool:
    """Whether a mention at `position` uses nothing: it sits in an import statement (`imports`, from `_import_spans`),
    a comment, or a triple-quoted string (an odd number of one kind of triple quote before it: a docstring's
    `:func:` reference)."""
    if any(begin <= position < end for begin, end in imports):
        return True
    if b"#" in data[data.rfind(b"\n", 0, position) + 1 : position]:
        return True
    return data.count(b'"""', 0, position) % 2 == 1 or data.count(b"'''", 0, position) % 2 == 1


_ALL_ASSIGNMENT = re.compile(rb"^__all__[ \t]*(?::[^=\n]*)?=[ \t]*[\[(]", re.MULTILINE)


def _private_module_all(path: Path, data: bytes) -> list[tuple[int, int]]:
    """The span of the `__all__ = [...]` of a private module (`_ransac_program.py`, not a package's `__init__.py`):
    the names it lists are what `import *` of an internal module brings, no use by the library's users (kornia's
    `load_program`, which only `RANSAC(compile=True)` calls). Empty for any other module, whose `__all__` is its
    public API: a user may call what it lists."""
    if not path.name.startswith("_") or path.name == "__init__.py":
        return []
    match = _ALL_ASSIGNMENT.search(data)
    if match is None:
        return []
    close = data.find(b"]" if data[match.end() - 1 : match.end()] == b"[" else b")", match.end())
    return [] if close == -1 else [(match.start(), close + 1)]


def _only_called(data: bytes, name: str) -> bool:
    """Whether every mention of `name` in the file that uses something is a call (`name(`): any other use keeps the
    definition as model code, so the file need not be analysed for it."""
    imports = _import_spans(data)
    called = re.compile(rb"\b" + re.escape(name.encode()) + rb"\b(\s*\()?")
    return all(
        match.group(1) is not None or _names_nothing(data, match.start(), imports) for match in called.finditer(data)
    )


def _imported_words(data: bytes) -> set[str]:
    """The words of the file's import statements: the names `from ... import` brings in and the modules named, what a
    file must mention to use a definition of another file (`from ..utils.torch_utils import apply_freeu`, or
    `from ..utils import torch_utils` and then `torch_utils.apply_freeu(...)`). Found from each `import` word (a
    fast search for a literal), not with a pattern anchored at every line."""
    words: set[bytes] = set()
    position = data.find(b"import")
    while position != -1:
        line_start = data.rfind(b"\n", 0, position) + 1
        line_end = data.find(b"\n", position)
        line_end = len(data) if line_end == -1 else line_end
        statement = data[line_start:line_end]
        if statement.lstrip().startswith((b"from", b"import")):
            if b"(" in statement and b")" not in statement:  # `from x import (` on several lines
                close = data.find(b")", line_end)
                line_end = len(data) if close == -1 else close
                statement = data[line_start:line_end]
            words.update(re.findall(rb"\w+", statement.split(b"#", 1)[0] if b"(" not in statement else statement))
        position = data.find(b"import", line_end)
    return {word.decode("ascii", "replace") for word in words}


def _defining_file(
    path: Path, module: str, level: int, name: str, contents: dict[Path, bytes], project_root: str | None
) -> Path | None:
    """The file of the run that defines `name` at its top level, as `from <level dots><module> import <name>` in `path`
    reads it, through the modules that only import it in turn; None when no file of the run does."""
    node = ast.ImportFrom(module=module or None, names=[], level=level)
    for _ in range(_MAX_REEXPORTS + 1):
        targets = import_target_files(path, node, name, project_root)
        if not targets or targets[0] not in contents or name in (targets[0].stem, targets[0].parent.name):
            return None  # outside the run, or a module (`from . import attention`)
        target = targets[0]
        data = contents[target]
        if _defined_at_top_level(name, data):
            return target
        reexport = next(
            (
                match
                for match in FROM_IMPORT_BYTES.finditer(data)
                if name.encode() in re.findall(rb"\w+", match.group(3))
            ),
            None,
        )
        if reexport is None:
            return None
        module_text = reexport.group(2).decode("ascii", "replace")
        path, node = target, ast.ImportFrom(module=module_text or None, names=[], level=len(reexport.group(1)))
    return None


def _names_mentioned_elsewhere(
    names: list[str],
    contents: dict[Path, bytes],
    accounted: dict[Path, set[tuple[int, int]]],
    definitions: set[tuple[Path, str]],
) -> set[str]:
    """The names of `names` that some file of `contents` mentions other than at an accounted position, in an import
    statement, a comment or a docstring (`_names_nothing`), or on the `def`/`class` line that defines it."""
    found: set[str] = set()
    encoded = {name: name.encode() for name in names}
    mention = re.compile(rb"\b(?:" + b"|".join(re.escape(name) for name in encoded.values()) + rb")\b")
    for path, data in contents.items():
        if not any(name not in found and word in data for name, word in encoded.items()):
            continue
        imports = _import_spans(data)
        imports += _private_module_all(path, data)
        positions = accounted.get(path, set())
        for match in mention.finditer(data):
            name = match.group().decode()
            start = match.start()
            if name in found or _names_nothing(data, start, imports):
                continue
            line_start = data.rfind(b"\n", 0, start) + 1
            if (data.count(b"\n", 0, start) + 1, start - line_start) in positions:
                continue
            if (path, name) in definitions and re.match(
                rb"[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+" + re.escape(encoded[name]) + rb"\b", data[line_start:]
            ):
                continue
            found.add(name)
    return found
