"""The branch-free pad and the export guard (ONX302's fixes) on real text: where they apply and where not."""

from __future__ import annotations

import textwrap
from dataclasses import replace

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


# timm's TinyViT block (timm/models/tiny_vit.py, 1.0.31), reduced: a flag names the pad condition, the
# padded windows are reversed, and the same flag crops back; the pad and crop sit in an `else:` block.
TINY_VIT = """
import torch
import torch.nn.functional as F
class Block(torch.nn.Module):
    def __init__(self, window_size: int = 7):
        super().__init__()
        self.window_size = window_size
    def forward(self, x: torch.Tensor):
        B, H, W, C = x.shape
        if H == self.window_size and W == self.window_size:
            x = self.attn(x)
        else:
            pad_b = (self.window_size - H % self.window_size) % self.window_size
            pad_r = (self.window_size - W % self.window_size) % self.window_size
            padding = pad_b > 0 or pad_r > 0
            if padding:
                x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
            x = self.attn(x)
            if padding:
                x = x[:, :H, :W].contiguous()
        return x
"""


def test_a_flag_named_pad_and_the_crop_that_undoes_it_become_unconditional() -> None:
    import textwrap

    source = textwrap.dedent(TINY_VIT).lstrip()
    result = lint_source(source, "m.py", SETTINGS)
    fixes = {f.start.row: (f.fix.applicability, f.fix.title) for f in result.findings if f.fix and f.fix.edits}
    # One hazard, one fix: the pad's drops both `if`s (a pad kept at every size with its crop dropped would leave
    # the padded rows in the output). The crop is reported on its own only at `low`, pointing at the pad.
    assert fixes[15][0] is Applicability.UNSAFE and fixes[15][1].startswith("Pad and crop back unconditionally")
    assert 18 not in fixes
    low = lint_source(source, "m.py", replace(SETTINGS, confidence="low")).findings
    crop = next(f for f in low if f.start.row == 18)
    assert (
        crop.confidence.value == "low" and "crops back what the `if` on the same condition at line 15" in crop.message
    )
    fixed = _fixed(source, unsafe=True)
    assert "if padding" not in fixed
    assert "            x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))\n            x = self.attn(x)\n" in fixed
    assert "            x = x[:, :H, :W].contiguous()\n" in fixed


def test_a_crop_without_a_pad_under_the_same_condition_gets_no_fix() -> None:
    source = HEAD + ("        cropped = h > 64\n        if cropped:\n            x = x[:, :, :64]\n        return x\n")
    assert _fixes(source) == [Applicability.DISPLAY_ONLY]


WINDOWED = """
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.window_size = 3
        self.mix = torch.nn.Linear(9, 9)

    def forward(self, x: torch.Tensor):
        x = x.permute(0, 2, 3, 1)  # (B, H, W, C), as TinyViT's blocks take it
        B, H, W, C = x.shape
        pad_b = (self.window_size - H % self.window_size) % self.window_size
        pad_r = (self.window_size - W % self.window_size) % self.window_size
        padding = pad_b > 0 or pad_r > 0
        if padding:
            x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        pH, pW = H + pad_b, W + pad_r
        nH, nW = pH // self.window_size, pW // self.window_size
        windows = x.view(B, nH, self.window_size, nW, self.window_size, C).transpose(2, 3)
        windows = windows.reshape(B, nH, nW, C, self.window_size * self.window_size)
        windows = self.mix(windows)  # mixes the positions inside each window
        x = windows.reshape(B, nH, nW, C, self.window_size, self.window_size).permute(0, 1, 4, 2, 5, 3)
        x = x.reshape(B, pH, pW, C)
        if padding:
            x = x[:, :H, :W].contiguous()
        return x.permute(0, 3, 1, 2)
"""


def test_fixed_windowed_block_matches_eager_with_and_without_padding(tmp_path) -> None:
    import pytest

    pytest.importorskip("torch")
    from onnxlint.core.registry import all_rules
    from onnxlint.core.rule import ParityCase
    from onnxlint.verify.parity import run_parity_case

    rule = all_rules()["ONX302"]
    # 6x6 needs no padding at the example (3x3 windows); the parity's other size, 8, does.
    case = ParityCase(WINDOWED, inputs=((1, 3, 6, 6),), dynamic=("batch,height,width",), unsafe_fixes=True)
    outcome = run_parity_case(rule, case, "dynamo", tmp_path / "fixed")
    assert outcome.applied == 1 and "if padding" not in outcome.fixed_source  # the pad's fix crops back too
    assert outcome.passed, outcome.explain()
    before = run_parity_case(
        rule,
        ParityCase(WINDOWED, inputs=((1, 3, 6, 6),), dynamic=("batch,height,width",)),
        "dynamo",
        tmp_path / "original",
    )
    assert before.applied == 0 and not before.passed, before.explain()


def test_a_flag_whose_inputs_change_after_it_is_set_is_not_read_through() -> None:
    # `padding` was computed from the old `pad`: with the flag false the new `pad` is 1, so dropping the
    # `if` would pad where the original did not. No fix may rely on the flag's expression then.
    source = HEAD + (
        "        pad = w % 4\n"
        "        padding = pad != 0\n"
        "        pad += 1\n"
        "        if padding:\n"
        "            x = F.pad(x, (0, pad))\n"
        "        return x\n"
    )
    assert _fixes(source) == [Applicability.DISPLAY_ONLY]
    source = HEAD + (
        "        pad = w % 4\n"
        "        padding = pad != 0\n"
        "        if padding:\n"
        "            x = F.pad(x, (0, pad))\n"
        "        return x\n"
    )
    assert _fixes(source) == [Applicability.SAFE]
