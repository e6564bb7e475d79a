"""`onnxlint server` as an editor sees it: a real server subprocess, a real LSP client over stdio.

Every session runs with a trip-wire `torch` package first on PYTHONPATH and with model files
that write a marker when executed: the server must import neither torch nor the user's code.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest.importorskip("lsprotocol")

from lsprotocol import types

from onnxlint import fix_source
from onnxlint.core.rule import rule_url
from onnxlint.frontends.server import PositionMapper, single_span_edit

from ..lsp_client import EditorClient, apply_text_edits, units

# Three hazards with safe fixes under the default (dynamo) exporter (`x` is annotated and the checkpoint
# goes straight into `load_state_dict`: the facts the fixes rely on are proven); with `exporter = "legacy"`
# the `.item()` is a fourth, whose fix is unsafe. The emoji and the "é" before the first hazard
# take 2 and 1 UTF-16 units, 4 and 2 UTF-8 bytes: columns differ in every encoding.
MODEL = """\
import pathlib

import torch
from torch import nn

pathlib.Path("user-code-ran.txt").write_text("the server executed the user's module")


class Gate(nn.Module):
    def forward(self, x: torch.Tensor):
        label = "🚀é"; y = torch.sigmoid(x) if x.mean() > 0 else x
        if y.sum() > 0:
            out = y * 2
        else:
            out = y - 1
        return out / out.abs().max().item()


Gate().load_state_dict(torch.load("weights.pth"))
"""
EMOJI_ROW = 10  # 0-based line of the conditional expression

TRIPWIRE_TORCH = """\
import os
import pathlib

pathlib.Path(os.environ["ONNXLINT_TEST_TORCH_MARKER"]).write_text("torch was imported")
raise ImportError("the onnxlint server must not import torch")
"""

CRASHING_RULE = '''\
import ast

from onnxlint.core.rule import Rule


class AlwaysCrashes(Rule):
    """A rule with a bug: it raises on every call."""

    code = "ONX098"
    name = "always_crashes"
    message = "never reported"
    trigger_names = ("torch",)
    applies_to = "tests"

    def visit_Call(self, node: ast.Call) -> None:
        raise ZeroDivisionError("a bug in a rule")
'''

SERVER_WITH_PLUGIN_RULES = """\
import sys

import onnxlint.rules

onnxlint.rules.__path__.append(sys.argv[1])  # rule modules found there join the registry

from onnxlint.frontends.cli import main

