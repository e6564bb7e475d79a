"""Property-based tests of the fixer: modules composed from the catalogue's flagged patterns.

Each example takes several rules' INVALID cases, renames their identifiers (ASCII and not),
nests them at some indentation depth, adds comments, blank lines and filler statements, picks
LF, CRLF or CR line endings (and, through files, a UTF-8 BOM), then checks what must hold for any
input: the fixed text parses, a second fix pass changes nothing, the text outside the lines
of the applied edits is unchanged, and no new kind of line ending appears.
"""

from __future__ import annotations

import ast
import builtins
import codecs
import io
import keyword
import os
import re
import tokenize
import warnings
from collections import Counter
from pathlib import Path

import pytest

from onnxlint import LintSettings, fix_source, lint_source
from onnxlint.core.findings import Location
from onnxlint.core.registry import all_rules
from onnxlint.core.settings import Selection
from onnxlint.core.source import SourceText, apply_edits, read_source_file
from onnxlint.frontends.runner import RunOptions, process_file
from onnxlint.testing import changed_outside_edits

hypothesis = pytest.importorskip("hypothesis")  # a fallback only: the test extra installs it
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ALL = Selection(select=("ALL",))
NEWLINES = re.compile(r"\r\n|\r|\n")
CASES = [(code, case) for code, rule in sorted(all_rules().items()) for case in rule.INVALID]
# The settings the INVALID cases are written for (exporter, opset, target...), as hashable keys.
PROFILES = sorted({tuple(sorted(case.settings.items())) for _, case in CASES})
# NFKC-stable letters beyond ASCII: `ast` columns are UTF-8 bytes, edits are characters.
LETTERS = "abcdefghijklmnopqrstuvwxyzéüßøλжд名前"
RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {"self", "cls", "forward", "torch", "F", "nn", "np", "math"}
# ONNXLINT_FIX_EXAMPLES raises the count for a longer bug hunt (the default keeps the file near 15 s).
# No example database: a failure prints its example, which reproduces it.
MAX_EXAMPLES = int(os.environ.get("ONNXLINT_FIX_EXAMPLES", "300"))
# The test suite draws the same examples on every run, so CI passes or fails on the code alone; `make fuzz`
# (ONNXLINT_FUZZ=1) draws new ones each run to hunt for bugs, and a crash it finds joins
# tests/static/test_crash_regressions.py.
DERANDOMIZE = not os.environ.get("ONNXLINT_FUZZ")
EXAMPLES = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- composing modules ------------------------------------------------------------------------


def renamable(source: str) -> list[str]:
    """Names the case binds itself (classes, functions, variables, parameters) that nothing outside
    it could mean: not attributes, keyword arguments, imports, builtins or magic names."""
    tree = ast.parse(source)
    bound: set[str] = set()
    foreign: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            bound.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Attribute):
            foreign.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            foreign.add(node.arg)
        elif isinstance(node, ast.alias):
            foreign.add((node.asname or node.name).split(".")[0])
    return sorted(n for n in bound - foreign - RESERVED if not n.startswith("__"))


def rename(source: str, mapping: dict[str, str]) -> str:
    """Rename NAME tokens (never text inside strings or comments)."""
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in mapping:
            edits.append((token.start[0], token.start[1], token.end[1], mapping[token.string]))
    for row, start, end, name in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + name + line[end:]
    return "".join(lines)


def add_comments(source: str, comments: list[str]) -> str:
    """Put a comment before the end of some logical and bracketed lines (where tokenize says a line ends)."""
    lines = source.splitlines(keepends=True)
    ends = [
        t.start
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type in (tokenize.NEWLINE, tokenize.NL) and t.start[0] <= len(lines)
    ]
    for index, (row, column) in enumerate(sorted(ends, reverse=True)):
        comment = comments[index % len(comments)] if comments else None
        line = lines[row - 1]
        if comment is None or "#" in line[:column]:
            continue  # an existing comment (a noqa one, say) stays the last thing on its line
        lines[row - 1] = f"{line[:column]}  # {comment}{line[column:]}"
    return "".join(lines)


def nest(source: str, depth: int, unit: str) -> str:
    """Put the case inside `depth` blocks (if / try / with), indented by `unit` per level."""
    openers = ["if True:", "try:", "with open(__file__):"]
    head: list[str] = []
    tail: list[str] = []
    for level in range(depth):
        opener = openers[level % len(openers)]
        head.append(unit * level + opener + "\n")
        if opener == "try:":
            tail.insert(0, unit * level + "except Exception:\n" + unit * (level + 1) + "pass\n")
    body = "".join(unit * depth + line if line.strip() else line for line in source.splitlines(keepends=True))
    return "".join(head) + body + "".join(tail)


