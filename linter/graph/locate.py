"""From stacks to the user's source: which frame is the user's, which call on the line, what kind of line.

Imports no torch. A graph finding belongs in the user's file, not in torch: the innermost frame
in a file the user linted (or the model's own file) wins; otherwise the innermost frame outside
torch, the standard library and onnxlint (library model code such as torchvision's). On that
line, the finding is narrowed to the call whose qualified name (from the static semantic model)
matches the op, e.g. `self.bn1(...)` for a batch norm or `x.cumprod(1)` for `aten.cumprod`.
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
    def __init__(self, user_files: Iterable[str]) -> None:
        self.user_files = {_real(f) for f in user_files}
        excluded = [sysconfig.get_paths()["stdlib"], os.path.dirname(os.path.dirname(__file__))]
        excluded += [d for d in (_package_dir(n) for n in ("torch", "onnxscript", "sympy", "functorch")) if d]
        self._excluded = tuple(_real(d) + os.sep for d in excluded)
        self._parsed: dict[str, _Parsed | None] = {}

    # -- frames ---------------------------------------------------------------------------------

    def user_frame(self, frames: Sequence[Frame]) -> Frame | None:
        for frame in reversed(frames):
            if frame.line > 0 and _real(frame.filename) in self.user_files:
                return frame
        for frame in reversed(frames):
            if frame.line > 0 and self._is_library_user_code(frame.filename):
                return frame
        return None

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

    # -- what kind of line ----------------------------------------------------------------------

    def line_hazard(self, frames: Sequence[Frame]) -> str | None:
        """ "condition" when the user's line is the test of an if/while/conditional/assert,
        "conversion" when it converts a tensor to a Python value, else None."""
        frame = self.user_frame(frames)
        if frame is None:
            return None
        parsed = self.parsed(frame.filename)
        if parsed is None:
            return None
        row = frame.line
        conversion = False
        for node in ast.walk(parsed.tree):
            kind = type(node)
            if kind in (ast.If, ast.While, ast.Assert, ast.IfExp):
                test = node.test  # type: ignore[attr-defined]
                if test.lineno <= row <= (test.end_lineno or test.lineno):
                    return "condition"
            elif kind is ast.Call and node.lineno <= row <= (node.end_lineno or node.lineno):
                func = node.func  # type: ignore[attr-defined]
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
