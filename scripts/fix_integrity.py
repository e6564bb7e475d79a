"""Fix integrity: fix real model-zoo trees with every rule and check that no byte is lost.

    .venv/bin/python scripts/fix_integrity.py            # torchvision, timm, kornia, segmentation_models_pytorch
    .venv/bin/python scripts/fix_integrity.py --keep     # keep the temporary tree and print where it is

Copies the packages' sources (benchmarks/corpus.py fetches them, pinned, on first use) and the
repository's fixtures/ (full of fixable hazards) to a temporary folder and turns some copies into variants: CRLF line endings, a UTF-8 BOM, latin-1
with a `# -*- coding: latin-1 -*-` line (files whose text latin-1 can encode), mode 0o755, and
combinations. Then:

1. `onnxlint --format json --select ALL --isolated --no-cache --unsafe-fixes` reports the fix
   edits of every file before fixing;
2. `onnxlint --fix --unsafe-fixes --select ALL --isolated --no-cache` fixes the copy on disk;
3. each file is checked: it still parses; its encoding, BOM, line endings, coding line and mode
   are the same; a file without an applicable fix is byte-identical; the changed bytes lie inside
   the lines of the reported edits (for a file fixed in one round: original file against fixed
   file, by the JSON's edits; for a file that needed more rounds: each round against the edits
   `fix_source` applied in it); the file holds exactly what `fix_source` computes in memory;
   every edit applied in the first round is one the JSON reported;
4. a second `--fix` run changes nothing (byte-identical tree, same modes).

Prints files, variants, fixed files, edits, seconds and every integrity failure; exits 1 on any.
"""

from __future__ import annotations

import argparse
import ast
import codecs
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from onnxlint.core.findings import Edit, Location
from onnxlint.core.fixer import FixResult, fix_source
from onnxlint.core.source import SourceDecodeError, decode_source
from onnxlint.frontends.config import ProjectConfig, build_settings
from onnxlint.frontends.export_sites import export_sites_for
from onnxlint.frontends.files import Excluder, discover
from onnxlint.frontends.runner import display_path, relative_to_root, with_export_sites
from onnxlint.testing import changed_outside_edits

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import corpus  # noqa: E402  (benchmarks/corpus.py: pinned downloads, cached)

LINT_ARGS = ["--select", "ALL", "--isolated", "--no-cache", "--unsafe-fixes"]
CODING_LINE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
NEWLINES = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Snapshot:
    data: bytes
    mode: int


def snapshot(root: Path) -> dict[str, Snapshot]:
    return {
        path.relative_to(root).as_posix(): Snapshot(path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
        for path in sorted(root.rglob("*.py"))
    }


# -- the tree and its variants ------------------------------------------------------------------


def copy_corpus(target: Path) -> list[Path]:
    files: list[Path] = []
    for distribution in corpus.PACKAGES:
        source = corpus.fetch(distribution)
        destination = target / distribution / source.name
        shutil.copytree(source, destination)
        files.extend(sorted(destination.rglob("*.py")))
    # The repository's own hazard fixtures too: real zoo code has few fixable findings, these are full of them.
    shutil.copytree(REPO / "fixtures", target / "fixtures")
    files.extend(sorted((target / "fixtures").rglob("*.py")))
    return files


def make_variants(files: list[Path]) -> Counter[str]:
    """Rewrite some files as CRLF / BOM / latin-1 / 0o755 variants (deterministically, by index)."""
    made: Counter[str] = Counter()
    for index, path in enumerate(files):
        kinds = {
            1: ("crlf",),
            2: ("bom",),
            3: ("latin-1",),
            4: ("0o755",),
            5: ("crlf", "bom"),
            6: ("latin-1", "crlf", "0o755"),
        }.get(index % 8, ())
        text = path.read_bytes().decode("utf-8")
        # Every non-ASCII file latin-1 can hold is re-encoded: columns of non-ASCII text are where offsets go wrong.
        if not kinds and not text.isascii() and index % 2 == 0:
            kinds = ("latin-1",)
        if "latin-1" in kinds:
            try:
                text.encode("latin-1")
            except UnicodeEncodeError:
                kinds = tuple(k for k in kinds if k != "latin-1")
        if not kinds:
            continue
        if "crlf" in kinds:
            text = NEWLINES.sub("\r\n", text)
        if "latin-1" in kinds:
            data = with_latin1_cookie(text)
        else:
            data = text.encode("utf-8")
        if "bom" in kinds:
            data = codecs.BOM_UTF8 + data
        path.write_bytes(data)
        if "0o755" in kinds:
            path.chmod(0o755)
        made.update(kinds)
    return made


def with_latin1_cookie(text: str) -> bytes:
    lines = text.splitlines(keepends=True)
    newline = NEWLINES.search(text).group(0) if NEWLINES.search(text) else "\n"
    data = [line.encode("latin-1") for line in lines]
    for row in range(min(2, len(data))):
        if CODING_LINE.match(data[row]):
            data[row] = f"# -*- coding: latin-1 -*-{newline}".encode("latin-1")
            return b"".join(data)
    at = 1 if data and data[0].startswith(b"#!") else 0
    data.insert(at, f"# -*- coding: latin-1 -*-{newline}".encode("latin-1"))
    return b"".join(data)


# -- what onnxlint reports and does -------------------------------------------------------------


def onnxlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onnxlint", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8"
    )


