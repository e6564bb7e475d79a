# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: kornia 0.9.0, kornia/feature/sift/pyramid.py, lines 18, 22, 25-27, 47, 150-157, 210-219, 404, 415-419, 432-433, 452-462
# Hazard lines (original numbering): 154 ONX302, 219 ONX202
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
# Why: 154: `while min(height, width) >= 38:` counts pyramid octaves from the dynamic image size, so the octave count is baked at export.
# Why: 219: `occupancy.tolist()` reads which octaves the input frames select and drives Python control flow: data-dependent, the export fails or bakes the selection.
# class: tensor-to-python (ONX202)
# class: branch-on-size (ONX302)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

"""Pyramid-based SIFT extraction at sparse local affine frames."""
# [...]
import math
# [...]
import torch
import torch.nn.functional as F
from torch import nn
# [...]
class SIFTDescriptorFromPyramid(nn.Module):
    # [...]
    def _num_pyramid_levels(image: torch.Tensor) -> int:
        """Return the number of octaves ``_pyramid`` would construct for ``image``."""
        height, width = image.shape[-2:]
        levels = 1
        while min(height, width) >= 38:  # expect: ONX302
            height, width = height // 2, width // 2
            levels += 1
        return levels
    # [...]
    @staticmethod
    def _level_occupancy(levels: torch.Tensor, num_levels: int) -> list[bool]:
        """Report which octaves at least one valid LAF selects.

        ``levels`` holds ``-1`` for invalid frames. A single host transfer
        answers both which octaves carry work and how high the pyramid reaches.
        """
        occupancy = torch.zeros(num_levels, dtype=torch.long, device=levels.device)
        occupancy.scatter_add_(0, levels.clamp_min(0).reshape(-1), (levels >= 0).long().reshape(-1))
        return [count > 0 for count in occupancy.tolist()]  # expect: ONX202
    # [...]
    def forward(self, image: torch.Tensor, lafs: torch.Tensor) -> torch.Tensor:
        # [...]
        return self.orient_and_describe(image, lafs, upright=True)[1]

    def orient_and_describe(
        self, image: torch.Tensor, lafs: torch.Tensor, upright: bool = False
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        # [...]
        KORNIA_CHECK_SHAPE(image, ["B", "1", "H", "W"])
        KORNIA_CHECK_LAF(lafs)
        # [...]
        valid = laf_is_valid(lafs)
        identity = torch.eye(2, 3, device=lafs.device, dtype=lafs.dtype).view(1, 1, 2, 3)
        # Padded detector slots and invalid training frames must never reach
        # grid_sample/atan2.  Their public output remains the zero descriptor.
        safe_lafs = torch.where(valid.view(*valid.shape, 1, 1), lafs, identity)
        num_levels = self._num_pyramid_levels(image)
        levels = self._select_levels(safe_lafs, num_levels).masked_fill(~valid, -1)
        # Select before pyramid construction.  The octave count depends only on
        # image shape, so octaves that no valid LAF selects need neither a
        # pyrdown result nor a histogram map.
        level_used = self._level_occupancy(levels, num_levels)
