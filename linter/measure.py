"""Ground truth: export a rule's tiny pattern models for real and classify what happens.

    python -m onnxlint.measure                       # measure every rule's claims, write docs/measurements.md
    python -m onnxlint.measure --only ONX201 ONX1    # some rules (codes or prefixes); prints, writes nothing
    python -m onnxlint.measure --check               # exit 1 when a measurement contradicts a claim
    python -m onnxlint.measure --versions-report     # no torch needed: regenerate the per-version section

Each rule's evidence module (rules/_evidence/<rule module>.py, read as the rule's `PATTERNS` and
`MEASURED`) lists tiny models and claims (pattern × exporter × opset → outcome); a claim that
changed on a later tested torch says so (`Claim.changed`), and is checked as it holds for the
installed torch. A full run saves every measurement to docs/measured/torch-<version>.json; the
table (docs/measurements.md) is written under the pinned torch only, unless --output names a file,
and ends with a "Differences by torch version" section generated from those JSON files. The
classification is the first harness run's (docs/ground-truth.md, "The first harness run"): export,
`onnx.checker` (full check), an onnxruntime CPU session, and a comparison with eager PyTorch on the
export input and on a second input whose dynamic dims all changed (batch + 1, other dims + 3). The TorchScript
exporter gets `dynamic_axes` for the dynamic dims; the dynamo exporter gets `Dim.DYNAMIC` (or
`Dim.AUTO`, when the pattern's `dim_hint` says so).

Imports torch, onnx and onnxruntime: needs the `[export]` extra.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onnxlint.core.modelspec import resolve_dim
from onnxlint.core.rule import Claim, Pattern, Rule
from onnxlint.graph.quiet import quiet_torch
from onnxlint.knowledge.torch_private import op_libraries_loaded, private

RTOL, ATOL = 1e-3, 1e-4
OUTCOMES = (
    "ok",
    "EXPORT",
    "CHECKER",
    "ORT-LOAD",
    "ORT-RUN",
    "OV-LOAD",
    "OV-RUN",
    "WRONG",
    "BAKED",
    "RANDOM",
    "RAND-FROZEN",
)


@dataclass
class Measurement:
    outcome: str
    detail: str = ""  # the first line of the error, or the largest difference
    opset_written: int | None = None
    seconds: float = 0.0
    op_types: tuple[str, ...] = ()


# -- building the pattern -----------------------------------------------------------------------


def instantiate(pattern: Pattern) -> tuple[Any, tuple[Any, ...], tuple[Any, ...], list[dict[int, str]]]:
    """(model, example inputs, second inputs, dynamic dims per input) for a pattern."""
    import torch

    # The pattern runs as a real module registered in sys.modules, like user code: torch.export's
    # strict (dynamo) capture, which torch.onnx.export falls back to when the non-strict one fails,
    # fails on code exec'd into a bare namespace (measured: `int(x.size(2))` under Dim.DYNAMIC
    # exports from a module and raises from a dict).
    namespace = _pattern_module(pattern.source).__dict__
    torch.manual_seed(0)
    model = namespace["Model"]()
    model.train(pattern.train)
    dynamic = []
    for position, shape in enumerate(pattern.inputs):
        dims: dict[int, str] = {}
        for token in pattern.dynamic:
            if ":" in token:
                target, token = token.split(":", 1)
                if int(target) != position:
                    continue
            try:
                index, name = resolve_dim(token, len(shape), "input")
            except ValueError:
                continue
            dims[index] = name
        dynamic.append(dims)
    second_shapes = [
        tuple(size + (1 if dims.get(i) == "batch" else 3) if i in dims else size for i, size in enumerate(shape))
        for shape, dims in zip(pattern.inputs, dynamic)
    ]
    example = _tensors(pattern, pattern.inputs, seed=0, shift=pattern.shift[0])
    second = _tensors(pattern, second_shapes, seed=1, shift=pattern.shift[1])
    return model, example, second, dynamic


_PATTERN_MODULES = iter(range(1 << 62))


def _pattern_module(source: str) -> Any:
    """Execute a pattern's source as a fresh module registered in sys.modules."""
    import sys
    import types

    name = f"onnxlint_pattern_{next(_PATTERN_MODULES)}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, "<pattern>", "exec"), module.__dict__)  # the pattern is our own test code
    return module


