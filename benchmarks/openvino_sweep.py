"""Re-measure the OpenVINO target profile against every pattern of the shared PITFALLS harness.

    python benchmarks/openvino_sweep.py [--harness PATH/TO/pitfalls/harness.py] [--only SUBSTRING]

Exports each harness pattern with the dynamo exporter (default opset) and the TorchScript exporter
(opset 17), runs it in onnxruntime and in OpenVINO (CPU), compares both with eager PyTorch on the
export input and on the harness's second input, and lists the patterns that onnxruntime runs
correctly and OpenVINO does not. Results go to benchmarks/results/openvino_sweep.jsonl (one line
per pattern x exporter; the run resumes where it stopped). What it finds feeds linter/knowledge/runtimes.py's
"openvino" profile; every entry there has a Claim in rules/unsupported_on_target.py that the test
suite re-measures. Needs the [export] extra and openvino.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import traceback
from pathlib import Path

from onnxlint.measure import _compare, _first_line, _flatten, _quiet, _runtime_session, export_to_bytes

RESULTS = Path(__file__).resolve().parent / "results" / "openvino_sweep.jsonl"
DEFAULT_HARNESS = Path(__file__).resolve().parents[2] / "shared" / "pitfalls" / "harness.py"
CONFIGS = (("dynamo", None), ("legacy", 17))


def load_harness(path: Path):
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("pitfalls_harness", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_pattern(pattern, exporter: str, opset: int | None) -> dict[str, object]:
    import numpy as np
    import torch

    torch.manual_seed(0)
    model = pattern.make()
    model.train(pattern.train)
    example, second = pattern.inputs("A"), pattern.inputs("B")
    dynamic = [{dim: f"d{dim}" for dim in (dims or [])} for dims in pattern.dyn_spec()]
    with torch.no_grad():
        expected = {
            "A": _flatten(model(*[a.clone() for a in example])),
            "B": _flatten(model(*[b.clone() for b in second])),
        }
    try:
        with _quiet():
            data = export_to_bytes(model, example, exporter, opset, dynamic)
    except Exception as error:
        return {"export": _first_line(error)}
    record: dict[str, object] = {}
    for runtime in ("onnxruntime", "openvino"):
        verdicts = []
        try:
            run = _runtime_session(data, runtime)
            for tag, inputs in (("A", example), ("B", second)):
                try:
                    got = run([tensor.numpy() for tensor in inputs])
                    verdict = _compare(got, expected[tag], compare_values=pattern.compare == "numeric", np=np)
                    verdicts.append(f"{tag}:{verdict or 'ok'}")
                except Exception as error:
                    verdicts.append(f"{tag}:RUN {_first_line(error)}")
        except Exception as error:
            verdicts.append(f"LOAD {_first_line(error)}")
        record[runtime] = verdicts
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--harness", type=Path, default=DEFAULT_HARNESS)
    parser.add_argument("--only", default="", help="only patterns whose name contains this")
    options = parser.parse_args()
    harness = load_harness(options.harness)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.touch()
    done = {json.loads(line)["key"] for line in RESULTS.open()}
    with RESULTS.open("a") as out:
        for name, pattern in harness.PATTERNS.items():
            if options.only not in name:
                continue
            for exporter, opset in CONFIGS:
                key = f"{name}|{exporter}|{opset}"
                if key in done:
                    continue
                record: dict[str, object] = {"key": key}
                try:
                    record.update(run_pattern(pattern, exporter, opset))
                except Exception:
                    record["error"] = traceback.format_exc()[-300:]
                out.write(json.dumps(record) + "\n")
                out.flush()
    ran = both = 0
    for line in RESULTS.open():
        record = json.loads(line)
        if "onnxruntime" not in record:
            continue
        ran += 1
        ort_ok = all(v.endswith(":ok") for v in record["onnxruntime"])
        ov_ok = all(v.endswith(":ok") for v in record["openvino"])
        both += ort_ok and ov_ok
        if ort_ok and not ov_ok:
            print(record["key"], [v[:120] for v in record["openvino"]])
    print(f"{ran} exported pattern x exporter pairs ran; {both} correct in both runtimes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
