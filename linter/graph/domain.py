"""For which sizes an exported graph is valid, as far as the guards torch recorded show, and which sizes cross them.

`torch.export` (and so `torch.onnx.export(dynamo=True)`) traces the model once, at the example
sizes. Every branch the model takes on a declared-dynamic size becomes a *guard* on its symbol
(`Eq(Mod(s53, 2), 0)`: "the feature map stays even"); the graph is right only where all of them
hold, and the ONNX file keeps none of them. This module turns the guards into:

- `validity_domain(events, dims)`: per dynamic dim name, the sizes for which every guard holds
  (minimum, maximum, a modulus and the allowed remainders, or one size only), with `text()` for
  reports ("multiples of 32 from 64", "any >= 1") and `to_json()`;
- `boundary_sizes(domains)`: sizes on both sides of each guard's boundary nearest the example,
  then odd / prime sizes that are not multiples of 8, 16 or 32, bounded in number: the inputs a
  parity check should try.

Guards are torch's sympy expressions, given as text (the capture's `ShapeEvent.expr`) or as
sympy objects (printed). They are not solved symbolically: each guard is compiled to Python
(torch prints them in Python syntax, and defines `FloorDiv`, `PythonMod`, `CeilToInt`... with
Python's meaning on integers) and evaluated on every size in a window around the example (other
dims at their example sizes), which handles whatever torch writes (floor divisions, modulos of
floor divisions, products of dims, float ceilings), and the pattern of sizes that pass is then
described by its period. Pure Python: sympy's own parser and evaluation cost ~50 ms a guard,
seconds on a real model's hundred guards; compiled, the whole scan takes milliseconds.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from onnxlint.core.modelspec import dim_role

# The dense window scanned around the example: [1, max(_MIN_TOP, 2 * example + _SLACK)], at most _MAX_TOP.
_MIN_TOP = 256
_SLACK = 64
_MAX_TOP = 4096
_MAX_PERIOD = 256
_SYMBOL = re.compile(r"\b[su]\d+\b")
_SYMBOL_EQUALITY = re.compile(r"Eq\([su]\d+, [su]\d+\)")
DEFAULT_EXTRA_SIZES = 6


@dataclass(frozen=True)
class Guard:
    """One condition on the sizes: a guard, a deferred runtime assert, a range or a specialisation."""

    expr: str  # as torch printed it (`Eq(Mod(s53, 2), 0)`)
    kind: str = "guard"  # "guard", "assert", "range", "specialization"
    where: str = ""  # file:line it came from, when known


@dataclass
class DimDomain:
    """The sizes of one dynamic dim name for which the exported graph is valid, as far as the guards show."""

    name: str
    example: int
    symbols: tuple[str, ...] = ()
    known: bool = True  # False: no guards were recorded (the TorchScript exporter records none)
    minimum: int = 1
    maximum: int | None = None  # None: no upper bound
    modulus: int = 1
    remainders: tuple[int, ...] = (0,)  # valid when size % modulus is one of these
    pinned: int | None = None  # valid for this one size only (a guard or a specialisation pinned it)
    exact: bool = True  # the description matches every size scanned (False: sizes listed in `sample`)
    sample: tuple[int, ...] = ()  # valid sizes found when no simple pattern describes them
    guards: list[Guard] = field(default_factory=list)  # the guards that narrow this dim
    relations: list[str] = field(default_factory=list)  # conditions that tie it to other dims
    # size -> "passed", "failed" or "eager rejects", filled by the checks that ran it
    checked: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # guards not understood, or not evaluated in the time budget
    _valid: Callable[[int], bool] | None = field(default=None, repr=False, compare=False)
    _per_guard: list[tuple[Guard, list[bool | None]]] = field(default_factory=list, repr=False, compare=False)

    @property
    def one_size_only(self) -> bool:
        return self.pinned is not None

    @property
    def refuted(self) -> bool:
        """A size the guards call valid failed its check: the guards do not describe what the file handles."""
        return any(how == "failed" and self.contains(size) for size, how in self.checked.items())

    def contains(self, size: int) -> bool:
        if self._valid is not None:
            return self._valid(size)
        if self.pinned is not None:
            return size == self.pinned
        if size < self.minimum or (self.maximum is not None and size > self.maximum):
            return False
        return size % self.modulus in self.remainders

    def text(self) -> str:
        if not self.known:
            text = "not known from guards (the TorchScript exporter records none)"
        elif self.pinned is not None:
            text = f"declared dynamic but valid for one size only: {self.pinned}"
        elif not self.exact and self.sample:
            shown = ", ".join(str(s) for s in self.sample[:8])
            text = f"only some sizes: {shown}{', ...' if len(self.sample) > 8 else ''}"
        else:
            text = _pattern_text(self.minimum, self.maximum, self.modulus, self.remainders)
        if self.relations:
            text += "; with " + "; ".join(self.relations[:3])
        if self.notes:
            text += f" ({'; '.join(self.notes)})"
        passed_outside = sorted(s for s, how in self.checked.items() if how == "passed" and not self.contains(s))
        if passed_outside and self.known:
            text += "; the file also passed at " + ", ".join(str(s) for s in passed_outside)
        failed = sorted(s for s, how in self.checked.items() if how == "failed" and self.contains(s))
        if failed:
            passed = sorted(s for s, how in self.checked.items() if how == "passed")
            text += "; but the file failed at " + ", ".join(str(s) for s in failed)
            text += " (the guards do not describe it: valid only where checked, " + (
                ", ".join(str(s) for s in passed) + ")" if passed else "none passed)"
            )
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "dim": self.name,
            "example": self.example,
            "symbols": list(self.symbols),
            "known": self.known,
            "text": self.text(),
            "min": self.minimum if self.known else None,
            "max": self.maximum,
            "modulus": self.modulus,
            "remainders": list(self.remainders),
            "one_size_only": self.one_size_only,
            "refuted": self.refuted,
            "pinned": self.pinned,
            "exact": self.exact,
            "sample": list(self.sample),
            "guards": [g.expr for g in self.guards],
            "relations": self.relations,
            "checked": {str(size): how for size, how in sorted(self.checked.items())},
            "notes": self.notes,
        }


@dataclass(frozen=True)
class BoundarySize:
    """A size worth checking for one dim, and why."""

    dim: str
    size: int
    why: str  # "crosses Eq(Mod(height, 2), 0)", "odd, prime, not a multiple of 8"
    inside: bool  # inside the validity domain (False: the guards say the graph is not valid there)
    where: str = ""  # file:line of the guard it crosses, when known (the branch the model took)
    guard: str = ""  # the guard it crosses, as torch printed it


def _pattern_text(minimum: int, maximum: int | None, modulus: int, remainders: Sequence[int]) -> str:
    upper = f" up to {maximum}" if maximum is not None else ""
    if modulus == 1:
        if maximum is not None:
            return f"any from {minimum} to {maximum}"
        return f"any >= {minimum}"
    if len(remainders) == 1 and remainders[0] == 0:
        return f"multiples of {modulus} from {minimum}{upper}"
    if len(remainders) == 1:
        return f"sizes {remainders[0]} mod {modulus} from {minimum}{upper}"
    first = [n for n in range(minimum, minimum + 3 * modulus) if n % modulus in remainders][:4]
    shown = ", ".join(str(n) for n in first)
    return f"sizes {_runs(remainders, modulus)} mod {modulus} from {minimum}{upper} ({shown}, ...)"


def _runs(remainders: Sequence[int], modulus: int) -> str:
    """Remainders as runs, wrapping around: (0, 57, ..., 63) mod 64 -> "57-64"; (0, 3) mod 4 -> "3-4"."""
    present = set(remainders)
    runs: list[tuple[int, int]] = []
    for r in sorted(present):
        if runs and r == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == modulus - 1:  # one run across 0
        first = runs.pop(0)
        runs[-1] = (runs[-1][0], modulus + first[1])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


# -- parsing and evaluating torch's guard expressions -------------------------------------------


class _Compiled:
    """A guard's text compiled to Python: evaluated with integer sizes bound to its symbols."""

    def __init__(self, text: str, code: Any, symbols: frozenset[str]) -> None:
        self.text = text
        self.code = code
        self.symbols = symbols

    def __call__(self, values: Mapping[str, int]) -> bool | None:
        return self.bind(values)(None)

    def bind(self, fixed: Mapping[str, int], varying: Sequence[str] = ()) -> Callable[[int | None], bool | None]:
        """A function of one size: `varying` symbols set to it, `fixed` ones to their values."""
        scope = {**_NAMESPACE, **fixed}
        code = self.code

        def evaluate(size: int | None) -> bool | None:
            for name in varying:
                scope[name] = size
            try:
                return bool(eval(code, {"__builtins__": {}}, scope))
            except Exception:  # a size where an expression is undefined (a division by zero): not decided
                return None

        return evaluate


