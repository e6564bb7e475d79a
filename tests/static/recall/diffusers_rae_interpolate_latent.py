# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: diffusers 0.42.1, diffusers/models/autoencoders/autoencoder_rae.py, lines 19-21, 228, 312-321, 354-379
# Hazard lines (original numbering): 314 ONX302, 316 ONX301
# License: Apache-2.0
# Original license header, verbatim:
# # Copyright 2026 The NYU Vision-X and HuggingFace Teams. All rights reserved.
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
# Why: 314: `if l == self.num_patches: return x` branches on the dynamic token count; exported at the native size, the interpolation is dropped from the graph.
# Why: 316: `h = w = int(l**0.5)` truncates a symbolic float: measured with torch 2.13, the exported ONNX model keeps the example's value and reshapes wrongly for other token counts.
# class: size-to-python-number (ONX301)
# class: branch-on-size (ONX302)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn as nn
import torch.nn.functional as F
# [...]
class RAEDecoder(nn.Module):
    # [...]
    def interpolate_latent(self, x: torch.Tensor) -> torch.Tensor:
        b, l, c = x.shape
        if l == self.num_patches:  # expect: ONX302
            return x
        h = w = int(l**0.5)  # expect: ONX301
        x = x.reshape(b, h, w, c).permute(0, 3, 1, 2)
        target_size = (int(self.num_patches**0.5), int(self.num_patches**0.5))
        x = F.interpolate(x, size=target_size, mode="bilinear", align_corners=False)
        x = x.permute(0, 2, 3, 1).contiguous().view(b, self.num_patches, c)
        return x
    # [...]
    def forward(
        self,
        hidden_states: torch.Tensor,
        *,
        interpolate_pos_encoding: bool = False,
        drop_cls_token: bool = False,
        return_dict: bool = True,
    ) -> RAEDecoderOutput | tuple[torch.Tensor]:
        x = self.decoder_embed(hidden_states)
        if drop_cls_token:
            x_ = x[:, 1:, :]
            x_ = self.interpolate_latent(x_)
        else:
            x_ = self.interpolate_latent(x)

        cls_token = self.trainable_cls_token.expand(x_.shape[0], -1, -1)
        x = torch.cat([cls_token, x_], dim=1)

        if interpolate_pos_encoding:
            if not drop_cls_token:
                raise ValueError("interpolate_pos_encoding only supports drop_cls_token=True")
            decoder_pos_embed = self.interpolate_pos_encoding(x)
        else:
            decoder_pos_embed = self.decoder_pos_embed

        hidden_states = x + decoder_pos_embed.to(device=x.device, dtype=x.dtype)
