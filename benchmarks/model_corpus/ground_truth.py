"""Ground truth for the model corpus: does each model really export to ONNX, and does the file really work?

    /work/venv-t2141/bin/python benchmarks/model_corpus/ground_truth.py                 # every model (resumes)
    /work/venv-t2141/bin/python benchmarks/model_corpus/ground_truth.py resnet18 hf_bert --exporter legacy
    /work/venv-t2141/bin/python benchmarks/model_corpus/ground_truth.py --rerun --batch 2 alexnet
    /work/venv-t2141/bin/python benchmarks/model_corpus/ground_truth.py --summary      # the pairs, from truth.json

Pure torch + onnx + onnxruntime (no onnxlint). For each model of models.py, each exporter and each
example (batch 1, batch 2), one subprocess with a hard time limit:

1. build the model (torch.manual_seed(0), eval mode, 2 threads) and seeded inputs as onnxlint makes them;
2. export to a temporary file: dynamo `torch.onnx.export(model, args, f, dynamo=True,
   dynamic_shapes=..., input_names=...)` at the exporter's default opset, or legacy
   `torch.onnx.export(..., dynamo=False, opset_version=17, dynamic_axes=..., input_names=...)`;
   dims are named as in `--dynamic` (`batch`, `height`...), `<dim>_<input>` where a name's dims differ
   in size across inputs (`unique_dim_names`);
3. `onnx.checker.check_model(full_check=True)`, an onnxruntime CPU session;
4. onnxruntime against eager PyTorch at the export shape and at the entry's other shapes
   (`Entry.other_shapes`): every tensor output must satisfy
   |onnx - eager| <= 1e-3 * max|eager| + 1e-3 * |eager| + 1e-6 (and have eager's shape).
   A shape the eager model rejects is skipped and recorded as such.

Outcomes: export_fails, checker_fails, ort_fails (no session, or an error at the export shape),
mismatch (at the export shape, or at another shape: see `shapes`), ort_fails_at_other_shape,
clean, timeout, crash (the subprocess died without a result). Failures keep the innermost error's
type, the first lines of its message, and the frames of the whole traceback (and of the frames the
exporters quote in their messages) that lie in library or corpus code, not in torch, onnx or
onnxscript; the legacy exporter's TracerWarnings that point into library code; for onnxruntime
errors, the stack the dynamo exporter recorded on the failing node.

truth.json (committed): {"meta": ..., "runs": {"<model>|<exporter>|b<batch>": run}}, sorted keys.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Lock
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TRUTH = HERE / "truth.json"
EXPORTERS = ("dynamo", "legacy")
BATCHES = (1, 2)
LEGACY_OPSET = 17
TIME_LIMIT_S = 300
TOLERANCE = 1e-3
THREADS = 2
SITE = Path(sysconfig.get_paths()["purelib"]).resolve()
# Packages whose frames are the exporter's machinery, not the model's code.
INTERNAL = {
    "torch",
    "torchgen",
    "functorch",
    "onnx",
    "onnxscript",
    "onnx_ir",
    "onnxruntime",
    "numpy",
    "sympy",
    "typing_extensions",
    "_pytest",
}
# Outcomes from worst to best: a pair's truth is the worst of its two examples.
OUTCOMES = (
    "export_fails",
    "checker_fails",
    "ort_fails",
    "ort_fails_at_other_shape",
    "mismatch",
    "timeout",
    "crash",
    "clean",
)
_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+), in ([^\s]+)')
_HUNG_MARKER = "still running at the time limit:\n"


# -- locations --------------------------------------------------------------------------------------


def library_path(filename: str) -> str | None:
    """`torchvision/ops/boxes.py` for a library file, `benchmarks/model_corpus/models.py` for the corpus's
    factories; None for torch & co. and for this script."""
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return None
    if path == HERE / "models.py":
        return path.relative_to(REPO).as_posix()
    if not path.is_relative_to(SITE):
        return None
    relative = path.relative_to(SITE)
    if relative.parts[0] in INTERNAL:
        return None
    return relative.as_posix()


def _site_relative(filename: str) -> str:
    path = Path(filename)
    return path.relative_to(SITE).as_posix() if path.is_relative_to(SITE) else filename


def _frame(filename: str, line: int | None, function: str) -> str | None:
    path = library_path(filename)
    return f"{path}:{line} in {function}" if path else None


def _unique(items: Iterable[str | None], limit: int = 60) -> list[str]:
    result: list[str] = []
    for item in items:
        if item and item not in result:
            result.append(item)
    return result[:limit]


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and its causes / contexts, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def describe_error(error: BaseException) -> dict[str, Any]:
    chain = _chain(error)
    innermost = chain[-1]
    frames = []
    for exception in chain:
        for summary in traceback.extract_tb(exception.__traceback__):
            frames.append(_frame(summary.filename, summary.lineno, summary.name))
    quoted = []
    for exception in chain:
        for filename, line, function in _FILE_LINE.findall(str(exception)):
            quoted.append(_frame(filename, int(line), function))
    message = str(innermost).strip() or str(error).strip()
    return {
        "type": type(innermost).__name__,
        "outer_type": type(error).__name__,
        "message": [line[:300] for line in message.splitlines()[:6]],
        "frames": _unique(frames),
        "quoted_frames": _unique(quoted),
    }


# -- the worker: one (model, exporter, batch) -------------------------------------------------------------


def _tensors(output: Any) -> list[Any]:
    import torch
    import torch.utils._pytree as pytree

    return [leaf for leaf in pytree.tree_leaves(output) if isinstance(leaf, torch.Tensor)]


def _compare(eager: list[Any], onnx_outputs: list[Any]) -> tuple[str, str, float]:
    """("ok" | "mismatch", detail, worst |diff| / max|eager|)."""
    import numpy as np

    if len(eager) != len(onnx_outputs):
        return "mismatch", f"{len(onnx_outputs)} onnx outputs vs {len(eager)} eager outputs", float("inf")
    worst = 0.0
    for index, (expected_tensor, actual) in enumerate(zip(eager, onnx_outputs)):
        expected = expected_tensor.detach().cpu().numpy()
        actual = np.asarray(actual)
        if expected.shape != actual.shape:
            return "mismatch", f"output {index}: onnx shape {list(actual.shape)} vs eager {list(expected.shape)}", 1.0
        if expected.size == 0:
            continue
        if expected.dtype == np.bool_ or not np.issubdtype(expected.dtype, np.floating):
            if not np.array_equal(expected, actual.astype(expected.dtype)):
                wrong = int((expected != actual).sum())
                return "mismatch", f"output {index} ({expected.dtype}): {wrong} of {expected.size} values differ", 1.0
            continue
        expected64, actual64 = expected.astype(np.float64), actual.astype(np.float64)
        finite = np.isfinite(expected64)
        if not np.array_equal(finite, np.isfinite(actual64)):
            return "mismatch", f"output {index}: non-finite values differ", float("inf")
        scale = float(np.abs(expected64[finite]).max()) if finite.any() else 0.0
        difference = np.abs(actual64 - expected64)[finite]
        allowed = TOLERANCE * scale + TOLERANCE * np.abs(expected64[finite]) + 1e-6
        relative = float(difference.max() / scale) if scale > 0 else float(difference.max())
        worst = max(worst, relative)
        if (difference > allowed).any():
            return (
                "mismatch",
                f"output {index} {list(expected.shape)}: max |diff| {difference.max():.3g}, max |eager| {scale:.3g}",
                relative,
            )
    return "ok", "", worst


def _node_frames(model_path: str, message: str) -> list[str]:
    """The stack the dynamo exporter recorded on the node an onnxruntime error names."""
    names = re.findall(r"Name:'([^']*)'", message) + re.findall(r"node \(([^)]*)\)", message)
    if not names:
        return []
    import onnx

    model = onnx.load(model_path, load_external_data=False)
    for node in model.graph.node:
        if node.name in names:
            for prop in node.metadata_props:
                if prop.key.endswith("stack_trace"):
                    return _unique(_frame(f, int(n), fn) for f, n, fn in _FILE_LINE.findall(prop.value))
    return []


def _shape_text(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join("x".join(str(s) for s in shape) for shape in shapes)


def unique_dim_names(specs: list[Any]) -> list[dict[int, str]]:
    """Each input's dynamic dims by name; a name whose dims differ in size across inputs gets the input's name.

    Both exporters give dims of the same name one symbol (onnxruntime then assumes them equal), so
    an encoder's and a decoder's `sequence` (16 and 8) must not share a name.
    """
    sizes: dict[str, set[int]] = {}
    for spec in specs:
        for index, dim in spec.dynamic.items():
            sizes.setdefault(dim, set()).add(spec.shape[index])
    return [
        {index: dim if len(sizes[dim]) == 1 else f"{dim}_{spec.name}" for index, dim in spec.dynamic.items()}
        for spec in specs
    ]


def run_one(name: str, exporter: str, batch: int) -> dict[str, Any]:
    """Export, check, run and compare one example; never raises for the model's failures."""
    start = time.perf_counter()
    warnings.simplefilter("ignore")
    import logging

    logging.disable(logging.WARNING)
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch

    sys.path.insert(0, str(HERE))
    import models

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    np.random.seed(0)
    entry = models.BY_NAME[name]
    specs = entry.input_specs(batch)
    result: dict[str, Any] = {"model": name, "exporter": exporter, "batch": batch, "shapes": []}
    model = models.build(entry)
    example = models.make_inputs(specs)
    result["build_s"] = round(time.perf_counter() - start, 1)

    folder = tempfile.mkdtemp(prefix="truth-")
    path = os.path.join(folder, "model.onnx")
    names = [spec.name for spec in specs]
    dim_names = unique_dim_names(specs)
    export_start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if exporter == "legacy":
                axes = {spec.name: dims for spec, dims in zip(specs, dim_names) if dims}
                torch.onnx.export(
                    model,
                    tuple(t.clone() for t in example),
                    path,
                    dynamo=False,
                    opset_version=LEGACY_OPSET,
                    input_names=names,
                    dynamic_axes=axes or None,
                )
            else:
                dynamic = tuple(dims or None for dims in dim_names)
                torch.onnx.export(
                    model,
                    tuple(t.clone() for t in example),
                    path,
                    dynamo=True,
                    input_names=names,
                    dynamic_shapes=dynamic if any(dynamic) else None,
                )
            export_error: BaseException | None = None
        except Exception as error:  # the exporters raise anything
            export_error = error
    result["export_s"] = round(time.perf_counter() - export_start, 1)
    result["warnings"] = _unique(
        f"{where}:{w.lineno} {w.category.__name__}: {str(w.message).strip().splitlines()[0][:200]}"
        for w in caught
        if (where := library_path(w.filename))
    )[:20]

    def finish(outcome: str, stage: str | None = None, error: BaseException | None = None) -> dict[str, Any]:
        result["outcome"] = outcome
        if stage:
            result["stage"] = stage
        if error is not None:
            result["error"] = describe_error(error)
        result["total_s"] = round(time.perf_counter() - start, 1)
        return result

    if export_error is not None:
        return finish("export_fails", "export", export_error)
    try:
        proto = onnx.load(path, load_external_data=False)
        result["opset"] = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
        result["nodes"] = len(proto.graph.node)
        del proto
        onnx.checker.check_model(path, full_check=True)
    except Exception as error:
        return finish("checker_fails", "checker", error)
    try:
        options = ort.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.log_severity_level = 3
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    except Exception as error:
        return finish("ort_fails", "session", error)
    feeds = [i.name for i in session.get_inputs()]

    cases = [("export", [spec.shape for spec in specs]), *entry.other_shapes(batch)]
    ort_other = mismatch = False
    for label, shapes in cases:
        record: dict[str, Any] = {"label": label, "shapes": _shape_text(shapes)}
        result["shapes"].append(record)
        tensors = models.make_inputs(specs, shapes)
        try:
            with torch.no_grad():
                eager = _tensors(model(*(t.clone() for t in tensors)))
        except Exception as error:
            record["status"] = "eager_rejects"
            record["detail"] = f"{type(error).__name__}: {str(error).strip()[:200]}"
            continue
        by_name = dict(zip(names, tensors))
        try:
            feed = {n: (by_name[n] if n in by_name else tensors[i]).numpy() for i, n in enumerate(feeds)}
            outputs = session.run(None, feed)
        except Exception as error:
            record["status"] = "ort_error"
            message = str(error).strip()
            record["detail"] = message.splitlines()[0][:300] if message else type(error).__name__
            record["node_frames"] = _node_frames(path, message)
            if label == "export":
                return finish("ort_fails", "run", error)
            ort_other = True
            continue
        status, detail, relative = _compare(eager, outputs)
        record["status"] = status
        record["max_rel"] = float(f"{relative:.3g}") if relative != float("inf") else "inf"
        if detail:
            record["detail"] = detail
        if status == "mismatch":
            if label == "export":
                return finish("mismatch", "compare")
            mismatch = True
    if ort_other:
        return finish("ort_fails_at_other_shape", "other_shape")
    if mismatch:
        return finish("mismatch", "other_shape")
    return finish("clean")


