"""Source text: positions, segments, and reading/writing files without losing anything.

Python's `ast` reports columns as UTF-8 byte offsets; editors, ruff's JSON and SARIF want
character columns. `SourceText` converts between the two and between (row, column) and
absolute offsets. Lines end only at `\\r\\n`, `\\r` or `\\n`, exactly as Python's tokenizer
sees them (`str.splitlines` would also split at form feeds and other separators).
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import errno
import hashlib
import io
import os
import re
import stat
import tempfile
import tokenize
from bisect import bisect_right
from collections.abc import Callable, Iterator
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
    for _attempt in range(2):
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # too deep for the parser: does not parse
            return False
        except SystemError:
            # CPython's AST depth bookkeeping breaks when another thread changes the recursion
            # limit mid-parse (the engine's deep-file retry does): ask again.
            continue
        return True
    return False


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
    """The file's bytes are not valid in its declared encoding (or are not text at all)."""


class NotSourceFileError(OSError):
    """The path is not something to read as source: a folder, a FIFO, a device, or too large."""


def decode_source(raw: bytes) -> tuple[str, str, bool]:
    """Decode Python source bytes honouring a BOM and a PEP 263 coding cookie; keep newlines as they are."""
    has_bom = raw.startswith(codecs.BOM_UTF8)
    try:
        encoding, cookie_lines = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:
        # tokenize says "invalid or missing encoding declaration" for a first line that is not UTF-8:
        # say what is really wrong with the bytes when that is the cause.
        if "unknown encoding" not in str(error) and "encoding problem" not in str(error):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as decode_error:
                raise SourceDecodeError(_undecodable(raw, "utf-8", decode_error, declared=False)) from error
        raise SourceDecodeError(str(error)) from error
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    body = raw[len(codecs.BOM_UTF8) :] if has_bom else raw
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as error:
        declared = any(b"coding" in line for line in cookie_lines)
        raise SourceDecodeError(_undecodable(body, encoding, error, declared=declared)) from error
    except LookupError as error:
        raise SourceDecodeError(f"cannot decode as {encoding}: {error}") from error
    return text, encoding, has_bom


def _undecodable(body: bytes, encoding: str, error: UnicodeDecodeError, *, declared: bool) -> str:
    """A one-line reason for bytes that are not text in `encoding`: where, and what to do."""
    if b"\x00" in body[:8192]:
        return "binary file (it contains NUL bytes), not Python source"
    line = body.count(b"\n", 0, error.start) + 1
    byte = body[error.start : error.start + 1].hex()
    name = "UTF-8" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
    hint = "" if declared else "; declare the file's encoding (PEP 263: `# -*- coding: latin-1 -*-`) if it is not UTF-8"
    return f"not valid {name}: byte 0x{byte} on line {line}{hint}"


def read_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file; never blocks on a FIFO and never reads a device.

    NotSourceFileError for a folder, FIFO, socket or device, or a file over `max_bytes`; OSError
    for what the system refuses (permissions, a symlink loop, a file that vanished).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise NotSourceFileError(f"not a regular file ({_file_kind(info.st_mode)})")
        if max_bytes is not None and 0 < max_bytes < info.st_size:
            raise NotSourceFileError(
                f"file too large to lint ({_size(info.st_size)}, over the {_size(max_bytes)} limit of --max-file-size)"
            )
        stream = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with stream:
        return stream.read()


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a file"


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def read_error_message(error: OSError | SourceDecodeError) -> str:
    """One line, no traceback, for a file that could not be read or decoded (reported as E902)."""
    if isinstance(error, (SourceDecodeError, NotSourceFileError)):
        return str(error)
    reason = error.strerror or type(error).__name__
    if error.errno == errno.ELOOP:
        reason += " (a symlink loop)"
    return f"cannot read: {reason}"


def read_source_file(path: Path, max_bytes: int | None = None) -> FileContents:
    raw = read_bytes(path, max_bytes)
    text, encoding, has_bom = decode_source(raw)
    return FileContents(path=path, raw=raw, text=text, encoding=encoding, has_bom=has_bom)


class FileNotWrittenError(OSError):
    """A fixed file was not written (the file on disk is as it was)."""


class FileChangedError(FileNotWrittenError):
    """The file changed on disk after onnxlint read it; nothing was written."""


# Called between writing the temporary file and the last check that the file on disk is still the
# one that was read: the window in which another writer's change must still be noticed. Tests put
# a real concurrent write here; it is None otherwise.
before_replace: Callable[[Path], None] | None = None


def write_atomically(original: FileContents, new_text: str) -> None:
    """Write `new_text` in place of `original`, atomically, keeping encoding, BOM, newlines, mode and owner.

    The new bytes go to a temporary file in the same folder (so `os.replace` is atomic), which is
    removed on any failure. Refuses (FileChangedError) when the file on disk no longer holds the
    bytes that were read, so an editor's or another tool's change is never overwritten: the check
    runs once more after the temporary file is written, right before the replace, under an advisory
    lock that makes concurrent onnxlint runs take turns. A symlink stays a link (its target is
    written); a hard link is replaced by a file of its own.
    """
    path = original.path
    try:
        data = original.encode(new_text)
    except UnicodeEncodeError as error:
        raise FileNotWrittenError(
            f"the fixed text cannot be encoded as {original.encoding} (the file's encoding): {error.reason}; not written"
        ) from error
    _check_unchanged(path, original.raw)
    info = os.stat(path)
    # Resolve symlinks so the link stays a link and the target gets the new content.
    target = Path(os.path.realpath(path))
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".onnxlint-tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown") and (info.st_uid, info.st_gid) != _owner(temp_name):
            try:  # root fixing a user's file must not hand it to root
                os.chown(temp_name, info.st_uid, info.st_gid)
            except OSError:
                pass  # not allowed to give it away: the file is ours (or our group's) anyway
        if before_replace is not None:
            before_replace(path)
        with _locked(target):
            _check_unchanged(path, original.raw)
            os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise


def _check_unchanged(path: Path, raw: bytes) -> None:
    try:
        current = read_bytes(path)
    except OSError as error:
        raise FileChangedError(f"cannot re-read the file before writing it ({error}); not written") from error
    if current != raw:
        raise FileChangedError("the file changed on disk since onnxlint read it; not written (run onnxlint again)")


def _owner(name: str) -> tuple[int, int]:
    info = os.stat(name)
    return info.st_uid, info.st_gid


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """An advisory lock on the file being replaced (POSIX): two onnxlint runs fixing the same file
    check and replace it one after the other. Editors take no such lock; the re-check covers them."""
    try:
        import fcntl
    except ImportError:  # Windows: the re-check alone
        yield
        return
    try:
        descriptor = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        yield  # the re-check reports what is wrong with the file
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except OSError:
            pass  # a file system without locks: the re-check alone
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
