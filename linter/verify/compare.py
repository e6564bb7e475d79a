"""Comparing onnxruntime outputs with eager PyTorch outputs: flattening, max abs / max rel diff."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from onnxlint.verify.report import OutputDiff


def flatten_outputs(value: Any) -> list[Any]:
    """Eager outputs in the order the exporters flatten them: tuples, lists and dict values, depth first.

    `None` entries are dropped (neither exporter keeps them); Python numbers become 0-d arrays.
    """
    import torch

    flat: list[Any] = []

    def visit(item: Any) -> None:
        if item is None:
            return
        if isinstance(item, torch.Tensor):
            tensor = item.detach().cpu()
            if tensor.is_complex():
                tensor = torch.view_as_real(tensor)
            flat.append(tensor.numpy())
        elif isinstance(item, (list, tuple)):
            for element in item:
                visit(element)
        elif isinstance(item, dict):
            for element in item.values():
                visit(element)
        elif isinstance(item, (bool, int, float)):
            import numpy as np

            flat.append(np.asarray(item))
        else:
            raise TypeError(f"cannot compare an output of type {type(item).__name__}")

    visit(value)
    return flat


def compare_arrays(
    onnx_outputs: Sequence[Any], reference: Sequence[Any], *, rtol: float, atol: float
) -> tuple[bool, float | None, float | None, list[OutputDiff], str]:
    """(all within tolerance, max abs, max rel, per-output diffs, problem) for one input set.

    Within tolerance means `|onnx - eager| <= atol + rtol * |eager|` elementwise (numpy's
    `allclose`), with NaN matching NaN and infinities matching infinities of the same sign. The
    relative difference is taken where `|eager| > atol`, so values near zero do not blow it up.
    """
    import numpy as np

    if len(onnx_outputs) != len(reference):
        return False, None, None, [], f"onnxruntime returned {len(onnx_outputs)} outputs, eager {len(reference)}"
    diffs: list[OutputDiff] = []
    all_ok = True
    max_abs: float | None = None
    max_rel: float | None = None
    for index, (got, expected) in enumerate(zip(onnx_outputs, reference)):
        got = np.asarray(got)
        expected = np.asarray(expected)
        if got.shape != expected.shape:
            all_ok = False
            diffs.append(OutputDiff(index, list(expected.shape), list(got.shape), None, None, False, "shapes differ"))
            continue
        note = f"dtype onnx {got.dtype} vs eager {expected.dtype}" if got.dtype != expected.dtype else ""
        if expected.size == 0:
            diffs.append(OutputDiff(index, list(expected.shape), list(got.shape), 0.0, 0.0, True, note))
            continue
        got64 = got.astype(np.float64)
        expected64 = expected.astype(np.float64)
        same_special = (np.isnan(got64) & np.isnan(expected64)) | (
            np.isinf(got64) & np.isinf(expected64) & (np.sign(got64) == np.sign(expected64))
        )
        with np.errstate(invalid="ignore", over="ignore"):
            difference = np.abs(got64 - expected64)
        difference[same_special] = 0.0
        if np.isnan(difference).any():
            output_abs = float("inf")
            ok = False
            note = (note + "; " if note else "") + "NaN or infinity where eager has a number"
        else:
            output_abs = float(difference.max())
            ok = bool(np.all(difference <= atol + rtol * np.abs(np.where(same_special, 0.0, expected64))))
        magnitude = np.abs(expected64)
        significant = (magnitude > atol) & ~same_special
        output_rel = float((difference[significant] / magnitude[significant]).max()) if significant.any() else 0.0
        diffs.append(OutputDiff(index, list(expected.shape), list(got.shape), output_abs, output_rel, ok, note))
        all_ok = all_ok and ok
        max_abs = output_abs if max_abs is None else max(max_abs, output_abs)
        max_rel = output_rel if max_rel is None else max(max_rel, output_rel)
    problem = ""
    if any(d.note == "shapes differ" for d in diffs):
        problem = "; ".join(
            f"output {d.index}: onnx {d.onnx_shape} vs eager {d.shape}" for d in diffs if d.note == "shapes differ"
        )
    return all_ok, max_abs, max_rel, diffs, problem
