"""`onnxlint server` under bad input: oversize documents, malformed requests, NUL URIs, broken
configurations. Every scenario runs the real server process over stdio (tests/lsp_client.py), in a
workspace whose model files write a marker when executed: the server must never run them.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import re
import sys
import textwrap
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest.importorskip("lsprotocol")

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from onnxlint.analysis.traversal import parent_map, walk
from onnxlint.core.context import FileContext, after_early_exit
from onnxlint.core.engine import lint_source
from onnxlint.core.fixer import fix_source
from onnxlint.core.settings import LintSettings
from onnxlint.frontends.runner import DEFAULT_MAX_FILE_BYTES
from onnxlint.frontends.server import ISOLATED_LINT_BYTES

from ..lsp_client import EditorClient

MODEL = """\
import pathlib

import torch
from torch import nn

pathlib.Path(__file__).with_name("user-code-ran.txt").write_text("the server executed the user's module")


class Gate(nn.Module):
    def forward(self, x: torch.Tensor):
        y = torch.sigmoid(x) if x.mean() > 0 else x
        if y.sum() > 0:
            out = y * 2
        else:
            out = y - 1
        return out


Gate().load_state_dict(torch.load("weights.pth"))
"""
MODEL_CODES = ["ONX201", "ONX201", "ONX501"]
SMALL = 'import torch\nnet.load_state_dict(torch.load("w.pth"))\n'  # one ONX501
STEP_TIMEOUT = 10.0  # each wait here; the scenarios take a few seconds


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coroutine, 120))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    (folder / "model.py").write_text(MODEL, encoding="utf-8")
    return folder


def assert_ran_nothing(workspace: Path) -> None:
    assert not (workspace / "user-code-ran.txt").exists(), "the server executed the user's code"


def large_model(size: int, comment_lines: int = 0) -> str:
    """Model code of about `size` bytes: copies of a class with two hazards each, renamed, each
    followed by `comment_lines` lines of comments (cheap to lint: fewer findings per byte)."""
    block = (
        textwrap.dedent(
            """\


        class Block{index}(nn.Module):
            def forward(self, x: torch.Tensor):  # annotated: the `torch.where` fix is safe
                if x.sum() > 0:
                    x = x * 2
                return x / x.abs().max().item()
        """
        )
        + "# a comment that makes the file larger without adding code to lint ########\n" * comment_lines
    )
    parts = ["import torch\nfrom torch import nn\n"]
    total = len(parts[0])
    index = 0
    while total < size:
        parts.append(block.format(index=index))
        total += len(parts[-1])
        index += 1
    return "".join(parts)


async def raw_request(editor: EditorClient, message: dict[str, Any], msg_id: str) -> Any:
    """Send a JSON-RPC message as it is (pygls' client would refuse to build it); await its answer."""
    protocol = editor.client.protocol
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    protocol._request_futures[msg_id] = future
    protocol._send_data({"jsonrpc": "2.0", "id": msg_id, **message})
    return await asyncio.wait_for(asyncio.wrap_future(future), STEP_TIMEOUT)


async def expect_error(editor: EditorClient, message: dict[str, Any], msg_id: str, code: int) -> str:
    with pytest.raises(JsonRpcException) as raised:
        await raw_request(editor, message, msg_id)
    assert raised.value.code == code, raised.value
    return str(raised.value.message)


# -- size ----------------------------------------------------------------------------------------------


def test_lsp_oversize_document_gets_one_diagnostic_and_small_ones_still_lint(workspace: Path) -> None:
    big_text = large_model(5 * 1024 * 1024 + 1000)

    async def scenario() -> None:
        editor = await EditorClient.start(workspace)
        started = time.monotonic()
        big = editor.open(workspace / "big.py", big_text)
        diagnostics = await editor.wait_for(lambda: editor._find(big, 1, 0), STEP_TIMEOUT)
        assert time.monotonic() - started < STEP_TIMEOUT
        assert [(d.code, d.range.start.line, d.range.start.character) for d in diagnostics.diagnostics] == [
            ("E902", 0, 0)
        ]
        message = diagnostics.diagnostics[0].message
        assert message == "file too large to lint (5.0 MiB, over the 4.0 MiB limit); not linted", message

        small = editor.open(workspace / "model.py")
        assert [d.code for d in await editor.diagnostics(small, version=1)] == MODEL_CODES

        # Nothing was linted, so nothing to hover or fix.
        assert await editor.hover(big, types.Position(line=0, character=0)) is None
        assert await editor.code_actions(big, [], only=["source.fixAll.onnxlint"]) == []

        # Shrunk under the limit, it is linted.
        version = editor.replace_text(big, SMALL)
        assert [d.code for d in await editor.diagnostics(big, version=version)] == ["ONX501"]
        editor.close(big)
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace)