identifiers = st.text(alphabet=LETTERS, min_size=1, max_size=8).filter(
    lambda name: name.isidentifier() and name not in RESERVED
)
comments = st.lists(st.text(alphabet=LETTERS + " 0123456789é—", min_size=0, max_size=20), max_size=4)


@st.composite
def modules(draw: st.DrawFn) -> tuple[str, LintSettings]:
    """A module of 1-4 flagged patterns, and settings one of its cases was written for."""
    profile = draw(st.sampled_from(PROFILES))
    fitting = [case for _, case in CASES if tuple(sorted(case.settings.items())) in (profile, ())]
    chosen = draw(st.lists(st.sampled_from(fitting), min_size=1, max_size=4))
    blocks: list[str] = []
    used: set[str] = set()
    for number, case in enumerate(chosen):
        source = case.source
        names = renamable(source)
        fresh = draw(st.lists(identifiers, min_size=len(names), max_size=len(names)))
        mapping = {}
        for old, new in zip(names, fresh, strict=True):
            new = f"{new}_{number}"  # unique across the blocks of the module, and not a name of the case
            if new not in used:
                mapping[old] = new
                used.add(new)
        source = rename(source, mapping)
        if draw(st.booleans()):
            source = add_comments(source, draw(comments))
        source = nest(source, draw(st.integers(0, 2)), draw(st.sampled_from(["    ", "  ", "\t"])))
        filler = draw(st.sampled_from(["", "# ——— {} ———\n", "{} = 1\n", "\n\n{} = [0] * 3  # é\n"]))
        blocks.append(filler.format(draw(identifiers) + f"_f{number}") + source)
    separator = draw(st.sampled_from(["\n", "\n\n", "\n\n\n"]))
    text = separator.join(blocks)
    if draw(st.booleans()):
        text = text.rstrip("\n")  # no newline at the end of the file
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))  # "\r" alone: old Mac files, still Python
    if newline != "\n":
        text = NEWLINES.sub(newline, text)
    return text, LintSettings(selection=ALL, **dict(profile))


# Expressions that rules seldom expect where a tensor, a literal or a call usually stands.
ODD_EXPRESSIONS = [
    "None",
    "0",
    "-1.5",
    "'s'",
    "x[...]",
    "x[1:, None]",
    "(lambda: 0)",
    "f'{x}'",
    "(y := 1)",
    "self",
    "[*z]",
    "(a if b else c)",
    "torch",
    "x.y.z()",
    "(x, *y)",
    "{}",
    "not x",
    "x @ y",
    "(yield)",
    "(q for q in x)",
]


# Statements put before one of a case's own statements, at its indentation.
ODD_STATEMENTS = [
    "del x",
    "global g",
    "x: int",
    "x = y = z",
    "(a, b), c = x",
    "x[0], *rest = x",
    "for i in range(x.size(0)): pass",
    "while x.any(): break",
    "with torch.no_grad(): pass",
    "match x:\n{indent}    case [a, *_]: pass",
    "try:\n{indent}    pass\n{indent}except* ValueError:\n{indent}    pass",
    "x = torch.onnx.export",
    "if x: x = x.float()",
    "return",
    "yield x",
    "lambda: (yield)",
    "print(*x, sep='')",
    "x.shape = (1,)",
    "self = None",
    "import torch.nn.functional as torch",
]
# Parameter lists put in place of a function's own.
ODD_PARAMETERS = ["()", "(self)", "(*args)", "(self, *xs, **kw)", "(self, x: int = 3)", "(self, /, x, *, y)", "(x)"]


@st.composite
def mutated_cases(draw: st.DrawFn) -> tuple[str, LintSettings]:
    """A catalogue case with some expressions swapped for odd ones, or calls given `*args` / `**kwargs`
    or stripped of their arguments: what real code does that the examples do not."""
    _, case = draw(st.sampled_from(CASES))
    text = case.source
    for _ in range(draw(st.integers(1, 3))):
        tree = ast.parse(text)
        source = SourceText(text)
        kind = draw(st.sampled_from(["expression", "expression", "statement", "parameters"]))
        if kind == "statement":
            statement = draw(st.sampled_from([n for n in ast.walk(tree) if isinstance(n, ast.stmt)]))
            indent = source.indentation(statement.lineno)
            inserted = indent + draw(st.sampled_from(ODD_STATEMENTS)).format(indent=indent) + "\n"
            start = source.offset(Location(statement.lineno, 1))
            candidate = text[:start] + inserted + text[start:]
        elif kind == "parameters":
            functions = list(re.finditer(r"def \w+(\([^()]*\))", text))
            if not functions:
                continue
            match = draw(st.sampled_from(functions))
            candidate = text[: match.start(1)] + draw(st.sampled_from(ODD_PARAMETERS)) + text[match.end(1) :]
        else:
            candidate = _odd_expression(draw, text, tree, source)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # `0x` before a name: a SyntaxWarning, still valid
                ast.parse(candidate)
        except SyntaxError:
            continue  # not valid there (an assignment target, say): keep the text as it was
        text = candidate
    return text, LintSettings(selection=ALL, **case.settings)


