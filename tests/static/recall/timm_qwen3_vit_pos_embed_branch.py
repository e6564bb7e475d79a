# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: timm 1.0.31, timm/models/qwen3_vit.py, lines 36-38, 59-71, 117, 288-294, 368-389
# Hazard lines (original numbering): 64 ONX302
# License: Apache-2.0
# Copyright 2019 Ross Wightman
#   (copyright line of timm-1.0.31.dist-info/licenses/LICENSE; the source file has no license header block at its top)
# Copyright and license lines inside the source file, verbatim:
#   Copyright 2026 Yonghye Kwon
# Why: 64: `if H == grid_size and W == grid_size: return pos_embed` branches on the dynamic patch grid; an example at the native grid bakes the no-resample branch and the spatial size.
# class: branch-on-size (ONX302)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn as nn
import torch.nn.functional as F
# [...]
@register_notrace_function
def resample_pos_embed_grid(pos_embed: torch.Tensor, grid_size: int, new_size: Tuple[int, int]) -> torch.Tensor:
    """Resample a square learned pos embed (1, G*G, C) to (1, H*W, C) the way the Qwen vision encoder does it:
    bilinear with align_corners=True. Identity when the grid already matches."""
    H, W = new_size
    if H == grid_size and W == grid_size:  # expect: ONX302
        return pos_embed
    C = pos_embed.shape[-1]
    # interpolate in at least float32 (half types lack CPU bilinear support and lose precision)
    calc_dtype = pos_embed.dtype if pos_embed.dtype == torch.float64 else torch.float32
    x = pos_embed.reshape(1, grid_size, grid_size, C).permute(0, 3, 1, 2).to(calc_dtype)
    x = F.interpolate(x, size=(H, W), mode='bilinear', align_corners=True)
    return x.permute(0, 2, 3, 1).reshape(1, H * W, C).to(pos_embed.dtype)
# [...]
class Qwen3VitEncoder(nn.Module):
    # [...]
    def _pos_embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Add the (resampled) learned pos embed to NHWC patches, return flattened tokens + rope table."""
        B, H, W, C = x.shape
        pos_embed = resample_pos_embed_grid(self.pos_embed, self.pos_embed_grid_size, (H, W))
        x = x.reshape(B, H * W, C) + pos_embed.to(x.dtype)
        rope = self.rope.get_embed(shape=(H, W))
        return x, rope
    # [...]
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        B, H, W, _ = x.shape
        x, rope = self._pos_embed(x)
        for blk in self.blocks:
            if self.grad_checkpointing and not torch.jit.is_scripting():
                x = checkpoint(blk, x, rope=rope)
            else:
                x = blk(x, rope=rope)
        return x.reshape(B, H, W, -1)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        raise NotImplementedError('Qwen3VitEncoder does not support classification use cases.')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encode raw patch tokens and apply the configured native pooling/projector."""
        x = self.forward_features(x)
        if self.merger is not None:
            return self.merger(x)
        if self.global_pool == 'avg':
            x = x.mean(dim=(1, 2))
        return x