def test_lsp_max_file_size_comes_from_initialization_options(workspace: Path) -> None:
    text = large_model(40 * 1024, comment_lines=50)

    async def scenario() -> None:
        editor = await EditorClient.start(workspace, initialization_options={"maxFileSizeMiB": 0.03125})
        uri = editor.open(workspace / "generated.py", text)
        diagnostics = await editor.diagnostics(uri, version=1)
        assert [d.code for d in diagnostics] == ["E902"]
        assert "over the 32.0 KiB limit" in diagnostics[0].message
        assert await editor.shutdown() == 0

        # 0: every size is linted, as with `--max-file-size 0`.
        editor = await EditorClient.start(workspace, initialization_options={"maxFileSizeMiB": 0})
        uri = editor.open(workspace / "generated.py", text)
        diagnostics = await editor.diagnostics(uri, version=1)
        assert [d.code for d in diagnostics] == [f.code for f in lint_source(text).findings] != []
        assert await editor.shutdown() == 0

    run(scenario())


def test_lsp_large_document_is_linted_aside_and_never_delays_small_ones(workspace: Path) -> None:
    """A document over ISOLATED_LINT_BYTES is linted in a child process: a small document opened
    after it gets its diagnostics at once, and closing the large one stops its lint."""
    medium_text = large_model(260 * 1024, comment_lines=100)  # just over the threshold
    huge_text = large_model(int(3.9 * 1024 * 1024))
    assert ISOLATED_LINT_BYTES < len(medium_text) < len(huge_text) < DEFAULT_MAX_FILE_BYTES
    expected = lint_source(medium_text, str(workspace / "medium.py")).findings

    async def scenario() -> None:
        editor = await EditorClient.start(workspace)
        # Warm: the first lint loads the rules.
        warm = editor.open(workspace / "model.py")
        await editor.diagnostics(warm, version=1)

        # Just over the threshold: the child's findings are the in-process ones.
        medium = editor.open(workspace / "medium.py", medium_text)
        diagnostics = await editor.diagnostics(medium, version=1)
        assert [(d.code, d.range.start.line + 1) for d in diagnostics] == [(f.code, f.start.row) for f in expected]
        actions = await editor.code_actions(medium, [], only=["source.fixAll.onnxlint"])
        fixed = fix_source(medium_text, str(workspace / "medium.py"))
        assert fixed.changed
        assert [a.title for a in actions] == [f"onnxlint: fix all safe findings ({fixed.fixed_count} fixes)"]
        editor.apply_workspace_edit(actions[0].edit)  # type: ignore[arg-type]  # fixed in a child process too
        assert editor.documents[medium].text == fixed.text

        # Just under the size limit: takes long to lint, and delays nothing.
        huge = editor.open(workspace / "huge.py", huge_text)
        await asyncio.sleep(0.5)  # its child process is running
        opened = time.monotonic()
        small = editor.open(workspace / "small.py", SMALL)
        assert [d.code for d in await editor.diagnostics(small, version=1)] == ["ONX501"]
        waited = time.monotonic() - opened
        assert waited < 5, f"the small document waited {waited:.1f}s behind the large one"

        editor.close(huge)  # cancels its lint (the child process is killed)
        assert await editor.hover(small, types.Position(line=1, character=20)) is not None
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace)


# -- malformed messages --------------------------------------------------------------------------------


