"""The results cache: a file whose bytes, name and settings were linted before is not linted again.

Modelled on ruff's `.ruff_cache`. One file per *run key* under
`<project root>/.onnxlint_cache/<onnxlint version>/`, holding one entry per file:
`path -> [digest, findings, day last used]`.

* The run key hashes everything that changes what `lint_source` returns besides the file
  itself: onnxlint's version, a fingerprint of its own sources (every module of the package,
  sub-packages included, so a rule or helper edited during development never serves stale
  findings), the Python version (`ast` differs between versions), the torch exporter facts read
  from the installed torch, and the settings (selection, per-file ignores, exporter, opset,
  target, project root).
* The entry digest hashes the file's bytes, the name it is linted under and its path relative to
  the project root (per-file ignores), and the export sites the runner's pre-pass handed to it.

What the cache trusts. The cache folder usually lives inside the repository being linted, so
anything in it may have been committed by someone else. Nothing found there is trusted:

* Each cache file is `<HMAC-SHA256 hex>\\n<JSON>`, signed with a per-user secret key kept outside
  any repository (`$ONNXLINT_CACHE_KEY_DIR/key`, else `$XDG_CACHE_HOME/onnxlint/key`, else
  `~/.cache/onnxlint/key`; 32 random bytes, mode 0600, created on first use). A file whose MAC
  does not verify with this user's key is ignored whole (and replaced on save). Without a usable
  key (unwritable home, a symlink, a file another user owns or can read) the cache is off: every
  file is linted, nothing is written.
* No symlink is ever followed: the cache folder, its `.gitignore` and `CACHEDIR.TAG`, the version
  folder and the cache file are checked with `lstat`, and when one of them is a symlink or not the
  kind expected the cache is neither read nor written. New files are created with
  `O_EXCL | O_NOFOLLOW` (the cache file via a temporary file in the version folder and
  `os.replace`), so nothing is ever written outside the cache folder.
* A file larger than `_MAX_FILE_BYTES`, one that does not decode (even JSON nested too deep to
  parse), or an entry that does not rebuild as findings means "no entry": lint again.

A cache folder that cannot be written (read-only checkout) is skipped silently.
Findings are stored field by field and rebuilt as the same `Finding` objects; a finding whose
`extra` does not survive JSON unchanged makes its file uncacheable rather than different.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import stat
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from onnxlint.core.findings import Applicability, Confidence, Edit, Finding, Fix, Location, Severity
from onnxlint.core.settings import ExportSite, LintSettings, OnRequestUse

CACHE_DIR_NAME = ".onnxlint_cache"
FORMAT = 2  # 2: signed files (an older cache is ignored and replaced)
_UNUSED_DAYS = 30  # entries not used for this long are dropped when the cache is saved
_MAX_FILE_BYTES = 256 * 1024 * 1024  # a bigger cache file is not read (ours are a few hundred KiB)
KEY_DIR_ENV = "ONNXLINT_CACHE_KEY_DIR"
KEY_BYTES = 32
_MAC_HEX = 64  # HMAC-SHA256, as hex
_FINGERPRINT: str | None = None
_KEYS: dict[str, bytes] = {}  # signing keys read in this process, by key file
# What linter/knowledge/torch_info.py reads from the installed torch (and its version).
TORCH_FACT_FILES = ("version.py", "onnx/_constants.py", "onnx/_internal/exporter/_constants.py")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows (symlinks are still checked with lstat)
_BINARY = getattr(os, "O_BINARY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO put in place of the cache file never blocks the open
_MARKERS = (
    (".gitignore", "# Automatically created by onnxlint.\n*\n"),
    (
        "CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by onnxlint.\n",
    ),
)


def source_fingerprint() -> str:
    """A hash of onnxlint's own sources, computed once per process: every module of the `onnxlint`
    package folder and of `onnxlint.rules`, sub-packages included (a helper module edited anywhere
    never serves stale findings)."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import onnxlint
        from onnxlint import rules as rules_package  # the package only: no rule module is imported

        package_folder = Path(onnxlint.__file__).resolve().parent
        folders = [package_folder, *(Path(p).resolve() for p in rules_package.__path__)]
        _FINGERPRINT = fingerprint_folders(folders)
    return _FINGERPRINT