def reported_edits(root: Path, jobs: int) -> tuple[dict[str, list[Edit]], list[str]]:
    """The applicable fixes' edits per file (relative path), as `--format json` reports them before fixing."""
    process = onnxlint(*LINT_ARGS, "--format", "json", "--jobs", str(jobs), str(root), cwd=root)
    failures = []
    if process.returncode not in (0, 1) or "Traceback" in process.stderr:
        failures.append(f"<json run>: exit {process.returncode}\n{process.stderr[-3000:]}")
    edits: dict[str, list[Edit]] = {}
    try:
        entries = json.loads(process.stdout)
    except json.JSONDecodeError as error:
        return edits, [*failures, f"<json run>: not JSON: {error}"]
    for entry in entries:
        fix = entry.get("fix")
        if not fix or fix["applicability"] == "display-only":
            continue
        relative = Path(entry["filename"]).resolve().relative_to(root.resolve()).as_posix()
        for edit in fix["edits"]:
            edits.setdefault(relative, []).append(
                Edit(_location(edit["location"]), _location(edit["end_location"]), edit["content"])
            )
    return edits, failures


def _location(data: dict[str, int]) -> Location:
    return Location(data["row"], data["column"])


def fixes_in_memory(root: Path, files: list[Path]) -> dict[str, FixResult]:
    """What `fix_source` makes of each file, with the settings the CLI uses (export sites included)."""
    # The CLI runs from `root` with --isolated: its project root is `root`, which export sites resolve imports from.
    settings = build_settings(ProjectConfig(path=root / "pyproject.toml"), select=("ALL",))
    sites = export_sites_for(files, settings, display_path)
    results: dict[str, FixResult] = {}
    for path in files:
        text, _, _ = decode_source(path.read_bytes())
        file_settings = with_export_sites(settings, sites.get(path, ()))
        relative = relative_to_root(path, settings)
        results[path.relative_to(root).as_posix()] = fix_source(
            text, str(path), file_settings, unsafe_fixes=True, relative_path=relative
        )
    return results


# -- the checks -------------------------------------------------------------------------------


def newline_style(data: str) -> Counter[str]:
    return Counter(match.group(0) for match in NEWLINES.finditer(data))


def coding_lines(data: bytes) -> list[bytes]:
    return [line.rstrip(b"\r\n") for line in data.splitlines(keepends=True)[:2] if CODING_LINE.match(line)]


