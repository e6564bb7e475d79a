"""The model corpus: real models from timm, torchvision, segmentation_models_pytorch, kornia, transformers, diffusers.

Every entry is written the way onnxlint's command line takes it (docs/graph.md, linter/modelspec.py):

    onnxlint benchmarks/model_corpus/models.py --graph \\
        --model 'timm.create_model("mobilevit_xxs", pretrained=False)' \\
        --input 1x3x64x64 --dynamic batch,height,width

`model` is a constructor call with literal arguments: a dotted factory is imported
(`torchvision.models.resnet18(weights=None)`), a bare name is one of the factories defined at the
top level of this file (tiny transformers / diffusers configs, wrappers that pass inputs by keyword).
`inputs` are `--input` texts with `{b}` for the batch size; `dynamic` the `--dynamic` dim names.
Every weight is random: nothing is downloaded (weights=None, weights_backbone=None,
pretrained=False, encoder_weights=None, configs written here, never from_pretrained).

    python benchmarks/model_corpus/models.py            # the table, one `onnxlint` command line per model
"""

from __future__ import annotations

import ast
import importlib
import re
import shlex
import sys
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

# -- the specs --------------------------------------------------------------------------------------

# Dim names by the rank of the input they apply to (a copy of linter/modelspec.py's table: this file
# must not import onnxlint, which the ground truth never uses).
NAMED_DIMS: dict[str, dict[int, int | None]] = {
    "batch": {1: 0, 2: 0, 3: 0, 4: 0, 5: 0},
    "channels": {2: None, 3: 1, 4: 1, 5: 1},
    "sequence": {2: 1, 3: 1, 4: None, 5: None},
    "time": {2: 1, 3: 2, 4: None, 5: 2},
    "depth": {5: 2},
    "height": {3: 1, 4: 2, 5: 3},
    "width": {3: 2, 4: 3, 5: 4},
}
_INPUT = re.compile(r"^(?:(?P<name>[A-Za-z_]\w*)=)?(?P<shape>\d+(?:[x,]\d+)*)(?::(?P<dtype>\w+))?$")


@dataclass(frozen=True)
class InputSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str
    dynamic: dict[int, str]  # dim index -> dim name


@dataclass(frozen=True)
class Entry:
    name: str
    family: str  # timm | torchvision | smp | kornia | transformers | diffusers
    model: str  # the --model text: a constructor call with literal arguments
    inputs: tuple[str, ...]  # --input texts, "{b}" is the batch size
    dynamic: tuple[str, ...] = ("batch",)  # --dynamic dim names
    multiple: dict[str, int] = field(default_factory=dict)  # sizes a dynamic dim must be a multiple of
    minimum: dict[str, int] = field(default_factory=dict)  # the smallest size the model accepts
    note: str = ""

    def input_texts(self, batch: int) -> list[str]:
        return [text.format(b=batch) for text in self.inputs]

    def input_specs(self, batch: int) -> list[InputSpec]:
        """The inputs at this batch with their dynamic dims, as `--input ... --dynamic ...` would give them."""
        specs = []
        for position, text in enumerate(self.input_texts(batch)):
            match = _INPUT.match(text)
            if match is None:
                raise ValueError(f"{self.name}: bad input {text!r}")
            shape = tuple(int(s) for s in re.split(r"[x,]", match.group("shape")))
            dynamic = {}
            for dim in self.dynamic:
                index = NAMED_DIMS[dim].get(len(shape))
                if index is not None:
                    dynamic[index] = dim
            name = match.group("name") or ("input" if position == 0 else f"input_{position}")
            specs.append(InputSpec(name, shape, match.group("dtype") or "float32", dynamic))
        return specs

    def cli_args(self, batch: int) -> list[str]:
        """`--model ... --input ... --dynamic ...` for onnxlint (the file argument comes first)."""
        args = ["--model", self.model]
        for text in self.input_texts(batch):
            args += ["--input", text]
        return [*args, "--dynamic", ",".join(self.dynamic)]

    def other_shapes(self, batch: int) -> list[tuple[str, list[tuple[int, ...]]]]:
        """At least three other input shapes within the dynamic dims, each labelled (`batch=2 height=72`).

        Another batch; every other dynamic dim grown by its multiple (for a multiple of 1: to an odd
        size); a non-square change (one dim up, the next down); another batch with larger sizes.
        Each input's dims change from its own size (a decoder's sequence from 8, the encoder's from 16).
        Whether the eager model accepts a size is checked by the ground truth, not guessed here.
        """
        specs = self.input_specs(batch)
        present = {dim for spec in specs for dim in spec.dynamic.values()}
        others = [d for d in self.dynamic if d != "batch" and d in present]
        other_batch = 2 if batch != 2 else 3
        # per variant: the batch (None: unchanged) and the steps of each other dim
        variants: list[tuple[int | None, dict[str, int]]] = [(other_batch, {})]
        if others:
            variants.append((None, dict.fromkeys(others, 1)))
            variants.append((None, {d: 2 if i % 2 == 0 else -1 for i, d in enumerate(others)}))
            variants.append((3 if batch != 3 else 1, dict.fromkeys(others, 3)))
        else:
            variants += [(3 if batch != 3 else 1, {}), (4, {})]
        result = []
        for new_batch, steps in variants:
            shapes = []
            for spec in specs:
                shape = list(spec.shape)
                for index, dim in spec.dynamic.items():
                    if dim == "batch" and new_batch is not None:
                        shape[index] = new_batch
                    elif dim in steps:
                        shape[index] = self._grow(dim, shape[index], steps[dim])
                shapes.append(tuple(shape))
            label = []
            if new_batch is not None:
                label.append(f"batch={new_batch}")
            for dim in others:
                if dim in steps:
                    spec = next(s for s in specs if dim in s.dynamic.values())
                    index = next(i for i, d in spec.dynamic.items() if d == dim)
                    label.append(f"{dim}={shapes[specs.index(spec)][index]}")
            result.append((" ".join(label), shapes))
        return result

    def _grow(self, dim: str, size: int, steps: int) -> int:
        step = self.multiple.get(dim, 1)
        if step == 1:  # any size: an odd one, a multiple of nothing the example was
            new = size + {1: 7, 2: 13, 3: 21, -1: -5}[steps]
        else:
            new = size + steps * step
        return max(new, self.minimum.get(dim, step))


