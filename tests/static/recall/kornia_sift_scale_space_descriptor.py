# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: kornia 0.9.0, kornia/feature/sift/scale_space.py, lines 36-38, 563, 736-771
# Hazard lines (original numbering): 758 ONX201, 766 ONX203
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
# Why: 758: `if not octave_selected.any(): continue` skips octaves by the values of the input frames: a data-dependent condition.
# Why: 766: `for batch in range(b)` loops over the batch of LAFs, unrolling it.
# class: data-dependent-if (ONX201)
# class: loop-over-size (ONX203)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn.functional as F
from torch import nn
# [...]
class _SIFTScaleSpaceDescriptor(nn.Module):
    # [...]
    def forward(
        self,
        pyramid: list[torch.Tensor],
        lafs: torch.Tensor,
        octave_indices: torch.Tensor,
        level_indices: torch.Tensor,
        upright: bool | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return oriented LAFs and 128D descriptors from selected pyramid levels."""
        b, n = lafs.shape[:2]
        image = pyramid[0]
        output_dtype = image.dtype
        work_dtype = torch.float32 if output_dtype in (torch.float16, torch.bfloat16) else output_dtype
        valid = laf_is_valid(lafs)
        safe = torch.where(
            valid.view(b, n, 1, 1), lafs.to(work_dtype), torch.eye(2, 3, device=image.device, dtype=work_dtype)
        )
        zero = image[..., :0, :0].sum() + safe[..., :0].sum()
        oriented, descriptors = safe.clone(), torch.zeros(b, n, 128, device=image.device, dtype=work_dtype) + zero
        for octave, octave_images in enumerate(pyramid):
            pixel = 0.5 * float(2**octave)
            octave_selected = valid & (octave_indices == octave)
            if not octave_selected.any():  # expect: ONX201
                continue
            used_levels = torch.unique(level_indices[octave_selected], sorted=True)
            level_height = octave_images.shape[-2]
            atlas = self._gradient_atlas(octave_images, used_levels, work_dtype)
            # Keep CPU voting temporaries in cache; accelerators benefit from
            # larger chunks that amortize kernel launches and synchronization.
            chunk_size = 128 if image.device.type == "cpu" else 1024
            for batch in range(b):  # expect: ONX203
                indices = octave_selected[batch].nonzero().flatten()
                for start in range(0, indices.numel(), chunk_size):
                    current_indices = indices[start : start + chunk_size]
                    if current_indices.numel() == 0:
                        continue
