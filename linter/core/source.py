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
import tokenize
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from onnxlint.core.findings import Edit, Location

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
            raise NotSourceFileError(too_large_message(info.st_size, max_bytes, "of --max-file-size"))
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


def too_large_message(size: int, limit: int, limit_source: str = "") -> str:
    """Why a file or an editor's document is not linted: "file too large to lint (5.0 MiB, over the
    4.0 MiB limit of --max-file-size)" (the command line, E902, and the language server alike)."""
    where = f" {limit_source}" if limit_source else ""
    return f"file too large to lint ({_size(size)}, over the {_size(limit)} limit{where})"


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MiB"
    return f"{count / 1024:.1f} KiB" if count >= 1024 else f"{count} bytes"


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


def write_atomically(original: FileContents, new_text: str, *, write_roots: tuple[str, ...] | None = None) -> None:
    """Write `new_text` in place of `original`, atomically, keeping encoding, BOM, newlines, mode and owner.

    The new bytes go to a temporary file in the same folder (so `os.replace` is atomic), which is
    removed on any failure. Refuses (FileChangedError) when the file on disk no longer holds the
    bytes that were read, so an editor's or another tool's change is never overwritten: the check
    runs once more after the temporary file is written, right before the replace, under an advisory
    lock that makes concurrent onnxlint runs take turns. A symlink stays a link (its target is
    written); a hard link is replaced by a file of its own.

    Refuses (FileNotWrittenError, nothing written) a file that has no write permission bit set
    (`chmod 444`: even root, whom the permissions do not stop, and although a rename would not
    need the file's own write bit) or that this user may not write; and, with `write_roots` (the
    real paths of the folders being linted; by default those the path carries, see
    `files.DiscoveredPath`), a file whose real path lies outside all of them: a symlink out of the
    tree. The folder is opened once and the temporary file is created
    (`O_EXCL | O_NOFOLLOW`), renamed and removed relative to that open folder, so a folder swapped
    for a symlink after the check cannot redirect the write. Every other failure of the disk is a
    FileNotWrittenError saying what could not be written.
    """
    path = original.path
    if write_roots is None:
        write_roots = getattr(path, "write_roots", None)
    try:
        data = original.encode(new_text)
    except UnicodeEncodeError as error:
        raise FileNotWrittenError(
            f"the fixed text cannot be encoded as {original.encoding} (the file's encoding): {error.reason}; not written"
        ) from error
    _check_unchanged(path, original.raw)
    try:
        info = os.stat(path)
    except OSError as error:
        raise FileChangedError(f"cannot re-read the file before writing it ({_reason(error)}); not written") from error
    if not info.st_mode & 0o222 or not _may_write(path):
        raise FileNotWrittenError(_not_writable(path, stat.S_IMODE(info.st_mode)))
    # Resolve symlinks so the link stays a link and the target gets the new content.
    target = Path(os.path.realpath(path))
    folder = _open_folder(target.parent)
    try:
        real_folder = _real_folder(folder, target.parent)
        if write_roots is not None and not any(_inside(real_folder, root) for root in write_roots):
            where = str(Path(real_folder) / target.name)
            if os.path.islink(path):
                raise FileNotWrittenError(f"is a symlink to {where} outside the linted folders; not fixed")
            raise FileNotWrittenError(f"resolves to {where}, outside the linted folders; not fixed")
        _replace(path, original.raw, target.name, folder, target.parent, data, info)
    finally:
        if folder is not None:
            os.close(folder)


def _not_writable(path: Path, mode: int) -> str:
    if not mode & 0o222:
        return f"read-only file (mode {mode:04o}); not fixed (make it writable to fix it)"
    with contextlib.suppress(OSError, AttributeError):
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "the file is on a read-only file system; not fixed"
    return f"the file is not writable by this user (mode {mode:04o}); not fixed"


def _may_write(path: Path) -> bool:
    effective = os.access in os.supports_effective_ids  # the user onnxlint runs as, as open() checks
    return os.access(path, os.W_OK, effective_ids=effective)


def _replace(
    path: Path, raw: bytes, name: str, folder: int | None, folder_path: Path, data: bytes, info: os.stat_result
) -> None:
    """Write `data` to a new file beside `name` in `folder` (an open folder, or None: by path), then
    rename it over `name` once the file at `path` still holds `raw`; the new file is removed on
    any failure."""

    def at(entry: str) -> str:  # a name relative to the open folder, or a path
        return entry if folder is not None else str(folder_path / entry)

    try:
        temp_name, handle = _create_temporary(name, folder, folder_path)
    except OSError as error:
        raise FileNotWrittenError(_write_error(error, creating=True)) from error
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if hasattr(os, "fchown") and (info.st_uid, info.st_gid) != _owner(stream.fileno()):
                try:  # root fixing a user's file must not hand it to root
                    os.fchown(stream.fileno(), info.st_uid, info.st_gid)
                except OSError:
                    pass  # not allowed to give it away: the file is ours (or our group's) anyway
            _chmod(stream.fileno(), at(temp_name), stat.S_IMODE(info.st_mode))
            os.fsync(stream.fileno())
        if before_replace is not None:
            before_replace(path)
        with _locked(at(name), folder):
            _check_unchanged(path, raw)
            if folder is not None:
                os.replace(temp_name, name, src_dir_fd=folder, dst_dir_fd=folder)
            else:
                os.replace(at(temp_name), at(name))
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(at(temp_name), dir_fd=folder)
        if isinstance(error, OSError) and not isinstance(error, FileNotWrittenError):
            raise FileNotWrittenError(_write_error(error, creating=False)) from error
        raise


