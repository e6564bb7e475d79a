"""The import direction between the packages of `linter/` (docs/architecture.md, "Layers").

Every module's imports are read with `ast` (nothing is imported), at any depth: a lazy import
inside a function, or one under `if TYPE_CHECKING:`, is a dependency all the same. The rules
(`rules/`) import only `onnxlint.rules.api` and their own `_` helpers: tests/static/test_rules.py
checks that.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ..conftest import REPO

PACKAGE = REPO / "linter"  # the package `onnxlint`

LOWER = ("knowledge", "analysis", "core")
# package -> the packages of onnxlint it may import (its own included). The root (`onnxlint/__init__.py`,
# `__main__.py`: the public entry points) may import anything.
ALLOWED: dict[str, set[str]] = {
    "knowledge": {"knowledge"},
    "analysis": {"knowledge", "analysis"},
    "core": {"knowledge", "analysis", "core"},
    "graph": {*LOWER, "graph"},
    "verify": {*LOWER, "graph", "verify"},
    "frontends": {*LOWER, "graph", "verify", "frontends", "docs", "rules", "onnxlint"},
    "measure": {*LOWER, "graph", "measure"},
    "docs": {*LOWER, "docs"},
    "testing": {*LOWER, "testing"},
}

# (importing module, imported module) -> why it is allowed for now. Each entry must still occur.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # The graph and verify layers' command-line halves use the runner's path helpers and outcome type.
    # The fix is a move with no behaviour change: `FileOutcome`, `display_path`, `printable` and
    # `relative_to_root` into core (and `ProjectConfig` beside `LintSettings`), then these imports
    # follow; it touches linter/graph and linter/verify, which other work owns in this step.
    ("onnxlint.graph.engine", "onnxlint.frontends.runner"): "relative_to_root: see above",
    ("onnxlint.graph.lint", "onnxlint.frontends.runner"): "FileOutcome, display_path: see above",
    ("onnxlint.verify.command", "onnxlint.frontends.config"): "ProjectConfig: see above",
    ("onnxlint.verify.command", "onnxlint.frontends.runner"): "FileOutcome, display_path: see above",
    ("onnxlint.verify.command", "onnxlint.frontends.reporters"): "the text reporter renders the run: see above",
    ("onnxlint.verify.command", "onnxlint.frontends.reporters.text"): "the text reporter renders the run: see above",
    ("onnxlint.verify.fixverify", "onnxlint.frontends.runner"): "display_path, relative_to_root: see above",
    ("onnxlint.verify.pipeline", "onnxlint.frontends.runner"): "display_path, relative_to_root: see above",
}

# The lower layers name no higher package in a string either (an `importlib.import_module` would
# hide the dependency from the test above), except where the registry finds the rules and the graph
# checks by their package's name (`registry.discover`): a list of plugins, not an import of their code.
# The same goes for a rule's measured evidence, which `Rule` loads on first access from its module there.
NAMED_PACKAGES = {
    "onnxlint.core.registry": {"onnxlint.rules", "onnxlint.graph.checks"},
    "onnxlint.core.rule": {"onnxlint.rules._evidence"},
}
_HIGHER_PACKAGE = re.compile(r"onnxlint\.(rules|graph|verify|frontends|measure|docs|testing)(\.\w+)*")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["onnxlint", *parts])


def _imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, imported module) for every import of an onnxlint module in `module`'s source."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target == "onnxlint":  # `from onnxlint import rules`: a module, or a name of the root
                found += [(node.lineno, _root_name(alias.name)) for alias in node.names]
            else:
                found.append((node.lineno, target))
    return [(line, name) for line, name in found if name == "onnxlint" or name.startswith("onnxlint.")]


def _root_name(name: str) -> str:
    """`onnxlint.<name>` when it is a module or package of onnxlint (rules/ is `onnxlint.rules`), else the root."""
    if name == "rules" or (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file():
        return f"onnxlint.{name}"
    return "onnxlint"


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "onnxlint"


def _modules() -> list[tuple[Path, str]]:
    modules = [(path, _module_name(path)) for path in sorted(PACKAGE.rglob("*.py"))]
    assert len(modules) > 50, "the package was not found"
    return modules


def _top_level(module: str) -> bool:
    return module in ("onnxlint", "onnxlint.__main__")


def test_every_package_has_a_layer():
    packages = {_layer(module) for _, module in _modules() if not _top_level(module)}
    assert packages <= set(ALLOWED), f"give these packages a layer in ALLOWED: {sorted(packages - set(ALLOWED))}"


def test_imports_go_down_the_layers():
    offenders = []
    seen_exceptions = set()
    for path, module in _modules():
        if _top_level(module):
            continue
        allowed = ALLOWED[_layer(module)]
        source = path.read_text(encoding="utf-8")
        for line, imported in _imports(source, module, path.name == "__init__.py"):
            if _layer(imported) in allowed:
                continue
            if (module, imported) in EXCEPTIONS:
                seen_exceptions.add((module, imported))
                continue
            offenders.append(f"{path.relative_to(REPO)}:{line} imports {imported}")
    assert not offenders, "imports against the layering (docs/architecture.md):\n" + "\n".join(offenders)
    stale = set(EXCEPTIONS) - seen_exceptions
    assert not stale, f"these exceptions no longer occur: remove them from EXCEPTIONS: {sorted(stale)}"


def test_the_lower_layers_name_no_higher_package():
    offenders = []
    for path, module in _modules():
        if _layer(module) not in LOWER:
            continue
        named = NAMED_PACKAGES.get(module, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _HIGHER_PACKAGE.fullmatch(node.value) and node.value not in named:
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} names {node.value}")
    assert not offenders, "\n".join(offenders)


def test_the_layering_test_reads_relative_and_lazy_imports():
    """The reader itself: relative imports, one inside a function, and one under TYPE_CHECKING."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "from ..graph import capture\n"
        "from onnxlint import rules\n"
        "if TYPE_CHECKING:\n"
        "    from onnxlint.verify.report import VerifyReport\n"
        "def later():\n"
        "    import onnxlint.frontends.cli\n"
    )
    found = sorted(name for _, name in _imports(source, "onnxlint.core.example"))
    assert found == [
        "onnxlint.core",
        "onnxlint.frontends.cli",
        "onnxlint.graph",
        "onnxlint.rules",
        "onnxlint.verify.report",
    ]
