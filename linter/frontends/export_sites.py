"""The runner's pre-pass: which files of a run the export scripts of that run export.

Model code usually lives in one file (`model.py`) and is exported by another
(`export.py`: `from model import NestedUNet; torch.onnx.export(model, x, f, opset_version=11)`).
A rule judging `model.py` must use the exporter and opset of that call, not the run's defaults.

Before linting, `export_sites_for` finds each `torch.onnx.export` call of the run that asks for
something the settings do not say (a literal `dynamo=` or `opset_version=`), follows its model
argument back to the class it builds (`model = NestedUNet(...)`, `.eval()` and `.to()` peeled
off) and that class to its import, and hands the call to the file that defines the class and to
the files of the run that file imports, transitively (`model.py` importing `blocks.py`). The
runner passes them through `LintSettings.export_sites`; `FileContext.export_config_for` uses
them when a file has no export call of its own and they agree. `lint_source` stays a pure
function of (text, settings), and nothing here knows any rule.

Deliberately narrow, because a wrong export configuration moves findings in files the user
did not ask about: a model that comes from a function parameter (a library's `export(model)`
helper), a factory of another package, or a class the script defines itself reaches no other
file. Imports resolve as Python would for a script run from its folder or as a module of its
package: the script's folder, the folders above it while they are packages (`__init__.py`), the
project root, and relative imports from the script's package. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from onnxlint.analysis.bindings import Binding, Role, bindings_in
from onnxlint.analysis.export_calls import model_argument
from onnxlint.analysis.traversal import walk
from onnxlint.core.settings import ExportSite, LintSettings
from onnxlint.core.source import SourceDecodeError, read_source_file

if TYPE_CHECKING:  # imported where it is used: most runs find no export script and need no semantic model
    from onnxlint.core.context import FileContext

_EXPORT_KEYWORD = re.compile(rb"\b(?:opset_version|dynamo)\s*=[^=]")
_MAX_FILES_FOLLOWED = 200  # per export script: a guard against pathological import graphs


class ScriptMemo(Protocol):
    """Remembers which file contents hold no export call that differs from the run's settings
    (the results cache does, per run key): a warm run does not parse them again."""

    def known_without_sites(self, path: Path, data: bytes) -> bool: ...

    def record_without_sites(self, path: Path, data: bytes) -> None: ...


def export_sites_for(
    files: Sequence[Path],
    settings: LintSettings,
    display: Callable[[Path], str] = str,
    memo: ScriptMemo | None = None,
    contents: Mapping[Path, bytes] | None = None,
) -> dict[Path, tuple[ExportSite, ...]]:
    """For each file of `files` that an export script of `files` imports: the export calls that reach it.

    Only calls that ask for something the run's settings do not say (a literal `dynamo=` or
    `opset_version=` that differs) are followed: the others judge the model as the settings do.
    The keyword test is textual, so docstring examples match it (torchvision's detection models
    show `torch.onnx.export(..., opset_version=11)`): `memo` spares parsing those again.
    `contents`: the files' bytes the runner has already read, by absolute path (the others are read here).
    """
    linted = {absolute_path(path): path for path in files}
    base = settings.export_config()
    reached: dict[Path, list[ExportSite]] = {}
    for key, path in linted.items():
        data = contents.get(key) if contents is not None else None
        if data is None:
            try:
                data = path.read_bytes()
            except OSError:
                continue
        if b"onnx" not in data or not _EXPORT_KEYWORD.search(data):
            continue  # the cheap test first: most files export nothing, or nothing the settings do not say
        if memo is not None and memo.known_without_sites(path, data):
            continue
        text = _read(path)
        if text is None:
            continue
        tree = parse_quietly(text, path)
        if tree is None:
            continue
        from onnxlint.core.context import FileContext

        context = FileContext(str(path), text, tree, settings)
        differing = False
        for call, config in context.export_calls():
            if (config.exporter, config.requested_opset) == (base.exporter, base.requested_opset):
                continue
            differing = True
            site = ExportSite(f"{display(path)}:{call.lineno}", config.exporter, config.requested_opset)
            starts = _model_files(context, call, absolute_path(path), settings.project_root)
            for module in _imported_closure(starts, absolute_path(path), linted):
                reached.setdefault(linted[module], []).append(site)
        if not differing and memo is not None:
            memo.record_without_sites(path, data)
    return {path: tuple(dict.fromkeys(sites)) for path, sites in reached.items()}


def _model_files(context: FileContext, call: ast.Call, script: Path, project_root: str | None) -> list[Path]:
    """The file that defines the exported model's class, found by following the call's model
    argument back to `Name(...)` and `Name` to its import. Empty when the script does not show
    it (a function parameter, a factory of another package) or defines the class itself: then
    no other file is judged by this call."""
    constructor = _constructor(context, model_argument(call), call)
    if constructor is None:
        return []
    dotted: list[str] = []
    func = constructor.func
    while type(func) is ast.Attribute:
        dotted.insert(0, func.attr)
        func = func.value
    if type(func) is not ast.Name:
        return []
    head = func.id
    if head in context.model.classes or head in context.model.functions:
        return []  # defined in the script, which its own export calls judge already
    for node in ast.walk(context.tree):
        if type(node) is ast.Import:
            for alias in node.names:
                if (alias.asname or alias.name.split(".")[0]) == head:
                    parts = alias.name.split(".") if alias.asname else [head]
                    return _first_module(_search_roots(script, project_root), [*parts, *dotted[:-1]])
        elif type(node) is ast.ImportFrom:
            for alias in node.names:
                if (alias.asname or alias.name) == head:
                    return import_target_files(script, node, alias.name, project_root, dotted)
    return []


def import_target_files(
    script: Path, node: ast.ImportFrom, name: str, project_root: str | None, dotted: Sequence[str] = ()
) -> list[Path]:
    """The module file that `from <module> import <name>` in `script` reads `name` (then `dotted`) from: the longest
    prefix of the dotted path that names a file, as Python would find it for a script run from its folder or a
    module of its package (see `_search_roots`); empty when none does."""
    parts = [*(node.module.split(".") if node.module else []), name, *dotted]
    if node.level:
        base = script.parent
        for _ in range(node.level - 1):
            base = base.parent
        return _first_module([base], parts)
    return _first_module(_search_roots(script, project_root), parts)


def _constructor(context: FileContext, expr: ast.expr | None, at: ast.AST, depth: int = 0) -> ast.Call | None:
    """`Net(...)` from `Net(...).eval().to(device)`, or from a name last assigned one before `at`."""
    expr = _peel(context, expr)
    if type(expr) is ast.Call:
        return expr
    if type(expr) is not ast.Name or depth > 3:
        return None
    name = expr.id
    position = (at.lineno, at.col_offset)  # type: ignore[attr-defined]
    bindings = context.cached(_every_binding, context.enclosing_scope(at)).get(name, ())
    assignments = [
        binding.node
        for binding in bindings
        if binding.role is Role.WHOLE
        and type(binding.node) is ast.Assign
        and (binding.node.lineno, binding.node.col_offset) < position
    ]
    for assignment in sorted(dict.fromkeys(assignments), key=lambda node: (node.lineno, node.col_offset), reverse=True):
        base = _peel(context, assignment.value)
        if type(base) is ast.Name and base.id == name:
            continue  # `model = model.eval()`: look further back
        return _constructor(context, base, assignment, depth + 1)
    return None


def _every_binding(context: FileContext, scope: ast.AST) -> dict[str, list[Binding]]:
    """Every binding in `scope`, nested functions and classes included (a script's `main()` builds the model)."""
    return bindings_in(walk(scope))


def _peel(context: FileContext, expr: ast.expr | None) -> ast.expr | None:
    """Drop method calls on a module (`.eval()`, `.to(device)`): `Net().eval()` -> `Net()`, `model.cuda()` -> `model`.

    A call on an imported name is the constructor itself (`models.UNet(...)`, `timm.create_model(...)`)."""
    while type(expr) is ast.Call and type(expr.func) is ast.Attribute:
        inner = expr.func.value
        if type(inner) is ast.Call:
            expr = inner
        elif type(inner) is ast.Name and inner.id not in context.model.imports:
            return inner
        else:
            break
    return expr


def _first_module(roots: list[Path], parts: list[str]) -> list[Path]:
    """The longest prefix of `parts` that names a module file under one of `roots`."""
    for length in range(len(parts), 0, -1):
        for root in roots:
            found = _module_files(root, parts[:length])
            if found:
                return [absolute_path(found[0])]
    return []


def _imported_closure(starts: list[Path], script: Path, linted: dict[Path, Path]) -> list[Path]:
    """`starts` (the files of the run among them) and the files of the run they import, transitively;
    never the script itself (its own export calls judge it)."""
    found: list[Path] = []
    seen = {script}
    queue: list[tuple[Path, str]] = []
    for start in starts:
        if start in linted and start not in seen:
            seen.add(start)
            found.append(start)
            queue.append((start, _read(linted[start]) or ""))
    while queue and len(found) < _MAX_FILES_FOLLOWED:
        current, current_text = queue.pop(0)
        for module in imported_files(current, current_text):
            if module in seen or module not in linted:
                continue
            seen.add(module)
            found.append(module)
            module_text = _read(linted[module])
            if module_text is not None:
                queue.append((module, module_text))
    return found


# `import a.b as c, d` and `from ..a import (b, c as d)`, at any indentation (imports in functions count).
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.MULTILINE)
FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.MULTILINE)


