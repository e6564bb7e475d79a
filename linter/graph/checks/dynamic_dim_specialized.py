from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from onnxlint.core.findings import Severity
from onnxlint.graph.check import GraphCheck, GraphExample, Issue

if TYPE_CHECKING:
    from onnxlint.graph.capture import Capture, DynamicDim, ShapeEvent


class DynamicDimSpecialized(GraphCheck):
    """A dim declared dynamic was frozen to one size while tracing, silently or with an error.

    ## What it does
    Traces with the dims you declared dynamic (`--dynamic batch,height,width`) as the dynamic
    exporter does (`Dim.DYNAMIC` semantics, `backed_size_oblivious`, and
    `torch.onnx.is_in_onnx_export()` True, as during the real export), records every shape
    guard and specialisation `torch.export` makes, and those the exporter's own decompositions
    make after it (`adaptive_avg_pool2d` becomes an `avg_pool2d` whose kernel is the example's
    size: `Eq(height//8, 4)`), and reports each one that pins a declared dim to a single size,
    at the line of your code that caused it: a guard such as `Eq(batch, 1)` that bounds the
    program's range for the dim (`len(x)` or a Python `if` on a size with a batch-1 example), a
    specialisation (`range(x.shape[0])`, a hard-coded size in `view`/`reshape`), or a guard
    pinning a product of dims (`int(math.sqrt(h * w))`). A single-dim guard that leaves the
    program's range unbounded (an `expand` of a size-1 tensor to `x.shape[0]`) does not freeze
    the graph and is not reported. Any other guard on a declared dim that decides a Python
    branch or a Python number at a line of model code (`if h_padded != h:`, `if h % 8:`,
    `min(h, 7)`) is reported as a warning with the condition's source text and the sizes the
    graph is valid for: the graph keeps the side taken for the example. Also reports
    "Constraints violated" capture failures the same way.

    ## Why is this bad for ONNX
    `torch.onnx.export` does not fail here: on a constraint violation it refines the dynamic
    shapes to what tracing allowed and exports; with a guard such as `Eq(batch, 1)` it keeps a
    symbolic input dim whose graph may only work for that size (this check runs it to tell).
    Where it does, the ONNX model loads, runs
    on the example size, and fails or computes wrong results on any other size (measured on
    torch 2.13: `shape_len`, `cf_for_range_shape0`, `cf_if_on_shape_pad_to_multiple`, BAKED).

    ## Severity: what running the graph shows
    A guard records what torch checked at the example size, not that the graph is wrong
    elsewhere (timm's EdgeNeXt and diffusers' attention add `Eq(batch, 1)` with a batch-1
    example; their ONNX models run and match PyTorch at batch 2). So for each pinning guard the
    check runs the program the exporter translates (after its decompositions) and the eager
    model at sizes past the guard (the pinned dims doubled; a size-1 dim becomes 2):

    - the graph fails, or differs from the eager model (and matches it at the example size):
      **error**, saying where and by how much;
    - the graph computes what the eager model computes: **info**, the guard restricts nothing;
    - the eager model fails too: **warning**, the model itself only runs at that size;
    - the run could not be compared (a time limit, different outputs at the example size too):
      **error**, as the guard alone says.

    A specialisation (the dim traced as a constant) is always an error: the ONNX input keeps
    the example's size. With `--exporter legacy` this check does not run: the TorchScript
    exporter's own tracer decides what is baked (ONX712, from its real run); torch.export's
    guards are not its decisions.

    ## Example
    ```python
    def forward(self, x):                     # --dynamic batch
        outs = [x[i] * 2 for i in range(x.shape[0])]
        return torch.stack(outs)
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return x * 2                          # vectorised over the batch
    ```

    ## Fix safety
    No fix: the shape logic has to be rewritten with tensor ops (`torch.where`, `reshape(b, -1)`
    with `b = x.shape[0]` kept symbolic, padding computed with tensor arithmetic).

    ## References
    - torch.export dynamic shapes: https://pytorch.org/docs/stable/export.html#expressing-dynamism
    - docs/measurements.md (ONX203, ONX204, ONX302 rows); docs/ground-truth.md, harness rows shape_len, cf_for_range_shape0, cf_if_on_shape_pad_to_multiple
    """

    code = "ONX703"
    name = "dynamic_dim_specialized"
    message = "A dim declared dynamic is frozen to one size by the traced code"
    applies_to = "dynamo exporter (TorchScript exporter: see ONX3xx, ONX712); found by tracing with --dynamic"
    needs_export = False
    EXAMPLES = [
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    outs = []
                    for i in range(x.shape[0]):
                        outs.append(x[i] * 2)
                    return torch.stack(outs)
            """,
            inputs=("2x3x8x8",),
            dynamic=("batch",),
            expect=(("ONX703", 7),),
        ),
        GraphExample(
            """
            import math

            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    side = int(math.sqrt(x.shape[2]))
                    return x.reshape(x.shape[0], x.shape[1], side, -1)
            """,
            inputs=("2x3x16x16",),
            dynamic=("batch", "height"),
            expect=(("ONX703", 8),),
        ),
        GraphExample(
            """
            import torch


            class Model(torch.nn.Module):
                def forward(self, x):
                    b = x.shape[0]
                    return x.reshape(b, -1).mean(1)
            """,
            inputs=("2x3x8x8",),
            dynamic=("batch", "height", "width"),
        ),
        GraphExample(
            """
            import torch
            import torch.nn.functional as F


            class Model(torch.nn.Module):
                def forward(self, x):
                    h = x.shape[2]
                    padded = (h + 7) // 8 * 8
                    if padded != h:
                        x = F.pad(x, (0, 0, 0, padded - h))
                    return x * 2
            """,
            inputs=("1x3x10x10",),
            dynamic=("height",),
            expect=(("ONX703", 9),),
        ),
    ]

    def run(self, capture: Capture) -> Iterable[Issue]:
        from onnxlint.graph.capture import input_index_of_source

        if capture.export_config is not None and not capture.export_config.is_dynamo:
            return  # the TorchScript exporter's own tracer decides what it bakes: ONX712, from its real run
        names = {d.symbol: d for d in capture.dynamic_dims if d.symbol}
        if not capture.exported:
            failure = next((f for f in capture.failures if f.kind == "constraint"), None)
            if failure is not None:
                failed: list[ShapeEvent | None] = [e for e in capture.failure_events if e.kind == "specialization"]
                for failed_event in failed or [None]:
                    yield Issue(
                        f"a dim declared dynamic is specialised by the traced code: {failure.summary}",
                        failed_event.frames if failed_event is not None else failure.frames,
                    )
            return
        seen: set[tuple[str, object]] = set()
        specialised = [d for d in capture.dynamic_dims if d.symbol is None]
        for dim in specialised:
            events = [
                e
                for e in capture.events
                if e.kind == "specialization"
                and any(
                    input_index_of_source(s, capture.model, len(capture.inputs)) == (dim.input_index, dim.dim)
                    for s in e.sources
                )
            ]
            if not events:
                yield Issue(
                    f"dim `{dim.name}` of input `{dim.input_name}` was declared dynamic but traced as the constant "
                    f"{dim.example}: the exported graph only accepts that size",
                    extra={"dim": dim.name, "value": dim.example},
                )
            for event in events:
                key = (dim.name, capture.site(event.frames))
                if key in seen:
                    continue
                seen.add(key)
                yield Issue(
                    f"dim `{dim.name}` of input `{dim.input_name}` was declared dynamic but this line specialises it "
                    f"to {event.value} ({event.reason.replace('_', ' ')}): the exported graph only accepts that size",
                    event.frames,
                    extra={"dim": dim.name, "value": event.value},
                )
        for event in capture.events:
            if event.kind != "guard":
                continue
            pinned = _pinned_dims(event.expr, names)
            if pinned is None:
                issue = _branch_guard(capture, event, names, seen)
                if issue is not None:
                    yield issue
                continue
            dims, value = pinned
            if len(dims) == 1 and not dims[0].bounded:
                # The guard was checked while tracing but left no bound on the program's range: the
                # graph stays general (measured: timm's ViT `cls_token.expand(x.shape[0], -1, -1)`
                # adds Eq(batch, 1) with a batch-1 example, and its ONNX model runs at batch 2 and 3).
                continue
            issue = _pin_issue(capture, event, dims, value, names, seen, "this line adds")
            if issue is not None:
                yield issue
        # The exporter's own steps after the capture decide on sizes too, and nothing re-checks them: its
        # decomposition of `adaptive_avg_pool2d` into `avg_pool2d` takes the example's size as the kernel.
        outcome = capture.outcome
        for event in outcome.events if outcome is not None else ():
            pinned = _pinned_dims(event.expr, names, floor_division=True) if event.kind == "guard" else None
            if pinned is None:
                continue
            issue = _pin_issue(
                capture, event, *pinned, names, seen, "the dynamo exporter's decomposition of this line adds"
            )
            if issue is not None:
                yield issue


def _pin_issue(
    capture: Capture,
    event: ShapeEvent,
    dims: list[DynamicDim],
    value: str,
    names: dict[str, DynamicDim],
    seen: set[tuple[str, object]],
    who: str,
) -> Issue | None:
    """A guard pinning declared dims, judged by running the exported graph past it (`onnxlint.graph.rerun`):
    an error only when the graph fails or computes wrong results at a size the eager model accepts."""
    from onnxlint.graph.rerun import compare_past

    label = "*".join(d.name for d in dims)
    key = (label, capture.site(event.frames))
    if key in seen or any((d.name, key[1]) in seen for d in dims):
        return None
    seen.add(key)
    inputs = ", ".join(sorted({f"`{d.input_name}`" for d in dims}))
    guard = _readable(event.expr, names)
    holds = f"{label} = {value}" if "//" not in event.expr else f"`{guard}` holds"
    head = f"dim{'s' if len(dims) > 1 else ''} `{label}` of {inputs} declared dynamic, but {who} the guard `{guard}`"
    rerun = compare_past(capture, {d.name for d in dims})
    extra = {"dim": label, "value": value, "guard": event.expr, "checked": rerun.verdict, "checked_at": rerun.where()}
    if rerun.verdict == "same":
        return Issue(
            f"{head}; yet at {rerun.where()} the exported graph computes what the eager model computes (checked): "
            f"the guard does not restrict the exported graph, which keeps {label} symbolic",
            event.frames,
            severity=Severity.INFO,
            extra=extra,
        )
    if rerun.verdict == "eager_fails":
        return Issue(
            f"{head}: the graph is valid where {holds} only, and so is the model: at {rerun.where()} the eager "
            f"model fails too ({rerun.detail})",
            event.frames,
            severity=Severity.WARNING,
            extra=extra,
        )
    if rerun.wrong:
        fails = "fails" if rerun.verdict == "graph_fails" else "differs from the eager model"
        checked = f"at {rerun.where()} the exported graph {fails} ({rerun.detail}) where the eager model runs"
    else:
        checked = f"not checked past it: {rerun.detail}"
    return Issue(
        f"{head}: torch.onnx.export keeps the dim symbolic, yet the graph only works where {holds} ({checked})",
        event.frames,
        extra=extra,
    )


# The SymInt/SymBool methods Python calls when a line branches on, or converts, a size: a guard added
# right below a model frame through one of these decided a Python branch or a Python int there.
_PYTHON_DECISIONS = frozenset(
    {"__bool__", "__int__", "__index__", "__float__", "__trunc__", "__round__", "__floor__", "__ceil__"}
)


def _branch_guard(
    capture: Capture, event: ShapeEvent, names: dict[str, DynamicDim], seen: set[tuple[str, object]]
) -> Issue | None:
    """A guard on declared-dynamic dims (any relation: `!=`, `<`, `%`, ...) that decided a Python branch or a
    Python size at a line of model code: the exported graph keeps the side taken for the example sizes."""
    symbols = sorted(set(re.findall(r"\b[su]\d+\b", event.expr)))
    dims = [names[s] for s in symbols if s in names]
    if not dims or capture.locator is None:
        return None
    frame = capture.locator.cause_frame(event.frames)
    if frame is None:
        return None
    deeper = event.frames[event.frames.index(frame) + 1 :]
    if not deeper or deeper[0].name not in _PYTHON_DECISIONS:
        return None  # added inside an op's shape logic (broadcasting, reshape): a requirement, not a branch
    label = "*".join(d.name for d in dims)
    key = (label, (frame.filename, frame.line))
    if key in seen or any((d.name, key[1]) in seen for d in dims):
        return None
    seen.add(key)
    condition = capture.locator.condition_text(frame)
    readable = _readable(event.expr, names)
    examples = ", ".join(f"{d.name}={d.example}" for d in dims)
    what = "branches on" if deeper[0].name == "__bool__" else "turns into a Python number"
    return Issue(
        f"this line {what} `{condition}`, which depends on {label} of "
        f"{', '.join(sorted({f'`{d.input_name}`' for d in dims}))} declared dynamic: tracing decided it for the "
        f"example size ({examples}) and recorded the guard `{readable}`, so the exported graph keeps that side "
        f"and is only valid {_valid_range(capture, dims, readable)}",
        event.frames,
        severity=Severity.WARNING,
        related=tuple(capture.locator.condition_sources(frame)),
        extra={"dim": label, "guard": event.expr, "condition": condition},
    )


def _valid_range(capture: Capture, dims: list[DynamicDim], readable: str) -> str:
    """The sizes the exported graph is valid for, in words: the validity domain of every recorded guard
    (`onnxlint.graph.domain`), else the program's range for each dim where this guard holds."""
    constraints = {str(k): v for k, v in getattr(capture.program, "range_constraints", {}).items()}
    bounds = {symbol: (_bound(r.lower), _bound(r.upper)) for symbol, r in constraints.items()}
    wanted = {d.name for d in dims}
    try:
        from onnxlint.graph.domain import validity_domain

        domains = validity_domain(capture.events, capture.dynamic_dims, ranges=bounds)
        texts = [f"{domain.name}: {domain.text()}" for domain in domains if domain.name in wanted]
        if texts:
            return "for " + "; ".join(texts)
    except Exception:  # the domain is an explanation: without it, the guard itself says where the graph holds
        pass
    ranges = []
    for dim in dims:
        lower, upper = bounds.get(dim.symbol or "", (None, None))
        if lower is not None:
            ranges.append(f"{dim.name} in [{lower}, {upper if upper is not None else 'inf'}]")
    where = f" with {', '.join(ranges)}" if ranges else ""
    return f"where `{readable}` holds{where}"


def _bound(value: object) -> int | None:
    if "oo" in str(value):
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _pinned_dims(
    expr: str, names: dict[str, DynamicDim], *, floor_division: bool = False
) -> tuple[list[DynamicDim], str] | None:
    """The declared-dynamic dims an `Eq(<dims>, <number>)` guard pins, and the number; None otherwise.
    `floor_division`: also `Eq(<dims> // k, <number>)` (what a decomposition's kernel size adds)."""
    import sympy

    if not expr.startswith("Eq("):
        return None
    try:
        parsed = sympy.sympify(expr, locals={name: sympy.Symbol(name, integer=True) for name in names if name})
    except (sympy.SympifyError, TypeError, SyntaxError, ValueError):
        return None
    if not isinstance(parsed, sympy.Eq):
        return None
    functions = parsed.atoms(sympy.Function)
    if functions and not (floor_division and all(isinstance(f, sympy.floor) for f in functions)):
        return None  # divisibility (Mod, FloorDiv) and other shape relations are requirements, not pins
    if parsed.rhs.is_number:
        side, value = parsed.lhs, parsed.rhs
    elif parsed.lhs.is_number:
        side, value = parsed.rhs, parsed.lhs
    else:
        return None
    symbols = sorted(str(s) for s in side.free_symbols)
    if not symbols or any(s not in names for s in symbols):
        return None
    return [names[s] for s in symbols], str(value)


def _readable(expr: str, names: dict[str, DynamicDim]) -> str:
    return re.sub(r"\b[su]\d+\b", lambda m: names[m.group(0)].name if m.group(0) in names else m.group(0), expr)
