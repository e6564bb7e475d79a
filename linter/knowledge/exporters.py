"""What each exporter supports: the data the exporter-aware rules read.

`OP_REQUIREMENTS`: per op, the opsets at which the TorchScript exporter translates it and whether
the dynamo exporter does (`requirement()` applies `TORCH_CHANGES`, the facts that changed on a later
tested torch); `EXPORTER_BEHAVIOUR`: how an exporter treats an export call's settings (`behaviour()`).
What runtimes restrict is in `onnxlint.knowledge.runtimes`.

Every entry names its source: `measured` (exported and run here, on torch 2.13 / onnx 1.23 /
onnxruntime 1.32, and re-measured on torch 2.14.1 and 2.15.0: what changed is in TORCH_CHANGES;
see docs/measurements.md and docs/ground-truth.md), `spec` (the ONNX operator
specification) or `doc` (a runtime's own documentation, cited). Rules must take thresholds
from here, not from constants of their own, so that one edit follows a new torch release everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from onnxlint.knowledge.sources import Source


@dataclass(frozen=True)
class OpRequirement:
    """When an op exports, by exporter.

    `legacy_min_opset`: the lowest opset at which the TorchScript exporter translates it (None:
    it never does). `dynamo`: whether the dynamo exporter (which translates at opset >= 18)
    exports it correctly. `dynamo_min_opset`: when the dynamo exporter's output needs a higher
    opset than the one it translates at (None: any). For an op that exported and matched
    everywhere, `legacy_min_opset` is the lowest opset measured.
    """

    key: str
    legacy_min_opset: int | None
    dynamo: bool
    note: str
    source: Source
    dynamo_min_opset: int | None = None


_MEASURED = "torch 2.13.0 CPU, onnx 1.23.2, onnxruntime 1.32.0"

OP_REQUIREMENTS: dict[str, OpRequirement] = {
    "grid_sample": OpRequirement(
        "grid_sample",
        legacy_min_opset=16,
        dynamo=True,
        note="GridSample-16 is 4-D only; the TorchScript exporter rejects 5-D input below opset 20",
        source=Source(
            "measured",
            f"harness rows gs4_*, gs5_* (docs/ground-truth.md); legacy 16/17/20 and dynamo 18/20 re-measured ({_MEASURED})",
        ),
    ),
    "grid_sample_5d": OpRequirement(
        "grid_sample_5d",
        legacy_min_opset=20,
        dynamo=True,
        note="GridSample-20 accepts N-D input",
        source=Source(
            "measured",
            f"5-D grid_sample: legacy fails at 16 and 17, exports at 20; dynamo exports at 18 and 20 ({_MEASURED})",
        ),
    ),
    "resize.align_corners": OpRequirement(
        "resize.align_corners",
        legacy_min_opset=11,
        dynamo=True,
        note="Resize-11 adds coordinate_transformation_mode; before it the exporter raises",
        source=Source(
            "measured", f"interp_*_ac1_* at legacy 9/10 (export error) and 11/13/17, dynamo 18/20 (match) ({_MEASURED})"
        ),
    ),
}

# Unsupported and opset-gated operators (rules ONX102-ONX111) and scatter/index numerics
# (ONX450-ONX452). Measured with those rules' PATTERNS (see docs/measurements.md) and, for the
# entries no rule flags, with the same classification (onnxlint.measure) on tiny models of the
# same shape: export, onnx.checker, onnxruntime, and a second input with other dynamic sizes.
_LEGACY_ALL = "TorchScript exporter at opsets 11, 13, 17, 20"


def _measured(detail: str) -> Source:
    return Source("measured", f"{detail} ({_MEASURED})")


OP_REQUIREMENTS.update(
    {
        entry.key: entry
        for entry in (
            # -- interpolation --------------------------------------------------------------------
            OpRequirement(
                "resize.antialias",
                legacy_min_opset=None,
                dynamo=True,
                note="no TorchScript symbolic for aten::_upsample_{bilinear,bicubic}2d_aa; dynamo writes "
                "Resize-18 with antialias=1",
                source=_measured(
                    f"F.interpolate(antialias=True) with size=: {_LEGACY_ALL}, 18 raise; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "resize.antialias.scale_factor",
                legacy_min_opset=None,
                dynamo=False,
                note="with scale_factor= and a dynamic height/width the dynamo exporter bakes the antialias "
                "filter for the example size: other sizes get wrong numbers (BAKED); static shapes, a "
                "dynamic batch only, upscaling and size= computed from the shape matched",
                source=_measured(
                    "antialias bilinear scale_factor=0.5: dynamo 18 and 20 BAKED on 8x8 -> 11x11 and 16x16 -> 19x19"
                ),
            ),
            OpRequirement(
                "resize.nearest_exact",
                legacy_min_opset=None,
                dynamo=True,
                note="no TorchScript symbolic for aten::_upsample_nearest_exact*; dynamo writes Resize with "
                "nearest_mode=round_prefer_ceil/half_pixel and matched",
                source=_measured(
                    f"mode='nearest-exact' (F.interpolate and nn.Upsample): {_LEGACY_ALL}, 18 raise; dynamo 18/20 match"
                ),
            ),
            # -- FFT and complex numbers ------------------------------------------------------------
            OpRequirement(
                "fft",
                legacy_min_opset=None,
                dynamo=True,
                note="the TorchScript exporter has no aten::fft_* symbolic and no complex dtype; dynamo writes DFT",
                source=_measured("torch.fft.rfft/fft2/irfft: legacy 11-20 raise; dynamo 18 and 20 match"),
            ),
            OpRequirement(
                "fft.shift",
                legacy_min_opset=None,
                dynamo=False,
                note="torch.fft.fftshift/ifftshift: legacy has no symbolic; dynamo fails (list attribute)",
                source=_measured("fftshift(dim=(-2, -1)): legacy 11/17 and dynamo 20 raise"),
            ),
            OpRequirement(
                "stft.complex",
                legacy_min_opset=None,
                dynamo=True,
                note="torch.stft(return_complex=True): 'STFT does not currently support complex types' under "
                "TorchScript; dynamo matched",
                source=_measured(
                    "stft(n_fft=8, return_complex=True).abs() and view_as_real: legacy 17/20 raise; dynamo 18/20 match"
                ),
            ),
            OpRequirement(
                "stft.real",
                legacy_min_opset=17,
                dynamo=True,
                note="torch.stft(return_complex=False) (deprecated by torch) maps to STFT-17",
                source=_measured("stft(return_complex=False): legacy 16 raises, 17 and 20 match; dynamo 20 matches"),
            ),
            OpRequirement(
                "istft",
                legacy_min_opset=None,
                dynamo=False,
                note="dynamo writes a ScatterND the checker rejects (int64 updates)",
                source=_measured("stft/istft round trip: legacy 17/20 raise; dynamo 20 CHECKER, dynamic and static"),
            ),
            OpRequirement(
                "complex",
                legacy_min_opset=None,
                dynamo=True,
                note="view_as_complex, torch.complex, torch.polar, .to(torch.complex64): 'ScalarType ComplexFloat "
                "is an unexpected tensor scalar type' or no symbolic under TorchScript; dynamo matched",
                source=_measured("complex patterns: legacy 17/20 raise; dynamo 20 matches"),
            ),
            OpRequirement(
                "complex.factory",
                legacy_min_opset=None,
                dynamo=False,
                note="a tensor created with a complex dtype (torch.zeros(..., dtype=torch.complex64)): dynamo "
                "writes an Expand whose element type the checker rejects",
                source=_measured("torch.zeros(x.shape, dtype=torch.cfloat) + x: legacy 17 raises; dynamo 20 CHECKER"),
            ),
            OpRequirement(
                "deform_conv2d",
                legacy_min_opset=None,
                dynamo=True,
                dynamo_min_opset=19,
                note="torchvision registers no TorchScript symbolic for torchvision::deform_conv2d (its "
                "_register_onnx_ops.py covers nms, roi_align, roi_pool); dynamo writes DeformConv-19",
                source=Source(
                    "measured",
                    "torchvision.ops.deform_conv2d and DeformConv2d: legacy 11/19/20 raise; dynamo 19/20 match, "
                    "dynamic and static; dynamo 17/18 CHECKER (no DeformConv before 19); torch 2.14.1 / "
                    "torchvision 0.29.1, side venv",
                ),
            ),
            # -- scatter and index ops --------------------------------------------------------------
            OpRequirement(
                "scatter_reduce",
                legacy_min_opset=16,
                dynamo=True,
                note="ScatterElements gained reduction in opset 16 (add, mul) and 18 (max, min); the TorchScript "
                "exporter writes reduction=max/min at opset 16 and 17 too, which onnxruntime ran correctly",
                source=_measured(
                    "scatter_reduce sum/prod/amax/amin, include_self=True: legacy 13/15 raise, 16/17/18/20 match; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "scatter_reduce.include_self_false",
                legacy_min_opset=None,
                dynamo=True,
                note="'ONNX does not support include_self=False for scatter_reduce' under TorchScript",
                source=_measured(
                    "include_self=False, every reduction: legacy 18/20 raise; dynamo 20 matches (sum/prod/amax/amin)"
                ),
            ),
            OpRequirement(
                "scatter_reduce.mean",
                legacy_min_opset=None,
                dynamo=False,
                note="TorchScript: 'ONNX does not support mean reduction'; dynamo exports it and computes wrong numbers",
                source=_measured(
                    "reduce='mean', include_self True/False: legacy 13-20 raise; dynamo 20 WRONG (max abs diff 2.2)"
                ),
            ),
            OpRequirement(
                "scatter.reduce_argument",
                legacy_min_opset=None,
                dynamo=False,
                note="Tensor.scatter(..., reduce='add'/'multiply') (deprecated by torch): argument mismatch "
                "under TorchScript; no translation for aten.scatter.reduce under dynamo",
                source=_measured("scatter(2, idx, src, reduce='add'): legacy 11/13/16 and dynamo 20 raise"),
            ),
            OpRequirement(
                "index_reduce",
                legacy_min_opset=None,
                dynamo=False,
                note="no TorchScript symbolic and no dynamo translation for aten::index_reduce",
                source=_measured(
                    "index_reduce amax/mean/prod, include_self True/False: legacy 17/20 and dynamo 20 raise"
                ),
            ),
            OpRequirement(
                "scatter_add.duplicates",
                legacy_min_opset=16,
                dynamo=True,
                note="below opset 16 the TorchScript exporter writes ScatterElements without reduction: duplicate "
                "indices overwrite instead of adding (silently wrong numbers; unique indices are right)",
                source=_measured(
                    "scatter_add with duplicate indices: legacy 11/13/15 WRONG, 16/17 match; unique indices match at 11/13; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "index_add.duplicates",
                legacy_min_opset=None,
                dynamo=True,
                note="the TorchScript exporter's index_add calls the opset-9 scatter_add (no reduction) at every "
                "opset: duplicate indices overwrite (it warns once, then writes the wrong model)",
                source=_measured(
                    "index_add with index [0, 2, 0]: legacy 11/17/20 WRONG; unique indices match; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "index_put.accumulate",
                legacy_min_opset=None,
                dynamo=True,
                note="index_put(..., accumulate=True) under TorchScript: duplicate indices overwrite",
                source=_measured(
                    "index_put accumulate=True with repeated indices: legacy 11/13/17/20 WRONG; dynamo 20 matches"
                ),
            ),
            # -- other opset-gated or unsupported ops ------------------------------------------------
            OpRequirement(
                "einsum",
                legacy_min_opset=12,
                dynamo=True,
                note="Einsum-12",
                source=_measured(
                    "einsum 'bnd,bmd->bnm' and 'bchw,bc->bhw': legacy 11 raises, 12 matches; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "triu_tril",
                legacy_min_opset=14,
                dynamo=True,
                note="Trilu-14",
                source=_measured("torch.triu(x), x.tril(-1): legacy 13 raises, 14 matches; dynamo 20 matches"),
            ),
            OpRequirement(
                "scaled_dot_product_attention",
                legacy_min_opset=14,
                dynamo=True,
                note="the TorchScript symbolic lives in symbolic_opset14",
                source=_measured(
                    "F.scaled_dot_product_attention, causal and not: legacy 13 raises, 14 matches; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "roll.flat",
                legacy_min_opset=None,
                dynamo=True,
                note="torch.roll without dims: the TorchScript symbolic asserts len(shifts) == len(dims)",
                source=_measured("torch.roll(x, 3), x.roll(3), dims=None: legacy 11/17/20 raise; dynamo 20 matches"),
            ),
            OpRequirement(
                "roll.dims",
                legacy_min_opset=9,
                dynamo=True,
                note="Slice + Concat; fine everywhere",
                source=_measured(
                    "torch.roll(x, 3, 2), roll(shifts=-1, dims=-1), shifts/dims tuples: legacy 9/11/13/17 and dynamo 20 match"
                ),
            ),
            OpRequirement(
                "pad.reflect",
                legacy_min_opset=9,
                dynamo=True,
                note="constant pad amounts; fine at every opset measured",
                source=_measured(
                    "F.pad mode='reflect' 3-D/4-D and nn.ReflectionPad2d: legacy 9/10/11 (dynamic and static) and dynamo 18 match"
                ),
            ),
            OpRequirement(
                "pad.replicate",
                legacy_min_opset=9,
                dynamo=True,
                note="constant pad amounts; fine at every opset measured",
                source=_measured(
                    "F.pad mode='replicate' 3-D/4-D: legacy 9/10/11 (dynamic and static) and dynamo 18 match"
                ),
            ),
            OpRequirement(
                "pad.circular",
                legacy_min_opset=9,
                dynamo=True,
                note="exported as Slice + Concat (Pad mode=wrap is opset 19); fine at every opset measured",
                source=_measured(
                    "F.pad mode='circular' 3-D/4-D: legacy 9/10/11 (dynamic and static) and dynamo 18 match"
                ),
            ),
            OpRequirement(
                "pad.dynamic_amount",
                legacy_min_opset=11,
                dynamo=True,
                note="Pad takes its amounts as an input from opset 11; before, 'The sizes of the padding must be "
                "constant' (any mode, also with static shapes: the amounts are traced size arithmetic)",
                source=_measured(
                    "F.pad with amounts computed from x.shape, constant and reflect: legacy 9/10 raise (dynamic and static), 11/17 match; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "adaptive_pool.one",
                legacy_min_opset=9,
                dynamo=True,
                note="output size 1 is a global pool: fine everywhere",
                source=_measured(
                    "adaptive_avg_pool2d / adaptive_max_pool2d to 1 and (1, 1): legacy 11/17/20 and dynamo 20 match, dynamic and static"
                ),
            ),
            OpRequirement(
                "adaptive_avg_pool",
                legacy_min_opset=None,
                dynamo=False,
                note="output size other than 1: the TorchScript exporter raises under dynamic height/width "
                "('input size not accessible') and for sizes that do not divide the input; dynamo bakes a "
                "fixed-kernel pool: wrong numbers or shapes at other sizes (BAKED). Static shapes: legacy "
                "divisible and dynamo any size matched; adaptive_avg_pool3d fails under dynamo",
                source=_measured(
                    "adaptive_avg_pool1d/2d (3, 3), 4, (None, 4), nn.AdaptiveAvgPool2d((7, 7)): legacy 11/17/20 raise, dynamo 20 BAKED with dynamic H/W"
                ),
            ),
            OpRequirement(
                "adaptive_max_pool",
                legacy_min_opset=None,
                dynamo=False,
                note="like adaptive_avg_pool (raise / BAKED with dynamic height/width); a size that does not "
                "divide the input fails with both exporters even with static shapes (no dynamo translation)",
                source=_measured(
                    "adaptive_max_pool2d 4 and 3: legacy 11/17/20 raise; dynamo 20 BAKED (divisible) or raises (not)"
                ),
            ),
            OpRequirement(
                "cumprod",
                legacy_min_opset=None,
                dynamo=False,
                note="no TorchScript symbolic; dynamo has no translation for prims.prod",
                source=_measured("x.cumprod(-1), torch.cumprod: legacy 11/17/20 and dynamo 20 raise"),
            ),
            OpRequirement(
                "cummax",
                legacy_min_opset=None,
                dynamo=False,
                note="torch.cummax / cummin: no translation in either exporter",
                source=_measured("cummax, cummin: legacy 17 and dynamo 20 raise"),
            ),
            OpRequirement(
                "logcumsumexp",
                legacy_min_opset=None,
                dynamo=True,
                note="no TorchScript symbolic",
                source=_measured("torch.logcumsumexp: legacy 13/17/20 raise; dynamo 20 matches"),
            ),
            OpRequirement(
                "linalg.inv",
                legacy_min_opset=None,
                dynamo=False,
                note="no ONNX matrix inverse; no translation for aten.linalg_inv_ex",
                source=_measured("torch.linalg.inv, torch.inverse: legacy 17/20 and dynamo 20 raise"),
            ),
            OpRequirement(
                "linalg.decomposition",
                legacy_min_opset=None,
                dynamo=False,
                note="solve, lstsq, svd/svdvals, eig/eigvals, eigh/eigvalsh, qr, cholesky, pinv, slogdet, "
                "matrix_exp: no translation in either exporter",
                source=_measured("each of those (torch.linalg.* and torch.svd): legacy 17 and dynamo 20 raise"),
            ),
            OpRequirement(
                "linalg.det",
                legacy_min_opset=11,
                dynamo=True,
                note="Det-11; torch.linalg.det, torch.det, torch.logdet matched",
                source=_measured(
                    "linalg.det, det: legacy 11/17 and dynamo 20 match; logdet legacy 17 and dynamo 20 match"
                ),
            ),
            OpRequirement(
                "linalg.norm",
                legacy_min_opset=11,
                dynamo=True,
                note="norm, vector_norm, matrix_norm, cross, matmul: fine",
                source=_measured(
                    "torch.linalg.norm/vector_norm/matrix_norm/cross/matmul: legacy 11 and dynamo 20 match"
                ),
            ),
            OpRequirement(
                "median",
                legacy_min_opset=None,
                dynamo=False,
                note="median (with or without dim), nanmedian, kthvalue, mode: no translation in either exporter",
                source=_measured(
                    "x.median(dim=-1), x.median(), nanmedian, kthvalue, mode: legacy 11/17/20 and dynamo 20 raise"
                ),
            ),
            OpRequirement(
                "quantile",
                legacy_min_opset=None,
                dynamo=True,
                note="quantile / nanquantile: no TorchScript symbolic",
                source=_measured(
                    "torch.quantile(x, 0.3, dim=1), nanquantile: legacy 11/13/17/20 raise; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "searchsorted",
                legacy_min_opset=None,
                dynamo=False,
                note="no translation in either exporter (torch.bucketize exports)",
                source=_measured("torch.searchsorted: legacy 11/17 and dynamo 20 raise"),
            ),
            OpRequirement(
                "bucketize",
                legacy_min_opset=11,
                dynamo=True,
                note="fine everywhere",
                source=_measured("torch.bucketize: legacy 11 and dynamo 20 match"),
            ),
            OpRequirement(
                "bincount",
                legacy_min_opset=None,
                dynamo=True,
                note="no TorchScript symbolic",
                source=_measured(
                    "torch.bincount(minlength=10): legacy 11/13/17/20 raise; dynamo 20 matches (dynamic and static)"
                ),
            ),
            OpRequirement(
                "histc",
                legacy_min_opset=None,
                dynamo=True,
                note="no TorchScript symbolic",
                source=_measured("torch.histc(bins=5): legacy 11/13/17/20 raise; dynamo 20 matches"),
            ),
            OpRequirement(
                "histogram",
                legacy_min_opset=None,
                dynamo=False,
                note="no translation in either exporter",
                source=_measured("torch.histogram(bins=5): legacy 17 and dynamo 20 raise"),
            ),
            OpRequirement(
                "cdist",
                legacy_min_opset=11,
                dynamo=False,
                note="legacy computes sqrt(|x|^2 + |y|^2 - 2xy): distances near 0 are off by up to ~1e-3 "
                "(cdist(x, x) failed the 1e-4 tolerance on its zero diagonal); dynamo has no translation for "
                "aten._cdist_forward",
                source=_measured(
                    "cdist(x, y): legacy 11/17 match; cdist(x, x) legacy WRONG on the diagonal; dynamo 20 raises, dynamic and static"
                ),
            ),
            OpRequirement(
                "unique",
                legacy_min_opset=11,
                dynamo=True,
                note="fine everywhere (sorted, return_counts, dim=; return_inverse=True: see unique.return_inverse)",
                source=_measured("torch.unique variants: legacy 11 and dynamo 20 match"),
            ),
            OpRequirement(
                "unique.return_inverse",
                legacy_min_opset=None,
                dynamo=True,
                note="torch.unique(..., return_inverse=True) on an input of more than one dimension: the "
                "TorchScript exporter returns the inverse indices flattened (wrong shape, no error); "
                "dynamo keeps the input's shape",
                source=_measured(
                    "unique((x * 2).round(), return_inverse=True) on 1x3x8x8: legacy 11 WRONG (inverse (192,)); dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "unique_consecutive",
                legacy_min_opset=None,
                dynamo=False,
                note="no TorchScript symbolic; dynamo supports int32/int64 input only",
                source=_measured("unique_consecutive on float: legacy 11/13/17/20 and dynamo 20 raise"),
            ),
            OpRequirement(
                "special_functions",
                legacy_min_opset=None,
                dynamo=False,
                note="erfinv, lgamma, digamma (and their torch.special names): no translation in either exporter",
                source=_measured("torch.erfinv, lgamma, digamma: legacy 11 and dynamo 20 raise"),
            ),
            OpRequirement(
                "cov",
                legacy_min_opset=None,
                dynamo=False,
                note="torch.cov / corrcoef: no TorchScript symbolic; dynamo hits a data-dependent aten.equal",
                source=_measured("torch.cov: legacy 11 and dynamo 20 raise"),
            ),
            OpRequirement(
                "torchscript_missing",
                legacy_min_opset=None,
                dynamo=True,
                note="diff, trace, diag, nanmean, count_nonzero, renorm: no TorchScript symbolic; dynamo matched",
                source=_measured("each: legacy 11/13/17/20 raise (renorm: 11); dynamo 20 matches"),
            ),
            OpRequirement(
                "kron",
                legacy_min_opset=None,
                dynamo=False,
                note="no TorchScript symbolic; dynamo fails under dynamic shapes",
                source=_measured("torch.kron: legacy 11/13/17/20 raise; dynamo 20 raises with dynamic dims"),
            ),
            OpRequirement(
                "one_hot.auto",
                legacy_min_opset=None,
                dynamo=False,
                note="F.one_hot without num_classes (or -1) takes the class count from the data: the TorchScript "
                "exporter writes a OneHot the checker rejects (negative depth); dynamo raises "
                "GuardOnDataDependentSymNode",
                source=_measured(
                    "F.one_hot(x), F.one_hot(x, -1): legacy 11/17 CHECKER; dynamo 20 raises; with num_classes=8 both match"
                ),
            ),
            OpRequirement(
                "repeat_interleave.tensor",
                legacy_min_opset=None,
                dynamo=True,
                note="repeats given as a tensor: the TorchScript exporter's model fails to load or run in "
                "onnxruntime (Concat shape merge); dynamo matched (constant and data-dependent repeats)",
                source=_measured(
                    "x.repeat_interleave(torch.tensor([1, 2, 3]), dim=1): legacy 11/17/20 ORT-LOAD; data-dependent repeats ORT-RUN; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "affine_grid",
                legacy_min_opset=20,
                dynamo=True,
                note="AffineGrid-20; the dynamo exporter fails when the size comes from a dynamic height/width "
                "(a constant size, static shapes or a dynamic batch only matched)",
                source=_measured(
                    "F.affine_grid(theta, list(x.shape)): legacy 17 raises, 20 matches; dynamo 20 raises with dynamic H/W"
                ),
            ),
            OpRequirement(
                "affine_grid.dynamic_size",
                legacy_min_opset=20,
                dynamo=False,
                note="F.affine_grid with a size taken from a dynamic height/width under dynamo: 'conflicts "
                "between user-specified ranges and inferred ranges'",
                source=_measured(
                    "F.affine_grid(theta, list(x.shape)) with dynamic H/W: dynamo 20 raises; batch-only dynamic matches"
                ),
            ),
            OpRequirement(
                "linspace.size_steps",
                legacy_min_opset=11,
                dynamo=False,
                note="torch.linspace with a step count taken from a dynamic size: dynamo raises (constraint "
                "conflict); static sizes and the TorchScript exporter matched",
                source=_measured(
                    "x + torch.linspace(-1, 1, x.shape[-1]): dynamo 20 raises with a dynamic last dim; legacy 17 matches"
                ),
            ),
            OpRequirement(
                "remainder.size_float",
                legacy_min_opset=11,
                dynamo=False,
                note="`%` / torch.remainder by a float computed from a size: dynamo raises ('float() argument "
                "must be ... not SymbolicTensor'); an int divisor and torch.fmod matched",
                source=_measured(
                    "torch.remainder(x, (x.shape[-1] - 1) / 2), x % (...): dynamo 20 raises; x % (x.shape[-1] - 1) and fmod match; legacy 17 matches"
                ),
            ),
            OpRequirement(
                "arange.size_float",
                legacy_min_opset=11,
                dynamo=False,
                note="torch.arange with a float step computed from a size: dynamo raises (control flow on a "
                "traced value)",
                source=_measured("torch.arange(0, 1, 1 / x.shape[-1]): dynamo 20 raises with a dynamic last dim"),
            ),
        )
    }
)

# Numerics and semantics (rules ONX402-ONX408), measured with those rules' PATTERNS and, for the
# entries no rule flags, with the same classification (onnxlint.measure) on tiny models.
_LEGACY_9_TO_17 = "TorchScript exporter at opsets 9, 10, 11, 17"
OP_REQUIREMENTS.update(
    {
        entry.key: entry
        for entry in (
            # -- interpolation below opset 11 -------------------------------------------------------
            OpRequirement(
                "resize.linear_half_pixel",
                legacy_min_opset=11,
                dynamo=True,
                note="linear/bilinear/trilinear with align_corners=False: Upsample-9/10 has no half-pixel "
                "mapping, so the TorchScript exporter writes an asymmetric resize with wrong numbers (a constant "
                "size= under dynamic axes raises instead); bicubic has no Upsample-9/10 form and raises",
                source=_measured(
                    "F.interpolate bilinear/linear/trilinear align_corners=False scale 2: legacy 9/10 WRONG (max abs "
                    "diff 0.49-2.1), 11 and dynamo 20 match; bicubic: legacy 9/10 raise"
                ),
            ),
            # -- writing into tensors by index --------------------------------------------------------
            OpRequirement(
                "index_put",
                legacy_min_opset=11,
                dynamo=True,
                note="y[...] = v, y[mask] = v, y[i] += v, index_put_: the TorchScript exporter raises 'ONNX export "
                "of index_put in opset 9. Please try opset version 11' below 11; masked_fill_ exports at 9",
                source=_measured(
                    "slice, index, mask and index_put_ assignment: legacy 9/10 raise; legacy 11/17 and dynamo 20 match"
                ),
            ),
            OpRequirement(
                "index_put.number_fill",
                legacy_min_opset=11,
                dynamo=True,
                note="y[mask] = 0 and y[index_tensor] = 0 (one boolean mask or one integer index tensor, a Python "
                "number): traced as index_put, like every assignment by index (see `index_put`); torch 2.15 "
                "traces them as masked_fill_ / index_fill_ (see TORCH_CHANGES)",
                source=_measured("ONX403 mask_assign, index_tensor_assign: legacy 9/10 raise; legacy 11 matches"),
            ),
            OpRequirement(
                "slice_assign.other_region",
                legacy_min_opset=11,
                dynamo=False,
                note="y[:, :, :2] = x[:, :, -2:] (a fixed-size slice copied from another region) under dynamo with "
                "a batch-1 example input and dynamic batch + height/width: the graph reshapes to batch 1 and fails on "
                "other batch sizes; a batch-2 example, static batch, the same region, an index (y[:, 0] = ...), a "
                "constant or 0-d value, and torch.cat rewrites matched",
                source=_measured(
                    "dynamo 20: 9 forms BAKED, 8 forms ok; legacy 11/17 match (legacy 9/10: see index_put)"
                ),
            ),
            OpRequirement(
                "inplace_on_inputs",
                legacy_min_opset=9,
                dynamo=True,
                note="x += 1, x.relu_(), x.add_(t), x.mul_(2.0), x.clamp_(), F.relu(x, inplace=True) on forward's "
                "inputs: fine everywhere (no rule)",
                source=_measured(f"{_LEGACY_9_TO_17} and dynamo 20 match"),
            ),
            # -- scalars and dtypes ------------------------------------------------------------------
            OpRequirement(
                "where.python_scalar",
                legacy_min_opset=9,
                dynamo=True,
                note="torch.where / masked_fill with Python float or int scalars against float16, int32 and int64 "
                "tensors (and -inf, -1e4 on float16): values and dtypes match everywhere (no rule)",
                source=_measured(f"16 forms, {_LEGACY_9_TO_17} (9/10 and 11: dtype checked too) and dynamo 20"),
            ),
            OpRequirement(
                "add.bool",
                legacy_min_opset=None,
                dynamo=False,
                note="bool + bool (and +=): ONNX Add has no bool type; onnx.checker rejects both exporters' models. "
                "bool * bool, bool + int and bool * float export fine",
                source=_measured("(x > 0) + (x < 0.5): legacy 9/11/13/17 and dynamo 20 CHECKER"),
            ),
            OpRequirement(
                "cumsum",
                legacy_min_opset=11,
                dynamo=True,
                note="CumSum is opset 11: the TorchScript exporter raises below it (any dtype)",
                source=_measured("x.cumsum(-1) and (x > 0).long().cumsum(-1): legacy 9 raises; 11/17, dynamo 20 match"),
            ),
            OpRequirement(
                "cumsum.bool",
                legacy_min_opset=None,
                dynamo=True,
                note="cumsum of a bool tensor: the TorchScript exporter writes CumSum on bool (checker rejects it; "
                "below opset 11 cumsum itself raises); dynamo casts first. .to(torch.int64) first matched everywhere; "
                ".to(torch.int32) exports an int32 result where PyTorch returns int64",
                source=_measured("(x > 0).cumsum(-1): legacy 11/13/17 CHECKER, 9 raises; dynamo 20 matches"),
            ),
            OpRequirement(
                "reduce_max.bool",
                legacy_min_opset=None,
                dynamo=True,
                note="max/min/amax/amin (all, or values with dim) and maximum/minimum of bool tensors: the "
                "TorchScript exporter writes ReduceMax/ReduceMin/Max/Min on bool (checker rejects it); dynamo matched. "
                "any()/all() and | / & matched everywhere",
                source=_measured("legacy 9/11/13/17 CHECKER; dynamo 20 matches"),
            ),
            OpRequirement(
                "argmax.bool",
                legacy_min_opset=None,
                dynamo=False,
                note="the indices of max(dim)/min(dim) on a bool tensor: ArgMax on bool, rejected by the checker",
                source=_measured("(x > 0).max(dim=1)[1]: legacy 9/11/13/17 and dynamo 20 CHECKER"),
            ),
            OpRequirement(
                "sort.bool",
                legacy_min_opset=None,
                dynamo=False,
                note="sort/argsort of a bool tensor: TopK on bool, rejected by the checker (argsort below 11 raises)",
                source=_measured("(x > 0).sort(dim=1), argsort: legacy 11/17 and dynamo 20 CHECKER"),
            ),
            OpRequirement(
                "bool.sum_prod_mul",
                legacy_min_opset=9,
                dynamo=True,
                note="sum, prod, any, all, bool * bool, bool * int, bool + int of bool tensors: fine (no rule)",
                source=_measured("legacy 9/11/13/17 and dynamo 20 match"),
            ),
            # -- random ops ---------------------------------------------------------------------------
            OpRequirement(
                "random.sampling",
                legacy_min_opset=9,
                dynamo=True,
                note="rand, rand_like, randn, randn_like, randint, randint_like, bernoulli (function, method, "
                "bernoulli_(p)): RandomUniformLike / RandomNormalLike / Bernoulli, new values on every run, shapes right",
                source=_measured(f"{_LEGACY_9_TO_17}, 13 and dynamo 20: two onnxruntime runs differ, shapes match"),
            ),
            OpRequirement(
                "random.normal",
                legacy_min_opset=11,
                dynamo=True,
                note="torch.normal and Tensor.normal_: the TorchScript exporter raises below opset 11",
                source=_measured("legacy 9/10 raise; legacy 11/13/17 and dynamo 20 random"),
            ),
            OpRequirement(
                "random.multinomial_without_replacement",
                legacy_min_opset=None,
                dynamo=True,
                note="torch.multinomial(p, n) with n > 1 and replacement=False: the TorchScript exporter raises; "
                "replacement=True or n == 1 export (ONNX Multinomial)",
                source=_measured("legacy 9/10/11/13/17 raise; dynamo 20 random; replacement=True legacy 11/17 random"),
            ),
            OpRequirement(
                "random.multinomial",
                legacy_min_opset=11,
                dynamo=True,
                note="torch.multinomial with replacement=True or one sample: ONNX Multinomial, random on every run",
                source=_measured(
                    "multinomial(p, 2, replacement=True), multinomial(p, 1): legacy 11/17, dynamo 20 random"
                ),
            ),
            OpRequirement(
                "random.generator",
                legacy_min_opset=None,
                dynamo=False,
                note="a torch.Generator passed as generator=: the TorchScript exporter raises ('Unsupported "
                "prim::Constant kind: ival'), and so does dynamo",
                source=_measured("torch.rand(x.shape, generator=g): legacy 9/11/17 and dynamo 20 raise"),
            ),
            OpRequirement(
                "random.generator_none",
                legacy_min_opset=9,
                dynamo=False,
                note="generator=None written out: the dynamo exporter raises; the TorchScript exporter ignores it",
                source=_measured("torch.rand(x.shape, generator=None): dynamo 20 raises; legacy 9/11/17 random"),
            ),
            OpRequirement(
                "random.distribution_inplace",
                legacy_min_opset=None,
                dynamo=True,
                note="exponential_, log_normal_, cauchy_, geometric_: no TorchScript symbolic; dynamo writes random ops",
                source=_measured("legacy 11/17 raise; dynamo 20 random"),
            ),
            OpRequirement(
                "random.unsupported",
                legacy_min_opset=None,
                dynamo=False,
                note="uniform_, random_, randperm, poisson: no translation in either exporter",
                source=_measured("legacy 9/11/17 raise; dynamo 20 raises"),
            ),
            OpRequirement(
                "dropout.training",
                legacy_min_opset=12,
                dynamo=True,
                note="F.dropout / torch.dropout with training=True (F.dropout's default): Dropout-12 carries "
                "training_mode; at opset <= 11 the TorchScript exporter writes a Dropout that onnxruntime runs as the "
                "identity (RAND-FROZEN); from 12 and with dynamo the ONNX model drops random values on every run",
                source=_measured(
                    "legacy 9/10/11 identical runs (output == input); legacy 12/13/17 and dynamo 20 random"
                ),
            ),
            OpRequirement(
                "feature_dropout.training",
                legacy_min_opset=None,
                dynamo=True,
                note="dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout in training mode: the TorchScript exporter "
                "raises ('feature_dropout, training mode'); dynamo writes random ops",
                source=_measured("legacy 9-17 raise; dynamo 20 random"),
            ),
            # -- tensors built from Python values -------------------------------------------------------
            OpRequirement(
                "tensor.from_sizes",
                legacy_min_opset=None,
                dynamo=True,
                note="torch.tensor / as_tensor of a list or tuple holding sizes or tensors, or of x.shape: the "
                "TorchScript exporter records a constant (BAKED); torch.tensor(x.shape[-1]) (one size) stays "
                "dynamic; torch.stack([torch.tensor(h), torch.tensor(w)]) matched everywhere",
                source=_measured(
                    "torch.tensor([h, w]), torch.tensor(x.shape), torch.tensor([t.mean(), t.std()]): legacy 11/17 "
                    "BAKED; dynamo 20 matches"
                ),
            ),
            OpRequirement(
                "as_tensor.size",
                legacy_min_opset=11,
                dynamo=False,
                note="torch.as_tensor of a size, a shape or a list of sizes under dynamo: the size is specialised "
                "('conflicts between user-specified ranges and inferred ranges') and the export fails; "
                "torch.tensor(size) exports",
                source=_measured("torch.as_tensor(x.shape[-1]): dynamo 20 raises; legacy 11/17 match"),
            ),
        )
    }
)

# Data-dependent sizes and Python values from sizes (rules ONX203-ONX205, ONX301, ONX302), measured
# with those rules' PATTERNS (onnxlint.measure: the second input changes batch + 1, H/W + 3).
OP_REQUIREMENTS.update(
    {
        entry.key: entry
        for entry in (
            OpRequirement(
                "masked_select",
                legacy_min_opset=11,
                dynamo=False,
                note="the TorchScript exporter writes NonZero + GatherND (GatherND is opset 11); the dynamo "
                "exporter has no translation ('No ONNX function found for aten.masked_select')",
                source=_measured("torch.masked_select(x, x > 0): legacy 9/10 raise, 11/17 match; dynamo 20 raises"),
            ),
            OpRequirement(
                "boolean_mask_index",
                legacy_min_opset=11,
                dynamo=True,
                note="x[mask] (reading) with a boolean mask: below opset 11 the TorchScript exporter writes a model "
                "onnx.checker rejects (Squeeze shape inference)",
                source=_measured("x[x > 0]: legacy 9/10 CHECKER, 11/13/17 match; dynamo 20 matches"),
            ),
            OpRequirement(
                "nonzero",
                legacy_min_opset=9,
                dynamo=True,
                note="torch.nonzero, nonzero(as_tuple=True), torch.where(cond): data-dependent output size, "
                "fine in onnxruntime (runtimes without dynamic output shapes: see the target profiles)",
                source=_measured("torch.nonzero(x > 0): legacy 9/11/17 and dynamo 20 match at two inputs"),
            ),
            OpRequirement(
                "factory.sized_by_tensor_value",
                legacy_min_opset=None,
                dynamo=True,
                note="torch.zeros/ones/full/empty/randn/eye/arange and x.new_zeros/new_full sized by int(t), "
                "float(t) or t.item() of a tensor: the TorchScript exporter bakes the conversion (ONX202); "
                "dynamo keeps it symbolic. Sized by the 0-d tensor itself (torch.zeros(n), "
                "torch.arange((x > 0).sum())): matched everywhere",
                source=_measured(
                    "torch.zeros(int(n)), torch.full((int(n), 2), 1.0), torch.arange(int(t.max())), "
                    "torch.ones/empty/randn(int(n)), torch.eye, x.new_zeros/new_full: legacy 9/11/17 BAKED; dynamo 20 "
                    "matches; torch.zeros(n), torch.arange((x > 0).sum()): legacy 11/17, dynamo 20 match"
                ),
            ),
            # Python math on sizes: under the TorchScript exporter a size is a traced 0-d tensor and
            # math.* turns it into a constant; dynamo keeps some as symbolic expressions.
            *(
                OpRequirement(
                    f"math.{function}.size",
                    legacy_min_opset=legacy,
                    dynamo=dynamo,
                    note=note,
                    source=_measured(detail),
                )
                for function, legacy, dynamo, note, detail in (
                    (
                        "ceil",
                        None,
                        True,
                        "math.ceil of a size: legacy bakes; dynamo symbolic",
                        "F.interpolate(size=math.ceil(h / 4) * 4): legacy 17 BAKED; dynamo 20 matches (Dim.DYNAMIC, AUTO)",
                    ),
                    (
                        "floor",
                        None,
                        True,
                        "math.floor of a size: legacy bakes; dynamo symbolic",
                        "math.floor(h / 2) as a size: legacy 17 BAKED; dynamo 20 matches (Dim.DYNAMIC, AUTO)",
                    ),
                    (
                        "trunc",
                        None,
                        True,
                        "math.trunc of a size: legacy raises (Tensor has no __trunc__); dynamo symbolic",
                        "x * math.trunc(w / 3): legacy 9/17 raise; dynamo 20 matches",
                    ),
                    (
                        "pow",
                        None,
                        True,
                        "math.pow of a size: legacy bakes; dynamo symbolic",
                        "x * math.pow(w, 0.5): legacy 9/17 BAKED; dynamo 20 matches",
                    ),
                    (
                        "prod",
                        9,
                        True,
                        "math.prod of sizes: stays dynamic with both exporters",
                        "x.reshape(x.shape[0], math.prod(x.shape[1:])): legacy 9/17, dynamo 20 match (Dim.DYNAMIC, AUTO)",
                    ),
                    (
                        "sqrt",
                        None,
                        False,
                        "math.sqrt of a size: legacy bakes; dynamo has no translation for "
                        "sym_sqrt (Dim.DYNAMIC) or bakes it (Dim.AUTO)",
                        "x / math.sqrt(w): legacy 17 BAKED; dynamo 20 raises (DYNAMIC), BAKED (AUTO); w ** 0.5 matches",
                    ),
                    (
                        "log2",
                        None,
                        False,
                        "math.log2 of a size: legacy bakes; dynamo specialises the size and fails",
                        "x * math.log2(w): legacy 9/17 BAKED; dynamo 20 raises",
                    ),
                    (
                        "isqrt",
                        None,
                        False,
                        "math.isqrt of a size: legacy bakes; dynamo specialises the size and fails",
                        "x * math.isqrt(w): legacy 9/17 BAKED; dynamo 20 raises",
                    ),
                    (
                        "gcd",
                        None,
                        False,
                        "math.gcd of a size: legacy bakes; dynamo specialises the size and fails",
                        "x * math.gcd(w, 6): legacy 9/17 BAKED; dynamo 20 raises",
                    ),
                )
            ),
        )
    }
)


# Facts rules decide with that changed on a later tested torch (torch_info.TESTED_TORCH): requirement
# key -> ((first tested torch it holds for, the fields that changed), ...), oldest first. The
# entries of OP_REQUIREMENTS are the pinned torch's facts; `requirement()` applies these for the
# installed torch (torch_info.facts_version). Each change is measured by a rule's claim
# (`Claim.changed`), listed in docs/measurements.md, "Differences by torch version".
TORCH_CHANGES: dict[str, tuple[tuple[str, dict[str, object]], ...]] = {
    "index_put.number_fill": (
        (
            "2.15.0",
            {
                "legacy_min_opset": 9,
                "note": "torch 2.15 traces y[mask] = number as masked_fill_ (ONNX Where) and y[index_tensor] = "
                "number as index_fill_ (ONNX Scatter): the TorchScript exporter exports them at opset 9 and 10. "
                "Slices, tensor values, augmented assignment and index_put_ still raise below 11",
                "source": Source(
                    "measured",
                    "ONX403 mask_assign, index_tensor_assign: legacy 10 exports and matches on torch 2.15.0 "
                    "(raises on 2.13.0 and 2.14.1); onnx 1.23.2, onnxruntime 1.32.0",
                ),
            },
        ),
    ),
}


def requirement(key: str, torch_version: str | None = None) -> OpRequirement:
    """The requirement as measured on the tested torch whose facts apply to `torch_version` (default: installed)."""
    entry = OP_REQUIREMENTS[key]
    changes = TORCH_CHANGES.get(key)
    if not changes:
        return entry
    from dataclasses import replace

    from onnxlint.knowledge.torch_info import facts_version, version_tuple

    current = version_tuple(facts_version(torch_version))
    for since, fields in changes:
        if version_tuple(since) <= current:
            entry = replace(entry, **fields)  # type: ignore[arg-type]
    return entry


@dataclass(frozen=True)
class ExporterBehaviour:
    """A measured fact about how an exporter treats an export call's settings (not one op)."""

    key: str
    opset: int  # the opset the fact is about (its meaning is in `note`)
    note: str
    source: Source


EXPORTER_BEHAVIOUR: dict[str, ExporterBehaviour] = {
    "dynamo.down_conversion_fails_up_to": ExporterBehaviour(
        "dynamo.down_conversion_fails_up_to",
        opset=15,
        note=(
            "torch.onnx.export(dynamo=True, opset_version=N) with N < 18 translates at opset 18 and converts the model "
            "down with onnx's version converter; when that fails it logs a warning and writes opset 18. Requests at "
            "or below this opset failed for every model measured (Conv+ReLU: 'No Adapter From Version $14 for Relu'; "
            "NestedUNet-like Conv/BatchNorm/ReLU/MaxPool/Upsample/cat; Conv+BatchNorm+Upsample). Requests of 16 "
            "and 17 converted for those models and failed (opset 18 written) for a model with LayerNorm, "
            "reductions, reflect pad and GELU."
        ),
        source=Source("measured", f"opset_version 11, 13, 14, 15, 16, 17 with the dynamo exporter ({_MEASURED})"),
    ),
}


def behaviour(key: str) -> ExporterBehaviour:
    return EXPORTER_BEHAVIOUR[key]
