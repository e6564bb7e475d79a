"""The engine on real parses: parse errors, rule crashes, suppressions, selection, prefilter."""

from __future__ import annotations

import ast
import textwrap

import pytest

from onnxlint import LintSettings, Selection, lint_source
from onnxlint.core.findings import Severity
from onnxlint.core.registry import all_rules, rule_by_code, selected_rules
from onnxlint.core.rule import Rule
from onnxlint.core.settings import PerFileIgnore

HAZARDS = textwrap.dedent(
    """
    import torch

    class M(torch.nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                x = x * 2
            return x

    state = torch.load("w.pth")
    """
).lstrip()


def codes(text: str, **settings) -> list[tuple[str, int]]:
    return [(f.code, f.start.row) for f in lint_source(text, "case.py", LintSettings(**settings)).findings]


def test_findings_of_several_rules_in_one_pass():
    assert codes(HAZARDS) == [("ONX201", 5), ("ONX501", 9)]


def test_a_file_that_does_not_parse_gives_one_finding_at_the_parser_line():
    result = lint_source("import torch\n\ndef forward(self, x):\n    return torch.relu(x\n", "broken.py")
    assert not result.parsed
    assert len(result.findings) == 1
    finding = result.findings[0]
    assert finding.code == "ONX000" and finding.start.row == 4 and "never closed" in finding.message


class _ExplodingRule(Rule):
    """Crashes on every call (a stand-in for a buggy rule).

    ## What it does
    ## Why is this bad for ONNX
    ## Example
    ## Use instead
    ## Fix safety
    ## References
    """

    code = "ONX999"
    name = "exploding"
    message = "never reported"
    trigger_names = ()

    def visit_Call(self, node: ast.Call) -> None:
        raise ZeroDivisionError("boom")


def test_a_crashing_rule_is_reported_and_the_others_still_run():
    rules = [_ExplodingRule, *all_rules().values()]
    result = lint_source(HAZARDS, "case.py", LintSettings(), rules=rules)
    found = [(f.code, f.start.row) for f in result.findings]
    assert ("ONX201", 5) in found and ("ONX501", 9) in found
    crashes = [f for f in result.findings if f.code == "ONX001"]
    assert len(crashes) == 1  # disabled after its first crash in the file
    assert "ONX999" in crashes[0].message and "ZeroDivisionError: boom" in crashes[0].message
    assert result.crashed_rules == ["ONX999"]


@pytest.mark.parametrize(
    ("comment", "remaining"),
    [
        ("  # noqa", []),
        ("  # noqa: ONX201", []),
        ("  # noqa: ONX2", []),
        ("  # NOQA:ONX201,ONX501", []),
        ("  # noqa: ONX501", ["ONX201"]),
        ("  # not a suppression", ["ONX201"]),
    ],
)
def test_noqa_comments(comment, remaining):
    text = HAZARDS.replace("if x.sum() > 0:", "if x.sum() > 0:" + comment).replace(
        'torch.load("w.pth")', 'torch.load("w.pth", weights_only=True)'
    )
    assert [code for code, _ in codes(text)] == remaining


def test_noqa_inside_a_string_does_not_suppress():
    text = HAZARDS.replace("if x.sum() > 0:", 'if x.sum() > 0 and "# noqa":')
    assert ("ONX201", 5) in codes(text)


def test_file_level_exemption():
    assert codes("# onnxlint: noqa\n" + HAZARDS) == []


def test_files_without_trigger_names_are_not_walked_but_syntax_errors_are_reported():
    result = lint_source("notes = 1\n", "notes.py")
    assert result.skipped and not result.findings
    # No rule could fire here either, but a file that does not parse always gets its ONX000.
    result = lint_source("this is not python (\n", "notes.py")
    assert [f.code for f in result.findings] == ["ONX000"]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection(), {"ONX201", "ONX501"}),
        (Selection(select=("ONX2",)), {"ONX201"}),
        (Selection(ignore=("ONX5",)), {"ONX201"}),
        (Selection(select=("ONX201",), ignore=("ONX2",)), {"ONX201"}),  # the more specific selector wins
        (Selection(select=("ONX2",), ignore=("ONX201",)), set()),
        (Selection(select=("ONX2",), extend_select=("ONX501",)), {"ONX201", "ONX501"}),
        (Selection(select=("ALL",), ignore=("ONX501",)), {"ONX201"}),
    ],
)
def test_selection(selection, expected):
    result = lint_source(HAZARDS, "case.py", LintSettings(selection=selection))
    assert {f.code for f in result.findings} == expected


def test_per_file_ignores():
    settings = LintSettings(per_file_ignores=(PerFileIgnore("tests/*", ("ONX2",)),))
    assert {f.code for f in lint_source(HAZARDS, "x.py", settings, relative_path="tests/test_model.py").findings} == {
        "ONX501"
    }
    assert {f.code for f in lint_source(HAZARDS, "x.py", settings, relative_path="src/model.py").findings} == {
        "ONX201",
        "ONX501",
    }


def test_rules_that_are_off_by_default_need_an_explicit_selector():
    class Quiet(_ExplodingRule):
        code = "ONX998"
        default_enabled = False

    assert not Selection().enables(Quiet.code, Quiet.default_enabled)
    assert Selection(select=("ONX998",)).enables(Quiet.code, Quiet.default_enabled)
    assert Selection(select=("ALL",)).enables(Quiet.code, Quiet.default_enabled)


def test_severity_depends_on_the_hazard():
    text = 'import torch\na = torch.load("w.pth")\nb = torch.load("w.pth", weights_only=False)\n'
    findings = lint_source(text, "case.py").findings
    assert [f.severity for f in findings] == [Severity.WARNING, Severity.ERROR]


def test_non_ascii_columns_are_characters_not_bytes():
    text = 'import torch\nlabel = "Größe"; state = torch.load("w.pth")\n'
    finding = lint_source(text, "case.py").findings[0]
    assert finding.start.column == text.splitlines()[1].index("torch.load") + 1


def test_selected_rules_come_from_the_registry():
    assert [r.code for r in selected_rules(Selection(select=("ONX1",)))] == [
        c for c in all_rules() if c.startswith("ONX1")
    ]
    assert rule_by_code("onx201").name == "tensor_condition"
