from __future__ import annotations

import ast
from typing import Any

from onnxlint.rules.api import (
    Applicability,
    Invalid,
    Rule,
    Severity,
    Valid,
    ensure_torch,
    module_insertions,
    replace_node,
    requirement,
    segment,
)

from ._adaptive_pool_helper import (
    AVG_FUNCTION,
    AVG_MODULE,
    MAX_FUNCTION,
    MAX_MODULE,
    function_source,
    module_source,
)
from ._operators import UNKNOWN, argument, exports, literal, may_be_traced, parameter_default
from ._sizes import binding_reaching, is_dynamic_size

# qualified name -> (kind, spatial rank)
_FUNCTIONS: dict[str, tuple[str, int]] = {}
_MODULES: dict[str, tuple[str, int]] = {}
for _rank in (1, 2, 3):
    for _kind, _camel in (("avg", "Avg"), ("max", "Max")):
        for _prefix in ("torch.nn.functional.", "torch."):
            _FUNCTIONS[f"{_prefix}adaptive_{_kind}_pool{_rank}d"] = (_kind, _rank)
        _FUNCTIONS[f"torch.nn.functional.adaptive_max_pool{_rank}d_with_indices"] = ("max", _rank)
        for _prefix in ("torch.nn.", "torch.nn.modules.", "torch.nn.modules.pooling."):
            _MODULES[f"{_prefix}Adaptive{_camel}Pool{_rank}d"] = (_kind, _rank)


# `F.interpolate` under the names it is called by; with `mode="area"` it is adaptive average pooling.
_INTERPOLATE = frozenset({"torch.nn.functional.interpolate", "torch.nn.functional.upsample"})


def _describe(size: Any) -> str:
    return "an output size that is not known here" if size is UNKNOWN else f"output size {size!r}"


def _is_global(size: Any) -> bool:
    """Output size 1 (or all ones): a global pool, which exports everywhere."""
    if size == 1:
        return True
    return isinstance(size, (tuple, list)) and len(size) > 0 and all(s == 1 for s in size)


