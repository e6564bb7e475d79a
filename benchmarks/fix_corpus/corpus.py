"""The fix corpus: real model code that fails to export with dynamic shapes, and how to build each.

Each entry is an excerpt of a public package installed in /work/venv-t2141 (versions in
benchmarks/model_corpus/VERSIONS.txt): the named classes and functions copied verbatim by
`vendor.py`, with the module-level definitions they use, the file's license header and its
imports (relative imports made absolute), plus a small `Model` wrapper at the end that builds
the excerpt from a tiny configuration (random weights; nothing is downloaded). `run.py` runs
`onnxlint check --fix --verify` on each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str  # the vendored file is <name>.py
    package: str
    path: str  # relative to site-packages
    names: tuple[str, ...]  # top-level classes / functions copied verbatim
    wrapper: str  # the `Model` class appended after the excerpt
    inputs: tuple[str, ...] = ("1x3x32x32",)
    dynamic: str = "batch,height,width"
    exporter: str = "dynamo"
    failure: str = ""  # what goes wrong before any fix (measured by run.py; kept here as the expectation)


def _embeddings(
    config: str, cls: str, call: str = "self.embeddings(pixel_values, interpolate_pos_encoding=True)"
) -> str:
    return f'''

class Model(nn.Module):
    """onnxlint fix corpus: the excerpt above, built from a tiny configuration (random weights)."""

    def __init__(self):
        super().__init__()
        self.embeddings = {cls}({config})

    def forward(self, pixel_values):
        out = {call}
        return out[0] if isinstance(out, tuple) else out
'''


_VIT = "image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64"

ENTRIES: tuple[Entry, ...] = (
    Entry(
        "hf_vit_embeddings",
        "transformers",
        "transformers/models/vit/modeling_vit.py",
        ("ViTEmbeddings", "ViTPatchEmbeddings"),
        "from transformers import ViTConfig\n" + _embeddings(f"ViTConfig({_VIT})", "ViTEmbeddings"),
    ),
    Entry(
        "hf_deit_embeddings",
        "transformers",
        "transformers/models/deit/modeling_deit.py",
        ("DeiTEmbeddings", "DeiTPatchEmbeddings"),
        "from transformers import DeiTConfig\n" + _embeddings(f"DeiTConfig({_VIT})", "DeiTEmbeddings"),
    ),
    Entry(
        "hf_dinov2_embeddings",
        "transformers",
        "transformers/models/dinov2/modeling_dinov2.py",
        ("Dinov2Embeddings", "Dinov2PatchEmbeddings"),
        "from transformers import Dinov2Config\n"
        + _embeddings(f"Dinov2Config({_VIT})", "Dinov2Embeddings", "self.embeddings(pixel_values)"),
    ),
    Entry(
        "hf_vit_msn_embeddings",
        "transformers",
        "transformers/models/vit_msn/modeling_vit_msn.py",
        ("ViTMSNEmbeddings", "ViTMSNPatchEmbeddings"),
        "from transformers import ViTMSNConfig\n" + _embeddings(f"ViTMSNConfig({_VIT})", "ViTMSNEmbeddings"),
    ),
    Entry(
        "hf_ijepa_embeddings",
        "transformers",
        "transformers/models/ijepa/modeling_ijepa.py",
        ("IJepaEmbeddings", "IJepaPatchEmbeddings"),
        "from transformers import IJepaConfig\n" + _embeddings(f"IJepaConfig({_VIT})", "IJepaEmbeddings"),
    ),
    Entry(
        "hf_clip_vision_embeddings",
        "transformers",
        "transformers/models/clip/modeling_clip.py",
        ("CLIPVisionEmbeddings",),
        "from transformers import CLIPVisionConfig\n"
        + _embeddings(f"CLIPVisionConfig({_VIT})", "CLIPVisionEmbeddings"),
    ),
    Entry(
        "hf_siglip_vision_embeddings",
        "transformers",
        "transformers/models/siglip/modeling_siglip.py",
        ("SiglipVisionEmbeddings",),
        "from transformers import SiglipVisionConfig\n"
        + _embeddings(f"SiglipVisionConfig({_VIT})", "SiglipVisionEmbeddings"),
    ),
    Entry(
        "hf_blip_vision_embeddings",
        "transformers",
        "transformers/models/blip/modeling_blip.py",
        ("BlipVisionEmbeddings",),
        "from transformers import BlipVisionConfig\n"
        + _embeddings(f"BlipVisionConfig({_VIT})", "BlipVisionEmbeddings"),
    ),
    Entry(
        "hf_clipseg_vision_embeddings",
        "transformers",
        "transformers/models/clipseg/modeling_clipseg.py",
        ("CLIPSegVisionEmbeddings",),
        "from transformers import CLIPSegVisionConfig\n"
        + _embeddings(f"CLIPSegVisionConfig({_VIT})", "CLIPSegVisionEmbeddings"),
    ),
    Entry(
        "hf_beit_embeddings",
        "transformers",
        "transformers/models/beit/modeling_beit.py",
        ("BeitEmbeddings", "BeitPatchEmbeddings"),
        "from transformers import BeitConfig\n"
        + _embeddings(
            f"BeitConfig({_VIT}, use_absolute_position_embeddings=True)",
            "BeitEmbeddings",
            "self.embeddings(pixel_values)",
        ),
    ),
    Entry(
        "hf_swin_embeddings",
        "transformers",
        "transformers/models/swin/modeling_swin.py",
        ("SwinEmbeddings", "SwinPatchEmbeddings"),
        "from transformers import SwinConfig\n"
        + _embeddings(
            "SwinConfig(image_size=32, patch_size=4, embed_dim=16, use_absolute_embeddings=True)",
            "SwinEmbeddings",
        ),
    ),
    Entry(
        "timm_mobilevit_block",
        "timm",
        "timm/models/mobilevit.py",
        ("MobileVitBlock",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: one MobileViT block (timm's mobilevit_xxs stage 3), random weights."""

    def __init__(self):
        super().__init__()
        self.block = MobileVitBlock(16, 16, bottle_ratio=1.0, group_size=None, patch_size=2, transformer_dim=32, transformer_depth=1)

    def forward(self, x):
        return self.block(x)
