#  CrossViT Model
#
# Papers:
# * `CrossViT: Cross-Attention Multi-Scale Vision Transformer for Image Classification` - https://arxiv.org/abs/2103.14899
#
# @inproceedings{
#     chen2021crossvit,
#     title={{CrossViT: Cross-Attention Multi-Scale Vision Transformer for Image Classification}},
#     author={Chun-Fu (Richard) Chen and Quanfu Fan and Rameswar Panda},
#     booktitle={International Conference on Computer Vision (ICCV)},
#     year={2021}
# }
#
# Original code: https://github.com/IBM/CrossViT/blob/main/models/crossvit.py
#
# NOTE: model names have been renamed from originals to represent actual input res all *_224 -> *_240 and *_384 -> *_408
#
# Modifications and additions for timm hacked together by / Copyright 2021, Ross Wightman
# Modified from Timm. https://github.com/rwightman/pytorch-image-models/blob/master/timm/models/vision_transformer.py
#
# The package's license: Apache-2.0.
# onnxlint fix corpus: an excerpt of timm 1.0.31, timm/models/crossvit.py
# (scale_image and the module-level definitions they use), copied verbatim by
# benchmarks/fix_corpus/vendor.py; relative imports made absolute; the `Model` wrapper at the
# end is not part of the package. The package's code is not ours to lint or reformat:
# ruff: noqa
# fmt: off

from functools import partial
from typing import List, Optional, Tuple, Type, Union
import torch
import torch.nn as nn
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import DropPath, calculate_drop_path_rates, to_2tuple, trunc_normal_, _assert, get_device_dtype
from timm.models._builder import build_model_with_cfg
from timm.models._features import feature_take_indices
from timm.models._features_fx import register_notrace_function
from timm.models._registry import register_model, generate_default_cfgs
from timm.models.vision_transformer import Block


@register_notrace_function
def scale_image(x, ss: Tuple[int, int], crop_scale: bool = False):  # annotations for torchscript
    """
    Pulled out of CrossViT.forward_features to bury conditional logic in a leaf node for FX tracing.
    Args:
        x (Tensor): input image
        ss (tuple[int, int]): height and width to scale to
        crop_scale (bool): whether to crop instead of interpolate to achieve the desired scale. Defaults to False
    Returns:
        Tensor: the "scaled" image batch tensor
    """
    H, W = x.shape[-2:]
    if H != ss[0] or W != ss[1]:
        if crop_scale and ss[0] <= H and ss[1] <= W:
            cu, cl = int(round((H - ss[0]) / 2.)), int(round((W - ss[1]) / 2.))
            x = x[:, :, cu:cu + ss[0], cl:cl + ss[1]]
        else:
            x = torch.nn.functional.interpolate(x, size=ss, mode='bicubic', align_corners=False)
    return x


class Model(nn.Module):
    """onnxlint fix corpus: CrossViT's per-branch input scaling (forward_features: one branch at the
    input's size, one scaled to its own image size)."""

    def forward(self, x):
        return scale_image(x, (16, 16)), scale_image(x, (12, 12))
