"""Lint time against file size: does `lint_source` stay linear on one very large module?

    .venv/bin/python benchmarks/large_file_speed.py                   # 0.5, 1, 2 and 4 MB
    .venv/bin/python benchmarks/large_file_speed.py --content models  # model code only
    .venv/bin/python benchmarks/large_file_speed.py --sizes 1 --keep   # keep the generated file

Each file is made of copies of fixtures/hazards/*.py (the broken-syntax one left out), one after
the other, with every top-level class and function renamed per copy (`Gated` -> `Gated_17`), so
the module stays valid, the findings grow with the size and nothing is shared between copies.
Every size is linted with `onnxlint.core.engine.lint_source` (default settings) in a fresh process,
after a small warm-up lint (the rules load then); the table gives the wall time of the one large
lint, its findings, its findings per copy (constant when nothing is lost), the time per MB
(constant when linear) and the process's peak RSS.

`--content models` builds the file from one small model class instead (two branches on tensor
values, an `.item()`, no export call, no `is_` anywhere): more findings per byte, each with a fix.

The CLI refuses files over 4 MiB (`--max-file-size`) and so does the language server, so 4 MB is
the largest size that matters in practice.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "hazards"
MB = 1_000_000

CHILD = """
import json, resource, sys, time
from pathlib import Path
from onnxlint.core.engine import lint_source
from onnxlint.core.settings import LintSettings

path = Path(sys.argv[1])
warm = Path(sys.argv[2]).read_text(encoding="utf-8")
lint_source(warm, "warm_up.py", LintSettings())  # loads the rules
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
text = path.read_text(encoding="utf-8")
start = time.perf_counter()
result = lint_source(text, str(path), LintSettings())
seconds = time.perf_counter() - start
codes = {}
for finding in result.findings:
    codes[finding.code] = codes.get(finding.code, 0) + 1
print(json.dumps({
    "seconds": seconds,
    "findings": len(result.findings),
    "codes": codes,
    "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "rss_before_kib": rss_before,
}))
"""


def _top_level_names(tree: ast.Module) -> list[str]:
    return [
        node.name
        for node in tree.body
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("__")
    ]


def copies() -> list[tuple[str, list[str]]]:
    """(text, names to rename) of each fixture, `from __future__` imports removed."""
    found = []
    for path in sorted(FIXTURES.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue  # broken_syntax.py: one ONX000 for the whole file, and nothing else linted
        text = re.sub(r"^from __future__ import .*\n", "", text, flags=re.MULTILINE)
        found.append((text, _top_level_names(tree)))
    return found


# `--content models`: model code only, many findings per byte (each with a fix to build), no
# export call and no `is_` anywhere in the text (no export guard can apply: the guard search scans
# the whole text for nothing).
MODEL_BLOCK = """

class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        y = self.proj(x)
        if y.sum() > 0:
            y = y * 2
        scale = y.abs().max().item()
        gate = torch.sigmoid(y) if y.mean() > 0 else y
        return gate / scale
"""


def generate(size: int, content: str = "fixtures") -> tuple[str, int]:
    """A module of about `size` bytes (UTF-8) and how many copies of the fixture set it holds."""
    sources = copies() if content == "fixtures" else [("import torch\nfrom torch import nn\n" + MODEL_BLOCK, ["Block"])]
    parts = ["from __future__ import annotations\n\n"]
    total = len(parts[0])
    copy = 0
    while total < size:
        copy += 1
        for text, names in sources:
            if names:
                pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
                text = pattern.sub(lambda m, copy=copy: f"{m.group(1)}_{copy}", text)
            block = f"\n\n# -- copy {copy} " + "-" * 60 + "\n" + text
            parts.append(block)
            total += len(block.encode("utf-8"))
    return "".join(parts), copy


def measure(size_mb: float, folder: Path, keep: bool, content: str = "fixtures") -> dict[str, object]:
    text, count = generate(int(size_mb * MB), content)
    path = folder / f"large_{size_mb:g}mb.py"
    path.write_text(text, encoding="utf-8")
    warm = FIXTURES / "control_flow.py"
    output = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(warm)], check=True, capture_output=True, text=True
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result.update(
        size_mb=size_mb, bytes=len(text.encode("utf-8")), lines=text.count("\n"), copies=count, path=str(path)
    )
    if not keep:
        path.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.5, 1, 2, 4], help="sizes in MB (10^6 bytes)")
    parser.add_argument(
        "--content",
        choices=["fixtures", "models"],
        default="fixtures",
        help="fixtures: copies of fixtures/hazards/*.py (the default); models: model code only, no `is_` in it",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated files (their paths are printed)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="onnxlint-large-"))
    print(
        f"{'size':>6} {'lines':>8} {'copies':>6} {'seconds':>8} {'s/MB':>6} {'findings':>8} {'/copy':>6} {'peak RSS':>9}"
    )
    results = []
    for size in args.sizes:
        result = measure(size, folder, args.keep, args.content)
        results.append(result)
        seconds = float(result["seconds"])  # type: ignore[arg-type]
        mb = int(result["bytes"]) / MB  # type: ignore[call-overload]
        per_copy = int(result["findings"]) / int(result["copies"])  # type: ignore[call-overload]
        print(
            f"{size:>5g}M {result['lines']:>8} {result['copies']:>6} {seconds:>8.2f}"
            f" {seconds / mb:>6.2f} {result['findings']:>8} {per_copy:>6.1f}"
            f" {int(result['peak_rss_kib']) / 1024:>7.0f}MiB",  # type: ignore[call-overload]
            flush=True,
        )
    if args.keep:
        print("kept:", *(r["path"] for r in results), sep="\n  ")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