def check_file(relative: str, before: Snapshot, after: Snapshot, result: FixResult, reported: list[Edit]) -> list[str]:
    failures: list[str] = []
    if after.mode != before.mode:
        failures.append(f"mode {oct(before.mode)} became {oct(after.mode)}")
    if not result.changed:
        if after.data != before.data:
            failures.append("no fix applies, yet the file changed")
        return failures
    try:
        old_text, old_encoding, old_bom = decode_source(before.data)
        new_text, new_encoding, new_bom = decode_source(after.data)
    except SourceDecodeError as error:
        return [*failures, f"cannot decode after fixing: {error}"]
    if (new_encoding, new_bom) != (old_encoding, old_bom):
        failures.append(f"encoding/BOM {(old_encoding, old_bom)} became {(new_encoding, new_bom)}")
    if coding_lines(after.data) != coding_lines(before.data):
        failures.append(f"coding line {coding_lines(before.data)} became {coding_lines(after.data)}")
    if set(newline_style(new_text)) - set(newline_style(old_text)):
        failures.append(f"line endings {dict(newline_style(old_text))} became {dict(newline_style(new_text))}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(new_text)
    except (SyntaxError, ValueError) as error:
        failures.append(f"the fixed file does not parse: {error}")
    if new_text != result.text:
        failures.append("the file on disk differs from what fix_source computes")
    if after.data == before.data:
        failures.append("fix_source changes the file, the CLI did not write it")
    if not result.rounds:
        return failures
    missing = [edit for edit in result.rounds[0] if edit not in reported]
    if missing:
        failures.append(f"applied edits the JSON did not report: {missing[:3]}")
    if len(result.rounds) == 1:
        # End to end: the original file against the written one, by the edits reported before fixing.
        problem = changed_outside_edits(old_text, new_text, reported)
        if problem:
            failures.append(problem)
    else:
        text = old_text
        for number, edits in enumerate(result.rounds, 1):
            next_text = _apply(text, edits)
            problem = changed_outside_edits(text, next_text, list(edits))
            if problem:
                failures.append(f"round {number}: {problem}")
            text = next_text
        if text != result.text:
            failures.append("replaying the rounds' edits does not give fix_source's text")
    return failures


def _apply(text: str, edits: tuple[Edit, ...]) -> str:
    from onnxlint.core.source import apply_edits

    return apply_edits(text, list(edits))


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-j", "--jobs", type=int, default=2, help="onnxlint's worker processes (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary tree")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    temporary = Path(tempfile.mkdtemp(prefix="onnxlint-integrity-"))
    try:
        root = temporary / "tree"
        root.mkdir()
        copied = copy_corpus(root)
        variants = make_variants(copied)
        files = list(discover([root], Excluder((), root)))  # what the CLI lints
        before = snapshot(root)
        print(f"files: {len(before)} ({len(files)} linted); variants: {dict(sorted(variants.items()))}", flush=True)

        reported, failures = reported_edits(root, args.jobs)
        in_memory = fixes_in_memory(root, files)
        prepared = time.perf_counter()

        process = onnxlint(*LINT_ARGS, "--fix", "--jobs", str(args.jobs), str(root), cwd=root)
        fixed_seconds = time.perf_counter() - prepared
        if process.returncode not in (0, 1) or "Traceback" in process.stderr:
            failures.append(f"<fix run>: exit {process.returncode}\n{process.stderr[-3000:]}")
        after = snapshot(root)

        problems: list[str] = []
        if set(after) != set(before):
            problems.append(f"<tree>: files appeared or vanished: {sorted(set(after) ^ set(before))[:10]}")
        empty = FixResult("")
        for relative in sorted(set(before) & set(after)):
            result = in_memory.get(relative, empty)
            for problem in check_file(relative, before[relative], after[relative], result, reported.get(relative, [])):
                problems.append(f"{relative}: {problem}")
        failures.extend(problems)

        second = onnxlint(*LINT_ARGS, "--fix", "--jobs", str(args.jobs), str(root), cwd=root)
        if second.returncode not in (0, 1):
            failures.append(f"<second fix run>: exit {second.returncode}\n{second.stderr[-3000:]}")
        again = snapshot(root)
        changed_again = sorted(name for name in after if again.get(name) != after[name])
        for name in changed_again:
            failures.append(f"{name}: a second --fix run changed it again")
    finally:
        if args.keep:
            print(f"tree kept in {temporary}")
        else:
            shutil.rmtree(temporary, ignore_errors=True)
    seconds = time.perf_counter() - started

    fixed = [name for name in before if after.get(name) != before[name]]
    applied: Counter[str] = Counter()
    edits = rounds = 0
    for result in in_memory.values():
        applied.update(result.applied)
        edits += sum(len(r) for r in result.rounds)
        rounds = max(rounds, len(result.rounds))
    print(f"fixed files: {len(fixed)} (of {sum(1 for r in in_memory.values() if r.changed)} with applicable fixes)")
    print(f"fixes: {sum(applied.values())} ({', '.join(f'{c} {n}' for c, n in sorted(applied.items()))})")
    print(f"edits: {edits} (at most {rounds} rounds in a file)")
    print(f"seconds: {seconds:.1f} (the --fix run: {fixed_seconds:.1f})")
    print(f"integrity failures: {len(failures)}")
    for failure in failures:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
