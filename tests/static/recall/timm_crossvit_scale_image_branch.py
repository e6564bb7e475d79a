# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: timm 1.0.31, timm/models/crossvit.py, lines 28-29, 294-312, 315, 467-480, 578-579, 594-597
# Hazard lines (original numbering): 306 ONX302
# License: Apache-2.0
# Copyright 2019 Ross Wightman
#   (copyright line of timm-1.0.31.dist-info/licenses/LICENSE; the source file has no license header block at its top)
# Copyright and license lines inside the source file, verbatim:
#   Modifications and additions for timm hacked together by / Copyright 2021, Ross Wightman
#   # Copyright IBM All Rights Reserved.
#   # SPDX-License-Identifier: Apache-2.0
# Why: 306: `if H != ss[0] or W != ss[1]:` decides whether the input is resized to the branch's image size; exported at that size, the resize is dropped and other input sizes no longer match the position embeddings.
# class: branch-on-size (ONX302)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn as nn
# [...]
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
    if H != ss[0] or W != ss[1]:  # expect: ONX302
        if crop_scale and ss[0] <= H and ss[1] <= W:
            cu, cl = int(round((H - ss[0]) / 2.)), int(round((W - ss[1]) / 2.))
            x = x[:, :, cu:cu + ss[0], cl:cl + ss[1]]
        else:
            x = torch.nn.functional.interpolate(x, size=ss, mode='bicubic', align_corners=False)
    return x
# [...]
class CrossVit(nn.Module):
    # [...]
    def _embed(self, x: torch.Tensor) -> List[torch.Tensor]:
        B = x.shape[0]
        xs = []
        for i, patch_embed in enumerate(self.patch_embed):
            x_ = x
            ss = self.img_size_scaled[i]
            x_ = scale_image(x_, ss, self.crop_scale)
            x_ = patch_embed(x_)
            cls_tokens = self.cls_token_0 if i == 0 else self.cls_token_1  # hard-coded for torch jit script
            cls_tokens = cls_tokens.expand(B, -1, -1)
            x_ = torch.cat((cls_tokens, x_), dim=1)
            pos_embed = self.pos_embed_0 if i == 0 else self.pos_embed_1  # hard-coded for torch jit script
            x_ = x_ + pos_embed
            x_ = self.pos_drop(x_)
    # [...]
    def forward_features(self, x) -> List[torch.Tensor]:
        xs = self._embed(x)
    # [...]
    def forward(self, x):
        xs = self.forward_features(x)
        x = self.forward_head(xs)
        return x