def test_lsp_requests_with_invalid_params_are_answered_with_invalid_params(workspace: Path) -> None:
    async def scenario() -> None:
        editor = await EditorClient.start(workspace)
        uri = editor.open(workspace / "model.py")
        diagnostics = await editor.diagnostics(uri, version=1)

        for index, message in enumerate(
            [
                {"method": "textDocument/codeAction", "params": {}},
                {"method": "textDocument/codeAction", "params": {"textDocument": 5}},
                {"method": "textDocument/codeAction", "params": []},
                {"method": "textDocument/hover"},
                {"method": "textDocument/hover", "params": {"textDocument": {"uri": uri}, "position": "here"}},
            ]
        ):
            text = await expect_error(editor, message, f"bad-{index}", -32602)
            assert message["method"] in text

        # A notification that does not fit is ignored (logged): the server goes on.
        editor.client.protocol._send_data(
            {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": 5}}
        )
        editor.client.protocol._send_data({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": None})
        # Not JSON-RPC 2.0 at all: Invalid Request.
        await expect_error(editor, {"jsonrpc": "1.0", "method": "textDocument/hover", "params": {}}, "old", -32600)

        # Still serving: hover and code actions work.
        conditional = next(d for d in diagnostics if d.code == "ONX201")
        hover = await editor.hover(uri, conditional.range.start)
        assert hover is not None
        load = next(d for d in diagnostics if d.code == "ONX501")
        actions = await editor.code_actions(uri, [load], only=[types.CodeActionKind.QuickFix])
        assert [a.title for a in actions] == ["Pass `weights_only=True` (safe)"]
        assert not editor.messages, "nothing to show the user"
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace)


def test_lsp_diagnostic_data_changed_by_the_client_is_ignored(workspace: Path) -> None:
    async def scenario() -> None:
        editor = await EditorClient.start(workspace)
        uri = editor.open(workspace / "model.py")
        load = next(d for d in await editor.diagnostics(uri, version=1) if d.code == "ONX501")
        for data in ({"version": 1, "fix": {"edits": []}}, {"version": 1, "fix": 5}, {"version": 1, "fix": {}}):
            changed = types.Diagnostic(range=load.range, message=load.message, code=load.code, source=load.source)
            changed.data = data
            assert await editor.code_actions(uri, [changed], only=[types.CodeActionKind.QuickFix]) == []
        assert await editor.shutdown() == 0

    run(scenario())


def test_lsp_nul_in_a_uri_is_not_linted_and_never_opened(workspace: Path, tmp_path: Path) -> None:
    # A launcher that records every file the server opens (Python's audit hook sees open() and os.open()).
    log = tmp_path / "opened.txt"
    launcher = tmp_path / "server_with_audit.py"
    launcher.write_text(
        textwrap.dedent(
            f"""\
            import os, sys

            record = os.open({str(log)!r}, os.O_WRONLY | os.O_CREAT | os.O_APPEND)

            def hook(event, args):
                if event == "open" and isinstance(args[0], (str, bytes)):
                    os.write(record, os.fsencode(args[0]).replace(b"\\0", b"<NUL>") + b"\\n")

            sys.addaudithook(hook)
            from onnxlint.frontends.cli import main

            main(["server"])
            """
        )
    )
    secret = workspace / "a"
    secret.write_text('import torch\nsecret = torch.load("w.pth")\n')  # what a NUL-truncated path would name
    nul_uri = workspace.as_uri() + "/a%00.py"

    async def scenario() -> None:
        editor = await EditorClient.start(workspace, command=[sys.executable, str(launcher)])
        editor.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=nul_uri, language_id="python", version=1, text=MODEL)
            )
        )
        diagnostics = await editor.diagnostics(nul_uri, version=1)
        assert [d.code for d in diagnostics] == ["E902"] and "NUL" in diagnostics[0].message
        editor.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=nul_uri))
        )
        assert await editor.hover(nul_uri, types.Position(line=0, character=0)) is None
        assert await editor.code_actions(nul_uri, [], only=["source.fixAll.onnxlint"]) == []
        # Still serving.
        uri = editor.open(workspace / "model.py")
        assert [d.code for d in await editor.diagnostics(uri, version=1)] == MODEL_CODES
        assert await editor.shutdown() == 0

    run(scenario())
    opened = log.read_text(encoding="utf-8", errors="replace").splitlines()
    assert any(path.endswith(".py") for path in opened), "the audit hook recorded nothing"
    # Documents come from the editor: the server opened no file of the workspace, `a` included.
    assert not [path for path in opened if path.startswith(str(workspace))], opened
    assert secret.exists()
    assert_ran_nothing(workspace)


# -- configuration ---------------------------------------------------------------------------------


