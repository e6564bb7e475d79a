"""Shared matching for interpolation calls (`F.interpolate`, `nn.Upsample`, and their aliases)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

LINEAR_MODES = frozenset({"linear", "bilinear", "bicubic", "trilinear"})

# qualified name -> (position of `mode`, position of `align_corners`, implicit mode, implicit align_corners)
INTERPOLATION_CALLS: dict[str, tuple[int | None, int | None, str | None, bool | None]] = {
    "torch.nn.functional.interpolate": (3, 4, None, None),
    "torch.nn.functional.upsample": (3, 4, None, None),
    "torch.nn.functional.upsample_bilinear": (None, None, "bilinear", True),
    "torch.nn.functional.upsample_nearest": (None, None, "nearest", None),
    "torch.nn.Upsample": (2, 3, None, None),
    "torch.nn.UpsamplingBilinear2d": (None, None, "bilinear", True),
    "torch.nn.UpsamplingNearest2d": (None, None, "nearest", None),
}
DEFAULT_MODE = "nearest"


@dataclass(frozen=True)
class Interpolation:
    call: ast.Call
    qualified_name: str
    mode: str | None  # None: not a literal
    mode_node: ast.expr | None
    align_corners: bool | None  # None: not given / None literal; "unknown" is reported as None too
    align_corners_node: ast.expr | None
    align_corners_is_literal: bool


def match_interpolation(call: ast.Call, qualified_name: str | None) -> Interpolation | None:
    spec = INTERPOLATION_CALLS.get(qualified_name or "")
    if spec is None:
        return None
    mode_position, align_position, implicit_mode, implicit_align = spec
    mode_node = _argument(call, mode_position, "mode")
    align_node = _argument(call, align_position, "align_corners")
    if implicit_mode is not None:
        mode: str | None = implicit_mode
    elif mode_node is None:
        mode = DEFAULT_MODE
    elif type(mode_node) is ast.Constant and isinstance(mode_node.value, str):
        mode = mode_node.value
    else:
        mode = None
    if implicit_align is not None:
        align: bool | None = implicit_align
        literal = True
    elif align_node is None:
        align, literal = None, True
    elif type(align_node) is ast.Constant and (align_node.value is None or isinstance(align_node.value, bool)):
        align, literal = align_node.value, True
    else:
        align, literal = None, False
    return Interpolation(call, qualified_name or "", mode, mode_node, align, align_node, literal)


def _argument(call: ast.Call, position: int | None, name: str) -> ast.expr | None:
    if (
        position is not None
        and position < len(call.args)
        and not any(type(a) is ast.Starred for a in call.args[: position + 1])
    ):
        return call.args[position]
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None
