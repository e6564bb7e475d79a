"""What `onnxlint export` costs over the seed article's hand-written export script, on NestedUNet.

    python benchmarks/export_overhead.py [--runs 5]

Each run is a fresh process (imports included), timed end to end, with the same seeded
checkpoint (made once, under benchmarks/.cache/). Runs alternate between the commands so that a
busy machine slows all of them alike; medians are reported.

- `plain (same export)`: the seed's steps (build, load the .pth, torch.onnx.export with a
  dynamic batch, onnx.checker, an onnxruntime session and run, eager PyTorch, max diff), with
  the export call onnxlint makes by default (dynamo, default opset, `dynamic_shapes`).
- `plain (seed call)`: the same script with the seed's literal call (`opset_version=11`,
  `dynamic_axes`, input/output names), which torch 2.13 routes to the dynamo exporter; it also
  tries (and fails) to convert the model down to opset 11.
- `onnxlint export`: lint, load, eager reference, export, checker, onnxruntime, parity: the example
  compared inside a batch of 3 (the next odd prime; its first entry is the example input) and the
  guard-directed sizes (none for NestedUNet's dynamic batch, which no guard narrows), writing the
  file.
- `onnxlint export (--extra-sizes 0)`: without guard-directed sizes, and so the example inside a
  batch of 2 (the next size up): one eager and one onnxruntime run, like the plain script's, with
  one batch entry more (`--no-extra` leaves it out).

The ratio the issue sets (at most 1.15) is for the work the plain script does, `onnxlint export
(--extra-sizes 0)` over `plain (same export)`; what the extra sizes cost on top is printed separately: from the reports (`extra_sizes_seconds`: eager outputs
not computed beside the export, and the onnxruntime runs) and as the difference of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "benchmarks" / ".cache" / "export_overhead"
MODEL_FILE = REPO / "fixtures" / "nested_unet" / "model.py"
CONSTRUCTOR = "NestedUNet(num_classes=1)"

PLAIN = textwrap.dedent(
    """
    import sys
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch

    sys.path.insert(0, {folder!r})
    from model import NestedUNet

    model = NestedUNet(num_classes=1, input_channels=3, deep_supervision=False)
    model.load_state_dict(torch.load({weights!r}, weights_only=True))
    model.eval()

    dummy_input = torch.randn(1, 3, 256, 256)
    path = {output!r}
    EXPORT
    onnx.checker.check_model(onnx.load(path), full_check=True)

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    onnx_output = session.run(None, {{"input": dummy_input.numpy()}})[0]
    with torch.no_grad():
        torch_output = model(dummy_input).numpy()
    print("max abs difference:", np.abs(onnx_output - torch_output).max())
    """
)
SAME_EXPORT = 'torch.onnx.export(model, (dummy_input,), path, input_names=["input"], dynamic_shapes=({0: "batch"},))'
SEED_EXPORT = textwrap.dedent(
    """\
    torch.onnx.export(
        model,
        dummy_input,
        path,
        export_params=True,
        opset_version=11,
        do_constant_folding=True,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}},
    )"""
)


def prepare() -> dict[str, list[str]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    weights = CACHE / "best_model.pth"
    if not weights.exists():
        subprocess.run(
            [sys.executable, "-m", "onnxlint.verify.demo", "weights", str(MODEL_FILE), CONSTRUCTOR, str(weights)],
            check=True,
        )
    commands: dict[str, list[str]] = {}
    for label, call in (("plain (same export)", SAME_EXPORT), ("plain (seed call)", SEED_EXPORT)):
        script = CACHE / ("plain_same.py" if "same" in label else "plain_seed.py")
        output = CACHE / ("plain_same.onnx" if "same" in label else "plain_seed.onnx")
        text = PLAIN.format(folder=str(MODEL_FILE.parent), weights=str(weights), output=str(output))
        script.write_text(text.replace("EXPORT", call), encoding="utf-8")
        commands[label] = [sys.executable, str(script)]
    onnxlint = [
        sys.executable,
        "-m",
        "onnxlint",
        "export",
        str(MODEL_FILE),
        "--model",
        CONSTRUCTOR,
        "--input",
        "1x3x256x256",
        "--dynamic",
        "batch",
        "--weights",
        str(weights),
        "-o",
        str(CACHE / "onnxlint.onnx"),
    ]
    commands["onnxlint export"] = [*onnxlint, "--report", str(REPORT)]
    commands[NO_EXTRA] = [*onnxlint, "--extra-sizes", "0"]
    return commands


REPORT = CACHE / "onnxlint_report.json"
NO_EXTRA = "onnxlint export (--extra-sizes 0)"


def extra_cost() -> tuple[float, list[str]] | None:
    """(seconds the guard-directed sizes took in the last run, their labels), from its JSON report."""
    try:
        data = json.loads(REPORT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    labels = [p["label"] for p in data.get("parity", []) if p.get("why") and not p["why"].startswith("the next")]
    return float(data.get("extra_sizes_seconds") or 0.0), labels


def stage_seconds() -> str:
    """The last `onnxlint export` run's stage times and parity sets, from its JSON report: where the time went."""
    try:
        data = json.loads(REPORT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    stages = ", ".join(
        f"{s['name']} {s['seconds']:.2f}" for s in data.get("stages", []) if s.get("seconds") is not None
    )
    runs = ", ".join(f"{p['label']} {p['seconds']:.2f}" for p in data.get("parity", []) if p.get("seconds"))
    return f"stages (s): {stages}; onnxruntime runs (s): {runs}"


def timed(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child: user + system, exit status)."""
    environment = dict(os.environ, ONNXLINT_NO_PROGRESS="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-2000:])
    return seconds, cpu, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-seed", action="store_true", help="leave out the seed's literal call")
    parser.add_argument("--no-extra", action="store_true", help="leave out the run without the extra sizes")
    args = parser.parse_args()
    commands = prepare()
    if args.skip_seed:
        del commands["plain (seed call)"]
    if args.no_extra:
        del commands[NO_EXTRA]
    extras: list[float] = []
    extra_labels: list[str] = []
    times: dict[str, list[float]] = {label: [] for label in commands}
    cpu: dict[str, list[float]] = {label: [] for label in commands}
    print(f"NestedUNet 1x3x256x256, dynamic batch; {args.runs} runs each, alternating; {os.cpu_count()} CPUs")
    for run in range(args.runs):
        for label, command in commands.items():
            load = os.getloadavg()[0]
            seconds, cpu_seconds, code = timed(command)
            times[label].append(seconds)
            cpu[label].append(cpu_seconds)
            extra = ""
            if label == "onnxlint export":
                cost = extra_cost()
                if cost is not None:
                    extras.append(cost[0])
                    extra_labels = cost[1]
                    extra = f"  extra sizes {cost[0]:.2f} s ({', '.join(cost[1]) or 'none'})"
                extra += "\n      " + stage_seconds()
            print(
                f"  run {run + 1}  {label:<20} wall {seconds:6.2f} s  cpu {cpu_seconds:6.2f} s  exit {code}"
                f"  (load average before: {load:.2f}){extra}",
                flush=True,
            )
    print()
    wall = {label: statistics.median(values) for label, values in times.items()}
    work = {label: statistics.median(values) for label, values in cpu.items()}
    for label in commands:
        spread = f"{min(times[label]):.2f}-{max(times[label]):.2f}"
        print(f"  {label:<20} median wall {wall[label]:6.2f} s (range {spread} s), median cpu {work[label]:6.2f} s")
    base = "plain (same export)"
    for ours in ("onnxlint export", NO_EXTRA):
        for plain in (base, "plain (seed call)"):
            if ours in wall and plain in wall:
                # The goal is for the work the plain script does (one comparison): `--extra-sizes 0`.
                goal = "  (goal: at most 1.15)" if plain == base and ours == NO_EXTRA else ""
                print(
                    f"  ratio {ours} / {plain}: wall {wall[ours] / wall[plain]:.3f}{goal}, "
                    f"cpu {work[ours] / work[plain]:.3f}"
                )
    if extras:
        print(
            f"  extra sizes ({', '.join(extra_labels) or 'none'}): median {statistics.median(extras):.2f} s in the "
            "parity stage (eager outputs not computed beside the export, and the onnxruntime runs)"
        )
    if NO_EXTRA in wall:
        print(
            f"  extra sizes, as the difference of the medians: wall {wall['onnxlint export'] - wall[NO_EXTRA]:+.2f} s, "
            f"cpu {work['onnxlint export'] - work[NO_EXTRA]:+.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
