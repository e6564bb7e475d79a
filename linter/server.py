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
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from . import __version__
from .config import ConfigError, ProjectConfig, build_settings, find_config, load_config
from .docs import render_rule
from .engine import RULE_CRASH_CODE, lint_source
from .files import DEFAULT_EXCLUDES, Excluder
from .findings import Applicability, Finding, Location, Severity
from .fixer import fix_source
from .registry import rule_by_code
from .rule import rule_url
from .runner import relative_to_root
from .settings import LintSettings
from .source import SourceText

logger = logging.getLogger("onnxlint.server")

SOURCE = "onnxlint"
FIX_ALL_KIND = "source.fixAll.onnxlint"
DEFAULT_DEBOUNCE_MS = 250
CONFIG_FILE = "pyproject.toml"
PYTHON_SUFFIXES = (".py", ".pyi")

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
        severity=_SEVERITIES[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=finding.url) if finding.url else None,
        source=SOURCE,
        data=data,
    )


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
    linted: dict[str, LintedDocument] = field(default_factory=dict)
    pending: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    folder_configs: dict[Path, _FolderConfig] = field(default_factory=dict)
    shown_config_errors: set[str] = field(default_factory=set)
    # uri -> (version, settings, action): the fix-all action computed for that text and configuration
    fix_all: dict[str, tuple[int | None, LintSettings, types.CodeAction | None]] = field(default_factory=dict)


class OnnxlintLanguageServer(LanguageServer):
    def __init__(self, debounce_ms: int = DEFAULT_DEBOUNCE_MS) -> None:
        super().__init__("onnxlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.state = ServerState(debounce_s=debounce_ms / 1000)
        # One worker: lints run in order, off the event loop, so requests are answered meanwhile.
        self.lint_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnxlint-lint")

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
            pyproject = find_config(folder)
            config = load_config(pyproject) if pyproject is not None else ProjectConfig()
        except ConfigError as error:
            self.show_config_error(str(error))
            config, pyproject = ProjectConfig(), None
        root = config.root if pyproject is not None else self.workspace_root_for(folder)
        settings = build_settings(config)
        if pyproject is None:  # no project file: patterns are relative to the workspace folder
            settings = replace(settings, project_root=str(root))
        resolved = _FolderConfig(settings, Excluder((*config.exclude, *config.extend_exclude), root), root, signature)
        self.state.folder_configs[folder] = resolved
        return resolved

    def document_settings(self, uri: str) -> DocumentSettings:
        path_text = to_fs_path(uri) if uri.startswith("file:") else None
        if not path_text:  # an unsaved buffer: the workspace's settings, no path patterns
            root = self.workspace.root_path
            settings = self.folder_config(Path(root)).settings if root else LintSettings()
            return DocumentSettings(settings, uri, None)
        path = Path(path_text)
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
            target = self.document_settings(uri)
            encoding = self.position_encoding
            loop = asyncio.get_running_loop()
            linted = await loop.run_in_executor(self.lint_executor, lint_document, text, version, target, encoding)
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

    def forget(self, uri: str) -> None:
        pending = self.state.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self.state.linted.pop(uri, None)
        self.state.fix_all.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

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
                    types.TextEdit(range=_range_from_dict(e["range"]), new_text=e["newText"]) for e in fix["edits"]
                ]
            except (KeyError, TypeError, ValueError):
                logger.warning("ignoring a diagnostic whose data the client changed: %r", data)
                continue
            actions.append(
                types.CodeAction(
                    title=quick_fix_title(fix["title"], fix["applicability"]),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=self.workspace_edit(uri, document.version, edits),
                    is_preferred=fix["applicability"] == Applicability.SAFE.value,
                )
            )
        return actions

    async def fix_all_action(self, document: TextDocument) -> types.CodeAction | None:
        uri = document.uri
        version, text = document.version, document.source
        target = self.document_settings(uri)
        if target.excluded:
            return None
        cached = self.state.fix_all.get(uri)
        if cached is not None and cached[0] == version and cached[1] is target.settings:
            return cached[2]
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self.lint_executor,
                lambda: fix_source(
                    text, target.filename, target.settings, unsafe_fixes=False, relative_path=target.relative_path
                ),
            )
        except Exception:
            logger.exception("fixing %s failed", uri)
            return None
        action = None
        if result.changed:
            edit = single_span_edit(text, result.text, PositionMapper(text, self.position_encoding))
            count = result.fixed_count
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


def lint_document(text: str, version: int | None, target: DocumentSettings, encoding: str) -> LintedDocument:
    """Lint one version of a document (runs on the lint thread; pure apart from logging)."""
    if target.excluded:
        return LintedDocument(version, [], [])
    try:
        findings = lint_source(text, target.filename, target.settings, relative_path=target.relative_path).findings
    except Exception as error:  # an engine bug: one diagnostic instead of a dead server
        logger.exception("onnxlint crashed on %s", target.filename)
        findings = [
            Finding(
                code=RULE_CRASH_CODE,
                message=f"onnxlint crashed on this file: {type(error).__name__}: {error}. Please report this bug.",
                severity=Severity.ERROR,
                filename=target.filename,
                start=Location(1, 1),
                end=Location(1, 1),
                rule_name="internal_error",
                url=rule_url(RULE_CRASH_CODE),
                extra={"traceback": traceback.format_exc()},
            )
        ]
    mapper = PositionMapper(text, encoding)
    return LintedDocument(version, [to_diagnostic(f, mapper, version) for f in findings], findings)


def warm_up() -> None:
    lint_source("import torch\n", "<warm-up>")


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


def create_server(debounce_ms: int = DEFAULT_DEBOUNCE_MS) -> OnnxlintLanguageServer:
    server = OnnxlintLanguageServer(debounce_ms)

    @server.feature(types.INITIALIZE)
    def initialize(ls: OnnxlintLanguageServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounceMs"), (int, float)):
            ls.state.debounce_s = max(0.0, float(options["debounceMs"]) / 1000)

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
        ls.lint_executor.shutdown(wait=False, cancel_futures=True)

    return server


def run_server(debounce_ms: int = DEFAULT_DEBOUNCE_MS) -> None:
    """Serve LSP on stdin/stdout until the client says exit. Logs go to stderr (stdout is the protocol)."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="onnxlint server: %(levelname)s %(message)s")
    create_server(debounce_ms).start_io()
