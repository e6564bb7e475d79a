"""The runner's pre-pass: which files of a run the export scripts of that run export.

Model code usually lives in one file (`model.py`) and is exported by another
(`export.py`: `from model import NestedUNet; torch.onnx.export(model, x, f, opset_version=11)`).
A rule judging `model.py` must use the exporter and opset of that call, not the run's defaults.

Before linting, `export_sites_for` finds every file of the run that calls `torch.onnx.export`,
follows its imports of local modules (transitively: `model.py` importing `blocks.py` is exported
too) to the files of the same run, and returns, for each such file, the export calls that reach
it. The runner hands them to the file through `LintSettings.export_sites`; `FileContext`
uses them in `export_config_for` when the file has no export call of its own. `lint_source`
stays a pure function of (text, settings), and nothing here knows any rule.

Imports resolve as Python would for a script run from its folder or as a module of its
package: the script's folder, the folders above it while they are packages (`__init__.py`),
and the project root; relative imports from the script's package. Only files that are part of
the run count; nothing is imported or executed.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .context import FileContext
from .settings import ExportSite, LintSettings
from .source import SourceDecodeError, read_source_file

_MAX_FILES_FOLLOWED = 200  # per export script: a guard against pathological import graphs


def export_sites_for(
    files: Sequence[Path], settings: LintSettings, display: Callable[[Path], str] = str
) -> dict[Path, tuple[ExportSite, ...]]:
    """For each file of `files` that an export script of `files` imports: the export calls that reach it."""
    linted = {_resolve(path): path for path in files}
    trees: dict[Path, ast.Module | None] = {}
    reached: dict[Path, list[ExportSite]] = {}
    for path in files:
        resolved = _resolve(path)
        text = _read(path)
        if text is None or "export" not in text or "onnx" not in text:
            continue
        tree = _parse(text, path)
        trees[resolved] = tree
        if tree is None:
            continue
        calls = FileContext(str(path), text, tree, settings).export_calls()
        if not calls:
            continue
        sites = [
            ExportSite(f"{display(path)}:{call.lineno}", config.exporter, config.requested_opset)
            for call, config in calls
        ]
        for module in _imported_closure(resolved, tree, linted, trees, settings):
            reached.setdefault(linted[module], []).extend(sites)
    return {path: tuple(sites) for path, sites in reached.items()}


def _imported_closure(
    script: Path,
    tree: ast.Module,
    linted: dict[Path, Path],
    trees: dict[Path, ast.Module | None],
    settings: LintSettings,
) -> list[Path]:
    """The files of the run that `script` imports, directly or through each other (not itself)."""
    found: list[Path] = []
    seen = {script}
    queue = [(script, tree)]
    while queue and len(found) < _MAX_FILES_FOLLOWED:
        current, current_tree = queue.pop(0)
        for module in imported_files(current, current_tree, settings.project_root):
            if module in seen or module not in linted:
                continue
            seen.add(module)
            found.append(module)
            if module not in trees:
                text = _read(linted[module])
                trees[module] = _parse(text, module) if text is not None else None
            module_tree = trees[module]
            if module_tree is not None:
                queue.append((module, module_tree))
    return found


def imported_files(path: Path, tree: ast.Module, project_root: str | None = None) -> list[Path]:
    """The local files `path`'s imports may refer to (existing files only, resolved)."""
    roots = _search_roots(path, project_root)
    candidates: list[Path] = []
    for node in ast.walk(tree):
        if type(node) is ast.Import:
            for alias in node.names:  # type: ignore[attr-defined]
                for root in roots:
                    candidates.extend(_module_files(root, alias.name.split(".")))
        elif type(node) is ast.ImportFrom:
            parts = node.module.split(".") if node.module else []  # type: ignore[attr-defined]
            if node.level:  # type: ignore[attr-defined]
                base = path.parent
                for _ in range(node.level - 1):  # type: ignore[attr-defined]
                    base = base.parent
                bases = [base]
            else:
                bases = list(roots)
            for base in bases:
                if parts:
                    candidates.extend(_module_files(base, parts))
                for alias in node.names:  # type: ignore[attr-defined]
                    if alias.name != "*":  # `from package import submodule`
                        candidates.extend(_module_files(base, [*parts, alias.name]))
    result: list[Path] = []
    for candidate in candidates:
        resolved = _resolve(candidate)
        if resolved not in result:
            result.append(resolved)
    return result


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


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _read(path: Path) -> str | None:
    try:
        return read_source_file(path).text
    except (OSError, SourceDecodeError):
        return None


def _parse(text: str, path: Path) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError):
        return None