BROKEN_CONFIGS = {
    "bad-toml": ("[tool.onnxlint\nselect = [", "not valid TOML"),
    "unknown-key": ('[tool.onnxlint]\nselct = ["ONX5"]\n', "unknown key 'selct'"),
    "models-shape": (
        '[tool.onnxlint]\n\n[[tool.onnxlint.models]]\nentry = "model.py:Gate"\ninputs = [{ shape = ["a"] }]\n',
        "pyproject.toml",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_CONFIGS))
def test_lsp_invalid_configuration_is_shown_once_and_defaults_apply(workspace: Path, case: str) -> None:
    config, expected = BROKEN_CONFIGS[case]
    (workspace / "pyproject.toml").write_text(config, encoding="utf-8")
    (workspace / "other.py").write_text(SMALL, encoding="utf-8")

    async def scenario() -> None:
        editor = await EditorClient.start(workspace)
        uri = editor.open(workspace / "model.py")
        diagnostics = await editor.diagnostics(uri, version=1)
        assert [d.code for d in diagnostics] == MODEL_CODES  # the default settings
        messages = await editor.wait_for(lambda: editor.messages, STEP_TIMEOUT)
        assert messages[0].type == types.MessageType.Error
        assert expected in messages[0].message and "using the default settings" in messages[0].message

        # More lints, another document, a save: diagnostics go on, the message is not repeated.
        end = types.Position(line=len(MODEL.splitlines()), character=0)
        version = editor.change(uri, [types.TextEdit(range=types.Range(start=end, end=end), new_text="# edited\n")])
        assert [d.code for d in await editor.diagnostics(uri, version=version)] == MODEL_CODES
        other = editor.open(workspace / "other.py")
        assert [d.code for d in await editor.diagnostics(other, version=1)] == ["ONX501"]
        editor.save(uri)
        load = next(d for d in diagnostics if d.code == "ONX501")
        actions = await editor.code_actions(uri, [load], only=[types.CodeActionKind.QuickFix])
        assert actions == []  # computed for version 1, and the document is at version 2
        diagnostics = await editor.diagnostics(uri, version=version)
        load = next(d for d in diagnostics if d.code == "ONX501")
        actions = await editor.code_actions(uri, [load], only=[types.CodeActionKind.QuickFix])
        assert [a.title for a in actions] == ["Pass `weights_only=True` (safe)"]
        fix_all = await editor.code_actions(uri, [], only=["source.fixAll.onnxlint"])
        assert [a.kind for a in fix_all] == ["source.fixAll.onnxlint"]
        assert len(editor.messages) == 1, editor.messages
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace)


# -- FileContext: per-file answers computed once ---------------------------------------------------

GUARDED = """\
import torch
from torch import nn


def helper(x):
    if torch.onnx.is_in_onnx_export():
        return x
    return x.item()


class Net(nn.Module):
    def forward(self, x):
        if not torch.jit.is_tracing():
            y = x.tolist()
        z = x.item() if not torch.compiler.is_exporting() else 0
        return x.sum().item() + z


if torch.jit.is_scripting():
    raise RuntimeError()
value = torch.ones(1).item()
torch.onnx.export(Net(), (torch.ones(1, torch.ones(2).item()),), "a.onnx", dynamo=False, opset_version=11)
x = torch.ones(1).item()
torch.onnx.export(Net(), torch.ones(1), "b.onnx", opset_version=17, args=[torch.onnx.export(Net(), (), "c.onnx")])
"""


