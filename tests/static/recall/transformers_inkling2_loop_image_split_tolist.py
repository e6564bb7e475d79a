# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: transformers 5.25.0, transformers/models/inkling2_loop/modeling_inkling2_loop.py, lines 26-28, 1614, 1625-1633, 1665-1677, 1727-1729
# Hazard lines (original numbering): 1632 ONX202
# License: Apache-2.0
# Original license header, verbatim:
# # Copyright 2026 the HuggingFace Team. All rights reserved.
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
# Why: 1632: `image_grid_thw.prod(-1).tolist()` (the parameter is annotated `torch.LongTensor`) gives data-dependent split sizes for the image features.
# class: tensor-to-python (ONX202)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn as nn
import torch.nn.functional as F
# [...]
class Inkling2LoopModel(Inkling2LoopPreTrainedModel):
    # [...]
    @can_return_tuple
    @auto_docstring(custom_intro="Encodes images into language model embeddings, one per image token.")
    def get_image_features(
        self, pixel_values: torch.Tensor, image_grid_thw: torch.LongTensor, **kwargs: Unpack[TransformersKwargs]
    ) -> tuple | BaseModelOutputWithPooling:
        image_grid_thw = image_grid_thw.cpu()
        image_outputs = self.vision_tower(pixel_values=pixel_values, image_grid_thw=image_grid_thw, **kwargs)
        image_outputs.pooler_output = image_outputs.pooler_output.split(image_grid_thw.prod(-1).tolist())  # expect: ONX202
        return image_outputs
    # [...]
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        pixel_values: torch.Tensor | None = None,
        image_grid_thw: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        mm_encoder_outputs: dict[str, BaseModelOutputWithPooling] | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> tuple | Inkling2LoopModelOutputWithPast:
        # [...]
        mm_encoder_outputs = mm_encoder_outputs if mm_encoder_outputs is not None else {}
        if mm_encoder_outputs.get("image") is None and pixel_values is not None:
            mm_encoder_outputs["image"] = self.get_image_features(pixel_values, image_grid_thw, return_dict=True)
