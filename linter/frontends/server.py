"""The language server: onnxlint's findings, fixes and rule docs in any LSP editor (pygls, stdio).

    onnxlint server [--debounce-ms 250]

It lints the editor's buffers with the pure static engine (`lint_source`, `fix_source`): it never
imports torch and never imports or runs the user's code. Findings are published as diagnostics
on open, save and (debounced) change; each applicable fix is a quick fix labelled with its
applicability, and `source.fixAll.onnxlint` applies the safe ones. The workspace's
`[tool.onnxlint]` configuration is honoured (select, ignore, per-file-ignores, exclude, exporter,
opset) and reloaded when a pyproject.toml changes.

Positions: onnxlint's are 1-based rows and character columns; LSP's are 0-based lines and
columns in the negotiated encoding's code units (UTF-16 unless the client offers another).

Bad input is answered, never fatal: a document over the size limit (the CLI's 4 MiB, or
`initializationOptions.maxFileSizeMiB`) gets one E902 diagnostic and is not linted; a URI whose
path holds a NUL is not linted and never opened; a request whose params do not fit its method
gets JSON-RPC error -32602 (a notification's are logged); an invalid configuration is shown once
and the defaults apply. Documents over `ISOLATED_LINT_BYTES` are linted in a short-lived child
process, so a large document never delays the diagnostics of the others and its parse does not
stay in the server's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import pickle
import sys
import threading
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from onnxlint import __version__
from onnxlint.core.engine import RULE_CRASH_CODE, lint_source
from onnxlint.core.findings import Applicability, Confidence, Finding, Location, Severity
from onnxlint.core.fixer import FixResult, fix_source
from onnxlint.core.incremental import IncrementalLint, lint_source_incremental
from onnxlint.core.registry import rule_by_code
from onnxlint.core.rule import rule_url
from onnxlint.core.settings import LintSettings
from onnxlint.core.source import SourceText, too_large_message
from onnxlint.docs import render_rule
from onnxlint.frontends.config import ConfigError, ProjectConfig, build_settings, find_config, load_config
from onnxlint.frontends.files import DEFAULT_EXCLUDES, Excluder
from onnxlint.frontends.importpath import forget_working_directory
from onnxlint.frontends.runner import (
    DEFAULT_MAX_FILE_BYTES,
    IO_ERROR_CODE,
    relative_to_root,
    sibling_configurations,
    with_configuration,
)

logger = logging.getLogger("onnxlint.frontends.server")

SOURCE = "onnxlint"
FIX_ALL_KIND = "source.fixAll.onnxlint"
DEFAULT_DEBOUNCE_MS = 250
CONFIG_FILE = "pyproject.toml"
PYTHON_SUFFIXES = (".py", ".pyi")
MIB = 1024 * 1024
# Documents larger than this (UTF-8 bytes) are linted and fixed in a child process: one lint of a
# few MiB takes seconds and hundreds of MiB, and the engine lints one file at a time per process
# (`engine.LINT_LOCK`), so in-process it would hold up every other document and leave its
# memory to the server's allocator. Smaller ones take well under a second on the lint thread.
ISOLATED_LINT_BYTES = 256 * 1024

_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


# -- positions ------------------------------------------------------------------------------------


def kind_value(kind: object) -> str:
    """The protocol string of an lsprotocol enum member or a plain string (str() of the enums gives their names)."""
    value = getattr(kind, "value", kind)
    return str(value)


def code_units(text: str, encoding: str) -> int:
    """How many code units of the negotiated position encoding `text` takes."""
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class PositionMapper:
    """Converts between onnxlint Locations and LSP Positions for one version of a document."""

    def __init__(self, text: str, encoding: str) -> None:
        self.source = SourceText(text)
        self.encoding = encoding

    def position(self, location: Location) -> types.Position:
        # Through the absolute offset, so a column past a line's end lands where the edit means.
        normalized = self.source.location(self.source.offset(location))
        line = self.source.line(normalized.row)
        column = min(normalized.column - 1, len(line))  # never inside a "\r\n"
        return types.Position(line=normalized.row - 1, character=code_units(line[:column], self.encoding))

    def range(self, start: Location, end: Location) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def location(self, position: types.Position) -> Location:
        line = self.source.line(position.line + 1)
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return Location(position.line + 1, index + 1)
            units += code_units(char, self.encoding)
        return Location(position.line + 1, len(line) + 1)

    def offset_position(self, offset: int) -> types.Position:
        return self.position(self.source.location(offset))


def _contains(range_: types.Range, position: types.Position) -> bool:
    start, end = range_.start, range_.end
    return (start.line, start.character) <= (position.line, position.character) <= (end.line, end.character)


def _range_dict(range_: types.Range) -> dict[str, dict[str, int]]:
    return {
        "start": {"line": range_.start.line, "character": range_.start.character},
        "end": {"line": range_.end.line, "character": range_.end.character},
    }


def _range_from_dict(data: dict[str, Any]) -> types.Range:
    return types.Range(
        start=types.Position(line=int(data["start"]["line"]), character=int(data["start"]["character"])),
        end=types.Position(line=int(data["end"]["line"]), character=int(data["end"]["character"])),
    )


# -- findings to diagnostics ----------------------------------------------------------------------


# Without a configured `confidence`, the editor shows every finding, the LOW ones as hints.
EDITOR_CONFIDENCE = "low"


def to_diagnostic(finding: Finding, mapper: PositionMapper, version: int | None) -> types.Diagnostic:
    """One finding as an LSP diagnostic; `data` carries its fix (as LSP edits) for the code action."""
    data: dict[str, Any] = {"version": version}
    fix = finding.fix
    if fix is not None and fix.is_applicable:
        data["fix"] = {
            "title": fix.title,
            "applicability": fix.applicability.value,
            "edits": [
                {"range": _range_dict(mapper.range(edit.start, edit.end)), "newText": edit.content}
                for edit in fix.edits
            ],
        }
    return types.Diagnostic(
        range=mapper.range(finding.start, finding.end),
        message=finding.message,
        # A finding both of whose facts rest on heuristics is a hint (the editor shows it faintly).
        severity=types.DiagnosticSeverity.Hint
        if finding.confidence is Confidence.LOW
        else _SEVERITIES[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=finding.url) if finding.url else None,
        source=SOURCE,
        data=data,
        related_information=related_information(finding) or None,
    )


def related_information(finding: Finding) -> list[types.DiagnosticRelatedInformation]:
    """The finding's related locations (the user's call into a library line) for the editor.

    Another file's text is not at hand: its columns are passed as they are (code points, which
    equal UTF-16 units on the ASCII lines these point at)."""
    from pathlib import Path

    items = []
    for related in finding.related:
        start = types.Position(line=max(related.start.row - 1, 0), character=max(related.start.column - 1, 0))
        end = types.Position(line=max(related.end.row - 1, 0), character=max(related.end.column - 1, 0))
        items.append(
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=Path(related.filename).resolve().as_uri(), range=types.Range(start, end)),
                message=related.message,
            )
        )
    return items


def quick_fix_title(title: str, applicability: str) -> str:
    """The title says whether applying the fix may change the model's outputs."""
    return f"{title} ({applicability})"