main(["server"])
"""


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coroutine, 240))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    (folder / "model.py").write_text(MODEL, encoding="utf-8")
    return folder


@pytest.fixture
def tripwire(tmp_path: Path) -> dict[str, str]:
    package = tmp_path / "tripwire" / "torch"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(TRIPWIRE_TORCH)
    return {"PYTHONPATH": str(package.parent), "ONNXLINT_TEST_TORCH_MARKER": str(tmp_path / "torch-imported.txt")}


def assert_ran_nothing(workspace: Path, tripwire: dict[str, str]) -> None:
    assert not Path(tripwire["ONNXLINT_TEST_TORCH_MARKER"]).exists(), "the server imported torch"
    assert not (workspace / "user-code-ran.txt").exists(), "the server executed the user's code"


def position_of(text: str, needle: str, encoding: str = "utf-16", occurrence: int = 0) -> types.Position:
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    prefix = text.splitlines()[line][:column]
    return types.Position(line=line, character=units(prefix, encoding))


def summary(diagnostics: list[types.Diagnostic]) -> list[tuple[str, int, int]]:
    return sorted((str(d.code), d.range.start.line, d.range.start.character) for d in diagnostics)


def test_diagnostics_quick_fixes_fix_all_and_clean_file(workspace: Path, tripwire: dict[str, str]) -> None:
    async def scenario() -> None:
        editor = await EditorClient.start(workspace, env=tripwire)
        assert editor.encoding == "utf-16"
        uri = editor.open(workspace / "model.py")

        diagnostics = await editor.diagnostics(uri, version=1)
        assert summary(diagnostics) == [
            ("ONX201", EMOJI_ROW, position_of(MODEL, "x.mean() > 0").character),
            ("ONX201", EMOJI_ROW + 1, 11),
            ("ONX501", EMOJI_ROW + 8, position_of(MODEL, 'torch.load("weights.pth")').character),
        ]
        # The emoji takes two UTF-16 units: one more than its one character.
        conditional = next(d for d in diagnostics if d.range.start.line == EMOJI_ROW)
        line = MODEL.splitlines()[EMOJI_ROW]
        assert conditional.range.start.character == line.index("x.mean() > 0") + 1
        assert conditional.range.end.character == line.index(" else x") + 1
        for diagnostic in diagnostics:
            assert diagnostic.source == "onnxlint"
            assert diagnostic.code_description is not None
            assert diagnostic.code_description.href == rule_url(str(diagnostic.code))
        severities = {str(d.code): d.severity for d in diagnostics}
        assert severities == {"ONX201": types.DiagnosticSeverity.Error, "ONX501": types.DiagnosticSeverity.Warning}

        # Hover on a finding shows its rule's documentation.
        hover = await editor.hover(uri, conditional.range.start)
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert hover.contents.kind == types.MarkupKind.Markdown
        assert hover.contents.value.startswith("# ONX201 `tensor_condition`")
        assert "## What it does" in hover.contents.value
        assert hover.range == conditional.range
        assert await editor.hover(uri, types.Position(line=0, character=0)) is None

        # One quick fix per finding, labelled with its applicability.
        load = next(d for d in diagnostics if d.code == "ONX501")
        actions = await editor.code_actions(uri, [load], only=[types.CodeActionKind.QuickFix])
        assert [(a.title, a.kind, a.is_preferred) for a in actions] == [
            ("Pass `weights_only=True` (safe)", types.CodeActionKind.QuickFix, True)
        ]
        editor.apply_workspace_edit(actions[0].edit)  # type: ignore[arg-type]
        assert 'torch.load("weights.pth", weights_only=True)' in editor.documents[uri].text

        diagnostics = await editor.diagnostics(uri, version=2)
        assert [d.code for d in diagnostics] == ["ONX201", "ONX201"]

        # Fix all: one source action with one edit; afterwards the file is clean.
        actions = await editor.code_actions(uri, [], only=[types.CodeActionKind.SourceFixAll])
        assert [(a.title, a.kind) for a in actions] == [
            ("onnxlint: fix all safe findings (2 fixes)", "source.fixAll.onnxlint")
        ]
        edit = actions[0].edit
        assert edit is not None and len(edit.document_changes or []) == 1
        assert len(edit.document_changes[0].edits) == 1  # type: ignore[union-attr,index]
        editor.apply_workspace_edit(edit)

        assert await editor.diagnostics(uri, version=3) == []
        assert editor.documents[uri].text == fix_source(MODEL).text

        # Nothing left to fix: no action, even when asked.
        assert await editor.code_actions(uri, [], only=["source.fixAll.onnxlint"]) == []

        editor.close(uri)
        assert await editor.diagnostics(uri, after=len(editor.published) - 1) == []
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace, tripwire)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
def test_positions_follow_the_negotiated_encoding(workspace: Path, tripwire: dict[str, str], encoding: str) -> None:
    line = MODEL.splitlines()[EMOJI_ROW]
    characters = line.index("x.mean() > 0")
    # 🚀 is 1 character, 2 UTF-16 units, 4 UTF-8 bytes; é is 1 character, 1 unit, 2 bytes.
    expected = {"utf-32": characters, "utf-16": characters + 1, "utf-8": characters + 3 + 1}[encoding]

    async def scenario() -> None:
        editor = await EditorClient.start(workspace, position_encodings=[encoding], env=tripwire)
        assert editor.encoding == encoding
        uri = editor.open(workspace / "model.py")
        diagnostics = await editor.diagnostics(uri, version=1)
        conditional = next(d for d in diagnostics if d.range.start.line == EMOJI_ROW)
        assert conditional.range.start.character == expected

        actions = await editor.code_actions(uri, [conditional], only=[types.CodeActionKind.QuickFix])
        assert [a.title for a in actions] == ["Replace the branch with `torch.where` (safe)"]
        editor.apply_workspace_edit(actions[0].edit)  # type: ignore[arg-type]
        fixed_line = editor.documents[uri].text.splitlines()[EMOJI_ROW]
        assert fixed_line == '        label = "🚀é"; y = torch.where(x.mean() > 0, torch.sigmoid(x), x)'
        diagnostics = await editor.diagnostics(uri, version=2)
        assert [d.range.start.line for d in diagnostics if d.code == "ONX201"] == [EMOJI_ROW + 1]
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace, tripwire)


def test_unsafe_fixes_are_marked_and_fix_all_never_applies_them(workspace: Path, tripwire: dict[str, str]) -> None:
    (workspace / "pyproject.toml").write_text('[tool.onnxlint]\nexporter = "legacy"\n')

    async def scenario() -> None:
        editor = await EditorClient.start(workspace, env=tripwire)
        uri = editor.open(workspace / "model.py")
        diagnostics = await editor.diagnostics(uri, version=1)
        assert [d.code for d in diagnostics] == ["ONX201", "ONX201", "ONX202", "ONX501"]

        item = next(d for d in diagnostics if d.code == "ONX202")
        actions = await editor.code_actions(uri, [item], only=[types.CodeActionKind.QuickFix])
        assert len(actions) == 1
        unsafe = actions[0]
        assert unsafe.title.endswith("(unsafe)") and not unsafe.is_preferred

        # Unasked (a light bulb request): the quick fixes for the range and the fix-all action.
        actions = await editor.code_actions(uri, diagnostics)
        kinds = [a.kind for a in actions]
        assert kinds.count(types.CodeActionKind.QuickFix) == 4 and kinds[-1] == "source.fixAll.onnxlint"
        assert sorted(a.title.rsplit(" ", 1)[1] for a in actions[:-1]) == ["(safe)", "(safe)", "(safe)", "(unsafe)"]

        fix_all = actions[-1]
        assert fix_all.title == "onnxlint: fix all safe findings (3 fixes)"
        editor.apply_workspace_edit(fix_all.edit)  # type: ignore[arg-type]
        assert ".item()" in editor.documents[uri].text
        diagnostics = await editor.diagnostics(uri, version=2)
        assert [d.code for d in diagnostics] == ["ONX202"]

        # A fix computed for version 1 is no longer offered for version 2.
        assert await editor.code_actions(uri, [item], only=[types.CodeActionKind.QuickFix]) == []

        actions = await editor.code_actions(uri, diagnostics, only=[types.CodeActionKind.QuickFix])
        editor.apply_workspace_edit(actions[0].edit)  # type: ignore[arg-type]
        assert "return out / out.abs().max()\n" in editor.documents[uri].text
        assert await editor.diagnostics(uri, version=3) == []
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace, tripwire)


def test_configuration_is_honoured_and_reloaded(workspace: Path, tripwire: dict[str, str]) -> None:
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text(
        textwrap.dedent(
            """\
            [tool.onnxlint]
            per-file-ignores = { "scripts/*" = ["ONX501"] }
            exclude = ["vendored"]
            """
        )
    )
    for folder in ("scripts", "vendored"):
        (workspace / folder).mkdir()
        (workspace / folder / "model.py").write_text(MODEL, encoding="utf-8")

    async def scenario() -> None:
        editor = await EditorClient.start(workspace, env=tripwire)
        model = editor.open(workspace / "model.py")
        script = editor.open(workspace / "scripts" / "model.py")
        vendored = editor.open(workspace / "vendored" / "model.py")
        assert [d.code for d in await editor.diagnostics(model)] == ["ONX201", "ONX201", "ONX501"]
        assert [d.code for d in await editor.diagnostics(script)] == ["ONX201", "ONX201"]
        assert await editor.diagnostics(vendored) == []

        # The server asked the client to watch the configuration files.
        registration = await editor.wait_for(lambda: editor.registrations)
        assert registration[0].method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        assert registration[0].register_options == {"watchers": [{"globPattern": "**/pyproject.toml"}]}

        # The file changes on disk: everything open is linted again with the new settings.
        pyproject.write_text('[tool.onnxlint]\nignore = ["ONX201"]\n')
        mark = len(editor.published)
        editor.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]
            )
        )
        assert [d.code for d in await editor.diagnostics(model, after=mark)] == ["ONX501"]
        assert [d.code for d in await editor.diagnostics(script, after=mark)] == ["ONX501"]
        assert [d.code for d in await editor.diagnostics(vendored, after=mark)] == ["ONX501"]

        # Saving pyproject.toml in the editor reloads too; a broken config is reported, defaults apply.
        config_uri = pyproject.as_uri()
        pyproject.write_text('[tool.onnxlint]\nselct = ["ONX5"]\n')
        editor.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=config_uri, language_id="toml", version=1, text=pyproject.read_text()
                )
            )
        )
        mark = len(editor.published)
        editor.save(config_uri)
        assert [d.code for d in await editor.diagnostics(model, after=mark)] == ["ONX201", "ONX201", "ONX501"]
        message = await editor.wait_for(lambda: editor.messages)
        assert message[0].type == types.MessageType.Error
        assert "unknown key 'selct'" in message[0].message
        assert not any(p.uri == config_uri for p in editor.published), "pyproject.toml is not linted"

        # Changed on disk with no notification at all: the next lint still sees it.
        pyproject.write_text('[tool.onnxlint]\nignore = ["ONX501"]\n')
        end = types.Position(line=len(MODEL.splitlines()), character=0)
        version = editor.change(model, [types.TextEdit(range=types.Range(start=end, end=end), new_text="# edited\n")])
        assert [d.code for d in await editor.diagnostics(model, version=version)] == ["ONX201", "ONX201"]
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace, tripwire)


def test_broken_code_and_crashing_rules_never_stop_the_server(
    workspace: Path, tripwire: dict[str, str], tmp_path: Path
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "always_crashes.py").write_text(CRASHING_RULE)
    launcher = tmp_path / "server_with_plugins.py"
    launcher.write_text(SERVER_WITH_PLUGIN_RULES)

    async def scenario() -> None:
        editor = await EditorClient.start(
            workspace, command=[sys.executable, str(launcher), str(plugins)], env=tripwire
        )
        uri = editor.open(workspace / "model.py")
        diagnostics = await editor.diagnostics(uri, version=1)
        # The crashing rule is one ONX001 diagnostic; the other rules still report.
        assert [d.code for d in diagnostics] == ["ONX001", "ONX201", "ONX201", "ONX501"]
        assert "ONX098" in diagnostics[0].message and "ZeroDivisionError" in diagnostics[0].message

        # Mid-typing: a syntax error is one diagnostic, at the parser's position.
        broken = MODEL.replace("    def forward(self, x: torch.Tensor):", "    def forward(self, x: torch.Tensor:")
        version = editor.replace_text(uri, broken)
        diagnostics = await editor.diagnostics(uri, version=version)
        assert [d.code for d in diagnostics] == ["ONX000"]
        assert diagnostics[0].message.startswith("SyntaxError")
        assert diagnostics[0].range.start.line == MODEL.splitlines().index("    def forward(self, x: torch.Tensor):")

        # Typing on: the server still serves.
        version = editor.replace_text(uri, MODEL)
        assert [d.code for d in await editor.diagnostics(uri, version=version)] == [
            "ONX001",
            "ONX201",
            "ONX201",
            "ONX501",
        ]
        assert await editor.hover(uri, position_of(MODEL, "y.sum() > 0")) is not None
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace, tripwire)


def test_changes_are_debounced_and_only_the_latest_version_is_linted(workspace: Path, tripwire: dict[str, str]) -> None:
    debounce_s = 0.4
    clean = "import torch\n\n\ndef scale(x):\n    return x * 2\n"

    async def scenario() -> None:
        editor = await EditorClient.start(workspace, initialization_options={"debounceMs": 400}, env=tripwire)
        uri = editor.open(workspace / "model.py", clean)
        assert await editor.diagnostics(uri, version=1) == []
        mark = len(editor.published)

        # Five keystrokes in a row, each adding a line with a hazard.
        loop = asyncio.get_running_loop()
        for index in range(5):
            end = types.Position(line=5 + index, character=0)
            hazard = f'w{index} = torch.load("w{index}.pth")\n'
            version = editor.change(uri, [types.TextEdit(range=types.Range(start=end, end=end), new_text=hazard)])
        typed = loop.time()
        diagnostics = await editor.diagnostics(uri, version=version, after=mark)
        waited = loop.time() - typed
        assert [(d.code, d.range.start.line) for d in diagnostics] == [("ONX501", row) for row in range(5, 10)]
        assert waited >= debounce_s - 0.05, f"published {waited:.3f}s after the last change"

        await asyncio.sleep(2 * debounce_s)
        assert [p.version for p in editor.published[mark:]] == [version], "only the last version is published"
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace, tripwire)


def test_configured_models_are_not_traced(workspace: Path, tripwire: dict[str, str]) -> None:
    # The command line traces configured models (the graph layer runs user code); the server never does.
    (workspace / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [tool.onnxlint]

            [[tool.onnxlint.models]]
            entry = "model.py:Gate"
            inputs = [{ shape = [1, 3, 8, 8] }]
            """
        )
    )

    async def scenario() -> None:
        editor = await EditorClient.start(workspace, env=tripwire)
        uri = editor.open(workspace / "model.py")
        assert [d.code for d in await editor.diagnostics(uri, version=1)] == ["ONX201", "ONX201", "ONX501"]
        editor.save(uri)
        assert [d.code for d in await editor.diagnostics(uri, after=1)] == ["ONX201", "ONX201", "ONX501"]
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace, tripwire)


