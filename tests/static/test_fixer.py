"""Fixing on real text and real files: the fix loop, the syntax guard, and lossless writing."""

from __future__ import annotations

import ast
import codecs
import os
import stat
from pathlib import Path

import pytest

from onnxlint import Applicability, LintSettings, fix_source, lint_source
from onnxlint.core.edits import replace_node
from onnxlint.core.fixer import MAX_ITERATIONS
from onnxlint.core.rule import Rule
from onnxlint.core.source import FileChangedError, read_source_file, write_atomically
from onnxlint.frontends.runner import RunOptions, process_file

from ..conftest import FIXTURES

LOAD = 'import torch\nnet.load_state_dict(torch.load("w.pth"))\n'
LOAD_FIXED = 'import torch\nnet.load_state_dict(torch.load("w.pth", weights_only=True))\n'

DOCS = """Test rule.

    ## What it does
    ## Why is this bad for ONNX
    ## Example
    ## Use instead
    ## Fix safety
    ## References
    """


class _BreaksSyntax(Rule):
    __doc__ = DOCS
    code = "ONX990"
    name = "breaks_syntax"
    message = "m"
    trigger_names = ()

    def visit_Call(self, node: ast.Call) -> None:
        self.report(
            node, fix=self.make_fix([replace_node(self.context, node, "torch.load(")], Applicability.SAFE, "break it")
        )


class _NeverConverges(Rule):
    __doc__ = DOCS
    code = "ONX991"
    name = "never_converges"
    message = "m"
    trigger_names = ()

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("state"):
            self.report(
                node, fix=self.make_fix([replace_node(self.context, node, node.id + "_")], Applicability.SAFE, "grow")
            )


class _ReplacesLoadCall(Rule):
    __doc__ = DOCS
    code = "ONX992"
    name = "replaces_load_call"
    message = "m"
    trigger_names = ()

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "load" and not node.keywords:
            self.report(
                node,
                fix=self.make_fix(
                    [replace_node(self.context, node, 'torch.load("other.pth", weights_only=True)')],
                    Applicability.SAFE,
                    "swap",
                ),
            )


def test_safe_fix_is_applied_and_the_second_run_finds_nothing():
    result = fix_source(LOAD)
    assert result.text == LOAD_FIXED and result.applied == {"ONX501": 1}
    assert fix_source(result.text).applied == {}


def test_unsafe_fixes_need_the_flag():
    text = 'import torch\nnet.load_state_dict(torch.load("w.pth", weights_only=False))\n'
    assert fix_source(text).text == text
    assert fix_source(text, unsafe_fixes=True).text == LOAD_FIXED
    # What a bare `torch.load` returns is unknown (a whole pickled model?): `weights_only=True` is unsafe there.
    bare = 'import torch\nstate = torch.load("w.pth")\n'
    assert fix_source(bare).text == bare
    assert fix_source(bare, unsafe_fixes=True).text == 'import torch\nstate = torch.load("w.pth", weights_only=True)\n'


def test_a_fix_that_breaks_the_syntax_is_rejected():
    result = fix_source(LOAD, rules=[_BreaksSyntax])
    assert result.text == LOAD
    assert result.rejected and "ONX990" in result.rejected[0]


def test_overlapping_fixes_are_applied_one_per_round():
    from onnxlint.core.registry import rule_by_code

    result = fix_source(LOAD, rules=[rule_by_code("ONX501"), _ReplacesLoadCall])
    assert ast.parse(result.text)
    assert result.fixed_count == 1  # the two fixes overlap; after the first, the second no longer applies
    assert result.iterations == 1


def test_fixes_that_never_converge_stop_after_the_bound():
    result = fix_source('import torch\nstate = torch.load("w.pth")\n', rules=[_NeverConverges])
    assert not result.converged
    assert result.iterations == MAX_ITERATIONS
    assert "state" + "_" * MAX_ITERATIONS in result.text


def test_a_file_that_does_not_parse_is_never_fixed():
    text = 'import torch\nnet.load_state_dict(torch.load("w.pth"))\ndef broken(:\n'
    assert fix_source(text).text == text


