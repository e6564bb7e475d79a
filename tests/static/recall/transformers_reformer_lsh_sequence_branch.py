# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: transformers 5.25.0, transformers/models/reformer/modeling_reformer.py, lines 26-27, 416, 448-466, 548-560
# Hazard lines (original numbering): 552 ONX302
# License: Apache-2.0
# Original license header, verbatim:
# # Copyright 2020 The Trax Authors and The HuggingFace Inc. team.
# # Copyright (c) 2018, NVIDIA CORPORATION.  All rights reserved.
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
# Why: 552: `do_standard_self_attention` is `sequence_length <= self.chunk_length`, so with a dynamic sequence length the export keeps only the standard-attention or the LSH branch that the example took.
# class: branch-on-size (ONX302)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
from torch import nn
# [...]
class LSHSelfAttention(nn.Module, EfficientAttentionMixin):
    # [...]
    def forward(
        self,
        hidden_states,
        attention_mask=None,
        num_hashes=None,
        buckets=None,
        past_buckets_states=None,
        use_cache=False,
        output_attentions=False,
        **kwargs,
    ):
        sequence_length = hidden_states.shape[1]
        batch_size = hidden_states.shape[0]

        # num hashes can optionally be overwritten by user
        num_hashes = num_hashes if num_hashes is not None else self.num_hashes

        # check if cache shall be used and that hidden states are already cached
        exists_cache = past_buckets_states is not None and len(past_buckets_states) > self.layer_idx
        # [...]
        do_standard_self_attention = (sequence_length <= self.chunk_length) or (
            exists_cache and past_states is not None
        )
        # LSH attention only makes sense if chunked attention should be performed
        if not do_standard_self_attention:  # expect: ONX302
            # set `num_buckets` on the fly, recommended way to do it
            if self.num_buckets is None:
                self._set_num_buckets(sequence_length)

            # use cached buckets for backprop only
            if buckets is None:
                # hash query key vectors into buckets
                buckets = self._hash_vectors(query_key_vectors, num_hashes, attention_mask)
