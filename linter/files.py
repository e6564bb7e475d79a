"""Finding the Python files to lint, with ruff's default exclusions."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

DEFAULT_EXCLUDES = frozenset(
    {
        ".bzr",
        ".direnv",
        ".eggs",
        ".git",
        ".git-rewrite",
        ".hg",
        ".ipynb_checkpoints",
        ".mypy_cache",
        ".nox",
        ".onnxlint_cache",
        ".pants.d",
        ".pytest_cache",
        ".pytype",
        ".ruff_cache",
        ".svn",
        ".tox",
        ".venv",
        "__pycache__",
        "__pypackages__",
        "_build",
        "buck-out",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        "venv",
    }
)


class Excluder:
    """Decides whether a path is excluded, by name or by pattern relative to the project root."""

    def __init__(self, patterns: Iterable[str], root: Path) -> None:
        self.patterns = tuple(p.rstrip("/") for p in patterns)
        self.root = root.resolve()

    def excluded(self, path: Path) -> bool:
        if not self.patterns:
            return False  # nothing to match: spare resolving the path
        try:
            relative = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            relative = path.as_posix()
        name = path.name
        for pattern in self.patterns:
            if (
                fnmatch.fnmatch(name, pattern)
                or fnmatch.fnmatch(relative, pattern)
                or fnmatch.fnmatch(relative, pattern + "/*")
            ):
                return True
        return False


def is_virtualenv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file()


def discover(paths: Iterable[Path], excluder: Excluder, *, force_exclude: bool = False) -> Iterator[Path]:
    """Python files under `paths`, sorted, each once. Files named explicitly are always linted
    unless `force_exclude` is set (what pre-commit hooks want)."""
    seen: set[Path] = set()
    for path in paths:
        if path.is_file() or not path.exists():
            if (
                path.exists()
                and force_exclude
                and (excluder.excluded(path) or any(part in DEFAULT_EXCLUDES for part in path.parts[:-1]))
            ):
                continue
            key = path.resolve() if path.exists() else path
            if key not in seen:
                seen.add(key)
                yield path
            continue
        for file in _walk(path, excluder):
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file


def _walk(folder: Path, excluder: Excluder) -> Iterator[Path]:
    entries: list[tuple[str, bool]] = []
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                try:
                    entries.append((entry.name, entry.is_dir(follow_symlinks=False)))
                except OSError:
                    continue
    except OSError:
        return
    for name, is_dir in sorted(entries):
        child = folder / name
        if is_dir:
            if name in DEFAULT_EXCLUDES or excluder.excluded(child) or is_virtualenv(child):
                continue
            yield from _walk(child, excluder)
        elif name.endswith(".py") and not excluder.excluded(child):
            yield child
