"""Every rule's own VALID / INVALID cases, run through the real engine and fixer, plus the
contract every rule must keep (code, name, message, fix title, documented sections)."""

from __future__ import annotations

import re

import pytest

from onnxlint.core.registry import all_rules
from onnxlint.core.rule import CATEGORIES, CODE_PATTERN, DOC_SECTIONS, Invalid, Valid
from onnxlint.docs import expected_files
from onnxlint.testing import check_invalid, check_valid

from ..conftest import REPO

RULES = all_rules()


def _cases(kind: str):
    for code, rule in RULES.items():
        for index, case in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, case, id=f"{code}-{kind.lower()}-{index}")


@pytest.mark.parametrize(("rule", "case"), list(_cases("VALID")))
def test_valid_case_is_not_flagged(rule, case):
    failure = check_valid(rule, case)
    assert failure is None, str(failure)


@pytest.mark.parametrize(("rule", "case"), list(_cases("INVALID")))
def test_invalid_case_is_flagged_and_fixed_as_documented(rule, case):
    failure = check_invalid(rule, case)
    assert failure is None, str(failure)


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_rule_contract(rule):
    assert CODE_PATTERN.match(rule.code)
    assert rule.code[3] in CATEGORIES, f"{rule.code}: unknown band"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", rule.name), "names are snake_case"
    assert rule.message and not rule.message.endswith("."), "a message states the problem, without a full stop"
    assert rule.VALID, "at least one VALID case"
    assert rule.INVALID, "at least one INVALID case"
    assert all(isinstance(c, (Valid, str)) for c in rule.VALID)
    assert all(isinstance(c, Invalid) for c in rule.INVALID)
    sections = rule.doc_sections()
    missing = [s for s in DOC_SECTIONS if not sections.get(s)]
    assert not missing, f"{rule.code}: docstring lacks sections {missing}"
    assert rule.summary(), "a one-paragraph summary before the sections"
    if rule.fix_applicability is not None:
        assert rule.fix_title, "a rule that fixes names the action"
    if any(case.expected_fix is not None for case in rule.INVALID):
        assert rule.fix_applicability is not None and rule.fix_applicability.value != "display-only"
    assert rule.applies_to, "say which exporters / opsets / targets the rule speaks for"


def test_codes_are_unique_and_names_too():
    names = [rule.name for rule in RULES.values()]
    assert len(set(names)) == len(names)
    assert len(set(RULES)) == len(RULES)


def test_rule_docs_are_up_to_date():
    folder = REPO / "docs" / "rules"
    stale = [
        name
        for name, text in expected_files().items()
        if not (folder / name).exists() or (folder / name).read_text(encoding="utf-8") != text
    ]
    extra = [p.name for p in folder.glob("ONX*.md") if p.name not in expected_files()]
    assert not stale and not extra, f"run `python -m onnxlint.docs docs/rules` (stale: {stale}, extra: {extra})"


def test_rule_modules_import_the_engine_only_through_rules_api():
    """A rule (or its `_` helper) imports from `onnxlint.rules.api` and its own helpers, so the
    engine's internals can move without touching the rules."""
    import ast
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "rules"
    offenders = []
    for path in sorted(folder.glob("*.py")):
        if path.name in ("api.py", "__init__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("onnxlint"):
                if node.module != "onnxlint.rules.api":
                    offenders.append(f"{path.name}:{node.lineno} from {node.module}")
            elif isinstance(node, ast.Import) and any(a.name.startswith("onnxlint") for a in node.names):
                offenders.append(f"{path.name}:{node.lineno} import onnxlint")
    assert offenders == []
