"""The incremental re-lint (`lint_source_incremental`, what the language server runs on each edit)
finds exactly what a full `lint_source` of the new text finds, after every edit.

Property-style: real files (the fixtures, the rules' own examples, and a few of timm's model files
when benchmarks/.cache holds them; nothing is downloaded) are edited the way an editor edits them,
at random (`random.Random(seed)`): characters and lines typed or deleted in function bodies,
imports edited, decorators added, syntax errors made and fixed, noqa comments edited, export calls
added at module level and removed, helpers added and called. After each edit the incremental
result is compared with a full lint, finding by finding and field by field (fixes included).
"""

from __future__ import annotations

import ast
import random
import warnings
import zlib
from dataclasses import fields
from pathlib import Path

import pytest

from onnxlint import lint_source
from onnxlint.core.engine import LintResult
from onnxlint.core.findings import Finding
from onnxlint.core.incremental import IncrementalLint, lint_source_incremental
from onnxlint.core.registry import all_rules
from onnxlint.core.settings import LintSettings, Selection

REPO = Path(__file__).resolve().parents[2]
FIXTURES = sorted((REPO / "fixtures").rglob("*.py"))
TIMM = REPO / "benchmarks" / ".cache" / "timm-1.0.31" / "timm" / "models"
TIMM_FILES = ["vision_transformer.py", "byobnet.py", "resnet.py", "mobilevit.py", "rexnet.py", "efficientvit_mit.py"]
SELECT_ALL = LintSettings(selection=Selection(select=("ALL",)))
# What the editor publishes: every finding, the low ones as hints (frontends/server.py, EDITOR_CONFIDENCE).
SELECT_ALL_EDITOR = LintSettings(selection=Selection(select=("ALL",)), confidence="low")
DEFAULT = LintSettings()


# -- comparing ---------------------------------------------------------------------------------------


def finding_fields(finding: Finding) -> tuple[object, ...]:
    """Every field, `extra` (not part of ==) included."""
    return tuple(getattr(finding, f.name) for f in fields(finding))


def assert_same(incremental: LintResult, full: LintResult, where: str) -> None:
    assert [finding_fields(f) for f in incremental.findings] == [finding_fields(f) for f in full.findings], where
    assert (incremental.parsed, incremental.skipped, incremental.crashed_rules, incremental.suppressed) == (
        full.parsed,
        full.skipped,
        full.crashed_rules,
        full.suppressed,
    ), where


# -- edits an editor makes ---------------------------------------------------------------------------


BODY_LINES = (
    "pass",
    "y = x.item()",
    "n = int(x.shape[0])",
    "x = x + 1",
    "x = torch.nonzero(x)",
    "if x.sum() > 0:\n{indent}    x = x * 2",
    "for i in range(x.size(0)):\n{indent}    x = x + i",
    "z = len(x)",
    "x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)",
    "return x",
    "# a comment",
)
CHARACTERS = "x_1 .(),:[]+#'\"\\"


