"""The branch-free pad and the export guard (ONX302's fixes) on real text: where they apply and where not."""

from __future__ import annotations

import textwrap

from onnxlint import LintSettings, fix_source, lint_source
from onnxlint.core.findings import Applicability
from onnxlint.core.settings import Selection

SETTINGS = LintSettings(selection=Selection(select=("ONX302",)))


def _fixed(source: str, unsafe: bool = False) -> str:
    return fix_source(textwrap.dedent(source).lstrip(), "m.py", SETTINGS, unsafe_fixes=unsafe).text


def _fixes(source: str) -> list[Applicability]:
    result = lint_source(textwrap.dedent(source).lstrip(), "m.py", SETTINGS)
    return [f.fix.applicability for f in result.findings if f.fix is not None]


HEAD = """
import torch
import torch.nn.functional as F
class M(torch.nn.Module):
    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
"""


def test_comments_move_with_the_body_and_an_elif_is_left_alone() -> None:
    source = HEAD + (
        "        if h > 100:\n"
        "            x = x * 2\n"
        "        elif h % 4 != 0:\n"
        "            x = F.pad(x, (0, 0, 0, 4 - h % 4))\n"
        "        if w % 4:  # pad the width\n"
        "            # to a multiple of 4\n"
        '            x = F.pad(x, (0, 4 - w % 4), mode="reflect")\n'
        "        return x\n"
    )
    fixed = _fixed(source)
    assert "elif h % 4 != 0:\n            x = F.pad(x, (0, 0, 0, 4 - h % 4))" in fixed
    assert (
        "        # pad the width\n        # to a multiple of 4\n"
        '        x = F.pad(x, (0, (4 - w % 4) % 4), mode="reflect")\n        return x\n'
    ) in fixed


def test_a_wrap_needs_the_condition_to_be_that_one_term() -> None:
    # Swin's `if h % p or w % p: pad (p - w % p, p - h % p)` pads a multiple by a full p when the other
    # dim is not one: adding `% p` would change that, so no fix.
    source = HEAD + (
        "        if h % 4 != 0 or w % 4 != 0:\n"
        "            x = F.pad(x, (0, 4 - w % 4, 0, 4 - h % 4))\n"
        "        return x\n"
    )
    assert _fixes(source) == [Applicability.DISPLAY_ONLY]


def test_a_name_read_after_the_if_keeps_the_branch() -> None:
    source = HEAD + (
        "        if w % 4 != 0:\n"
        "            pad = (0, (4 - w % 4) % 4)\n"
        "            x = F.pad(x, pad)\n"
        "        return x, pad\n"
    )
    assert _fixes(source) == [Applicability.DISPLAY_ONLY]
    inside = HEAD + (
        "        if w % 4 != 0:\n"
        "            pad = (0, (4 - w % 4) % 4)\n"
        "            x = F.pad(x, pad)\n"
        "        if h % 4 != 0:\n"
        "            pad = (0, 0, 0, (4 - h % 4) % 4)\n"
        "            x = F.pad(x, pad)\n"
        "        return x\n"
    )
    assert _fixes(inside) == [Applicability.SAFE, Applicability.SAFE]


def test_a_sign_the_code_does_not_show_makes_it_unsafe() -> None:
    source = (
        HEAD
        + "        pad = self.size - h\n        if pad > 0:\n            x = F.pad(x, (0, 0, 0, pad))\n        return x\n"
    )
    proven = (
        HEAD
        + "        pad = (4 - h % 4) % 4\n        if pad > 0:\n            x = F.pad(x, (0, 0, 0, pad))\n        return x\n"
    )
    assert _fixes(proven) == [Applicability.SAFE]
    assert _fixes(source) in ([Applicability.UNSAFE], [])  # [] where the detection does not see `self.size - h`


def test_other_bodies_get_no_fix() -> None:
    for body in (
        "        if h % 4 != 0:\n            x = F.pad(x, (0, 0, 0, 4 - h % 4))\n            x = x * 2\n",  # more than a pad
        "        if h % 4 != 0:\n            y = F.pad(x, (0, 0, 0, 4 - h % 4))\n        else:\n            y = x\n",
        "        if h % 4 != 0:\n            x = F.pad(x, (0, 0, 0, 4 - h % 4), value=float(h))\n",
        "        if h % 4 != 0:\n            x = F.pad(x, (0, 0, 0, 2))\n",  # 2 whatever h is
    ):
        assert _fixes(HEAD + body + "        return x\n") in ([Applicability.DISPLAY_ONLY], []), body


def test_the_export_guard_keeps_eager_mode_and_imports_nothing_new() -> None:
    source = """
    import torch as T
    class M(T.nn.Module):
        def forward(self, x):
            if not T.jit.is_tracing() and x.shape[2] == self.n:
                return x
            return x * 2
    """
    fixed = _fixed(source, unsafe=True)
    assert "if not (T.jit.is_tracing() or T.compiler.is_exporting()) and x.shape[2] == self.n:" in fixed
    assert _fixed(source) == textwrap.dedent(source).lstrip()  # unsafe: not applied by --fix alone