def fingerprint_folders(folders: Iterable[Path]) -> str:
    """A hash of the `.py` files under `folders`, recursively: their paths relative to their folder
    (sorted) and their bytes. `__pycache__` and hidden folders are skipped, symlinked folders are not
    entered, and a folder inside one hashed before (an installed `onnxlint/rules`) is not hashed twice."""
    digest = hashlib.blake2b(digest_size=16)
    seen: list[Path] = []
    for index, folder in enumerate(dict.fromkeys(folders)):
        if any(folder.is_relative_to(done) for done in seen):
            continue
        seen.append(folder)
        relatives = []
        for current, dirnames, filenames in os.walk(folder):
            dirnames[:] = [name for name in dirnames if name != "__pycache__" and not name.startswith(".")]
            prefix = os.path.relpath(current, folder)
            for name in filenames:
                if name.endswith(".py"):
                    relatives.append(name if prefix == "." else f"{prefix}/{name}".replace(os.sep, "/"))
        for relative in sorted(relatives):
            digest.update(f"{index}/{relative}\0".encode())
            try:
                with open(folder / relative, "rb") as stream:
                    digest.update(stream.read())
            except OSError:
                digest.update(b"<unreadable>")
            digest.update(b"\0")
    return digest.hexdigest()


def torch_fingerprint() -> str:
    """A hash of the installed torch files that `torch_info.exporter_facts` reads (its version and the
    exporter's default opsets), without importing torch or scanning the installed distributions."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return "no torch"
    root = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.blake2b(str(root).encode(), digest_size=16)
    for relative in TORCH_FACT_FILES:
        digest.update(relative.encode())
        try:
            digest.update((root / relative).read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()


def run_key(settings: LintSettings) -> str:
    """What every entry of one cache file shares: onnxlint, Python, torch's exporter facts, settings."""
    from onnxlint import __version__

    parts = (
        FORMAT,
        __version__,
        source_fingerprint(),
        sys.version,
        torch_fingerprint(),
        # a new settings field joins the key by itself; the per-file ones join each file's digest
        repr(dataclasses.replace(settings, export_sites=(), config_defaults=(), on_request=())),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def file_digest(
    raw: bytes,
    filename: str,
    relative_path: str,
    export_sites: tuple[ExportSite, ...],
    configurations: list[tuple[str, bytes]] | None = None,
    on_request: tuple[OnRequestUse, ...] = (),
) -> str:
    """What one entry depends on: the file's bytes, its names, the export calls that reach it, the bytes of
    the configuration modules it imports (analysis/config_defaults.py), and what the other files of the run say of
    its definitions (frontends/on_request.py)."""
    digest = hashlib.blake2b(raw, digest_size=16)
    digest.update(repr((filename, relative_path, export_sites)).encode())
    if on_request:
        digest.update(repr(on_request).encode())
    for name, source in configurations or ():
        digest.update(name.encode())
        digest.update(hashlib.blake2b(source, digest_size=16).digest())
    return digest.hexdigest()


def _bytes_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def default_cache_dir(settings: LintSettings) -> Path:
    override = os.environ.get("ONNXLINT_CACHE_DIR")
    if override:
        return Path(override)
    return Path(settings.project_root or ".") / CACHE_DIR_NAME


# -- the signing key: outside every repository ----------------------------------------------------


def key_folder() -> Path | None:
    """Where this user's signing key lives: $ONNXLINT_CACHE_KEY_DIR, else $XDG_CACHE_HOME/onnxlint,
    else ~/.cache/onnxlint (None: no home to keep it in)."""
    override = os.environ.get(KEY_DIR_ENV)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "onnxlint"
    home = os.path.expanduser("~")
    if not home or home == "~":
        return None
    return Path(home) / ".cache" / "onnxlint"


def signing_key() -> bytes | None:
    """This user's cache key, created on first use; None when it cannot be created or trusted (the
    cache is then off). Never raises."""
    try:
        folder = key_folder()
        if folder is None:
            return None
        path = str(folder / "key")
        key = _KEYS.get(path)
        if key is None:
            key = _read_or_create_key(folder, path)
            if key is not None:
                _KEYS[path] = key
        return key
    except (OSError, ValueError):
        return None


def _read_or_create_key(folder: Path, path: str) -> bytes | None:
    os.makedirs(folder, mode=0o700, exist_ok=True)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or not _owned(info):
        return None  # a symlink, a file, someone else's folder
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY | _CLOEXEC, 0o600)
    except FileExistsError:
        pass
    else:
        key = os.urandom(KEY_BYTES)
        try:
            try:
                written = os.write(handle, key)
            finally:
                os.close(handle)
            if written != KEY_BYTES:
                raise OSError(f"short write to {path}")
        except BaseException:
            try:
                os.unlink(path)  # never leave a broken key behind: the next run makes a new one
            except OSError:
                pass
            raise
        return key
    handle = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY | _CLOEXEC)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or not _owned(info) or info.st_size != KEY_BYTES:
            return None  # a short key is one being written right now: no cache this time
        if os.name == "posix" and info.st_mode & 0o077:
            return None  # others can read it: they could sign entries
        key = os.read(handle, KEY_BYTES + 1)
    finally:
        os.close(handle)
    return key if len(key) == KEY_BYTES else None


