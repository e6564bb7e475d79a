"""Running the engine over files: read, lint or fix, write safely, collect outcomes.

This is the one place that touches the disk for linting; the CLI and the pre-commit hooks call
it, the LSP calls the pure engine on editor buffers instead.

With `RunOptions.cache`, files whose bytes, names and settings were linted before are answered
from the results cache (linter/frontends/cache.py) without being decoded or parsed; with `jobs` other than
1, the remaining files are linted by worker processes. Neither changes a single finding.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import gc
import hashlib
import os
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from onnxlint.analysis.config_defaults import configuration_defaults, imported_configurations
from onnxlint.core.findings import Finding
from onnxlint.core.settings import ExportSite, LintSettings, NonDefaultReference, OnRequestUse
from onnxlint.core.source import (
    FileNotWrittenError,
    SourceDecodeError,
    decode_source,
    read_bytes,
    read_error_message,
    read_source_file,
    write_atomically,
)
from onnxlint.frontends.cache import LintCache, file_digest
from onnxlint.frontends.export_sites import absolute_path, export_sites_for
from onnxlint.frontends.on_request import cross_file_uses_for, on_request_uses_for, run_files_digest

IO_ERROR_CODE = "E902"  # ruff's code for "file could not be read"
# Files larger than this are reported (E902) instead of linted: hand-written modules stay far below
# (the largest .py in torch 2.13 is 1.3 MiB), and a 10 MiB generated file would take ~10 s and
# over 1 GiB to parse and walk. `--max-file-size` changes it; 0 lints every size.
DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024


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
    # The cache digest of the bytes that `findings` describe (None: they describe no file on disk).
    cache_digest: str | None = None
    cached: bool = False  # answered from the results cache


@dataclass
class RunOptions:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes and show them as a diff; write nothing
    cache: bool = False  # answer unchanged files from the results cache (the CLI's default; --no-cache)
    cache_dir: Path | None = None  # default: <project root>/.onnxlint_cache (or $ONNXLINT_CACHE_DIR)
    jobs: int = 1  # worker processes for the files to lint; 0: one per CPU when there is enough work
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # larger files are reported, not linted; 0: no limit


def display_path(path: Path, cwd: Path | None = None) -> str:
    """`path` relative to `cwd` (the current folder), as it is: reporters show it through `printable`."""
    cwd = cwd or Path.cwd()
    try:
        return os.path.relpath(path, cwd) if path.is_absolute() else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


def printable(text: str, keep: str = "") -> str:
    """`text` with every character that is not printable written as Python writes it in a string
    literal, without the quotes: a newline as `\\n`, ESC as `\\x1b`, an undecodable byte of a file
    name (a surrogate) as `\\udcff`; `keep`: characters left as they are (for formats with their
    own escaping). Not printable: what `str.isprintable` rejects, so control characters (C0, DEL,
    C1), line and paragraph separators, format characters (bidirectional overrides) and every
    space but " ". Backslashes are kept, so Windows paths read as they are (and a name holding a
    backslash and an `n` reads like one holding a newline: the JSON and SARIF formats, which
    encode every character, give the exact name).

    The one rule for text that onnxlint did not write itself (file names, paths, messages and
    errors that quote them) in the text, concise and GitHub formats and in diff headers: a file
    named `x.py\\n::error file=x::forged` cannot print a line of its own, move the cursor or
    recolour the terminal.
    """
    if text.isprintable():
        return text  # the usual case, tested in C
    return "".join(char if char.isprintable() or char in keep else repr(char)[1:-1] for char in text)


def relative_to_root(path: Path, settings: LintSettings) -> str:
    if settings.project_root:
        try:
            return path.resolve().relative_to(_resolved(settings.project_root)).as_posix()
        except ValueError:
            pass
    return path.as_posix()


@functools.lru_cache(maxsize=8)
def _resolved(folder: str) -> Path:
    return Path(folder).resolve()


def _digest(
    raw: bytes,
    path: Path,
    settings: LintSettings,
    relative: str | None = None,
    configurations: list[tuple[str, bytes]] | None = None,
) -> str:
    """The cache digest of a file linted under `settings` (what `lint_source` sees of it)."""
    if settings.per_file_ignores:  # the relative path matters only to per-file ignores (and costs a resolve)
        relative = relative if relative is not None else relative_to_root(path, settings)
    else:
        relative = ""
    if configurations is None:
        configurations = sibling_configurations(path, raw)
    return file_digest(raw, str(path), relative, settings.export_sites, configurations, settings.on_request)


_MAX_CONFIGURATION_BYTES = 1 << 20  # a configuration module larger than this is not read


def sibling_configurations(path: Path, raw: bytes) -> list[tuple[str, bytes]]:
    """(name, bytes) of each configuration module beside `path` that its source `raw` imports
    (analysis/config_defaults.py). Only a regular file in the same folder, not a link (it could lead out of the
    linted tree), read without blocking (a FIFO in its place) and at most 1 MiB; anything else is skipped."""
    found: list[tuple[str, bytes]] = []
    for name in imported_configurations(raw, path.parent.name):
        candidate = path.parent / f"{name}.py"
        try:
            if not candidate.is_symlink():
                found.append((name, read_bytes(candidate, _MAX_CONFIGURATION_BYTES)))
        except OSError:  # missing, a FIFO or device, too large, unreadable (NotSourceFileError is an OSError)
            continue
    return found


def with_configuration(settings: LintSettings, configurations: list[tuple[str, bytes]]) -> LintSettings:
    """`settings` with the defaults of the configuration modules the file imports (analysis/config_defaults.py)."""
    defaults = configuration_defaults(configurations) if configurations else ()
    return dataclasses.replace(settings, config_defaults=defaults) if defaults else settings


def process_file(path: Path, settings: LintSettings, options: RunOptions) -> FileOutcome:
    outcome = FileOutcome(path=path, display_path=display_path(path))
    try:
        contents = read_source_file(path, options.max_file_bytes or None)
    except (OSError, SourceDecodeError) as error:
        outcome.error = read_error_message(error)
        return outcome
    from onnxlint.core.engine import lint_source  # here, not at the top: a run answered by the cache loads no engine
    from onnxlint.core.fixer import fix_source

    filename = str(path)
    relative = relative_to_root(path, settings)
    configurations = sibling_configurations(path, contents.raw)
    digest_settings, settings = settings, with_configuration(settings, configurations)
    if not (options.fix or options.diff):
        outcome.findings = lint_source(contents.text, filename, settings, relative_path=relative).findings
        outcome.cache_digest = _digest(contents.raw, path, digest_settings, relative, configurations)
        return outcome
    result = fix_source(contents.text, filename, settings, unsafe_fixes=options.unsafe_fixes, relative_path=relative)
    outcome.findings = result.remaining
    outcome.fixed = result.applied
    outcome.rejected_fixes = result.rejected
    outcome.converged = result.converged
    if not result.changed:
        outcome.cache_digest = _digest(contents.raw, path, digest_settings, relative, configurations)
        return outcome
    if options.diff:
        outcome.diff = unified_diff(contents.text, result.text, outcome.display_path)
        return outcome
    try:
        # A file found by walking a folder is written only inside the folders named: `path` is a
        # files.DiscoveredPath that says which, and `contents.path` is `path`.
        write_atomically(contents, result.text)
        outcome.written = True
        # `remaining` is the lint of the text just written: cache it under the new bytes.
        outcome.cache_digest = _digest(contents.encode(result.text), path, digest_settings, relative)
    except OSError as error:  # FileNotWrittenError: refused, changed on disk, unencodable, the disk's refusal
        outcome.error = (
            str(error)
            if isinstance(error, FileNotWrittenError)
            else f"cannot write the fixed file: {error.strerror or type(error).__name__}; not fixed"
        )
        outcome.fixed = Counter()
        outcome.findings = lint_source(contents.text, filename, settings, relative_path=relative).findings
        outcome.cache_digest = _digest(contents.raw, path, digest_settings, relative, configurations)
    return outcome


def unified_diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{printable(name)}",
        tofile=f"b/{printable(name)}",
    )
    text = "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in lines)
    return text


def run(
    paths: Iterable[Path],
    settings: LintSettings,
    options: RunOptions,
    progress: Callable[[int, int], None] | None = None,
) -> list[FileOutcome]:
    """Lint (and fix) every file; `progress(done, total)` is called as the files not answered by the
    cache are linted (the CLI draws it on a terminal)."""
    files = list(paths)
    keys = [absolute_path(path) for path in files]  # how the pre-passes and the cross-file step know each file
    display = functools.cache(display_path)  # asked of every file by each run-wide step
    # Pre-pass: files imported by an export script are judged by that script's export calls.
    # (Only regular files: the pre-pass reads them whole, and a FIFO named on the command line would
    # block it; process_file reports what is not a regular file.)
    cache = _open_cache(settings, options)
    regular = [(key, path) for key, path in zip(keys, files) if _is_regular_file(path)]
    contents = _contents(regular, options)  # read once, for both pre-passes and the cache check
    read = dict(contents)
    sites = export_sites_for([path for _, path in regular], settings, display, memo=cache, contents=read)
    # Pre-pass: definitions the rest of the run uses only on request (opt-in switches, training code).
    files_digest = run_files_digest(contents, display, settings.project_root)
    uses = on_request_uses_for(contents, display, settings.project_root, memo=cache, files_digest=files_digest)

    def settings_for(index: int, across: dict[Path, tuple[OnRequestUse, ...]]) -> LintSettings:
        named = uses.get(keys[index], ())
        more = tuple(use for use in across.get(keys[index], ()) if use not in named)
        return with_prepass_facts(settings, sites.get(files[index], ()), named + more)

    work = [(path, settings_for(index, {})) for index, path in enumerate(files)]
    # Lint every file; then hand each the definitions the other files call only on paths their own analysis says are
    # taken on request (`on_request.cross_file_uses_for`), and lint again the files whose facts changed, until none
    # does. A fix waits for the last facts, so that it fixes what `check` reports: the rounds before it only lint.
    lint_options = dataclasses.replace(options, fix=False, diff=False) if options.fix or options.diff else options
    outcomes: list[FileOutcome | None] = [None] * len(work)
    _run_files(range(len(work)), work, keys, lint_options, cache, read, outcomes, progress)
    across: dict[Path, tuple[OnRequestUse, ...]] = {}
    # The rows with findings so far: a definition asked about stays asked about once its findings turn `low` and
    # leave the output, else the next round would drop the fact that made them `low` (and the rounds would swing).
    finding_rows: dict[Path, set[int]] = {}
    for _ in range(_MAX_CROSS_FILE_ROUNDS):
        for key, outcome in zip(keys, outcomes):
            if outcome is not None and outcome.findings:
                finding_rows.setdefault(key, set()).update(f.start.row for f in outcome.findings)
        before = across
        across = _cross_file_uses(work, keys, finding_rows, read, settings, cache, display, files_digest)
        if across == before:
            break
        again = [index for index, (_, held) in enumerate(work) if settings_for(index, across) != held]
        for index in again:
            work[index] = (files[index], settings_for(index, across))
        _run_files(again, work, keys, lint_options, cache, read, outcomes, None)
    if lint_options is not options:
        _run_files(range(len(work)), work, keys, options, cache, read, outcomes, progress)
    if cache is not None:
        cache.save()  # never fails the run: a read-only folder simply keeps no cache
    return outcomes  # type: ignore[return-value]


def _well_formed_reference(item: object) -> bool:
    """Whether a remembered call on request has the shape `NonDefaultReference` gives (else it is asked again)."""
    return isinstance(item, list) and len(item) == 6 and [type(part) for part in item] == [str, int, str, int, int, str]


# Rounds of the cross-file step: a definition called only by one the previous round found is found in the next.
_MAX_CROSS_FILE_ROUNDS = 3


def _run_files(
    indices: Iterable[int],
    work: list[tuple[Path, LintSettings]],
    keys: list[Path],
    options: RunOptions,
    cache: LintCache | None,
    read: dict[Path, bytes],
    outcomes: list[FileOutcome | None],
    progress: Callable[[int, int], None] | None,
) -> None:
    """Lint (or fix) the files `indices` of `work` into `outcomes`, answering unchanged ones from the cache."""
    todo: list[int] = []
    for index in indices:
        path, file_settings = work[index]
        raw = read.get(keys[index])
        cached = _from_cache(cache, path, file_settings, options, raw) if cache is not None else None
        if cached is not None:
            outcomes[index] = cached
        else:
            todo.append(index)
    with _batch_gc():
        for done, (index, outcome) in enumerate(_process_all(todo, work, options), start=1):
            outcomes[index] = outcome
            if progress is not None:
                progress(done, len(todo))
            if cache is not None and outcome.cache_digest is not None:
                cache.put(_cache_key(outcome.path), outcome.cache_digest, outcome.findings)


def _cross_file_uses(
    work: list[tuple[Path, LintSettings]],
    keys: list[Path],
    finding_rows: dict[Path, set[int]],
    read: dict[Path, bytes],
    settings: LintSettings,
    cache: LintCache | None,
    display: Callable[[Path], str],
    files_digest: str,
) -> dict[Path, tuple[OnRequestUse, ...]]:
    """`on_request.cross_file_uses_for` over the rows that held findings in this round or an earlier one
    (`finding_rows`): the engine is asked about a file under the settings it is linted with (remembered in the cache
    by the file's bytes and those settings)."""
    rows = {key: sorted(found) for key, found in finding_rows.items() if found}
    if not rows:
        return {}
    settings_of = {key: file_settings for key, (_, file_settings) in zip(keys, work)}
    # The answer depends on the files (`files_digest`: their paths, where they are shown, their bytes), the findings
    # and the facts each file was linted with: a warm run with the same ones reads it back.
    run = hashlib.blake2b(repr(dataclasses.replace(settings, export_sites=(), on_request=())).encode(), digest_size=16)
    run.update(files_digest.encode())
    for key, (_, facts) in zip(keys, work):
        run.update(repr((str(key), rows.get(key), facts.export_sites, facts.on_request)).encode())
    run_digest = run.hexdigest()
    if cache is not None:
        answer = cache.remembered_run(run_digest, "cross_file")
        if isinstance(answer, list) and all(
            isinstance(item, list) and len(item) == 3 and all(type(part) is str for part in item) for item in answer
        ):
            found: dict[Path, list[OnRequestUse]] = {}
            for path_text, name, reason in answer:
                found.setdefault(Path(path_text), []).append(OnRequestUse(name, reason))
            return {path: tuple(uses) for path, uses in found.items()}

    def references_of(path: Path, data: bytes, wanted: frozenset[str]) -> tuple[NonDefaultReference, ...]:
        file_settings = with_configuration(settings_of.get(path, settings), sibling_configurations(path, data))
        kind = "calls:" + hashlib.blake2b(repr((sorted(wanted), file_settings)).encode(), digest_size=16).hexdigest()
        remembered = cache.remembered(kind, path, data) if cache is not None else None
        if isinstance(remembered, list) and all(_well_formed_reference(item) for item in remembered):
            return tuple(NonDefaultReference(*item) for item in remembered)
        try:
            text = decode_source(data)[0]
        except SourceDecodeError:
            return ()  # its calls count as uses on the default path
        from onnxlint.core.engine import non_default_references

        found = non_default_references(text, str(path), file_settings, wanted)
        if cache is not None:
            cache.remember(kind, path, data, [dataclasses.astuple(reference) for reference in found])
        return found

    across = cross_file_uses_for(rows, read, references_of, display, settings.project_root)
    if cache is not None:
        cache.remember_run(
            run_digest,
            [[str(path), use.name, use.reason] for path, uses in across.items() for use in uses],
            "cross_file",
        )
    return across


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def with_prepass_facts(
    settings: LintSettings, sites: tuple[ExportSite, ...], on_request: tuple[OnRequestUse, ...]
) -> LintSettings:
    """`settings` for one file, with what the pre-passes found about it in the other files of the run."""
    if not sites and not on_request:
        return settings
    return dataclasses.replace(settings, export_sites=sites, on_request=on_request)


def _contents(paths: list[tuple[Path, Path]], options: RunOptions) -> list[tuple[Path, bytes]]:
    """(absolute path, bytes) of each (absolute path, path) the pre-passes read: regular files within the size limit
    (process_file reports the others)."""
    found = []
    for key, path in paths:
        try:
            found.append((key, read_bytes(path, options.max_file_bytes or None)))
        except OSError:
            continue
    return found


# -- the results cache ----------------------------------------------------------------------------


def _open_cache(settings: LintSettings, options: RunOptions) -> LintCache | None:
    if not options.cache:
        return None
    return LintCache.for_settings(settings, options.cache_dir)


def _cache_key(path: Path) -> str:
    return os.path.abspath(path)


def _from_cache(
    cache: LintCache, path: Path, settings: LintSettings, options: RunOptions, raw: bytes | None = None
) -> FileOutcome | None:
    """The outcome of an unchanged file, from the cache (its bytes, `raw` when already read, are hashed, not decoded
    or parsed)."""
    if raw is None:
        try:
            raw = read_bytes(path, options.max_file_bytes or None)
        except OSError:
            return None  # process_file reports it
    filename = str(path)
    digest = _digest(raw, path, settings)
    findings = cache.get(_cache_key(path), digest, filename)
    if findings is None:
        return None
    if options.fix or options.diff:
        from onnxlint.core.fixer import is_applicable

        if any(is_applicable(f.fix, options.unsafe_fixes) for f in findings):
            return None  # something to fix: the fixer runs (and its result is cached under the new bytes)
    return FileOutcome(path=path, display_path=display_path(path), findings=findings, cache_digest=digest, cached=True)


@contextlib.contextmanager
def _batch_gc() -> Iterator[None]:
    """Collect garbage less often while linting many files (as mypy does).

    A parse allocates hundreds of thousands of AST nodes and the default threshold (700) runs
    the cyclic collector over them again and again: ~20% of a parse. The objects that exist
    before the run (modules, rules) are frozen out of the collections (and, with fork, stay
    shared with the workers); the previous state is restored afterwards.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


# -- worker processes -----------------------------------------------------------------------------

# Below this much source in the files to lint, `jobs=0` lints in-process: starting workers costs more.
_PARALLEL_MIN_BYTES = 256 * 1024


def cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)


def _process_all(
    todo: list[int], work: list[tuple[Path, LintSettings]], options: RunOptions
) -> Iterator[tuple[int, FileOutcome]]:
    sizes = {index: _size(work[index][0]) for index in todo} if len(todo) > 1 else {}
    workers = _worker_count(options.jobs, len(todo), sum(sizes.values()))
    if workers <= 1:
        for index in todo:
            path, file_settings = work[index]
            yield index, process_file(path, file_settings, options)
        return
    from onnxlint.core.registry import all_rules

    all_rules()  # import the rules once, before the workers fork (they inherit them)
    # Largest files first, one at a time: the last worker to finish is not stuck with a big file.
    ordered = sorted(todo, key=lambda i: -sizes[i])
    tasks = [(index, work[index][0], work[index][1], options) for index in ordered]
    with _mp_context().Pool(workers) as pool:
        yield from pool.imap_unordered(_process_task, tasks, chunksize=max(1, len(tasks) // (workers * 32)))


def _worker_count(jobs: int, files: int, total_bytes: int) -> int:
    if files < 2:
        return 1
    if jobs == 0:  # automatic: one per CPU, only when there is enough to lint
        return 1 if total_bytes < _PARALLEL_MIN_BYTES else min(cpu_count(), files)
    return max(1, min(jobs, files))


def _process_task(task: tuple[int, Path, LintSettings, RunOptions]) -> tuple[int, FileOutcome]:
    index, path, settings, options = task
    return index, process_file(path, settings, options)


def _mp_context():  # -> multiprocessing.context.BaseContext (imported here: a warm run needs none of it)
    import multiprocessing
    import threading

    # fork shares the imported engine and rules with the workers for free; it is only safe while
    # this process runs no other thread (the CLI runs none; an embedding application might).
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
