"""Crash sweep: lint (and fix, in memory) every Python file of the stdlib and of the installed packages.

    .venv/bin/python scripts/crash_sweep.py                 # stdlib + this environment's site-packages
    .venv/bin/python scripts/crash_sweep.py PATH... --jobs 2 --no-fix

Runs every rule (`--select ALL`, no project config, no cache) through the runner's own
`process_file` (read, decode, lint) and, for files with an applicable fix, the fixer with
unsafe fixes (`fix_source`, nothing written). An internal error is any of:

- an `ONX001` finding (a rule raised; the engine caught it);
- an exception escaping onnxlint (runner, engine, fixer, the export-sites pre-pass);
- a worker process that died on a file (a crash in C, e.g. a stack overflow);
- a disagreement with Python itself: a file Python parses that onnxlint reports as unparsable
  or unreadable, or a file Python cannot parse without exactly one `ONX000` finding;
- a fix result that does not parse, or that a second fix pass changes again.

Prints files, seconds, findings per code, the slowest files and every internal error; exits 1
when there is any.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import json
import os
import subprocess
import sys
import sysconfig
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from onnxlint.core.engine import PARSE_ERROR_CODE, RULE_CRASH_CODE
from onnxlint.core.fixer import fix_source, is_applicable
from onnxlint.core.settings import ExportSite, LintSettings
from onnxlint.core.source import SourceDecodeError, read_source_file
from onnxlint.frontends.config import ProjectConfig, build_settings
from onnxlint.frontends.export_sites import export_sites_for
from onnxlint.frontends.runner import RunOptions, display_path, process_file, relative_to_root, with_export_sites

REPO = Path(__file__).resolve().parent.parent
UNREADABLE_CODE = "E902"  # what the runner reports for a file it cannot read or decode

# Set in the parent before the workers fork (and re-set in each worker by `_init_worker`).
_SETTINGS: LintSettings | None = None
_SITES: dict[Path, tuple[ExportSite, ...]] = {}
_FIX = True


@dataclass
class FileReport:
    path: str
    seconds: float = 0.0
    codes: Counter[str] = field(default_factory=Counter)
    fixes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # internal errors, each with its detail


def default_roots() -> list[Path]:
    """The stdlib folder (with the base interpreter's own site-packages) and this environment's
    (and the repo .venv's) installed packages."""
    paths = sysconfig.get_paths()
    roots = [Path(paths["stdlib"]), Path(paths["purelib"]), Path(paths["platlib"])]
    roots.extend(sorted(REPO.glob(".venv/lib/python*/site-packages")))
    unique: list[Path] = []
    for root in roots:
        if root.is_dir() and root.resolve() not in {r.resolve() for r in unique}:
            unique.append(root)
    return unique


def python_files(roots: Iterable[Path]) -> list[Path]:
    """Every `.py` file under `roots` (no exclusions: virtualenv-looking or `build` folders included),
    each file once."""
    roots = list(roots)
    resolved_roots = {root.resolve() for root in roots}
    seen: set[Path] = set()
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            candidates: Iterable[Path] = [root]
        else:
            candidates = _walk(root, resolved_roots - {root.resolve()})  # a nested root is walked as itself
        for path in candidates:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files


def _walk(root: Path, skip: set[Path]) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if (Path(folder) / d).resolve() not in skip)
        for name in sorted(names):
            if name.endswith(".py"):
                path = Path(folder) / name
                if path.is_file():  # not a dangling link
                    yield path


def _init_worker(settings: LintSettings, sites: dict[Path, tuple[ExportSite, ...]], fix: bool) -> None:
    global _SETTINGS, _SITES, _FIX
    _SETTINGS, _SITES, _FIX = settings, sites, fix
    warnings.simplefilter("ignore")


def python_parses(raw: bytes) -> bool:
    """Whether CPython itself compiles the bytes (it decodes them by their BOM / coding cookie)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(raw)
        except (SyntaxError, ValueError, UnicodeDecodeError, LookupError, MemoryError, RecursionError):
            return False
    return True


def sweep_file(path: Path) -> FileReport:
    assert _SETTINGS is not None
    report = FileReport(str(path))
    started = time.perf_counter()
    try:
        _sweep(path, with_export_sites(_SETTINGS, _SITES.get(path, ())), report)
    except Exception as error:  # anything escaping onnxlint is what this sweep is for
        report.errors.append(f"exception escaped: {type(error).__name__}: {error}\n{traceback.format_exc()}")
    report.seconds = time.perf_counter() - started
    return report


def _sweep(path: Path, settings: LintSettings, report: FileReport) -> None:
    raw = path.read_bytes()
    parses = python_parses(raw)
    outcome = process_file(path, settings, RunOptions())
    if outcome.error is not None:
        report.codes[UNREADABLE_CODE] += 1
        if parses:
            report.errors.append(f"Python reads this file, onnxlint could not: {outcome.error}")
        return
    findings = outcome.findings
    report.codes.update(f.code for f in findings)
    for finding in findings:
        if finding.code == RULE_CRASH_CODE:
            report.errors.append(f"{finding.message}\n{finding.extra.get('traceback', '')}")
    syntax_errors = [f for f in findings if f.code == PARSE_ERROR_CODE]
    if parses and syntax_errors:
        report.errors.append(f"Python parses this file, onnxlint reports {syntax_errors[0].message}")
    if not parses:
        if len(syntax_errors) != 1 or len(findings) != 1:
            codes = ", ".join(f.code for f in findings) or "nothing"
            report.errors.append(f"unparsable file: expected exactly one {PARSE_ERROR_CODE}, got {codes}")
        elif not syntax_errors[0].message.strip() or syntax_errors[0].start.row < 1:
            report.errors.append(f"unclear {PARSE_ERROR_CODE}: {syntax_errors[0]}")
        return
    if _FIX and any(is_applicable(f.fix, True) for f in findings):
        _sweep_fix(path, settings, report)


def _sweep_fix(path: Path, settings: LintSettings, report: FileReport) -> None:
    try:
        contents = read_source_file(path)
    except SourceDecodeError as error:  # process_file decoded it a moment ago
        report.errors.append(f"decoded once, not twice: {error}")
        return
    relative = relative_to_root(path, settings)
    fixed = fix_source(contents.text, str(path), settings, unsafe_fixes=True, relative_path=relative)
    report.fixes.update(fixed.applied)
    crashes = [f for f in fixed.remaining if f.code == RULE_CRASH_CODE]
    for finding in crashes:
        report.errors.append(f"while fixing: {finding.message}\n{finding.extra.get('traceback', '')}")
    if not fixed.changed:
        return
    if not python_parses(fixed.text.encode("utf-8")):
        report.errors.append("the fixed text does not parse")
    again = fix_source(fixed.text, str(path), settings, unsafe_fixes=True, relative_path=relative)
    if again.changed and fixed.converged:
        report.errors.append(f"fixing converged, yet a second pass changes it again: {dict(again.applied)}")


# -- running in worker processes ----------------------------------------------------------------


def run_sweep(
    files: list[Path], settings: LintSettings, sites: dict[Path, tuple[ExportSite, ...]], jobs: int, fix: bool
) -> Iterator[FileReport]:
    """Sweep the files in `jobs` worker processes; a worker that dies is replaced and its files are
    retried one by one, so the file that killed it is named."""
    if jobs <= 1:
        _init_worker(settings, sites, fix)
        for path in files:
            yield sweep_file(path)
        return
    chunk = 16
    pending: list[list[Path]] = [files[i : i + chunk] for i in range(0, len(files), chunk)]
    suspects: list[Path] = []  # files of chunks that were running when a worker died
    while pending:
        with _executor(jobs, settings, sites, fix) as pool:
            futures = {pool.submit(_sweep_chunk, batch): batch for batch in pending}
            pending = []
            for future in concurrent.futures.as_completed(futures):
                try:
                    yield from future.result()
                except concurrent.futures.process.BrokenProcessPool:
                    suspects.extend(futures[future])
    for path in suspects:  # one process per file: a death now is this file's
        with _executor(1, settings, sites, fix) as pool:
            try:
                yield pool.submit(sweep_file, path).result()
            except concurrent.futures.process.BrokenProcessPool as error:
                yield FileReport(str(path), errors=[f"the worker process died on this file: {error}"])


def _executor(
    jobs: int, settings: LintSettings, sites: dict[Path, tuple[ExportSite, ...]], fix: bool
) -> concurrent.futures.ProcessPoolExecutor:
    import multiprocessing

    return concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=multiprocessing.get_context("fork"), initializer=_init_worker, initargs=(settings, sites, fix)
    )


def _sweep_chunk(batch: list[Path]) -> list[FileReport]:
    return [sweep_file(path) for path in batch]


# -- the command line, end to end ----------------------------------------------------------------


def cli_sweep(roots: list[Path], jobs: int, settings_args: list[str]) -> tuple[Counter[str], list[str]]:
    """Run the real command line over `roots` (its own file discovery, workers, JSON reporter), then
    `--diff --unsafe-fixes`: no traceback, exit 0 or 1 (2 is an internal error), JSON that parses."""
    base = [sys.executable, "-m", "onnxlint", "--select", "ALL", "--isolated", "--no-cache", "--jobs", str(jobs)]
    base += settings_args
    errors: list[str] = []
    codes: Counter[str] = Counter()
    for extra in (["--format", "json"], ["--diff", "--unsafe-fixes"]):
        process = subprocess.run([*base, *extra, *map(str, roots)], capture_output=True, text=True, encoding="utf-8")
        label = " ".join(extra)
        if process.returncode not in (0, 1) or "Traceback" in process.stderr:
            errors.append(f"onnxlint {label}: exit {process.returncode}\n{process.stderr[-5000:]}")
        if extra[0] == "--format":
            try:
                entries = json.loads(process.stdout)
            except json.JSONDecodeError as error:
                errors.append(f"onnxlint {label}: the output is not JSON: {error}")
                continue
            codes.update(entry["code"] or UNREADABLE_CODE for entry in entries)
            errors.extend(
                f"{entry['filename']}: {entry['message']}" for entry in entries if entry["code"] == RULE_CRASH_CODE
            )
    return codes, errors


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: stdlib + site-packages)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--no-fix", action="store_true", help="lint only; do not run the fixer")
    parser.add_argument("--limit", type=int, default=0, help="sweep only the first N files (0: all)")
    parser.add_argument("--exporter", choices=["dynamo", "legacy"], help="judge by this exporter (default: dynamo)")
    parser.add_argument("--opset", type=int, help="judge at this opset")
    parser.add_argument("--target", help="and for this runtime (onnxruntime, openvino, tensorrt, coreml)")
    parser.add_argument(
        "--cli", action="store_true", help="also run the command line itself over the roots (JSON, then --diff)"
    )
    parser.add_argument("--slowest", type=int, default=5, help="how many of the slowest files to list")
    args = parser.parse_args(argv)

    roots = args.paths or default_roots()
    files = python_files(roots)
    if args.limit:
        files = files[: args.limit]
    settings = build_settings(
        ProjectConfig(), select=("ALL",), exporter=args.exporter, opset=args.opset, target=args.target
    )
    print("roots:", *(f"  {root}" for root in roots), sep="\n")
    print(
        f"files: {len(files)}; exporter {settings.exporter}, opset {settings.opset}, target {settings.target}",
        flush=True,
    )

    started = time.perf_counter()
    errors: list[tuple[str, str]] = []
    try:
        sites = export_sites_for(files, settings, display_path)
    except Exception as error:
        sites = {}
        errors.append(("<export sites pre-pass>", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
    codes: Counter[str] = Counter()
    fixes: Counter[str] = Counter()
    slowest: list[tuple[float, str]] = []
    done = 0
    for report in run_sweep(files, settings, sites, args.jobs, not args.no_fix):
        done += 1
        codes.update(report.codes)
        fixes.update(report.fixes)
        errors.extend((report.path, error) for error in report.errors)
        slowest = sorted([*slowest, (report.seconds, report.path)], reverse=True)[: args.slowest]
        if done % 2000 == 0:
            print(f"  {done} files, {time.perf_counter() - started:.0f} s", flush=True)
    seconds = time.perf_counter() - started

    print(f"seconds: {seconds:.1f} (jobs {args.jobs}; {len(sites)} files reached by export calls)")
    print(f"findings: {sum(codes.values())}")
    for code, count in sorted(codes.items()):
        print(f"  {code}: {count}")
    if not args.no_fix:
        print(f"fixes applied in memory (--unsafe-fixes): {sum(fixes.values())}")
        for code, count in sorted(fixes.items()):
            print(f"  {code}: {count}")
    print("slowest files:")
    for file_seconds, path in slowest:
        print(f"  {file_seconds:6.2f} s  {path}")
    if args.cli:
        settings_args = [
            *(["--exporter", args.exporter] if args.exporter else []),
            *(["--opset", str(args.opset)] if args.opset else []),
            *(["--target", args.target] if args.target else []),
        ]
        cli_started = time.perf_counter()
        cli_codes, cli_errors = cli_sweep(roots, args.jobs, settings_args)
        print(f"command line: {time.perf_counter() - cli_started:.1f} s, {sum(cli_codes.values())} findings")
        print("  " + ", ".join(f"{code} {count}" for code, count in sorted(cli_codes.items())))
        errors.extend(("<command line>", error) for error in cli_errors)
    print(f"internal errors: {len(errors)}")
    for path, detail in errors:
        print(f"--- {path}\n{detail.rstrip()}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