def _owned(info: os.stat_result) -> bool:
    getuid = getattr(os, "getuid", None)
    return getuid is None or info.st_uid == getuid()


def sign(key: bytes, payload: bytes) -> bytes:
    """A cache file's content: the MAC of `payload` (hex), a newline, `payload`."""
    return hmac.new(key, payload, hashlib.sha256).hexdigest().encode("ascii") + b"\n" + payload


def verified_payload(key: bytes, content: bytes) -> bytes | None:
    """The payload of a cache file's content when its MAC verifies with `key`, else None."""
    if len(content) <= _MAC_HEX or content[_MAC_HEX : _MAC_HEX + 1] != b"\n":
        return None
    payload = content[_MAC_HEX + 1 :]
    expected = hmac.new(key, payload, hashlib.sha256).hexdigest().encode("ascii")
    return payload if hmac.compare_digest(expected, content[:_MAC_HEX]) else None


# -- the cache folder: never through a symlink ----------------------------------------------------


class _Unsafe(Exception):
    """A part of the cache folder is a symlink or not the kind expected: neither read nor write."""


def _kind(path: Path | str) -> str:
    """'missing', 'dir', 'file' (regular) or 'other' (a symlink included), without following links."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "missing"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def _check(path: Path | str, expected: str) -> bool:
    """True when `path` is a real `expected` ('dir' or 'file'), False when missing; _Unsafe otherwise."""
    kind = _kind(path)
    if kind == "missing":
        return False
    if kind != expected:
        raise _Unsafe(str(path))
    return True


def _create_file(path: Path | str, data: bytes, mode: int = 0o644) -> None:
    """Write a new file; never through a symlink, never over an existing file."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY | _CLOEXEC, mode)
    try:
        with open(handle, "wb", closefd=False) as stream:
            stream.write(data)
    except BaseException:
        os.close(handle)
        try:
            os.unlink(path)
        except OSError:
            pass
        raise
    os.close(handle)


def _make_dir(path: Path) -> None:
    """Create the folder `path` when missing; _Unsafe when it is (or becomes) anything but a real folder."""
    if not _check(path, "dir"):
        try:
            os.mkdir(path, 0o755)
        except FileExistsError:
            pass
        if not _check(path, "dir"):
            raise _Unsafe(str(path))


def _prepare_folder(folder: Path) -> None:
    """Create the cache folder marked as a cache (CACHEDIR.TAG) and ignored by git, as ruff does.
    Raises _Unsafe (nothing written) when the folder or a marker is a symlink or of another kind."""
    if _kind(folder) == "missing":
        os.makedirs(folder.parent, exist_ok=True)
    _make_dir(folder)
    for name, text in _MARKERS:
        marker = folder / name
        if not _check(marker, "file"):
            try:
                _create_file(marker, text.encode("utf-8"))
            except FileExistsError:
                _check(marker, "file")


def _folder_is_safe(folder: Path, version_folder: Path) -> bool:
    """Whether the existing parts of the cache folder are all real folders and files (a missing part is fine)."""
    try:
        if not _check(folder, "dir"):
            return True
        for name, _ in _MARKERS:
            _check(folder / name, "file")
        _check(version_folder, "dir")
    except (_Unsafe, OSError, ValueError):
        return False
    return True


