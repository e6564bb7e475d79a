"""Source patterns that runtime profiles restrict (keys of linter/knowledge/runtimes.py's `Restriction`s).

`runtime_pattern(context, call)` names the restriction key a call falls under, or None. The keys
are the contract with linter/knowledge/runtimes.py: a profile lists a key when its runtime cannot run (or
runs differently) what the key's pattern exports to.
"""

from __future__ import annotations

import ast

from onnxlint.rules.api import FileContext, Kind

from ._interpolation import match_interpolation

GRID_SAMPLERS = frozenset(
    {"torch.nn.functional.grid_sample", "torch.grid_sampler", "torch.grid_sampler_2d", "torch.grid_sampler_3d"}
)

# qualified call name -> key
_BY_NAME: dict[str, str] = {
    "torch.unique": "unique",
    "torch.unique_consecutive": "unique",
    "torch.stft": "fft",
    "torch.istft": "fft",
    "torch.det": "det",
    "torch.logdet": "det",
    "torch.slogdet": "det",
    "torch.linalg.det": "det",
    "torch.linalg.slogdet": "det",
    "torch.nn.functional.affine_grid": "affine_grid",
    "torch.bernoulli": "bernoulli",
    "torch.multinomial": "bernoulli",
    "torch.bitwise_and": "bitwise",
    "torch.bitwise_or": "bitwise",
    "torch.bitwise_xor": "bitwise",
    "torch.bitwise_not": "bitwise",
    "torch.bitwise_left_shift": "bitwise",
    "torch.bitwise_right_shift": "bitwise",
    "torch.nn.functional.fold": "fold",
    "torch.nn.Fold": "fold",
    "torch.nn.functional.max_unpool1d": "max_unpool",
    "torch.nn.functional.max_unpool2d": "max_unpool",
    "torch.nn.functional.max_unpool3d": "max_unpool",
    "torch.nn.MaxUnpool1d": "max_unpool",
    "torch.nn.MaxUnpool2d": "max_unpool",
    "torch.nn.MaxUnpool3d": "max_unpool",
    "torch.nn.functional.avg_pool1d": "pool1d",
    "torch.nn.functional.max_pool1d": "pool1d",
    "torch.nn.AvgPool1d": "pool1d",
    "torch.nn.MaxPool1d": "pool1d",
    "torch.index_put": "scatter_accumulate",
    "torch.logsumexp": "logsumexp",
}
# tensor method -> key (when the receiver is known to be a tensor)
_BY_METHOD: dict[str, str] = {
    "unique": "unique",
    "unique_consecutive": "unique",
    "stft": "fft",
    "istft": "fft",
    "det": "det",
    "logdet": "det",
    "slogdet": "det",
    "bernoulli": "bernoulli",
    "bernoulli_": "bernoulli",
    "multinomial": "bernoulli",
    "bitwise_and": "bitwise",
    "bitwise_or": "bitwise",
    "bitwise_xor": "bitwise",
    "bitwise_not": "bitwise",
    "double": "float64",
    "logsumexp": "logsumexp",
}
_FLOAT64 = frozenset({"torch.float64", "torch.double"})
_CIRCULAR_PAD_MODULES = frozenset({"torch.nn.CircularPad1d", "torch.nn.CircularPad2d", "torch.nn.CircularPad3d"})
_CONVOLUTIONS = frozenset({"torch.nn.Conv1d", "torch.nn.Conv2d", "torch.nn.Conv3d"})
# qualified name -> positions of (kernel_size, stride, padding, ceil_mode, count_include_pad)
_AVG_POOLS: dict[str, tuple[int, int, int, int, int]] = {
    "torch.nn.functional.avg_pool1d": (1, 2, 3, 4, 5),
    "torch.nn.functional.avg_pool2d": (1, 2, 3, 4, 5),
    "torch.nn.functional.avg_pool3d": (1, 2, 3, 4, 5),
    "torch.nn.AvgPool1d": (0, 1, 2, 3, 4),
    "torch.nn.AvgPool2d": (0, 1, 2, 3, 4),
    "torch.nn.AvgPool3d": (0, 1, 2, 3, 4),
}
TOPK_LIMIT = 3840


