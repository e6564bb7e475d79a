"""Messages say what was proven: a finding on a size names the shape the size is derived from, a finding on a tensor
value why the value is a tensor, each with its line."""

from __future__ import annotations

import textwrap

from onnxlint.core.engine import lint_source
from onnxlint.core.settings import LintSettings


def _messages(source: str, code: str) -> dict[int, str]:
    findings = lint_source(textwrap.dedent(source), "m.py", LintSettings(confidence="low")).findings
    return {f.start.row: f.message for f in findings if f.code == code}


def test_a_branch_names_the_shape_through_each_assignment():
    # timm's TinyViT: `padding` <- `pad_b` <- `H` <- `x.shape[1]`.
    messages = _messages(
        """
        import torch
        import torch.nn.functional as F
        class Block(torch.nn.Module):
            def __init__(self, window_size: int = 7):
                super().__init__()
                self.window_size = window_size
            def forward(self, x):
                B, H, W, C = x.shape
                pad_b = (self.window_size - H % self.window_size) % self.window_size
                pad_r = (self.window_size - W % self.window_size) % self.window_size
                padding = pad_b > 0 or pad_r > 0
                if padding:
                    x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
                return x
        """,
        "ONX302",
    )
    assert messages[13].endswith("; `padding` is derived from `x.shape[1]` (through `pad_b`, `H`; lines 12, 10, 9)")


def test_a_size_unpacked_from_the_shape_is_that_dim():
    messages = _messages(
        """
        import torch
        class Net(torch.nn.Module):
            def forward(self, x):
                b, c, h, w = x.shape
                if h == 14:
                    return x
                return x * 2
        """,
        "ONX302",
    )
    # The origin comes before the reason for the level: an equality on a size is `medium`.
    assert "; `h` is `x.shape[2]` (line 5); medium confidence: a bound or an equality on the size" in messages[6]


def test_a_helper_parameter_names_the_size_its_caller_passes():
    # transformers' Swin: `maybe_pad(self, pixel_values, height, width)` called from `forward`.
    messages = _messages(
        """
        import torch
        import torch.nn.functional as F
        class Embeddings(torch.nn.Module):
            def maybe_pad(self, pixel_values, height, width):
                if width % 4 != 0:
                    pixel_values = F.pad(pixel_values, (0, 4 - width % 4))
                return pixel_values
            def forward(self, pixel_values):
                _, _, height, width = pixel_values.shape
                return self.maybe_pad(pixel_values, height, width)
        """,
        "ONX302",
    )
    assert messages[6].endswith("; `width` is a size `forward` passes (`width`, line 11)")


def test_a_condition_that_reads_the_shape_itself_needs_no_origin():
    messages = _messages(
        """
        import torch
        class Net(torch.nn.Module):
            def forward(self, x):
                if x.shape[2] == 14:
                    return x
                return x * 2
        """,
        "ONX302",
    )
    assert "stays dynamic; medium confidence:" in messages[5]


def test_loops_and_conversions_name_their_size_too():
    source = """
        import math
        import torch
        class Net(torch.nn.Module):
            def forward(self, x):
                n = x.shape[1]
                side = int(math.sqrt(n))
                rows = [x[:, i] for i in range(n)]
                return torch.stack(rows, 1).reshape(x.shape[0], side, side, -1)
        """
    assert _messages(source, "ONX203")[8].endswith("; `n` is `x.shape[1]` (line 6)")
    assert "; `n` is `x.shape[1]` (line 6)" in _messages(source, "ONX301")[7]


def test_the_origin_comes_before_a_low_confidence_reason():
    messages = _messages(
        """
        import torch
        class Net(torch.nn.Module):
            def forward(self, x):
                seq_len = x.shape[1]
                if seq_len == 1:
                    return x
                return x * 2
        """,
        "ONX302",
    )
    message = messages[6]
    assert "; `seq_len` is `x.shape[1]` (line 5); low confidence:" in message


def test_a_branch_on_a_tensor_names_the_assignment_that_makes_it_one():
    messages = _messages(
        """
        import torch
        class Net(torch.nn.Module):
            def forward(self, x, y: torch.Tensor, mask):
                keep = x > 0
                if keep.any():
                    x = x * 2
                if y.sum() > 0:
                    y = y * 2
                if mask.all():
                    return x
                return x + y
        """,
        "ONX201",
    )
    assert messages[6].endswith("; `keep` is a tensor: `x > 0` (line 5)")
    assert messages[8].endswith("; `y` is annotated `torch.Tensor`")
    # An unannotated parameter is only taken for a tensor: the message says so (and the finding is `medium`).
    assert messages[10].endswith("; `mask` is taken for a tensor: an unannotated parameter of `forward`")


def test_a_conversion_names_the_tensor_a_caller_passes():
    # LLaVA-NeXT's `unpad_image(tensor, original_size)`, called with `image_sizes[image_idx]`.
    messages = _messages(
        """
        import torch
        class Net(torch.nn.Module):
            def unpad(self, features, original_size):
                height, width = original_size.tolist()
                return features[:, :height, :width]
            def forward(self, features: torch.Tensor, image_sizes: torch.Tensor):
                return self.unpad(features, image_sizes[0])
        """,
        "ONX202",
    )
    assert messages[5].endswith("; `original_size` is a tensor `forward` passes (`image_sizes[0]`, line 8)")
