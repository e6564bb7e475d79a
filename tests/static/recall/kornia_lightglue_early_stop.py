# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: kornia 0.9.0, kornia/feature/lightglue.py, lines 25-27, 481, 740, 765-772, 774-781, 870-889, 1007-1013, 1026-1029
# Hazard lines (original numbering): 888 ONX201
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
# Why: 888: with the default `depth_confidence=0.95`, `if self.check_if_stop(...)` breaks the layer loop on a tensor (`(ratio > th).all()`): a data-dependent condition, the export fails.
# class: data-dependent-if (ONX201)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn.functional as F
from torch import nn
# [...]
class LightGlue(nn.Module):
    # [...]
    def forward(self, data: dict) -> dict:
        # [...]
        for key in self.required_data_keys:
            KORNIA_CHECK(key in data, f"Missing key {key} in data")
        device_type = data["image0"]["keypoints"].device.type
        # CPU autocast defaults to bfloat16, whose outputs cannot meet the float16 tensors of a float16 model, so such a
        # model autocasts to float16 there.
        dtype = torch.float16 if device_type == "cpu" and self.posenc.Wr.weight.dtype == torch.float16 else None
        with torch.autocast(enabled=self.conf.mp, device_type=device_type, dtype=dtype):
            return self._forward(data)
    # [...]
    def _forward(self, data: dict) -> dict:
        data0, data1 = data["image0"], data["image1"]
        kpts0, kpts1 = data0["keypoints"], data1["keypoints"]
        b, m, _ = kpts0.shape
        b, n, _ = kpts1.shape
        device = kpts0.device
        c = max(m, n)
        do_compile = self.static_lengths and c <= max(self.static_lengths)
# [...]

        # GNN + final_proj + assignment
        do_early_stop = self.conf.depth_confidence > 0
        pruning_th = self.pruning_min_kpts(device)
        if do_point_pruning:
            ind0 = torch.arange(0, m, device=device)[None].expand(b, -1)
            ind1 = torch.arange(0, n, device=device)[None].expand(b, -1)
            # We store the index of the layer at which pruning is detected.
            prune0 = torch.ones_like(ind0)
            prune1 = torch.ones_like(ind1)
        token0, token1 = None, None
        for i in range(self.conf.n_layers):
            desc0, desc1 = self.transformers[i](desc0, desc1, encoding0, encoding1, mask0=mask0, mask1=mask1)
            if i == self.conf.n_layers - 1:
                continue  # no early stopping or adaptive width at last layer

            if do_early_stop:
                token0, token1 = self.token_confidence[i](desc0, desc1)
                if self.check_if_stop(token0, token1, i, m + n):  # expect: ONX201
                    break
    # [...]
    def check_if_stop(
        self,
        confidences0: torch.Tensor,
        confidences1: torch.Tensor,
        layer_index: int,
        num_points: int,
    ) -> torch.Tensor:
        # [...]
        confidences = torch.cat([confidences0, confidences1], -1)
        threshold = self.confidence_thresholds[layer_index]
        ratio_confident = 1.0 - (confidences < threshold).float().sum(-1) / num_points
        return (ratio_confident > self.conf.depth_confidence).all()
