# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: transformers 5.25.0, transformers/models/apertus1p5/modeling_apertus1p5.py, lines 25-27, 795, 803-834, 927-941, 959-960
# Hazard lines (original numbering): 819 ONX202
# License: Apache-2.0
# Original license header, verbatim:
# # Copyright 2026 The SwissAI Initiative and The HuggingFace Inc. team. All rights reserved.
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
# Why: 819: `image_sizes.tolist()` (annotated `torch.LongTensor`) becomes a Python list that is iterated and used as slice bounds in the image path: baked or data-dependent.
# class: tensor-to-python (ONX202)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn.functional as F
from torch import nn
# [...]
class Apertus1p5Model(Apertus1p5PreTrainedModel):
    # [...]
    def get_image_tokens(self, pixel_values: torch.Tensor, image_sizes: torch.LongTensor) -> list[torch.LongTensor]:
        """
        Tokenizes each image at its own size, since batch padding would change its codes, and maps the codes into the
        shared vocabulary.

        Args:
            pixel_values (`torch.Tensor` of shape `(num_images, num_channels, height, width)`):
                The tensors corresponding to the input images, padded to a common size.
            image_sizes (`torch.LongTensor` of shape `(num_images, 2)`):
                The true size of each image, being (height, width).

        Returns:
            `list[torch.LongTensor]`: One flat tensor of token ids per image, in row-major order and offset by
            `config.image_token_offset`.
        """
        image_tokens = []
        for image, (height, width) in zip(pixel_values, image_sizes.tolist()):  # expect: ONX202
            codes = self.vision_tokenizer.encode(image[None, :, :height, :width]).image_tokens
            image_tokens.append(codes.flatten() + self.config.image_token_offset)
        return image_tokens

    @can_return_tuple
    @auto_docstring(custom_intro="Tokenizes images and embeds their token ids with the text embedding layer.")
    def get_image_features(
        self,
        pixel_values: torch.Tensor,
        image_sizes: torch.LongTensor,
        **kwargs: Unpack[TransformersKwargs],
    ) -> tuple | Apertus1p5VisionTokenizerModelOutput:
        image_tokens = self.get_image_tokens(pixel_values, image_sizes)
        image_features = tuple(self.get_input_embeddings()(tokens) for tokens in image_tokens)
        return Apertus1p5VisionTokenizerModelOutput(image_tokens=image_tokens, pooler_output=image_features)
    # [...]
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        pixel_values: torch.Tensor | None = None,
        image_sizes: torch.Tensor | None = None,
        input_values: torch.Tensor | None = None,
        padding_mask: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        mm_encoder_outputs: dict[str, BaseModelOutputWithPooling] | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> tuple | MultimodalBaseModelOutputWithPast:
        # [...]
        if mm_encoder_outputs.get("image") is None and pixel_values is not None:
            mm_encoder_outputs["image"] = self.get_image_features(pixel_values, image_sizes, return_dict=True)
