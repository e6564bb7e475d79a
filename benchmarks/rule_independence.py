"""Whether a rule's findings depend on which other rules run (they should not).

    python benchmarks/rule_independence.py [--corpus /work/corpus] [--codes ONX302,ONX203,ONX201]

Lints every Python file of the corpus's transformers models, kornia and diffusers models twice: with every
default rule, and with only the given codes (`--select`), at `--confidence low`, and prints each file where the
given codes' findings differ. The value model computes lazily and caches what it computed; a result computed
inside a call cycle and kept would make findings depend on the order in which rules ask (issue 14, fifth
session: a return read while it was being computed was not marked partial, and ONX601 asking first hid two
ONX302 findings in Phi-4-multimodal). Prints the count; nothing is imported from the corpus.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from onnxlint.core.engine import lint_source
from onnxlint.core.settings import LintSettings, Selection

PATTERNS = (
    "transformers-*/transformers/models/*/modeling_*.py",
    "kornia-*/kornia/**/*.py",
    "diffusers-*/diffusers/models/**/*.py",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--codes", default="ONX302,ONX203,ONX201")
    args = parser.parse_args()
    codes = tuple(code.strip() for code in args.codes.split(",") if code.strip())
    files = sorted({path for pattern in PATTERNS for path in args.corpus.glob(pattern)})
    if not files:
        print(f"no files under {args.corpus}", file=sys.stderr)
        return 2
    every = LintSettings(confidence="low")
    alone = LintSettings(confidence="low", selection=Selection(select=codes))
    differing = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        full = {
            (f.code, f.start.row, f.confidence.value)
            for f in lint_source(text, str(path), every).findings
            if f.code in codes
        }
        only = {(f.code, f.start.row, f.confidence.value) for f in lint_source(text, str(path), alone).findings}
        if full != only:
            differing += 1
            relative = path.relative_to(args.corpus)
            print(
                f"{relative}: with every rule only {sorted(full - only)}; with {','.join(codes)} only {sorted(only - full)}"
            )
    print(f"{len(files)} files, {differing} whose {','.join(codes)} findings depend on the other rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
