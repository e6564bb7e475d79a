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
    # --- Added 2026-12-06 (README, "How the entries were chosen"). Group B: chosen by a pattern a fix
    # targets (a resize, a pad or a data-dependent branch) ---
    Entry(
        "hf_mobilevit_layer",
        "transformers",
        "transformers/models/mobilevit/modeling_mobilevit.py",
        ("MobileViTLayer",),
        """from transformers import MobileViTConfig


class Model(nn.Module):
    \"\"\"onnxlint fix corpus: one transformers MobileViT block (unfold to patches, transformer, fold), random weights.\"\"\"

    def __init__(self):
        super().__init__()
        config = MobileViTConfig(patch_size=2, num_attention_heads=2, mlp_ratio=2.0)
        self.layer = MobileViTLayer(config, in_channels=16, out_channels=16, stride=1, hidden_size=32, num_stages=1)

    def forward(self, features):
        return self.layer(features)
""",
        inputs=("1x16x16x16",),
    ),
    Entry(
        "diffusers_hunyuan_video15_transformer",
        "diffusers",
        "diffusers/models/transformers/transformer_hunyuan_video15.py",
        ("HunyuanVideo15Transformer3DModel",),
        '''
# Not part of the package: its attention processor imports `from ..embeddings import ...` inside a
# function; this makes that relative import resolve against the package, as it does in place.
__package__ = "diffusers.models.transformers"


class Model(nn.Module):
    """onnxlint fix corpus: diffusers' HunyuanVideo 1.5 transformer (one block, one refiner layer, tiny
    widths, random weights) on a latent video and image embeddings; the text inputs are fixed buffers
    (all tokens valid)."""

    def __init__(self):
        super().__init__()
        self.transformer = HunyuanVideo15Transformer3DModel(
            in_channels=4, out_channels=4, num_attention_heads=2, attention_head_dim=8, num_layers=1,
            num_refiner_layers=1, text_embed_dim=16, text_embed_2_dim=16, image_embed_dim=16, rope_axes_dim=(2, 2, 4),
        )
        self.register_buffer("text", torch.randn(1, 4, 16))
        self.register_buffer("text_2", torch.randn(1, 3, 16))

    def forward(self, hidden_states, image_embeds):
        b = hidden_states.shape[0]
        return self.transformer(
            hidden_states,
            torch.full((b,), 500.0),
            self.text.expand(b, -1, -1),
            torch.ones(b, 4, dtype=torch.long),
            encoder_hidden_states_2=self.text_2.expand(b, -1, -1),
            encoder_attention_mask_2=torch.ones(b, 3, dtype=torch.long),
            image_embeds=image_embeds,
            return_dict=False,
        )[0]
''',
        inputs=("1x4x1x4x4", "1x4x16"),
        dynamic="input:3,input:4",
    ),
    Entry(
        "timm_tiny_vit_block",
        "timm",
        "timm/models/tiny_vit.py",
        ("TinyVitBlock",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: one TinyViT block (window attention, padded to a multiple of the window), random weights."""

    def __init__(self):
        super().__init__()
        self.block = TinyVitBlock(16, num_heads=2, window_size=7)

    def forward(self, x):
        return self.block(x)
''',
        inputs=("1x14x14x16",),
        dynamic="0,1,2",
    ),
    # --- Group D: a failing model of benchmarks/model_corpus/root_causes.json ---
    Entry(
        "torchvision_batched_nms",
        "torchvision",
        "torchvision/ops/boxes.py",
        ("batched_nms",),
        '''

class Model(torch.nn.Module):
    """onnxlint fix corpus: torchvision's batched_nms on the boxes left after a score threshold (as in
    the detection models' postprocess), built from one (N, 6) tensor."""

    def forward(self, x):
        xy = x[:, :2] * 10
        boxes = torch.cat([xy, xy + x[:, 2:4].abs() * 5 + 1], dim=1)
        scores = x[:, 4].sigmoid()
        idxs = (x[:, 5] > 0).to(torch.int64)
        keep = scores > 0.3
        return batched_nms(boxes[keep], scores[keep], idxs[keep], 0.5)
''',
        inputs=("64x6",),
        dynamic="0",
    ),
    # --- Group C: each timm file with an ONX2xx/ONX3xx finding at the default confidence, in
    # alphabetical order, one module each (before looking at whether a fix exists) ---
    Entry(
        "timm_convit_gpsa",
        "timm",
        "timm/models/convit.py",
        ("GPSA",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: ConViT's gated positional self-attention on (B, N, C) tokens, random weights."""

    def __init__(self):
        super().__init__()
        self.attn = GPSA(16, num_heads=2)

    def forward(self, x):
        return self.attn(x)
''',
        inputs=("1x16x16",),
        dynamic="0,1",
    ),
    Entry(
        "timm_cpubone_conv_attention",
        "timm",
        "timm/models/cpubone.py",
        ("ConvAttention",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: CPUBone's strided convolutional attention (2x2 projection, odd sizes padded), random weights."""

    def __init__(self):
        super().__init__()
        self.attn = ConvAttention(32, att_stride=2, small_kernels=True)

    def forward(self, x):
        return self.attn(x)
''',
        inputs=("1x32x16x16",),
    ),
    Entry(
        "timm_crossvit_scale_image",
        "timm",
        "timm/models/crossvit.py",
        ("scale_image",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: CrossViT's per-branch input scaling (forward_features: one branch at the
    input's size, one scaled to its own image size)."""

    def forward(self, x):
        return scale_image(x, (16, 16)), scale_image(x, (12, 12))
''',
        inputs=("1x3x16x16",),
    ),
    Entry(
        "timm_gemma4_vit_patch_embed",
        "timm",
        "timm/models/gemma4_vit.py",
        ("Gemma4PatchEmbed",),
        '''

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
''',
        inputs=("1x16x12", "1x16x2"),
        dynamic="input:0=batch,input_1:0=batch,input:1=tokens,input_1:1=tokens",
    ),
    Entry(
        "timm_mobilenetv5_msfa",
        "timm",
        "timm/models/mobilenetv5.py",
        ("MobileNetV5MultiScaleFusionAdapter",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: MobileNetV5's multi-scale fusion adapter on two feature maps (the second at
    half the size), to a fixed output resolution; random weights."""

    def __init__(self):
        super().__init__()
        self.msfa = MobileNetV5MultiScaleFusionAdapter([8, 8], 8, output_resolution=4)

    def forward(self, x):
        return self.msfa([x, F.avg_pool2d(x, 2)])
''',
        inputs=("1x8x16x16",),
    ),
    Entry(
        "timm_qwen3_vit_pos_embed",
        "timm",
        "timm/models/qwen3_vit.py",
        ("resample_pos_embed_grid",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: the Qwen3 ViT encoder's `_pos_embed`: a 4x4 learned position grid resampled
    to the patch grid and added to the (B, H, W, C) patches."""

    def __init__(self):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.randn(1, 16, 8))

    def forward(self, x):
        B, H, W, C = x.shape
        pos_embed = resample_pos_embed_grid(self.pos_embed, 4, (H, W))
        return x.reshape(B, H * W, C) + pos_embed.to(x.dtype)
''',
        inputs=("1x4x4x8",),
        dynamic="0,1,2",
    ),
    Entry(
        "timm_vgg_conv_mlp",
        "timm",
        "timm/models/vgg.py",
        ("ConvMlp",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: VGG's convolutional pre-logits MLP (7x7 kernel; inputs under 7x7 pooled up), random weights."""

    def __init__(self):
        super().__init__()
        self.mlp = ConvMlp(8, 8, kernel_size=7)

    def forward(self, x):
        return self.mlp(x)
''',
        inputs=("1x8x8x8",),
    ),
    Entry(
        "timm_sam_rel_pos_attention",
        "timm",
        "timm/models/vision_transformer_sam.py",
        ("Attention",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: SAM ViT's global attention with decomposed relative positions (tables for an 8x8 map), random weights."""

    def __init__(self):
        super().__init__()
        self.attn = Attention(16, num_heads=2, use_rel_pos=True, input_size=(8, 8))
        torch.nn.init.normal_(self.attn.rel_pos_h)
        torch.nn.init.normal_(self.attn.rel_pos_w)

    def forward(self, x):
        return self.attn(x)
''',
        inputs=("1x8x8x16",),
        dynamic="0,1,2",
    ),
    Entry(
        "timm_bat_bilinear_attn",
        "timm",
        "timm/layers/non_local_attn.py",
        ("BilinearAttnTransform",),
        '''

class Model(nn.Module):
    """onnxlint fix corpus: the bilinear attention transform of timm's BAT non-local attention (7x7 blocks), random weights."""

    def __init__(self):
        super().__init__()
        self.attn = BilinearAttnTransform(16, block_size=7, groups=2)

    def forward(self, x):
        return self.attn(x)
''',
        inputs=("1x16x14x14",),
    ),
)
