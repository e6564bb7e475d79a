# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: monai 1.6.1, monai/networks/nets/swin_unetr.py, lines 17-19, 476-500, 919, 927-954, 980, 1036-1051
# Hazard lines (original numbering): 1042 ONX301
# License: Apache-2.0
# Original license header, verbatim:
# # Copyright (c) MONAI Consortium
# # Licensed under the Apache License, Version 2.0 (the "License");
# # you may not use this file except in compliance with the License.
# # You may obtain a copy of the License at
# #     http://www.apache.org/licenses/LICENSE-2.0
# # Unless required by applicable law or agreed to in writing, software
# # distributed under the License is distributed on an "AS IS" BASIS,
# # WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# # See the License for the specific language governing permissions and
# # limitations under the License.
# Why: 1042: `int(np.ceil(d / window_size[0]))` converts a symbolic float to a Python int; measured with torch 2.13, the exported ONNX graph keeps the example's padded size, so the attention mask is wrong for other depths.
# class: size-to-python-number (ONX301)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import numpy as np
import torch
import torch.nn as nn
# [...]
def get_window_size(x_size, window_size, shift_size=None):
    """Computing window size based on: "Liu et al.,
    Swin Transformer: Hierarchical Vision Transformer using Shifted Windows
    <https://arxiv.org/abs/2103.14030>"
    https://github.com/microsoft/Swin-Transformer

     Args:
        x_size: input size.
        window_size: local window size.
        shift_size: window shifting size.
    """

    use_window_size = list(window_size)
    if shift_size is not None:
        use_shift_size = list(shift_size)
    for i in range(len(x_size)):
        if x_size[i] <= window_size[i]:
            use_window_size[i] = x_size[i]
            if shift_size is not None:
                use_shift_size[i] = 0

    if shift_size is None:
        return tuple(use_window_size)
    else:
        return tuple(use_window_size), tuple(use_shift_size)
# [...]
class BasicLayer(nn.Module):
    # [...]
    def __init__(
        self,
        dim: int,
        depth: int,
        num_heads: int,
        window_size: Sequence[int],
        drop_path: list,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = False,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        norm_layer: type[LayerNorm] = nn.LayerNorm,
        downsample: nn.Module | None = None,
        use_checkpoint: bool = False,
        use_hyena: bool = False,
        hyena_kernel_size: int = 3,
        hyena_kernel_mlp_dim: int = 32,
        hyena_kernel_layers: int = 3,
        hyena_mask_max_attenuation: float = 0.95,
        hyena_fft_padding: str = "circular",
        hyena_grid_type: str = "single",
        hyena_use_chunked_fft: bool = False,
        hyena_use_fft_short_conv: bool = False,
        hyena_omega_0: float = 10.0,
        hyena_l_cache: int = 32,
        hyena_short_conv_fft_chunks: int = 0,
        use_flash_attention: bool = False,
    ) -> None:
        # [...]
        self.window_size = window_size
    # [...]
    def forward(self, x):
        x_shape = x.size()
        if len(x_shape) == 5:
            b, c, d, h, w = x_shape
            window_size, shift_size = get_window_size((d, h, w), self.window_size, self.shift_size)
            x = rearrange(x, "b c d h w -> b d h w c")
            dp = int(np.ceil(d / window_size[0])) * window_size[0]  # expect: ONX301
            hp = int(np.ceil(h / window_size[1])) * window_size[1]
            wp = int(np.ceil(w / window_size[2])) * window_size[2]
            # HyenaTransformerBlock ignores the attention mask; skip building it for Hyena stages.
            attn_mask = None if self.use_hyena else compute_mask([dp, hp, wp], window_size, shift_size, x.device)
            for blk in self.blocks:
                x = blk(x, attn_mask)
            x = x.view(b, d, h, w, -1)
            if self.downsample is not None:
                x = self.downsample(x)
