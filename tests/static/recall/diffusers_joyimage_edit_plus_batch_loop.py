# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: diffusers 0.42.1, diffusers/models/transformers/transformer_joyimage_edit_plus.py, lines 18-20, 317, 444-452, 466-500
# Hazard lines (original numbering): 481 ONX203
# License: Apache-2.0
# Original license header, verbatim:
# # Copyright 2025 The JoyImage Team and The HuggingFace Team. All rights reserved.
# #
# # Licensed under the Apache License, Version 2.0 (the "License");
# # you may not use this file except in compliance with the License.
# # You may obtain a copy of the License at
# #
# #     http://www.apache.org/licenses/LICENSE-2.0
# #
# # Unless required by applicable law or agreed to in writing, software
# # distributed under the License is distributed on an "AS IS" BASIS,
# # WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# # See the License for the specific language governing permissions and
# # limitations under the License.
# Why: 481: `for i in range(batch_size)` over the input's batch dim (with a per-sample Python `shape_list`) specializes the batch size.
# class: loop-over-size (ONX203)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn as nn
import torch.nn.functional as F
# [...]
class JoyImageEditPlusTransformer3DModel(ModelMixin, ConfigMixin, AttentionMixin):
    # [...]
    def forward(
        self,
        hidden_states: torch.Tensor,
        timestep: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        encoder_hidden_states_mask: torch.Tensor | None = None,
        shape_list: list[list[tuple[int, int, int]]] = None,
        return_dict: bool = True,
    ) -> torch.Tensor | tuple:
        # [...]
        batch_size, max_num_patches, channels, pt, ph, pw = hidden_states.shape
        device = hidden_states.device

        # 1. Condition embeddings
        _, vec, txt = self.condition_embedder(timestep, encoder_hidden_states)
        vec = vec.unflatten(1, (6, -1))

        # 2. Patchify via Conv3d: flatten (B, N) -> apply conv -> reshape back
        x = hidden_states.reshape(batch_size * max_num_patches, channels, pt, ph, pw)
        x = self.img_in(x)  # (B*N, D, 1, 1, 1)
        img = x.reshape(batch_size, max_num_patches, -1)

        # 3. Build per-component RoPE with temporal offsets
        sample_cos_list, sample_sin_list = [], []

        for i in range(batch_size):  # expect: ONX203
            s_cos_parts, s_sin_parts = [], []
            current_t_offset = 0

            for thw in shape_list[i]:
                t, h, w = thw
                start = (current_t_offset, 0, 0)
                stop = (current_t_offset + t, h, w)
                cos_emb, sin_emb = self._get_rotary_pos_embed_for_range(start, stop)
                s_cos_parts.append(cos_emb)
                s_sin_parts.append(sin_emb)
                current_t_offset += t

            s_cos = torch.cat(s_cos_parts, dim=0).to(device)
            s_sin = torch.cat(s_sin_parts, dim=0).to(device)

            actual_len = s_cos.shape[0]
            pad_len = max_num_patches - actual_len
            if pad_len > 0:
                s_cos = F.pad(s_cos, (0, 0, 0, pad_len), value=1.0)