# -- files ---------------------------------------------------------------------------------------


def _fix_file(path: Path, **options) -> None:
    outcome = process_file(path, LintSettings(), RunOptions(fix=True, **options))
    assert outcome.error is None, outcome.error


def test_crlf_and_bom_are_kept(tmp_path):
    path = tmp_path / "crlf_bom.py"
    path.write_bytes(codecs.BOM_UTF8 + LOAD.replace("\n", "\r\n").encode("utf-8"))
    _fix_file(path)
    assert path.read_bytes() == codecs.BOM_UTF8 + LOAD_FIXED.replace("\n", "\r\n").encode("utf-8")


def test_crlf_is_used_for_inserted_lines(tmp_path):
    source = (
        (FIXTURES / "hazards" / "control_flow.py").read_text(encoding="utf-8").replace("from torch import nn\n", "")
    )
    source = source.replace("import torch\n", "from torch import nn\n").replace("\n", "\r\n")
    path = tmp_path / "crlf_insert.py"
    path.write_bytes(source.encode("utf-8"))
    _fix_file(path)
    data = path.read_bytes()
    assert b"import torch\r\n" in data  # the import the torch.where fix needs, with the file's newline
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_declared_encoding_is_kept(tmp_path):
    text = '# -*- coding: latin-1 -*-\nimport torch\nlabel = "Größe"\nnet.load_state_dict(torch.load("w.pth"))\n'
    path = tmp_path / "latin.py"
    path.write_bytes(text.encode("latin-1"))
    _fix_file(path)
    assert path.read_bytes() == text.replace('torch.load("w.pth")', 'torch.load("w.pth", weights_only=True)').encode(
        "latin-1"
    )


def test_file_mode_is_kept(tmp_path):
    path = tmp_path / "script.py"
    path.write_text(LOAD, encoding="utf-8")
    path.chmod(0o751)
    _fix_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert path.read_text(encoding="utf-8") == LOAD_FIXED


def test_symlinks_stay_links(tmp_path):
    target = tmp_path / "real.py"
    target.write_text(LOAD, encoding="utf-8")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    _fix_file(link)
    assert link.is_symlink() and target.read_text(encoding="utf-8") == LOAD_FIXED


def test_a_file_changed_on_disk_is_not_overwritten(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(LOAD, encoding="utf-8")
    contents = read_source_file(path)
    path.write_text(LOAD + "# edited in the editor meanwhile\n", encoding="utf-8")
    with pytest.raises(FileChangedError):
        write_atomically(contents, LOAD_FIXED)
    assert path.read_text(encoding="utf-8").endswith("# edited in the editor meanwhile\n")
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]  # no temp file left behind


def test_a_failed_rename_leaves_the_file_whole_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "model.py"
    path.write_text(LOAD, encoding="utf-8")
    contents = read_source_file(path)

    def failing_replace(source, target, **dir_fds):  # fault injection: the disk refuses the rename
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomically(contents, LOAD_FIXED)
    assert path.read_text(encoding="utf-8") == LOAD
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]


def test_diff_mode_writes_nothing(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(LOAD, encoding="utf-8")
    outcome = process_file(path, LintSettings(), RunOptions(diff=True))
    assert path.read_text(encoding="utf-8") == LOAD
    assert '+net.load_state_dict(torch.load("w.pth", weights_only=True))' in outcome.diff


def test_fixing_the_fixtures_is_idempotent_and_keeps_them_parsable(fixtures_copy):
    for path in sorted(fixtures_copy.rglob("*.py")):
        original = path.read_text(encoding="utf-8")
        outcome = process_file(path, LintSettings(), RunOptions(fix=True, unsafe_fixes=True))
        fixed = path.read_text(encoding="utf-8")
        if lint_source(original, str(path)).parsed:
            ast.parse(fixed)
        else:
            assert fixed == original and not outcome.fixed
        again = process_file(path, LintSettings(), RunOptions(fix=True, unsafe_fixes=True))
        assert not again.fixed, f"{path.name}: a second run applied {dict(again.fixed)}"
        assert path.read_text(encoding="utf-8") == fixed
