"""Helpers for `make demo`: a seeded checkpoint, and two export reports side by side.

    python -m onnxlint.verify.demo weights fixtures/nested_unet/model.py 'NestedUNet(num_classes=1)' .demo/best_model.pth
    python -m onnxlint.verify.demo compare .demo/seed.json .demo/default.json --labels "seed call" "default"

`weights` stands in for training: it builds the model with a fixed seed, gives every BatchNorm
non-trivial running statistics (so that eval mode differs from training mode, as after real
training) and saves the state dict, which is what the seed article's script loads.
`compare` reads `onnxlint export --format json` (or `--report x.json`) reports.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def make_weights(file: Path, constructor: str, output: Path, seed: int = 0) -> Path:
    import torch

    from onnxlint.core.modelspec import build_model, spec_from_cli

    spec = spec_from_cli(file, constructor, ["1x1"], [], None)  # inputs are not used to build
    torch.manual_seed(seed)
    model = build_model(spec)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for module in model.modules():
            # Batch norms (and norms tracking running stats): duck-typed, torch's _BatchNorm base is private.
            if isinstance(getattr(module, "running_mean", None), torch.Tensor) and isinstance(
                getattr(module, "running_var", None), torch.Tensor
            ):
                size = module.running_mean.shape
                module.running_mean.copy_(torch.randn(size, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(size, generator=generator) * 0.5 + 0.75)
    output.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), output)
    return output


def _row(report: dict[str, Any]) -> dict[str, str]:
    onnx = report.get("onnx") or {}
    settings = report.get("settings") or {}
    stages = {s["name"]: s for s in report.get("stages", [])}
    parity = report.get("parity") or []

    def stage(name: str) -> str:
        entry = stages.get(name)
        if entry is None:
            return "-"
        text = entry["status"]
        if entry.get("seconds") is not None and entry["status"] != "skipped":
            text += f" ({entry['seconds']:.1f} s)"
        return text

    export = stages.get("export") or {}
    requested = settings.get("opset")
    worst = max((p["max_abs"] for p in parity if p.get("max_abs") is not None), default=None)
    return {
        "exporter": str(settings.get("exporter")),
        "opset requested": "default" if requested is None else str(requested),
        "opset in the file": str(onnx.get("opset", "-")),
        "input shape": " ".join("x".join(str(d) for d in i["shape"]) for i in onnx.get("inputs", [])) or "-",
        "nodes": str(onnx.get("nodes", "-")),
        "file size": f"{onnx['size_bytes'] / 1e6:.1f} MB" if onnx.get("size_bytes") else "-",
        "export": stage("export"),
        "why": _why(export, requested, onnx.get("opset")),
        "checker": stage("checker"),
        "onnxruntime": stage("onnxruntime"),
        "parity": stage("parity"),
        "input sets checked": ", ".join(p["label"] for p in parity) or "-",
        "max abs diff": "-" if worst is None else f"{worst:.1e}",
        "result": "passed" if report.get("passed") else "failed",
        "total time": f"{report.get('total_seconds', 0):.1f} s",
    }


def _why(export: dict[str, Any], requested: int | None, written: int | None) -> str:
    if requested is not None and written is not None and requested != written:
        return f"asked for opset {requested}, the file has {written}"
    if export.get("status") == "failed":
        return (export.get("reason") or "")[:60]
    return "-"


def compare(paths: list[Path], labels: list[str]) -> str:
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    rows = [_row(r) for r in reports]
    labels = labels or [p.stem for p in paths]
    keys = list(rows[0])
    key_width = max(len(k) for k in keys)
    widths = [max(len(label), *(len(row[k]) for k in keys)) for label, row in zip(labels, rows)]
    lines = ["  ".join([" " * key_width, *(label.ljust(w) for label, w in zip(labels, widths))])]
    lines.append("  ".join(["-" * key_width, *("-" * w for w in widths)]))
    for key in keys:
        lines.append("  ".join([key.ljust(key_width), *(row[key].ljust(w) for row, w in zip(rows, widths))]))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m onnxlint.verify.demo")
    commands = parser.add_subparsers(dest="command", required=True)
    weights = commands.add_parser("weights", help="save a seeded state dict for a model")
    weights.add_argument("file", type=Path)
    weights.add_argument("constructor")
    weights.add_argument("output", type=Path)
    weights.add_argument("--seed", type=int, default=0)
    side = commands.add_parser("compare", help="print export reports (JSON) side by side")
    side.add_argument("reports", type=Path, nargs="+")
    side.add_argument("--labels", nargs="*", default=[])
    args = parser.parse_args(argv)
    if args.command == "weights":
        path = make_weights(args.file, args.constructor, args.output, args.seed)
        print(f"wrote {path} (seeded state dict, seed {args.seed})")
        return 0
    sys.stdout.write(compare(args.reports, args.labels))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
