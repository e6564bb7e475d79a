# Gemma4 Vision Transformer
#
# Vision encoder from Google's Gemma 4 multimodal model.
# Custom ViT with 2D RoPE, Gated MLP, QKV normalization, and 4-norm sandwich blocks.
#
# Papers:
# * `Gemma 4 Technical Report` - https://arxiv.org/abs/2607.02770
#
# Model card: https://ai.google.dev/gemma/docs/core/model_card_4
# Reference impl: https://github.com/huggingface/transformers (Gemma4VisionModel)
#
# Copyright 2025 Yonghye Kwon
#
# The package's license: Apache-2.0.
# onnxlint fix corpus: an excerpt of timm 1.0.31, timm/models/gemma4_vit.py
# (Gemma4PatchEmbed and the module-level definitions they use), copied verbatim by
# benchmarks/fix_corpus/vendor.py; relative imports made absolute; the `Model` wrapper at the
# end is not part of the package. The package's code is not ours to lint or reformat:
# ruff: noqa
# fmt: off

import math
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import (
    RmsNorm,
    DropPath,
    to_2tuple,
    trunc_normal_tf_,
    use_fused_attn,
    get_device_dtype,
    calculate_drop_path_rates,
)
from timm.models._builder import build_model_with_cfg
from timm.models._features import feature_take_indices
from timm.models._manipulate import checkpoint, named_apply
from timm.models._registry import generate_default_cfgs, register_model
from timm.models.naflexvit import batch_patchify


