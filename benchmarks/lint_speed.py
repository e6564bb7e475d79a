"""Lint speed, side by side: onnxlint cold, warm and with one file changed, against TorchFix and Fixit,
with the bare libcst and `ast` parses of the same files as the floors of the two designs.

    .venv/bin/python benchmarks/lint_speed.py            # or: make bench
    .venv/bin/python benchmarks/lint_speed.py --rounds 5 --peer-rounds 1 --corpus all --json out.json

On first use it fetches the pinned source trees of torchvision, timm, kornia and
segmentation_models_pytorch from the package index (benchmarks/corpus.py, into benchmarks/.cache/)
and installs TorchFix and Fixit into their own virtualenv (benchmarks/.cache/peers-venv). Every
tool runs as its own process on the same files, in interleaved rounds (each round runs every
tool once, in a rotated order), after one untimed warm-up run each (file cache, .pyc files).
Times are the medians over rounds of wall time and of CPU time (user + sys of the process and
all its children, from getrusage), which is what the issue's ratios are about.

Corpus `models` (the default) is the issue's: timm/models and torchvision/models (180 files,
~128k lines). `all` is the four package trees (~1,100 files, ~360k lines; the peers then take
long: TorchFix alone needs ~500 CPU-seconds per 128k lines).

It also checks, on the whole corpus, that onnxlint's findings are byte-identical (JSON output)
cold with one worker, cold with two, warm from the cache, and after one file changed against a
cold run of the changed tree; and it times the per-file latency of `lint_source` in one
long-lived process (what the language server pays) over timm's model files.

Needs the `.venv` of `make venv` (onnxlint installed) and, for the peers, PyPI access once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import CACHE, PACKAGES, fetch  # noqa: E402

PEERS = {"torchfix": "0.7.0", "fixit": "2.2.1"}
PEERS_VENV = CACHE / "peers-venv"
BIN = Path(sys.executable).parent  # onnxlint's virtualenv
CHANGED_FILE = "timm/models/vision_transformer.py"  # edited for "one file changed": timm's largest file

# Floors: each reads every file as text and parses it, in one process, nothing else.
AST_FLOOR = """
import ast, sys, warnings
warnings.simplefilter("ignore")
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    ast.parse(open(path, encoding="utf-8").read(), filename=path)
"""
LIBCST_FLOOR = """
import sys, libcst
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    libcst.parse_module(open(path, encoding="utf-8").read())
"""
# One long-lived process linting one file after another, as the language server does.
LATENCY = """
import ast, json, statistics, sys, time, warnings
from onnxlint import lint_source
from onnxlint.core.settings import LintSettings, Selection
settings = LintSettings(selection=Selection(select=("ALL",)))
paths = open(sys.argv[1], encoding="utf-8").read().splitlines()
texts = [(p, open(p, encoding="utf-8").read()) for p in paths]
for path, text in texts[:3]:
    lint_source(text, path, settings)  # load the rules; the server has them loaded
warnings.simplefilter("ignore")
result = {}
for path, text in texts:
    samples, parses = [], []
    for _ in range(int(sys.argv[2])):
        start = time.perf_counter()
        lint_source(text, path, settings)
        samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        ast.parse(text)  # the floor: what any ast-based linter pays for this file
        parses.append(time.perf_counter() - start)
    result[path] = [statistics.median(samples), statistics.median(parses)]
