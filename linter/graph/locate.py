"""From stacks to source: which frame is the cause, which is the user's, which call on the line, what kind of line.

Imports no torch. A graph finding goes where its cause is: the innermost frame of model code,
the user's files or a model library's (torchvision, timm, ...), never torch, the standard
library, onnxlint or onnxlint's own dependencies (click, pygls, sympy, onnxscript, ...). When
that frame is in a library, the innermost frame in the user's own files (the call that reaches
it) becomes related information. On the line, the finding is narrowed to the call whose
qualified name (from the static semantic model) matches the op, e.g. `self.bn1(...)` for a
batch norm or `x.cumprod(1)` for `aten.cumprod`.
"""

from __future__ import annotations

import ast
import os
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from onnxlint.analysis.semantic import ModuleModel
from onnxlint.core.findings import Location
from onnxlint.core.source import SourceText
from onnxlint.graph.check import Frame
from onnxlint.graph.frames import INFRASTRUCTURE_PACKAGES

_CONVERSION_METHODS = frozenset({"item", "tolist", "numpy"})
_CONVERSION_BUILTINS = frozenset({"builtins.int", "builtins.float", "builtins.bool"})


@dataclass
class _Parsed:
    source: SourceText
    tree: ast.Module
    model: ModuleModel


def _real(path: str) -> str:
    return os.path.realpath(path)


def _package_dir(name: str) -> str | None:
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return _real(next(iter(spec.submodule_search_locations)))


