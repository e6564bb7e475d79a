"""Fix audit: run `onnxlint --fix` (safe fixes only, default settings) on copies of real packages and list every fix.

    .venv/bin/python scripts/fix_audit.py --label after                 # all packages of /work/corpus
    .venv/bin/python scripts/fix_audit.py --label after --sample 40 --seed 7
    .venv/bin/python scripts/fix_audit.py --label after --packages timm,monai
    PYTHONPATH=/tmp/before .venv/bin/python scripts/fix_audit.py --label before   # another onnxlint tree

For each package of the corpus (`--corpus`, default /work/corpus: unpacked wheels, one folder per
`name-version`, see its VERSIONS.txt) the package is copied to a temporary folder, then:

1. `onnxlint check --format json --confidence low --isolated --no-cache` counts the findings and
   the fixes they carry, per rule and applicability (the *fix coverage*);
2. `onnxlint check --fix --isolated --no-cache` fixes the copy (safe fixes only, default rules);
3. every changed file must still compile, and must hold what `fix_source` computes in memory;
   each applied fix is attributed to its finding by replaying `fix_source`'s rounds (round k's
   edits against a lint of round k's text), and listed with its file, line, code and the lines
   before and after that fix alone;
4. a second `--fix` run must change nothing.

Writes `<out>/<label>.json` (the fixes, coverage, failures) and `<out>/<label>.md` (the list), and,
with `--sample N`, a seeded random sample of N applied fixes with the code around each
(`<label>-sample-<seed>.json`) for review. Exits 1 on any integrity failure.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

from onnxlint.core.engine import lint_source
from onnxlint.core.findings import Edit
from onnxlint.core.fixer import fix_source, is_applicable
from onnxlint.core.source import apply_edits, decode_source
from onnxlint.frontends.config import ProjectConfig, build_settings
from onnxlint.frontends.export_sites import export_sites_for
from onnxlint.frontends.files import Excluder, discover
from onnxlint.frontends.runner import display_path, relative_to_root, with_export_sites

REPO = Path(__file__).resolve().parent.parent
# (folder prefix in the corpus, what to lint inside it)
PACKAGES = {
    "transformers": "transformers/models",
    "diffusers": "diffusers",
    "timm": "timm",
    "torchvision": "torchvision",
    "monai": "monai",
    "kornia": "kornia",
    "segmentation_models_pytorch": "segmentation_models_pytorch",
}
LINT_ARGS = ["--isolated", "--no-cache", "--exit-zero"]
CONTEXT = 12  # lines of code around a sampled fix


def onnxlint(*args: str, cwd: Path, jobs: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onnxlint", "check", *LINT_ARGS, "--jobs", str(jobs), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )


def corpus_folder(corpus: Path, package: str) -> Path | None:
    for folder in sorted(corpus.iterdir()):
        name, _, version = folder.name.rpartition("-")
        if folder.is_dir() and name == package and version[:1].isdigit():
            return folder
    return None


def snapshot(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*.py"))}


def coverage(root: Path, target: str, jobs: int) -> tuple[dict[str, Counter[str]], list[str]]:
    """Per rule: findings, and how many carry a safe / unsafe / display-only fix (at --confidence low)."""
    process = onnxlint("--format", "json", "--confidence", "low", target, cwd=root, jobs=jobs)
    if process.returncode != 0 or "Traceback" in process.stderr:
        return {}, [f"<json run>: exit {process.returncode}\n{process.stderr[-2000:]}"]
    table: dict[str, Counter[str]] = {}
    for entry in json.loads(process.stdout):
        counts = table.setdefault(entry["code"], Counter())
        counts["findings"] += 1
        counts[entry["fix"]["applicability"] if entry.get("fix") else "none"] += 1
    return table, []


def applied_fixes(path: Path, root: Path, original: str, settings, relative: str) -> tuple[list[dict], str]:
    """Each fix `fix_source` applies to `original`, attributed by replaying its rounds."""
    result = fix_source(original, str(path), settings, relative_path=relative)
    fixes: list[dict] = []
    text = original
    for number, edits in enumerate(result.rounds, 1):
        wanted = set(edits)
        findings = lint_source(text, str(path), settings, relative_path=relative).findings
        lines = text.splitlines()
        for finding in findings:
            if not is_applicable(finding.fix, False) or not set(finding.fix.edits) <= wanted:  # type: ignore[union-attr]
                continue
            own: list[Edit] = list(finding.fix.edits)  # type: ignore[union-attr]
            wanted -= set(own)
            before, after = edit_lines(text, lines, own)
            fixes.append(
                {
                    "file": path.relative_to(root).as_posix(),
                    "line": finding.start.row,
                    "code": finding.code,
                    "round": number,
                    "title": finding.fix.title,  # type: ignore[union-attr]
                    "message": finding.message,
                    "before": before,
                    "after": after,
                    "context": lines[max(0, finding.start.row - 1 - CONTEXT) : finding.end.row + CONTEXT],
                }
            )
        if wanted:
            fixes.append({"file": path.relative_to(root).as_posix(), "line": 0, "code": "?", "round": number,
                          "unattributed_edits": [str(edit) for edit in wanted]})  # fmt: skip
        text = apply_edits(text, list(edits))
    return fixes, result.text


def edit_lines(text: str, lines: list[str], edits: list[Edit]) -> tuple[list[str], list[str]]:
    """The lines each edit touches, before and after that edit alone; a long insertion is summarised."""
    before: list[str] = []
    after: list[str] = []
    for edit in sorted(edits, key=lambda edit: (edit.start.row, edit.start.column)):
        inserted = edit.content.count("\n")
        if edit.start == edit.end and inserted > 2:  # an inserted import block or helper function
            head = next((line for line in edit.content.splitlines() if line.strip()), "")
            after.append(f"+ {inserted} lines inserted at line {edit.start.row}: {head.strip()} ...")
            continue
        fixed = apply_edits(text, [edit]).splitlines()
        grown = len(fixed) - len(lines)
        before.extend(lines[edit.start.row - 1 : edit.end.row])
        after.extend(fixed[edit.start.row - 1 : edit.end.row + grown])
    return before, after


def audit_package(package: str, source: Path, workdir: Path, jobs: int) -> dict:
    root = workdir / source.name
    shutil.copytree(source, root)
    target = PACKAGES[package]
    before = snapshot(root)
    table, failures = coverage(root, target, jobs)

    process = onnxlint("--fix", target, cwd=root, jobs=jobs)
    if process.returncode != 0 or "Traceback" in process.stderr:
        failures.append(f"<fix run>: exit {process.returncode}\n{process.stderr[-2000:]}")
    after = snapshot(root)
    changed = sorted(name for name in before if after.get(name) != before[name])

    # The in-memory replay, with the settings the CLI uses (project root = the copy; export sites included).
    settings = build_settings(ProjectConfig(path=root / "pyproject.toml"))
    files = list(discover([root / target], Excluder((), root)))
    cwd = Path.cwd()
    os.chdir(root)
    try:
        sites = export_sites_for(files, settings, display_path)
    finally:
        os.chdir(cwd)
    fixes: list[dict] = []
    for name in changed:
        path = root / name
        original, _, _ = decode_source(before[name])
        fixed, _, _ = decode_source(after[name])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(fixed, name, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
                compile(fixed, name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            failures.append(f"{name}: does not compile after fixing: {error}")
        file_settings = with_export_sites(settings, sites.get(path, ()))
        found, in_memory = applied_fixes(path, root, original, file_settings, relative_to_root(path, settings))
        if in_memory != fixed:
            failures.append(f"{name}: the file on disk differs from what fix_source computes")
        fixes.extend(found)

    second = onnxlint("--fix", target, cwd=root, jobs=jobs)
    if second.returncode != 0:
        failures.append(f"<second fix run>: exit {second.returncode}\n{second.stderr[-2000:]}")
    again = snapshot(root)
    failures.extend(f"{name}: a second --fix run changed it again" for name in after if again.get(name) != after[name])
    for fix in fixes:
        fix["package"] = package
    return {
        "package": package,
        "version": source.name.rpartition("-")[2],
        "target": target,
        "files": len(files),
        "changed_files": len(changed),
        "fixes": fixes,
        "coverage": {code: dict(counts) for code, counts in sorted(table.items())},
        "failures": failures,
    }


def markdown(report: dict) -> str:
    out = [f"# Fix audit: {report['label']}", "", f"`{report['command']}`", ""]
    out += ["| package | version | files | changed files | fixes | by rule |", "|---|---|---|---|---|---|"]
    for package in report["packages"]:
        rules = Counter(fix["code"] for fix in package["fixes"])
        by_rule = ", ".join(f"{code} {n}" for code, n in sorted(rules.items())) or "-"
        out.append(
            f"| {package['package']} | {package['version']} | {package['files']} | {package['changed_files']} "
            f"| {len(package['fixes'])} | {by_rule} |"
        )
    out += ["", f"Integrity failures: {sum(len(p['failures']) for p in report['packages'])}", ""]
    for package in report["packages"]:
        out += [f"## {package['package']}", ""]
        for failure in package["failures"]:
            out.append(f"- **failure**: {failure}")
        for fix in package["fixes"]:
            before = " / ".join(line.strip() for line in fix.get("before", []))
            after = " / ".join(line.strip() for line in fix.get("after", []))
            out.append(f"- `{fix['file']}:{fix['line']}` {fix['code']}: `{before}` → `{after}`")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--packages", default=",".join(PACKAGES), help="comma-separated (default: all)")
    parser.add_argument("--label", default="audit", help="names the output files")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "fix_audit")
    parser.add_argument("--sample", type=int, default=0, help="draw this many applied fixes for review")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    import onnxlint

    report: dict = {
        "label": args.label,
        "command": "onnxlint check --fix --isolated --no-cache --exit-zero --jobs N TARGET (per package, on a copy)",
        "onnxlint": str(Path(onnxlint.__file__).parent),
        "packages": [],
    }
    workdir = Path(tempfile.mkdtemp(prefix="onnxlint-fix-audit-"))
    try:
        for package in args.packages.split(","):
            source = corpus_folder(args.corpus, package)
            if source is None:
                print(f"{package}: not in {args.corpus}, skipped", flush=True)
                continue
            result = audit_package(package, source, workdir, args.jobs)
            report["packages"].append(result)
            print(
                f"{package}: {len(result['fixes'])} fixes in {result['changed_files']} files, "
                f"{len(result['failures'])} failures ({time.perf_counter() - started:.0f}s)",
                flush=True,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.label}.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (args.out / f"{args.label}.md").write_text(markdown(report), encoding="utf-8")
    every = [fix for package in report["packages"] for fix in package["fixes"]]
    if args.sample:
        drawn = random.Random(args.seed).sample(every, min(args.sample, len(every)))
        (args.out / f"{args.label}-sample-{args.seed}.json").write_text(
            json.dumps({"seed": args.seed, "of": len(every), "fixes": drawn}, indent=1) + "\n", encoding="utf-8"
        )
    failures = [failure for package in report["packages"] for failure in package["failures"]]
    print(
        f"fixes: {len(every)} ({', '.join(f'{c} {n}' for c, n in sorted(Counter(f['code'] for f in every).items()))})"
    )
    print(f"integrity failures: {len(failures)}")
    for failure in failures:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