print(json.dumps(result))
"""


@dataclass
class Tool:
    key: str
    label: str
    command: list[str]
    peer: bool = False
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    def median_wall(self) -> float | None:
        return statistics.median(self.walls) if self.walls else None

    def median_cpu(self) -> float | None:
        return statistics.median(self.cpus) if self.cpus else None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users have .pyc files; time what they run
    env["NO_COLOR"] = "1"
    return env


def timed(command: list[str], cwd: Path, stdout_path: Path | None = None) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the process and its children, exit status)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(stdout_path or os.devnull, "wb") as out:
        completed = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.PIPE, env=_environment())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if completed.returncode not in (0, 1):
        tail = completed.stderr.decode(errors="replace")[-2000:]
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({completed.returncode}):\n{tail}")
    return wall, cpu, completed.returncode


def install_peers() -> Path:
    bin_dir = PEERS_VENV / "bin"
    stamp = PEERS_VENV / f".installed-{'-'.join(f'{k}{v}' for k, v in PEERS.items())}"
    if not stamp.exists():
        print(f"installing {', '.join(f'{k}=={v}' for k, v in PEERS.items())} into {PEERS_VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run(
            [str(bin_dir / "pip"), "install", "--quiet", "--disable-pip-version-check"]
            + [f"{k}=={v}" for k, v in PEERS.items()],
            check=True,
        )
        stamp.touch()
    return bin_dir


def corpus(kind: str, scratch: Path) -> tuple[Path, list[str], list[Path]]:
    """(working folder, the paths given to each tool, every Python file under them).

    The trees are copied out of the repository first: Fixit skips files that git ignores, and
    benchmarks/.cache/ is ignored. The copies are also what the "one file changed" runs edit.
    """
    roots = {name: fetch(name) for name in PACKAGES}
    if kind == "models":
        sources = {"timm/models": roots["timm"] / "models", "torchvision/models": roots["torchvision"] / "models"}
    else:
        sources = {package: roots[name] for name, (_, package) in PACKAGES.items()}
    workdir = scratch / "corpus"
    for relative, source in sources.items():
        shutil.copytree(source, workdir / relative, ignore=shutil.ignore_patterns("__pycache__"))
    files = sorted(p for relative in sources for p in (workdir / relative).rglob("*.py"))
    return workdir, list(sources), files


def lines_of(files: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument(
        "--peer-rounds",
        type=int,
        default=1,
        help="rounds that also run TorchFix and Fixit (default 1: together they take ~800 CPU-seconds a round)",
    )
    parser.add_argument("--corpus", choices=("models", "all"), default="models")
    parser.add_argument("--no-peers", action="store_true", help="skip TorchFix and Fixit")
    parser.add_argument("--latency-runs", type=int, default=3, help="lint_source calls per file for the latency")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks" / "results" / "lint_speed.json")
    args = parser.parse_args()
    peer_rounds = min(args.peer_rounds, args.rounds)

    scratch = Path(tempfile.mkdtemp(prefix="onnxlint-bench-"))
    try:
        run_benchmark(args, scratch, peer_rounds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_benchmark(args: argparse.Namespace, scratch: Path, peer_rounds: int) -> None:
    workdir, targets, files = corpus(args.corpus, scratch)
    changed = workdir / CHANGED_FILE
    original_changed = changed.read_bytes()
    line_count = lines_of(files)
    file_list = scratch / "files.txt"
    file_list.write_text("\n".join(str(p) for p in files) + "\n", encoding="utf-8")
    cache_dir = scratch / "cache"
    onnxlint = [str(BIN / "onnxlint"), "--isolated", "--select", "ALL", "--format", "json"]
    python = str(BIN / "python")

    tools = [
        Tool("ast", "Python ast.parse, all files (floor)", [python, "-c", AST_FLOOR, str(file_list)]),
        Tool("libcst", "libcst parse_module, all files (floor)", [python, "-c", LIBCST_FLOOR, str(file_list)]),
        Tool("cold1", "onnxlint cold (--no-cache -j 1)", [*onnxlint, "--no-cache", "-j", "1", *targets]),
        Tool("cold", "onnxlint cold (--no-cache, default -j)", [*onnxlint, "--no-cache", *targets]),
        Tool("warm", "onnxlint warm (cache hit)", [*onnxlint, "--cache-dir", str(cache_dir), *targets]),
        Tool("changed", "onnxlint warm, one file changed", [*onnxlint, "--cache-dir", str(cache_dir), *targets]),
        Tool("alone", "onnxlint that file alone (--no-cache)", [*onnxlint, "--no-cache", str(changed)]),
    ]
    if not args.no_peers:
        peers = install_peers()
        tools += [
            Tool(
                "torchfix",
                "TorchFix 0.7.0 --select ALL -j 2",
                [str(peers / "torchfix"), "--select", "ALL", "-j", "2", *targets],
                peer=True,
            ),
            Tool("fixit", "Fixit 2.2.1 lint (default rules)", [str(peers / "fixit"), "lint", *targets], peer=True),
        ]

    loads: list[tuple[str, tuple[float, float, float]]] = [("start", os.getloadavg())]
    print(
        f"corpus {args.corpus}: {len(files)} files, {line_count} lines ({', '.join(targets)} under {workdir})\n"
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load average at start {_load(loads[0][1])}",
        flush=True,
    )
    outputs: dict[str, bytes] = {}
    prime = [*onnxlint, "--cache-dir", str(cache_dir), *targets]  # (re)fills the cache with the tree as it is
    edits = 0
    try:
        for tool in tools:  # untimed warm-ups: file cache, .pyc files, the cache the warm runs hit
            if tool.peer:  # their .pyc files on one small file: a whole run costs them minutes
                timed([*tool.command[: -len(targets)], os.path.relpath(files[0], workdir)], workdir)
            elif tool.key != "changed":
                timed(tool.command, workdir)
        for round_index in range(args.rounds):
            rotation = round_index % len(tools)
            for tool in tools[rotation:] + tools[:rotation]:
                if tool.peer and round_index >= peer_rounds:
                    continue
                out = scratch / f"{tool.key}-{round_index}.out"
                if tool.key in ("warm", "changed"):
                    changed.write_bytes(original_changed)
                    timed(prime, workdir)  # untimed: the cache now holds every file as it is
                if tool.key == "changed":
                    edits += 1  # a new comment line each time: the entry of this file never matches
                    changed.write_bytes(original_changed + f"# edited by the benchmark ({edits})\n".encode())
                wall, cpu, _ = timed(tool.command, workdir, out)
                tool.walls.append(wall)
                tool.cpus.append(cpu)
                if tool.key in ("cold1", "cold", "warm"):
                    if outputs.setdefault(tool.key, out.read_bytes()) != out.read_bytes():
                        raise SystemExit(f"{tool.label}: findings differ between rounds")
                if tool.key == "changed" and "changed" not in outputs:
                    outputs["changed"] = out.read_bytes()
                    fresh = scratch / "fresh.out"  # the same changed tree, linted from scratch
                    timed([*onnxlint, "--no-cache", *targets], workdir, fresh)
                    outputs["changed-fresh"] = fresh.read_bytes()
                changed.write_bytes(original_changed)
            loads.append((f"after round {round_index + 1}", os.getloadavg()))
            print(f"round {round_index + 1}/{args.rounds} done, load average {_load(loads[-1][1])}", flush=True)
    finally:
        changed.write_bytes(original_changed)

    latency = measure_latency(python, workdir, args.latency_runs)
    loads.append(("end", os.getloadavg()))
    identical = (
        outputs["cold1"] == outputs["cold"] == outputs["warm"] and outputs["changed"] == outputs["changed-fresh"]
    )
    finding_count = len(json.loads(outputs["cold"]))
    report(tools, files, line_count, latency, identical, finding_count, loads, args, targets)


def measure_latency(python: str, workdir: Path, runs: int) -> dict[str, list[float]]:
    paths = sorted((workdir / CHANGED_FILE).parent.rglob("*.py"))  # timm/models
    listing = workdir.parent / "timm-models.txt"
    listing.write_text("\n".join(str(p) for p in paths) + "\n", encoding="utf-8")
    result = subprocess.run(
        [python, "-c", LATENCY, str(listing), str(runs)], capture_output=True, text=True, env=_environment()
    )
    if result.returncode != 0:
        raise SystemExit(f"latency measurement failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def report(
    tools: list[Tool],
    files: list[Path],
    line_count: int,
    latency: dict[str, list[float]],
    identical: bool,
    finding_count: int,
    loads: list[tuple[str, tuple[float, float, float]]],
    args: argparse.Namespace,
    targets: list[str],
) -> None:
    by_key = {t.key: t for t in tools}
    torchfix = by_key.get("torchfix")
    ast_cpu = by_key["ast"].median_cpu()
    header = (
        f"{'':44} {'wall s':>8} {'CPU s':>8} {'files/s':>9} {'CPU vs TorchFix':>16} {'CPU / ast.parse':>16} {'runs':>5}"
    )
    print()
    print(header)
    print("-" * len(header))
    rows = []
    for tool in tools:
        wall, cpu = tool.median_wall(), tool.median_cpu()
        if wall is None:
            continue
        count = 1 if tool.key == "alone" else len(files)
        vs_torchfix = (
            f"{torchfix.median_cpu() / cpu:>14.1f}x" if torchfix and torchfix.median_cpu() and cpu else f"{'':>15}"
        )
        print(
            f"{tool.label:44} {wall:>8.2f} {cpu:>8.2f} {count / wall:>9.1f} {vs_torchfix:>16} "
            f"{cpu / ast_cpu:>16.2f} {len(tool.walls):>5}"
        )
        rows.append(
            {
                "key": tool.key,
                "label": tool.label,
                "command": tool.command,
                "median_wall_s": wall,
                "median_cpu_s": cpu,
                "walls": tool.walls,
                "cpus": tool.cpus,
                "files_per_s": count / wall,
            }
        )
    lat = sorted(v[0] for v in latency.values())
    floor = sorted(v[1] for v in latency.values())
    lat_median = statistics.median(lat) * 1000
    lat_p95 = statistics.quantiles(lat, n=100, method="inclusive")[94] * 1000
    floor_p95 = statistics.quantiles(floor, n=100, method="inclusive")[94] * 1000
    slowest = sorted(latency.items(), key=lambda item: -item[1][0])[:3]
    print(
        f"\nper-file latency, lint_source in one long-lived process (the language server's cost), "
        f"timm/models ({len(lat)} files, --select ALL, median of {args.latency_runs} calls each): "
        f"median {lat_median:.1f} ms, p95 {lat_p95:.1f} ms, max {lat[-1] * 1000:.1f} ms "
        f"({', '.join(f'{Path(p).name} {v[0] * 1000:.0f} ms' for p, v in slowest)}); "
        f"ast.parse alone: median {statistics.median(floor) * 1000:.1f} ms, p95 {floor_p95:.1f} ms"
    )
    cold, cold1, warm = by_key["cold"], by_key["cold1"], by_key["warm"]
    changed, alone = by_key["changed"], by_key["alone"]
    cold_ratio = max(cold.median_cpu(), cold1.median_cpu()) / ast_cpu
    warm_ratio = warm.median_cpu() / cold.median_cpu()
    goals = [
        (
            "cold CPU <= 4 x ast.parse CPU",
            f"{cold1.median_cpu() / ast_cpu:.2f}x (-j 1), {cold.median_cpu() / ast_cpu:.2f}x (default -j)",
            cold_ratio <= 4,
        ),
        (
            "warm CPU <= 0.05 x cold CPU",
            f"{warm_ratio:.3f}x ({warm.median_cpu():.2f} s vs {cold.median_cpu():.2f} s)",
            warm_ratio <= 0.05,
        ),
        (
            "one file changed ~ that file alone",
            f"{changed.median_cpu():.2f} s CPU / {changed.median_wall():.2f} s wall vs "
            f"{alone.median_cpu():.2f} s / {alone.median_wall():.2f} s",
            None,
        ),
        (
            "per-file latency p95 <= 30 ms",
            f"{lat_p95:.1f} ms (median {lat_median:.1f} ms; ast.parse alone p95 {floor_p95:.1f} ms)",
            lat_p95 <= 30,
        ),
    ]
    if torchfix and torchfix.median_cpu():
        goals.append(
            ("CPU vs TorchFix (cold, default -j)", f"{torchfix.median_cpu() / cold.median_cpu():.0f}x less", None)
        )
    print("\ngoals")
    for name, value, met in goals:
        verdict = "" if met is None else ("  met" if met else "  MISSED")
        print(f"  {name:40} {value}{verdict}")
    print(
        f"\nfindings ({finding_count}) byte-identical cold -j 1 / cold default -j / warm, and one-file-changed"
        f" vs a cold run of the changed tree: {'yes' if identical else 'NO'}"
    )
    print("load averages (1, 5, 15 min): " + "; ".join(f"{label} {_load(v)}" for label, v in loads))
    data = {
        "corpus": args.corpus,
        "targets": targets,
        "files": len(files),
        "lines": line_count,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "python": sys.version,
        "rows": rows,
        "latency_ms": {
            "median": lat_median,
            "p95": lat_p95,
            "ast_parse_p95": floor_p95,
            "per_file_lint_and_parse": {p: [v[0] * 1000, v[1] * 1000] for p, v in latency.items()},
        },
        "goals": [{"goal": n, "value": v, "met": m} for n, v, m in goals],
        "findings": finding_count,
        "findings_identical": identical,
        "load_averages": loads,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(f"written: {args.json}")
    if not identical:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
