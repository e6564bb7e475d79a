# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: monai 1.6.1, monai/networks/nets/swin_unetr.py, lines 17-19, 919, 1036-1051
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
class BasicLayer(nn.Module):
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