class Gemma4PatchEmbed(nn.Module):
    """Linear patch embedding with a 2D position-embedding table.

    Unlike the standard ViT PatchEmbed (Conv2d), Gemma4 uses a Linear projection
    on flattened patches plus a separate 2D position-embedding table applied via
    one-hot lookup. Inputs may be supplied as:

      * ``(B, C, H, W)`` raw images — patchified inline in P-P-C flat order.
      * ``(B, N, P*P*C)`` pre-patchified P-P-C patches (NaFlex loader output).
      * ``(B, N, Ph, Pw, C)`` pre-patchified unflattened patches.
      * ``dict`` with keys ``patches`` / ``patch_coord`` / ``patch_valid``.

    All input-dispatch logic is owned by this module; the parent model simply
    calls ``self.patch_embed(x, patch_coord, patch_valid)`` and unpacks the
    returned tensors.
    """

    def __init__(
            self,
            patch_size: Union[int, Tuple[int, int]] = 16,
            in_chans: int = 3,
            embed_dim: int = 768,
            position_embedding_size: int = 10240,
            device=None,
            dtype=None,
    ) -> None:
        dd = {'device': device, 'dtype': dtype}
        super().__init__()
        self.patch_size = to_2tuple(patch_size)  # (ph, pw); may be non-square
        self.embed_dim = embed_dim
        self.position_embedding_size = position_embedding_size

        ph, pw = self.patch_size
        self.input_proj = nn.Linear(in_chans * ph * pw, embed_dim, bias=False, **dd)
        self.position_embedding_table = nn.Parameter(
            torch.empty(2, position_embedding_size, embed_dim, **dd)
        )

        self.reset_parameters()

    def reset_parameters(self) -> None:
        trunc_normal_tf_(self.position_embedding_table, std=0.02)

    def _default_patch_coord(
            self,
            batch_size: int,
            pH: int,
            pW: int,
            device: torch.device,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Row-major grid coords in external NaFlex ``(y, x)`` order."""
        ys = torch.arange(pH, device=device)
        xs = torch.arange(pW, device=device)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
        patch_coord = torch.stack([grid_y.flatten(), grid_x.flatten()], dim=-1)
        patch_coord = patch_coord.unsqueeze(0).expand(batch_size, -1, -1)
        patch_valid = torch.ones(batch_size, pH * pW, dtype=torch.bool, device=device)
        return patch_coord, patch_valid

    def _position_embeddings(
            self,
            position_ids: torch.Tensor,
            padding_positions: Optional[torch.Tensor],
    ) -> torch.Tensor:
        """Compute position embeddings via one-hot matmul against the 2D table.

        ``position_ids`` follows the Gemma4-internal ``(x, y)`` convention.
        """
        clamped_positions = position_ids.clamp(min=0)
        one_hot = F.one_hot(clamped_positions, num_classes=self.position_embedding_size)
        one_hot = one_hot.permute(0, 2, 1, 3).to(self.position_embedding_table)
        # (B, 2, N, pos_size) @ (2, pos_size, embed_dim) -> (B, 2, N, embed_dim)
        position_embeddings = one_hot @ self.position_embedding_table
        position_embeddings = position_embeddings.sum(dim=1)  # (B, N, embed_dim)
        if padding_positions is not None:
            position_embeddings = torch.where(
                padding_positions.unsqueeze(-1), 0.0, position_embeddings,
            )
        return position_embeddings

    def forward(
            self,
            x: Union[torch.Tensor, Dict[str, torch.Tensor]],
            patch_coord: Optional[torch.Tensor] = None,
            patch_valid: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
        """Normalize inputs, patchify / project / position-embed.

        Accepts external NaFlex ``patch_coord`` (y, x) / ``patch_valid`` inputs
        and returns the internal (x, y) form used by the rest of the model.

        Returns:
            embeddings: (B, N, embed_dim) patch embeddings with position info added.
            position_ids: (B, N, 2) Gemma4-internal (x, y) coords.
            padding_positions: (B, N) True for padding tokens, None if all tokens are valid.
        """
        if isinstance(x, dict):
            patch_coord = x.get('patch_coord', patch_coord)
            patch_valid = x.get('patch_valid', patch_valid)
            x = x['patches']

        ph, pw = self.patch_size
        default_grid = False
        if x.ndim == 4:
            # Raw (B, C, H, W): patchify to C-Ph-Pw (Gemma4 native layout).
            B, _, H, W = x.shape
            if patch_coord is None:
                # Dense default grid, all tokens valid. Keep padding_positions None so no
                # data-dependent mask checks are needed (e.g. for torch.export).
                patch_coord, _ = self._default_patch_coord(B, H // ph, W // pw, x.device)
                patch_valid = None
                default_grid = True
            x, _ = batch_patchify(x, (ph, pw), pad=False, channels_last=False)  # (B, N, C*Ph*Pw)
        elif x.ndim == 5:
            # (B, N, Ph, Pw, C) pre-patchified unflattened (NaFlex loader convention).
            # Permute channels in from last to second to produce C-Ph-Pw flat.
            x = x.permute(0, 1, 4, 2, 3).reshape(x.shape[0], x.shape[1], -1)
        elif x.ndim == 3:
            # (B, N, Ph*Pw*C) pre-patchified flat in NaFlex P-P-C layout; reinterpret as
            # (B, N, Ph, Pw, C) then permute to C-Ph-Pw flat so input_proj matches layout.
            B, N, PPC = x.shape
            C = PPC // (ph * pw)
            x = x.view(B, N, ph, pw, C).permute(0, 1, 4, 2, 3).reshape(B, N, PPC)
        else:
            raise ValueError(
                f"Expected input ndim in (3, 4, 5); got {x.ndim}."
            )

        if patch_coord is None:
            raise ValueError("patch_coord is required for pre-patchified input.")

        if patch_valid is None and not default_grid:
            sentinel = (patch_coord == -1).all(dim=-1)
            if sentinel.any():
                patch_valid = ~sentinel

        # Scale [0, 1] pixels to [-1, 1] (matches original Gemma4's `2 * (pixel_values - 0.5)`)
        x = 2 * (x - 0.5)
        x = self.input_proj(x.to(self.input_proj.weight.dtype))

        # Convert once to the internal (x, y) form used by rotary / pooler / table lookup.
        position_ids = patch_coord.flip(dims=(-1,))
        padding_positions = ~patch_valid if patch_valid is not None else None
        x = x + self._position_embeddings(position_ids, padding_positions)

        return x, position_ids, padding_positions


class Model(nn.Module):
    """onnxlint fix corpus: Gemma4 ViT's patch embedding on pre-patchified (NaFlex) patches with their
    (y, x) coordinates, random weights. The example inputs are float, so the wrapper makes the
    coordinates integers in the table's range; no coordinate is the -1 padding sentinel."""

    def __init__(self):
        super().__init__()
        self.patch_embed = Gemma4PatchEmbed(patch_size=2, in_chans=3, embed_dim=16, position_embedding_size=16)

    def forward(self, patches, coords):
        patch_coord = coords.abs().mul(4).long().clamp(max=15)
        return self.patch_embed(patches, patch_coord)[0]
