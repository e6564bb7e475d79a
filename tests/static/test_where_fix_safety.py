"""ONX201's `torch.where` rewrite is safe only when it provably returns what the branch did."""

from __future__ import annotations

import textwrap

from onnxlint import LintSettings, lint_source
from onnxlint.core.findings import Applicability
from onnxlint.core.settings import Selection

SETTINGS = LintSettings(selection=Selection(select=("ONX201",)))


def _where_fixes(body: str) -> list[Applicability]:
    source = textwrap.dedent(
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x: torch.Tensor, position_ids: torch.Tensor):
        """
    ).lstrip() + textwrap.indent(textwrap.dedent(body), " " * 8)
    result = lint_source(source, "m.py", SETTINGS)
    return [f.fix.applicability for f in result.findings if f.fix is not None and "torch.where" in (f.fix.title or "")]


def test_elementwise_values_of_one_tensor_under_a_0d_condition_are_safe() -> None:
    assert _where_fixes(
        """
        if x.sum() > 0:
            y = x * 2
        else:
            y = -x + 1
        return y
        """
    ) == [Applicability.SAFE]


def test_values_of_unproven_shape_are_unsafe() -> None:
    # diffusers' OmniGen rotary embedding: two factor lists from the config may differ in length, and
    # `torch.where` builds both, so a malformed config that the original tolerated now raises.
    assert _where_fixes(
        """
        seq_len = torch.max(position_ids) + 1
        if seq_len > 4096:
            ext = torch.tensor(self.long_factor, dtype=torch.float32)
        else:
            ext = torch.tensor(self.short_factor, dtype=torch.float32)
        return ext
        """
    ) == [Applicability.UNSAFE]


def test_a_condition_not_proven_0d_is_unsafe() -> None:
    # `torch.where` broadcasts the condition: a (1, 1) condition would add dims the branch never had.
    assert _where_fixes(
        """
        if x[:1, :1] > 0:
            y = x * 2
        else:
            y = x - 1
        return y
        """
    ) == [Applicability.UNSAFE]
