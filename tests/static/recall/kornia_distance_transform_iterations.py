# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: kornia 0.9.0, kornia/contrib/distance_transform.py, lines 18, 20, 23-24, 140-179, 220, 292-297, 300, 318, 335-344
# Hazard lines (original numbering): 163 ONX203
# License: Apache-2.0
# Original license header, verbatim:
# # Copyright 2018 Kornia Team
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
# #
# Why: 163: `n_iters = ceil(max(H, W) / k_half)` sets the loop count, so `for i in range(n_iters)` is unrolled at the example's size and under-iterates for larger images.
# class: loop-over-size (ONX203)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

from __future__ import annotations
# [...]
import math
# [...]
import torch
from torch import nn
# [...]
def _distance_transform_2d_impl(image: torch.Tensor, kernel_size: int, h: float) -> torch.Tensor:
    device = image.device
    dtype = image.dtype
    compute_dtype = _compute_dtype(dtype)
    k_half = kernel_size // 2

    n_iters = math.ceil(max(image.shape[2], image.shape[3]) / k_half)
    grid = create_meshgrid(kernel_size, kernel_size, False, device, compute_dtype)
    grid = grid - k_half

    # `torch.hypot` has no ONNX lowering; the grid offsets are small integers, so the plain form is exact enough.
    dist = torch.sqrt(grid[0, ..., 0] ** 2 + grid[0, ..., 1] ** 2)
    kernel = torch.exp(-dist / h).unsqueeze(0)

    out = torch.zeros_like(image, dtype=compute_dtype)
    # Clamp the mask to [0, 1] through torch.where, not torch.clamp: where passes gradient 1 at exactly 0 and 1 on
    # every torch version, while clamp's derivative at its bound is 1 on torch 2.5.1 and 2.9.1 and 0 on 2.14.
    boundary = torch.where(
        image > 1, torch.ones_like(image), torch.where(image < 0, torch.zeros_like(image), image)
    ).to(compute_dtype)
    signal_ones = torch.ones_like(boundary)
    stop_checks = _stop_check_rounds(n_iters, image.device.type) if _can_stop_cascade(image) else ()

    for i in range(n_iters):  # expect: ONX203
        cdt = filter2d(boundary, kernel, border_type="replicate")
        positive = cdt > 0
        cdt = -h * torch.log(torch.where(positive, cdt, torch.ones_like(cdt)))
        cdt = torch.where(positive, cdt, torch.zeros_like(cdt))
        cdt = torch.nan_to_num(cdt, nan=0.0, posinf=0.0, neginf=0.0)

        mask = cdt > 0
        # Once the mask is empty the boundary cannot change, so every later iteration adds zero.
        # Check only at a few rounds to amortize the device synchronization in eager inference.
        if i + 1 in stop_checks and not bool(mask.any()):
            break
        offset: int = i * k_half
        out = out + (offset + cdt) * mask.to(dtype=out.dtype)
        boundary = torch.where(mask, signal_ones, boundary)

    return out.to(dtype)
# [...]
def distance_transform(image: torch.Tensor, kernel_size: int = 3, h: float = 0.35) -> torch.Tensor:
    # [...]
    compute_dtype = _compute_dtype(image.dtype)
    _check_h_range(kernel_size, h, compute_dtype, image.ndim - 2)
    if image.ndim == 4:
        return _distance_transform_2d_impl(image, kernel_size, h)

    return _distance_transform_3d_impl(image, kernel_size, h)
# [...]
class DistanceTransform(nn.Module):
    # [...]
    def forward(self, image: torch.Tensor) -> torch.Tensor:
        # [...]
        # Reshape multi-channel inputs to batch dimension to ensure independent processing
        if image.shape[1] > 1:
            # Dynamically determine spatial dimensions (works for H,W or D,H,W)
            spatial_dims = image.shape[2:]
            # Use reshape to handle non-contiguous tensors safely
            image_in = image.reshape(-1, 1, *spatial_dims)
        else:
            image_in = image

        return distance_transform(image_in, self.kernel_size, self.h).view_as(image)