def test_save_lints_at_once(workspace: Path, tripwire: dict[str, str]) -> None:
    async def scenario() -> None:
        # A debounce longer than any wait here: only the save can trigger the lint.
        editor = await EditorClient.start(workspace, initialization_options={"debounceMs": 600_000}, env=tripwire)
        uri = editor.open(workspace / "model.py", "import torch\n")
        assert await editor.diagnostics(uri, version=1) == []
        end = types.Position(line=1, character=0)
        version = editor.change(
            uri, [types.TextEdit(range=types.Range(start=end, end=end), new_text='w = torch.load("w.pth")\n')]
        )
        editor.save(uri)
        assert [d.code for d in await editor.diagnostics(uri, version=version)] == ["ONX501"]
        assert await editor.shutdown() == 0

    run(scenario())
    assert_ran_nothing(workspace, tripwire)


# -- position conversions, without a server --------------------------------------------------------


def test_position_mapper_round_trips_non_bmp_and_crlf() -> None:
    from onnxlint.core.findings import Location

    text = 'x = "🚀"; y = 1\r\nz = 2\r\n'
    mapper = PositionMapper(text, "utf-16")
    assert mapper.position(Location(1, 10)) == types.Position(line=0, character=10)  # after `; ` (🚀 = 2 units)
    assert mapper.location(types.Position(line=0, character=10)) == Location(1, 10)
    assert mapper.position(Location(1, 15)) == types.Position(line=0, character=15)  # end of line 1
    assert mapper.position(Location(1, 16)) == types.Position(line=0, character=15)  # inside "\r\n": clamped
    assert mapper.position(Location(2, 1)) == types.Position(line=1, character=0)
    assert mapper.offset_position(len(text)) == types.Position(line=2, character=0)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a = 1\r\nb = 2\r\nc = 3\r\n", "a = 1\r\nb = 22\r\nc = 3\r\n"),
        ('s = "🚀"\nt = 1\n', 's = "🚀🚀"\nt = 1\n'),
        ("x = 1", "x = 2"),
        ("x = 1\n", "x = 1\ny = 2\n"),
        ("keep\ndrop\n", "keep\n"),
    ],
)
def test_single_span_edit_turns_before_into_after(before: str, after: str) -> None:
    edit = single_span_edit(before, after, PositionMapper(before, "utf-16"))
    assert edit.range.start.character == 0, "the edit starts at a line start"
    assert apply_text_edits(before, [edit], "utf-16") == after


