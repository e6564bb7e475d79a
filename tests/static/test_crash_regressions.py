"""Files that crashed a rule or the fixer (found by scripts/crash_sweep.py or tests/static/test_fix_properties.py).

Each case is linted and fixed with every rule on: no `ONX001` (a rule raised), the fixed text
parses and a second fix pass changes nothing.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from onnxlint import LintSettings, Selection, fix_source, lint_source

ALL = LintSettings(selection=Selection(select=("ALL",)))

CASES = {
    # rules/_sizes.py `_function_nodes`: a lambda's body is one expression, not a list of statements;
    # `list(ListComp)` raised TypeError when ONX203 asked whether a name iterated inside a lambda is a tensor.
    "comprehension-in-a-lambda": """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                rows = lambda: [v for v in x]
                return torch.stack(rows())
    """,
    # The same, as tests/static/test_fix_properties.py found it.
    "lambda-body-is-an-expression": """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                mask = (x > 0) + ((lambda: (q for q in x)))
                mask += x > 2
                return mask
    """,
    # linter/core/engine.py `_ComprehensionScope` skips FunctionScope.__init__; ONX201 asked it whether a name in
    # a conditional expression inside a comprehension is a flag parameter, and it had no `_assumed` set.
    "conditional-expression-in-a-comprehension": """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, y, flag):
                y = torch.relu(y)
                return torch.stack([(a if b else c) for a, b in zip(x, y)] + [(a if flag else a) for a in x])
    """,
}


@pytest.mark.parametrize("source", list(CASES.values()), ids=list(CASES))
def test_no_rule_crashes_and_fixing_is_stable(source: str) -> None:
    text = textwrap.dedent(source).lstrip("\n")
    crashes = [f for f in lint_source(text, "case.py", ALL).findings if f.code.startswith("ONX00")]
    assert not crashes, "\n".join(f"{f.message}\n{f.extra.get('traceback', '')}" for f in crashes)
    fixed = fix_source(text, "case.py", ALL, unsafe_fixes=True)
    assert not [f for f in fixed.remaining if f.code.startswith("ONX00")]
    ast.parse(fixed.text)
    assert not fix_source(fixed.text, "case.py", ALL, unsafe_fixes=True).changed
