#
# The package's license: Apache-2.0.
# onnxlint fix corpus: an excerpt of timm 1.0.31, timm/models/cpubone.py
# (ConvAttention and the module-level definitions they use), copied verbatim by
# benchmarks/fix_corpus/vendor.py; relative imports made absolute; the `Model` wrapper at the
# end is not part of the package. The package's code is not ours to lint or reformat:
# ruff: noqa
# fmt: off

from typing import Any, Dict, Final, List, Optional, Tuple, Type, Union
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import DropPath, GroupNorm1, LayerType, calculate_drop_path_rates, get_act_layer, get_norm_layer, \
    get_device_dtype, use_fused_attn
from timm.models._builder import build_model_with_cfg
from timm.models._features import feature_take_indices
from timm.models._features_fx import register_notrace_module
from timm.models._manipulate import checkpoint_seq
from timm.models._registry import register_model, generate_default_cfgs


def get_same_padding(kernel_size: int, stride: int = 1) -> int:
    """Padding that keeps 'same' spatial behaviour for the kernel sizes used in CPUBone.

    kernel_size 2 is special: with stride 2 it tiles exactly (no padding), with stride 1 it needs an
    asymmetric left/top pad, signalled by -1 and handled in ConvLayer with an explicit ZeroPad2d.
    """
    if kernel_size == 2:
        return 0 if stride == 2 else -1
    assert kernel_size % 2 > 0, "kernel size should be odd number"
    return kernel_size // 2


class ConvLayer(nn.Module):
    """Conv + optional norm + optional act.

    NOTE deliberately not timm's ConvNormAct: CPUBone needs activation-without-norm and an
    asymmetric left/top pad for even kernels at stride 1, both of which ConvNormAct can only
    express by subverting its module layout (e.g. an act module in the `bn` slot).
    """

    def __init__(
            self,
            in_channels: int,
            out_channels: int,
            kernel_size: int = 3,
            stride: int = 1,
            groups: int = 1,
            use_bias: bool = False,
            norm_layer: Optional[Type[nn.Module]] = nn.BatchNorm2d,
            act_layer: Optional[Type[nn.Module]] = nn.ReLU,
            device=None,
            dtype=None,
    ):
        dd = {'device': device, 'dtype': dtype}
        super().__init__()
        padding = get_same_padding(kernel_size, stride)
        if padding == -1:
            # even kernel at stride 1: pad asymmetrically (left/top) to keep the spatial size
            self.conv = nn.Sequential(
                nn.ZeroPad2d((1, 0, 1, 0)),
                nn.Conv2d(
                    in_channels,
                    out_channels,
                    kernel_size=kernel_size,
                    stride=stride,
                    padding=0,
                    groups=groups,
                    bias=use_bias,
                    **dd,
                ),
            )
        else:
            self.conv = nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size=kernel_size,
                stride=stride,
                padding=padding,
                groups=groups,
                bias=use_bias,
                **dd,
            )
        self.norm = norm_layer(out_channels, **dd) if norm_layer is not None else None
        self.act = act_layer() if act_layer is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        if self.act is not None:
            x = self.act(x)
        return x