def _parses(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for what the edits type
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _body_statements(tree: ast.Module) -> list[ast.stmt]:
    """Statements directly in function bodies, on one line each."""
    found = []
    for node in ast.walk(tree):
        if type(node) in (ast.FunctionDef, ast.AsyncFunctionDef):
            found.extend(s for s in node.body if s.lineno == s.end_lineno)
    return found


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


class Editor:
    """Random edits of one text. Each returns the new text, or None when it does not apply."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.helpers = 0

    def edit(self, text: str) -> tuple[str, str] | None:
        tree = _parses(text)
        if tree is None:
            return None
        kinds = [
            self.type_character,
            self.type_character,
            self.delete_character,
            self.insert_line,
            self.insert_line,
            self.delete_line,
            self.edit_import,
            self.add_decorator,
            self.syntax_error,
            self.edit_noqa,
            self.export_call,
            self.top_level_line,
            self.add_helper,
            self.call_function,
        ]
        kind = self.rng.choice(kinds)
        lines = text.split("\n")
        new = kind(tree, lines)
        return None if new is None else ("\n".join(new), kind.__name__)

    def _body_line(self, tree: ast.Module) -> int | None:
        statements = _body_statements(tree)
        return self.rng.choice(statements).lineno - 1 if statements else None

    def type_character(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        row = self._body_line(tree)
        if row is None:
            return None
        line = lines[row]
        at = self.rng.randint(len(_indent(line)), len(line))
        lines[row] = line[:at] + self.rng.choice(CHARACTERS) + line[at:]
        return lines

    def delete_character(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        row = self._body_line(tree)
        if row is None or not lines[row].strip():
            return None
        line = lines[row]
        at = self.rng.randrange(len(_indent(line)), len(line))
        lines[row] = line[:at] + line[at + 1 :]
        return lines

    def insert_line(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        row = self._body_line(tree)
        if row is None:
            return None
        indent = _indent(lines[row])
        content = self.rng.choice(BODY_LINES).format(indent=indent)
        lines[row + self.rng.randint(0, 1) : row + self.rng.randint(0, 1)] = [indent + content]
        return lines

    def delete_line(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        row = self._body_line(tree)
        if row is None:
            return None
        del lines[row]
        return lines

    def edit_import(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        imports = [s for s in tree.body if type(s) in (ast.Import, ast.ImportFrom)]
        choice = self.rng.random()
        if imports and choice < 0.4:
            statement = self.rng.choice(imports)
            del lines[statement.lineno - 1 : statement.end_lineno]
        elif imports and choice < 0.7:
            statement = self.rng.choice(imports)
            row = statement.lineno - 1
            lines[row] = (
                lines[row].replace("import torch", "import torch as th", 1)
                if "as th" not in lines[row]
                else lines[row].replace(" as th", "", 1)
            )
        else:
            row = imports[-1].end_lineno if imports else 0
            lines[row:row] = [self.rng.choice(["import math", "import torch.nn.functional as F", "import numpy as np"])]
        return lines

    def add_decorator(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        functions = [n for n in ast.walk(tree) if type(n) in (ast.FunctionDef, ast.AsyncFunctionDef)]
        if not functions:
            return None
        function = self.rng.choice(functions)
        row = function.lineno - 1
        lines[row:row] = [
            _indent(lines[row]) + self.rng.choice(["@torch.no_grad()", "@staticmethod", "@torch.jit.unused"])
        ]
        return lines

    def syntax_error(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        row = self._body_line(tree)
        if row is None:
            return None
        lines[row] = lines[row] + self.rng.choice(["(", " = ", ":", "'''"])
        return lines

    def edit_noqa(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        marked = [row for row, line in enumerate(lines) if "# noqa" in line]
        if marked and self.rng.random() < 0.4:
            row = self.rng.choice(marked)
            lines[row] = lines[row][
                : lines[row].index("  # noqa") if "  # noqa" in lines[row] else lines[row].index("# noqa")
            ]
            return lines
        row = self._body_line(tree)
        if row is None:
            return None
        lines[row] = lines[row] + self.rng.choice(
            ["  # noqa", "  # noqa: ONX2", "  # noqa: ONX401, ONX1", "  # noqa: ONX999"]
        )
        return lines

    def export_call(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        call = self.rng.choice(
            [
                "torch.onnx.export(model, (x,), 'model.onnx', opset_version=11)",
                "torch.onnx.export(model, (x,), 'model.onnx', dynamo=True, dynamic_axes={'x': {0: 'b'}})",
            ]
        )
        rows = [s.lineno - 1 for s in tree.body if not getattr(s, "decorator_list", None)] + [len(lines)]
        row = self.rng.choice(rows)
        lines[row:row] = [call]
        return lines

    def top_level_line(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        rows = [s.lineno - 1 for s in tree.body if not getattr(s, "decorator_list", None)]
        if not rows:
            return None
        row = self.rng.choice(rows)
        lines[row:row] = [self.rng.choice(["", "# a comment about the next statement", "SCALE = 2"])]
        return lines

    def add_helper(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        self.helpers += 1
        name = f"_helper_{self.helpers}"
        lines.extend(["", "", f"def {name}(x):", "    if x.sum() > 0:", "        return x.item()", "    return x"])
        return lines

    def call_function(self, tree: ast.Module, lines: list[str]) -> list[str] | None:
        functions = [s.name for s in tree.body if type(s) is ast.FunctionDef]
        row = self._body_line(tree)
        if not functions or row is None:
            return None
        indent = _indent(lines[row])
        lines[row:row] = [f"{indent}h = {self.rng.choice(functions)}(x)"]
        return lines


# -- the property ------------------------------------------------------------------------------------


def run_edits(text: str, filename: str, settings: LintSettings, steps: int, seed: int) -> list[str]:
    """Edit `text` `steps` times; after each edit, incremental == full. The modes, for the caller."""
    rng = random.Random(seed)
    editor = Editor(rng)
    latest: IncrementalLint = lint_source_incremental(None, text, filename, settings)
    assert_same(latest.result, lint_source(text, filename, settings), f"{filename}: first lint")
    undo: list[str] = []  # texts to go back to: a syntax error fixed, an export call removed
    modes = []
    for step in range(steps):
        if undo and (rng.random() < 0.4 or _parses(text) is None):
            text, kind = undo.pop(), "undo"
        else:
            edited = editor.edit(text)
            if edited is None:
                if not undo:
                    continue
                text, kind = undo.pop(), "undo"
            else:
                if kind_needs_undo(edited[1]) or _parses(edited[0]) is None:
                    undo.append(text)
                text, kind = edited
        full = lint_source(text, filename, settings)
        latest = lint_source_incremental(latest, text, filename, settings)
        assert_same(latest.result, full, f"{filename}, seed {seed}, step {step} ({kind}, {latest.mode}):\n{text}")
        assert "internal error" not in latest.mode, latest.mode
        modes.append(latest.mode)
    return modes


def kind_needs_undo(kind: str) -> bool:
    return kind in ("syntax_error", "export_call", "edit_noqa")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.relative_to(REPO / "fixtures").as_posix())
def test_fixtures_under_random_edits(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    modes = []
    for seed, settings in ((1, SELECT_ALL), (2, DEFAULT)):
        modes += run_edits(text, str(path), settings, 30, seed)
    whole_file = any("whole file" in mode or "export" in mode for mode in modes)  # ONX5xx: export scripts
    if _parses(text) is not None and len(_body_statements(ast.parse(text))) > 3 and not whole_file:
        assert any(mode == "incremental" for mode in modes), modes  # the property is not vacuous


def _rule_examples() -> list[tuple[str, str]]:
    examples = []
    for code, rule in sorted(all_rules().items()):
        for index, case in enumerate(rule.INVALID):
            if case.source.count("\n") >= 6:
                examples.append((f"{code}-{index}", case.source))
    return random.Random(0).sample(examples, min(40, len(examples)))


@pytest.mark.parametrize(("name", "source"), _rule_examples(), ids=lambda v: v if len(v) < 20 else "")
def test_rule_examples_under_random_edits(name: str, source: str) -> None:
    run_edits(source, f"{name}.py", SELECT_ALL, 12, zlib.crc32(name.encode()))


@pytest.mark.parametrize("name", TIMM_FILES)
def test_timm_files_under_random_edits(name: str) -> None:
    path = TIMM / name
    if not path.is_file():
        pytest.skip("timm's sources are not in benchmarks/.cache (python benchmarks/corpus.py timm)")
    text = path.read_text(encoding="utf-8")
    steps = 8 if len(text) > 100_000 else 16
    modes = run_edits(text, str(path), SELECT_ALL, steps, 3)
    assert any(mode == "incremental" for mode in modes) or "export" in text, modes


# -- the cases the design names ------------------------------------------------------------------------


MODEL = """\
import torch
import torch.nn.functional as F


def helper(x):
    return x.sum()


class Block(torch.nn.Module):
    def forward(self, x):
        if self.training:
            x = x * 2
        return helper(x) + 1


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x):
        y = self.block(x)
        return F.relu(y)