def _check_unchanged(path: Path, raw: bytes) -> None:
    try:
        current = read_bytes(path)
    except OSError as error:
        raise FileChangedError(f"cannot re-read the file before writing it ({_reason(error)}); not written") from error
    if current != raw:
        raise FileChangedError("the file changed on disk since onnxlint read it; not written (run onnxlint again)")


def _reason(error: OSError) -> str:
    """The system's words for `error`, without the file name (which the report shows once, escaped)."""
    return error.strerror or str(error) or type(error).__name__


def _write_error(error: OSError, *, creating: bool) -> str:
    """One line for a fixed file the disk would not take: what failed, and why."""
    hint = ""
    if creating and error.errno in (errno.EACCES, errno.EPERM):
        hint = " (its folder is not writable)"
    return f"cannot write the fixed file: {_reason(error)}{hint}; not fixed"


# Where the system can, the folder is opened once and the file is written relative to it
# (openat/renameat/unlinkat): a folder swapped for a symlink meanwhile cannot redirect the write.
# O_PATH (Linux) opens a folder that is writable but not readable too.
_AT_SUPPORTED = {os.open, os.unlink, os.rename} <= os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
_FOLDER_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_TEMP_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _open_folder(folder: Path) -> int | None:
    if not _AT_SUPPORTED:
        return None
    try:
        return os.open(folder, _FOLDER_FLAGS)
    except OSError as error:
        raise FileNotWrittenError(_write_error(error, creating=True)) from error


def _real_folder(folder: int | None, folder_path: Path) -> str:
    """The real path of the open folder: `folder_path` resolved, checked to be that same folder."""
    real = os.path.realpath(folder_path)
    if folder is not None:
        try:
            opened, named = os.fstat(folder), os.stat(real)
        except OSError as error:
            raise FileChangedError(f"cannot check the folder before writing ({_reason(error)}); not written") from error
        if (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
            raise FileChangedError(
                "the file's folder was moved or replaced while onnxlint fixed it; not written (run onnxlint again)"
            )
    return real


def _inside(folder: str, root: str) -> bool:
    folder, root = os.path.normcase(folder), os.path.normcase(root)
    return folder == root or folder.startswith(root.rstrip(os.sep) + os.sep)


def _create_temporary(name: str, folder: int | None, folder_path: Path) -> tuple[str, int]:
    """A new file `.NAME.XXXXXXXX.onnxlint-tmp` (mode 0600, never an existing file or a link) beside `name`."""
    stem = name if len(os.fsencode(name)) <= 200 else name[:50]  # the temporary name must fit NAME_MAX too
    for _attempt in range(100):
        temp_name = f".{stem}.{os.urandom(4).hex()}.onnxlint-tmp"
        try:
            if folder is not None:
                return temp_name, os.open(temp_name, _TEMP_FLAGS, 0o600, dir_fd=folder)
            return temp_name, os.open(folder_path / temp_name, _TEMP_FLAGS, 0o600)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name")


def _owner(descriptor: int) -> tuple[int, int]:
    info = os.fstat(descriptor)
    return info.st_uid, info.st_gid


def _chmod(descriptor: int, path: str, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, mode)
    else:
        os.chmod(path, mode)


@contextlib.contextmanager
def _locked(target: str, folder: int | None = None) -> Iterator[None]:
    """An advisory lock on the file being replaced (POSIX): two onnxlint runs fixing the same file
    check and replace it one after the other. Editors take no such lock; the re-check covers them."""
    try:
        import fcntl
    except ImportError:  # Windows: the re-check alone
        yield
        return
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(target, flags, dir_fd=folder)
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


def leading_statements_end(body: list[ast.stmt]) -> int:
    """The index in a module's `body` of the first statement after its docstring and leading imports
    (where fixes insert imports and helpers; the incremental re-lint fingerprints what is before it)."""
    index = 0
    if (
        body
        and type(body[0]) is ast.Expr
        and type(body[0].value) is ast.Constant
        and isinstance(body[0].value.value, str)
    ):
        index = 1
    while index < len(body) and type(body[index]) in (ast.Import, ast.ImportFrom):
        index += 1
    return index