def _int_true_div(a: Any, b: Any) -> Any:
    return a / b


def _python_mod(a: Any, b: Any) -> Any:
    return a % b


def _floor_div(a: Any, b: Any) -> Any:
    return a // b


# torch's sympy functions (torch/utils/_sympy/functions.py) and sympy's own, by the name they print as,
# with Python's meaning on integer sizes: torch defines them to match Python's.
_NAMESPACE: dict[str, Any] = {
    "Eq": lambda a, b: a == b,
    "Ne": lambda a, b: a != b,
    "Lt": lambda a, b: a < b,
    "Le": lambda a, b: a <= b,
    "Gt": lambda a, b: a > b,
    "Ge": lambda a, b: a >= b,
    "And": lambda *a: all(a),
    "Or": lambda *a: any(a),
    "Not": lambda a: not a,
    "Mod": _python_mod,
    "PythonMod": _python_mod,
    "FloorDiv": _floor_div,
    "CleanDiv": _floor_div,
    "CeilDiv": lambda a, b: -(-a // b),
    "ModularIndexing": lambda a, b, c: (a // b) % c,
    "IntTrueDiv": _int_true_div,
    "FloatTrueDiv": _int_true_div,
    "ToFloat": float,
    "TruncToInt": int,
    "TruncToFloat": lambda a: float(int(a)),
    "FloorToInt": math.floor,
    "CeilToInt": math.ceil,
    "floor": math.floor,
    "ceiling": math.ceil,
    "RoundToInt": round,
    "Abs": abs,
    "Max": max,
    "Min": min,
    "PowByNatural": pow,
    "FloatPow": pow,
    "Pow": pow,
    "Identity": lambda a: a,
    "sqrt": math.sqrt,
    "oo": math.inf,
    "int_oo": math.inf,
    "true": True,
    "false": False,
    "True": True,
    "False": False,
}
_ALLOWED_NODES = (
    ast.Expression,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)


def compile_guard(expr: Any) -> _Compiled | None:
    """A guard (text as torch prints it, or a sympy boolean) as a fast Python function, or None if not understood.

    torch prints guards in Python syntax (`Eq(Mod(s53, 2), 0)`, `((s0 - 1)//8)`, `(a >= 1) & (b > 0)`);
    only calls of the functions above, names of size symbols, numbers and operators are accepted.
    """
    text = str(expr).strip()
    if not text:
        return None
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    symbols = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            return None
        if isinstance(node, ast.Name):
            if _SYMBOL.fullmatch(node.id):
                symbols.add(node.id)
            elif node.id not in _NAMESPACE:
                return None
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and not node.keywords):
            return None
    return _Compiled(text, compile(tree, "<guard>", "eval"), frozenset(symbols))


# -- the domain ---------------------------------------------------------------------------------


def guards_from_events(events: Iterable[Any]) -> list[Guard]:
    """The capture's `ShapeEvent`s (or anything with `kind`, `expr`, `frames`) as guards, deduplicated."""
    guards: list[Guard] = []
    seen: set[str] = set()
    for event in events:
        kind = getattr(event, "kind", "guard")
        expr = str(getattr(event, "expr", event))
        if kind == "specialization":
            symbol, value = getattr(event, "symbol", None), getattr(event, "value", None)
            if not symbol or value is None:
                continue
            expr = f"Eq({symbol}, {value})"
        if expr in seen:
            continue
        seen.add(expr)
        frames = getattr(event, "frames", ()) or ()
        if kind == "guard" and _layout_only(frames):
            kind = "layout"
        guards.append(Guard(expr, kind, model_line(frames)))
    return guards


# Guards torch adds while choosing a kernel or a memory layout for the example (fake tensors' conv
# backend, contiguity and stride checks): they decide strides, which an ONNX graph does not have, not
# values. resnet18's `s77 < 16` and convnext's `s77 <= 1` (the batch) come from the conv backend choice.
# (A guard torch adds during such a step can still be one a shape computation needs; none was seen.)
_LAYOUT_FRAMES = (
    ("fake_impls.py", "conv"),
    # Fake tensors' dispatch cache rebuilding an output's strides (vit's `Eq(batch, 1)`, `768*batch <= 768`).
    ("fake_tensor.py", "_get_output_tensor_from_cache_entry"),
    ("fake_tensor.py", "_output_from_cache_entry"),
)
_LAYOUT_NAMES = ("contiguous", "stride", "memory_format", "channels_last")


def _layout_only(frames: Sequence[Any]) -> bool:
    for frame in frames:
        filename = str(getattr(frame, "filename", "")).replace("\\", "/")
        name = str(getattr(frame, "name", ""))
        if "/torch/" not in filename:
            continue
        if any(filename.endswith(f) and name == n for f, n in _LAYOUT_FRAMES):
            return True
        if "/torch/_prims_common/" in filename and any(marker in name for marker in _LAYOUT_NAMES):
            return True
    return False


def model_line(frames: Sequence[Any]) -> str:
    """`file:line` of the innermost frame of the user's or a model library's code (not torch's), or ""."""
    import traceback

    from onnxlint.graph.frames import deepest_model_frame

    summaries = [
        traceback.FrameSummary(f.filename, f.line, f.name)
        for f in frames
        if "/lib/python3" not in f.filename or "-packages/" in f.filename  # not the standard library
    ]
    frame = deepest_model_frame(summaries)
    return f"{frame.filename}:{frame.lineno}" if frame is not None else ""


def validity_domain(
    guards: Iterable[Any],
    dims: Sequence[Any],
    *,
    ranges: Mapping[str, tuple[int | None, int | None]] | None = None,
    known: bool = True,
    budget_seconds: float = 10.0,
) -> list[DimDomain]:
    """Per dynamic dim name, the sizes where every guard holds (other dims at their example sizes).

    `guards`: `Guard`s, the capture's `ShapeEvent`s, sympy booleans or their text. `dims`: the
    capture's `DynamicDim`s (`name`, `example`, `symbol`; a `symbol` of None means torch
    specialised the dim to its example size). `ranges`: torch's value ranges per symbol
    (`ExportedProgram.range_constraints`), as (lower, upper) with None for unbounded.
    `known=False`: no guards were recorded at all (the TorchScript exporter): the domains say so.
    `budget_seconds`: guards left when it runs out are not evaluated (the domain says so, `exact` False).
    """
    import time

    deadline = time.perf_counter() + budget_seconds
    items: list[Guard] = []
    parsed: list[Any] = []
    seen: set[str] = set()  # a guard torch recorded for a kernel or layout choice is left out, wherever it comes again
    layout: list[str] = []
    for item in guards:
        if isinstance(item, Guard):
            guard, source = item, item.expr
        elif hasattr(item, "kind") and hasattr(item, "expr"):  # the capture's ShapeEvent
            converted = guards_from_events([item])
            if not converted:
                continue
            guard = converted[0]
            source = guard.expr
        else:  # text or a sympy boolean
            guard, source = Guard(str(item)), item
        if guard.expr in seen:
            continue
        seen.add(guard.expr)
        if guard.kind == "layout":
            layout.append(guard.expr)
            continue
        items.append(guard)
        parsed.append(compile_guard(source))

    # torch folds an upper bound like `s77 <= 1` into the symbol's range too: a layout guard's bound goes.
    ranges = dict(ranges or {})
    for text in layout:
        layout_symbols = set(_SYMBOL.findall(text))
        if len(layout_symbols) == 1 and ("<" in text or ">" in text):
            (symbol,) = layout_symbols
            low, _high = ranges.get(symbol, (None, None))
            ranges[symbol] = (low, None)

    names: dict[str, list[Any]] = {}
    for dim in dims:
        names.setdefault(dim.name, []).append(dim)
    symbol_name: dict[str, str] = {}
    example_of: dict[str, int] = {}
    for name, members in names.items():
        for dim in members:
            if dim.symbol:
                symbol_name[dim.symbol] = name
                example_of[dim.symbol] = int(dim.example)

    domains = []
    for name, members in names.items():
        example = int(members[0].example)
        symbols = tuple(sorted({d.symbol for d in members if d.symbol}))
        domain = DimDomain(name, example, symbols, known=known)
        domains.append(domain)
        if not known:
            continue
        if not symbols or any(d.symbol is None for d in members):
            domain.pinned = example
            domain.minimum, domain.maximum = example, example
            domain.guards.append(Guard(f"{name} traced as the constant {example}", "specialization"))
            continue
        _scan(domain, items, parsed, symbol_name, example_of, ranges or {}, deadline)
    unparsed = sum(1 for expr in parsed if expr is None)
    if unparsed and known:
        for domain in domains:
            domain.notes.append(f"{unparsed} guard(s) not understood, left out")
    return domains


def _scan(
    domain: DimDomain,
    items: list[Guard],
    parsed: list[Any],
    symbol_name: dict[str, str],
    example_of: dict[str, int],
    ranges: Mapping[str, tuple[int | None, int | None]],
    deadline: float,
) -> None:
    import time

    own = set(domain.symbols)
    checks: list[tuple[Guard, Callable[[int], bool | None]]] = []
    for guard, compiled in zip(items, parsed):
        if compiled is None:
            continue
        free = set(compiled.symbols)
        if not free & own:
            continue
        if free - set(symbol_name):  # an unbacked or undeclared symbol: not a condition on sizes alone
            continue
        others = {symbol_name[s] for s in free - own}
        if others and _SYMBOL_EQUALITY.fullmatch(compiled.text):
            domain.relations.append(_named(guard.expr, symbol_name))
            continue
        fixed = {s: example_of[s] for s in free - own}
        checks.append((guard, compiled.bind(fixed, sorted(free & own))))
    lower, upper = 1, None
    for symbol in domain.symbols:
        low, high = ranges.get(symbol, (None, None))
        if low is not None:
            lower = max(lower, int(low))
        if high is not None:
            upper = int(high) if upper is None else min(upper, int(high))

    example = domain.example
    top = min(_MAX_TOP, max(_MIN_TOP, 2 * example + _SLACK))
    if upper is not None:
        top = min(top, max(upper, example))
    narrowing: list[Guard] = []
    truth: dict[int, bool] = {}
    per_guard: list[tuple[Guard, list[bool | None]]] = []
    # torch's value range is a guard too (it folds `x.shape[2] >= 8` into the range): its ends have two sides.
    if lower > 1:
        bound = lower

        def at_least(size: int, bound: int = bound) -> bool:
            return size >= bound

        checks.append((Guard(f"{domain.symbols[0]} >= {bound}", "range"), at_least))
    if upper is not None:
        top_bound = upper

        def at_most(size: int, top_bound: int = top_bound) -> bool:
            return size <= top_bound

        checks.append((Guard(f"{domain.symbols[0]} <= {top_bound}", "range"), at_most))
    for position, (guard, check) in enumerate(checks):
        if time.perf_counter() > deadline:
            domain.exact = False
            domain.notes.append(f"{len(checks) - position} guard(s) not evaluated (time budget)")
            break
        values = [check(size) for size in range(1, top + 1)]
        per_guard.append((guard, values))
        if any(v is False for v in values):
            narrowing.append(guard)
    for size in range(1, top + 1):
        ok = lower <= size and (upper is None or size <= upper)
        if ok:
            ok = all(values[size - 1] is not False for _, values in per_guard)
        truth[size] = ok
    domain.guards = narrowing
    domain._valid = _membership(truth, per_guard, checks, lower, upper, top)
    domain._per_guard = per_guard
    valid = [s for s, ok in truth.items() if ok]
    if not truth.get(example, False) and example <= top:
        # The graph was traced at the example: a guard it fails is one this module misread.
        domain.exact = False
    if not valid or valid == [example]:
        domain.pinned = example
        domain.minimum = domain.maximum = example
        return
    domain.minimum = valid[0]
    beyond = [size for size in (top * 2, top * 4, 8192, 65536) if upper is None or size <= upper]
    unbounded_at_top = truth[top] or any(_holds(checks, size) for size in beyond)
    if upper is not None and upper <= top:
        domain.maximum = max(valid)
    elif not unbounded_at_top:
        domain.maximum = max(valid)
    else:
        domain.maximum = upper
    period = _period(truth, domain.minimum, min(top, domain.maximum or top))
    if period is None:
        domain.exact = False
        domain.sample = tuple(valid[:16])
        return
    domain.modulus = period
    domain.remainders = tuple(sorted({s % period for s in valid if s < domain.minimum + period}))
    if domain.exact is False:
        domain.sample = tuple(valid[:16])


def _holds(checks: list[tuple[Guard, Callable[[int], bool | None]]], size: int) -> bool:
    return all(check(size) is not False for _, check in checks)


def _membership(
    truth: dict[int, bool],
    per_guard: list[tuple[Guard, list[bool | None]]],
    checks: list[tuple[Guard, Callable[[int], bool | None]]],
    lower: int,
    upper: int | None,
    top: int,
) -> Callable[[int], bool]:
    def valid(size: int) -> bool:
        if size in truth:
            return truth[size]
        if size < lower or (upper is not None and size > upper):
            return False
        return _holds(checks, size)

    return valid


def _period(truth: dict[int, bool], start: int, stop: int) -> int | None:
    """The smallest p with truth[s] == truth[s + p] for every s in [start, stop - p] (windows long enough to tell)."""
    span = stop - start + 1
    for period in range(1, min(_MAX_PERIOD, span // 2) + 1):
        if all(truth[s] == truth[s + period] for s in range(start, stop - period + 1)):
            return period
    return None if span > 2 else 1


def _named(expr: str, symbol_name: Mapping[str, str]) -> str:
    return _SYMBOL.sub(lambda m: symbol_name.get(m.group(0), m.group(0)), expr)


# -- boundary sizes -----------------------------------------------------------------------------


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    return all(n % k for k in range(3, math.isqrt(n) + 1, 2))


def _nearest(start: int, accept: Callable[[int], bool], low: int, high: int) -> int | None:
    """The size nearest `start` (the smaller one on a tie) in [low, high] that `accept`s, start excluded."""
    for distance in range(1, max(start - low, high - start) + 1):
        for size in (start - distance, start + distance):
            if low <= size <= high and accept(size):
                return size
    return None


def _walk(start: int, step: int, accept: Callable[[int], bool], low: int, high: int) -> int | None:
    size = start + step
    while low <= size <= high:
        if accept(size):
            return size
        size += step
    return None


def _candidates(domain: DimDomain, exclude: set[int]) -> list[BoundarySize]:
    """This dim's sizes to check, most telling first."""
    example = domain.example
    is_batch = dim_role(domain.name) == "batch"  # `batch`, or `batch_<input>` when inputs' batches differ
    high = max(2 * example + _SLACK, _MIN_TOP) if not is_batch else max(2 * example + 2, 8)
    found: list[BoundarySize] = []

    def add(size: int | None, why: str, where: str = "", guard: str = "") -> None:
        if size is None or size < 1 or size > high or size in exclude or any(c.size == size for c in found):
            return
        found.append(BoundarySize(domain.name, size, why, domain.contains(size), where, guard))

    names = {s: domain.name for s in domain.symbols}
    for guard, values in domain._per_guard:
        if all(v is not False for v in values):
            continue
        top = len(values)

        def holds(size: int, values: list[bool | None] = values) -> bool:
            return size > len(values) or values[size - 1] is not False

        def fails(s: int, holds: Callable[[int], bool] = holds) -> bool:
            return not holds(s)

        violating = _nearest(example, fails, 1, min(top, high))
        if violating is None:
            continue
        text = _named(guard.expr, names)
        add(violating, f"crosses {text} (outside)", guard.where, guard.expr)
        toward = 1 if violating < example else -1
        inside = _walk(violating, toward, holds, 1, top)
        if inside == example or inside is None:
            inside = _walk(violating, -toward, holds, 1, min(top, high))
        if inside is not None and inside != example:
            add(inside, f"the other side of {text}")
    # Sizes that break hidden assumptions: odd, prime, not a multiple of 8/16/32.
    if is_batch or example <= 4:
        add(_nearest(example, lambda s: _is_prime(s) and s > 2, 3, high), "odd, prime")
    else:
        prime = _nearest(example, lambda s: _is_prime(s) and s < example, 2, example) or _nearest(
            example, _is_prime, 2, high
        )
        add(prime, "odd, prime, not a multiple of 8")
        add(_nearest(example, lambda s: s % 2 == 0 and s % 4 != 0, 2, high), "even, not a multiple of 4")
    if domain.known and domain.pinned is None and (domain.modulus > 1 or domain.maximum is not None):
        # Another size inside the domain: does the graph generalise where the guards say it does? (A
        # range can come from the program's range constraints alone, with no guard to cross.)
        add(_nearest(example, domain.contains, domain.minimum, high), "another size inside the domain")
    return found


def boundary_sizes(
    domains: Sequence[DimDomain],
    *,
    limit: int = DEFAULT_EXTRA_SIZES,
    exclude: Mapping[str, Iterable[int]] | None = None,
) -> list[BoundarySize]:
    """Sizes to check, at most `limit` in all, one dim changed at a time, spread over the dims.

    For each dim: the size nearest the example on the other side of each guard that narrows it
    (another parity or remainder for `Eq`/`Ne`/`Mod` guards, beyond a range's end) and the
    nearest size back inside, then an odd prime that is no multiple of 8, 16 or 32 and an even
    size that is no multiple of 4, then another size inside the domain. `exclude`: sizes per dim
    already checked (the example, the pipeline's other input sets).
    """
    excluded = {name: set(sizes) for name, sizes in (exclude or {}).items()}
    queues = [_candidates(d, excluded.get(d.name, set()) | {d.example}) for d in domains]
    chosen: list[BoundarySize] = []
    depth = 0
    while len(chosen) < limit and any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue) and len(chosen) < limit:
                chosen.append(queue[depth])
        depth += 1
    return chosen


__all__ = [
    "DEFAULT_EXTRA_SIZES",
    "BoundarySize",
    "DimDomain",
    "Guard",
    "boundary_sizes",
    "compile_guard",
    "guards_from_events",
    "model_line",
    "validity_domain",
]
