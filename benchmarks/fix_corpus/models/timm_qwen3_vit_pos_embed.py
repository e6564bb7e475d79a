# Qwen3 Vision Transformer
#
# Vision encoder of the Qwen3-VL / Qwen3.5 / Qwen3.8 multimodal models from Alibaba Qwen team, and of the
# driving-domain Qwen-Drive-1.0 built on that same tower.
#
# Papers:
# * `Qwen3-VL Technical Report` - https://arxiv.org/abs/2511.21631
# * `Qwen-Drive-1.0: An Initial Step towards a Vision-Language Foundation Model for Autonomous Driving` - https://arxiv.org/abs/2609.00111
#
# A plain pre-norm ViT (SigLIP-2 style widths, GELU-tanh MLP, fused QKV with bias) with two position encodings
# applied together: a learned absolute grid (48x48 for the released models, bilinearly resampled to the input grid
# with align_corners=True) and axial 2D RoPE (theta 10000, per-axis frequency blocks, 'half' rotation layout).
# There is no final norm on the encoder patch tokens. Classifier variants wrap the encoder with average pooling,
# normalization, and a linear classification head. The separate `_enc` variants preserve the native VLM projector
# ('merger'), which pixel-unshuffles 2x2 patch tokens and maps them to the LLM width via `out_features`.
# Classifiers can also retain this projector with `encoder_pool='merge'`; `_merge` variants enable it by default.
#
# For example, `qwen3_vit_306m.qwen3_vl_4b` with `num_classes=45` returns image logits (B, 45), while
# `qwen3_vit_306m_enc.qwen3_vl_4b` returns projected tokens (B, H*W/4, 2560). Encoder checkpoint weights
# load into the classifier under `encoder.*`; its classification head is initialized separately.
#
# Weights are native timm remaps of the source VLM vision tensors. The Conv3d patch embedding over
# `temporal_patch_size=2` frames is folded into a Conv2d since the image path feeds the same frame twice
# (mathematically identical, verified against the transformers reference).
#
# Reference: https://github.com/QwenLM/Qwen3-VL, https://github.com/QwenLM/Qwen-Drive-1.0,
# transformers `Qwen3VLVisionModel` / `Qwen3_5VisionModel`.
# Weights are released under Apache-2.0 by the Qwen team, except Qwen3.8-Flash-Next (Qwen Community License 1.0).
#
# Copyright 2026 Yonghye Kwon
#
# The package's license: Apache-2.0.
# onnxlint fix corpus: an excerpt of timm 1.0.31, timm/models/qwen3_vit.py
# (resample_pos_embed_grid and the module-level definitions they use), copied verbatim by
# benchmarks/fix_corpus/vendor.py; relative imports made absolute; the `Model` wrapper at the
# end is not part of the package. The package's code is not ours to lint or reformat:
# ruff: noqa
# fmt: off

from functools import partial
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import (
    LayerNorm,
    PatchEmbed,
    RotaryEmbeddingCat,
    calculate_drop_path_rates,
    get_device_dtype,
    register_notrace_function,
    trunc_normal_,
)
from timm.layers.trace_utils import _assert
from timm.models._builder import build_model_with_cfg, resolve_pretrained_cfg
from timm.models._features import feature_take_indices
from timm.models._manipulate import checkpoint
from timm.models._registry import generate_default_cfgs, register_model
from timm.models.eva import EvaBlock


@register_notrace_function
def resample_pos_embed_grid(pos_embed: torch.Tensor, grid_size: int, new_size: Tuple[int, int]) -> torch.Tensor:
    """Resample a square learned pos embed (1, G*G, C) to (1, H*W, C) the way the Qwen vision encoder does it:
    bilinear with align_corners=True. Identity when the grid already matches."""
    H, W = new_size
    if H == grid_size and W == grid_size:
        return pos_embed
    C = pos_embed.shape[-1]
    # interpolate in at least float32 (half types lack CPU bilinear support and lose precision)
    calc_dtype = pos_embed.dtype if pos_embed.dtype == torch.float64 else torch.float32
    x = pos_embed.reshape(1, grid_size, grid_size, C).permute(0, 3, 1, 2).to(calc_dtype)
    x = F.interpolate(x, size=(H, W), mode='bilinear', align_corners=True)
    return x.permute(0, 2, 3, 1).reshape(1, H * W, C).to(pos_embed.dtype)


class Model(nn.Module):
    """onnxlint fix corpus: the Qwen3 ViT encoder's `_pos_embed`: a 4x4 learned position grid resampled
    to the patch grid and added to the (B, H, W, C) patches."""

    def __init__(self):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.randn(1, 16, 8))

    def forward(self, x):
        B, H, W, C = x.shape
        pos_embed = resample_pos_embed_grid(self.pos_embed, 4, (H, W))
        return x.reshape(B, H * W, C) + pos_embed.to(x.dtype)