class Locator:
    def __init__(self, user_files: Iterable[str], driver: Iterable[tuple[str, int]] = ()) -> None:
        self.user_files = {_real(f) for f in user_files}
        # The frames that called onnxlint (a script, a test, a grader): recorded stacks start with them,
        # and they are never where a finding's cause is.
        self._driver = {(_real(filename), line) for filename, line in driver}
        excluded = [sysconfig.get_paths()["stdlib"], os.path.dirname(os.path.dirname(__file__))]
        excluded += [d for d in (_package_dir(n) for n in INFRASTRUCTURE_PACKAGES) if d]
        self._excluded = tuple(_real(d) + os.sep for d in excluded)
        self._parsed: dict[str, _Parsed | None] = {}

    # -- frames ---------------------------------------------------------------------------------

    def cause_frame(self, frames: Sequence[Frame]) -> Frame | None:
        """The innermost frame of model code (the user's files or a model library's): the finding's location."""
        for frame in reversed(frames):
            if frame.line <= 0 or self._is_driver(frame):
                continue
            if _real(frame.filename) in self.user_files or self.is_model_code(frame.filename):
                return frame
        return None

    def own_frame(self, frames: Sequence[Frame]) -> Frame | None:
        """The innermost frame in the user's own files (those linted, the model's file), if any."""
        for frame in reversed(frames):
            if frame.line > 0 and not self._is_driver(frame) and _real(frame.filename) in self.user_files:
                return frame
        return None

    def _is_driver(self, frame: Frame) -> bool:
        return bool(self._driver) and (_real(frame.filename), frame.line) in self._driver

    def is_model_code(self, filename: str) -> bool:
        """A Python file that is neither torch, the standard library, onnxlint nor one of its dependencies."""
        return self._is_library_user_code(filename)

    def _is_library_user_code(self, filename: str) -> bool:
        if not filename or filename.startswith("<") or not filename.endswith(".py"):
            return False
        real = _real(filename)
        return not real.startswith(self._excluded) and os.path.isfile(real)

    def parsed(self, filename: str) -> _Parsed | None:
        real = _real(filename)
        if real not in self._parsed:
            try:
                from onnxlint.core.source import read_source_file

                text = read_source_file(_path(real)).text
                tree = ast.parse(text)
                self._parsed[real] = _Parsed(SourceText(text), tree, ModuleModel(tree))
            except Exception:  # unreadable or unparsable: fall back to whole lines
                self._parsed[real] = None
        return self._parsed[real]

    # -- spans ----------------------------------------------------------------------------------

    def span(self, frame: Frame, callees: Sequence[str] = ()) -> tuple[Location, Location]:
        """The call on the frame's line that matches `callees`, else the statement's first line."""
        parsed = self.parsed(frame.filename)
        row = frame.line
        if parsed is None:
            return Location(row, 1), Location(row, 1)
        wanted = {c.lower() for c in callees if c}
        best: ast.Call | None = None
        if wanted:
            for node in ast.walk(parsed.tree):
                if type(node) is ast.Call and node.lineno == row:
                    name = self._call_name(parsed, node)
                    if name and name.rsplit(".", 1)[-1].lower() in wanted:
                        if best is None or _length(node) < _length(best):
                            best = node
        if best is not None:
            return parsed.source.start_of(best), parsed.source.end_of(best)
        text = parsed.source.line(row)
        indent = len(text) - len(text.lstrip())
        stripped = text.rstrip()
        comment = _comment_start(stripped)
        end = len(stripped[:comment].rstrip()) if comment is not None else len(stripped)
        return Location(row, indent + 1), Location(row, max(end, indent) + 1)

    @staticmethod
    def _call_name(parsed: _Parsed, call: ast.Call) -> str | None:
        name = parsed.model.qualified_name(call.func)
        if name is not None:
            return name
        func = call.func
        if type(func) is ast.Attribute:
            return func.attr
        if type(func) is ast.Name:
            return func.id
        return None

    def condition_text(self, frame: Frame) -> str:
        """The Python text that decided something on the frame's line: the test of an if/while/assert/
        conditional expression spanning it, else the stripped line (empty when unreadable)."""
        parsed = self.parsed(frame.filename)
        if parsed is None:
            return ""
        row = frame.line
        best: ast.expr | None = None
        for node in ast.walk(parsed.tree):
            if type(node) in (ast.If, ast.While, ast.Assert, ast.IfExp):
                test = node.test  # type: ignore[attr-defined]
                if test.lineno <= row <= (test.end_lineno or test.lineno):
                    if best is None or _length(test) < _length(best):
                        best = test
        if best is not None:
            segment = ast.get_source_segment(parsed.source.text, best)
            if segment:
                return " ".join(segment.split())
        return parsed.source.line(row).strip()

    def condition_sources(self, frame: Frame, limit: int = 3) -> list[tuple[Frame, str]]:
        """Where the names in the frame's condition were last assigned before it, in the same function
        (`new_h = int(math.ceil(H / patch_h) * patch_h)` for `if new_h != H:`): (frame, note) pairs."""
        parsed = self.parsed(frame.filename)
        if parsed is None:
            return []
        row = frame.line
        function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
        for node in ast.walk(parsed.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= row <= (
                node.end_lineno or 0
            ):
                if function is None or node.lineno > function.lineno:
                    function = node
        if function is None:
            return []
        statement = None
        for node in ast.walk(function):
            if isinstance(node, ast.stmt) and node.lineno <= row <= (node.end_lineno or node.lineno):
                if statement is None or _length(node) < _length(statement):
                    statement = node
        test = getattr(statement, "test", None) if statement is not None else None
        used = {n.id for n in ast.walk(test or statement) if type(n) is ast.Name} if statement is not None else set()
        latest: dict[str, int] = {}
        for node in ast.walk(function):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.lineno < row:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for part in ast.walk(target):
                        if type(part) is ast.Name and part.id in used:
                            latest[part.id] = max(latest.get(part.id, 0), node.lineno)
        rows: dict[int, list[str]] = {}
        for name, line in latest.items():
            rows.setdefault(line, []).append(name)
        chosen = sorted(rows)[-limit:]
        return [
            (Frame(frame.filename, line, frame.name), f"`{'`, `'.join(sorted(rows[line]))}` computed here")
            for line in chosen
        ]

    # -- what kind of line ----------------------------------------------------------------------

    def line_hazard(self, frames: Sequence[Frame]) -> str | None:
        """ "condition" when the user's line is the test of an if/while/conditional/assert,
        "conversion" when it converts a tensor to a Python value, else None."""
        frame = self.cause_frame(frames)
        if frame is None:
            return None
        parsed = self.parsed(frame.filename)
        if parsed is None:
            return None
        row = frame.line
        conversion = False
        for node in ast.walk(parsed.tree):
            if isinstance(node, (ast.If, ast.While, ast.Assert, ast.IfExp)):
                test = node.test
                if test.lineno <= row <= (test.end_lineno or test.lineno):
                    return "condition"
            elif isinstance(node, ast.Call) and node.lineno <= row <= (node.end_lineno or node.lineno):
                func = node.func
                if type(func) is ast.Attribute and func.attr in _CONVERSION_METHODS:
                    conversion = True
                elif parsed.model.qualified_name(func) in _CONVERSION_BUILTINS:
                    conversion = True
        return "conversion" if conversion else None


def _path(real: str):
    from pathlib import Path

    return Path(real)


def _length(node: ast.AST) -> tuple[int, int]:
    return ((node.end_lineno or 0) - node.lineno, (node.end_col_offset or 0) - node.col_offset)  # type: ignore[attr-defined]


def _comment_start(text: str) -> int | None:
    """Index of a trailing `#` comment (outside strings), roughly: good enough to trim an underline."""
    quote: str | None = None
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return index
    return None


def definition_location(obj: object) -> tuple[str, Location, Location] | None:
    """Where a class or function is defined: (file, start, end of its header line)."""
    import inspect

    try:
        filename = inspect.getsourcefile(obj)  # type: ignore[arg-type]
        lines, line = inspect.getsourcelines(obj)  # type: ignore[arg-type]
    except (TypeError, OSError):
        return None
    if not filename:
        return None
    header = lines[0].rstrip("\r\n") if lines else ""
    indent = len(header) - len(header.lstrip())
    return filename, Location(max(line, 1), indent + 1), Location(max(line, 1), len(header.rstrip()) + 1)
