"""Is a recorded guard a real restriction? Run the exported graph and the eager model at a size past it.

A guard such as `Eq(batch, 1)` says what torch checked while tracing at the example size, not
that the graph computes anything wrong elsewhere: timm's EdgeNeXt and diffusers' attention add
`Eq(batch, 1)` with a batch-1 example, and their ONNX models run and match PyTorch at batch 2.
Since the graph layer runs the user's model anyway (by consent: `--model` / `--graph`), the way to
know is to run both: the program the exporter translates into ONNX (after its own
decompositions when they ran, else the captured one), with no input checks, and the eager model,
at sizes that break the guard (the named dims doubled: a size-1 dim becomes 2, and doubling keeps
the divisibility down-sampling models need). The answer:

- `same`: the graph computes what the eager model computes there; the guard restricts nothing;
- `differs` / `graph_fails`: the graph is wrong there, or fails, where the eager model runs (when
  the graph also differs from eager at the example size, the comparison says nothing: `unknown`);
- `eager_fails`: the model itself does not run at that size: the guard states its own requirement;
- `unknown`: the comparison could not be made (different output structure, a time limit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from onnxlint.graph.deadline import time_limit
from onnxlint.graph.quiet import quiet_torch
from onnxlint.knowledge.torch_private import private

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture


@dataclass(frozen=True)
class Rerun:
    verdict: str  # "same", "differs", "graph_fails", "eager_fails", "unknown"
    sizes: tuple[tuple[str, int], ...]  # the dims changed and their sizes: (("batch", 2),)
    detail: str = ""  # what differed or failed, one line

    @property
    def wrong(self) -> bool:
        """The exported graph fails or computes wrong results at a size the eager model accepts."""
        return self.verdict in ("differs", "graph_fails")

    def where(self) -> str:
        return ", ".join(f"{name}={size}" for name, size in self.sizes)


def compare_past(capture: Capture, names: Iterable[str]) -> Rerun:
    """Run the exported graph and the eager model with the dims `names` doubled (cached per set of names)."""
    key = frozenset(names)
    if key not in capture.reruns:
        capture.reruns[key] = _compare(capture, key)
    return capture.reruns[key]


def _compare(capture: Capture, names: frozenset[str]) -> Rerun:
    from onnxlint.core.modelspec import make_inputs

    specs = capture.spec.inputs
    shapes = []
    sizes: dict[str, int] = {}
    for spec in specs:
        shape = list(spec.shape)
        for index, name in spec.dynamic.items():
            if name in names and index < len(shape):
                shape[index] = max(2, shape[index] * 2)
                sizes[name] = shape[index]
        shapes.append(tuple(shape))
    changed = tuple(sorted(sizes.items()))
    program = capture.decomposed() or capture.program
    if program is None or not changed:
        return Rerun("unknown", changed, "no exported program to run")
    inputs = make_inputs(specs, shapes=shapes)
    try:
        with quiet_torch(), time_limit(capture.timeout):
            try:
                expected = _eager(capture.model, inputs)
            except Exception as error:
                return Rerun("eager_fails", changed, _one_line(error))
            try:
                got = run_program(program, inputs)
            except Exception as error:
                return Rerun("graph_fails", changed, _one_line(error))
            difference = _difference(got, expected)
            if difference is None:
                return Rerun("same", changed)
            # Wrong past the guard: is it right at the example size (or is the comparison itself off)?
            if _difference(run_program(program, capture.inputs), _eager(capture.model, capture.inputs)) is not None:
                return Rerun("unknown", changed, "the graph differs from the eager model at the example size too")
            return Rerun("differs", changed, difference)
    except Exception as error:  # a time limit, or the eager model failing at the example size
        return Rerun("unknown", changed, _one_line(error))


def run_program(program: Any, inputs: Sequence[Any]) -> list[Any]:
    """The program's graph on `inputs`, as it is (no input checks), its user outputs as a flat list."""
    import torch
    from torch.export.graph_signature import InputKind, OutputKind

    state = program.state_dict
    constants = program.constants
    user = iter(inputs)
    args = []
    for spec in program.graph_signature.input_specs:
        if spec.kind == InputKind.USER_INPUT:
            args.append(next(user))
        elif spec.target in state:
            args.append(state[spec.target])
        else:
            args.append(constants[spec.target])
    with torch.no_grad():
        outputs = program.graph_module(*args)
    if not isinstance(outputs, (tuple, list)):
        outputs = (outputs,)
    kinds = [spec.kind for spec in program.graph_signature.output_specs]
    return [value for value, kind in zip(outputs, kinds) if kind == OutputKind.USER_OUTPUT]


def _eager(model: Any, inputs: Sequence[Any]) -> list[Any]:
    import torch

    tree_leaves = private("torch.utils._pytree", "tree_leaves")
    with torch.no_grad():
        return list(tree_leaves(model(*inputs)))


def _difference(got: Sequence[Any], expected: Sequence[Any]) -> str | None:
    """None when the outputs agree; else what differs, one line."""
    import torch

    got = [g for g in got if isinstance(g, torch.Tensor)]
    expected = [e for e in expected if isinstance(e, torch.Tensor)]
    if len(got) != len(expected):
        return f"{len(got)} tensor outputs against {len(expected)}"
    for index, (g, e) in enumerate(zip(got, expected)):
        if tuple(g.shape) != tuple(e.shape):
            return f"output {index} has shape {list(g.shape)} against {list(e.shape)}"
        if not e.dtype.is_floating_point:
            if not torch.equal(g, e.to(g.dtype)):
                return f"output {index} differs"
            continue
        scale = float(e.abs().max()) if e.numel() else 0.0
        if not torch.allclose(g.float(), e.float(), rtol=1e-3, atol=1e-4 * max(1.0, scale), equal_nan=True):
            diff = float((g.float() - e.float()).abs().max())
            return f"output {index} {list(e.shape)}: max |diff| {diff:.3g}, max |eager| {scale:.3g}"
    return None


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200] if text else ''}"


__all__ = ["Rerun", "compare_past", "run_program"]