def _tensors(pattern: Pattern, shapes: Sequence[tuple[int, ...]], seed: int, shift: float) -> tuple[Any, ...]:
    import torch

    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for position, shape in enumerate(shapes):
        dtype = pattern.dtypes[position] if position < len(pattern.dtypes) else "float32"
        if dtype == "bool":
            tensors.append(torch.rand(shape, generator=generator) > 0.5)
        elif dtype.startswith(("int", "uint")):
            tensors.append(torch.randint(0, 5, shape, generator=generator).to(getattr(torch, dtype)))
        else:
            tensors.append((torch.randn(shape, generator=generator) + shift).to(getattr(torch, dtype)))
    return tuple(tensors)


# -- exporting ----------------------------------------------------------------------------------

_REGISTRIES: dict[tuple[int, frozenset[str]], Any] = {}


def export_to_bytes(
    model: Any,
    args: tuple[Any, ...],
    exporter: str,
    opset: int | None,
    dynamic: list[dict[int, str]],
    hint: str = "DYNAMIC",
) -> bytes:
    """Export like `torch.onnx.export` does; the dynamo exporter's op registry is built once per opset."""
    import torch

    names = [f"input_{i}" for i in range(len(args))]
    clones = tuple(a.clone() for a in args)
    if exporter == "legacy":
        buffer = io.BytesIO()
        axes = {name: {d: f"{name}_{n}" for d, n in dims.items()} for name, dims in zip(names, dynamic) if dims}
        torch.onnx.export(
            model,
            clones,
            buffer,  # type: ignore[arg-type]  # the TorchScript exporter writes to a file object too
            dynamo=False,
            opset_version=opset,
            input_names=names,
            dynamic_axes=axes or None,
        )
        return buffer.getvalue()
    from torch.export import Dim

    if hint == "NAMED":
        # `torch.export.Dim("height")` objects, as torch.export's documentation declares dims: one per name, so
        # that dims a pattern names alike (every input's batch) are one dim.
        named: dict[str, Any] = {}
        shapes = tuple(
            {d: named.setdefault(n, Dim("d_" + re.sub(r"\W", "_", n))) for d, n in dims.items()} if dims else None
            for dims in dynamic
        )
    else:
        dim = getattr(Dim, hint)  # Dim.DYNAMIC or Dim.AUTO
        shapes = tuple({d: dim for d in dims} if dims else None for dims in dynamic)
    dynamic_shapes = shapes if any(dynamic) else None
    # Private exporter APIs (a registry shared between exports); without them, the public API (slower).
    core_export = private("torch.onnx._internal.exporter._core", "export", default=None)
    from_torchlib = private("torch.onnx._internal.exporter._registration", "ONNXRegistry.from_torchlib", default=None)
    torchlib_opset = private("torch.onnx._internal.exporter._constants", "TORCHLIB_OPSET", default=None)
    default_opset = private("torch.onnx._constants", "ONNX_DEFAULT_OPSET", default=None)
    if None in (core_export, from_torchlib, torchlib_opset, default_opset):
        program = torch.onnx.export(model, clones, dynamo=True, opset_version=opset, dynamic_shapes=dynamic_shapes)
        return program.model_proto.SerializeToString()  # type: ignore[union-attr]  # dynamo=True: a program
    requested = opset if opset is not None else default_opset
    if requested < torchlib_opset:
        # Below 18 torch.onnx.export translates at 18 and tries to convert down: use it as is.
        program = torch.onnx.export(model, clones, dynamo=True, opset_version=requested, dynamic_shapes=dynamic_shapes)
        return program.model_proto.SerializeToString()  # type: ignore[union-attr]  # dynamo=True: a program
    # A registry built before a pattern imported torchvision lacks torchvision's ops: key by the libraries too
    # (keyed by opset alone, whether deform_conv2d translated depended on which claims ran first).
    key = (requested, op_libraries_loaded())
    registry = _REGISTRIES.get(key)
    if registry is None:
        registry = _REGISTRIES[key] = from_torchlib(opset_version=requested)
    program = core_export(
        model, clones, registry=registry, dynamic_shapes=dynamic_shapes, opset_version=requested, verbose=False
    )
    return program.model_proto.SerializeToString()