class _CountingSource:
    """A SourceText whose `.text` reads are counted."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self.reads = 0

    @property
    def text(self) -> str:
        self.reads += 1
        return self._source.text

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)


def _context(text: str) -> FileContext:
    return FileContext("guarded.py", text, ast.parse(text), LintSettings())


@pytest.mark.parametrize("text", [GUARDED, GUARDED.replace("is_", "iz_")])
def test_skipped_during_export_searches_the_text_once(text: str) -> None:
    context = _context(text)
    counting = _CountingSource(context.source)
    context.source = counting  # type: ignore[assignment]
    nodes = list(walk(context.tree))
    answers = [context.skipped_during_export(node) for node in nodes]
    # Once for `is_` (and once for `export`, by export_calls), not once per node.
    assert counting.reads <= 2 < len(nodes)
    reads = counting.reads
    assert [context.skipped_during_export(node) for node in nodes] == answers
    assert counting.reads == reads
    assert any(answers) == ("is_" in text)


def _reference_export_config(context: FileContext, node: ast.AST) -> Any:
    """`FileContext.export_config_for` as it was: every export call tried in turn."""
    calls = context.export_calls()
    start = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
    for call, config in calls:
        if (call.lineno, call.col_offset) <= start <= (call.end_lineno or 0, call.end_col_offset or 0):
            return config
    return context.export_config_for(None)


def test_file_context_tables_answer_as_the_direct_definitions() -> None:
    text = GUARDED + "".join(GUARDED.replace("Net", f"Net{index}") for index in range(3))
    context = _context(text)
    parents = parent_map(context.tree)
    for node in walk(context.tree):
        assert context.export_config_for(node) == _reference_export_config(context, node), ast.dump(node)[:80]
        parent = parents.get(id(node))
        if parent is not None:
            expected = after_early_exit(parent, node, lambda test: context.guard_polarity(test) is True) is not None
            assert context._after_guarded_exit(parent, node) == expected, ast.dump(node)[:80]
    # The nested export call is inside the outer one: the outer call's configuration applies.
    nested = next(n for n in walk(context.tree) if isinstance(n, ast.Constant) and n.value == "c.onnx")
    assert context.export_config_for(nested).requested_opset == 17


@pytest.mark.parametrize(
    "settings", [LintSettings(), LintSettings(exporter="legacy", opset=11)], ids=["dynamo", "legacy"]
)
def test_findings_of_a_large_file_are_the_findings_of_its_parts(settings: LintSettings) -> None:
    """Each copy of a module in one large file is linted as it is alone (no per-file answer leaks
    from one copy to another): the large file's findings are its parts' findings, shifted."""
    model = MODEL.split("\n\n\nclass", 1)[1].replace("weights = ", "state = ")
    part = GUARDED.replace("torch.onnx.export", "export_model") + "\n\nclass" + model
    alone = lint_source(part, "part.py", settings).findings
    assert len({f.code for f in alone}) >= 3
    copies = 40
    whole = lint_source(part * copies, "whole.py", settings).findings
    lines = part.count("\n")
    expected = sorted(
        (f.code, f.start.row + index * lines, f.start.column, _lines_shifted(f.message, index * lines))
        for index in range(copies)
        for f in alone
    )
    assert sorted((f.code, f.start.row, f.start.column, f.message) for f in whole) == expected


def _lines_shifted(message: str, offset: int) -> str:
    """`message` with the lines it names (`(line 12)`, `lines 14, 12`) moved down by `offset`."""

    def shift(match: re.Match[str]) -> str:
        numbers = ", ".join(str(int(number) + offset) for number in match.group(2).split(", "))
        return f"{match.group(1)}{numbers}"

    return re.sub(r"\b(lines? )(\d+(?:, \d+)*)", shift, message)


# -- the workspace's modules -----------------------------------------------------------------------


def test_lsp_workspace_modules_never_shadow_what_the_server_imports_later(workspace: Path) -> None:
    """`python -m onnxlint server`, started in the workspace, has the workspace first on its import
    path; libcst is imported on the first fix. The server drops the working directory from the path
    at start, and its child processes run isolated: a workspace `libcst.py` is never imported."""
    side_effect = 'import pathlib\npathlib.Path(__file__).with_name("RAN-{name}").write_text("ran")\n'
    for name in ("libcst", "libcst_native"):
        (workspace / f"{name}.py").write_text(side_effect.format(name=name), encoding="utf-8")
    medium_text = large_model(260 * 1024, comment_lines=100)

    async def scenario() -> None:
        editor = await EditorClient.start(workspace)  # python -m onnxlint server, in the workspace
        uri = editor.open(workspace / "model.py")
        assert [d.code for d in await editor.diagnostics(uri, version=1)] == MODEL_CODES
        assert await editor.code_actions(uri, [], only=["source.fixAll.onnxlint"]) != []
        medium = editor.open(workspace / "medium.py", medium_text)  # linted and fixed in a child process
        assert await editor.diagnostics(medium, version=1) != []
        assert await editor.code_actions(medium, [], only=["source.fixAll.onnxlint"]) != []
        assert await editor.shutdown() == 0

    run(scenario())
    assert sorted(p.name for p in workspace.glob("RAN-*")) == []
    assert_ran_nothing(workspace)
