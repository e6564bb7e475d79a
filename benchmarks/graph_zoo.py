"""The graph layer on model-zoo models: what it reports, how long it takes, against torch.onnx.export.

    python benchmarks/graph_zoo.py                      # every model below
    python benchmarks/graph_zoo.py resnet50 nested_unet # some of them (nested_unet: fixtures/, the seed article's)
    python benchmarks/graph_zoo.py --batch 2            # example batch (default 1, the seed article's)

Needs torch, torchvision, timm, onnx, onnxscript and onnxruntime beside onnxlint; weights are
never downloaded (weights=None / pretrained=False). For each model: `onnxlint.graph.analyze`
(capture, exporter decompositions, every graph check) and then `torch.onnx.export(dynamo=True)`
with the same example input and dynamic dims, each timed with a wall clock after a warm-up
export of a tiny model (so neither pays the first-export start-up cost). Prints a table, then
every finding.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# name -> (module or file, factory, args, kwargs, inputs, dynamic)
MODELS: dict[str, tuple[str, str, tuple, dict, list[str], list[str]]] = {
    "nested_unet": (
        str(FIXTURES / "nested_unet" / "model.py"),
        "NestedUNet",
        (),
        {"num_classes": 1, "input_channels": 3},
        ["{b}x3x256x256"],
        ["batch", "height", "width"],
    ),
    "resnet50": ("torchvision.models", "resnet50", (), {"weights": None}, ["{b}x3x224x224"], ["batch"]),
    "mobilenet_v2": ("torchvision.models", "mobilenet_v2", (), {"weights": None}, ["{b}x3x224x224"], ["batch"]),
    "raft_large": (
        "torchvision.models.optical_flow",
        "raft_large",
        (),
        {"weights": None},
        ["image1={b}x3x224x224", "image2={b}x3x224x224"],
        ["batch"],
    ),
    "retinanet_resnet50_fpn_v2": (
        "torchvision.models.detection",
        "retinanet_resnet50_fpn_v2",
        (),
        {"weights": None, "weights_backbone": None},
        ["{b}x3x320x320"],
        ["batch"],
    ),
    "swin_tiny_patch4_window7_224": (
        "timm",
        "create_model",
        ("swin_tiny_patch4_window7_224",),
        {"pretrained": False},
        ["{b}x3x224x224"],
        ["batch"],
    ),
    "vit_tiny_patch16_224": (
        "timm",
        "create_model",
        ("vit_tiny_patch16_224",),
        {"pretrained": False},
        ["{b}x3x224x224"],
        ["batch"],
    ),
}


@dataclass
class Row:
    name: str
    capture: str
    findings: str
    graph_s: float
    export_s: float
    export: str
    ops: int


def _spec(name: str, batch: int):
    from onnxlint.core.modelspec import ModelSpec, apply_dynamic, parse_input

    module, factory, args, kwargs, inputs, dynamic = MODELS[name]
    parsed = [parse_input(text.format(b=batch), i) for i, text in enumerate(inputs)]
    shapes = apply_dynamic(parsed, [",".join(dynamic)])
    if module.endswith(".py"):
        return ModelSpec(Path(module), None, factory, args, kwargs, shapes, None, name)
    return ModelSpec(None, module, factory, args, kwargs, shapes, None, name)


def _export(model, spec) -> tuple[float, str]:
    import torch

    from onnxlint.core.modelspec import make_inputs

    inputs = make_inputs(spec.inputs)
    dims = tuple({i: torch.export.Dim.DYNAMIC for i in s.dynamic} or None for s in spec.inputs)
    path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    start = time.perf_counter()
    try:
        torch.onnx.export(model, inputs, path, dynamo=True, dynamic_shapes=dims, verbose=False)
        outcome = "ok"
    except Exception as error:  # the comparison records failures too
        cause = error.__cause__ or error
        outcome = (
            f"failed: {type(cause).__name__}: {str(cause).strip().splitlines()[0][:80] if str(cause).strip() else ''}"
        )
    return time.perf_counter() - start, outcome


def _warm_up() -> None:
    import torch

    from onnxlint.core.modelspec import ModelSpec, parse_input
    from onnxlint.core.settings import LintSettings
    from onnxlint.graph import analyze

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()).eval()
    spec = ModelSpec(None, "torch.nn", "Identity", inputs=(parse_input("2x3x8x8", 0),), name="warm-up")
    analyze(spec, LintSettings(), model=model)
    _export(model, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=list(MODELS))
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--no-export", action="store_true", help="skip the torch.onnx.export comparison")
    options = parser.parse_args()

    import warnings

    warnings.filterwarnings("ignore")
    import logging

    logging.disable(logging.WARNING)
    import torch

    from onnxlint.core.modelspec import build_model
    from onnxlint.core.settings import LintSettings
    from onnxlint.graph import analyze

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, python {sys.version.split()[0]}")
    _warm_up()
    rows: list[Row] = []
    details: list[str] = []
    for name in options.models:
        spec = _spec(name, options.batch)
        torch.manual_seed(0)
        model = build_model(spec)
        report = analyze(spec, LintSettings(), model=model)
        counts = Counter(f.code for f in report.findings)
        export_s, outcome = (float("nan"), "skipped") if options.no_export else _export(model, spec)
        rows.append(
            Row(
                name,
                report.capture,
                ", ".join(f"{code}×{n}" for code, n in sorted(counts.items())) or "none",
                report.seconds,
                export_s,
                outcome,
                sum(report.op_counts.values()),
            )
        )
        details.append(
            f"\n{name}: {', '.join(s.describe() for s in spec.inputs)}; "
            + ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
        )
        for failure in report.failures:
            details.append(f"  capture failure: {failure}")
        for finding in report.findings:
            where = f"{os.path.relpath(finding.filename) if not finding.filename.startswith('<') else finding.filename}"
            details.append(f"  {finding.code} {where}:{finding.start.row}: {finding.message[:220]}")
        print(f"done {name}: graph {report.seconds:.1f} s, export {export_s:.1f} s ({outcome})", flush=True)

    print()
    print(
        "| model | capture | ops | graph findings | graph layer (s) | torch.onnx.export (s) | graph / export | export |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = row.graph_s / row.export_s if row.export_s == row.export_s and row.export_s > 0 else float("nan")
        print(
            f"| {row.name} | {row.capture} | {row.ops} | {row.findings} | {row.graph_s:.1f} | {row.export_s:.1f} | "
            f"{ratio:.2f} | {row.export} |"
        )
    print("\n".join(details))


if __name__ == "__main__":
    main()