''',
        inputs=("1x16x16x16",),
    ),
    Entry(
        "torchvision_swin_window_attention",
        "torchvision",
        "torchvision/models/swin_transformer.py",
        ("shifted_window_attention",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: torchvision's shifted window attention on a (B, H, W, C) map, random weights."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(16, 48)
        self.proj = nn.Linear(16, 16)
        self.table = nn.Parameter(torch.randn(2, 49, 49))

    def forward(self, x):
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.table, [7, 7], 2, [3, 3],
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=False,
        )
''',
        inputs=("1x14x14x16",),
        dynamic="0,1,2",
    ),
    Entry(
        "smp_psp_module",
        "segmentation_models_pytorch",
        "segmentation_models_pytorch/decoders/pspnet/decoder.py",
        ("PSPModule",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: smp's PSPNet pyramid pooling module, random weights."""

    def __init__(self):
        super().__init__()
        self.psp = PSPModule(16, sizes=(1, 2, 3, 6))

    def forward(self, x):
        return self.psp(x)
''',
        inputs=("2x16x24x24",),
    ),
    Entry(
        "kornia_rotate",
        "kornia",
        "kornia/geometry/transform/affwarp.py",
        ("rotate",),
        '''

class Model(torch.nn.Module):
    """onnxlint fix corpus: kornia's rotate by 30 degrees about the image centre."""

    def forward(self, x):
        angle = torch.full((x.shape[0],), 30.0, dtype=x.dtype)
        return rotate(x, angle)
''',
        inputs=("1x3x16x16",),
    ),
)
