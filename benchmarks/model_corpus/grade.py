"""Grade onnxlint against the corpus's ground truth (truth.json) and hand-found root causes (root_causes.json).

    /work/venv-t2141/bin/python benchmarks/model_corpus/grade.py                    # every pair (resumes)
    /work/venv-t2141/bin/python benchmarks/model_corpus/grade.py mobilevit_xxs --exporter legacy --rerun
    /work/venv-t2141/bin/python benchmarks/model_corpus/grade.py --table            # the table from grades.json
    /work/venv-t2141/bin/python benchmarks/model_corpus/grade.py --export-only --jobs 2 --output F  # export half only

For each (model, exporter) pair, two onnxlint runs as a user would type them (the batch-1 example,
`Entry.cli_args`), each in a subprocess with a time limit:

- the graph layer: `onnxlint models.py --graph --model ... --input ... --dynamic ... --exporter E
  [--opset 17] --format json --confidence low`;
- the verify pipeline: `onnxlint export models.py --model ... --exporter E [--opset 17] --format json`.

`--opset 17` goes with the legacy exporter only: the ground truth exports with dynamo at its
default opset, and `onnxlint export` fails a dynamo export whose file is not at the opset asked for.

Graded: for a failing pair, whether a located finding (its file and line, or a related location)
is at the root-cause line (same file suffix, line within +-1); for a clean pair, the error-severity
findings (false errors); whether each run answered within the time limit; the export verdict
against the truth (a pass on a pair that is not clean is a FALSE PASS); the sizes the export
compared and its validity domain per dim, checked against the sizes the ground truth ran (a size
where the file fails that the domain calls valid is WRONG); and the times.
Writes grades.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Lock
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ground_truth  # noqa: E402
import models  # noqa: E402

GRADES = HERE / "grades.json"
ROOT_CAUSES = HERE / "root_causes.json"
ONNXLINT = str(Path(sys.executable).with_name("onnxlint"))
MODELS_FILE = "benchmarks/model_corpus/models.py"
TIME_LIMIT_S = 300
LEGACY_OPSET = 17


def opset_args(exporter: str) -> list[str]:
    return ["--opset", str(LEGACY_OPSET)] if exporter == "legacy" else []


def graph_command(entry: models.Entry, exporter: str, batch: int) -> list[str]:
    return [
        ONNXLINT,
        MODELS_FILE,
        "--graph",
        *entry.cli_args(batch),
        "--exporter",
        exporter,
        *opset_args(exporter),
        "--format",
        "json",
        "--confidence",
        "low",
    ]


def export_command(entry: models.Entry, exporter: str, batch: int) -> list[str]:
    # `onnxlint export FILE --model` looks the factory up in FILE only: a dotted one goes without FILE.
    local = "." not in models.parse_model(entry.model)[0]
    return [
        ONNXLINT,
        "export",
        *([MODELS_FILE] if local else []),
        *entry.cli_args(batch),
        "--exporter",
        exporter,
        *opset_args(exporter),
        "--format",
        "json",
    ]


def run(command: list[str], limit: float) -> dict[str, Any]:
    """Run onnxlint in its own process group; stdout, a stderr tail, exit code, seconds, timeout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=ground_truth.REPO,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "OMP_NUM_THREADS": str(ground_truth.THREADS), "PYTHONWARNINGS": "ignore"},
        )
        timed_out = False
        try:
            process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            timed_out = True
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    return {
        "rc": None if timed_out else process.returncode,
        "timed_out": timed_out,
        "seconds": round(seconds, 1),
        "stdout": stdout,
        "stderr_tail": [line[:300] for line in stderr.strip().splitlines()[-6:]],
    }


# -- locations in onnxlint's JSON --------------------------------------------------------------------------


def normalise(filename: str) -> str:
    """A path as root_causes.json writes it: relative to site-packages, or to the repository."""
    path = Path(filename)
    if not path.is_absolute():
        path = ground_truth.REPO / path
    path = path.resolve()
    for base in (ground_truth.SITE, ground_truth.REPO):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return path.as_posix()