def unrelated(a):
    return a
"""


def _step(latest: IncrementalLint, text: str, filename: str = "model.py") -> IncrementalLint:
    latest = lint_source_incremental(latest, text, filename, SELECT_ALL)
    assert_same(latest.result, lint_source(text, filename, SELECT_ALL), text)
    return latest


def test_an_edit_in_one_function_relints_only_what_can_see_it() -> None:
    latest = lint_source_incremental(None, MODEL, "model.py", SELECT_ALL)
    # A finding typed into Net.forward: Net is walked again, the rest keeps its findings.
    text = MODEL.replace(
        "        return F.relu(y)", "        if y.sum() > 0:\n            y = y * 2\n        return F.relu(y)"
    )
    latest = _step(latest, text)
    assert latest.mode == "incremental" and latest.relinted == 1, (latest.mode, latest.relinted)
    assert any(f.code == "ONX201" for f in latest.result.findings)
    # helper is called from Block: an edit in helper walks both (Block's kinds depend on helper's), and Net,
    # which the two inserted lines move: its finding names the line of `y = self.block(x)`, found again.
    text = text.replace("    return x.sum()", "    if x.sum() > 0:\n        return x\n    return x.sum()")
    latest = _step(latest, text)
    assert latest.mode == "incremental" and latest.relinted == 3, (latest.mode, latest.relinted)
    # The findings below an inserted line move with it.
    text = text.replace("def unrelated(a):", "\n\ndef unrelated(a):")
    latest = _step(latest, text)
    assert latest.mode == "incremental"


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("import torch.nn.functional as F", "import torch.nn.functional as G", "imports"),
        ("def unrelated(a):", "def renamed(a):", "file-level facts"),
        (
            "    return a\n",
            "    return a\n\ntorch.onnx.export(Net(), (torch.randn(1),), 'm.onnx')\n",
            "torch.onnx.export",
        ),
        ("    return a\n", "    return a  # onnxlint: noqa\n", None),
        ("    return a\n", "    return a(\n", "parse"),
    ],
)
def test_what_falls_back_to_a_full_lint(old: str, new: str, why: str | None) -> None:
    latest = lint_source_incremental(None, MODEL, "model.py", SELECT_ALL)
    latest = _step(latest, MODEL.replace(old, new))
    if why is not None:
        assert latest.mode.startswith("full") and why in latest.mode, latest.mode


LEAF = """\
import torch


