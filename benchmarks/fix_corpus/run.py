"""Run `--fix --verify` on every file of the fix corpus and record what it fixed and what is left.

    /work/venv-t2141/bin/python benchmarks/fix_corpus/run.py              # every entry, safe and unsafe fixes
    /work/venv-t2141/bin/python benchmarks/fix_corpus/run.py NAME ... [--safe-only] [--table]

Per entry (corpus.py), in a temporary copy of its vendored file (the corpus itself is never
changed):
1. `onnxlint check FILE --confidence low --format json`: the findings before any fix;
2. `onnxlint export FILE --model 'Model()' --input ... --dynamic ... --fix [--unsafe-fixes]
   --format json`: the same machinery as `onnxlint check --fix --verify` (fix in memory, export
   the ORIGINAL and then the FIXED code, compare the fixed ONNX model in onnxruntime with the
   original eager model at the example shape and at the other sizes the exporter's guards
   point to); the export command is used because it prints its result as JSON;
3. recorded: the original's first failing stage, the fixes applied (rule, line, safe/unsafe,
   whether the finding is gone), whether the fixed code exports and matches at two or more
   sizes, and the findings left in the fixed code.
Results go to results.json (one record per entry and mode) and `--table` prints the Markdown
table of README.md. Nothing is downloaded: the models are built from tiny configurations.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import ENTRIES, Entry  # noqa: E402

RESULTS = HERE / "results.json"
ONNXLINT = [sys.executable, "-m", "onnxlint"]
LIMIT_S = 600


def _findings(path: Path, cwd: Path) -> list[dict[str, Any]]:
    command = [
        *ONNXLINT,
        "check",
        path.name,
        "--isolated",
        "--no-cache",
        "--confidence",
        "low",
        "--format",
        "json",
        "--exit-zero",
    ]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=LIMIT_S)
    try:
        data = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        return [{"code": "?", "message": done.stdout[-300:] + done.stderr[-300:]}]
    items = data if isinstance(data, list) else data.get("findings", [])
    return [
        {
            "code": f.get("code"),
            "line": (f.get("location") or {}).get("row", f.get("line")),
            "message": f.get("message", "")[:160],
        }
        for f in items
    ]


CORE_STAGES = ("load", "export", "checker", "simplify", "onnxruntime", "parity")


def _first_failure(report: dict[str, Any] | None) -> str:
    """The first failed stage of the export itself (load, export, checker, onnxruntime, parity); the
    graph layer's diagnosis of a failure is not the failure."""
    if not report:
        return "not run"
    stages = report.get("stages", [])
    ordered = [s for name in CORE_STAGES for s in stages if s.get("name") == name] + [
        s for s in stages if s.get("name") not in CORE_STAGES
    ]
    for stage in ordered:
        if stage.get("status") == "failed":
            return f"{stage['name']}: {(stage.get('reason') or '')[:200]}"
    return "passed" if report.get("passed") else "not passed (no failed stage)"


def _exports(record: dict[str, Any]) -> str:
    """Whether the fixed code exports: from its first failed stage (or, in records of a run before that
    was recorded, from the verify layer's reason)."""
    if not record["fixes"]:
        return "—"
    text = f"{record['fixed_failure']} {record.get('reason') or ''}"
    if record["fixed_failure"].startswith(("export:", "load:")) or "torch.onnx.export failed" in text:
        return "no"
    return "yes"


def _sizes_matched(report: dict[str, Any] | None) -> tuple[int, int]:
    """(distinct input shapes compared and passed, compared and failed)."""
    if not report:
        return 0, 0
    passed = {json.dumps(p["shapes"]) for p in report.get("parity", []) if p.get("status") == "passed"}
    failed = {json.dumps(p["shapes"]) for p in report.get("parity", []) if p.get("status") == "failed"}
    return len(passed), len(failed)


def _export(entry: Entry, target: Path, workdir: Path, fix: str | None) -> tuple[dict[str, Any], int, float]:
    """`onnxlint export` of the entry's model: plain (fix None), or `--fix` ("safe") / `--fix --unsafe-fixes`."""
    command = [*ONNXLINT, "export", target.name, "--model", "Model()", "--dynamic", entry.dynamic]
    for shape in entry.inputs:
        command += ["--input", shape]
    command += ["--exporter", entry.exporter, "--isolated", "--format", "json"]
    if fix is not None:
        command.append("--fix")
    if fix == "unsafe":
        command.append("--unsafe-fixes")
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=LIMIT_S)
        output, returncode = done.stdout, done.returncode
    except subprocess.TimeoutExpired:
        output, returncode = "", -1
    try:
        result = json.loads(output)
    except json.JSONDecodeError:
        result = {"reason": (output or "")[-400:] or f"no output (over {LIMIT_S} s?)", "fixes": []}
    result["command"] = "onnxlint " + " ".join(command[3:])
    return result, returncode, round(time.monotonic() - started, 1)


