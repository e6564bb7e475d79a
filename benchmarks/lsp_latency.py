"""How long an editor waits for onnxlint's diagnostics: didOpen -> publishDiagnostics.

    python benchmarks/lsp_latency.py [--runs 10]

For the NestedUNet fixture and for timm's largest model file (benchmarks/corpus.py fetches
timm), it starts the real `onnxlint server`, speaks LSP to it over stdio with pygls' client,
and times didOpen until the publishDiagnostics of that version arrives. The first open of a
fresh server is reported on its own (it loads the rules); then `--runs` open/close cycles give
the median and p95. "engine" is `lint_source` alone on the same text in this process, for
comparison. Needs the [lsp] extra.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import fetch, model_files  # noqa: E402
from onnxlint import lint_source  # noqa: E402


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


async def measure(path: Path, runs: int) -> tuple[float, list[float], int]:
    """(first open, timed opens, diagnostics count), in seconds."""
    client = _Client()
    await client.start_io(sys.executable, "-m", "onnxlint", "server", cwd=str(path.parent))
    await client.initialize_async(
        types.InitializeParams(
            process_id=None,
            root_uri=path.parent.as_uri(),
            capabilities=types.ClientCapabilities(),
        )
    )
    client.initialized(types.InitializedParams())
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
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
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


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    largest_timm = max(model_files("timm"), key=lambda p: p.stat().st_size)  # everything under timm/models/
    files = [
        ("fixtures/nested_unet/model.py", REPO / "fixtures" / "nested_unet" / "model.py"),
        (f"timm/{largest_timm.relative_to(fetch('timm')).as_posix()}", largest_timm),
    ]
    print(
        f"onnxlint server: didOpen -> publishDiagnostics, {args.runs} runs after a first open (Python {sys.version.split()[0]})"
    )
    header = f"{'file':<36} {'lines':>6} {'findings':>8} {'first open':>11} {'median':>9} {'p95':>9} {'engine':>9}"
    print(header)
    print("-" * len(header))
    for label, path in files:
        first, timings, count = asyncio.run(measure(path, args.runs))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        engine = engine_median(path, args.runs)
        print(
            f"{label:<36} {lines:>6} {count:>8} {first * 1000:>8.1f} ms {statistics.median(timings) * 1000:>6.1f} ms"
            f" {p95(timings) * 1000:>6.1f} ms {engine * 1000:>6.1f} ms"
        )


if __name__ == "__main__":
    main()
