# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: diffusers 0.42.1, diffusers/models/transformers/transformer_bria_fibo2.py, lines 16-17, 430, 500-508, 575-588
# Hazard lines (original numbering): 578 ONX202
# License: Apache-2.0
# Original license header, verbatim:
# # Copyright 2026 Bria AI and The HuggingFace Team. All rights reserved.
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
# Why: 578: `encoder_attention_mask.sum(dim=1).tolist()` gives per-prompt text lengths as Python ints that choose the gist-token counts: data-dependent, baked or failing at export.
# class: tensor-to-python (ONX202)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn as nn
# [...]
class BriaFibo2Transformer2DModel(ModelMixin, ConfigMixin, PeftAdapterMixin, AttentionMixin):
    # [...]
    def forward(
        self,
        hidden_states: torch.Tensor,
        timestep: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor | None = None,
        context_latents: list[torch.Tensor] | None = None,
        return_dict: bool = True,
    ) -> tuple[torch.Tensor] | Transformer2DModelOutput:
        # [...]
        # 4. Gist count per prompt from its text length, then the Perceiver turns the first bundle into gist tokens.
        # In a batch, prompts with fewer gist tokens are padded to the largest count and masked out
        if encoder_attention_mask is not None:
            text_lengths = encoder_attention_mask.sum(dim=1).tolist()  # expect: ONX202
        else:
            text_lengths = [encoder_hidden_states.shape[2]] * batch_size
        gist_counts = compute_gist_count(
            text_lengths,
            min_gist=self.config.min_num_gist_tokens,
            max_gist=self.config.max_num_gist_tokens,
            gist_step=self.config.gist_step,
            min_text_len=self.config.gist_min_text_len,
            max_text_len=self.config.gist_max_text_len,
        )