def _read_cache_file(path: Path) -> bytes | None:
    """The bytes of the cache file when it is a regular file of a sane size; None when missing.
    _Unsafe when it is a symlink or something else."""
    if not _check(path, "file"):
        return None
    handle = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY | _CLOEXEC)
    with open(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _Unsafe(str(path))
        if info.st_size > _MAX_FILE_BYTES:
            return None  # absurd: ignored (and replaced on save)
        return stream.read(_MAX_FILE_BYTES + 1)


class LintCache:
    """The entries of one run key. `get` / `put` by path; `save` writes them back atomically.

    Only a file signed with this user's key is read; with no usable key, or a cache folder that
    holds a symlink (or a part of the wrong kind), nothing is read and `save` writes nothing."""

    def __init__(self, folder: Path, key: str) -> None:
        from onnxlint import __version__

        self.folder = folder
        self.path = folder / __version__ / f"{key}.json"
        self.entries: dict[str, list[Any]] = {}
        # Files whose bytes (by digest) hold no export call that differs from the settings (export_sites.ScriptMemo).
        self.scripts_without_sites: dict[str, str] = {}
        # What the on-request pre-pass found in a file, by kind and path: [digest of its bytes, the value]
        # (frontends/on_request.py's UsesMemo).
        self.prepass: dict[str, list[Any]] = {}
        # One answer per run-wide step (the on-request pre-pass, the cross-file step): step -> [digest of what it read,
        # its answer]; a run with the same files (and findings) reads it instead of working it out again.
        self.prepass_runs: dict[str, list[Any]] = {}
        self.changed = False
        self.today = int(time.time() // 86400)
        self.secret = signing_key()
        self.usable = self.secret is not None and _folder_is_safe(folder, self.path.parent)
        self._load()

    @classmethod
    def for_settings(cls, settings: LintSettings, folder: Path | None = None) -> LintCache:
        return cls(folder or default_cache_dir(settings), run_key(settings))

    def _load(self) -> None:
        if not self.usable or self.secret is None:
            return
        try:
            content = _read_cache_file(self.path)
        except _Unsafe:
            self.usable = False  # the cache file is a symlink (or a FIFO...): leave it alone
            return
        except (OSError, ValueError):
            return  # no cache yet or unreadable: lint everything and rewrite it
        if content is None:
            return
        payload = verified_payload(self.secret, content)
        if payload is None:
            return  # not signed by this user (forged, committed, another user's, older format)
        try:
            data = json.loads(payload)
        except Exception:  # a corrupt payload, RecursionError...: no entries (never KeyboardInterrupt)
            return
        if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("entries"), dict):
            self.entries = data["entries"]
            scripts = data.get("scripts_without_sites")
            if isinstance(scripts, dict):
                self.scripts_without_sites = scripts
            prepass = data.get("prepass")
            if isinstance(prepass, dict):
                self.prepass = prepass
            prepass_runs = data.get("prepass_runs")
            if isinstance(prepass_runs, dict):
                self.prepass_runs = {
                    step: slot for step, slot in prepass_runs.items() if isinstance(slot, list) and len(slot) == 2
                }

    def get(self, key: str, digest: str, filename: str) -> list[Finding] | None:
        """The findings stored for `key` when its digest matches, else None."""
        entry = self.entries.get(key)
        if type(entry) is not list or len(entry) != 3 or entry[0] != digest:
            return None
        try:
            findings = [_decode(item, filename) for item in entry[1]]
        except Exception:  # a damaged entry: lint the file again
            del self.entries[key]
            self.changed = True
            return None
        if entry[2] != self.today:
            entry[2] = self.today
            self.changed = True
        return findings

    def known_without_sites(self, path: Path, data: bytes) -> bool:
        return self.scripts_without_sites.get(os.path.abspath(path)) == _bytes_digest(data)

    def record_without_sites(self, path: Path, data: bytes) -> None:
        self.scripts_without_sites[os.path.abspath(path)] = _bytes_digest(data)
        self.changed = True

    def remembered(self, kind: str, path: Path, data: bytes) -> object | None:
        entry = self.prepass.get(f"{kind}\0{os.path.abspath(path)}")
        if type(entry) is list and len(entry) == 2 and entry[0] == _bytes_digest(data):
            return entry[1]
        return None

    def remember(self, kind: str, path: Path, data: bytes, value: object) -> None:
        self.prepass[f"{kind}\0{os.path.abspath(path)}"] = [_bytes_digest(data), value]
        self.changed = True

    def remembered_run(self, digest: str, step: str = "on_request") -> object | None:
        slot = self.prepass_runs.get(step)
        return slot[1] if slot and slot[0] == digest else None

    def remember_run(self, digest: str, value: object, step: str = "on_request") -> None:
        if self.prepass_runs.get(step) != [digest, value]:
            self.prepass_runs[step] = [digest, value]
            self.changed = True

    def put(self, key: str, digest: str, findings: Iterable[Finding]) -> None:
        encoded = []
        for finding in findings:
            item = _encode(finding)
            if item is None:
                self.entries.pop(key, None)  # not representable exactly: never cache an approximation
                return
            encoded.append(item)
        self.entries[key] = [digest, encoded, self.today]
        self.changed = True

    def save(self) -> bool:
        """Write the entries back (atomically), signed. False when nothing may or can be written
        (no key, a symlink in the cache folder, a read-only folder); never raises."""
        if not self.changed:
            return True
        if not self.usable or self.secret is None:
            return False
        oldest = self.today - _UNUSED_DAYS
        entries = {
            k: v
            for k, v in self.entries.items()
            if type(v) is list and len(v) == 3 and type(v[2]) is int and v[2] >= oldest
        }
        scripts = {k: v for k, v in self.scripts_without_sites.items() if k in entries}
        prepass = {k: v for k, v in self.prepass.items() if k.rpartition("\0")[2] in entries}
        try:
            payload = json.dumps(
                {
                    "format": FORMAT,
                    "entries": entries,
                    "scripts_without_sites": scripts,
                    "prepass": prepass,
                    "prepass_runs": self.prepass_runs,
                },
                separators=(",", ":"),
            ).encode("utf-8")
        except (TypeError, ValueError, RecursionError):
            return False
        version_folder = self.path.parent
        try:
            _prepare_folder(self.folder)
            _make_dir(version_folder)
            _check(self.path, "file")  # os.replace would replace a symlink itself, but leave it be
            temp = version_folder / f".{self.path.stem}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
            _create_file(temp, sign(self.secret, payload))
            try:
                _check(self.path, "file")
                os.replace(temp, self.path)
            except BaseException:
                try:
                    os.unlink(temp)
                except OSError:
                    pass
                raise
        except _Unsafe:
            self.usable = False
            return False
        except (OSError, ValueError):
            return False
        self.changed = False
        return True


# -- findings <-> JSON ----------------------------------------------------------------------------


def _encode(finding: Finding) -> list[Any] | None:
    fix = finding.fix
    encoded_fix = None
    if fix is not None:
        encoded_fix = [
            fix.title,
            fix.applicability.value,
            [[e.start.row, e.start.column, e.end.row, e.end.column, e.content] for e in fix.edits],
        ]
    extra = finding.extra
    if extra:
        try:
            if json.loads(json.dumps(extra)) != extra:
                return None  # tuples, non-string keys...: would not come back equal
        except (TypeError, ValueError):
            return None
    return [
        finding.code,
        finding.message,
        finding.severity.value,
        [finding.start.row, finding.start.column, finding.end.row, finding.end.column],
        finding.rule_name,
        encoded_fix,
        finding.confidence.value,
        finding.noqa_row,
        finding.url,
        finding.origin,
        extra,
    ]


def _decode(item: list[Any], filename: str) -> Finding:
    code, message, severity, span, rule_name, encoded_fix, confidence, noqa_row, url, origin, extra = item
    fix = None
    if encoded_fix is not None:
        title, applicability, edits = encoded_fix
        fix = Fix(
            title=title,
            edits=tuple(Edit(Location(e[0], e[1]), Location(e[2], e[3]), e[4]) for e in edits),
            applicability=Applicability(applicability),
        )
    return Finding(
        code=code,
        message=message,
        severity=Severity(severity),
        filename=filename,
        start=Location(span[0], span[1]),
        end=Location(span[2], span[3]),
        rule_name=rule_name,
        fix=fix,
        confidence=Confidence(confidence),
        noqa_row=noqa_row,
        url=url,
        origin=origin,
        extra=extra,
    )
