"""Finding the Python files to lint, with ruff's default exclusions."""

from __future__ import annotations

import fnmatch
import os
import re
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


def resolved(path: Path) -> Path:
    """`path` made absolute with its symlinks resolved as far as they go; never raises.

    `Path.resolve()` raises RuntimeError on a symlink loop (`a.py -> b.py -> a.py`, a link to its
    own folder); `os.path.realpath` stops at the loop and returns the path it reached.
    """
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return Path(os.path.abspath(path))


class Excluder:
    """Decides whether a path is excluded, by name or by pattern relative to the project root."""

    def __init__(self, patterns: Iterable[str], root: Path) -> None:
        self.patterns = tuple(p.rstrip("/") for p in patterns)
        self.root = resolved(root)

    def excluded(self, path: Path) -> bool:
        if not self.patterns:
            return False  # nothing to match: spare resolving the path
        try:
            relative = resolved(path).relative_to(self.root).as_posix()
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


class DiscoveredPath(type(Path())):  # type: ignore[misc]  # PosixPath or WindowsPath
    """A file `discover` found, carrying where `--fix` may write it.

    `write_roots`: the real paths of the folders named on the command line, when the file was
    found by walking one of them; the writer refuses a file whose real path lies outside all of
    them (a symlink pointing out of the tree). None: no such limit, for a file named on the
    command line itself (writing its target is what the user asked) and for every plain `Path`.
    A path derived from this one (`/`, `.parent`, `.resolve()`) carries no limit.
    """

    write_roots: tuple[str, ...] | None = None

    @property
    def found_by_walking(self) -> bool:
        """Found inside a folder named on the command line, not named itself."""
        return self.write_roots is not None

    def __reduce__(self):  # pickled to worker processes with its limit
        return (_discovered_path, (str(self), self.write_roots))


def _discovered_path(path: str, write_roots: tuple[str, ...] | None) -> DiscoveredPath:
    result = DiscoveredPath(path)
    result.write_roots = write_roots
    return result


def discover(paths: Iterable[Path], excluder: Excluder, *, force_exclude: bool = False) -> Iterator[Path]:
    """Python files under `paths`, sorted, each once. Files named explicitly are always linted
    unless `force_exclude` is set (what pre-commit hooks want).

    Each file is a `DiscoveredPath`: one found by walking a folder may only be written (`--fix`)
    inside the real folders named in `paths`; one named itself has no such limit.
    """
    targets = [(path, path.is_dir()) for path in paths]
    roots = tuple(dict.fromkeys(str(resolved(path)) for path, is_dir in targets if is_dir))
    # Files named beside a folder that holds them (`onnxlint src src/link.py`): the user asked.
    named = {resolved(path) for path, is_dir in targets if not is_dir and path.exists()} if roots else set()
    seen: set[Path] = set()
    for path, is_dir in targets:
        if not is_dir:  # a file, or what the runner reports: missing, a broken link, a FIFO...
            if (
                path.exists()
                and force_exclude
                and (excluder.excluded(path) or any(part in DEFAULT_EXCLUDES for part in path.parts[:-1]))
            ):
                continue
            key = resolved(path) if path.exists() else path
            if key not in seen:
                seen.add(key)
                yield _discovered_path(str(path), None)
            continue
        for file, key in _walk(DiscoveredPath(path), excluder):  # `folder / name` makes DiscoveredPaths
            if key not in seen:
                seen.add(key)
                file.write_roots = None if key in named else roots  # type: ignore[attr-defined]
                yield file


def _walk(folder: Path, excluder: Excluder) -> Iterator[tuple[Path, Path]]:
    """(file, its resolved path) for the Python files under `folder`. The folder is resolved once;
    only a file that is itself a symlink is resolved on its own (realpath stats every component)."""
    entries: list[tuple[str, bool, bool]] = []
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_link = entry.is_symlink()
                    # FIFOs, sockets and devices named *.py are not source (reading a FIFO would block);
                    # symlinks are kept: a link to a file is linted, a broken one or a loop is reported.
                    if not is_dir and not (entry.is_file(follow_symlinks=False) or is_link):
                        continue
                    entries.append((entry.name, is_dir, is_link))
                except OSError:
                    continue
    except OSError:
        return
    real_folder: Path | None = None
    for name, is_dir, is_link in sorted(entries):
        child = folder / name
        if is_dir:
            if name in DEFAULT_EXCLUDES or excluder.excluded(child) or is_virtualenv(child):
                continue
            yield from _walk(child, excluder)
        elif name.endswith(".py") and not excluder.excluded(child):
            if is_link:
                yield child, resolved(child)
            else:
                real_folder = real_folder or resolved(folder)
                yield child, real_folder / name


# A comment near the top of a generated file naming the file it was generated from, e.g.
# transformers' "#   This file was automatically generated from src/.../modular_aimv2.py."
_GENERATED_FROM = re.compile(
    rb"^[ \t]*#[^\n]*\bgenerated\b[^\n]*?\bfrom\s+[`'\"]?(?P<path>[\w./\\-]+\.py)\b", re.M | re.I
)
_HEAD_BYTES = 4096  # the header comment sits in the first lines


def generator_sources(files: Iterable[Path]) -> dict[Path, Path]:
    """Files whose code never runs because a generated twin stands in for them: source -> the file
    generated from it. A file is a generator source when another file of the same folder says, in a
    comment at its top, that it was generated from it (transformers' `modular_*.py`, from which the
    `modeling_*.py` that is imported at run time is generated). Linting both would report every
    hazard twice, once in code that never runs; the generated twin is the one that runs.
    """
    files = list(files)
    by_folder: dict[str, set[str]] = {}
    for path in files:
        by_folder.setdefault(os.path.dirname(os.path.abspath(path)), set()).add(path.name)
    sources: dict[Path, Path] = {}
    for path in files:
        try:
            with open(path, "rb") as stream:
                head = stream.read(_HEAD_BYTES)
        except OSError:
            continue
        match = _GENERATED_FROM.search(head)
        if match is None:
            continue
        name = os.path.basename(match.group("path").decode("ascii", "replace").replace("\\", "/"))
        folder = os.path.dirname(os.path.abspath(path))
        if name != path.name and name in by_folder.get(folder, ()):
            sources[Path(folder) / name] = path
    return sources
