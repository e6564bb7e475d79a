"""Tiny models for the verify tests, as source text: each test writes the ones it needs to a file.

Line numbers matter (tests assert the line a result is tied to), so each model is a whole module.
"""

CLEAN = """\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, channels=4):
        super().__init__()
        self.conv = nn.Conv2d(3, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))
"""

# The dynamo exporter cannot trace a branch on a tensor value (line 7).
BRANCH = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        y = x * 2
        if y.sum() > 0:
            y = y + 1
        return y
"""

# Adding two bool tensors: both exporters write an Add on bool, which onnx.checker rejects.
BOOL_ADD = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        return ((x > 0) + (x < 1)).float()
"""

# index_add: the TorchScript exporter writes a ScatterElements that computes other numbers.
INDEX_ADD = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        index = torch.tensor([0, 2, 0])
        return torch.zeros(x.shape[0], 5, x.shape[2]).index_add(1, index, x)
"""

# `int(x.size(0))` freezes the batch size into the Reshape target (line 7).
BAKED_BATCH = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        n = int(x.size(0))
        y = x.reshape(n, -1)
        return y * 2
"""

# Conv, BatchNorm and bilinear upsampling: the dynamo exporter cannot convert it down to opset 11.
UPSAMPLE = """\
import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        return F.interpolate(self.bn(self.conv(x)), scale_factor=2.0, mode="bilinear", align_corners=True)
"""

# F.grid_sample at the TorchScript exporter's opset 11 fails; ONX101's safe fix replaces it.
WARP = """\
import torch
import torch.nn.functional as F


class Warp(torch.nn.Module):
    def forward(self, x, grid):
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
"""

# The same, plus a batch size baked by `int(...)`: the fix works, the model still fails verification.
WARP_AND_BAKED = """\
import torch
import torch.nn.functional as F


class Warp(torch.nn.Module):
    def forward(self, x, grid):
        out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
        n = int(out.size(0))
        return out.reshape(n, -1)
"""

# A zero block sized from `int(...)`: at batch 2 onnxruntime's Concat rejects the input (line 8).
BAKED_CONCAT = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        n = int(x.size(0))
        pad = torch.zeros(n, 1, x.size(2), x.size(3))
        return torch.cat([x, pad], dim=1)
"""

# A branch on the parity of a feature map (line 14): traced from an even example, the dynamo
# exporter keeps the no-interpolation branch, and the Reshape (line 17) fails at sizes whose
# feature map is odd. timm's mobilevit does the same; a second input of twice the size misses it.
EVEN_FEATURE_MAP = """\
import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)

    def forward(self, x):
        y = self.conv(x)
        h, w = y.shape[-2:]
        if h % 2 != 0 or w % 2 != 0:
            y = F.interpolate(y, size=(h + h % 2, w + w % 2), mode="bilinear", align_corners=False)
        n, c, hh, ww = y.shape
        y = y.reshape(n, c, hh // 2, 2, ww // 2, 2).mean(dim=(3, 5))
        return y
"""

# Guards on a multiple of 4 (line 7) and a minimum size (line 9): the validity domain is
# "multiples of 4 from 8"; both branches compute the same numbers, so every size passes.
MOD_GUARD = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        y = x * 2
        if x.shape[2] % 4 == 0:
            y = y + 0
        if x.shape[2] >= 8:
            y = y - 0
        return y
"""

# The eager model itself refuses odd heights (the reshape needs an even one, line 7).
EVEN_ONLY = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        n, c, h, w = x.shape
        y = x.reshape(n, c, h // 2, 2, w).sum(dim=3)
        return y
"""

# A loop that never ends (line 6): the export must stop at the time limit and name the line.
SPIN = """\
import torch


def settle(y):
    while True:
        y = y * 1.0
        if y.shape[0] < 0:
            return y


class Net(torch.nn.Module):
    def forward(self, x):
        return settle(x + 1)
"""

# Time goes to line 9 (a loop that runs for 2.5 s), then the export gets stuck in line 15 where
# the time limit lands: the sampled stack names line 9, where most of the time went.
HOT_THEN_STUCK = """\
import time

import torch


def warm(y, seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        y = y * 1.0
    return y


def stuck(y):
    while True:
        y = y + 0.0
        if y.shape[0] < 0:
            return y


class Net(torch.nn.Module):
    def forward(self, x):
        return stuck(warm(x, 2.5))
"""

# An encoder-decoder in small: the source and the target have sequence lengths of their own
# (16 and 8 in the tests), which `--dynamic batch,sequence` must not tie into one symbol.
ENCODER_DECODER = """\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)

    def forward(self, src, tgt):
        memory = self.embed(src)  # (batch, source, 4)
        query = self.embed(tgt)  # (batch, target, 4)
        scores = query @ memory.transpose(1, 2)  # (batch, target, source)
        return scores.softmax(-1) @ memory
"""