class AdaptivePoolOutputSize(Rule):
    """Adaptive pooling to an output size other than 1.

    ## What it does
    Flags `F.adaptive_avg_pool1d/2d/3d`, `F.adaptive_max_pool1d/2d/3d` and the
    `nn.AdaptiveAvgPool*d` / `nn.AdaptiveMaxPool*d` modules (where they are constructed) when
    the output size is not 1 (or all ones), including sizes that are not literals and tuples
    with `None`. Output size 1 is a global pool and exports everywhere. Also `F.interpolate(x,
    size=..., mode="area")`, which is adaptive average pooling to that size (with the dynamo
    exporter; measured, `area_3x3`), unless a `view` or `reshape` just before sets every dim but
    the batch to sizes no input's shape gives. A module the class's other methods run only where the
    export does not go is not reported (smp's PSPNet runs `self.pool(x)` under
    `torch.jit.is_scripting()` and in the `else` of `torch.onnx.is_in_onnx_export()`, whose
    export branch runs `self.pool[1]`, the convolution after the pool, alone).

    ## Why is this bad for ONNX
    ONNX has no adaptive pooling; an exporter has to turn it into a fixed `AveragePool` /
    `MaxPool`, whose kernel depends on the input size. Measured on torch 2.13 with dynamic
    batch, height and width (docs/measurements.md):
    - the TorchScript exporter (`dynamo=False`) raises "Unsupported: ONNX export of operator
      adaptive_avg_pool2d, input size not accessible" at every opset, even when the output
      size divides the input; with static height/width it exports only sizes that divide the
      input ("output size that are not factor of input size");
    - the dynamo exporter bakes the kernel for the example's height/width: the model exports
      without a word and computes wrong numbers, or wrong shapes, for every other size
      (`(3, 3)` on 8x8 -> 11x11: max abs difference 0.27; `nn.AdaptiveAvgPool2d((7, 7))`
      exported at 14x14 returned 8x8 instead of 7x7 on 17x17). With static shapes, or only the
      batch dynamic, it matched;
      `adaptive_avg_pool3d` and adaptive max pooling to a size that does not divide the input
      fail to export with it even then.

    Nothing in the source says whether the height/width will be dynamic, so the rule reports
    every non-global adaptive pool; with fixed input sizes that divide evenly (a classifier at
    224x224 with `AdaptiveAvgPool2d((7, 7))`) the export is fine and the finding can be
    ignored (`# noqa: ONX106`).

    ## Example
    ```python
    self.pool = nn.AdaptiveAvgPool2d((7, 7))
    ...
    y = F.adaptive_avg_pool2d(x, (3, 3))
    ```

    ## Use instead
    Pool with matrices built from the runtime size, which is what the fix inserts (same bins as
    PyTorch, any input size, both exporters):
    ```python
    y = onnx_adaptive_avg_pool2d(x, (3, 3))
    self.pool = OnnxAdaptiveAvgPool2d((7, 7))
    ```
    When the input size is fixed and divisible, an explicit `nn.AvgPool2d(kernel_size=k,
    stride=k)` with `k = input_size // output_size` is the same computation and exports as a
    single `AveragePool` (not applied automatically: the input size is not in the source).

    ## Fix safety
    Unsafe (applied with `--unsafe-fixes`), for 2-D average pooling and 2-D max pooling without
    indices (functions and modules): the helper computes PyTorch's exact bins from the runtime
    size, and a test exports the fixed code with both exporters under dynamic height/width and
    compares it with the original in onnxruntime (max abs difference below 1e-5 in float32: the
    average is a matmul with 1/n weights, not a sum divided by n). It is not safe because two
    facts it needs are not proven: that nobody scripts the model (`torch.jit.script` rejects
    the helper's nested function, and torchvision's and timm's models are scriptable), and
    that it runs in float32 (in float16 the matmul rounds differently, measured: 5e-4 apart on
    the real-package check, docs/fixes.md). The helpers allocate an `(..., out_h, H, W)` mask
    product for max pooling, and are slower than a native pool on large maps. No fix for 1-D
    and 3-D pooling or `return_indices=True`; for `interpolate(mode="area")` the helper is only
    suggested (display-only).

    ## References
    - torch/onnx/_internal/torchscript_exporter/symbolic_opset9.py (`_adaptive_pool`)
    - docs/measurements.md (ONX106 rows); docs/ground-truth.md, harness rows pool_adaptive_* and their verified
      rewrites (AdaptiveAvgPoolMatmul, AdaptiveMaxPoolMasked)
    """

    code = "ONX106"
    name = "adaptive_pool_output_size"
    message = "Adaptive pooling to an output size other than 1 does not export with a dynamic height/width"
    fix_title = "Pool with the size-independent `onnx_adaptive_*_pool2d` helper"
    fix_applicability = Applicability.UNSAFE
    trigger_names = ("adaptive_", "Adaptive", '"area"', "'area'")
    applies_to = "TorchScript exporter: raises; dynamo: bakes the size (dynamic height/width); output size 1 is silent"

    def visit_Call(self, node: ast.Call) -> None:
        qualified = self.context.call_name(node) or ""
        area = False
        if qualified in _FUNCTIONS:
            (kind, rank), size_node, is_module = _FUNCTIONS[qualified], argument(node, 1, "output_size"), False
        elif qualified in _MODULES:
            (kind, rank), size_node, is_module = _MODULES[qualified], argument(node, 0, "output_size"), True
        elif qualified in _INTERPOLATE and literal(argument(node, 4, "mode")) == "area":
            # `F.interpolate(x, size=(k, k), mode="area")` is adaptive average pooling (smp's PSPNet export path)
            (kind, rank), size_node, is_module, area = ("avg", 2), argument(node, 1, "size"), False, True
        else:
            return
        if size_node is None or (not is_module and not may_be_traced(self.context)):
            return
        size = literal(size_node)
        if size is UNKNOWN:
            size = parameter_default(self.context, size_node)  # `def pool(x, output_size=1)`
        if _is_global(size) or size is None or self.context.skipped_during_export(node):
            return
        if is_module and self._only_run_where_export_does_not_go(node):
            return
        if area and self._reshaped_to_fixed_sizes(argument(node, 0, "input")):
            return
        config = self.context.export_config_for(node)
        entry = requirement("adaptive_avg_pool" if kind == "avg" else "adaptive_max_pool")
        if exports(entry, config):
            return
        name = qualified.rsplit(".", 1)[-1]
        what = f"`{name}` to {_describe(size)}"
        if area:
            if config.is_legacy:
                return  # measured with the dynamo exporter only (`area_3x3`)
            message = (
                f'`interpolate(mode="area")` to {_describe(size)} is adaptive average pooling: '
                f"{config.exporter_label} bakes the pooling for the example's height/width, so a dynamic height/width "
                "gets wrong numbers or shapes"
            )
            self.report(node, message, fix=self.make_fix([], Applicability.DISPLAY_ONLY), severity=Severity.WARNING)
            return
        if config.is_legacy:
            message = (
                f"{what}: {config.exporter_label} raises when the height/width is dynamic, and whenever the output "
                "size does not divide the input size"
            )
            severity = Severity.ERROR
        elif kind == "avg" and rank == 3:
            message = f"{what}: {config.exporter_label} cannot export 3-D adaptive average pooling"
            severity = Severity.ERROR
        else:
            message = (
                f"{what}: {config.exporter_label} bakes the pooling for the example's height/width, so a dynamic "
                "height/width gets wrong numbers or shapes"
                + (" (and an output size that does not divide the input fails to export)" if kind == "max" else "")
            )
            severity = Severity.WARNING
        self.report(node, message, fix=self._fix(node, kind, rank, is_module, qualified), severity=severity)

    def _reshaped_to_fixed_sizes(self, tensor: ast.expr | None) -> bool:
        """Granite-4-Vision's `spatial = x.view(batch, orig_side, orig_side, channels).permute(0, 3, 1, 2)` before
        `interpolate(spatial, size=..., mode="area")`: a `view` or `reshape` (then permuted, transposed or made
        contiguous) sets every dim but the first to a size that is not read from an input's shape, so the pooled
        height and width are fixed and the pooling kernel is right at every batch."""
        if type(tensor) is not ast.Name:
            return False
        value = binding_reaching(self.context, tensor.id, tensor)
        while (
            type(value) is ast.Call
            and type(value.func) is ast.Attribute
            and value.func.attr in ("permute", "transpose", "contiguous")
        ):
            value = value.func.value
        if not (
            type(value) is ast.Call
            and type(value.func) is ast.Attribute
            and value.func.attr in ("view", "reshape")
            and len(value.args) >= 3
            and not value.keywords
            and not any(type(a) is ast.Starred for a in value.args)
        ):
            return False
        return not any(is_dynamic_size(self.context, size) for size in value.args[1:])

    def _only_run_where_export_does_not_go(self, node: ast.Call) -> bool:
        """smp's PSPNet: `self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(...), conv)` in `__init__`, and `forward`
        runs `self.pool(x)` only under `if torch.jit.is_scripting():` and in the `else` of `elif
        torch.onnx.is_in_onnx_export():`, whose export branch runs `self.pool[1]` alone. Whether every place the
        module's other methods run the pool (`self.pool(...)`, or `self.pool[i](...)` for its own position in a
        `Sequential`) is code an export skips. Any other use of the attribute (passed on, iterated) counts as running
        it; a pool no method of the class uses is reported as before."""
        context = self.context
        info = context.function
        owner = context.model.owner_class(info)
        if info is None or owner is None or getattr(info.node, "name", None) != "__init__":
            return False
        parent = context.parent(node)
        position = None
        if type(parent) is ast.Call and context.call_name(parent) == "torch.nn.Sequential" and node in parent.args:
            position, node, parent = parent.args.index(node), parent, context.parent(parent)
        if type(parent) is not ast.Assign or len(parent.targets) != 1:
            return False
        target = parent.targets[0]
        if not (type(target) is ast.Attribute and type(target.value) is ast.Name and target.value.id == "self"):
            return False
        runs: list[tuple[ast.AST, ast.AST]] = []  # (method, the use that runs the pool)
        for name, method in owner.methods.items():
            if name == "__init__":
                continue
            for use in ast.walk(method):
                if not (
                    type(use) is ast.Attribute
                    and use.attr == target.attr
                    and type(use.value) is ast.Name
                    and use.value.id == "self"
                    and type(use.ctx) is ast.Load
                ):
                    continue
                outer = context.parent(use)
                if type(outer) is ast.Subscript and outer.value is use and position is not None:
                    index = literal(outer.slice)
                    if isinstance(index, int) and index != position and type(context.parent(outer)) is ast.Call:
                        continue  # `self.pool[1](x)`: another element of the Sequential
                runs.append((method, use))
        if not runs:
            return False
        saved = context.function
        try:
            for runner, use in runs:
                context.function = context.model.function_info(runner)
                if not context.skipped_during_export(use):
                    return False
        finally:
            context.function = saved
        return True

    def _fix(self, node: ast.Call, kind: str, rank: int, is_module: bool, qualified: str):
        suggestion = self.make_fix([], Applicability.DISPLAY_ONLY)
        if rank != 2 or qualified.endswith("_with_indices") or any(type(a) is ast.Starred for a in node.args):
            return suggestion
        allowed = {"output_size", "return_indices"} if kind == "max" else {"output_size"}
        if any(k.arg not in allowed for k in node.keywords):
            return suggestion
        positional_limit = 1 if is_module else 2
        indices = argument(node, positional_limit, "return_indices") if kind == "max" else None
        if indices is not None and literal(indices) is not False:
            return suggestion
        context = self.context
        torch_name, imports = ensure_torch(context)
        function = AVG_FUNCTION if kind == "avg" else MAX_FUNCTION
        helpers = [(function, function_source(kind, torch_name))]
        if is_module:
            module = AVG_MODULE if kind == "avg" else MAX_MODULE
            if module not in context.model.classes:
                helpers.append((module, module_source(kind, torch_name)))
            size = argument(node, 0, "output_size")
            replacement = f"{module}({segment(context, size)})"  # type: ignore[arg-type]
        else:
            tensor = argument(node, 0, "input")
            size = argument(node, 1, "output_size")
            if tensor is None or size is None:
                return suggestion
            replacement = f"{function}({segment(context, tensor)}, {segment(context, size)})"
        if function in context.model.functions:
            helpers = [h for h in helpers if h[0] != function]
        edits = [replace_node(context, node, replacement), *module_insertions(context, imports, helpers)]
        return self.make_fix(edits, Applicability.UNSAFE)  # see Fix safety: TorchScript, half precision

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch.nn as nn
        import torch.nn.functional as F
        pool = nn.AdaptiveAvgPool2d(1)
        pool2 = nn.AdaptiveMaxPool2d((1, 1))
        class M(nn.Module):
            def forward(self, x):
                return F.adaptive_avg_pool2d(x, 1) + F.adaptive_max_pool2d(x, output_size=(1, 1))
        """,
        Valid(
            """
            import torch.nn as nn
            pool = nn.AdaptiveAvgPool1d(output_size=1)
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
        # A pool the module runs only where the export does not go (smp's PSPNet: TorchScript, and the `else` of
        # its ONNX-export branch, which runs only the Sequential's second element).
        """
        import torch
        import torch.nn as nn

        class PSPBlock(nn.Module):
            def __init__(self, channels, pool_size):
                super().__init__()
                self.pool = nn.Sequential(nn.AdaptiveAvgPool2d((pool_size, pool_size)), nn.Conv2d(channels, channels, 1))

            def forward(self, x):
                if torch.jit.is_scripting():
                    x = self.pool(x)
                elif torch.onnx.is_in_onnx_export():
                    x = self.pool[1](x)
                else:
                    x = self.pool(x)
                return x
        """,
        # Area interpolation of a map a `view` sets to sizes no input shape gives (Granite-4-Vision's downsampler).
        """
        import torch
        import torch.nn.functional as F

        def interpolate_downsample(features, orig_side: int, new_side: int):
            batch, _, channels = features.size()
            spatial = features.view(batch, orig_side, orig_side, channels).permute(0, 3, 1, 2)
            return F.interpolate(spatial, size=(new_side, new_side), mode="area")

        class M(torch.nn.Module):
            def forward(self, x):
                return interpolate_downsample(x, 24, 12)
        """,
        # Area interpolation by a scale factor, not to a fixed size.
        """
        import torch
        import torch.nn.functional as F
        class M(torch.nn.Module):
            def forward(self, x):
                return F.interpolate(x, scale_factor=0.5, mode="area")
        """,
        # Not torch's.
        """
        from mylib import AdaptiveAvgPool2d
        pool = AdaptiveAvgPool2d(7)
        """,
        # A parameter whose default is 1 (the global pool the code is written for).
        """
        import torch.nn as nn
        import torch.nn.functional as F
        class Head(nn.Module):
            def __init__(self, output_size=1):
                super().__init__()
                self.pool = nn.AdaptiveAvgPool2d(output_size)

        def pool(x, output_size: int = 1):
            return F.adaptive_avg_pool2d(x, output_size)
        """,
    ]
    INVALID = [
        # Area interpolation to a fixed size is adaptive average pooling (smp's PSPNet export path): measured baked.
        Invalid(
            """
            import torch
            import torch.nn.functional as F


            class M(torch.nn.Module):
                def forward(self, x):
                    return F.interpolate(x, size=(3, 3), mode="area")
            """,
            line=7,
            message_contains='`interpolate(mode="area")` to output size (3, 3) is adaptive average pooling',
        ),
        Invalid(
            """
            import torch
            import torch.nn.functional as F


            class M(torch.nn.Module):
                def forward(self, x):
                    return F.adaptive_avg_pool2d(x, (3, 3))
            """,
            line=7,
            message_contains="bakes",
            unsafe_fixes=True,
            expected_fix='''
            import torch
            import torch.nn.functional as F


            def onnx_adaptive_avg_pool2d(x, output_size):
                """`F.adaptive_avg_pool2d` as two matmuls with pooling matrices built from the runtime size.

                Same bins as PyTorch; exports with a dynamic height and width (inserted by onnxlint, ONX106).
                """
                if isinstance(output_size, int):
                    output_size = (output_size, output_size)

                def pooling_matrix(size, out):
                    i = torch.arange(out, device=x.device).unsqueeze(1)
                    j = torch.arange(size, device=x.device).unsqueeze(0)
                    start = torch.div(i * size, out, rounding_mode="floor")
                    end = torch.div((i + 1) * size + out - 1, out, rounding_mode="floor")
                    weights = ((j >= start) & (j < end)).to(x.dtype)
                    return weights / weights.sum(1, keepdim=True)

                height, width = x.shape[-2], x.shape[-1]
                out_h = height if output_size[0] is None else output_size[0]
                out_w = width if output_size[1] is None else output_size[1]
                return pooling_matrix(height, out_h) @ x @ pooling_matrix(width, out_w).transpose(0, 1)


            class M(torch.nn.Module):
                def forward(self, x):
                    return onnx_adaptive_avg_pool2d(x, (3, 3))
            ''',
        ),
        Invalid(
            """
            import torch
            from torch import nn

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.pool = nn.AdaptiveMaxPool2d(output_size=(6, 6))

                def forward(self, x):
                    return self.pool(x)

            torch.onnx.export(Net(), x, "net.onnx", dynamo=False, opset_version=17)
            """,
            line=7,
            message_contains="raises",
        ),
        # An output size that is not a literal is reported too.
        Invalid(
            """
            import torch.nn as nn
            class Head(nn.Module):
                def __init__(self, size):
                    super().__init__()
                    self.pool = nn.AdaptiveAvgPool2d(size)
            """,
            line=5,
            message_contains="not known",
        ),
        # Indices: reported, no fix.
        Invalid(
            """
            import torch.nn.functional as F
            def pool(x):
                return F.adaptive_max_pool2d(x, 4, return_indices=True)
            """,
            line=3,
            settings={"exporter": "legacy", "opset": 17},
            expected_fix="""
            import torch.nn.functional as F
            def pool(x):
                return F.adaptive_max_pool2d(x, 4, return_indices=True)
            """,
        ),
    ]