# -- factories that are not a single library call ------------------------------------------------------


class Seq2Seq(nn.Module):
    """An encoder-decoder called as an export script calls it: `(input_ids, decoder_input_ids)` -> logits."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, decoder_input_ids=decoder_input_ids, use_cache=False)[0]


def tiny_bert() -> nn.Module:
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    return BertModel(config)


def tiny_gpt2() -> nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=100, n_positions=64, n_embd=32, n_layer=2, n_head=2, bos_token_id=0, eos_token_id=0, use_cache=False
    )
    return GPT2LMHeadModel(config)


def tiny_llama() -> nn.Module:
    from transformers import LlamaConfig, LlamaModel

    config = LlamaConfig(
        vocab_size=100,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        use_cache=False,
    )
    return LlamaModel(config)


def tiny_vit() -> nn.Module:
    from transformers import ViTConfig, ViTModel

    config = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    return ViTModel(config)


def tiny_clip_vision() -> nn.Module:
    from transformers import CLIPVisionConfig, CLIPVisionModel

    config = CLIPVisionConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        projection_dim=16,
    )
    return CLIPVisionModel(config)


def tiny_t5() -> nn.Module:
    from transformers import T5Config, T5ForConditionalGeneration

    config = T5Config(
        vocab_size=100,
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        decoder_start_token_id=0,
        use_cache=False,
    )
    return Seq2Seq(T5ForConditionalGeneration(config))


def tiny_bart() -> nn.Module:
    from transformers import BartConfig, BartModel

    config = BartConfig(
        vocab_size=100,
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=64,
        use_cache=False,
    )
    return Seq2Seq(BartModel(config))


def tiny_unet2d() -> nn.Module:
    from diffusers import UNet2DModel

    return UNet2DModel(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=8,
        attention_head_dim=8,
    )


def tiny_autoencoder_kl() -> nn.Module:
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(32, 64),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=32,
    )


def kornia_rotate(angle: float = 30.0) -> nn.Module:
    """kornia.geometry.transform.Rotate takes its angle as a tensor, which --model cannot spell."""
    from kornia.geometry.transform import Rotate

    return Rotate(torch.tensor(angle))


# -- the table -----------------------------------------------------------------------------------------

_NCHW = ("batch", "height", "width")
_M32 = {"height": 32, "width": 32}
_DET = "weights=None, weights_backbone=None, min_size=128, max_size=128"


def _timm(name: str, **kwargs: Any) -> str:
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return f'timm.create_model("{name}", pretrained=False{extra})'


MODELS: list[Entry] = [
    # timm
    Entry("mobilevit_xxs", "timm", _timm("mobilevit_xxs"), ("{b}x3x64x64",), _NCHW, _M32),
    Entry("davit_tiny", "timm", _timm("davit_tiny"), ("{b}x3x96x96",), _NCHW, _M32),
    Entry("swin_tiny", "timm", _timm("swin_tiny_patch4_window7_224"), ("{b}x3x224x224",), note="fixed 224"),
    Entry("convnext_atto", "timm", _timm("convnext_atto"), ("{b}x3x64x64",), _NCHW, _M32),
    Entry("efficientnet_b0", "timm", _timm("efficientnet_b0"), ("{b}x3x96x96",), _NCHW, _M32),
    Entry(
        "tf_mobilenetv3_small",
        "timm",
        _timm("tf_mobilenetv3_small_minimal_100"),
        ("{b}x3x64x64",),
        _NCHW,
        note="TF 'same' padding computed from the input size",
    ),
    Entry(
        "vit_tiny_dynamic",
        "timm",
        _timm("vit_tiny_patch16_224", img_size=64, dynamic_img_size=True),
        ("{b}x3x64x64",),
        _NCHW,
        {"height": 16, "width": 16},
        note="position embedding resampled to the input size",
    ),
    Entry("levit_128s", "timm", _timm("levit_128s"), ("{b}x3x224x224",), note="fixed 224 (attention biases)"),
    Entry("regnetx_002", "timm", _timm("regnetx_002"), ("{b}x3x64x64",), _NCHW),
    Entry("edgenext_xx_small", "timm", _timm("edgenext_xx_small"), ("{b}x3x64x64",), _NCHW, _M32),
    # torchvision classification
    Entry("resnet18", "torchvision", "torchvision.models.resnet18(weights=None)", ("{b}x3x64x64",), _NCHW),
    Entry(
        "mobilenet_v3_small",
        "torchvision",
        "torchvision.models.mobilenet_v3_small(weights=None)",
        ("{b}x3x64x64",),
        _NCHW,
    ),
    Entry(
        "shufflenet_v2_x0_5",
        "torchvision",
        "torchvision.models.shufflenet_v2_x0_5(weights=None)",
        ("{b}x3x64x64",),
        _NCHW,
    ),
    Entry(
        "alexnet",
        "torchvision",
        "torchvision.models.alexnet(weights=None)",
        ("{b}x3x64x64",),
        _NCHW,
        minimum={"height": 63, "width": 63},
        note="adaptive pooling 1x1 -> 6x6 at 64 px",
    ),
    Entry("swin_t", "torchvision", "torchvision.models.swin_t(weights=None)", ("{b}x3x64x64",), _NCHW, _M32),
    # torchvision segmentation
    Entry(
        "fcn_resnet50",
        "torchvision",
        "torchvision.models.segmentation.fcn_resnet50(weights=None, weights_backbone=None)",
        ("{b}x3x64x64",),
        _NCHW,
    ),
    Entry(
        "deeplabv3_mobilenet_v3_large",
        "torchvision",
        "torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None)",
        ("{b}x3x64x64",),
        _NCHW,
    ),
    Entry(
        "lraspp_mobilenet_v3_large",
        "torchvision",
        "torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None)",
        ("{b}x3x64x64",),
        _NCHW,
    ),
    # torchvision detection: a batched image tensor (iterated as the list of images), resized to 128
    Entry(
        "fasterrcnn_mobilenet_v3_large_fpn",
        "torchvision",
        f"torchvision.models.detection.fasterrcnn_mobilenet_v3_large_fpn({_DET})",
        ("{b}x3x128x128",),
        _NCHW,
    ),
    Entry(
        "retinanet_resnet50_fpn",
        "torchvision",
        f"torchvision.models.detection.retinanet_resnet50_fpn({_DET})",
        ("{b}x3x128x128",),
        _NCHW,
    ),
    Entry(
        "ssdlite320_mobilenet_v3_large",
        "torchvision",
        "torchvision.models.detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None)",
        ("{b}x3x128x128",),
        _NCHW,
        note="resized to 320x320 inside",
    ),
    Entry(
        "fcos_resnet50_fpn",
        "torchvision",
        f"torchvision.models.detection.fcos_resnet50_fpn({_DET})",
        ("{b}x3x128x128",),
        _NCHW,
    ),
    Entry(
        "maskrcnn_resnet50_fpn",
        "torchvision",
        f"torchvision.models.detection.maskrcnn_resnet50_fpn({_DET})",
        ("{b}x3x128x128",),
        _NCHW,
    ),
    Entry(
        "keypointrcnn_resnet50_fpn",
        "torchvision",
        f"torchvision.models.detection.keypointrcnn_resnet50_fpn({_DET})",
        ("{b}x3x128x128",),
        _NCHW,
    ),
    # torchvision video and optical flow
    Entry(
        "r3d_18",
        "torchvision",
        "torchvision.models.video.r3d_18(weights=None)",
        ("{b}x3x8x64x64",),
        ("batch", "time", "height", "width"),
    ),
    Entry(
        "s3d",
        "torchvision",
        "torchvision.models.video.s3d(weights=None)",
        ("{b}x3x16x224x224",),
        ("batch", "time", "height", "width"),
        {"time": 8, "height": 32, "width": 32},
        {"time": 16, "height": 224, "width": 224},
        note="its average pool needs >= 16 frames of >= 224 px",
    ),
    Entry(
        "raft_small",
        "torchvision",
        "torchvision.models.optical_flow.raft_small(weights=None)",
        ("image1={b}x3x128x128", "image2={b}x3x128x128"),
        _NCHW,
        {"height": 8, "width": 8},
        {"height": 128, "width": 128},
        note="12 flow updates unrolled",
    ),
    # segmentation_models_pytorch
    Entry(
        "smp_unet_resnet18",
        "smp",
        'segmentation_models_pytorch.Unet(encoder_name="resnet18", encoder_weights=None)',
        ("{b}x3x64x64",),
        _NCHW,
        _M32,
    ),
    Entry(
        "smp_fpn_mobilenet_v2",
        "smp",
        'segmentation_models_pytorch.FPN(encoder_name="mobilenet_v2", encoder_weights=None)',
        ("{b}x3x64x64",),
        _NCHW,
        _M32,
    ),
    Entry(
        "smp_deeplabv3plus_resnet18",
        "smp",
        'segmentation_models_pytorch.DeepLabV3Plus(encoder_name="resnet18", encoder_weights=None)',
        ("{b}x3x64x64",),
        _NCHW,
        {"height": 16, "width": 16},
    ),
    Entry(
        "smp_pspnet_resnet18",
        "smp",
        'segmentation_models_pytorch.PSPNet(encoder_name="resnet18", encoder_weights=None)',
        ("{b}x3x64x64",),
        _NCHW,
        {"height": 8, "width": 8},
    ),
    # kornia
    Entry(
        "kornia_gaussian_blur",
        "kornia",
        "kornia.filters.GaussianBlur2d((5, 5), (1.5, 1.5))",
        ("{b}x3x64x64",),
        _NCHW,
    ),
    Entry("kornia_sobel", "kornia", "kornia.filters.Sobel()", ("{b}x3x64x64",), _NCHW),
    Entry("kornia_canny", "kornia", "kornia.filters.Canny()", ("{b}x3x64x64",), _NCHW),
    Entry("kornia_median_blur", "kornia", "kornia.filters.MedianBlur((3, 3))", ("{b}x3x64x64",), _NCHW),
    Entry("kornia_pyrdown", "kornia", "kornia.geometry.transform.PyrDown()", ("{b}x3x64x64",), _NCHW),
    Entry("kornia_rescale", "kornia", "kornia.geometry.transform.Rescale((0.5, 0.5))", ("{b}x3x64x64",), _NCHW),
    Entry("kornia_rotate", "kornia", "kornia_rotate(angle=30.0)", ("{b}x3x64x64",), _NCHW),
    Entry(
        "kornia_sift_descriptor",
        "kornia",
        "kornia.feature.SIFTDescriptor(32, 8, 4)",
        ("{b}x1x32x32",),
        note="patch descriptor: fixed 32x32 patches",
    ),
    Entry(
        "kornia_hardnet",
        "kornia",
        "kornia.feature.HardNet(pretrained=False)",
        ("{b}x1x32x32",),
        note="patch descriptor: fixed 32x32 patches",
    ),
    Entry("kornia_keynet", "kornia", "kornia.feature.KeyNet(pretrained=False)", ("{b}x1x64x64",), _NCHW),
    # transformers, tiny configs
    Entry("hf_bert", "transformers", "tiny_bert()", ("input_ids={b}x16:int64",), ("batch", "sequence")),
    Entry("hf_gpt2", "transformers", "tiny_gpt2()", ("input_ids={b}x16:int64",), ("batch", "sequence")),
    Entry("hf_llama", "transformers", "tiny_llama()", ("input_ids={b}x16:int64",), ("batch", "sequence")),
    Entry("hf_vit", "transformers", "tiny_vit()", ("pixel_values={b}x3x32x32",), note="fixed 32 px"),
    Entry("hf_clip_vision", "transformers", "tiny_clip_vision()", ("pixel_values={b}x3x32x32",), note="fixed 32 px"),
    Entry(
        "hf_t5",
        "transformers",
        "tiny_t5()",
        ("input_ids={b}x16:int64", "decoder_input_ids={b}x8:int64"),
        ("batch", "sequence"),
    ),
    Entry(
        "hf_bart",
        "transformers",
        "tiny_bart()",
        ("input_ids={b}x16:int64", "decoder_input_ids={b}x8:int64"),
        ("batch", "sequence"),
    ),
    # diffusers, tiny configs
    Entry(
        "diffusers_unet2d",
        "diffusers",
        "tiny_unet2d()",
        ("sample={b}x3x32x32", "timestep={b}"),
        _NCHW,
        {"height": 2, "width": 2},
    ),
    Entry(
        "diffusers_autoencoder_kl",
        "diffusers",
        "tiny_autoencoder_kl()",
        ("sample={b}x3x32x32",),
        _NCHW,
        {"height": 2, "width": 2},
    ),
]

BY_NAME: dict[str, Entry] = {entry.name: entry for entry in MODELS}


# -- building -------------------------------------------------------------------------------------------


def parse_model(text: str) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """`pkg.factory(1, a=2)` -> ("pkg.factory", (1,), {"a": 2}); literal arguments only, like onnxlint's --model."""
    call = ast.parse(text, mode="eval").body
    if not isinstance(call, ast.Call):
        raise ValueError(f"not a call: {text!r}")
    args = tuple(ast.literal_eval(a) for a in call.args)
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg is not None}
    return ast.unparse(call.func), args, kwargs


