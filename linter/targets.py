"""What each exporter, opset and runtime supports: the one data module rules read from.

Every entry names its source: `measured` (exported and run here, on torch 2.13 / onnx 1.23 /
onnxruntime 1.32; see docs/measurements.md and ../shared/PITFALLS.md), `spec` (the ONNX operator
specification) or `doc` (a runtime's own documentation, cited). Rules must take thresholds and
runtime restrictions from here, not from constants of their own, so that one edit follows a
new torch or runtime release everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SourceKind = Literal["measured", "spec", "doc"]


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    detail: str  # what was measured, or the URL / section cited

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class OpRequirement:
    """When an op exports, by exporter.

    `legacy_min_opset`: the lowest opset at which the TorchScript exporter translates it (None:
    it never does). `dynamo`: whether the dynamo exporter (which translates at opset >= 18)
    exports it correctly.
    """

    key: str
    legacy_min_opset: int | None
    dynamo: bool
    note: str
    source: Source


@dataclass(frozen=True)
class Restriction:
    """Something a runtime does not run, or runs differently from PyTorch."""

    key: str  # the pattern it concerns, e.g. "resize.align_corners"
    message: str
    source: Source

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


_MEASURED = "torch 2.13.0 CPU, onnx 1.23.2, onnxruntime 1.32.0"

OP_REQUIREMENTS: dict[str, OpRequirement] = {
    "grid_sample": OpRequirement(
        "grid_sample",
        legacy_min_opset=16,
        dynamo=True,
        note="GridSample-16 is 4-D only; the TorchScript exporter rejects 5-D input below opset 20",
        source=Source(
            "measured", f"gs4_*, gs5_* in PITFALLS.md; legacy 16/17/20 and dynamo 18/20 re-measured ({_MEASURED})"
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

PROFILES: dict[str, TargetProfile] = {
    "onnxruntime": TargetProfile(
        "onnxruntime",
        "ONNX Runtime (CPU execution provider): every finding here was measured against it.",
        measured=True,
    ),
}
DEFAULT_TARGET = "onnxruntime"


def requirement(key: str) -> OpRequirement:
    return OP_REQUIREMENTS[key]


def profile(name: str) -> TargetProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown target {name!r} (known: {', '.join(PROFILES)})") from None
