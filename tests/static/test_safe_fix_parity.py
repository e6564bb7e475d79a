"""Every SAFE fix of the catalogue keeps the numbers: proven by exporting the fixed code for real.

For each rule whose `fix_applicability` is SAFE, each of its `PARITY` cases is linted under the
case's settings with that rule alone, fixed with `fix_source`, and the FIXED model is exported
with every exporter the case names, checked, run in onnxruntime and compared with the ORIGINAL
model's eager outputs on several seeded inputs and on other sizes of each dynamic dim
(`onnxlint.verify.parity`). A safe fix that changes outputs beyond tolerance is a bug.

A rule with a SAFE fix to model code and no PARITY case fails here. Rules whose fixes never
touch the traced model say so with `fix_scope = "script"`; for them this file checks that
applying their fixes leaves every model function (`forward` and what it calls) unchanged.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from onnxlint.analysis.semantic import ModuleModel
from onnxlint.core.edits import replace_node
from onnxlint.core.findings import Applicability
from onnxlint.core.fixer import fix_source
from onnxlint.core.registry import all_rules
from onnxlint.core.rule import Invalid, ParityCase, Rule
from onnxlint.testing import settings_for

RULES = all_rules()
SAFE = [rule for rule in RULES.values() if rule.fix_applicability is Applicability.SAFE]
SCOPES = ("model", "script")


def _parity_params():
    for rule in SAFE:
        for index, case in enumerate(rule.PARITY):
            for exporter in case.exporters:
                yield pytest.param(rule, case, exporter, id=f"{rule.code}-{index}-{exporter}")


@pytest.mark.export
@pytest.mark.parametrize(("rule", "case", "exporter"), list(_parity_params()))
def test_safe_fix_keeps_the_numbers(rule, case, exporter, tmp_path):
    from onnxlint.verify.parity import run_parity_case

    outcome = run_parity_case(rule, case, exporter, tmp_path)
    assert outcome.applied > 0, f"{rule.code}: the PARITY case does not trigger the fix\n{case.source}"
    assert outcome.passed, outcome.explain()
    # Several seeded inputs at the example shape and one more per dynamic dim, all compared.
    assert len(outcome.report.parity) >= 5


@pytest.mark.parametrize("rule", SAFE, ids=[rule.code for rule in SAFE])
def test_every_safe_model_fix_has_parity_cases(rule):
    assert rule.fix_scope in SCOPES, f"{rule.code}: fix_scope must be one of {SCOPES}"
    if rule.fix_scope == "script":
        assert not rule.PARITY, f"{rule.code}: a script-scoped rule has no model to compare"
        return
    assert rule.PARITY, (
        f"{rule.code} offers a SAFE fix to model code but declares no PARITY case proving that the fixed "
        "export matches the original (add ParityCase entries, or fix_scope = 'script' if it never edits "
        "model code)"
    )
    assert all(isinstance(case, ParityCase) for case in rule.PARITY)


def _model_code(source: str) -> dict[str, str]:
    """`forward` and every function it calls (this file's model code), by name, as normalized source."""
    tree = ast.parse(source)
    model = ModuleModel(tree)
    wanted = model.model_functions()
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(node) in wanted:
            found[f"{node.name}@{node.lineno}"] = ast.unparse(node)
    return {key.split("@")[0] + f"#{i}": text for i, (key, text) in enumerate(sorted(found.items()))}


SCRIPT_RULES = [rule for rule in RULES.values() if rule.fix_scope == "script"]


@pytest.mark.parametrize("rule", SCRIPT_RULES, ids=[rule.code for rule in SCRIPT_RULES])
def test_script_scoped_fixes_leave_model_code_alone(rule):
    # The rule's own cases, plus one that puts its pattern next to a model in the same file.
    sources = [case.source for case in rule.INVALID] + [
        textwrap.dedent(
            """
            import torch

            class Net(torch.nn.Module):
                def forward(self, x):
                    return helper(x) * 2

            def helper(x):
                return x + 1

            model = Net()
            model.load_state_dict(torch.load("best_model.pth"))
            """
        ).lstrip()
    ]
    for source in sources:
        case = next((c for c in rule.INVALID if c.source == source), Invalid(source))
        fixed = fix_source(source, "case.py", settings_for(rule, case.settings), unsafe_fixes=True, rules=[rule])
        assert _model_code(fixed.text) == _model_code(source), f"{rule.code} changed model code:\n{fixed.text}"


class _WrongSafeFix(Rule):
    """A deliberately wrong "safe" fix (`x * 2` becomes `x * 3`), to prove the parity check can fail.

    ## What it does
    ## Why is this bad for ONNX
    ## Example
    ## Use instead
    ## Fix safety
    ## References
    """

    code = "ONX999"
    name = "wrong_safe_fix"
    message = "test rule"
    fix_title = "Multiply by three"
    fix_applicability = Applicability.SAFE
    trigger_names = ("forward",)
    applies_to = "tests"

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if self.context.in_model_code and isinstance(node.right, ast.Constant) and node.right.value == 2:
            self.report(node, fix=self.make_fix([replace_node(self.context, node.right, "3")], Applicability.SAFE))


@pytest.mark.export
def test_the_parity_check_catches_a_fix_that_changes_the_numbers(tmp_path):
    from onnxlint.verify.parity import run_parity_case

    case = ParityCase(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x * 2
        """,
        inputs=((1, 3, 4, 4),),
    )
    outcome = run_parity_case(_WrongSafeFix, case, "legacy", tmp_path)
    assert outcome.applied == 1 and "x * 3" in outcome.fixed_source
    assert not outcome.passed
    assert outcome.report.parity[0].kind == "numeric mismatch"
