"""The results cache: a file whose bytes, name and settings were linted before is not linted again.

Modelled on ruff's `.ruff_cache`. One JSON file per *run key* under
`<project root>/.onnxlint_cache/<onnxlint version>/`, holding one entry per file:
`path -> [digest, findings, day last used]`.

* The run key hashes everything that changes what `lint_source` returns besides the file
  itself: onnxlint's version, a fingerprint of its own sources (the engine and every rule
  module, so a rule edited during development never serves stale findings), the Python version
  (`ast` differs between versions), the torch exporter facts read from the installed torch, and
  the settings (selection, per-file ignores, exporter, opset, target, project root).
* The entry digest hashes the file's bytes, the name it is linted under and its path relative to
  the project root (per-file ignores), and the export sites the runner's pre-pass handed to it.

A corrupt or unreadable cache file is ignored (everything is linted again and the file is
rewritten); a cache folder that cannot be written (read-only checkout) is skipped silently.
Findings are stored field by field and rebuilt as the same `Finding` objects; a finding whose
`extra` does not survive JSON unchanged makes its file uncacheable rather than different.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .findings import Applicability, Confidence, Edit, Finding, Fix, Location, Severity
from .settings import ExportSite, LintSettings

CACHE_DIR_NAME = ".onnxlint_cache"
FORMAT = 1
_UNUSED_DAYS = 30  # entries not used for this long are dropped when the cache is saved
_FINGERPRINT: str | None = None
# What linter/torch_info.py reads from the installed torch (and its version).
TORCH_FACT_FILES = ("version.py", "onnx/_constants.py", "onnx/_internal/exporter/_constants.py")


def source_fingerprint() -> str:
    """A hash of the sources of the static layer, computed once per process: the modules of the
    `onnxlint` package itself (engine, semantic model, tables) and of `onnxlint.rules`. The
    graph, verify and reporter subpackages cannot change a static finding and are left out."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        from . import rules as rules_package  # the package only: no rule module is imported

        digest = hashlib.blake2b(digest_size=16)
        folders = [Path(__file__).resolve().parent, *(Path(p).resolve() for p in rules_package.__path__)]
        for index, folder in enumerate(dict.fromkeys(folders)):
            try:
                names = sorted(name for name in os.listdir(folder) if name.endswith(".py"))
            except OSError:
                names = []
            for name in names:
                digest.update(f"{index}/{name}".encode())
                try:
                    with open(folder / name, "rb") as stream:
                        digest.update(stream.read())
                except OSError:
                    digest.update(b"<unreadable>")
        _FINGERPRINT = digest.hexdigest()
    return _FINGERPRINT


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
    from . import __version__

    parts = (
        FORMAT,
        __version__,
        source_fingerprint(),
        sys.version,
        torch_fingerprint(),
        repr(dataclasses.replace(settings, export_sites=())),  # a new settings field joins the key by itself
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def file_digest(raw: bytes, filename: str, relative_path: str, export_sites: tuple[ExportSite, ...]) -> str:
    """What one entry depends on: the file's bytes, its names, and the export calls that reach it."""
    digest = hashlib.blake2b(raw, digest_size=16)
    digest.update(repr((filename, relative_path, export_sites)).encode())
    return digest.hexdigest()


def _bytes_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def default_cache_dir(settings: LintSettings) -> Path:
    override = os.environ.get("ONNXLINT_CACHE_DIR")
    if override:
        return Path(override)
    return Path(settings.project_root or ".") / CACHE_DIR_NAME


class LintCache:
    """The entries of one run key. `get` / `put` by path; `save` writes them back atomically."""

    def __init__(self, folder: Path, key: str) -> None:
        from . import __version__

        self.folder = folder
        self.path = folder / __version__ / f"{key}.json"
        self.entries: dict[str, list[Any]] = {}
        # Files whose bytes (by digest) hold no export call that differs from the settings (export_sites.ScriptMemo).
        self.scripts_without_sites: dict[str, str] = {}
        self.changed = False
        self.today = int(time.time() // 86400)
        self._load()

    @classmethod
    def for_settings(cls, settings: LintSettings, folder: Path | None = None) -> LintCache:
        return cls(folder or default_cache_dir(settings), run_key(settings))

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as stream:
                data = json.load(stream)
        except (OSError, ValueError):
            return  # no cache yet, unreadable or corrupt: lint everything and rewrite it
        if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("entries"), dict):
            self.entries = data["entries"]
            scripts = data.get("scripts_without_sites")
            if isinstance(scripts, dict):
                self.scripts_without_sites = scripts

    def get(self, key: str, digest: str, filename: str) -> list[Finding] | None:
        """The findings stored for `key` when its digest matches, else None."""
        entry = self.entries.get(key)
        if type(entry) is not list or len(entry) != 3 or entry[0] != digest:
            return None
        try:
            findings = [_decode(item, filename) for item in entry[1]]
        except (TypeError, ValueError, KeyError, IndexError):
            del self.entries[key]  # a damaged entry: lint the file again
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
        """Write the entries back (atomically). False when the folder cannot be written; never raises."""
        if not self.changed:
            return True
        oldest = self.today - _UNUSED_DAYS
        entries = {k: v for k, v in self.entries.items() if type(v) is list and len(v) == 3 and v[2] >= oldest}
        import tempfile  # here: a run that changes nothing never pays for importing it

        try:
            _prepare_folder(self.folder)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp_name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    scripts = {k: v for k, v in self.scripts_without_sites.items() if k in entries}
                    json.dump(
                        {"format": FORMAT, "entries": entries, "scripts_without_sites": scripts},
                        stream,
                        separators=(",", ":"),
                    )
                os.chmod(temp_name, 0o644)  # mkstemp's 0600 would hide the cache from a shared checkout's other users
                os.replace(temp_name, self.path)
            except BaseException:
                try:
                    os.unlink(temp_name)
                except OSError:
                    pass
                raise
        except OSError:
            return False
        self.changed = False
        return True


def _prepare_folder(folder: Path) -> None:
    """Create the cache folder marked as a cache (CACHEDIR.TAG) and ignored by git, as ruff does."""
    if (folder / ".gitignore").is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".gitignore").write_text("# Automatically created by onnxlint.\n*\n", encoding="utf-8")
    (folder / "CACHEDIR.TAG").write_text(
        "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by onnxlint.\n",
        encoding="utf-8",
    )


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