def run_entry(entry: Entry, modes: list[str]) -> list[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"fixcorpus_{entry.name}_"))
    records = []
    try:
        target = workdir / f"{entry.name}.py"
        shutil.copy2(HERE / "models" / f"{entry.name}.py", target)
        before = _findings(target, workdir)
        original, _, original_seconds = _export(entry, target, workdir, None)
        passed_before, failed_before = _sizes_matched(original if "stages" in original else None)
        for mode in modes:
            shutil.copy2(HERE / "models" / f"{entry.name}.py", target)
            result, returncode, seconds = _export(entry, target, workdir, mode)
            fixed = result.get("fixed")
            after = _findings(target, workdir) if result.get("written") else None
            passed_after, failed_after = _sizes_matched(fixed)
            fixed_ok = bool(fixed and fixed.get("passed") and passed_after >= 2 and failed_after == 0)
            records.append(
                {
                    "name": entry.name,
                    "source": f"{entry.package} {entry.path} ({', '.join(entry.names)})",
                    "mode": mode,
                    "command": result["command"],
                    "returncode": returncode,
                    "seconds": {"original": original_seconds, "fix_verify": seconds},
                    "findings_before": before,
                    "original_failure": _first_failure(original if "stages" in original else None),
                    "original_sizes": {"passed": passed_before, "failed": failed_before},
                    "fixes": result.get("fixes", []),
                    "verified": result.get("verified"),
                    "reason": result.get("reason"),
                    "fixed_failure": _first_failure(fixed) if fixed else "no fixed run",
                    "fixed_sizes": {"passed": passed_after, "failed": failed_after},
                    "fixed_and_verified": fixed_ok,
                    "findings_left": after if after is not None else before,
                }
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return records


def table(records: list[dict[str, Any]]) -> str:
    lines = [
        "| model | source | failure before (dynamo, dynamic dims) | fixes applied (safe+unsafe) | exports after? | matches at ≥2 sizes? | left |",
        "|---|---|---|---|---|---|---|",
    ]
    unsafe = [r for r in records if r["mode"] == "unsafe"]
    for r in unsafe:
        fixes = "; ".join(f"{f['code']} L{f['line']} {f['applicability']}" for f in r["fixes"]) or "none"
        exports = _exports(r)
        matches = (
            f"yes ({r['fixed_sizes']['passed']} shapes)"
            if r["fixed_and_verified"]
            else ("no" + (f" ({r['fixed_failure'][:90]})" if r["fixes"] else ""))
        )
        left = (
            ", ".join(
                sorted({f"{f['code']}" + (f" L{f['line']}" if f.get("line") else "") for f in r["findings_left"]})
            )
            or "nothing"
        )
        failure = r["original_failure"].replace("|", "/").replace("\n", " ")
        failure = failure.split(": Fail:")[0].split(" (max abs")[0].split(" input set(s)")[0][:110]
        lines.append(f"| {r['name']} | {r['source']} | {failure} | {fixes} | {exports} | {matches} | {left} |")
    fixed = sum(r["fixed_and_verified"] for r in unsafe)
    failing = sum(r["original_failure"] != "passed" for r in unsafe)
    safe_fixed = sum(r["fixed_and_verified"] for r in records if r["mode"] == "safe")
    lines.append("")
    lines.append(
        f"Fixed and verified: {fixed} of {failing} failing entries with `--unsafe-fixes` "
        f"({100 * fixed // max(failing, 1)}%); {safe_fixed} of {failing} with safe fixes only."
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--safe-only", action="store_true", help="only the run without --unsafe-fixes")
    parser.add_argument("--table", action="store_true", help="print the table from results.json and stop")
    parser.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        help="merge another run's records into --results (theirs win)",
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="where to keep the records (default: results.json)"
    )
    args = parser.parse_args(argv)
    results = args.results
    previous = json.loads(results.read_text()) if results.exists() else []
    if args.merge:
        order = {e.name: i for i, e in enumerate(ENTRIES)}
        for other in args.merge:
            theirs = json.loads(other.read_text())
            replaced = {(r["name"], r["mode"]) for r in theirs}
            previous = [r for r in previous if (r["name"], r["mode"]) not in replaced] + theirs
        previous = [r for r in previous if r["name"] in order]  # entries since removed from corpus.py
        previous.sort(key=lambda r: (order[r["name"]], r["mode"]))
        results.write_text(json.dumps(previous, indent=1) + "\n", encoding="utf-8")
        print(table(previous))
        return 0
    if args.table:
        print(table(previous))
        return 0
    chosen = [e for e in ENTRIES if not args.names or e.name in args.names]
    modes = ["safe"] if args.safe_only else ["safe", "unsafe"]
    records = [r for r in previous if not any(r["name"] == e.name for e in chosen)]
    for entry in chosen:
        for record in run_entry(entry, modes):
            records.append(record)
            print(
                f"{entry.name} [{record['mode']}]: before {record['original_failure'][:70]!r}; "
                f"fixes {len(record['fixes'])}; fixed-and-verified {record['fixed_and_verified']} ({record['seconds']} s)",
                flush=True,
            )
        results.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    order = {e.name: i for i, e in enumerate(ENTRIES)}
    records.sort(key=lambda r: (order.get(r["name"], 99), r["mode"]))
    results.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    print(table(records))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