def worker(name: str, exporter: str, batch: int, out: str) -> None:
    # Where a run that hits the time limit is: its Python stack, printed to the log just before the kill.
    limit = float(os.environ.get("TRUTH_TIME_LIMIT", TIME_LIMIT_S))

    def print_stack(signum: int, frame: Any) -> None:
        print(_HUNG_MARKER + "".join(traceback.format_stack(frame)), flush=True)

    signal.signal(signal.SIGALRM, print_stack)
    signal.alarm(int(max(limit - 10, 1)))
    result = run_one(name, exporter, batch)
    Path(out).write_text(json.dumps(result, sort_keys=True))


# -- the driver ----------------------------------------------------------------------------------------------


def key(name: str, exporter: str, batch: int) -> str:
    return f"{name}|{exporter}|b{batch}"


def load_truth() -> dict[str, Any]:
    if TRUTH.exists():
        return json.loads(TRUTH.read_text())
    return {"meta": {}, "runs": {}}


def save_truth(truth: dict[str, Any]) -> None:
    text = json.dumps(truth, indent=1, sort_keys=True) + "\n"
    temporary = TRUTH.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(TRUTH)


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for package in (
        "torch",
        "torchvision",
        "onnx",
        "onnxruntime",
        "onnxscript",
        "timm",
        "segmentation_models_pytorch",
        "kornia",
        "transformers",
        "diffusers",
    ):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "missing"
    return found