def single_span_edit(before: str, after: str, mapper: PositionMapper) -> types.TextEdit:
    """One edit turning `before` into `after`: the changed span, widened to whole lines.

    Whole lines keep the edit's ends off the middle of a "\\r\\n" or a character that takes two
    UTF-16 units, and editors keep the cursor and folds outside the changed lines.
    """
    limit = min(len(before), len(after))
    prefix = 0
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    source = mapper.source
    start = source.offset(Location(source.location(prefix).row, 1))
    end = len(before) - suffix
    end_location = source.location(end)
    if end_location.column != 1:  # not at a line start: extend to the next one (or the end)
        end = source.offset(Location(end_location.row + 1, 1)) if end_location.row < source.line_count else len(before)
    new_text = after[start : len(after) - (len(before) - end)]
    return types.TextEdit(
        range=types.Range(start=mapper.offset_position(start), end=mapper.offset_position(end)),
        new_text=new_text,
    )


# -- per-document state -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSettings:
    """How to lint one document: the settings of its project, or nothing when it is excluded."""

    settings: LintSettings
    filename: str
    relative_path: str | None
    excluded: bool = False


@dataclass
class LintedDocument:
    """The last published lint of a document, for hover and for code actions without `data`."""

    version: int | None
    diagnostics: list[types.Diagnostic]
    findings: list[Finding]


@dataclass
class _FolderConfig:
    settings: LintSettings
    excluder: Excluder
    root: Path
    signature: tuple[tuple[str, int, int], ...]  # the pyproject.toml files it was read from, as they were


def config_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Every pyproject.toml at or above `folder`, with its mtime and size: a handful of stats.

    Compared before each lint, so a configuration edited outside the editor is picked up even by
    clients that do not watch files for the server.
    """
    found = []
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        try:
            status = (candidate / CONFIG_FILE).stat()
        except OSError:
            continue
        found.append((str(candidate), status.st_mtime_ns, status.st_size))
    return tuple(found)


@dataclass
class ServerState:
    debounce_s: float
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # larger documents are not linted (E902); 0: no limit
    linted: dict[str, LintedDocument] = field(default_factory=dict)
    pending: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    folder_configs: dict[Path, _FolderConfig] = field(default_factory=dict)
    shown_config_errors: set[str] = field(default_factory=set)
    # uri -> (version, settings, action): the fix-all action computed for that text and configuration
    fix_all: dict[str, tuple[int | None, LintSettings, types.CodeAction | None]] = field(default_factory=dict)
    children: set[asyncio.subprocess.Process] = field(default_factory=set)  # isolated lints running now
    # uri -> the engine's last lint of the document, for re-linting only what the next edit changes.
    # Read and written on the lint thread only (one worker: lints of a document run in order).
    incremental: dict[str, IncrementalLint] = field(default_factory=dict)


# -- requests and notifications that do not fit their method ----------------------------------------


@dataclass(frozen=True)
class _RejectedMessage:
    """A message pygls could not turn into its method's type: answered with an error if a request."""

    data: dict[str, Any]
    reason: str