def make(x):
    return torch.zeros(3)


def use_once(x):
    return make(x) + 1


def use_twice(x):
    return make(x) * 2


class M(torch.nn.Module):
    def forward(self, x):
        return x
"""


def test_callers_of_a_leaf_function_depend_on_it_one_way() -> None:
    """`make` calls nothing of the file and no model code reaches it: its callers are walked again when it
    changes, but an edit in a caller walks neither `make` nor the other caller."""
    latest = lint_source_incremental(None, LEAF, "leaf.py", SELECT_ALL)
    steps = [
        (LEAF.replace("make(x) + 1", "make(x) + 3"), 1),  # use_once only
        (LEAF.replace("torch.zeros(3)", "torch.ones(3)"), 3),  # make, use_once, use_twice
        (LEAF.replace("        return x\n", "        return make(x)\n"), 4),  # model code now calls make: joined
    ]
    for text, walked in steps:
        latest = _step(latest, text, "leaf.py")
        assert latest.mode == "incremental" and latest.relinted == walked, (latest.mode, latest.relinted, text)


def test_a_syntax_error_keeps_the_last_good_text_to_compare_with() -> None:
    latest = lint_source_incremental(None, MODEL, "model.py", SELECT_ALL)
    broken = MODEL.replace("        return F.relu(y)", "        return F.relu(y")
    latest = _step(latest, broken)
    assert not latest.result.parsed
    fixed = MODEL.replace("        return F.relu(y)", "        return F.relu(y) + 1")
    latest = _step(latest, fixed)
    assert latest.mode == "incremental", latest.mode


def test_settings_or_rules_changing_start_over() -> None:
    latest = lint_source_incremental(None, MODEL, "model.py", SELECT_ALL)
    again = lint_source_incremental(latest, MODEL, "model.py", DEFAULT)
    assert again.mode.startswith("full")
    assert_same(again.result, lint_source(MODEL, "model.py", DEFAULT), "default settings")
    same = lint_source_incremental(again, MODEL, "model.py", DEFAULT)
    assert same.mode == "unchanged"


def test_an_export_call_falls_back_even_when_no_export_rule_runs() -> None:
    """Export calls decide every statement's exporter and opset (`export_config_for`)."""
    settings = LintSettings(selection=Selection(select=("ONX1", "ONX2", "ONX3", "ONX4")))
    text = MODEL + "\n# export it with scripts/export.py\n"
    latest = lint_source_incremental(None, text, "model.py", settings)
    exported = text + "torch.onnx.export(Net(), example, 'm.onnx')\n"
    latest = lint_source_incremental(latest, exported, "model.py", settings)
    assert latest.mode == "full: a call could be torch.onnx.export", latest.mode
    assert_same(latest.result, lint_source(exported, "model.py", settings), exported)
    latest = lint_source_incremental(latest, text, "model.py", settings)  # removed again
    assert_same(latest.result, lint_source(text, "model.py", settings), text)


