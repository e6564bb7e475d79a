"""The sizes the parity stage checks beyond the example, and the time limit each stage runs under.

- `program_guards(program, inputs)`: the guards `torch.onnx.export(dynamo=True)` traced under,
  read from its `ExportedProgram`. The exporter captures with deferred runtime asserts, so each
  guard on a dynamic size is a boolean node of the graph (`Eq(Mod(s53, 2), 0)`) whose assert the
  exporter then drops: the ONNX file keeps none of them. Those nodes, the program's value ranges
  and the symbol each declared-dynamic dim traced to are what `onnxlint.graph.domain` needs.
- `timeout_in(error)`: the `StepTimeout` a stage's time limit raised, found in the exporter's
  wrapped errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from onnxlint.core.modelspec import InputSpec
from onnxlint.graph.deadline import StepTimeout
from onnxlint.graph.errors import exception_chain

# After the limit, the alarm repeats this often until the stage's block ends: torch.onnx's capture
# strategies catch `Exception` around the user's model and try the next one.
REPEAT_SECONDS = 1.0


def timeout_in(error: BaseException | None) -> StepTimeout | None:
    """The first `StepTimeout` in an exception's cause/context chain (the exporter wraps it)."""
    if error is None:
        return None
    for item in exception_chain(error):
        if isinstance(item, StepTimeout):
            return item
    return None


def program_guards(program: Any, inputs: Sequence[InputSpec]) -> tuple[list[Any], list[Any], dict[str, tuple]]:
    """(guards, dynamic dims, value ranges) of an ExportedProgram, for `onnxlint.graph.domain`.

    guards: `Guard`s from the graph's boolean size nodes and `_assert_scalar` calls, with the
    line of the user's code the node's stack ends in; dims: the capture's `DynamicDim`s (symbol
    None when torch specialised the dim to its example size); ranges: symbol -> (lower, upper).
    """
    import torch

    from onnxlint.graph.capture import dynamic_dims
    from onnxlint.graph.check import frames_from_stack_trace
    from onnxlint.graph.domain import Guard, model_line

    guards: list[Guard] = []
    seen: set[str] = set()
    for node in program.graph.nodes:
        if node.op != "call_function":
            continue
        value = node.meta.get("val")
        expr = None
        if isinstance(value, torch.SymBool) and not node.users:
            expr = value.node.expr
        elif "assert_scalar" in str(node.target) and node.args:
            argument = node.args[0]
            inner = getattr(argument, "meta", {}).get("val") if hasattr(argument, "meta") else argument
            if isinstance(inner, torch.SymBool):
                expr = inner.node.expr
        if expr is None or (getattr(expr, "is_Boolean", False) and expr.is_Atom):
            continue
        text = str(expr)
        if text in seen or not getattr(expr, "free_symbols", None):
            continue
        seen.add(text)
        guards.append(Guard(text, "assert", model_line(frames_from_stack_trace(node.meta.get("stack_trace")))))

    ranges: dict[str, tuple] = {}
    for symbol, value_range in getattr(program, "range_constraints", {}).items():
        ranges[str(symbol)] = (_bound(value_range.lower), _bound(value_range.upper))

    return guards, dynamic_dims(inputs, program), ranges


# Sizes that left integer arithmetic: `math.ceil(H / 2)` traces to CeilToInt(IntTrueDiv(...)).
_CONVERSIONS = ("ToInt(", "TrueDiv(", "ToFloat(")


def conversion_lines(program: Any) -> dict[str, str]:
    """Symbolic sizes computed through a float (`CeilToInt(IntTrueDiv(s53, 2))`) -> the model line that computed them.

    A guard that tests such a size (mobilevit's `if new_h != H`) goes wrong because of where the size was
    made (`new_h = math.ceil(H / patch_h) * patch_h`): that line is the root cause the report names.
    """
    import torch

    from onnxlint.graph.check import frames_from_stack_trace
    from onnxlint.graph.domain import model_line

    lines: dict[str, str] = {}
    for node in program.graph.nodes:
        value = node.meta.get("val")
        if not isinstance(value, (torch.SymInt, torch.SymFloat)):
            continue
        text = str(value.node.expr)
        if text in lines or not any(marker in text for marker in _CONVERSIONS):
            continue
        where = model_line(frames_from_stack_trace(node.meta.get("stack_trace")))
        if where:
            lines[text] = where
    return lines


def conversion_line(guard: str, lines: dict[str, str]) -> tuple[str, str] | None:
    """(size expression, file:line) of the first float-converted size the guard's text contains."""
    for text, where in lines.items():
        if text in guard:
            return text, where
    return None


def _bound(value: Any) -> int | None:
    text = str(value)
    if "oo" in text:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if abs(number) < 2**62 else None
