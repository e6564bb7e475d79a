"""Measured evidence of ONX302 `branch_on_tensor_size`: `PATTERNS`, `MEASURED` and `PARITY`.

rules/branch_on_tensor_size.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, ParityCase, Pattern


def _model(body: str) -> str:
    return (
        "import torch\nimport torch.nn.functional as F\n\n\nclass Model(torch.nn.Module):\n    def forward(self, x):\n"
        + "".join(f"        {line}\n" for line in body.strip("\n").splitlines())
    )


_PAD_TO_MULTIPLE = _model(
    """
h, w = x.shape[2], x.shape[3]
if h % 4 != 0 or w % 4 != 0:
    x = F.pad(x, (0, (4 - w % 4) % 4, 0, (4 - h % 4) % 4))
return x
"""
)


_CROP_BACK_AFTER_PAD = _model(
    "n = x.shape[2]\npad = (4 - n % 4) % 4\ny = F.pad(x, (0, 0, 0, pad)) * 2\nif pad > 0:\n    y = y[:, :, :n]\nreturn y"
)


PATTERNS = {
    "pad_to_multiple": Pattern(_PAD_TO_MULTIPLE),
    "if_batch_gt_1": Pattern(
        _model("if x.shape[0] > 1:\n    x = x - x.mean(0, keepdim=True)\nreturn x"), dynamic=("batch",)
    ),
    # The same branch exported with a batch of 2: every other batch of 2 or more takes it too (a comparison with 1
    # is `low`: only a batch of 1 runs the exported branch in place of its own).
    "if_batch_gt_1_example_2": Pattern(
        _model("if x.shape[0] > 1:\n    x = x - x.mean(0, keepdim=True)\nreturn x"),
        inputs=((2, 3, 8, 8),),
        dynamic=("batch",),
    ),
    # A sinusoidal table grown when an input is longer than it (transformers' Speech2Text, TrOCR, M2M100): exported
    # with an input within the table, right for every input within it (`low`).
    "grow_table_beyond_input": Pattern(
        "import torch\n\n\nclass Model(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.register_buffer('table', torch.arange(64.0))\n\n"
        "    def forward(self, x):\n"
        "        needed = x.shape[2] + 2\n"
        "        if needed > self.table.size(0):\n"
        "            self.table = torch.arange(float(needed))\n"
        "        return x + self.table[2:needed].view(1, 1, -1, 1)\n",
        dynamic=("batch", "height"),
    ),
    # Mamba-2's crop back after padding to a multiple of the chunk: right at every length when the example pads
    # (`low`), wrong at every other length when the example's length is a multiple (measured at 5-12 as well).
    "crop_back_after_pad": Pattern(_CROP_BACK_AFTER_PAD, inputs=((2, 3, 6, 5),), dynamic=("batch", "height")),
    "crop_back_after_pad_example_multiple": Pattern(
        _CROP_BACK_AFTER_PAD, inputs=((2, 3, 8, 5),), dynamic=("batch", "height")
    ),
    # A table cached for the last length seen (transformers' rotary embeddings of wav2vec2-BERT, CLVP, SeamlessM4T):
    # a module built and exported compares the length with None, so the export computes the table (`low`).
    "cached_for_last_length": Pattern(
        "import torch\n\n\nclass Model(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.cached_length = None\n"
        "        self.cached_table = None\n\n"
        "    def forward(self, x):\n"
        "        length = x.shape[2]\n"
        "        if length == self.cached_length and self.cached_table is not None:\n"
        "            return x + self.cached_table\n"
        "        self.cached_length = length\n"
        "        self.cached_table = torch.arange(length, dtype=x.dtype).view(1, 1, -1, 1)\n"
        "        return x + self.cached_table\n",
        dynamic=("batch", "height"),
    ),
    # A size ordered against a maximum the model is configured with (transformers' TVP, xLSTM): an example within it
    # exports the branch of every input within it (`low`).
    "ordering_against_configured_maximum": Pattern(
        "import torch\n\n\nclass Model(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.max_rows = 64\n\n"
        "    def forward(self, x):\n"
        "        if x.shape[2] > self.max_rows:\n"
        "            x = torch.nn.functional.interpolate(x, size=(self.max_rows, x.shape[3]))\n"
        "        return x * 2\n",
        dynamic=("batch", "height"),
    ),
    # Dim 0 of two inputs compared (transformers' Grounding DINO: a mask's batch against the states'): both are the
    # batch, one symbol however the dims are declared (`Dim.DYNAMIC` each unifies them), so the export is right at
    # every batch (`low`).
    "batch_equality_of_two_inputs": Pattern(
        "import torch\n\n\nclass Model(torch.nn.Module):\n"
        "    def forward(self, x, mask):\n"
        "        if mask.shape[0] == x.shape[0]:\n"
        "            return x * mask\n"
        "        return x + 1\n",
        inputs=((2, 3, 8, 8), (2, 1, 8, 8)),
        dynamic=("batch", "height"),
    ),
    "check_that_raises": Pattern(
        _model("if x.size(1) != 3:\n    raise ValueError('expected 3 channels')\nreturn x * 2")
    ),
    "emptiness_check": Pattern(_model("if x.shape[0] == 0:\n    return x * 0\nreturn x + 1"), dynamic=("batch",)),
}

MEASURED = [
    Claim("pad_to_multiple", "legacy", 17, "BAKED"),
    Claim("pad_to_multiple", "dynamo", None, "BAKED"),
    Claim("if_batch_gt_1", "legacy", 17, "BAKED"),
    Claim("if_batch_gt_1", "dynamo", None, "BAKED"),
    Claim("if_batch_gt_1_example_2", "legacy", 17, "ok", flagged=True, note="reported at `low`"),
    Claim("if_batch_gt_1_example_2", "dynamo", None, "ok", flagged=True, note="reported at `low`"),
    Claim("grow_table_beyond_input", "dynamo", None, "ok", flagged=True, note="reported at `low`"),
    Claim("crop_back_after_pad", "dynamo", None, "ok", flagged=True, note="reported at `low`"),
    Claim("crop_back_after_pad_example_multiple", "dynamo", None, "BAKED", note="reported at `low`"),
    Claim("cached_for_last_length", "dynamo", None, "ok", flagged=True, note="reported at `low`"),
    Claim("ordering_against_configured_maximum", "dynamo", None, "ok", flagged=True, note="reported at `low`"),
    Claim("batch_equality_of_two_inputs", "legacy", 17, "ok", flagged=True, note="reported at `low`"),
    Claim("batch_equality_of_two_inputs", "dynamo", None, "ok", flagged=True, note="reported at `low`"),
    Claim("check_that_raises", "legacy", 17, "ok"),
    Claim("check_that_raises", "dynamo", None, "ok"),
    # Emptiness: both exporters take the non-empty branch, right for every non-empty input.
    Claim("emptiness_check", "legacy", 17, "ok"),
    Claim("emptiness_check", "dynamo", None, "ok"),
]


# The branch-free pad (rules/_fix_branch_free_pad.py) and the export guard (rules/_fix_export_guard.py):
# exported after the fix with both exporters, compared in onnxruntime with the original eager model
# on seeded inputs at the example shape and at other sizes of every dynamic dim.
PARITY = [
    ParityCase(_PAD_TO_MULTIPLE, inputs=((1, 3, 8, 8),), dynamic=("batch", "height", "width")),
    # transformers' Swin: `p - w % p` under `w % p != 0` (wrapped in `% p`), `h % 2` under `h % 2 == 1`.
    ParityCase(
        _model(
            """
_, _, height, width = x.shape
if width % 4 != 0:
    pad_values = (0, 4 - width % 4)
    x = F.pad(x, pad_values)
if (height % 2 == 1) or (width % 2 == 1):
    x = F.pad(x, (0, width % 2, 0, height % 2), mode="replicate")
return x[:, :, ::2, ::4] * 2
"""
        ),
        inputs=((1, 3, 6, 8),),
        dynamic=("batch", "height", "width"),
    ),
    # The fast path skipped while tracing: skipped while exporting too (an unsafe fix).
    ParityCase(
        "import torch\nimport torch.nn.functional as F\n\n\nclass Model(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.table = torch.nn.Parameter(torch.randn(1, 3, 8, 8))\n\n"
        "    def forward(self, x):\n"
        "        h, w = x.shape[2], x.shape[3]\n"
        "        if not torch.jit.is_tracing() and h == 8 and w == 8:\n"
        "            return x + self.table\n"
        "        table = F.interpolate(self.table, size=(h, w), mode='bicubic', align_corners=False)\n"
        "        return x + table\n",
        inputs=((1, 3, 8, 8),),
        dynamic=("batch", "height", "width"),
        unsafe_fixes=True,
    ),
]
