"""What each target runtime restricts: the profiles `--target` chooses from.

`PROFILES`: per runtime (`DEFAULT_TARGET`: onnxruntime), the `Restriction`s of what it does not run,
or runs differently from PyTorch, each keyed by the source pattern it concerns (the keys
rules/_runtime_patterns.py recognises) and naming the ATen ops the graph layer reports under it
(`RESTRICTION_OPS`). What each exporter supports is in `onnxlint.knowledge.exporters`.

Every entry names its source: `measured` (exported and run here: see docs/measurements.md and
docs/targets.md), `spec` (the ONNX operator specification) or `doc` (a runtime's own
documentation, cited). Rules must take runtime restrictions from here, not from constants of
their own, so that one edit follows a new runtime release everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from onnxlint.knowledge.sources import Source


@dataclass(frozen=True)
class Restriction:
    """Something a runtime does not run, or runs differently from PyTorch."""

    key: str  # the pattern it concerns, e.g. "resize.align_corners"
    message: str
    source: Source
    exporters: tuple[str, ...] = ("legacy", "dynamo")  # the exporters whose output the runtime mishandles
    # ATen ops (schema names such as "upsample_bilinear2d") the graph layer reports under this
    # restriction when they appear in a traced model; empty: the graph layer does not judge it.
    ops: tuple[str, ...] = ()

    @property
    def measured(self) -> bool:
        return self.source.kind == "measured"


@dataclass(frozen=True)
class TargetProfile:
    name: str
    description: str
    restrictions: dict[str, Restriction] = field(default_factory=dict)
    max_opset: int | None = None  # the highest opset the runtime loads (None: no known limit here)
    measured: bool = False  # whether this profile's entries were measured here

    def restriction(self, key: str) -> Restriction | None:
        return self.restrictions.get(key)


_TRT_OPERATORS = "onnx-tensorrt docs/operators.md, TensorRT 10.15 operator support matrix"
_OPENVINO = "openvino 2026.4.1 CPU plugin, ONNX frontend"


# The ATen ops (packet names) each restriction key's pattern traces to, so that the graph layer
# (ONX706) sees them however the model's code spells them. Keys whose condition is not visible in
# the op name alone (5-D grid_sample, float64, a large topk k, circular padding) have none.
RESTRICTION_OPS: dict[str, tuple[str, ...]] = {
    "resize.cubic": ("upsample_bicubic2d", "_upsample_bicubic2d_aa"),
    "resize.antialias": ("_upsample_bilinear2d_aa", "_upsample_bicubic2d_aa"),
    "unique": ("_unique", "_unique2", "unique_dim", "unique_consecutive"),
    "fft": ("_fft_r2c", "_fft_c2r", "_fft_c2c", "stft", "istft"),
    "det": ("det", "linalg_det", "_linalg_det", "logdet", "slogdet", "linalg_slogdet", "_linalg_slogdet"),
    "affine_grid": ("affine_grid_generator",),
    "bernoulli": ("bernoulli", "multinomial"),
    "bitwise": (
        "bitwise_and",
        "bitwise_or",
        "bitwise_xor",
        "bitwise_not",
        "bitwise_left_shift",
        "bitwise_right_shift",
        "__lshift__",
        "__rshift__",
    ),
    "fold": ("col2im",),
    "max_unpool": ("max_unpool2d", "max_unpool3d"),
    "pool1d": ("avg_pool1d", "max_pool1d", "max_pool1d_with_indices"),
    "logsumexp": ("logsumexp",),
    "repeat_interleave.tensor": ("repeat_interleave",),
    "dropout.training": ("native_dropout", "dropout", "feature_dropout"),
}


def _restrictions(*entries: Restriction) -> dict[str, Restriction]:
    from dataclasses import replace

    return {
        entry.key: entry if entry.ops else replace(entry, ops=RESTRICTION_OPS.get(entry.key, ())) for entry in entries
    }


# Restriction keys name source patterns that rules/_runtime_patterns.py recognises.
PROFILES: dict[str, TargetProfile] = {
    "onnxruntime": TargetProfile(
        "onnxruntime",
        "ONNX Runtime (CPU execution provider): every finding here was measured against it.",
        measured=True,
    ),
    "openvino": TargetProfile(
        "openvino",
        "OpenVINO (CPU plugin) reading the ONNX file directly. Entries measured here with the patterns of "
        "the first harness run (docs/ground-truth.md) exported by both exporters and run in OpenVINO (see docs/targets.md).",
        measured=True,
        restrictions=_restrictions(
            Restriction(
                "grid_sample.5d",
                "OpenVINO does not load a 5-D (volumetric) GridSample: compile_model fails",
                Source(
                    "measured",
                    f"gs5_* patterns exported by dynamo at opset 20: 'GridSample is only supported for 4D input tensors' ({_OPENVINO})",
                ),
            ),
            Restriction(
                "resize.antialias",
                "OpenVINO computes antialiased Resize differently from PyTorch: silently wrong numbers",
                Source(
                    "measured",
                    f"interp_*_antialias_* exported by dynamo: max abs diff 0.75-1.4 vs eager, onnxruntime matches ({_OPENVINO})",
                ),
                exporters=("dynamo",),  # the TorchScript exporter cannot export antialiasing at all
            ),
            Restriction(
                "avg_pool.ceil_include_pad",
                "OpenVINO's AveragePool with ceil_mode, padding and count_include_pad gives wrong numbers at the ragged edge",
                Source(
                    "measured",
                    f"pool_avg_ceil_mode_pad1_incl, both exporters: max abs diff 0.32 vs eager, onnxruntime matches ({_OPENVINO})",
                ),
            ),
            Restriction(
                "pad.circular",
                "OpenVINO does not load the wrap-mode Pad that the dynamo exporter writes for circular padding",
                Source(
                    "measured",
                    f"pad_circular_3d/4d exported by dynamo: 'Unsupported padding mode: [wrap]'; the TorchScript exporter's slice+concat form runs ({_OPENVINO})",
                ),
                exporters=("dynamo",),
            ),
            Restriction(
                "fft",
                "OpenVINO fails at run time on the DFT that torch.fft exports to",
                Source(
                    "measured",
                    f"fft_rfft_abs, fft_rfft2_abs, fft_irfft_roundtrip exported by dynamo: 'Signal size greater than input size is not supported yet' ({_OPENVINO})",
                ),
                exporters=("dynamo",),  # the TorchScript exporter cannot export torch.fft at all
            ),
            Restriction(
                "dropout.training",
                "OpenVINO does not load a Dropout in training mode (training_mode=True)",
                Source(
                    "measured",
                    f"rand_functional_dropout_training_true, both exporters: compile_model fails ({_OPENVINO})",
                ),
            ),
            Restriction(
                "logsumexp",
                "OpenVINO reduces the TorchScript exporter's ReduceLogSumExp over every axis: the output loses its shape",
                Source(
                    "measured",
                    f"logsumexp(dim=1) exported by the TorchScript exporter at opset 17: output shape () instead of (N, H, W); dynamo's form runs ({_OPENVINO})",
                ),
                exporters=("legacy",),
            ),
            Restriction(
                "repeat_interleave.tensor",
                "OpenVINO does not load repeat_interleave with a tensor of repeats as the dynamo exporter writes it",
                Source(
                    "measured", f"repeat_interleave_const_tensor exported by dynamo: compile_model fails ({_OPENVINO})"
                ),
                exporters=("dynamo",),
            ),
            Restriction(
                "det",
                "OpenVINO has no Det operator",
                Source("measured", f"linalg_det, both exporters: compile_model fails ({_OPENVINO})"),
            ),
        ),
    ),
    "tensorrt": TargetProfile(
        "tensorrt",
        "TensorRT 10.x through its ONNX parser (trtexec, onnx-tensorrt, ORT's TensorRT execution provider). "
        "Not measured here (no GPU): every entry cites NVIDIA's operator support matrix.",
        max_opset=24,
        restrictions=_restrictions(
            Restriction(
                "grid_sample.5d",
                "TensorRT's GridSample accepts 4-D input only",
                Source("doc", f"{_TRT_OPERATORS}: GridSample"),
            ),
            Restriction(
                "resize.cubic",
                "TensorRT's Resize supports only nearest and linear modes, not cubic",
                Source("doc", f"{_TRT_OPERATORS}: Resize"),
            ),
            Restriction(
                "resize.antialias",
                "TensorRT's Resize does not support antialiasing",
                Source("doc", f"{_TRT_OPERATORS}: Resize"),
            ),
            Restriction("unique", "TensorRT has no Unique operator", Source("doc", f"{_TRT_OPERATORS}: Unique (N)")),
            Restriction(
                "fft",
                "TensorRT has no DFT operator (torch.fft exports to DFT)",
                Source("doc", f"{_TRT_OPERATORS}: DFT (N)"),
            ),
            Restriction("det", "TensorRT has no Det operator", Source("doc", f"{_TRT_OPERATORS}: Det (N)")),
            Restriction(
                "affine_grid", "TensorRT has no AffineGrid operator", Source("doc", f"{_TRT_OPERATORS}: AffineGrid (N)")
            ),
            Restriction(
                "bernoulli",
                "TensorRT has no Bernoulli or Multinomial operator",
                Source("doc", f"{_TRT_OPERATORS}: Bernoulli, Multinomial (N)"),
            ),
            Restriction(
                "bitwise",
                "TensorRT has no BitwiseAnd/Or/Xor/Not or BitShift operators",
                Source("doc", f"{_TRT_OPERATORS}: Bitwise*, BitShift (N)"),
            ),
            Restriction(
                "fold",
                "TensorRT has no Col2Im operator (F.fold / nn.Fold)",
                Source("doc", f"{_TRT_OPERATORS}: Col2Im (N)"),
            ),
            Restriction(
                "max_unpool", "TensorRT has no MaxUnpool operator", Source("doc", f"{_TRT_OPERATORS}: MaxUnpool (N)")
            ),
            Restriction(
                "pool1d",
                "TensorRT pools 2-D and 3-D inputs only",
                Source("doc", f"{_TRT_OPERATORS}: AveragePool, MaxPool (2D or 3D pooling only)"),
            ),
            Restriction(
                "scatter_accumulate",
                "TensorRT's ScatterND supports no reduction, so accumulating index_put / index_put_(accumulate=True) fails",
                Source("doc", f"{_TRT_OPERATORS}: ScatterND (reduction other than none is not supported)"),
            ),
            Restriction(
                "float64",
                "TensorRT casts float64 down to float32, clamping to ±FLT_MAX",
                Source("doc", f"{_TRT_OPERATORS}: data types note (DOUBLE is cast down)"),
            ),
            Restriction("topk.large_k", "TensorRT's TopK needs K < 3840", Source("doc", f"{_TRT_OPERATORS}: TopK")),
        ),
    ),
    "coreml": TargetProfile(
        "coreml",
        "Core ML through coremltools. coremltools 6 and later have no ONNX converter (it converts PyTorch models "
        "directly); coremltools 5 and earlier read ONNX opset 10 and older only. Not measured here (no macOS).",
        max_opset=10,
        restrictions=_restrictions(
            Restriction(
                "onnx_input",
                "coremltools 6+ cannot convert ONNX; coremltools <= 5 reads ONNX opset 10 and older only",
                Source(
                    "doc",
                    "coremltools 4 docs 'ONNX Conversion' (opset 10 and older; not recommended for PyTorch); "
                    "coremltools 6 removed coremltools.converters.onnx; onnx/onnx-coreml archived 2023",
                ),
            ),
        ),
    ),
}
DEFAULT_TARGET = "onnxruntime"


def profile(name: str) -> TargetProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown target {name!r} (known: {', '.join(PROFILES)})") from None