def _odd_expression(draw: st.DrawFn, text: str, tree: ast.Module, source: SourceText) -> str:
    """`text` with one single-line expression replaced, or one call's arguments changed."""
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.expr) and n.lineno == n.end_lineno]
    node = draw(st.sampled_from(nodes))
    start, end = source.offset(source.start_of(node)), source.offset(source.end_of(node))
    segment = text[start:end]
    if isinstance(node, ast.Call) and draw(st.booleans()):
        callee = source.segment(node.func)
        replacement = draw(
            st.sampled_from(
                [f"{callee}()", f"{callee}(*args)", f"{callee}(**kwargs)", f"{segment[:-1]}, *args, **kwargs)"]
            )
        )
        if replacement.endswith("(, *args, **kwargs)"):
            replacement = f"{callee}(*args, **kwargs)"
    else:
        replacement = draw(st.sampled_from(ODD_EXPRESSIONS))
    return text[:start] + replacement + text[end:]


# -- the invariants ---------------------------------------------------------------------------


def assert_fix_invariants(text: str, lint_settings: LintSettings) -> str:
    result = fix_source(text, "case.py", lint_settings, unsafe_fixes=True)
    assert result.converged, "the fixer did not converge"
    assert not [f for f in result.remaining if f.code.startswith("ONX00")], result.remaining
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ast.parse(result.text)
    current = text
    for number, edits in enumerate(result.rounds, 1):
        following = apply_edits(current, list(edits))
        problem = changed_outside_edits(current, following, edits)
        assert problem is None, f"round {number}: {problem}\n--- fixed ---\n{result.text}"
        current = following
    assert current == result.text, "the rounds' edits do not replay to the fixed text"
    new_endings = set(NEWLINES.findall(result.text)) - set(NEWLINES.findall(text))
    assert not new_endings or not NEWLINES.search(text), f"new line endings {new_endings}"
    again = fix_source(result.text, "case.py", lint_settings, unsafe_fixes=True)
    assert not again.changed, f"a second pass changes it again: {dict(again.applied)}\n--- fixed ---\n{result.text}"
    return result.text


@EXAMPLES
@given(mutated_cases())
def test_odd_variations_of_the_catalogue_never_crash_a_rule_or_the_fixer(case: tuple[str, LintSettings]) -> None:
    text, lint_settings = case
    crashes = [f for f in lint_source(text, "case.py", lint_settings).findings if f.code.startswith("ONX00")]
    assert not crashes, "\n".join(f"{f.message}\n{f.extra.get('traceback', '')}" for f in crashes)
    assert_fix_invariants(text, lint_settings)


@EXAMPLES
@given(modules())
def test_fixing_composed_modules_keeps_every_invariant(module: tuple[str, LintSettings]) -> None:
    text, lint_settings = module
    ast.parse(text)  # the generator makes valid modules only
    assert_fix_invariants(text, lint_settings)


@settings(
    max_examples=max(MAX_EXAMPLES // 10, 10),
    deadline=None,
    database=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(module=modules(), bom=st.booleans())
def test_fixing_files_keeps_bom_line_endings_and_mode(
    tmp_path: Path, module: tuple[str, LintSettings], bom: bool
) -> None:
    text, lint_settings = module
    path = tmp_path / "model.py"
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")
    path.write_bytes(data)
    path.chmod(0o751)
    options = RunOptions(fix=True, unsafe_fixes=True)
    first = process_file(path, lint_settings, options)
    assert first.error is None, first.error
    written = path.read_bytes()
    assert written.startswith(codecs.BOM_UTF8) == bom
    fixed_text = read_source_file(path).text
    assert fixed_text == fix_source(text, str(path), lint_settings, unsafe_fixes=True).text
    assert Counter(NEWLINES.findall(fixed_text)).keys() <= (Counter(NEWLINES.findall(text)).keys() or {"\n"})
    assert path.stat().st_mode & 0o777 == 0o751
    second = process_file(path, lint_settings, options)
    assert not second.written and path.read_bytes() == written, "a second run changed the file again"