def _root_cause(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


_INFORMATIVE = (
    "not supported",
    "only supported",
    "unsupported",
    "no adapter",
    "not implemented",
    "conversion is failed",
)


def _first_line(error: BaseException) -> str:
    """The error's most informative line: runtimes often put a generic banner first."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    chosen = next(
        (line for line in lines if any(word in line.lower() for word in _INFORMATIVE)), lines[0] if lines else ""
    )
    chosen = re.sub(r" at 0x[0-9a-f]+", "", chosen)  # `<function _sym_sqrt at 0x7f...>`: the same text every run
    return f"{type(error).__name__}: {chosen}"[:200]


# -- classifying --------------------------------------------------------------------------------


def _runtime_session(data: bytes, runtime: str) -> Any:
    """A callable running the ONNX model on a list of numpy arrays, in onnxruntime or OpenVINO."""
    if runtime == "openvino":
        import tempfile

        import numpy as np
        import openvino

        with tempfile.TemporaryDirectory() as folder:  # OpenVINO reads ONNX from a path
            path = Path(folder) / "model.onnx"
            path.write_bytes(data)
            compiled = openvino.Core().compile_model(openvino.Core().read_model(str(path)), "CPU")
        return lambda arrays: [np.asarray(value) for value in compiled(arrays).values()]
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return lambda arrays: session.run(None, dict(zip(names, arrays)))


def measure(pattern: Pattern, exporter: str, opset: int | None, runtime: str = "onnxruntime") -> Measurement:
    import numpy as np
    import onnx
    import torch

    model, example, second, dynamic = instantiate(pattern)
    with torch.no_grad():
        if pattern.eval_reference:
            model.eval()
        expected_a = _flatten(model(*[a.clone() for a in example]))
        expected_b = _flatten(model(*[a.clone() for a in second]))
        model.train(pattern.train)
    start = time.perf_counter()
    try:
        with quiet_torch(process_wide=True):
            data = export_to_bytes(model, example, exporter, opset, dynamic, hint=pattern.dim_hint)
    except Exception as error:  # what the exporter raises is the measurement
        return Measurement("EXPORT", _first_line(_root_cause(error)), seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    proto = onnx.load_from_string(data)
    written = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    op_types = tuple(sorted({node.op_type for node in proto.graph.node}))
    result = Measurement("ok", opset_written=written, seconds=seconds, op_types=op_types)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as error:
        result.outcome, result.detail = "CHECKER", _first_line(error)
        return result
    prefix = "OV" if runtime == "openvino" else "ORT"
    try:
        run = _runtime_session(data, runtime)
    except Exception as error:
        result.outcome, result.detail = f"{prefix}-LOAD", _first_line(error)
        return result
    for tag, inputs, expected in (("A", example, expected_a), ("B", second, expected_b)):
        try:
            got = run([tensor.numpy() for tensor in inputs])
        except Exception as error:
            if tag == "A":
                result.outcome, result.detail = f"{prefix}-RUN", _first_line(error)
            else:
                result.outcome, result.detail = "BAKED", f"second shape fails: {_first_line(error)}"
            return result
        verdict = _compare(got, expected, compare_values=not pattern.random, np=np)
        if verdict:
            result.outcome = ("WRONG" if tag == "A" else "BAKED") if not pattern.random else "BAKED"
            result.detail = f"{'export' if tag == 'A' else 'second'} input: {verdict}"
            return result
        if pattern.random and tag == "A":
            # A random op must draw new values on every run; identical runs mean the exporter
            # froze the random values into the graph or dropped the op (RAND-FROZEN).
            again = run([tensor.numpy() for tensor in inputs])
            if all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(got, again)):
                result.outcome = "RAND-FROZEN"
                result.detail = "two runs gave identical outputs: the randomness was frozen into the graph or removed"
                return result
    if pattern.random:
        result.outcome = "RANDOM"
    return result


def _flatten(value: Any) -> list[Any]:
    import torch

    if isinstance(value, torch.Tensor):
        return [value.detach().numpy()]
    if isinstance(value, dict):
        return [item for key in value for item in _flatten(value[key])]
    if isinstance(value, (list, tuple)):
        return [item for element in value for item in _flatten(element)]
    if value is None:
        return []
    return [torch.as_tensor(value).numpy()]


def _compare(got: list[Any], expected: list[Any], *, compare_values: bool, np: Any) -> str:
    if len(got) != len(expected):
        return f"{len(got)} outputs, expected {len(expected)}"
    for index, (actual, reference) in enumerate(zip(got, expected)):
        actual = np.asarray(actual)
        if actual.shape != reference.shape:
            return f"output {index} has shape {actual.shape}, expected {reference.shape}"
        if not compare_values:
            continue
        if reference.dtype == bool or actual.dtype == bool:
            if not np.array_equal(actual.astype(bool), reference.astype(bool)):
                return f"output {index} differs"
            continue
        if not np.allclose(
            actual.astype(np.float64), reference.astype(np.float64), rtol=RTOL, atol=ATOL, equal_nan=True
        ):
            difference = np.abs(actual.astype(np.float64) - reference.astype(np.float64))
            return f"output {index} max abs diff {np.nanmax(difference):.3g}"
    return ""


# -- claims of every rule -----------------------------------------------------------------------


def claims(selectors: Iterable[str] = ()) -> list[tuple[type[Rule], Claim]]:
    from onnxlint.core.registry import all_rules

    wanted = [s.upper() for s in selectors]
    result = []
    for code, rule in all_rules().items():
        if wanted and not any(code.startswith(s) for s in wanted):
            continue
        for claim in rule.MEASURED:
            result.append((rule, claim))
    return result


def render_table(rows: list[tuple[type[Rule], Claim, Measurement]]) -> str:
    from onnxlint.knowledge.torch_info import exporter_facts

    facts = exporter_facts()
    lines = [
        "# Measured export behaviour",
        "",
        "Generated by `python -m onnxlint.measure` (tests/static/test_measured.py asserts every row); do not edit by hand.",
        f"Measured with {facts.source}; onnx and onnxruntime as pinned in constraints.txt.",
        "",
        "Each row exports one rule's tiny pattern model with one exporter and opset, runs it in onnxruntime (CPU) and",
        "compares with eager PyTorch on the export input and on a second input whose dynamic dims changed (batch + 1,",
        "other dims + 3). Outcomes: `ok`; `EXPORT` the export raised; `CHECKER` onnx.checker rejected the model;",
        "`ORT-LOAD`/`ORT-RUN` onnxruntime failed (`OV-LOAD`/`OV-RUN`: OpenVINO); `WRONG` numbers differ on the export input; `BAKED` right on the export",
        "input, wrong or failing on the second shape; `RANDOM` random outputs with the right shapes; `RAND-FROZEN` a",
        "random op in PyTorch whose exported model gives the same outputs on every run (randomness frozen or removed).",
        "Flagged: whether the rule reports the pattern at that setting. Each rule's patterns and claims are in",
        "rules/_evidence/<rule module>.py; the first, wider harness run that the rules' references also cite (205",
        "patterns, torch 2.13) is kept in [ground-truth.md](ground-truth.md#the-first-harness-run-torch-213).",
        "",
        "| rule | pattern | exporter | opset asked | opset written | runtime | outcome | flagged | detail |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for rule, claim, measured in rows:
        opset = claim.opset if claim.opset is not None else "default"
        detail = measured.detail.replace("|", "\\|")[:120]
        flagged = "yes" if claim.expects_finding else "no"
        lines.append(
            f"| [{rule.code}](rules/{rule.code}.md) | {claim.pattern} | {claim.exporter} | {opset} | "
            f"{measured.opset_written or ''} | {claim.runtime} | {measured.outcome} | {flagged} | {detail} |"
        )
    return "\n".join(lines) + "\n"


# -- results per torch version ------------------------------------------------------------------

RESULTS_DIR = Path("docs/measured")  # torch-<version>.json: every claim measured on one torch
VERSIONS_HEADING = "## Differences by torch version"


def claim_key(rule: type[Rule], claim: Claim) -> tuple[str, str, str, int | None, str]:
    return rule.code, claim.pattern, claim.exporter, claim.opset, claim.runtime


def merge_results(saved: Path, partial: dict[str, Any]) -> None:
    """Put a partial run's claims into a saved per-torch document, replacing the same claims
    (rule, pattern, exporter, opset, runtime) and keeping the saved order; new claims go last."""
    import json

    document = json.loads(saved.read_text(encoding="utf-8")) if saved.exists() else {**partial, "claims": []}

    def key(entry: dict[str, Any]) -> tuple[Any, ...]:
        return (entry["rule"], entry["pattern"], entry["exporter"], entry["opset"], entry["runtime"])

    fresh = {key(entry): entry for entry in partial["claims"]}
    claims = [fresh.pop(key(entry), entry) for entry in document["claims"]]
    document["claims"] = claims + list(fresh.values())
    saved.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def results_document(rows: list[tuple[type[Rule], Claim, Measurement, bool]]) -> dict[str, Any]:
    """The JSON saved per torch version: what every claim measured (`measured` false: a module was missing)."""
    import importlib.metadata

    from onnxlint.knowledge.torch_info import installed_torch_version

    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "torch": installed_torch_version(),
        "packages": {name: version(name) for name in ("onnx", "onnxruntime", "onnxscript", "openvino", "torchvision")},
        "claims": [
            {
                "rule": rule.code,
                "pattern": claim.pattern,
                "exporter": claim.exporter,
                "opset": claim.opset,
                "runtime": claim.runtime,
                "measured": was_measured,
                "outcome": measured.outcome if was_measured else None,
                "opset_written": measured.opset_written if was_measured else None,
                "detail": measured.detail[:200],
            }
            for rule, claim, measured, was_measured in rows
        ],
    }


def load_results(folder: Path = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """{base torch version: saved results}, oldest torch first."""
    import json

    from onnxlint.knowledge.torch_info import version_tuple

    found = {}
    for path in folder.glob("torch-*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        found[path.stem.removeprefix("torch-")] = document
    return dict(sorted(found.items(), key=lambda item: version_tuple(item[0])))


def _cell(record: dict[str, Any] | None) -> str:
    if record is None:
        return "not measured"
    if not record["measured"]:
        return "not measured (missing module)"
    written = record.get("opset_written")
    return f"{record['outcome']} (opset {written})" if written else record["outcome"]


def _signature(record: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if record is None or not record["measured"]:
        return None
    return record["outcome"], record.get("opset_written")


def render_versions_section(results: dict[str, dict[str, Any]]) -> str:
    """docs/measurements.md's last section: how many claims hold per tested torch, and every row that differs."""
    from onnxlint.knowledge.torch_info import PINNED_TORCH_VERSION, TESTED_TORCH

    current = {claim_key(rule, claim): (rule, claim) for rule, claim in claims()}
    by_version = {
        version: {(r["rule"], r["pattern"], r["exporter"], r["opset"], r["runtime"]): r for r in document["claims"]}
        for version, document in results.items()
    }
    lines = [
        VERSIONS_HEADING,
        "",
        "Generated by `python -m onnxlint.measure --versions-report` from docs/measured/torch-*.json, each saved by",
        "`python -m onnxlint.measure --check` under that torch (`make test-torch TORCH=...` runs it); do not edit by hand.",
        f"The table above is the pinned torch {PINNED_TORCH_VERSION}'s. Tested: {', '.join(TESTED_TORCH)}. Where a",
        "measurement differs between versions the claim records it (`Claim.changed` in the rule), and where a rule's",
        "decision depends on it the rule reads the installed torch's fact (`exporters.TORCH_CHANGES`); tests/static/test_measured.py",
        "asserts each claim as it holds for the installed torch.",
        "",
        "| torch | measured with | claims | hold as claimed for that torch | not measured | differ from the "
        f"{PINNED_TORCH_VERSION} measurement |",
        "|---|---|---|---|---|---|",
    ]
    pinned = by_version.get(PINNED_TORCH_VERSION, {})
    differing: list[tuple[str, str, str, int | None, str]] = []
    for version, records in by_version.items():
        document = results[version]
        packages = document.get("packages", {})
        used = ", ".join(
            f"{name} {packages[name]}"
            for name in ("onnx", "onnxruntime", "onnxscript", "torchvision")
            if packages.get(name)
        )
        holds = unmeasured = differ = 0
        missing = []
        for key, (_rule, claim) in current.items():
            record = records.get(key)
            if record is None or not record["measured"]:
                unmeasured += 1
                if record is not None:
                    missing.append(key[1])
                continue
            expected = claim.for_torch(version)
            if record["outcome"] == expected.outcome and (
                expected.opset_written is None or record["opset_written"] == expected.opset_written
            ):
                holds += 1
            reference = _signature(pinned.get(key))  # None: not measured on the pinned torch, nothing to compare
            if version != PINNED_TORCH_VERSION and reference is not None and _signature(record) != reference:
                differ += 1
                if key not in differing:
                    differing.append(key)
        why = f" ({', '.join(sorted(set(missing)))}: a module it needs was not installed)" if missing else ""
        lines.append(
            f"| {version} | torch {document.get('torch')}, {used} | {len(current)} | {holds} | {unmeasured}{why} | "
            f"{'-' if version == PINNED_TORCH_VERSION else differ} |"
        )
    lines += ["", "Rows whose outcome (or opset written) differs between tested versions:", ""]
    if not differing:
        lines.append("None.")
        return "\n".join(lines) + "\n"
    versions = list(by_version)
    lines += [
        "| rule | pattern | exporter | opset asked | runtime | " + " | ".join(versions) + " | flagged | note |",
        "|---|---|---|---|---|" + "---|" * len(versions) + "---|---|",
    ]
    for key in [key for key in current if key in differing]:  # in the rules' order
        claim = current[key][1]
        cells = " | ".join(_cell(by_version[v].get(key)) for v in versions)
        flagged = ", ".join(f"{v}: {'yes' if claim.for_torch(v).expects_finding else 'no'}" for v in versions)
        notes = "; ".join(f"{c.torch}: {c.note}" for c in claim.changed if c.note)
        opset = key[3] if key[3] is not None else "default"
        lines.append(
            f"| [{key[0]}](rules/{key[0]}.md) | {key[1]} | {key[2]} | {opset} | {key[4]} | {cells} | {flagged} | {notes} |"
        )
    return "\n".join(lines) + "\n"


def write_versions_section(path: Path, results: dict[str, dict[str, Any]]) -> None:
    """Replace (or append) the versions section of the generated measurements file."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    head = text.split(VERSIONS_HEADING, 1)[0].rstrip("\n")
    path.write_text(f"{head}\n\n{render_versions_section(results)}", encoding="utf-8")


def _missing_modules(pattern: Pattern) -> list[str]:
    """The modules a pattern needs besides torch (`Pattern.requires`) that are not installed."""
    import importlib.util

    return [name for name in pattern.requires if importlib.util.find_spec(name) is None]


def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import json

    from onnxlint.knowledge.torch_info import PINNED_TORCH_VERSION, installed_torch_version, version_tuple

    parser = argparse.ArgumentParser(prog="python -m onnxlint.measure", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="rule codes or prefixes")
    parser.add_argument("--check", action="store_true", help="exit 1 when a measurement contradicts a claim")
    parser.add_argument(
        "--output",
        default=None,
        help="where to write the table (default: docs/measurements.md under the pinned torch, no table under another)",
    )
    parser.add_argument(
        "--results",
        default=str(RESULTS_DIR),
        help="folder of the per-torch JSON results (a full run saves torch-<version>.json there)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --only: merge what was measured into this torch's saved JSON (new or changed claims), "
        "and regenerate the versions section",
    )
    parser.add_argument(
        "--versions-report",
        action="store_true",
        help="measure nothing: regenerate docs/measurements.md's differences-by-torch-version section from --results",
    )
    options = parser.parse_args(argv)
    installed = installed_torch_version()
    pinned = installed is not None and version_tuple(installed) == version_tuple(PINNED_TORCH_VERSION)
    output = Path(options.output) if options.output else (Path("docs/measurements.md") if pinned else None)
    if options.versions_report:
        target = output or Path("docs/measurements.md")
        write_versions_section(target, load_results(Path(options.results)))
        print(f"wrote the versions section of {target}")
        return 0
    rows = []
    contradictions = 0
    for rule, stated in claims(options.only):
        claim = stated.for_torch(installed)  # the claim as it holds on the installed torch
        missing = _missing_modules(rule.PATTERNS[claim.pattern])
        if missing:  # e.g. torchvision, which cannot be installed beside every torch: keep the claim, say so
            measured = Measurement(
                claim.outcome, f"not measured here ({', '.join(missing)} not installed): {claim.note}"
            )
            print(f"{rule.code} {claim.pattern:<32} {claim.exporter:<6} skipped: {', '.join(missing)} not installed")
            rows.append((rule, claim, measured, False))
            continue
        measured = measure(rule.PATTERNS[claim.pattern], claim.exporter, claim.opset, claim.runtime)
        mark = "" if measured.outcome == claim.outcome else f"   <-- claimed {claim.outcome}"
        if claim.opset_written is not None and measured.opset_written != claim.opset_written:
            mark += f"   <-- claimed opset {claim.opset_written} written, got {measured.opset_written}"
        contradictions += bool(mark)
        print(
            f"{rule.code} {claim.pattern:<32} {claim.exporter:<6} {claim.opset or 'default':<7} {measured.outcome:<8} {measured.seconds:5.1f}s {measured.detail[:70]}{mark}",
            flush=True,
        )
        rows.append((rule, claim, measured, True))
    if not options.only:
        results = Path(options.results)
        results.mkdir(parents=True, exist_ok=True)
        saved = results / f"torch-{(installed or 'none').split('+', 1)[0]}.json"
        saved.write_text(json.dumps(results_document(rows), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {saved}")
        if output is not None:
            table = render_table([(rule, claim, measured) for rule, claim, measured, _ in rows])
            output.write_text(f"{table}\n{render_versions_section(load_results(results))}", encoding="utf-8")
            print(f"wrote {output}")
        else:
            print(f"torch {installed} is not the pinned {PINNED_TORCH_VERSION}: no table written (--output names one)")
    if options.only and options.update:
        saved = Path(options.results) / f"torch-{(installed or 'none').split('+', 1)[0]}.json"
        merge_results(saved, results_document(rows))
        write_versions_section(output or Path("docs/measurements.md"), load_results(Path(options.results)))
        print(f"merged {len(rows)} claims into {saved}")
    skipped = sum(not was_measured for *_, was_measured in rows)
    print(
        f"torch {installed}: {len(rows) - skipped - contradictions} of {len(rows) - skipped} measured claims hold"
        + (f" ({skipped} not measured: a module they need is missing)" if skipped else ""),
        flush=True,
    )
    return 1 if (options.check and contradictions) else 0


if __name__ == "__main__":
    raise SystemExit(main())
