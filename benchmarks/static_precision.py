"""Issue 14's precision corpus: lint real packages with default settings, then draw seeded samples to judge.

    python benchmarks/static_precision.py lint TAG [--corpus /work/corpus]
    python benchmarks/static_precision.py draw TAG SEED [SEED ...] [--size 40]
    python benchmarks/static_precision.py merge TAG SEED [SEED ...]    # two judges (+ a third where they differ)
    python benchmarks/static_precision.py report TAG SEED [SEED ...]   # Markdown from judged-TAG-SEED.json
    python benchmarks/static_precision.py record TAG [--list]          # every finding's verdict on record
    python benchmarks/static_precision.py compare TAG --before TAG0    # what a change moved, with verdicts on record

The corpus is a folder of unpacked wheels, one `name-version` folder per package (fetch them with
`pip download --no-deps --only-binary=:all: <name>==<version>` and unzip; nothing is imported or
run). `lint` runs `onnxlint check --isolated --no-cache --format json --exit-zero` per package
(default settings: dynamo exporter, default opset, confidence medium and up) and writes every
finding, pooled and sorted by file, line and code, with the line counts per package, to
`<corpus>/findings-TAG.json`. `draw` writes `<corpus>/sample-TAG-SEED.json`: `random.Random(seed)`
draws `--size` findings from the pooled list, each with the code around its line for the judge.
`report` reads the judges' verdicts (`<corpus>/judged-TAG-SEED.json`: one object per finding with
`file`, `line`, `code`, `source`, `verdict` TRUE/FALSE/DEBATABLE, `class`, `reason`) and prints the
precision per sample, per code, the classes of what is not true, and every judged line.

Two judges per sample, independently (`judged-TAG-SEED-a.json`, `-b.json`): `merge` writes the findings
they disagree on to `sample-TAG-SEED-c.json` for a third judge, and once `judged-TAG-SEED-c.json` exists,
writes `judged-TAG-SEED.json`: the verdict both gave, else the third judge's, each entry keeping every judge's
verdict (`judges`) and the reason of the judge whose verdict it is.

`record` reads every verdict file kept in `benchmarks/static_precision_samples/` (`judged-*.json`) and gives each
finding of `findings-TAG.json` one verdict on record where some sample judged it (by file, line and code): the
verdict of a sample judged by two judges and a third where one exists, else a one-judge sample's, else one of the
two judges', the latest (highest seed) among equals. It prints the precision of the
judged findings, by confidence and by code (`--list`: and every finding on record that is not true): a measure of a
tree's change between samples, not a sample (the findings judged before are not a random draw of the tree).
`compare` lists what a change did to the default output between two lints: each finding that left or entered and
each whose confidence changed, with its verdict on record, and the counts by verdict (a change that takes a true
finding out shows here before any sample is drawn).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

# package -> what is linted inside its unpacked wheel (transformers: the models and the root modeling files)
TARGETS: dict[str, list[str]] = {
    "transformers": ["transformers/models", "transformers/modeling_*.py"],
    "diffusers": ["diffusers"],
    "monai": ["monai"],
    "timm": ["timm"],
    "torchvision": ["torchvision"],
    "kornia": ["kornia"],
    "segmentation_models_pytorch": ["segmentation_models_pytorch"],
}
CONTEXT = 15  # lines of code each side of a sampled finding
SAMPLES = Path(__file__).resolve().parent / "static_precision_samples"  # the judged samples kept in the repository


def package_folder(corpus: Path, package: str) -> Path | None:
    for folder in sorted(corpus.iterdir()):
        name, _, version = folder.name.rpartition("-")
        if folder.is_dir() and name == package and version[:1].isdigit():
            return folder
    return None


def expand(root: Path, patterns: list[str]) -> list[Path]:
    paths: list[Path] = []
    for pattern in patterns:
        paths.extend(sorted(root.glob(pattern)) if "*" in pattern else [root / pattern])
    return paths


def count_lines(paths: list[Path]) -> int:
    """Non-blank lines of the linted Python files (the figure docs/precision.md's per-kLOC rates use)."""
    files = [p for path in paths for p in ([path] if path.is_file() else path.rglob("*.py"))]
    return sum(sum(1 for line in f.read_bytes().splitlines() if line.strip()) for f in files)


def lint(corpus: Path, tag: str, jobs: int) -> None:
    pooled: list[dict] = []
    lines: dict[str, int] = {}
    for package, patterns in TARGETS.items():
        folder = package_folder(corpus, package)
        if folder is None:
            print(f"{package}: not in {corpus}, skipped")
            continue
        targets = expand(folder, patterns)
        command = [sys.executable, "-m", "onnxlint", "check", "--isolated", "--no-cache", "--format", "json"]
        command += ["--exit-zero", "--jobs", str(jobs), *(str(t.relative_to(folder)) for t in targets)]
        process = subprocess.run(command, cwd=folder, capture_output=True, text=True, encoding="utf-8")
        if process.returncode != 0:
            sys.exit(f"{package}: exit {process.returncode}\n{process.stderr[-3000:]}")
        findings = json.loads(process.stdout)
        for finding in findings:
            finding["package"] = package
            finding["root"] = str(folder)
        pooled.extend(findings)
        lines[package] = count_lines(targets)
        print(f"{package}: {len(findings)} findings in {lines[package]:,} lines ({folder.name})", flush=True)
    pooled.sort(key=lambda f: (f["filename"], f["location"]["row"], f["code"]))
    output = corpus / f"findings-{tag}.json"
    output.write_text(json.dumps({"lines": lines, "findings": pooled}, indent=1), encoding="utf-8")
    print(f"{len(pooled)} findings -> {output}")


def draw(corpus: Path, tag: str, seeds: list[int], size: int) -> None:
    data = json.loads((corpus / f"findings-{tag}.json").read_text(encoding="utf-8"))
    pooled = data["findings"]
    for seed in seeds:
        sample = []
        for number, finding in enumerate(random.Random(seed).sample(pooled, min(size, len(pooled))), start=1):
            path = Path(finding["root"]) / finding["filename"]
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()
            row = finding["location"]["row"]
            first = max(1, row - CONTEXT)
            context = "\n".join(
                f"{n:5d}{'>' if n == row else ' '} {text[n - 1]}"
                for n in range(first, min(len(text), row + CONTEXT) + 1)
            )
            sample.append(
                {
                    "n": number,
                    "package": finding["package"],
                    "file": str(path),
                    "line": row,
                    "code": finding["code"],
                    "confidence": finding.get("confidence"),
                    "message": finding["message"],
                    "context": context,
                }
            )
        output = corpus / f"sample-{tag}-{seed}.json"
        output.write_text(json.dumps(sample, indent=1), encoding="utf-8")
        print(f"seed {seed}: {len(sample)} findings -> {output}")


def report(corpus: Path, tag: str, seeds: list[int]) -> None:
    judged = {seed: json.loads((corpus / f"judged-{tag}-{seed}.json").read_text(encoding="utf-8")) for seed in seeds}
    print("| sample | true | debatable | false | precision |\n|---|---:|---:|---:|---:|")
    pooled = [entry for entries in judged.values() for entry in entries]
    for label, entries in [*((f"seed {seed}", entries) for seed, entries in judged.items()), ("**all**", pooled)]:
        counts = Counter(entry["verdict"] for entry in entries)
        precision = 100 * counts["TRUE"] / len(entries) if entries else 0.0
        print(f"| {label} | {counts['TRUE']} | {counts['DEBATABLE']} | {counts['FALSE']} | {precision:.1f}% |")
    print("\n| code | n | true | debatable | false |\n|---|---:|---:|---:|---:|")
    by_code: dict[str, Counter[str]] = {}
    for entry in pooled:
        by_code.setdefault(entry["code"], Counter())[entry["verdict"]] += 1
    for code, counts in sorted(by_code.items()):
        print(f"| {code} | {sum(counts.values())} | {counts['TRUE']} | {counts['DEBATABLE']} | {counts['FALSE']} |")
    confidence = {}  # (seed, n) -> the finding's confidence, from the sample the judges read
    for seed in seeds:
        sample_path = corpus / f"sample-{tag}-{seed}.json"
        if sample_path.exists():
            for drawn in json.loads(sample_path.read_text(encoding="utf-8")):
                confidence[(seed, drawn["n"])] = drawn.get("confidence")
    by_level: dict[str, Counter[str]] = {}
    for seed, entries in judged.items():
        for entry in entries:
            by_level.setdefault(confidence.get((seed, entry["n"])) or "?", Counter())[entry["verdict"]] += 1
    print(
        "\nBy confidence: "
        + ", ".join(
            f"`{level}` {100 * counts['TRUE'] / sum(counts.values()):.1f}% ({counts['TRUE']} of {sum(counts.values())})"
            for level, counts in sorted(by_level.items())
        )
        + "."
    )
    classes = Counter(entry["class"].split(":")[0].strip() for entry in pooled if entry["verdict"] != "TRUE")
    print(
        "\nClasses of the false and debatable findings: "
        + ", ".join(f"{c} {n}" for c, n in classes.most_common())
        + "."
    )
    for seed, entries in judged.items():
        counts = Counter(entry["verdict"] for entry in entries)
        print(
            f"\n#### Sample seed {seed}: {counts['TRUE']} true, {counts['DEBATABLE']} debatable, {counts['FALSE']} false"
            f" — precision {counts['TRUE']}/{len(entries)} = {100 * counts['TRUE'] / len(entries):.1f}%\n"
        )
        judges = any("judges" in entry for entry in entries)  # merged from two or three judges (`merge`)
        print(
            "| # | file:line | code | source line | verdict |"
            + (" judges |" if judges else "")
            + " class | reason |\n|---:|---|---|---|---|"
            + ("---|" if judges else "")
            + "---|---|"
        )
        for entry in entries:
            source = entry.get("source", "").replace("|", "\\|")[:90]
            reason = entry.get("reason", "").replace("|", "\\|").replace("\n", " ")
            votes = f" {entry.get('judges', '-')} |" if judges else ""
            print(
                f"| {entry['n']} | `{entry['file']}:{entry['line']}` | {entry['code']} | `{source}` | "
                f"{entry['verdict']} |{votes} {entry.get('class', '-')} | {reason} |"
            )


def merge(corpus: Path, tag: str, seeds: list[int]) -> None:
    for seed in seeds:
        first, second = (
            json.loads((corpus / f"judged-{tag}-{seed}-{judge}.json").read_text(encoding="utf-8")) for judge in "ab"
        )
        if [e["n"] for e in first] != [e["n"] for e in second]:
            sys.exit(f"seed {seed}: the two judges' files do not list the same findings")
        differing = [a["n"] for a, b in zip(first, second) if a["verdict"] != b["verdict"]]
        third_path = corpus / f"judged-{tag}-{seed}-c.json"
        if differing and not third_path.exists():
            sample = json.loads((corpus / f"sample-{tag}-{seed}.json").read_text(encoding="utf-8"))
            output = corpus / f"sample-{tag}-{seed}-c.json"
            output.write_text(json.dumps([s for s in sample if s["n"] in differing], indent=1), encoding="utf-8")
            print(f"seed {seed}: the judges differ on {len(differing)} findings {differing} -> {output} (third judge)")
            continue
        third = {e["n"]: e for e in json.loads(third_path.read_text(encoding="utf-8"))} if differing else {}
        merged = []
        for a, b in zip(first, second):
            chosen = a if a["verdict"] == b["verdict"] else third[a["n"]]
            judges = f"a: {a['verdict']}, b: {b['verdict']}" + (
                f", c: {chosen['verdict']}" if a["verdict"] != b["verdict"] else ""
            )
            merged.append(
                {
                    **a,
                    "verdict": chosen["verdict"],
                    "class": chosen["class"],
                    "reason": chosen["reason"],
                    "judges": judges,
                }
            )
        output = corpus / f"judged-{tag}-{seed}.json"
        output.write_text(json.dumps(merged, indent=1), encoding="utf-8")
        agreed = len(first) - len(differing)
        print(f"seed {seed}: the judges agree on {agreed} of {len(first)}; merged -> {output}")


def _verdicts_on_record(corpus: Path) -> dict[tuple[str, int, str], dict]:
    """Each judged finding (file relative to the corpus, line, code) -> its verdict entry on record: the verdict of
    a sample judged by two judges (and a third where they differed) where one exists, else one judge's verdict of a
    sample, else one of the two judges'; among equals, the latest (the highest seed: seeds were drawn in increasing
    order)."""
    verdicts: dict[tuple[str, int, str], tuple[int, dict]] = {}  # finding -> (rank of its file, entry)
    # Seeds were drawn in increasing order across sessions: a later seed is a later verdict.
    for path in sorted(SAMPLES.glob("judged-*.json"), key=_seed_order):
        if path.stem.endswith(("-a", "-b", "-c")):
            rank = 0  # one of two judges
        elif path.with_name(f"{path.stem}-a.json").exists():
            rank = 2  # merged from two judges and a third
        else:
            rank = 1  # a sample one judge judged (the early rounds)
        for entry in json.loads(path.read_text(encoding="utf-8")):
            key = (entry["file"].removeprefix(f"{corpus}/"), entry["line"], entry["code"])  # relative to the corpus
            if rank >= verdicts.get(key, (-1, None))[0]:
                verdicts[key] = (rank, entry)
    return {key: entry for key, (_, entry) in verdicts.items()}


def _seed_order(path: Path) -> tuple[int, str]:
    """`judged-TAG-SEED[-a].json` by its seed, then its name."""
    parts = [part for part in path.stem.split("-") if part.isdigit()]
    return (int(parts[-1]) if parts else 0, path.name)


def _finding_key(finding: dict) -> tuple[str, int, str]:
    file = str(Path(finding["filename"]).relative_to(Path(finding["root"]).parent))
    return (file, finding["location"]["row"], finding["code"])


def _findings(corpus: Path, tag: str) -> list[dict]:
    return json.loads((corpus / f"findings-{tag}.json").read_text(encoding="utf-8"))["findings"]


def compare(corpus: Path, before: str, after: str) -> None:
    """What a change did to the default output, on the record: every finding of `findings-BEFORE.json` that left,
    every one of `findings-AFTER.json` that entered, and every one whose confidence changed, with its verdict on
    record (or `unjudged`), and the counts by verdict."""
    verdicts = _verdicts_on_record(corpus)
    old_findings, new_findings = _findings(corpus, before), _findings(corpus, after)
    old = {_finding_key(f): f for f in old_findings}  # by file, line and code
    new = {_finding_key(f): f for f in new_findings}
    moves: Counter[str] = Counter()
    for sign, keys, table in (("-", old.keys() - new.keys(), old), ("+", new.keys() - old.keys(), new)):
        for key in sorted(keys):
            verdict = verdicts.get(key, {}).get("verdict", "unjudged")
            moves[f"{'left' if sign == '-' else 'entered'} {verdict}"] += 1
            print(f"{sign} {key[2]} {table[key].get('confidence')} {verdict} {key[0]}:{key[1]}")
    for key in sorted(old.keys() & new.keys()):
        was, now = old[key].get("confidence"), new[key].get("confidence")
        if was != now:
            verdict = verdicts.get(key, {}).get("verdict", "unjudged")
            moves[f"{was} -> {now} {verdict}"] += 1
            print(f"~ {key[2]} {was} -> {now} {verdict} {key[0]}:{key[1]}")
    print(
        f"{len(old_findings)} -> {len(new_findings)} findings; "
        + (", ".join(f"{k}: {n}" for k, n in sorted(moves.items())) or "none moved")
    )


def record(corpus: Path, tag: str, listed: bool) -> None:
    verdicts = _verdicts_on_record(corpus)
    findings = _findings(corpus, tag)
    totals: dict[str, Counter[str]] = {}
    not_true = []
    for finding in findings:
        key = _finding_key(finding)
        entry = verdicts.get(key)
        verdict = entry["verdict"] if entry is not None else "unjudged"
        for group in ("all", f"`{finding['confidence']}`", finding["code"]):
            totals.setdefault(group, Counter())[verdict] += 1
        if entry is not None and verdict != "TRUE":
            not_true.append((finding["code"], verdict, key, entry.get("class", ""), entry.get("reason", "")))
    print(f"{len(findings)} findings in findings-{tag}.json; verdicts on record from {SAMPLES}")
    for group, counts in sorted(
        totals.items(), key=lambda item: (item[0] != "all", not item[0].startswith("`"), item[0])
    ):
        judged = sum(n for verdict, n in counts.items() if verdict != "unjudged")
        share = f"{100 * counts['TRUE'] / judged:.1f}%" if judged else "-"
        print(
            f"  {group:10s} {share:>6} true ({counts['TRUE']} of {judged} judged; {counts['DEBATABLE']} debatable, "
            f"{counts['FALSE']} false; {counts['unjudged']} unjudged)"
        )
    if listed:
        for code, verdict, (file, line, _), kind, reason in sorted(not_true):
            print(f"{code} {verdict} {file}:{line} | {kind} | {reason[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["lint", "draw", "merge", "report", "record", "compare"])
    parser.add_argument("tag")
    parser.add_argument("seeds", nargs="*", type=int)
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="record: also list every finding on record not true")
    parser.add_argument("--before", help="compare: the tag of the findings before the change (TAG: after it)")
    args = parser.parse_args()
    if args.command == "lint":
        lint(args.corpus, args.tag, args.jobs)
    elif args.command == "draw":
        draw(args.corpus, args.tag, args.seeds, args.size)
    elif args.command == "merge":
        merge(args.corpus, args.tag, args.seeds)
    elif args.command == "record":
        record(args.corpus, args.tag, args.list)
    elif args.command == "compare":
        if not args.before:
            parser.error("compare needs --before TAG")
        compare(args.corpus, args.before, args.tag)
    else:
        report(args.corpus, args.tag, args.seeds)


if __name__ == "__main__":
    main()
