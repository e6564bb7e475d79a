#
# The package's license: MIT.
# onnxlint fix corpus: an excerpt of segmentation_models_pytorch 0.6.0, segmentation_models_pytorch/decoders/pspnet/decoder.py
# (PSPModule and the module-level definitions they use), copied verbatim by
# benchmarks/fix_corpus/vendor.py; relative imports made absolute; the `Model` wrapper at the
# end is not part of the package. The package's code is not ours to lint or reformat:
# ruff: noqa
# fmt: off

from typing import Any, Dict, List, Tuple, Union
import torch
import torch.nn as nn
import torch.nn.functional as F
from segmentation_models_pytorch.base import modules


class PSPBlock(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        pool_size: int,
        use_norm: Union[bool, str, Dict[str, Any]] = "batchnorm",
    ):
        super().__init__()

        if pool_size == 1:
            use_norm = "identity"  # PyTorch does not support BatchNorm for 1x1 shape

        self.pool_size = pool_size

        self.pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(output_size=(pool_size, pool_size)),
            modules.Conv2dReLU(
                in_channels, out_channels, kernel_size=1, use_norm=use_norm
            ),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[2:]

        if torch.jit.is_scripting():
            # TorchScript path: use standard AdaptiveAvgPool2d via self.pool
            x = self.pool(x)
        elif torch.onnx.is_in_onnx_export():
            # ONNX export path: AdaptiveAvgPool2d is often problematic during export.
            # Using F.interpolate with 'area' mode provides the same mathematical result
            # (average pooling) while being more robustly supported.
            x = F.interpolate(x, size=(self.pool_size, self.pool_size), mode="area")
            x = self.pool[1](x)  # use only ConvRelu block from pool
        else:
            x = self.pool(x)

        x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=True)
        return x


class PSPModule(nn.Module):
    def __init__(
        self,
        in_channels: int,
        sizes: Tuple[int, ...] = (1, 2, 3, 6),
        use_norm: Union[bool, str, Dict[str, Any]] = "batchnorm",
    ):
        super().__init__()

        self.blocks = nn.ModuleList(
            [
                PSPBlock(
                    in_channels,
                    in_channels // len(sizes),
                    size,
                    use_norm=use_norm,
                )
                for size in sizes
            ]
        )

    def forward(self, x):
        xs = [block(x) for block in self.blocks] + [x]
        x = torch.cat(xs, dim=1)
        return x


class Model(nn.Module):
    """onnxlint fix corpus: smp's PSPNet pyramid pooling module, random weights."""

    def __init__(self):
        super().__init__()
        self.psp = PSPModule(16, sizes=(1, 2, 3, 6))

    def forward(self, x):
        return self.psp(x)