@register_notrace_module
class ConvAttention(nn.Module):
    fused_attn: Final[bool]

    def __init__(
            self,
            input_dim: int,
            head_dim_mul: float = 1.0,
            att_stride: int = 4,
            att_kernel: int = 7,
            fuse_out_proj: bool = False,
            small_kernels: bool = False,
            upsample_mode: str = 'transpose',
            device=None,
            dtype=None,
    ):
        dd = {'device': device, 'dtype': dtype}
        super().__init__()
        self.num_heads = int(max(1, (input_dim * head_dim_mul) // 30))
        self.head_dim = int((input_dim // self.num_heads) * head_dim_mul)
        self.num_keys = 3
        self.scale = self.head_dim ** -0.5
        self.att_stride = att_stride
        self.small_kernels = small_kernels
        self.fused_attn = use_fused_attn()

        total_dim = int(self.head_dim * self.num_heads * self.num_keys)

        self.conv_proj = ConvLayer(
            input_dim,
            input_dim,
            kernel_size=2 if small_kernels else att_kernel,
            stride=att_stride,
            groups=input_dim,
            norm_layer=nn.BatchNorm2d,
            act_layer=None,
            **dd,
        )
        self.pwise = nn.Conv2d(input_dim, total_dim, kernel_size=1, stride=1, padding=0, bias=False, **dd)

        self.o_proj_inpdim = self.head_dim * self.num_heads
        # With fuse_out_proj the output projection is folded into the upsampling module below, which
        # then maps o_proj_inpdim -> input_dim instead of being a depthwise / parameter-free upsample.
        if fuse_out_proj:
            self.o_proj = nn.Identity()
        else:
            self.o_proj = nn.Conv2d(self.o_proj_inpdim, input_dim, kernel_size=1, stride=1, padding=0, **dd)

        if upsample_mode == 'nearest':
            upsampling = [nn.Upsample(scale_factor=att_stride, mode="nearest") if att_stride > 1 else nn.Identity()]
            if fuse_out_proj:
                upsampling = [
                    nn.Conv2d(self.o_proj_inpdim, input_dim, kernel_size=1, stride=1, padding=0, **dd)
                ] + upsampling
            self.upsampling = nn.Sequential(*upsampling)
        elif fuse_out_proj:
            if att_stride == 1:
                self.upsampling = nn.ConvTranspose2d(
                    self.o_proj_inpdim, input_dim, kernel_size=3, stride=1, padding=1, **dd
                )
            else:
                self.upsampling = nn.ConvTranspose2d(
                    self.o_proj_inpdim,
                    input_dim,
                    kernel_size=att_stride * 2,
                    stride=att_stride,
                    padding=att_stride // 2,
                    **dd,
                )
        else:
            if att_stride == 1:
                self.upsampling = nn.ConvTranspose2d(
                    input_dim,
                    input_dim,
                    kernel_size=3,
                    stride=1,
                    padding=1,
                    groups=input_dim,
                    **dd,
                )
            else:
                self.upsampling = nn.ConvTranspose2d(
                    input_dim,
                    input_dim,
                    kernel_size=att_stride * 2,
                    stride=att_stride,
                    padding=att_stride // 2,
                    groups=input_dim,
                    **dd,
                )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        H, W = x.shape[-2:]

        # The reduced 2x2 projection rounds odd spatial dimensions down, while the residual branch
        # retains them. Pad only that projection to make the subsequent upsample large enough to crop.
        if self.small_kernels and self.att_stride > 1:
            pad_h = (-H) % self.att_stride
            pad_w = (-W) % self.att_stride
            if pad_h or pad_w:
                x = F.pad(x, (0, pad_w, 0, pad_h))

        xout = self.conv_proj(x)
        xout = self.pwise(xout)

        N, _, h, w = xout.size()
        qkv = xout.reshape(N, self.num_heads, self.num_keys * self.head_dim, h * w)
        qkv = qkv.permute(0, 1, 3, 2)  # [N, Head, SeqLen, Dims]
        q, k, v = qkv.chunk(3, dim=3)

        if self.fused_attn:
            values = F.scaled_dot_product_attention(q, k, v)
        else:
            q = q * self.scale
            attn = q @ k.transpose(-2, -1)
            attn = attn.softmax(dim=-1)
            values = attn @ v
        o = self.o_proj(values.permute(0, 1, 3, 2).reshape(N, self.o_proj_inpdim, h, w))

        o = self.upsampling(o)
        # Upsampling can overshoot after same-padding or the odd-size projection pad above.
        return o[..., :H, :W]


class Model(nn.Module):
    """onnxlint fix corpus: CPUBone's strided convolutional attention (2x2 projection, odd sizes padded), random weights."""

    def __init__(self):
        super().__init__()
        self.attn = ConvAttention(32, att_stride=2, small_kernels=True)

    def forward(self, x):
        return self.attn(x)