def runtime_pattern(context: FileContext, call: ast.Call) -> str | None:
    qualified = context.call_name(call)
    if qualified is not None:
        if qualified in GRID_SAMPLERS:
            return "grid_sample.5d" if is_volumetric(context, call, qualified) else None
        if qualified.startswith("torch.fft."):
            return "fft"
        key = _BY_NAME.get(qualified)
        if key == "scatter_accumulate":
            return key if _accumulates(call) else None
        if key is not None:
            return key
        interpolation = match_interpolation(call, qualified)
        if interpolation is not None:
            if _keyword_is_true(call, "antialias"):
                return "resize.antialias"
            if interpolation.mode == "bicubic":
                return "resize.cubic"
            return None
        if qualified == "torch.topk":
            return _large_topk(call, 1)
        if qualified in (
            "torch.nn.functional.dropout",
            "torch.nn.functional.dropout1d",
            "torch.nn.functional.dropout2d",
            "torch.nn.functional.dropout3d",
        ):
            return "dropout.training" if _argument_is(call, 2, "training", True) else None
        if qualified == "torch.repeat_interleave":
            repeats = _argument(call, 1, "repeats")
            return "repeat_interleave.tensor" if repeats is not None and context.kind(repeats) is Kind.TENSOR else None
        if qualified == "torch.nn.functional.pad":
            return "pad.circular" if _argument_is(call, 2, "mode", "circular") else None
        if qualified in _CIRCULAR_PAD_MODULES or (
            qualified in _CONVOLUTIONS and _argument_is(call, 7, "padding_mode", "circular")
        ):
            return "pad.circular"
        if qualified in _AVG_POOLS and _ragged_average_pool(call, _AVG_POOLS[qualified]):
            return "avg_pool.ceil_include_pad"
        if qualified.startswith("torch.") and any(
            _is_float64(context, k.value) for k in call.keywords if k.arg == "dtype"
        ):
            return "float64"
        return None
    func = call.func
    if type(func) is ast.Attribute and context.kind(func.value) is Kind.TENSOR:
        method = func.attr
        if method in ("index_put", "index_put_"):
            return "scatter_accumulate" if _accumulates(call) else None
        if method == "topk":
            return _large_topk(call, 0)
        if method == "repeat_interleave":
            repeats = _argument(call, 0, "repeats")
            return "repeat_interleave.tensor" if repeats is not None and context.kind(repeats) is Kind.TENSOR else None
        if method == "to" and any(
            _is_float64(context, a) for a in [*call.args, *(k.value for k in call.keywords if k.arg == "dtype")]
        ):
            return "float64"
        return _BY_METHOD.get(method)
    return None


def binop_pattern(context: FileContext, node: ast.BinOp) -> str | None:
    """`t << 2` / `t >> 1` on tensors export to BitShift."""
    if type(node.op) in (ast.LShift, ast.RShift) and Kind.TENSOR in (context.kind(node.left), context.kind(node.right)):
        return "bitwise"
    return None


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    if position < len(call.args):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _argument_is(call: ast.Call, position: int, name: str, value: object) -> bool:
    given = _argument(call, position, name)
    return type(given) is ast.Constant and given.value == value


def _ragged_average_pool(call: ast.Call, positions: tuple[int, int, int, int, int]) -> bool:
    """ceil_mode=True with non-zero padding and count_include_pad left True (its default)."""
    _, _, padding_at, ceil_at, include_at = positions
    if not _argument_is(call, ceil_at, "ceil_mode", True):
        return False
    padding = _argument(call, padding_at, "padding")
    if padding is None or (type(padding) is ast.Constant and padding.value == 0):
        return False
    include = _argument(call, include_at, "count_include_pad")
    return include is None or (type(include) is ast.Constant and include.value is True)


def _keyword_is_true(call: ast.Call, name: str) -> bool:
    return any(k.arg == name and type(k.value) is ast.Constant and k.value.value is True for k in call.keywords)


def _accumulates(call: ast.Call) -> bool:
    if _keyword_is_true(call, "accumulate"):
        return True
    # index_put(indices, values, accumulate) / torch.index_put(input, indices, values, accumulate)
    position = 3 if type(call.func) is not ast.Attribute or len(call.args) >= 4 else 2
    if len(call.args) <= position:
        return False
    flag = call.args[position]
    return type(flag) is ast.Constant and flag.value is True


def _large_topk(call: ast.Call, position: int) -> str | None:
    k = (
        call.args[position]
        if len(call.args) > position
        else next((kw.value for kw in call.keywords if kw.arg == "k"), None)
    )
    if type(k) is ast.Constant and isinstance(k.value, int) and k.value >= TOPK_LIMIT:
        return "topk.large_k"
    return None


def _is_float64(context: FileContext, expr: ast.expr) -> bool:
    return context.qualified_name(expr) in _FLOAT64


def is_volumetric(context: FileContext, call: ast.Call, qualified: str) -> bool:
    """5-D input, when the source shows it: grid_sampler_3d, or a grid from affine_grid over a 5-element size."""
    if qualified == "torch.grid_sampler_3d":
        return True
    grid = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "grid"), None)
    if type(grid) is ast.Name and context.scope is not None:
        values = context.scope.assigned_values(grid.id)
        grid = values[0] if len(values) == 1 else grid  # one plain assignment: follow it
    if type(grid) is not ast.Call or context.call_name(grid) != "torch.nn.functional.affine_grid":
        return False
    size = grid.args[1] if len(grid.args) > 1 else next((k.value for k in grid.keywords if k.arg == "size"), None)
    return type(size) in (ast.List, ast.Tuple) and len(size.elts) == 5  # type: ignore[union-attr]
