"""The branch-free resize (ONX302's fix for "resize only when the size differs") on real text and real exports."""

from __future__ import annotations

import io
import textwrap
import warnings

import pytest

from onnxlint import LintSettings, fix_source, lint_source
from onnxlint.core.findings import Applicability
from onnxlint.core.settings import Selection
from onnxlint.rules._fix_branch_free_resize import IDENTITY_MODES

SETTINGS = LintSettings(selection=Selection(select=("ONX302",)))
TITLE = "Resize unconditionally"

# timm's MobileVitBlock (timm/models/mobilevit.py, 1.0.31), reduced: resize up to a multiple of the
# patch only when the size is not one, and back afterwards.
MOBILEVIT = """
import math
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 1)
        self.patch_h, self.patch_w = 3, 3
        self.weight = torch.nn.Parameter(torch.randn(3, 3))

    def forward(self, x):
        x = self.conv(x)
        B, C, H, W = x.shape
        new_h = (H + self.patch_h - 1) // self.patch_h * self.patch_h  # timm: math.ceil(H / patch_h) * patch_h
        new_w = (W + self.patch_w - 1) // self.patch_w * self.patch_w
        interpolate = False
        if new_h != H or new_w != W:
            x = F.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False)
            interpolate = True
        # [B, C, H, W] -> patches [B, C, n_h, n_w, p_h, p_w], a per-patch-position weight, and back
        x = x.reshape(B, C, new_h // self.patch_h, self.patch_h, new_w // self.patch_w, self.patch_w)
        x = x.transpose(3, 4) * self.weight
        x = x.transpose(3, 4).reshape(B, C, new_h, new_w)
        if interpolate:
            x = F.interpolate(x, size=(H, W), mode="bilinear", align_corners=False)
        return x
"""


def _dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip()


def _resize_fixes(source: str) -> list[tuple[int, Applicability]]:
    result = lint_source(_dedent(source), "m.py", SETTINGS)
    return [
        (f.start.row, f.fix.applicability)
        for f in result.findings
        if f.fix is not None and (f.fix.title or "").startswith(TITLE)
    ]


def test_mobilevit_resize_becomes_unconditional_as_an_unsafe_fix() -> None:
    fixed = fix_source(_dedent(MOBILEVIT), "m.py", SETTINGS, unsafe_fixes=True).text
    assert "if new_h != H or new_w != W:" not in fixed
    assert (
        "        interpolate = False\n"
        '        x = F.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False)\n'
        "        interpolate = True\n"
    ) in fixed
    assert fix_source(_dedent(MOBILEVIT), "m.py", SETTINGS).text == _dedent(MOBILEVIT)  # not safe


HEAD = """
import torch
import torch.nn.functional as F
class M(torch.nn.Module):
    def forward(self, x, y):
        B, C, H, W = x.shape
        new_h, new_w = H // 4 * 4, W // 4 * 4
"""


@pytest.mark.parametrize(
    "branch",
    [
        # the target size is not paired with the dims the condition tests
        "        if new_h != W or new_w != H:\n            x = F.interpolate(x, size=(new_h, new_w))\n",
        # a scale factor: the resize is no identity when the condition is false
        "        if new_h != H:\n            x = F.interpolate(x, scale_factor=2.0)\n",
        # antialiasing: no ONNX form in the TorchScript exporter
        "        if new_h != H or new_w != W:\n            x = F.interpolate(x, size=(new_h, new_w), mode='bilinear', antialias=True)\n",
        # the mode is not a literal
        "        if new_h != H or new_w != W:\n            x = F.interpolate(x, size=(new_h, new_w), mode=self.mode)\n",
        # the result goes to another name: unbound (or stale) when the condition is false
        "        if new_h != H or new_w != W:\n            z = F.interpolate(x, size=(new_h, new_w))\n",
        # an else branch
        "        if new_h != H or new_w != W:\n            x = F.interpolate(x, size=(new_h, new_w))\n        else:\n            x = x * 2\n",
        # a call in the body besides the resize
        "        if new_h != H or new_w != W:\n            x = F.interpolate(x, size=(new_h, new_w))\n            print(x.shape)\n",
        # x changed between the unpack and the branch: H, W are no longer its sizes
        "        x = x[:, :, 1:]\n        if new_h != H or new_w != W:\n            x = F.interpolate(x, size=(new_h, new_w))\n",
    ],
)
def test_no_fix_where_the_identity_is_not_proven(branch: str) -> None:
    assert _resize_fixes(HEAD + branch + "        return x\n") == []


def test_pooling_up_to_a_minimum_size_becomes_unconditional() -> None:
    # timm's VGG pre-logits MLP (timm/models/vgg.py, ConvMlp): inputs under 7x7 are pooled up to 7x7. With
    # the condition false both dims are >= 7, so `max(7, dim)` is the dim: a pooling to the input's own size.
    source = (
        "import torch\nimport torch.nn.functional as F\n"
        "class M(torch.nn.Module):\n"
        "    def forward(self, x: torch.Tensor):\n"
        "        if x.shape[-2] < self.k or x.shape[-1] < self.k:\n"
        "            output_size = (max(self.k, x.shape[-2]), max(self.k, x.shape[-1]))\n"
        "            x = F.adaptive_avg_pool2d(x, output_size)\n"
        "        return x\n"
    )
    assert _resize_fixes(source) == [(5, Applicability.UNSAFE)]
    fixed = fix_source(source, "m.py", SETTINGS, unsafe_fixes=True).text
    assert "        output_size = (max(self.k, x.shape[-2]), max(self.k, x.shape[-1]))\n        x = F.adaptive" in fixed
    # `min` would pool large inputs down: no identity when the condition is false.
    assert _resize_fixes(source.replace("max(", "min(")) == []


