"""Type-check the `onnxlint` package with mypy (`make lint` runs this).

The import name `onnxlint` maps two folders (`linter/` and `rules/`, pyproject.toml's
`package-dir`), which mypy cannot follow from the source tree: it names modules by folders.
This script lays out the package as Python sees it, a folder `onnxlint/` of links into the
checkout under `build/typecheck/`, runs mypy on it with the settings of pyproject.toml's
`[tool.mypy]`, and prints every path as the checkout's own (`linter/core/engine.py:12: ...`).

    python scripts/typecheck.py            # exit status: mypy's
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TREE = REPO / "build" / "typecheck"


def package_tree() -> Path:
    """build/typecheck/onnxlint/: a link to each entry of linter/, and rules/ as onnxlint/rules."""
    package = TREE / "onnxlint"
    if TREE.exists():
        shutil.rmtree(TREE)
    package.mkdir(parents=True)
    for entry in sorted((REPO / "linter").iterdir()):
        if entry.name == "__pycache__":
            continue
        (package / entry.name).symlink_to(entry)
    (package / "rules").symlink_to(REPO / "rules")
    return package


def checkout_path(line: str) -> str:
    """`onnxlint/rules/x.py:3: ...` -> `rules/x.py:3: ...`; `onnxlint/core/y.py` -> `linter/core/y.py`."""
    if line.startswith("onnxlint/rules/"):
        return "rules/" + line.removeprefix("onnxlint/rules/")
    if line.startswith("onnxlint/"):
        return "linter/" + line.removeprefix("onnxlint/")
    return line


def main(argv: list[str]) -> int:
    if argv:
        print(f"usage: python scripts/typecheck.py  (unknown: {' '.join(argv)})", file=sys.stderr)
        return 2
    package_tree()
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(REPO / "pyproject.toml"),
        "--cache-dir",
        str(REPO / "build" / "mypy-cache"),
        "-p",
        "onnxlint",
    ]
    environment = {**os.environ, "MYPYPATH": str(TREE)}
    result = subprocess.run(command, cwd=TREE, env=environment, capture_output=True, text=True)
    for line in (result.stdout + result.stderr).splitlines():
        print(checkout_path(line))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
