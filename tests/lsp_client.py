"""A test client for `onnxlint server`: pygls' LanguageClient over the real server's stdio.

It behaves like an editor: it keeps its own copy of each document, applies the WorkspaceEdits
that code actions return (checking their versions, converting positions itself, in the
negotiated encoding), and sends the edits back as incremental didChange notifications.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

TIMEOUT = 60.0
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def units(text: str, encoding: str) -> int:
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    return len(text.encode("utf-16-le")) // 2


def offset_of(text: str, position: types.Position, encoding: str) -> int:
    """The string index of an LSP position (the client's own conversion, independent of the server's)."""
    lines = _LINE.findall(text) or [""]
    if position.line >= len(lines):
        return len(text)
    start = sum(len(line) for line in lines[: position.line])
    line = lines[position.line].rstrip("\r\n")
    count = 0
    for index, char in enumerate(line):
        if count >= position.character:
            return start + index
        count += units(char, encoding)
    assert count >= position.character, f"position {position} is past the end of line {line!r}"
    return start + len(line)


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    spans = sorted(
        ((offset_of(text, e.range.start, encoding), offset_of(text, e.range.end, encoding), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


@dataclass
class Document:
    uri: str
    text: str
    version: int


@dataclass
class EditorClient:
    """One server process and what it sent us."""

    client: LanguageClient
    workspace: Path
    encoding: str = "utf-16"
    documents: dict[str, Document] = field(default_factory=dict)
    published: list[types.PublishDiagnosticsParams] = field(default_factory=list)
    messages: list[types.ShowMessageParams] = field(default_factory=list)
    registrations: list[types.Registration] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    exit_code: int | None = None
    capabilities: types.ServerCapabilities | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    @classmethod
    async def start(
        cls,
        workspace: Path,
        *,
        position_encodings: list[str] | None = None,
        initialization_options: dict[str, Any] | None = None,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> EditorClient:
        client = _RecordingClient("onnxlint-tests", "1.0")
        editor = cls(client, workspace)
        client.editor = editor

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            editor.published.append(params)
            editor.arrived.set()

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(params: types.ShowMessageParams) -> None:
            editor.messages.append(params)
            editor.arrived.set()

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams) -> None:
            pass

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: types.RegistrationParams) -> None:
            editor.registrations.extend(params.registrations)
            editor.arrived.set()

        command = command or [sys.executable, "-m", "onnxlint", "server"]
        await client.start_io(*command, cwd=str(workspace), env={**os.environ, **(env or {})})
        general = types.GeneralClientCapabilities(position_encodings=position_encodings) if position_encodings else None
        capabilities = types.ClientCapabilities(
            general=general,
            workspace=types.WorkspaceClientCapabilities(
                workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
                did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
            ),
            text_document=types.TextDocumentClientCapabilities(
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                    version_support=True, code_description_support=True, data_support=True
                ),
                code_action=types.CodeActionClientCapabilities(
                    data_support=True,
                    code_action_literal_support=types.ClientCodeActionLiteralOptions(
                        code_action_kind=types.ClientCodeActionKindOptions(
                            value_set=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]
                        )
                    ),
                ),
                hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            ),
        )
        result = await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(
                    process_id=os.getpid(),
                    root_uri=workspace.as_uri(),
                    workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
                    capabilities=capabilities,
                    initialization_options=initialization_options,
                )
            ),
            TIMEOUT,
        )
        encoding = result.capabilities.position_encoding
        editor.encoding = str(getattr(encoding, "value", encoding) or "utf-16")
        editor.capabilities = result.capabilities
        client.initialized(types.InitializedParams())
        return editor

    async def shutdown(self) -> int | None:
        """shutdown, exit; returns the server's exit status."""
        await asyncio.wait_for(self.client.shutdown_async(None), TIMEOUT)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), TIMEOUT)
        return self.exit_code

    # -- documents -------------------------------------------------------------------------------

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8") if text is None else text
        self.documents[uri] = Document(uri, text, 1)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        return uri

    def replace_text(self, uri: str, text: str) -> int:
        """Replace the whole text, as an incremental change of the full range."""
        document = self.documents[uri]
        end = _end_position(document.text, self.encoding)
        return self.change(uri, [types.TextEdit(range=types.Range(start=types.Position(0, 0), end=end), new_text=text)])

    def change(self, uri: str, edits: list[types.TextEdit]) -> int:
        """Apply edits locally and send them as incremental changes (last one first, so ranges stay valid)."""
        document = self.documents[uri]
        ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
        events = []
        for edit in ordered:
            document.text = apply_text_edits(document.text, [edit], self.encoding)
            events.append(types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
        document.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=document.version),
                content_changes=events,
            )
        )
        return document.version

    def save(self, uri: str) -> None:
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def close(self, uri: str) -> None:
        self.documents.pop(uri, None)
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def apply_workspace_edit(self, edit: types.WorkspaceEdit) -> None:
        """What an editor does: refuse an edit made for another version, else apply and send didChange."""
        for change in edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit), change
            document = self.documents[change.text_document.uri]
            assert change.text_document.version == document.version, "edit computed for another version"
            self.change(document.uri, list(change.edits))  # type: ignore[arg-type]
        for uri, edits in (edit.changes or {}).items():
            self.change(uri, list(edits))

    # -- waiting for the server -------------------------------------------------------------------

    async def diagnostics(self, uri: str, version: int | None = None, *, after: int = 0) -> list[types.Diagnostic]:
        """The first diagnostics for `uri` (and `version`) published after the `after`-th notification."""
        found = await self.wait_for(lambda: self._find(uri, version, after))
        return list(found.diagnostics)

    def _find(self, uri: str, version: int | None, after: int) -> types.PublishDiagnosticsParams | None:
        for params in self.published[after:]:
            if params.uri == uri and (version is None or params.version == version):
                return params
        return None

    async def wait_for(self, probe: Any, timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            self.arrived.clear()
            value = probe()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the server sent nothing matching in {timeout}s; published: {self.published!r}")
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    # -- requests ---------------------------------------------------------------------------------

    async def code_actions(
        self,
        uri: str,
        diagnostics: list[types.Diagnostic],
        *,
        only: list[str] | None = None,
        range_: types.Range | None = None,
    ) -> list[types.CodeAction]:
        range_ = range_ or (
            diagnostics[0].range if diagnostics else types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
        )
        result = await asyncio.wait_for(
            self.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=range_,
                    context=types.CodeActionContext(diagnostics=diagnostics, only=only),
                )
            ),
            TIMEOUT,
        )
        return [action for action in result or [] if isinstance(action, types.CodeAction)]

    async def hover(self, uri: str, position: types.Position) -> types.Hover | None:
        return await asyncio.wait_for(
            self.client.text_document_hover_async(
                types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
            ),
            TIMEOUT,
        )


class _RecordingClient(LanguageClient):
    editor: EditorClient

    async def server_exit(self, server: asyncio.subprocess.Process) -> None:
        self.editor.exit_code = server.returncode


def _end_position(text: str, encoding: str) -> types.Position:
    lines = _LINE.findall(text) or [""]
    last = lines[-1]
    if last.endswith(("\n", "\r")):
        return types.Position(line=len(lines), character=0)
    return types.Position(line=len(lines) - 1, character=units(last, encoding))