def imported_files(path: Path, text: str, project_root: str | None = None) -> list[Path]:
    """The local files that `path`'s imports may refer to (existing files only, absolute).

    Imports are read with a regular expression, not parsed: this runs on every file an
    export script reaches, before linting, and only has to be right about file names.
    """
    roots = _search_roots(path, project_root)
    candidates: list[Path] = []
    for match in _IMPORT.finditer(text):
        for item in match.group(1).split(","):
            name = item.split()[0] if item.split() else ""
            for root in roots:
                candidates.extend(_module_files(root, name.split(".")))
    for match in FROM_IMPORT.finditer(text):
        dots, module, names = match.group(1), match.group(2), match.group(3)
        parts = module.split(".") if module else []
        if dots:
            base = path.parent
            for _ in range(len(dots) - 1):
                base = base.parent
            bases = [base]
        else:
            bases = list(roots)
        imported = [item.split()[0] for item in names.strip("() \t\\").replace("\n", " ").split(",") if item.split()]
        for folder in bases:
            if parts:
                candidates.extend(_module_files(folder, parts))
            for name in imported:
                if name != "*":  # `from package import submodule`
                    candidates.extend(_module_files(folder, [*parts, name]))
    return list(dict.fromkeys(absolute_path(candidate) for candidate in candidates))


def _search_roots(path: Path, project_root: str | None) -> list[Path]:
    roots = [path.parent]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
        roots.append(folder)
    if project_root:
        roots.append(Path(project_root))
    return list(dict.fromkeys(roots))


def _module_files(base: Path, parts: Iterable[str]) -> list[Path]:
    parts = [part for part in parts if part]
    if not parts:
        return []
    target = base.joinpath(*parts)
    return [candidate for candidate in (target.with_suffix(".py"), target / "__init__.py") if candidate.is_file()]


def absolute_path(path: Path) -> Path:
    """`path` made absolute and normalised, as the pre-passes key the run's files."""
    return Path(os.path.normpath(os.path.abspath(path)))


def _read(path: Path) -> str | None:
    try:
        return read_source_file(path).text
    except (OSError, SourceDecodeError):
        return None


def parse_quietly(source: str | bytes, path: Path) -> ast.Module | None:
    """The pre-passes' parse: no warnings, and None for a file that does not parse (its lint reports it)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