def spawn(name: str, exporter: str, batch: int, limit: float) -> dict[str, Any]:
    """One run in its own process group, killed whole at the time limit."""
    with tempfile.TemporaryDirectory(prefix="truth-run-") as folder:
        out = os.path.join(folder, "result.json")
        log = os.path.join(folder, "log.txt")
        start = time.perf_counter()
        with open(log, "w") as handle:
            process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--worker", name, exporter, str(batch), out],
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={
                    **os.environ,
                    "OMP_NUM_THREADS": str(THREADS),
                    "PYTHONWARNINGS": "ignore",
                    "TRUTH_TIME_LIMIT": str(limit),
                },
            )
            try:
                process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                text = Path(log).read_text(errors="replace")
                dumped = _FILE_LINE.findall(text.rpartition(_HUNG_MARKER)[2]) if _HUNG_MARKER in text else []
                stack = _unique(_frame(f, int(n), fn) for f, n, fn in dumped)
                innermost = [f"{_site_relative(f)}:{n} in {fn}" for f, n, fn in dumped[-6:]]
                return {
                    "hung_in": stack,
                    "hung_at": innermost,
                    "model": name,
                    "exporter": exporter,
                    "batch": batch,
                    "outcome": "timeout",
                    "total_s": round(time.perf_counter() - start, 1),
                }
        if os.path.exists(out):
            result = json.loads(Path(out).read_text())
            result["process_s"] = round(time.perf_counter() - start, 1)
            return result
        tail = Path(log).read_text(errors="replace").strip().splitlines()[-8:]
        return {
            "model": name,
            "exporter": exporter,
            "batch": batch,
            "outcome": "crash",
            "error": {"type": f"exit {process.returncode}", "message": [line[:300] for line in tail]},
            "total_s": round(time.perf_counter() - start, 1),
        }


