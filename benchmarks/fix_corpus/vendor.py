"""Write the fix corpus's files: excerpts of the installed packages, verbatim, with a `Model` wrapper.

    /work/venv-t2141/bin/python benchmarks/fix_corpus/vendor.py            # every entry of corpus.py
    /work/venv-t2141/bin/python benchmarks/fix_corpus/vendor.py NAME ...

For each entry: the source file's leading comment block (its license header), a note naming the
package, version and path, the file's module-level imports (relative ones made absolute), the
named classes and functions and every module-level definition they use (transitively), in the
file's order and byte for byte, then the entry's wrapper. Nothing is downloaded: the sources are
the packages installed in this interpreter's site-packages.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ENTRIES, Entry

HERE = Path(__file__).resolve().parent
MODELS = HERE / "models"
SITE = Path(sysconfig.get_paths()["purelib"])


def _header(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            lines.append(line)
        else:
            break
    return lines


def _absolute(node: ast.ImportFrom, module: str) -> str:
    package = module.rsplit(".", node.level)[0]
    target = f"{package}.{node.module}" if node.module else package
    names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
    return f"from {target} import {names}"


def _defined(statement: ast.stmt) -> set[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def vendor(entry: Entry) -> Path:
    source_path = SITE / entry.path
    text = source_path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    module = entry.path.removesuffix(".py").replace("/", ".")
    lines = text.splitlines()
    imports: list[str] = []
    definitions: dict[str, ast.stmt] = {}
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.level:
            imports.append(_absolute(statement, module))
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            imports.append(ast.get_source_segment(text, statement) or "")
        for name in _defined(statement):
            definitions.setdefault(name, statement)
    wanted: set[int] = set()
    pending = list(entry.names)
    while pending:
        name = pending.pop()
        statement = definitions.get(name)
        if statement is None or id(statement) in wanted:
            continue
        wanted.add(id(statement))
        pending += [n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and n.id in definitions]
    missing = [n for n in entry.names if n not in definitions]
    if missing:
        raise SystemExit(f"{entry.name}: {', '.join(missing)} not found in {entry.path}")
    body: list[str] = []
    for statement in tree.body:
        if id(statement) in wanted:
            start = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])])
            body.append("\n".join(lines[start - 1 : statement.end_lineno]))
    version = importlib.metadata.version(entry.package)
    metadata = importlib.metadata.metadata(entry.package)
    license_name = metadata.get("License-Expression") or metadata.get("License") or "see the package"
    header = _header(text)
    docstring = ast.get_docstring(tree, clean=False)
    if not any("icense" in line or "opyright" in line for line in header) and docstring and "opyright" in docstring:
        header = [f"# {line}".rstrip() for line in docstring.strip("\n").splitlines()]  # the file's own notice
    note = [
        "#",
        f"# The package's license: {license_name.splitlines()[0][:100]}.",
        f"# onnxlint fix corpus: an excerpt of {entry.package} {version}, {entry.path}",
        f"# ({', '.join(entry.names)} and the module-level definitions they use), copied verbatim by",
        "# benchmarks/fix_corpus/vendor.py; relative imports made absolute; the `Model` wrapper at the",
        "# end is not part of the package. The package's code is not ours to lint or reformat:",
        "# ruff: noqa",
        "# fmt: off",
    ]
    out = "\n".join([*header, *note, "", *imports, "", "", "\n\n\n".join(body), entry.wrapper.rstrip("\n"), ""])
    target = MODELS / f"{entry.name}.py"
    target.write_text(out, encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    chosen = [e for e in ENTRIES if not argv or e.name in argv]
    for entry in chosen:
        print(vendor(entry).relative_to(HERE.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