def test_a_loop_around_the_branch_but_not_the_unpack_gets_no_fix() -> None:
    source = HEAD + (
        "        for block in self.blocks:\n"
        "            if new_h != H or new_w != W:\n"
        "                x = F.interpolate(x, size=(new_h, new_w))\n"
        "            x = block(x)\n"
        "        return x\n"
    )
    assert _resize_fixes(source) == []
    inside = HEAD + (
        "        for block in self.blocks:\n"
        "            B, C, H, W = x.shape\n"
        "            if new_h != H or new_w != W:\n"
        "                x = F.interpolate(x, size=(new_h, new_w))\n"
        "            x = block(x)\n"
        "        return x\n"
    )
    assert _resize_fixes(inside) == [(9, Applicability.UNSAFE)]


# -- ground truth: a resize to a tensor's own size is the identity, eager and in onnxruntime ------------


@pytest.mark.export
@pytest.mark.parametrize("mode", sorted(IDENTITY_MODES))
@pytest.mark.parametrize("exporter", ["legacy", "dynamo"])
def test_resize_to_the_same_size_is_the_identity(mode: str, exporter: str) -> None:
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    import numpy as np
    import torch.nn.functional as F

    rank = {"linear": 3, "trilinear": 5}.get(mode, 4)
    x = torch.randn(*[2, 3, 7, 9, 5][:rank], generator=torch.Generator().manual_seed(0))
    corners = [None] if mode in ("nearest", "area") else [False, True]
    for align_corners in corners:
        extra = {} if align_corners is None else {"align_corners": align_corners}

        class Resize(torch.nn.Module):
            def __init__(self, options: dict) -> None:
                super().__init__()
                self.options = options

            def forward(self, t):
                return F.interpolate(t, size=tuple(t.shape[2:]), mode=mode, **self.options)

        assert torch.equal(Resize(extra)(x), x), (mode, align_corners)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if exporter == "legacy":
                torch.onnx.export(Resize(extra), (x,), buffer, dynamo=False, opset_version=17)
                data = buffer.getvalue()
            else:
                program = torch.onnx.export(Resize(extra), (x,), dynamo=True, verbose=False)
                data = program.model_proto.SerializeToString()
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        assert np.array_equal(got, x.numpy()), (mode, align_corners, exporter)


@pytest.mark.export
def test_adaptive_average_pooling_to_the_same_size_is_the_identity() -> None:
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    import numpy as np
    import torch.nn.functional as F

    class Pool(torch.nn.Module):
        def forward(self, t):
            return F.adaptive_avg_pool2d(t, (t.shape[-2], t.shape[-1]))

    x = torch.randn(2, 3, 7, 9, generator=torch.Generator().manual_seed(0))
    assert torch.equal(Pool()(x), x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = torch.onnx.export(Pool(), (x,), dynamo=True, verbose=False).model_proto.SerializeToString()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    assert np.array_equal(session.run(None, {session.get_inputs()[0].name: x.numpy()})[0], x.numpy())


# -- parity: the fixed MobileViT block exports with dynamic sizes and matches eager at both sides ---------


@pytest.mark.export
def test_fixed_mobilevit_block_matches_eager_at_sizes_on_both_sides_of_the_branch(tmp_path) -> None:
    pytest.importorskip("torch")
    from onnxlint.core.registry import all_rules
    from onnxlint.core.rule import ParityCase
    from onnxlint.verify.parity import run_parity_case

    rule = all_rules()["ONX302"]
    # 6x6 is a multiple of the patch (no resize at the example); the parity's other sizes, 8, are not.
    case = ParityCase(MOBILEVIT, inputs=((1, 3, 6, 6),), dynamic=("batch,height,width",), unsafe_fixes=True)
    outcome = run_parity_case(rule, case, "dynamo", tmp_path / "fixed")
    assert outcome.applied == 1 and "if new_h != H" not in outcome.fixed_source
    assert outcome.passed, outcome.explain()
    sizes = {tuple(result.shapes[0]) for result in outcome.report.parity}
    assert {(1, 3, 6, 6), (1, 3, 8, 6), (1, 3, 6, 8)} <= sizes, sizes

    # The original, exported the same way (the unsafe fix not applied), keeps the branch its example took:
    # no resize, so the patch reshape fails at 8.
    original = ParityCase(MOBILEVIT, inputs=((1, 3, 6, 6),), dynamic=("batch,height,width",))
    before = run_parity_case(rule, original, "dynamo", tmp_path / "original")
    assert before.applied == 0 and not before.passed, before.explain()