def _row(item: dict[str, Any]) -> int | None:
    for key in ("line", "row"):
        if isinstance(item.get(key), int):
            return item[key]
    location = item.get("location") or item.get("start")
    if isinstance(location, dict) and isinstance(location.get("row"), int):
        return location["row"]
    return None


def locations(data: Any, skip: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """Every (file, line) named anywhere in a JSON document (findings, related locations, baked lines)."""
    found: list[tuple[str, int]] = []
    if isinstance(data, dict):
        filename = next((data[k] for k in ("filename", "file", "path") if isinstance(data.get(k), str)), None)
        row = _row(data)
        if filename and row is not None:
            found.append((normalise(filename), row))
        for key, value in data.items():
            if key not in skip:
                found.extend(locations(value, skip))
    elif isinstance(data, list):
        for value in data:
            found.extend(locations(value, skip))
    return found


def at_root(found: list[tuple[str, int]], root: dict[str, Any] | None) -> bool | None:
    """Whether a location is the root-cause line (same file suffix, line +-1); None without a known line."""
    if not root or root.get("line") is None or not root.get("file"):
        return None
    return any(
        (file.endswith(root["file"]) or root["file"].endswith(file)) and abs(line - root["line"]) <= 1
        for file, line in found
    )


def _json(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
        if start < 0:
            return None
        try:
            return json.loads(text[start:])
        except json.JSONDecodeError:
            return None


def _finding_list(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [f for f in data if isinstance(f, dict)]
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        return [f for f in data["findings"] if isinstance(f, dict)]
    return []


def _short(finding: dict[str, Any]) -> str:
    place = [*locations({k: v for k, v in finding.items() if k != "related"}), ("?", 0)][0]
    return f"{finding.get('code')} {finding.get('severity', '')} {place[0]}:{place[1]}"


# -- grading one pair --------------------------------------------------------------------------------------


def grade_pair(
    name: str,
    exporter: str,
    limit: float,
    previous_export: dict[str, Any] | None = None,
    previous_graph: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run both onnxlint commands on a pair and keep what they said (scored later, against the truth).

    `previous_export` (`--graph-only`): the pair's recorded `onnxlint export` result, kept as it is
    instead of running the export again (with the code it ran on, `export_onnxlint_code`);
    `previous_graph` (`--export-only`): likewise the recorded graph-layer result (`graph_onnxlint_code`)."""
    entry = models.BY_NAME[name]
    # onnxlint is installed editable: record which commit of it (and whether edited) each pair ran on.
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ground_truth.REPO, capture_output=True, text=True
    )
    edited = subprocess.run(
        ["git", "status", "--porcelain", "--", "linter", "rules"], cwd=ground_truth.REPO, capture_output=True, text=True
    )
    code = head.stdout.strip() + ("+edits" if edited.stdout.strip() else "")
    if previous_graph is not None:
        result = {
            "onnxlint_code": code,
            "graph": previous_graph["graph"],
            "graph_onnxlint_code": previous_graph.get("graph_onnxlint_code", previous_graph.get("onnxlint_code")),
        }
        result["export"] = grade_export(entry, exporter, limit)
        return result
    graph = run(graph_command(entry, exporter, 1), limit)
    data = _json(graph["stdout"])
    findings = _finding_list(data)
    result: dict[str, Any] = {
        "onnxlint_code": code,
        "graph": {
            "seconds": graph["seconds"],
            "rc": graph["rc"],
            "answered": not graph["timed_out"] and data is not None and graph["rc"] in (0, 1),
            "timed_out": graph["timed_out"],
            "findings": [_short(f) for f in findings],
            "errors": [_short(f) for f in findings if f.get("severity") == "error"],
            "located": sorted({f"{f}:{n}" for f, n in locations(findings)}),
            "traced": next((line for line in graph["stderr_tail"] if "traced" in line), None),
        },
    }
    if data is None:
        result["graph"]["stderr_tail"] = graph["stderr_tail"]
    if previous_export is not None:
        result["export"] = previous_export["export"]
        result["export_onnxlint_code"] = previous_export.get(
            "export_onnxlint_code", previous_export.get("onnxlint_code")
        )
        return result
    result["export"] = grade_export(entry, exporter, limit)
    return result


def grade_export(entry: models.Entry, exporter: str, limit: float) -> dict[str, Any]:
    """`onnxlint export` on a pair: its verdict, failed stages, located lines, sizes checked and domains."""
    export = run(export_command(entry, exporter, 1), limit)
    report = _json(export["stdout"])
    report = report if isinstance(report, dict) else {}
    passed = report.get("passed")
    if passed is True:
        verdict = "pass"
    elif passed is False:
        verdict = "fail"
    else:
        verdict = "timeout" if export["timed_out"] else "no answer"
    graded: dict[str, Any] = {
        "seconds": export["seconds"],
        "rc": export["rc"],
        "verdict": verdict,
        "failed_stages": [
            f"{stage.get('name')}: {str(stage.get('reason') or '')[:160]}"
            for stage in report.get("stages", [])
            if stage.get("status") == "failed"
        ],
        "located": sorted({f"{f}:{n}" for f, n in locations(report, skip=("suspects",))}),
        "suspects": sorted({f"{f}:{n}" for f, n in locations([b.get("suspects") for b in report.get("baked") or []])}),
        # What the verdict rests on: the sizes compared in onnxruntime, and the validity domain per dim.
        "sizes_checked": [
            {key: item.get(key) for key in ("label", "status", "kind", "compared_inside")}
            for item in report.get("parity") or []
        ],
        "domains": {
            domain["dim"]: {key: domain.get(key) for key in DOMAIN_KEYS} for domain in report.get("domains") or []
        },
    }
    if not report:
        graded["stderr_tail"] = export["stderr_tail"]
    return graded


DOMAIN_KEYS = (
    "text", "known", "min", "max", "modulus", "remainders", "pinned", "exact", "sample", "one_size_only", "refuted",
    "checked",
)  # fmt: skip


def domain_claim(domain: dict[str, Any], size: int) -> bool | None:
    """Whether a validity domain (from the JSON report) says `size` is valid; None where it makes no claim.

    A size the export checked is claimed as its check went; a domain a failed check refuted claims
    nothing else."""
    checked = (domain.get("checked") or {}).get(str(size))
    if checked in ("passed", "failed"):
        return checked == "passed"
    if not domain.get("known") or domain.get("refuted"):
        return None
    if domain.get("pinned") is not None:
        return size == domain["pinned"]
    low, high = domain.get("min") or 1, domain.get("max")
    if size < low or (high is not None and size > high):
        return False
    if not domain.get("exact", True):
        return True if size in (domain.get("sample") or []) else None
    return size % (domain.get("modulus") or 1) in (domain.get("remainders") or [0])


def check_domains(pair: dict[str, Any] | None, domains: dict[str, Any]) -> dict[str, Any]:
    """The validity domains against the ground truth's runs at other sizes (the batch-1 example's run).

    A truth size where the file fails (onnxruntime error, wrong numbers or shape) that the domains
    call valid is WRONG; one where the file works that they call invalid is conservative."""
    verdicts: dict[str, Any] = {"agree": 0, "wrong": [], "conservative": [], "no_claim": 0}
    run = (pair or {}).get("run") or {}
    if not domains or run.get("batch") != 1:
        return verdicts
    for shape in run.get("shapes") or []:
        label = shape.get("label", "")
        if label == "export" or shape.get("status") in ("eager_error", "skipped"):
            continue
        sizes = dict(part.split("=", 1) for part in label.split() if "=" in part)
        claims = [domain_claim(domains[dim], int(size)) for dim, size in sizes.items() if dim in domains]
        if not claims or any(claim is None for claim in claims):
            verdicts["no_claim"] += 1
            continue
        valid, works = all(claims), shape.get("status") == "ok"
        if valid == works:
            verdicts["agree"] += 1
        elif valid:
            verdicts["wrong"].append(label)
        else:
            verdicts["conservative"].append(label)
    return verdicts


def _parse(located: list[str]) -> list[tuple[str, int]]:
    return [(text.rsplit(":", 1)[0], int(text.rsplit(":", 1)[1])) for text in located]


def score(grades: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each graded pair with its truth, root cause and what the two runs got right."""
    truth = ground_truth.load_truth()
    causes = json.loads(ROOT_CAUSES.read_text()) if ROOT_CAUSES.exists() else {}
    scored = {}
    for pair_key, grade in grades["pairs"].items():
        name, exporter = pair_key.split("|")
        pair = ground_truth.pair_truth(truth, name, exporter)
        outcome = pair["outcome"] if pair else "unknown"
        root = causes.get(pair_key) if outcome != "clean" else None
        graph, export = grade["graph"], grade["export"]
        scored[pair_key] = {
            **grade,
            "truth": outcome,
            "root_cause": root,
            "graph_at_root": at_root(_parse(graph["located"]), root) if outcome != "clean" else None,
            "export_at_root": at_root(_parse(export["located"]), root) if outcome != "clean" else None,
            "export_suspect_at_root": at_root(_parse(export["suspects"]), root) if outcome != "clean" else None,
            "false_errors": len(graph["errors"]) if outcome == "clean" else None,
            "false_pass": export["verdict"] == "pass" and outcome != "clean",
            "false_fail": export["verdict"] == "fail" and outcome == "clean",
            "domain_check": check_domains(pair, export.get("domains") or {}),
        }
    return scored


# -- the table ----------------------------------------------------------------------------------------------


def _mark(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "-"}[value]


def table(scored: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| model | exporter | truth | root cause | graph at root | false errors | graph s | export s | export verdict "
        "| sizes checked | validity domain |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in models.MODELS:
        for exporter in ground_truth.EXPORTERS:
            grade = scored.get(f"{entry.name}|{exporter}")
            if grade is None:
                continue
            root = grade.get("root_cause") or {}
            where = f"{root.get('file')}:{root.get('line')}" if root.get("line") else ("unknown" if root else "")
            graph, export = grade["graph"], grade["export"]
            graph_cell = _mark(grade["graph_at_root"]) if graph["answered"] else "no answer"
            errors = grade["false_errors"] if grade["truth"] == "clean" else "-"
            verdict = export["verdict"]
            if grade["false_pass"]:
                verdict = "**FALSE PASS**"
            elif grade["false_fail"]:
                verdict = "fail (false)"
            if grade["truth"] != "clean" and export["verdict"] == "fail":
                verdict += f", at root {_mark(grade['export_at_root'])}"
            timing = f"{graph['seconds']:.0f}{'+' if graph['timed_out'] else ''}"
            lines.append(
                f"| {entry.name} | {exporter} | {grade['truth']} | {where} | {graph_cell} | {errors} | {timing} | "
                f"{export['seconds']:.0f}{'+' if export['verdict'] == 'timeout' else ''} | {verdict} | "
                f"{_sizes_cell(export)} | {_domain_cell(export, grade.get('domain_check') or {})} |"
            )
    return "\n".join(lines) + "\n\n" + summary(scored) + "\n"


_STATUS_MARK = {"passed": "ok", "failed": "FAIL", "skipped": "eager rejects", "not run": "not run"}


def _sizes_cell(export: dict[str, Any]) -> str:
    if "sizes_checked" not in export:
        return "(not recorded)"
    cells = []
    for item in export["sizes_checked"]:
        if item.get("compared_inside"):
            cells.append(f"{item['label']} (in {item['compared_inside']})")
        else:
            cells.append(f"{item['label']} {_STATUS_MARK.get(item.get('status') or '', item.get('status'))}")
    return ", ".join(cells) or "none (no export)"


def _domain_cell(export: dict[str, Any], check: dict[str, Any]) -> str:
    if "domains" not in export:
        return "(not recorded)"
    text = "; ".join(f"{dim}: {domain.get('text')}" for dim, domain in export["domains"].items()) or "-"
    text = text.replace("|", "/")
    if check.get("wrong"):
        text += f" **WRONG at {', '.join(check['wrong'])}**"
    return text


def summary(scored: dict[str, dict[str, Any]]) -> str:
    pairs = list(scored.values())
    failing = [p for p in pairs if p["truth"] != "clean"]
    located = [p for p in failing if p["root_cause"] and p["root_cause"].get("line") is not None]
    clean = [p for p in pairs if p["truth"] == "clean"]
    graph_hits = sum(1 for p in located if p["graph_at_root"])
    export_hits = sum(1 for p in located if p["export_at_root"])
    false_error_pairs = sum(1 for p in clean if p["graph"]["errors"])
    answered = sum(1 for p in pairs if p["graph"]["answered"])
    verdicts = Counter(p["export"]["verdict"] for p in pairs)
    false_pass = sum(1 for p in pairs if p["false_pass"])
    false_fail = sum(1 for p in pairs if p["false_fail"])
    graph_s = sum(p["graph"]["seconds"] for p in pairs)
    export_s = sum(p["export"]["seconds"] for p in pairs)
    codes = Counter(e.split()[0] for p in clean for e in p["graph"]["errors"])
    recorded = [p for p in pairs if "domains" in p["export"]]
    checks = [p["domain_check"] for p in recorded]
    agree = sum(c["agree"] for c in checks)
    wrong = sum(len(c["wrong"]) for c in checks)
    conservative = sum(len(c["conservative"]) for c in checks)
    no_claim = sum(c["no_claim"] for c in checks)
    return "\n".join(
        [
            f"- pairs: {len(pairs)} ({len(failing)} failing, {len(clean)} clean); "
            f"root-cause line known for {len(located)} failing pairs",
            f"- graph layer: a finding at the root-cause line in {graph_hits}/{len(located)}; "
            f"answered within the limit in {answered}/{len(pairs)}; "
            f"false errors on {false_error_pairs}/{len(clean)} clean pairs ({dict(codes) or 'none'})",
            f"- onnxlint export: verdicts {dict(verdicts)}; FALSE PASS {false_pass}; false fail {false_fail}; "
            f"located at the root-cause line in {export_hits}/{len(located)}",
            f"- validity domains against the ground truth's sizes ({len(recorded)} pairs recorded them): "
            f"{agree} agree, {wrong} WRONG (valid where the file fails), {conservative} conservative "
            f"(invalid where it works), {no_claim} without a claim (no guards: TorchScript, or a size outside them)",
            f"- time: graph layer {graph_s / 60:.1f} min, onnxlint export {export_s / 60:.1f} min in all",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="model names (default: all)")
    parser.add_argument("--exporter", choices=ground_truth.EXPORTERS, action="append")
    parser.add_argument("--rerun", action="store_true", help="grade pairs already in grades.json again")
    parser.add_argument("--jobs", type=int, default=1, help="pairs at once (default 1)")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S, help="seconds per onnxlint run")
    parser.add_argument("--table", action="store_true", help="print the table from grades.json and stop")
    parser.add_argument("--failing-first", action="store_true", help="grade the pairs whose truth is not clean first")
    parser.add_argument("--reverse", action="store_true", help="grade in reverse order (a second process's share)")
    parser.add_argument("--output", type=Path, default=GRADES, help="where to write (default grades.json)")
    parser.add_argument("--merge", type=Path, action="append", default=[], help="add the pairs of this file and stop")
    parser.add_argument(
        "--graph-only",
        action="store_true",
        help="run only the graph layer; keep each pair's recorded `onnxlint export` result (implies --rerun)",
    )
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="run only `onnxlint export`; keep each pair's recorded graph-layer result (implies --rerun)",
    )
    options = parser.parse_args()
    output: Path = options.output
    grades = json.loads(output.read_text()) if output.exists() else {"meta": {}, "pairs": {}}
    if options.merge:
        for path in options.merge:
            grades["pairs"].update(json.loads(path.read_text())["pairs"])
        output.write_text(json.dumps(grades, indent=1, sort_keys=True) + "\n")
        return
    if options.table:
        scored = score(grades)
        output.write_text(json.dumps({**grades, "scored": scored}, indent=1, sort_keys=True) + "\n")
        print(table(scored))
        return
    names = options.models or [entry.name for entry in models.MODELS]
    todo = [
        (name, exporter)
        for name in names
        for exporter in options.exporter or ground_truth.EXPORTERS
        if options.rerun or options.graph_only or options.export_only or f"{name}|{exporter}" not in grades["pairs"]
    ]
    if options.failing_first:
        truth = ground_truth.load_truth()

        def clean(task: tuple[str, str]) -> bool:
            pair = ground_truth.pair_truth(truth, *task)
            return pair is None or pair["outcome"] == "clean"

        todo.sort(key=clean)
    if options.reverse:
        todo.reverse()
    version = subprocess.run([ONNXLINT, "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ground_truth.REPO, capture_output=True, text=True)
    grades["meta"] = {
        "onnxlint": version,
        "commit": commit.stdout.strip(),
        "time_limit_s": options.time_limit,
        "batch": 1,
        "jobs": options.jobs,
    }
    lock = Lock()
    started = time.perf_counter()

    def one(task: tuple[str, str]) -> None:
        name, exporter = task
        key = f"{name}|{exporter}"
        previous = grades["pairs"].get(key) if options.graph_only else None
        if previous is not None and "export" not in previous:
            previous = None
        previous_graph = grades["pairs"].get(key) if options.export_only else None
        if previous_graph is not None and "graph" not in previous_graph:
            previous_graph = None
        result = grade_pair(name, exporter, options.time_limit, previous, previous_graph)
        with lock:
            # Others may grade other pairs (or the export side) meanwhile: merge into the file as it is now.
            if output.exists():
                current = json.loads(output.read_text())
                grades["pairs"] = {**current.get("pairs", {}), **{k: v for k, v in grades["pairs"].items() if k == key}}
                if previous is not None and key in current.get("pairs", {}):
                    # the export side as recorded now (another engineer may have re-graded it meanwhile)
                    result["export"] = current["pairs"][key]["export"]
                    result["export_onnxlint_code"] = current["pairs"][key].get(
                        "export_onnxlint_code", current["pairs"][key].get("onnxlint_code")
                    )
                if previous_graph is not None and key in current.get("pairs", {}):
                    result["graph"] = current["pairs"][key]["graph"]
                    result["graph_onnxlint_code"] = current["pairs"][key].get(
                        "graph_onnxlint_code", current["pairs"][key].get("onnxlint_code")
                    )
            grades["pairs"][key] = result
            output.write_text(json.dumps(grades, indent=1, sort_keys=True) + "\n")
            print(
                f"[{(time.perf_counter() - started) / 60:5.1f} min] {name}|{exporter}: "
                f"graph {result['graph']['seconds']} s, {len(result['graph']['findings'])} findings; "
                f"export {result['export']['verdict']} {result['export']['seconds']} s",
                flush=True,
            )

    print(f"{len(todo)} pairs to grade, {options.jobs} at a time", flush=True)
    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        list(pool.map(one, todo))
    if output.exists():
        grades["pairs"] = json.loads(output.read_text()).get("pairs", {})  # all results are in it, and others' too
    scored = score(grades)
    output.write_text(json.dumps({**grades, "scored": scored}, indent=1, sort_keys=True) + "\n")
    print(table(scored))


if __name__ == "__main__":
    main()