def _describe_structure_error(error: BaseException) -> str:
    """What was wrong with the params, in a line (cattrs says where: `$.textDocument`)."""
    cause = error.__cause__ or error
    try:
        from cattrs import transform_error

        details = transform_error(cause)
    except Exception:
        details = [f"{type(cause).__name__}: {cause}"]
    text = "; ".join(str(d) for d in details) or type(cause).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def _valid_id(value: object) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


class _DropDeserializeTracebacks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to deserialize message")


class OnnxlintProtocol(LanguageServerProtocol):
    """pygls' protocol, except that no request goes unanswered.

    pygls turns each message into its method's lsprotocol type inside `json.loads`; when that
    fails (`textDocument/hover` without params, `{"textDocument": 5}`), it logs and drops the
    message, and the client waits for an answer forever. Here a request that does not fit gets
    JSON-RPC error -32602 (InvalidParams), one without a usable id or method -32600
    (InvalidRequest), and a notification that does not fit is logged and ignored.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # pygls logs a multi-page traceback for each message that does not fit; _reject logs a line.
        pygls_logger = logging.getLogger("pygls.protocol.json_rpc")
        if not any(isinstance(f, _DropDeserializeTracebacks) for f in pygls_logger.filters):
            pygls_logger.addFilter(_DropDeserializeTracebacks())

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except Exception as error:  # pygls raises JsonRpcInvalidParams / JsonRpcInternalError here
            return _RejectedMessage(data, _describe_structure_error(error))

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _RejectedMessage):
            self._reject(message.data, message.reason)
        elif isinstance(message, dict):  # no "jsonrpc" member: pygls passes the bare dict on
            self._reject(message, "not a JSON-RPC 2.0 message")
        elif not hasattr(message, "jsonrpc"):
            logger.warning("ignoring a message that is not a JSON-RPC object: %.200r", message)
        else:
            super().handle_message(message)

    def _reject(self, data: dict[str, Any], reason: str) -> None:
        method = data.get("method")
        if "id" not in data:
            logger.warning("ignoring a %.100r notification that does not fit its method: %s", method, reason)
            return
        msg_id = data.get("id")
        if method is None and ("result" in data or "error" in data):
            # A response of the client's that does not fit: fail the request that waits for it.
            if _valid_id(msg_id):
                error = JsonRpcInvalidParams(message=f"the client's response does not fit: {reason}")
                self._handle_response(msg_id, None, error.to_response_error())  # type: ignore[arg-type]
            return
        if not _valid_id(msg_id) or not isinstance(method, str) or data.get("jsonrpc") != "2.0":
            logger.warning("answering an invalid request with -32600: %s", reason)
            invalid = JsonRpcInvalidRequest(message=f"Invalid Request: {reason}")
            self._send_response(msg_id if _valid_id(msg_id) else None, None, invalid.to_response_error())  # type: ignore[arg-type]
            return
        logger.warning("answering a %s request with -32602: %s", method, reason)
        error = JsonRpcInvalidParams(message=f"Invalid params for {method}: {reason}")
        self._send_response(msg_id, None, error.to_response_error())  # type: ignore[arg-type]


class OnnxlintLanguageServer(LanguageServer):
    def __init__(self, debounce_ms: int = DEFAULT_DEBOUNCE_MS, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        super().__init__(
            "onnxlint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=OnnxlintProtocol,
        )
        self.state = ServerState(debounce_s=debounce_ms / 1000, max_file_bytes=max_file_bytes)
        # One worker: in-process lints run in order, off the event loop, so requests are answered meanwhile.
        self.lint_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnxlint-lint")
        # Large documents: reading a child process's findings and turning them into diagnostics.
        self.isolated_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnxlint-isolated")
        self._isolated_slot: asyncio.Semaphore | None = None  # one child process at a time

    # -- documents and configuration ---------------------------------------------------------------

    def open_document(self, uri: str) -> TextDocument | None:
        return self.workspace.text_documents.get(unquote(uri))

    @property
    def position_encoding(self) -> str:
        return kind_value(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def workspace_root_for(self, folder: Path) -> Path:
        """The workspace folder holding `folder` (or `folder` itself, for a file outside them)."""
        for workspace_folder in self.workspace.folders.values():
            folder_path = to_fs_path(workspace_folder.uri)
            if folder_path and folder.is_relative_to(folder_path):
                return Path(folder_path)
        root = self.workspace.root_path
        if root and folder.is_relative_to(root):
            return Path(root)
        return folder

    def folder_config(self, folder: Path) -> _FolderConfig:
        signature = config_signature(folder)
        cached = self.state.folder_configs.get(folder)
        if cached is not None and cached.signature == signature:
            return cached
        try:
            resolved = self._read_folder_config(folder, signature)
        except ConfigError as error:
            self.show_config_error(str(error))
            resolved = self._default_folder_config(folder, signature)
        except Exception as error:  # a bug in a validator (or a pyproject.toml nested 100,000 deep)
            logger.exception("reading the configuration for %s failed", folder)
            self.show_config_error(f"{folder}: the configuration could not be read: {type(error).__name__}: {error}")
            resolved = self._default_folder_config(folder, signature)
        self.state.folder_configs[folder] = resolved
        return resolved

    def _read_folder_config(self, folder: Path, signature: tuple[tuple[str, int, int], ...]) -> _FolderConfig:
        pyproject = find_config(folder)
        if pyproject is None:
            return self._default_folder_config(folder, signature)
        try:
            config = load_config(pyproject)
            settings = build_settings(config, confidence=config.confidence or EDITOR_CONFIDENCE)
            excluder = Excluder((*config.exclude, *config.extend_exclude), config.root)
        except ConfigError:
            raise
        except Exception as error:  # ConfigError names the file; say which file this came from too
            raise ConfigError(f"{pyproject}: [tool.onnxlint]: {type(error).__name__}: {error}") from error
        return _FolderConfig(settings, excluder, config.root, signature)

    def _default_folder_config(self, folder: Path, signature: tuple[tuple[str, int, int], ...]) -> _FolderConfig:
        # No project file (or a broken one): patterns are relative to the workspace folder.
        root = self.workspace_root_for(folder)
        settings = replace(build_settings(ProjectConfig(), confidence=EDITOR_CONFIDENCE), project_root=str(root))
        return _FolderConfig(settings, Excluder((), root), root, signature)

    def document_settings(self, uri: str) -> DocumentSettings:
        path_text = to_fs_path(uri) if uri.startswith("file:") else None
        if path_text:
            try:
                return self._file_settings(Path(path_text))
            except (OSError, ValueError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python < 3.13)
                logger.warning("linting %s as an unsaved buffer: its path cannot be resolved (%s)", uri, error)
        # An unsaved buffer: the workspace's settings, no path patterns.
        root = self.workspace.root_path
        settings = self.folder_config(Path(root)).settings if root else LintSettings(confidence=EDITOR_CONFIDENCE)
        return DocumentSettings(settings, uri, None)

    def _file_settings(self, path: Path) -> DocumentSettings:
        resolved = self.folder_config(path.parent)
        relative = relative_to_root(path, resolved.settings)
        try:
            parts = path.relative_to(resolved.root).parts[:-1]
        except ValueError:
            parts = ()
        # What `onnxlint --force-exclude` skips is not linted in the editor either.
        excluded = resolved.excluder.excluded(path) or any(part in DEFAULT_EXCLUDES for part in parts)
        return DocumentSettings(resolved.settings, str(path), relative, excluded)

    def show_config_error(self, message: str) -> None:
        logger.error("%s", message)
        if message not in self.state.shown_config_errors:
            self.state.shown_config_errors.add(message)
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Error, message=f"onnxlint: {message} (using the default settings)"
                )
            )

    def reload_configuration(self) -> None:
        self.state.folder_configs.clear()
        self.state.shown_config_errors.clear()
        self.state.fix_all.clear()
        for document in list(self.workspace.text_documents.values()):
            if is_python(document):
                self.schedule_lint(document.uri, delay=0)

    # -- linting ------------------------------------------------------------------------------------

    def schedule_lint(self, uri: str, delay: float) -> None:
        """Lint the document's latest version after `delay` seconds, replacing any pending lint."""
        pending = self.state.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self.state.pending[uri] = asyncio.ensure_future(self._lint_and_publish(uri, delay))

    async def _lint_and_publish(self, uri: str, delay: float) -> None:
        task = asyncio.current_task()
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            document = self.open_document(uri)
            if document is None:
                return
            version, text = document.version, document.source
            linted = await self.lint(uri, version, text)
            del text
            current = self.open_document(uri)
            if current is None or current.version != version:
                return  # edited meanwhile: the newer version's lint publishes
            self.state.linted[uri] = linted
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=linted.diagnostics, version=version)
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # never let one document's trouble stop the server
            logger.exception("linting %s failed", uri)
        finally:
            if self.state.pending.get(uri) is task:
                del self.state.pending[uri]

    async def lint(self, uri: str, version: int | None, text: str) -> LintedDocument:
        """The diagnostics of one version of a document (an E902 one when it is not linted)."""
        refusal = unlintable_uri(uri)
        if refusal is not None:
            return LintedDocument(version, [not_linted_diagnostic(refusal, version)], [])
        target = document_with_configuration(self.document_settings(uri), text)
        if target.excluded:
            return LintedDocument(version, [], [])
        size = utf8_size(text, self.state.max_file_bytes)
        if self.state.max_file_bytes and size > self.state.max_file_bytes:
            reason = too_large_reason(size, self.state.max_file_bytes)
            return LintedDocument(version, [not_linted_diagnostic(reason, version)], [])
        encoding = self.position_encoding
        loop = asyncio.get_running_loop()
        if size > ISOLATED_LINT_BYTES and sys.executable:
            self._drop_incremental(uri)  # its lint stays in the child process
            try:
                answer = await self.run_isolated("lint", text, target)
            except IsolatedLintError as error:
                answer = pickle.dumps(("error", str(error), ""))
            return await loop.run_in_executor(
                self.isolated_executor, isolated_lint_result, answer, text, version, target, encoding
            )
        return await loop.run_in_executor(self.lint_executor, self.lint_in_place, uri, text, version, target, encoding)

    def lint_in_place(
        self, uri: str, text: str, version: int | None, target: DocumentSettings, encoding: str
    ) -> LintedDocument:
        """Lint on the lint thread, from the document's last lint (the engine re-lints what changed)."""
        incremental = self.state.incremental
        linted, latest = lint_document(text, version, target, encoding, incremental.get(uri))
        if latest is None:
            incremental.pop(uri, None)
        else:
            incremental[uri] = latest
        return linted

    async def run_isolated(self, kind: str, text: str, target: DocumentSettings) -> bytes:
        """Lint (`kind` "lint") or fix ("fix") `text` in a child process; its pickled answer.

        The child is this Python in isolated mode (`-I`: neither the working directory nor
        PYTHON* variables on its path) with the server's own import path, so it imports the same
        onnxlint (and the same plugin rules) and nothing of the workspace. It is killed when the
        lint is cancelled (the document changed or closed), and only one runs at a time.
        """
        import onnxlint.rules as rules_package

        job = pickle.dumps((kind, text, target.filename, target.settings, target.relative_path))
        message = pickle.dumps((import_path(), list(rules_package.__path__), job))
        del job
        if self._isolated_slot is None:
            self._isolated_slot = asyncio.Semaphore(1)
        async with self._isolated_slot:
            try:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-I",
                    "-c",
                    _ISOLATED_CHILD,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
            except OSError as error:
                raise IsolatedLintError(f"no process could be started to lint this large file: {error}") from error
            self.state.children.add(process)
            try:
                answer, _ = await process.communicate(message)
            finally:
                self.state.children.discard(process)
                if process.returncode is None:  # cancelled: the document changed or closed
                    kill(process)
        if process.returncode != 0 or not answer:
            raise IsolatedLintError(f"the process linting this large file exited with status {process.returncode}")
        return answer

    def forget(self, uri: str) -> None:
        """A document was closed: drop everything kept of it (pygls drops its text)."""
        pending = self.state.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()  # an isolated lint's child process is killed
        linted = self.state.linted.pop(uri, None)
        self.state.fix_all.pop(uri, None)
        self._drop_incremental(uri)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        if linted is not None and len(linted.diagnostics) >= _MANY_DIAGNOSTICS:
            del linted
            release_memory()

    def _drop_incremental(self, uri: str) -> None:
        """Forget the engine's last lint of a document, on the lint thread (after any lint of it that is
        running or queued there, which would store it again)."""
        try:
            self.lint_executor.submit(self.state.incremental.pop, uri, None)
        except RuntimeError:  # shut down
            self.state.incremental.clear()

    # -- code actions -------------------------------------------------------------------------------

    def workspace_edit(self, uri: str, version: int | None, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        """Versioned when the client supports it, so an edit computed for an older text is refused."""
        capabilities = self.client_capabilities.workspace
        versioned = bool(capabilities and capabilities.workspace_edit and capabilities.workspace_edit.document_changes)
        if versioned:
            identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
            return types.WorkspaceEdit(
                document_changes=[types.TextDocumentEdit(text_document=identifier, edits=list(edits))]
            )
        return types.WorkspaceEdit(changes={uri: list(edits)})

    def quick_fixes(self, params: types.CodeActionParams, document: TextDocument) -> list[types.CodeAction]:
        uri = params.text_document.uri
        linted = self.state.linted.get(uri)
        actions: list[types.CodeAction] = []
        seen: set[tuple[str, int, int, int, int]] = set()
        for diagnostic in params.context.diagnostics:
            if diagnostic.source != SOURCE:
                continue
            data = diagnostic.data if isinstance(diagnostic.data, dict) else None
            if data is None and linted is not None and linted.version == document.version:
                data = _cached_data(linted, diagnostic)  # for clients that drop `data`
            if not data or "fix" not in data or data.get("version") != document.version:
                continue  # no fix, or computed for an older text: the next lint offers fresh ones
            key = (
                str(diagnostic.code),
                diagnostic.range.start.line,
                diagnostic.range.start.character,
                diagnostic.range.end.line,
                diagnostic.range.end.character,
            )
            if key in seen:
                continue
            seen.add(key)
            fix = data["fix"]
            try:
                edits = [
                    types.TextEdit(range=_range_from_dict(e["range"]), new_text=str(e["newText"])) for e in fix["edits"]
                ]
                title, applicability = str(fix["title"]), str(fix["applicability"])
            except (KeyError, TypeError, ValueError, AttributeError):
                logger.warning("ignoring a diagnostic whose data the client changed: %.300r", data)
                continue
            actions.append(
                types.CodeAction(
                    title=quick_fix_title(title, applicability),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=self.workspace_edit(uri, document.version, edits),
                    is_preferred=applicability == Applicability.SAFE.value,
                )
            )
        return actions

    async def fix_all_action(self, document: TextDocument) -> types.CodeAction | None:
        uri = document.uri
        version, text = document.version, document.source
        if unlintable_uri(uri) is not None:
            return None
        target = document_with_configuration(self.document_settings(uri), text)
        if target.excluded:
            return None
        size = utf8_size(text, self.state.max_file_bytes)
        if self.state.max_file_bytes and size > self.state.max_file_bytes:
            return None  # not linted, so not fixed either
        cached = self.state.fix_all.get(uri)
        if cached is not None and cached[0] == version and cached[1] is target.settings:
            return cached[2]
        loop = asyncio.get_running_loop()
        encoding = self.position_encoding
        try:
            if size > ISOLATED_LINT_BYTES and sys.executable:
                answer = await self.run_isolated("fix", text, target)
                fixed = await loop.run_in_executor(self.isolated_executor, isolated_fix_result, answer, text, encoding)
            else:
                fixed = await loop.run_in_executor(self.lint_executor, fix_document, text, target, encoding)
        except Exception:
            logger.exception("fixing %s failed", uri)
            return None
        action = None
        if fixed is not None:
            edit, count = fixed
            action = types.CodeAction(
                title=f"onnxlint: fix all safe findings ({count} fix{'es' if count != 1 else ''})",
                kind=FIX_ALL_KIND,
                edit=self.workspace_edit(uri, version, [edit]),
            )
        current = self.open_document(uri)
        if current is None or current.version != version:
            return None
        self.state.fix_all[uri] = (version, target.settings, action)
        return action


def _cached_data(linted: LintedDocument, diagnostic: types.Diagnostic) -> dict[str, Any] | None:
    for known in linted.diagnostics:
        if known.code == diagnostic.code and known.range == diagnostic.range:
            return known.data if isinstance(known.data, dict) else None
    return None


def is_python(document: TextDocument) -> bool:
    return document.language_id == "python" or document.uri.endswith(PYTHON_SUFFIXES)


def lint_document(
    text: str,
    version: int | None,
    target: DocumentSettings,
    encoding: str,
    previous: IncrementalLint | None = None,
) -> tuple[LintedDocument, IncrementalLint | None]:
    """Lint one version of a document (runs on the lint thread; pure apart from logging), from the
    engine's lint of an earlier version (`previous`): what `lint_source` finds, re-linting only the
    statements the edit can have changed. Returns the diagnostics and the engine's lint to pass next time."""
    if target.excluded:
        return LintedDocument(version, [], []), None
    with _quiet_collector():
        try:
            latest: IncrementalLint | None = lint_source_incremental(
                previous, text, target.filename, target.settings, relative_path=target.relative_path
            )
            findings = latest.result.findings  # type: ignore[union-attr]
        except Exception as error:  # an engine bug: one diagnostic instead of a dead server
            logger.exception("onnxlint crashed on %s", target.filename)
            latest = None
            findings = [crash_finding(target.filename, f"{type(error).__name__}: {error}", traceback.format_exc())]
        return linted_document(findings, text, version, encoding), latest


def linted_document(findings: list[Finding], text: str, version: int | None, encoding: str) -> LintedDocument:
    if not findings:
        return LintedDocument(version, [], findings)
    mapper = PositionMapper(text, encoding)
    return LintedDocument(version, [to_diagnostic(f, mapper, version) for f in findings], findings)


# The collector's first threshold while a lint runs. Python's default (700) runs the young-generation
# collection every few hundred allocations, over the new syntax trees again and again, and now and
# then a full collection over everything the server holds: tens of milliseconds on a large file,
# and nothing the lint made is garbage before it ends. The first collection after it frees its cycles.
_LINT_GC_THRESHOLD = 100_000
_gc_lock = threading.Lock()
_gc_saved: list[tuple[int, ...]] = []  # the thresholds to restore, while lints run (one per lint)


@contextlib.contextmanager
def _quiet_collector() -> Iterator[None]:
    with _gc_lock:
        thresholds = gc.get_threshold() if not _gc_saved else _gc_saved[0]
        _gc_saved.append(thresholds)
        gc.set_threshold(_LINT_GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        with _gc_lock:
            _gc_saved.pop()
            if not _gc_saved:
                gc.set_threshold(*thresholds)


def crash_finding(filename: str, error: str, detail: str) -> Finding:
    return Finding(
        code=RULE_CRASH_CODE,
        message=f"onnxlint crashed on this file: {error}. Please report this bug.",
        severity=Severity.ERROR,
        filename=filename,
        start=Location(1, 1),
        end=Location(1, 1),
        rule_name="internal_error",
        url=rule_url(RULE_CRASH_CODE),
        extra={"traceback": detail},
    )


def document_with_configuration(target: DocumentSettings, text: str) -> DocumentSettings:
    """The document's settings with the defaults of the configuration modules its text imports from beside its
    file, read as the command line reads them (analysis/config_defaults.py; parsed, never imported)."""
    if target.excluded or target.relative_path is None:  # an unsaved buffer has no folder
        return target
    configurations = sibling_configurations(Path(target.filename), text.encode("utf-8", "surrogatepass"))
    if not configurations:
        return target
    return replace(target, settings=with_configuration(target.settings, configurations))


def fix_document(text: str, target: DocumentSettings, encoding: str) -> tuple[types.TextEdit, int] | None:
    """The fix-all edit of a document and how many fixes it applies (None: nothing to fix)."""
    result = fix_source(text, target.filename, target.settings, unsafe_fixes=False, relative_path=target.relative_path)
    return fix_edit(result, text, encoding)


def fix_edit(result: FixResult, text: str, encoding: str) -> tuple[types.TextEdit, int] | None:
    if not result.changed:
        return None
    return single_span_edit(text, result.text, PositionMapper(text, encoding)), result.fixed_count


# -- documents that are not linted, and large ones linted in a child process -------------------------


def unlintable_uri(uri: str) -> str | None:
    """Why a document's URI is not linted, or None. A NUL (`%00`) names no file anyone can have
    open: such a path is never handed to the file system (Python raises on it, C truncates it)."""
    if "\x00" in uri or "\x00" in unquote(uri):
        return "the document's URI holds a NUL character (%00); not linted"
    return None


def utf8_size(text: str, limit: int) -> int:
    """The UTF-8 size of `text` (1 to 4 bytes a character), encoded only where the answer matters:
    a small text is under both `limit` and ISOLATED_LINT_BYTES whatever its characters, and for a
    text four times over `limit` its length is a lower bound that is over it too."""
    length = len(text)
    if 4 * length <= ISOLATED_LINT_BYTES and (not limit or 4 * length <= limit):
        return length
    if limit and length > 4 * limit:
        return length
    return len(text.encode("utf-8", "surrogatepass"))


def too_large_reason(size: int, limit: int) -> str:
    return f"{too_large_message(size, limit)}; not linted"


def not_linted_diagnostic(reason: str, version: int | None) -> types.Diagnostic:
    """The one diagnostic of a document onnxlint does not lint: at its first line, saying why."""
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        message=reason,
        severity=types.DiagnosticSeverity.Error,
        code=IO_ERROR_CODE,
        source=SOURCE,
        data={"version": version},
    )


# Closing a document with this many diagnostics frees tens of MiB: worth handing back to the system.
_MANY_DIAGNOSTICS = 2000


def release_memory() -> None:
    """Collect, then ask glibc to return free heap pages to the system (elsewhere: nothing more)."""
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
            pass


def kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        try:
            process.kill()
        except ProcessLookupError:  # it exited meanwhile
            pass


class IsolatedLintError(Exception):
    """The child process linting a large document failed (it could not start, or died)."""


def import_path() -> list[str]:
    """The server's import path for its child processes, without the working directory (`""`):
    the editor starts the server in the workspace, whose modules the child must not import."""
    return [entry for entry in sys.path if entry]


# Runs as `python -I -c`: reads (import path, rules path, job) from stdin, writes its pickled answer.
_ISOLATED_CHILD = """\
import pickle, sys
path, rules_path, job = pickle.load(sys.stdin.buffer)
sys.path[:] = path
import onnxlint.rules
onnxlint.rules.__path__[:] = rules_path
kind, text, filename, settings, relative_path = pickle.loads(job)
del job
try:
    if kind == "lint":
        from onnxlint.core.engine import lint_source
        answer = ("ok", lint_source(text, filename, settings, relative_path=relative_path).findings)
    else:
        from onnxlint.core.fixer import fix_source
        answer = ("ok", fix_source(text, filename, settings, unsafe_fixes=False, relative_path=relative_path))
except Exception as error:
    import traceback
    answer = ("error", f"{type(error).__name__}: {error}", traceback.format_exc())
sys.stdout.buffer.write(pickle.dumps(answer))
sys.stdout.flush()
"""


def _unpickle_answer(answer: bytes) -> tuple[Any, ...]:
    # Written by _ISOLATED_CHILD, this server's own code, into a pipe only the server reads.
    value = pickle.loads(answer)
    if not isinstance(value, tuple) or not value or value[0] not in ("ok", "error"):
        raise IsolatedLintError("the process linting this large file answered something unexpected")
    return value


def isolated_lint_result(
    answer: bytes, text: str, version: int | None, target: DocumentSettings, encoding: str
) -> LintedDocument:
    """A child's lint as diagnostics (on the isolated thread: large files have many findings)."""
    try:
        value = _unpickle_answer(answer)
    except Exception as error:
        value = ("error", f"{type(error).__name__}: {error}", traceback.format_exc())
    if value[0] == "ok":
        findings = list(value[1])
    else:
        logger.error("onnxlint crashed on %s: %s", target.filename, value[2] or value[1])
        findings = [crash_finding(target.filename, value[1], value[2])]
    return linted_document(findings, text, version, encoding)


def isolated_fix_result(answer: bytes, text: str, encoding: str) -> tuple[types.TextEdit, int] | None:
    value = _unpickle_answer(answer)
    if value[0] != "ok":
        raise IsolatedLintError(f"fixing this large file failed: {value[1]}")
    return fix_edit(value[1], text, encoding)


def warm_up() -> None:
    """Load the rules (on the lint thread, at `initialized`); then take everything loaded so far (pygls,
    lsprotocol's converters, the rules: a few hundred thousand objects) out of the collector's sight,
    so that a full collection while the user types walks only what documents and lints hold."""
    lint_source("import torch\n", "<warm-up>")
    gc.collect()
    gc.freeze()


def wants(only: list[Any] | None, kind: object) -> bool:
    """Whether a code action of `kind` answers a request for the kinds `only` (LSP's prefix rule)."""
    if only is None:
        return True
    kind = kind_value(kind)
    return any(kind == kind_value(requested) or kind.startswith(f"{kind_value(requested)}.") for requested in only)


def hover_markdown(linted: LintedDocument, position: types.Position) -> tuple[str, types.Range] | None:
    parts: list[str] = []
    hit_range: types.Range | None = None
    codes: set[str] = set()
    for diagnostic, finding in zip(linted.diagnostics, linted.findings):
        if not _contains(diagnostic.range, position) or finding.code in codes:
            continue
        codes.add(finding.code)
        hit_range = hit_range or diagnostic.range
        rule = rule_by_code(finding.code)
        text = render_rule(rule) if rule is not None else f"# {finding.code}\n\n{finding.message}\n"
        if finding.fix is not None:
            text += f"\n**Fix ({finding.fix.applicability.value}):** {finding.fix.title}\n"
        parts.append(text)
    if not parts or hit_range is None:
        return None
    return "\n---\n\n".join(parts), hit_range


# -- the server -------------------------------------------------------------------------------------


def _number_option(options: dict[str, Any], name: str) -> float | None:
    """A finite, non-negative number from initializationOptions (None, logged, for anything else)."""
    value = options.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        logger.warning("ignoring initializationOptions.%s = %.100r: not a non-negative number", name, value)
        return None
    return float(value)


def create_server(
    debounce_ms: int = DEFAULT_DEBOUNCE_MS, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> OnnxlintLanguageServer:
    server = OnnxlintLanguageServer(debounce_ms, max_file_bytes)

    @server.feature(types.INITIALIZE)
    def initialize(ls: OnnxlintLanguageServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if not isinstance(options, dict):
            return
        debounce_ms = _number_option(options, "debounceMs")
        if debounce_ms is not None:
            ls.state.debounce_s = debounce_ms / 1000
        max_mib = _number_option(options, "maxFileSizeMiB")  # 0: lint every size, as --max-file-size 0
        if max_mib is not None:
            ls.state.max_file_bytes = int(max_mib * MIB)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: OnnxlintLanguageServer, params: types.InitializedParams) -> None:
        # Load the rules now, on the lint thread, rather than on the first didOpen.
        asyncio.get_running_loop().run_in_executor(ls.lint_executor, warm_up)
        watched = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if not (watched and watched.dynamic_registration):
            return  # the client watches nothing for us; didSave of a pyproject.toml still reloads
        registration = types.Registration(
            id="onnxlint-pyproject-watcher",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=f"**/{CONFIG_FILE}")]
            ),
        )
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception:
            logger.exception("the client refused to watch %s files", CONFIG_FILE)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: OnnxlintLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        document = ls.open_document(params.text_document.uri)
        if document is not None and is_python(document):
            ls.schedule_lint(params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: OnnxlintLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        document = ls.open_document(params.text_document.uri)
        if document is not None and is_python(document):
            ls.schedule_lint(params.text_document.uri, delay=ls.state.debounce_s)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: OnnxlintLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith(f"/{CONFIG_FILE}"):
            ls.reload_configuration()
            return
        document = ls.open_document(uri)
        if document is not None and is_python(document):
            ls.schedule_lint(uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: OnnxlintLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: OnnxlintLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(change.uri.endswith(f"/{CONFIG_FILE}") for change in params.changes):
            ls.reload_configuration()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    async def code_action(ls: OnnxlintLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        document = ls.open_document(params.text_document.uri)
        if document is None or not is_python(document):
            return []
        only = list(params.context.only) if params.context.only is not None else None
        actions: list[types.CodeAction] = []
        if wants(only, types.CodeActionKind.QuickFix):
            actions.extend(ls.quick_fixes(params, document))
        if wants(only, FIX_ALL_KIND):
            # Unasked (a light bulb), offer it only when the last lint saw a safe fix: it costs a fix run.
            linted = ls.state.linted.get(document.uri)
            asked = only is not None
            fixable = linted is not None and any(
                f.fix is not None and f.fix.applicability is Applicability.SAFE for f in linted.findings
            )
            if asked or fixable:
                action = await ls.fix_all_action(document)
                if action is not None:
                    actions.append(action)
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: OnnxlintLanguageServer, params: types.HoverParams) -> types.Hover | None:
        document = ls.open_document(params.text_document.uri)
        linted = ls.state.linted.get(params.text_document.uri)
        if document is None or linted is None or linted.version != document.version:
            return None  # ranges of an older text would point at the wrong code
        found = hover_markdown(linted, params.position)
        if found is None:
            return None
        markdown, range_ = found
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
            range=range_,
        )

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: OnnxlintLanguageServer, params: None) -> None:
        for task in ls.state.pending.values():
            task.cancel()
        ls.state.pending.clear()
        for process in list(ls.state.children):
            kill(process)
        ls.lint_executor.shutdown(wait=False, cancel_futures=True)
        ls.isolated_executor.shutdown(wait=False, cancel_futures=True)

    return server


def run_server(debounce_ms: int = DEFAULT_DEBOUNCE_MS, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
    """Serve LSP on stdin/stdout until the client says exit. Logs go to stderr (stdout is the protocol)."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="onnxlint server: %(levelname)s %(message)s")
    forget_working_directory()
    create_server(debounce_ms, max_file_bytes).start_io()