def test_the_editor_reads_the_configuration_module_as_the_command_line_does(tmp_path: Path) -> None:
    # The same model and configuration module as tests/static/test_confidence.py's CLI test: the branches on
    # options the configuration's defaults do not take are `low` in the editor too (its hints).
    from onnxlint.core.settings import LintSettings
    from onnxlint.frontends.server import DocumentSettings, document_with_configuration, lint_document

    from ..static.test_confidence import CONFIGURATION, MODELING

    package = tmp_path / "tiny"
    package.mkdir()
    (package / "configuration_tiny.py").write_text(CONFIGURATION)
    model = package / "modeling_tiny.py"
    model.write_text(MODELING)
    target = DocumentSettings(LintSettings(confidence="low"), str(model), "tiny/modeling_tiny.py")

    def confidences(settings: DocumentSettings) -> dict[int, str]:
        linted, _ = lint_document(MODELING, 1, settings, "utf-16")
        return {f.start.row: f.confidence.value for f in linted.findings if f.code == "ONX201"}

    assert confidences(document_with_configuration(target, MODELING)) == {14: "low", 16: "low", 18: "low", 20: "high"}
    # Without the module nothing is known of the options: none is a path on request (no `low`); the test behind the
    # flag `self.use_relative_positions` runs only where that undecided flag holds (`medium`).
    assert confidences(target) == {14: "medium", 16: "high", 18: "high", 20: "high"}
    unsaved = DocumentSettings(LintSettings(confidence="low"), "untitled:1", None)
    assert document_with_configuration(unsaved, MODELING) is unsaved
