"""What each rule costs: lint a set of model files with one rule at a time, over the engine alone.

    .venv/bin/python benchmarks/rule_costs.py                  # CPU time, best of --repeat, in-process
    .venv/bin/python benchmarks/rule_costs.py --valgrind       # instruction counts (deterministic; slow)

The engine alone (parse, one traversal, the semantic model's set-up, with a rule that does nothing)
is 100%; each row is what one rule adds on its own. Rules share the semantic model's lazy results
(kinds, reachability), so one rule alone can pay for inference that the whole catalogue pays once:
the "without" column (valgrind only) is what removing the rule from the whole catalogue saves.
Files: timm's and torchvision's model files (benchmarks/corpus.py), every `--every`-th one.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import fetch  # noqa: E402

# Lints the files listed in argv[1] with the rules named in argv[2] ("none", "all", "ONX101", "-ONX101").
WORKER = """
import sys
from onnxlint.core.engine import lint_source
from onnxlint.core.registry import all_rules
from onnxlint.core.rule import Rule
from onnxlint.core.settings import LintSettings, Selection


class Nothing(Rule):
    code = "ONX999"
    name = "nothing"
    message = "nothing"
    trigger_names = ()

    def visit_Module(self, node):
        pass


rules = all_rules()
which = sys.argv[2]
if which == "imports":
    raise SystemExit(0)
if which == "none":
    chosen = [Nothing]
elif which == "all":
    chosen = list(rules.values())
elif which.startswith("-"):
    chosen = [rule for code, rule in rules.items() if code != which[1:]]
else:
    chosen = [Nothing, rules[which]]
settings = LintSettings(selection=Selection(select=("ALL",)))
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    lint_source(open(path, encoding="utf-8").read(), path, settings, rules=chosen)
"""


VALGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")


def instructions(listing: Path, which: str) -> int:
    result = subprocess.run(
        [*VALGRIND, sys.executable, "-c", WORKER, str(listing), which],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    assert match, result.stderr[-1000:]
    return int(match.group(1).replace(",", ""))


def cpu_seconds(files: list[tuple[str, str]], rules: list, settings, repeat: int) -> float:
    from onnxlint.core.engine import lint_source

    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for path, text in files:
            lint_source(text, path, settings, rules=rules)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=int, default=4, help="take every n-th model file (default 4)")
    parser.add_argument("--repeat", type=int, default=3, help="CPU mode: best of this many passes")
    parser.add_argument("--valgrind", action="store_true", help="count instructions with valgrind instead")
    args = parser.parse_args()

    paths = sorted((fetch("timm") / "models").rglob("*.py")) + sorted((fetch("torchvision") / "models").rglob("*.py"))
    paths = paths[:: args.every]
    from onnxlint.core.registry import all_rules

    rules = all_rules()
    lines = sum(p.read_bytes().count(b"\n") for p in paths)
    print(
        f"{len(paths)} model files, {lines} lines, {len(rules)} rules; unit: {'instructions' if args.valgrind else 'CPU s'}"
    )
    rows: list[tuple[float, str, float | None]] = []
    if args.valgrind:
        if shutil.which("valgrind") is None:
            raise SystemExit("valgrind is not installed")
        listing = Path(__file__).resolve().parent / ".cache" / "rule_costs_files.txt"
        listing.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text("\n".join(str(p) for p in paths) + "\n", encoding="utf-8")
        imports = instructions(listing, "imports")
        alone = instructions(listing, "none")
        everything = instructions(listing, "all")
        engine = alone - imports
        for code in rules:
            rows.append(
                (
                    (instructions(listing, code) - alone) / engine,
                    code,
                    (everything - instructions(listing, f"-{code}")) / engine,
                )
            )
        total = (everything - alone) / engine
    else:
        from onnxlint.core.rule import Rule
        from onnxlint.core.settings import LintSettings, Selection

        class Nothing(Rule):
            code = "ONX999"
            name = "nothing"
            message = "nothing"
            trigger_names = ()

            def visit_Module(self, node) -> None:
                pass

        settings = LintSettings(selection=Selection(select=("ALL",)))
        files = [(str(p), p.read_text(encoding="utf-8")) for p in paths]
        cpu_seconds(files[:3], list(rules.values()), settings, 1)  # warm up
        engine = cpu_seconds(files, [Nothing], settings, args.repeat)
        total = (cpu_seconds(files, list(rules.values()), settings, args.repeat) - engine) / engine
        for code, rule in rules.items():
            rows.append(((cpu_seconds(files, [Nothing, rule], settings, args.repeat) - engine) / engine, code, None))
    print(f"{'rule':50} {'alone':>8} {'without':>8}")
    for share, code, saved in sorted(rows, reverse=True):
        without = f"{100 * saved:7.1f}%" if saved is not None else ""
        print(f"{code} {rules[code].name:43} {100 * share:7.1f}% {without:>8}")
    print(f"{'whole catalogue':50} {100 * total:7.1f}%   (100% = the engine with no rule: parse, walk, set-up)")


if __name__ == "__main__":
    main()