def resolve(dotted: str) -> Any:
    """A factory: a top-level name of this file, or `package.module.attr` imported as onnxlint does."""
    if "." not in dotted:
        return globals()[dotted]
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            target = getattr(target, part)
        return target
    raise ImportError(dotted)


def build(entry: Entry) -> nn.Module:
    """The model in eval mode, weights from torch's generator seeded with 0."""
    torch.manual_seed(0)
    factory, args, kwargs = parse_model(entry.model)
    return resolve(factory)(*args, **kwargs).eval()


def make_inputs(specs: list[InputSpec], shapes: list[tuple[int, ...]] | None = None, seed: int = 0) -> tuple:
    """Seeded example tensors, generated as onnxlint's `make_inputs` does (randn; integers in [0, 10)).

    A copy on purpose: the ground truth imports nothing of onnxlint, the tool it grades."""
    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for position, spec in enumerate(specs):
        shape = tuple(shapes[position]) if shapes is not None else spec.shape
        dtype = getattr(torch, spec.dtype)
        if spec.dtype == "bool":
            tensors.append(torch.rand(shape, generator=generator) > 0.5)
        elif dtype.is_floating_point:
            tensors.append(torch.randn(shape, generator=generator).to(dtype))
        else:
            tensors.append(torch.randint(0, 10, shape, generator=generator).to(dtype))
    return tuple(tensors)


def main() -> None:
    names = sys.argv[1:] or list(BY_NAME)
    for name in names:
        entry = BY_NAME[name]
        print(f"{entry.name:32} onnxlint {shlex.join(['benchmarks/model_corpus/models.py', *entry.cli_args(1)])}")


if __name__ == "__main__":
    main()
