# ruff: noqa
# fmt: off
# onnxlint recall fixture: parsed by tests/static/test_recall.py, never imported or run.
# Source: timm 1.0.31, timm/models/efficientvit_msra.py, lines 15-16, 308, 357-381
# Hazard lines (original numbering): 361 ONX302
# License: Apache-2.0
# Copyright 2019 Ross Wightman
#   (copyright line of timm-1.0.31.dist-info/licenses/LICENSE; the source file has no license header block at its top)
# Why: 361: `if H == ws and W == ws:` compares the feature size with the window resolution (equal at the last stage for the default 224 input), so the export specializes height and width.
# class: branch-on-size (ONX302)
# Excerpt: the original lines, unchanged, in order; `# [...]` marks where unrelated code was removed.

import torch
import torch.nn as nn
# [...]
class LocalWindowAttention(torch.nn.Module):
    # [...]
    def forward(self, x):
        B, C, H, W = x.shape
        # effective window resolution, smaller than window_resolution if model created w/ small feature size
        ws = self.attn.resolution
        if H == ws and W == ws:  # expect: ONX302
            x = self.attn(x)
        else:
            x = x.permute(0, 2, 3, 1)
            pad_b = (ws - H % ws) % ws
            pad_r = (ws - W % ws) % ws
            x = torch.nn.functional.pad(x, (0, 0, 0, pad_r, 0, pad_b))

            pH, pW = H + pad_b, W + pad_r
            nH = pH // ws
            nW = pW // ws
            # window partition, BHWC -> B(nHh)(nWw)C -> BnHnWhwC -> (BnHnW)hwC -> (BnHnW)Chw
            x = x.view(B, nH, ws, nW, ws, C).transpose(2, 3)
            x = x.reshape(B * nH * nW, ws, ws, C).permute(0, 3, 1, 2)
            x = self.attn(x)
            # window reverse, (BnHnW)Chw -> (BnHnW)hwC -> BnHnWhwC -> B(nHh)(nWw)C -> BHWC
            x = x.permute(0, 2, 3, 1).view(B, nH, nW, ws, ws, C)
            x = x.transpose(2, 3).reshape(B, pH, pW, C)
            x = x[:, :H, :W].contiguous()
            x = x.permute(0, 3, 1, 2)
        return x
