"""What one run of the graph layer returns (imports no torch)."""

from __future__ import annotations

from dataclasses import dataclass, field

from onnxlint.core.findings import Finding


@dataclass
class GraphReport:
    """The findings of tracing one model, and how the tracing went.

    `capture`: which capture succeeded: "export-nonstrict", "export-strict", "fx" or "failed"
    ("skipped": `--model auto` found nothing to feed the model).
    `seconds`: wall time of the whole analysis (building the model included).
    `op_counts`: ATen operators of the captured graph (before the exporter's decompositions).
    """

    label: str
    findings: list[Finding] = field(default_factory=list)
    capture: str = "failed"
    seconds: float = 0.0
    op_counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # "strategy: first line of the error", per failed attempt
    notes: list[str] = field(default_factory=list)  # what was guessed, skipped or adjusted
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: build, capture, decompose, checks