# Statements that see one another through the semantic model: recursion, mutual recursion, a helper's
# parameter kinds from its call sites, return kinds, a base class in another statement, attribute kinds
# from methods, a function defined twice, an autograd Function called through an alias, a class nested
# in a function, guards at module level.
ENTANGLED = '''\
"""Entangled on purpose."""
import math

import torch
import torch.nn.functional as F


def ping(x, n):
    if n > 0:
        return pong(x, n - 1)
    return x.sum()


def pong(x, n):
    y = ping(x, n)
    if y > 0:
        return int(x.shape[0])
    return y


def scale(t):
    s = t.size(0)
    return t * math.sqrt(s)


class Swap(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.numpy()

    @staticmethod
    def backward(ctx, g):
        return g


swap = Swap.apply


class Base(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 4)
        self.scale = self.make()

    def make(self):
        return torch.ones(4)

    def head(self, x):
        return self.proj(x) * self.scale


def scale(t):
    return t.item()


class Net(Base):
    def forward(self, x, labels=None):
        h = self.head(x)
        if h.sum() > 0:
            h = scale(h)
        n = pong(h, 3)
        z = swap(h)
        for i in range(h.shape[0]):
            h = h + i
        if labels is not None:
            return F.cross_entropy(h, labels)
        return h + n + z


def factory():
    class Inner(Base):
        def forward(self, x):
            return len(x)

    return Inner()


class Other(torch.nn.Module):
    def forward(self, x):
        if x.mean() > 0:
            return x.tolist()
        return F.interpolate(x, scale_factor=2.5, mode="nearest")
'''


@pytest.mark.parametrize("seed", range(8))
def test_entangled_statements_under_random_edits(seed: int) -> None:
    modes = run_edits(ENTANGLED, "entangled.py", SELECT_ALL, 25, seed)
    assert any(mode == "incremental" for mode in modes), modes


# -- the language server -----------------------------------------------------------------------------


def minimal_edit(before: str, after: str) -> object:
    """The one-span change an editor sends for `before` -> `after` (ASCII text: characters are units)."""
    from lsprotocol import types

    prefix = 0
    while prefix < min(len(before), len(after)) and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(before), len(after)) - prefix and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1

    def position(offset: int) -> types.Position:
        line = before.count("\n", 0, offset)
        return types.Position(line=line, character=offset - (before.rfind("\n", 0, offset) + 1))

    return types.TextEdit(
        range=types.Range(start=position(prefix), end=position(len(before) - suffix)),
        new_text=after[prefix : len(after) - suffix],
    )


def test_the_server_publishes_what_a_full_lint_finds_after_each_edit(tmp_path: Path) -> None:
    """Edits typed into an open document: each version's diagnostics are those of a full lint."""
    pytest.importorskip("pygls")
    import asyncio

    from onnxlint.frontends.server import PositionMapper

    from ..lsp_client import EditorClient

    (tmp_path / "pyproject.toml").write_text('[tool.onnxlint]\nselect = ["ALL"]\n', encoding="utf-8")
    path = tmp_path / "model.py"
    rng = random.Random(7)

    def expected(text: str, encoding: str) -> list[tuple[object, ...]]:
        mapper = PositionMapper(text, encoding)
        findings = lint_source(text, str(path), SELECT_ALL_EDITOR).findings
        return [(f.code, f.message, mapper.range(f.start, f.end)) for f in findings]

    async def scenario() -> None:
        editor = await EditorClient.start(tmp_path, initialization_options={"debounceMs": 0})
        uri = editor.open(path, ENTANGLED)
        await editor.diagnostics(uri, version=1)
        undo: list[str] = []
        edits = Editor(rng)
        for _ in range(25):
            text = editor.documents[uri].text
            edited = None if undo and rng.random() < 0.5 else edits.edit(text)
            if edited is None:
                if not undo:
                    continue
                new_text = undo.pop()
            else:
                new_text = edited[0]
                if _parses(new_text) is None or kind_needs_undo(edited[1]):
                    undo.append(text)
            version = editor.change(uri, [minimal_edit(text, new_text)])
            published = await editor.diagnostics(uri, version=version)
            got = [(d.code, d.message, d.range) for d in published]
            assert got == expected(new_text, editor.encoding), new_text
        assert await editor.shutdown() == 0

    asyncio.run(asyncio.wait_for(scenario(), 120))