def pair_truth(truth: dict[str, Any], name: str, exporter: str) -> dict[str, Any] | None:
    """The truth of a (model, exporter) pair: the worst outcome of its examples, and the run that had it."""
    runs = [truth["runs"].get(key(name, exporter, batch)) for batch in BATCHES]
    present = [run for run in runs if run is not None]
    if not present:
        return None
    worst = min(present, key=lambda run: OUTCOMES.index(run["outcome"]))
    return {
        "outcome": worst["outcome"],
        "by_batch": {f"b{run['batch']}": run["outcome"] for run in present},
        "run": worst,
    }


def summary(truth: dict[str, Any]) -> None:
    sys.path.insert(0, str(HERE))
    import models

    counts: dict[str, int] = {}
    print("| model | dynamo | legacy |")
    print("|---|---|---|")
    for entry in models.MODELS:
        cells = []
        for exporter in EXPORTERS:
            pair = pair_truth(truth, entry.name, exporter)
            if pair is None:
                cells.append("-")
                continue
            counts[pair["outcome"]] = counts.get(pair["outcome"], 0) + 1
            run = pair["run"]
            detail = run.get("error", {}).get("type", "")
            if not detail and run.get("stage") == "other_shape":
                bad = [s for s in run.get("shapes", []) if s.get("status") in ("ort_error", "mismatch")]
                detail = ", ".join(s["label"] for s in bad)
            batches = "/".join(f"{b}:{o}" for b, o in sorted(pair["by_batch"].items()))
            cells.append(f"{pair['outcome']} ({detail}; {batches})" if pair["outcome"] != "clean" else "clean")
        print(f"| {entry.name} | {' | '.join(cells)} |")
    total = sum(run.get("total_s", 0) for run in truth["runs"].values())
    print(f"\npairs by outcome: {dict(sorted(counts.items()))}; {len(truth['runs'])} runs, {total / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="model names (default: all)")
    parser.add_argument("--exporter", choices=EXPORTERS, action="append", help="only this exporter (repeatable)")
    parser.add_argument("--batch", type=int, choices=BATCHES, action="append", help="only this example batch")
    parser.add_argument("--rerun", action="store_true", help="run entries already in truth.json again")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (default 1: timings stay comparable)")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S, help="seconds per run (default 300)")
    parser.add_argument("--summary", action="store_true", help="print the pairs in truth.json and stop")
    parser.add_argument("--worker", nargs=4, metavar=("MODEL", "EXPORTER", "BATCH", "OUT"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        name, exporter, batch, out = options.worker
        worker(name, exporter, int(batch), out)
        return
    truth = load_truth()
    if options.summary:
        summary(truth)
        return

    sys.path.insert(0, str(HERE))
    import models

    unknown = [n for n in options.models if n not in models.BY_NAME]
    if unknown:
        parser.error(f"unknown models: {', '.join(unknown)} (see models.py)")
    names = options.models or [entry.name for entry in models.MODELS]
    todo = [
        (name, exporter, batch)
        for name in names
        for exporter in options.exporter or EXPORTERS
        for batch in options.batch or BATCHES
        if options.rerun or key(name, exporter, batch) not in truth["runs"]
    ]
    truth["meta"] = {
        "versions": versions(),
        "time_limit_s": options.time_limit,
        "threads": THREADS,
        "legacy_opset": LEGACY_OPSET,
        "tolerance": f"|onnx - eager| <= {TOLERANCE} * max|eager| + {TOLERANCE} * |eager| + 1e-6",
    }
    print(f"{len(todo)} runs to do, {options.jobs} at a time", flush=True)
    lock = Lock()
    started = time.perf_counter()

    def one(task: tuple[str, str, int]) -> None:
        result = spawn(*task, options.time_limit)
        with lock:
            truth["runs"][key(*task)] = result
            save_truth(truth)
            error = result.get("error", {})
            print(
                f"[{(time.perf_counter() - started) / 60:5.1f} min] {key(*task):50} {result['outcome']:26} "
                f"{result.get('total_s', 0):6.1f} s  {error.get('type', '')}",
                flush=True,
            )

    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        list(pool.map(one, todo))
    save_truth(truth)


if __name__ == "__main__":
    main()
