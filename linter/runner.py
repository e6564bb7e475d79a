"""Running the engine over files: read, lint or fix, write safely, collect outcomes.

This is the one place that touches the disk for linting; the CLI and the pre-commit hooks call
it, the LSP calls the pure engine on editor buffers instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .engine import lint_source
from .export_sites import export_sites_for
from .findings import Finding
from .fixer import fix_source
from .settings import ExportSite, LintSettings
from .source import FileChangedError, SourceDecodeError, read_source_file, write_atomically

IO_ERROR_CODE = "E902"  # ruff's code for "file could not be read"


@dataclass
class FileOutcome:
    path: Path
    display_path: str
    findings: list[Finding] = field(default_factory=list)  # what remains (after fixing, when fixing)
    fixed: Counter[str] = field(default_factory=Counter)
    diff: str | None = None
    written: bool = False
    error: str | None = None  # could not read, decode or write the file
    rejected_fixes: list[str] = field(default_factory=list)
    converged: bool = True


@dataclass
class RunOptions:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes and show them as a diff; write nothing


def display_path(path: Path, cwd: Path | None = None) -> str:
    cwd = cwd or Path.cwd()
    try:
        return os.path.relpath(path, cwd) if path.is_absolute() else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


def relative_to_root(path: Path, settings: LintSettings) -> str:
    if settings.project_root:
        try:
            return path.resolve().relative_to(Path(settings.project_root).resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def process_file(path: Path, settings: LintSettings, options: RunOptions) -> FileOutcome:
    outcome = FileOutcome(path=path, display_path=display_path(path))
    try:
        contents = read_source_file(path)
    except (OSError, SourceDecodeError) as error:
        outcome.error = f"{type(error).__name__}: {error}"
        return outcome
    filename = str(path)
    relative = relative_to_root(path, settings)
    if not (options.fix or options.diff):
        outcome.findings = lint_source(contents.text, filename, settings, relative_path=relative).findings
        return outcome
    result = fix_source(contents.text, filename, settings, unsafe_fixes=options.unsafe_fixes, relative_path=relative)
    outcome.findings = result.remaining
    outcome.fixed = result.applied
    outcome.rejected_fixes = result.rejected
    outcome.converged = result.converged
    if not result.changed:
        return outcome
    if options.diff:
        outcome.diff = unified_diff(contents.text, result.text, outcome.display_path)
        return outcome
    try:
        write_atomically(contents, result.text)
        outcome.written = True
    except (FileChangedError, OSError) as error:
        outcome.error = f"not written: {error}"
        outcome.fixed = Counter()
        outcome.findings = lint_source(contents.text, filename, settings, relative_path=relative).findings
    return outcome


def unified_diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    text = "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in lines)
    return text


def run(paths: Iterable[Path], settings: LintSettings, options: RunOptions) -> list[FileOutcome]:
    files = list(paths)
    # Pre-pass: files imported by an export script are judged by that script's export calls.
    sites = export_sites_for(files, settings, display_path)
    return [process_file(path, with_export_sites(settings, sites.get(path, ())), options) for path in files]


def with_export_sites(settings: LintSettings, sites: tuple[ExportSite, ...]) -> LintSettings:
    return dataclasses.replace(settings, export_sites=sites) if sites else settings
