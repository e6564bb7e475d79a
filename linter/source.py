"""Source text: positions, segments, and reading/writing files without losing anything.

Python's `ast` reports columns as UTF-8 byte offsets; editors, ruff's JSON and SARIF want
character columns. `SourceText` converts between the two and between (row, column) and
absolute offsets. Lines end only at `\\r\\n`, `\\r` or `\\n`, exactly as Python's tokenizer
sees them (`str.splitlines` would also split at form feeds and other separators).
"""

from __future__ import annotations

import ast
import codecs
import hashlib
import io
import os
import re
import stat
import tempfile
import tokenize
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from .findings import Edit, Location

_NEWLINE = re.compile(r"\r\n|\r|\n")


class SourceText:
    """A module's text with fast position conversions."""

    __slots__ = ("_line_starts", "_lines", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        if "\r" in text:
            starts = [0]
            starts.extend(m.end() for m in _NEWLINE.finditer(text))
        else:  # the usual case, computed in C: each line starts one past the end of the previous one
            starts = list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))
            starts.pop()
        self._line_starts = starts
        self._lines: list[str] | None = None

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line(self, row: int) -> str:
        """The text of 1-based line `row`, without its line ending."""
        if self._lines is None:
            self._lines = _NEWLINE.split(self.text)
        if 1 <= row <= len(self._lines):
            return self._lines[row - 1]
        return ""

    def newline(self) -> str:
        """The file's line ending (the first one found), for text that fixes insert."""
        match = _NEWLINE.search(self.text)
        return match.group(0) if match else "\n"

    # -- conversions ---------------------------------------------------------------------------

    def location_from_ast(self, lineno: int, byte_col: int) -> Location:
        """A 1-based character Location from ast's (1-based line, UTF-8 byte column)."""
        line = self.line(lineno)
        if line.isascii():
            return Location(lineno, byte_col + 1)
        return Location(lineno, len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1)

    def start_of(self, node: ast.AST) -> Location:
        return self.location_from_ast(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end_of(self, node: ast.AST) -> Location:
        return self.location_from_ast(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def offset(self, location: Location) -> int:
        """Absolute character offset of a Location (clamped to the text)."""
        row = min(max(location.row, 1), len(self._line_starts))
        return min(self._line_starts[row - 1] + location.column - 1, len(self.text))

    def location(self, offset: int) -> Location:
        row = bisect_right(self._line_starts, offset)
        return Location(row, offset - self._line_starts[row - 1] + 1)

    def segment(self, node: ast.AST) -> str:
        """The exact source text of a node (like ast.get_source_segment, without re-splitting)."""
        return self.text[self.offset(self.start_of(node)) : self.offset(self.end_of(node))]

    def line_start(self, row: int) -> Location:
        return Location(row, 1)

    def indentation(self, row: int) -> str:
        line = self.line(row)
        return line[: len(line) - len(line.lstrip(" \t"))]


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits to `text` (the caller guarantees they do not overlap)."""
    source = SourceText(text)
    spans = sorted(((source.offset(e.start), source.offset(e.end), e.content) for e in edits), reverse=True)
    pieces = text
    for start, end, content in spans:
        pieces = pieces[:start] + content + pieces[end:]
    return pieces


def parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


# -- files ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileContents:
    """A file as read from disk, with what is needed to write it back the same way."""

    path: Path
    raw: bytes
    text: str
    encoding: str
    has_bom: bool

    @property
    def digest(self) -> str:
        return hashlib.blake2b(self.raw, digest_size=16).hexdigest()

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.has_bom else data


class SourceDecodeError(Exception):
    """The file's bytes are not valid in its declared encoding."""


def decode_source(raw: bytes) -> tuple[str, str, bool]:
    """Decode Python source bytes honouring a BOM and a PEP 263 coding cookie; keep newlines as they are."""
    has_bom = raw.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:
        raise SourceDecodeError(str(error)) from error
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    body = raw[len(codecs.BOM_UTF8) :] if has_bom else raw
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceDecodeError(f"cannot decode as {encoding}: {error}") from error
    return text, encoding, has_bom


def read_source_file(path: Path) -> FileContents:
    raw = path.read_bytes()
    text, encoding, has_bom = decode_source(raw)
    return FileContents(path=path, raw=raw, text=text, encoding=encoding, has_bom=has_bom)


class FileChangedError(Exception):
    """The file changed on disk after onnxlint read it; nothing was written."""


def write_atomically(original: FileContents, new_text: str) -> None:
    """Write `new_text` in place of `original`, atomically, keeping encoding, BOM, newlines and mode.

    Refuses (FileChangedError) when the file on disk no longer holds the bytes that were read,
    so an editor's or another tool's change is never overwritten.
    """
    path = original.path
    data = original.encode(new_text)
    try:
        current = path.read_bytes()
    except OSError as error:
        raise FileChangedError(f"{path}: cannot re-read before writing: {error}") from error
    if current != original.raw:
        raise FileChangedError(f"{path}: changed on disk since it was read; not written")
    mode = stat.S_IMODE(path.stat().st_mode)
    # Resolve symlinks so the link stays a link and the target gets the new content.
    target = path.resolve()
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".onnxlint-tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise
