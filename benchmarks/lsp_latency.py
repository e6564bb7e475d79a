"""How long an editor waits for onnxlint's diagnostics: on open, and after each edit while typing.

    python benchmarks/lsp_latency.py [--runs 10] [--rounds 3] [--files N] [--json out.json]

Two measurements, each with the real `onnxlint server` spoken to over stdio with pygls' client:

1. didOpen -> publishDiagnostics, for the NestedUNet fixture and for timm's largest model file
   (benchmarks/corpus.py fetches timm), with the default rule selection. The first open of a
   fresh server is reported on its own (it loads the rules); then `--runs` open/close cycles
   give the median and p95. "engine" is `lint_source` alone on the same text in this process.

2. didChange -> publishDiagnostics: the re-lint after an edit, on every file of timm/models with
   the whole catalogue (`select = ["ALL"]`; the files are copied next to a pyproject.toml saying
   so). Each file is opened, then edited as an editor does while someone types in a function
   body, `--rounds` times: a comment typed at the end of a line (the line count stays), that
   comment deleted, a new line inserted above it (every line below moves), that line deleted.
   Each edit is one incremental didChange; the server's debounce is set to 0 so that the wait
   is the lint's, not the debounce's. Reported: median and p95 over all edits of all files, and
   the median and p95 of the largest file's edits. "engine" replays the same edits in this
   process: `lint_source` of each new text (a full lint), and `lint_source_incremental` from the
   previous result when the engine has it, with how often it fell back to a full lint and why.

Needs the [lsp] extra. Machine load matters: the load average is printed at the start and end.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import fetch, model_files  # noqa: E402
from onnxlint import lint_source  # noqa: E402
from onnxlint.core import incremental as incremental_lint  # noqa: E402
from onnxlint.core.settings import LintSettings, Selection  # noqa: E402

SELECT_ALL = LintSettings(selection=Selection(select=("ALL",)))


class _Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("onnxlint-latency", "1.0")
        self.published: asyncio.Queue[tuple[float, types.PublishDiagnosticsParams]] = asyncio.Queue()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.published.put_nowait((time.perf_counter(), params))


async def _wait(client: _Client, uri: str, version: int | None) -> tuple[float, int]:
    while True:
        arrived, params = await asyncio.wait_for(client.published.get(), 120)
        if params.uri == uri and params.version == version:
            return arrived, len(params.diagnostics)


async def _start(folder: Path, options: dict[str, object] | None = None) -> _Client:
    client = _Client()
    await client.start_io(sys.executable, "-m", "onnxlint", "server", cwd=str(folder))
    await client.initialize_async(
        types.InitializeParams(
            process_id=None,
            root_uri=folder.as_uri(),
            capabilities=types.ClientCapabilities(),
            initialization_options=options,
        )
    )
    client.initialized(types.InitializedParams())
    return client


async def _stop(client: _Client) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


# -- 1. didOpen ------------------------------------------------------------------------------------


async def measure_open(path: Path, runs: int) -> tuple[float, list[float], int]:
    """(first open, timed opens, diagnostics count), in seconds."""
    client = await _start(path.parent)
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    timings: list[float] = []
    count = 0
    for version in range(1, runs + 2):
        sent = time.perf_counter()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
            )
        )
        arrived, count = await _wait(client, uri, version)
        timings.append(arrived - sent)
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        await _wait(client, uri, None)  # the close clears the diagnostics
    await _stop(client)
    return timings[0], timings[1:], count


def engine_median(path: Path, runs: int) -> float:
    text = path.read_text(encoding="utf-8")
    lint_source(text, str(path))  # load the rules first
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        lint_source(text, str(path))
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# -- 2. didChange ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """Replace lines [line, line + removed) (0-based) with `text` (whole lines)."""

    line: int
    removed: int
    text: str


def body_lines(text: str) -> list[tuple[int, str]]:
    """(0-based line, indentation) of one-line simple statements inside function bodies."""
    tree = ast.parse(text)
    lines = text.split("\n")
    found = []
    for node in ast.walk(tree):
        if type(node) not in (ast.FunctionDef, ast.AsyncFunctionDef):
            continue
        for statement in node.body:
            if isinstance(statement, (ast.Assign, ast.AugAssign, ast.Expr, ast.Return)) and (
                statement.lineno == statement.end_lineno
            ):
                line = lines[statement.lineno - 1]
                docstring = type(statement) is ast.Expr and type(statement.value) is ast.Constant
                if docstring or line.rstrip().endswith("\\") or not line.strip():
                    continue
                found.append((statement.lineno - 1, line[: len(line) - len(line.lstrip())]))
    return sorted(set(found))


def typing_edits(text: str, rounds: int, rng: random.Random) -> list[Edit]:
    """The edits of `rounds` rounds (see the module docstring), each applying to the text the previous left."""
    lines = text.split("\n")
    candidates = body_lines(text)
    edits: list[Edit] = []
    for _ in range(rounds if candidates else 0):
        row, indent = rng.choice(candidates)
        line = lines[row]
        edits.append(Edit(row, 1, line + "  # edited"))  # type a comment at the end of the line
        edits.append(Edit(row, 1, line))  # delete it again
        edits.append(Edit(row, 0, f"{indent}_edited = 0"))  # a new line above it: the rest moves down
        edits.append(Edit(row, 1, ""))  # delete that line again: everything moves back
    return edits


def apply(text: str, edit: Edit) -> str:
    lines = text.split("\n")
    replacement = [] if edit.removed == 1 and edit.text == "" else [edit.text]
    lines[edit.line : edit.line + edit.removed] = replacement
    return "\n".join(lines)


def lsp_change(text: str, edit: Edit) -> types.TextDocumentContentChangePartial:
    """The incremental change an editor sends for `edit` (ASCII lines: characters are UTF-16 units)."""
    lines = text.split("\n")
    if edit.removed == 0:
        position = types.Position(line=edit.line, character=0)
        return types.TextDocumentContentChangePartial(
            range=types.Range(start=position, end=position), text=edit.text + "\n"
        )
    if edit.text == "":  # delete the whole line, newline included
        return types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(edit.line, 0), end=types.Position(edit.line + 1, 0)), text=""
        )
    old = lines[edit.line]
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(edit.line, 0), end=types.Position(edit.line, len(old))),
        text=edit.text,
    )


async def measure_edits(folder: Path, plans: dict[Path, list[Edit]]) -> dict[Path, list[float]]:
    """didChange -> publishDiagnostics of each edit, per file (one server for all files)."""
    client = await _start(folder, {"debounceMs": 0})
    result: dict[Path, list[float]] = {}
    for path, edits in plans.items():
        text = path.read_text(encoding="utf-8")
        uri = path.as_uri()
        version = 1
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
            )
        )
        await _wait(client, uri, version)
        samples = []
        for edit in edits:
            change = lsp_change(text, edit)
            text = apply(text, edit)
            version += 1
            sent = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[change],
                )
            )
            arrived, _ = await _wait(client, uri, version)
            samples.append(arrived - sent)
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        await _wait(client, uri, None)
        result[path] = samples
    await _stop(client)
    return result


def engine_edits(plans: dict[Path, list[Edit]]) -> tuple[list[float], list[float], Counter[str]]:
    """The same edits in this process: full lints, incremental lints, and why the incremental ones fell
    back to a full lint."""
    incremental = incremental_lint.lint_source_incremental
    full_samples: list[float] = []
    incremental_samples: list[float] = []
    modes: Counter[str] = Counter()
    for path, edits in plans.items():
        text = path.read_text(encoding="utf-8")
        latest = incremental(None, text, str(path), SELECT_ALL) if incremental else None
        for edit in edits:
            text = apply(text, edit)
            start = time.perf_counter()
            expected = lint_source(text, str(path), SELECT_ALL)
            full_samples.append(time.perf_counter() - start)
            if incremental is None:
                continue
            start = time.perf_counter()
            latest = incremental(latest, text, str(path), SELECT_ALL)
            incremental_samples.append(time.perf_counter() - start)
            modes[latest.mode] += 1
            if latest.result.findings != expected.findings:  # the benchmark checks what the tests check
                raise SystemExit(f"incremental lint differs from lint_source on {path} after {edit}")
    return full_samples, incremental_samples, modes


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:6.1f} ms, p95 {p95(samples) * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="didOpen cycles per file")
    parser.add_argument("--rounds", type=int, default=3, help="edit rounds (4 edits each) per timm file")
    parser.add_argument("--files", type=int, default=0, help="only the N largest timm files (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-open", action="store_true", help="only the didChange measurement")
    parser.add_argument("--json", type=Path, help="write the samples here")
    args = parser.parse_args()

    print(f"Python {sys.version.split()[0]}, load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    timm_files = model_files("timm")  # everything under timm/models/
    largest_timm = max(timm_files, key=lambda p: p.stat().st_size)
    if not args.skip_open:
        files = [
            ("fixtures/nested_unet/model.py", REPO / "fixtures" / "nested_unet" / "model.py"),
            (f"timm/{largest_timm.relative_to(fetch('timm')).as_posix()}", largest_timm),
        ]
        print(f"\nonnxlint server: didOpen -> publishDiagnostics, {args.runs} runs after a first open")
        header = f"{'file':<36} {'lines':>6} {'findings':>8} {'first open':>11} {'median':>9} {'p95':>9} {'engine':>9}"
        print(header)
        print("-" * len(header))
        for label, path in files:
            first, timings, count = asyncio.run(measure_open(path, args.runs))
            lines = len(path.read_text(encoding="utf-8").splitlines())
            engine_time = engine_median(path, args.runs)
            print(
                f"{label:<36} {lines:>6} {count:>8} {first * 1000:>8.1f} ms {statistics.median(timings) * 1000:>6.1f} ms"
                f" {p95(timings) * 1000:>6.1f} ms {engine_time * 1000:>6.1f} ms"
            )

    chosen = sorted(timm_files, key=lambda p: -p.stat().st_size)[: args.files] if args.files else timm_files
    with tempfile.TemporaryDirectory(prefix="onnxlint-lsp-") as scratch:
        folder = Path(scratch)
        (folder / "pyproject.toml").write_text('[tool.onnxlint]\nselect = ["ALL"]\n', encoding="utf-8")
        rng = random.Random(args.seed)
        plans: dict[Path, list[Edit]] = {}
        copies: dict[Path, Path] = {}
        for source in chosen:
            target = folder / source.relative_to(fetch("timm")).as_posix().replace("/", "__")
            shutil.copyfile(source, target)
            copies[target] = source
            plans[target] = typing_edits(target.read_text(encoding="utf-8"), args.rounds, rng)
        plans = {path: edits for path, edits in plans.items() if edits}
        edits_count = sum(len(e) for e in plans.values())
        print(
            f"\nonnxlint server: didChange -> publishDiagnostics, {len(plans)} timm model files, {edits_count} edits "
            f"({args.rounds} rounds of 4 per file), select ALL, debounce 0"
        )
        started = time.perf_counter()
        server = asyncio.run(measure_edits(folder, plans))
        elapsed = time.perf_counter() - started
        everything = [s for samples in server.values() for s in samples]
        largest_copy = next(p for p, s in copies.items() if s == largest_timm)
        print(
            f"  all edits:                      {_ms(everything)}, max {max(everything) * 1000:.1f} ms ({elapsed:.0f} s)"
        )
        if largest_copy in server:
            print(f"  {largest_timm.name + ' edits:':<31} {_ms(server[largest_copy])}")
        full, incremental, modes = engine_edits(plans)
        print(f"  engine, lint_source (full):     {_ms(full)}")
        if incremental:
            print(f"  engine, lint_source_incremental: {_ms(incremental)}")
            print("  incremental outcomes: " + ", ".join(f"{mode} {count}" for mode, count in modes.most_common()))
        print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "server_ms": {copies[p].name: [s * 1000 for s in v] for p, v in server.items()},
                        "engine_full_ms": [s * 1000 for s in full],
                        "engine_incremental_ms": [s * 1000 for s in incremental],
                        "modes": dict(modes),
                    },
                    indent=1,
                ),
                encoding="utf-8",
            )


if __name__ == "__main__":
    main()
