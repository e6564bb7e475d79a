from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Kind, Rule, Severity

from ._sizes import is_batch_size, is_dynamic_size, is_strong_tensor, with_size_origin
from ._static_sizes import static_by_construction

_WRAPPERS = ("builtins.enumerate", "builtins.zip", "builtins.reversed")


class LoopOverTensorSize(Rule):
    """A Python loop in model code whose number of iterations comes from a tensor's size.

    ## What it does
    Flags `for` loops and comprehensions in `forward` (and the functions it calls) that iterate
    `range(...)` of a size (`range(x.shape[0])`, `range(x.size(2))`, `range(len(x))`), a tensor
    itself (`for row in x`, `enumerate(x)`, `zip(x, y)`), or `x.unbind(...)`. Loops over a
    fixed Python count (`range(3)`, `range(self.depth)`), over an `nn.ModuleList`, over the
    rank (`range(x.dim())`) or over `x.chunk(4)` are not flagged, nor loops whose count is the
    model's: a `zip` with one of its module containers (`zip(xs, weights, self.adapters)`) or with a list or tuple
    parameter (`zip(boxes, image_shapes)`: the export takes its length from the example's structure), or a
    `range(...)` whose index picks one of its modules (`self.embed_tokens[i](codes[:, i])`), which
    an input with more steps fails in eager too; nor a loop over a dim a factory fixes (`torch.zeros(b,
    self.num_experts).shape[1]`, or dim 0 of `images[0].new_full([len(images)] + max_size, 0)`: a list of tensors
    is flattened into as many inputs, so its length is fixed at export). A `forward` parameter is
    taken for a tensor only when the function also uses it as one (`x.shape`, `x.view(...)`,
    `torch.relu(x)`): lists of feature maps and target dicts are iterated legitimately.

    ## Why is this bad for ONNX
    Neither exporter turns a Python loop into an ONNX `Loop`: the loop runs once, at export,
    and its body is recorded as many times as it ran. Measured on torch 2.13 with the batch
    (or the width) declared dynamic and a second input of another size:
    - the TorchScript exporter (`dynamo=False`) unrolls the loop for the example input's size,
      with no warning: outputs keep the example's batch, or onnxruntime fails on a `Split`;
    - the dynamo exporter must fix the count too. With `Dim.DYNAMIC` (what `dynamic_axes` and
      string dim names become) and an example of size 1 on that dim, it silently keeps size 1
      while the ONNX input stays dynamic; with an example of size 2 or more the export fails
      ("Received user-specified dim hint Dim.DYNAMIC, but tracing inferred a static shape");
      with `Dim.AUTO` or `torch.export.Dim("name")` objects it silently keeps the example's size
      whatever it is (measured on torch 2.13 and 2.14.1).

    A loop over a dim that is static in every deployed input (channels, a fixed sequence
    length) is harmless. onnxlint cannot see which dims you declare dynamic, so it skips sizes
    that are static in most models (dim 1 of a tensor unpacked as `b, c, h, w = x.shape`, the
    last dim of one unpacked as `b, n, c`, and `x.size(-1)` of a tensor of unknown rank), and a
    finding on a dim other than the first is a warning.

    ## Example
    ```python
    def forward(self, x):
        out = []
        for i in range(x.shape[0]):
            out.append(x[i] * (i + 1))
        return torch.stack(out)
    ```

    ## Use instead
    Do the work for all indices at once, with batched operations and broadcasting:
    ```python
    def forward(self, x):
        w = torch.arange(1, x.shape[0] + 1, dtype=x.dtype).reshape(-1, 1, 1, 1)
        return x * w
    ```
    When a loop cannot be avoided, loop a fixed number of times (a Python int from the
    constructor), or export with static shapes for that dim.

    ## Fix safety
    Display-only: vectorizing a loop is a rewrite of its body.

    ## References
    - torch.export, control flow: https://pytorch.org/docs/stable/export.html#control-flow-static-vs-dynamic
    - TorchScript-exporter tracing limitations: https://pytorch.org/docs/stable/onnx_torchscript.html#limitations
    - docs/measurements.md (ONX203 rows); docs/ground-truth.md, harness row cf_for_range_shape0
    """

    code = "ONX203"
    name = "loop_over_tensor_size"
    message = "A Python loop over a tensor's size is unrolled for the example input at export"
    fix_title = "Vectorize the loop, or loop a fixed number of times"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("for ",)
    applies_to = "both exporters (TorchScript: unrolled; dynamo: size fixed, silently with a size-1 example)"

    def visit_For(self, node: ast.For) -> None:
        self._check(node.iter, "`for` loop", node.target, node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self._check(node.iter, "`for` loop", node.target, node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._check(node.iter, "comprehension", node.target, self.context.parent(node))

    def _check(self, iterable: ast.expr, construct: str, target: ast.expr, body: ast.AST | None) -> None:
        context = self.context
        if not context.in_model_code or context.skipped_during_export(iterable):
            return
        if body is not None and self._indexes_modules(iterable, target, body):
            return
        found = self._sized_by(iterable)
        if found is None:
            return
        what, batch = found
        config = context.export_config_for(iterable)
        if config.is_legacy:
            consequence = (
                "the TorchScript exporter unrolls it for the example input's size, "
                "and other sizes give wrong results or fail"
            )
        else:
            consequence = (
                "the dynamo exporter fixes the count at the example input's size "
                '(silently with a size-1 example, `Dim.AUTO` or `Dim("name")` objects, else the export fails)'
            )
        caveat = "" if batch else " (harmless only if that dim is static)"
        message = with_size_origin(
            context, f"{construct} over {what}: {consequence}{caveat}", self._range_size(iterable)
        )
        self.report(
            iterable,
            message,
            severity=Severity.ERROR if batch else Severity.WARNING,
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    def _sized_by(self, iterable: ast.expr) -> tuple[str, bool] | None:
        """What the loop count comes from, and whether that is the first (batch) dim."""
        context = self.context
        if type(iterable) is ast.Call:
            name = context.call_name(iterable)
            if name == "builtins.range":
                sizes = [
                    a for a in iterable.args if is_dynamic_size(context, a) and not static_by_construction(context, a)
                ]
                if not sizes:
                    return None
                batch = any(is_batch_size(context, a) for a in sizes)
                return "a tensor's size", batch
            if name in _WRAPPERS:
                if name == "builtins.zip" and any(
                    self._fixed_length(argument) or (type(argument) is ast.Name and self._list_parameter(argument.id))
                    for argument in iterable.args
                ):
                    return None  # `zip(xs, weights, self.adapters)`: as many steps as the model has modules
                for argument in iterable.args:
                    inner = self._sized_by(argument)
                    if inner is not None:
                        return inner
                return None
            func = iterable.func
            if (name == "torch.unbind" and iterable.args and is_strong_tensor(context, iterable.args[0])) or (
                name is None
                and type(func) is ast.Attribute
                and func.attr == "unbind"
                and is_strong_tensor(context, func.value)
            ):
                dim = _unbind_dim(iterable, is_method=name != "torch.unbind")
                return "`unbind()`, one step per slice", dim == 0
            return None
        if is_strong_tensor(context, iterable):
            return "a tensor (its first dim)", True
        return None

    def _range_size(self, iterable: ast.expr) -> ast.expr | None:
        """The first dynamic size of the `range(...)` a loop counts with, through `enumerate`/`zip`, else None."""
        if type(iterable) is not ast.Call:
            return None
        name = self.context.call_name(iterable)
        if name == "builtins.range":
            return next((a for a in iterable.args if is_dynamic_size(self.context, a)), None)
        if name in _WRAPPERS:
            return next((size for a in iterable.args if (size := self._range_size(a)) is not None), None)
        return None

    def _indexes_modules(self, iterable: ast.expr, target: ast.expr, body: ast.AST) -> bool:
        """Whether the index of a `range(...)` loop picks a module of the model's containers
        (`self.embed_tokens[codebook](audio_codes[:, codebook]) for codebook in range(audio_codes.shape[1])`):
        an input with more steps than the model has modules fails in eager too, so the count is the
        model's, fixed when it is built."""
        if type(iterable) is not ast.Call or self.context.call_name(iterable) != "builtins.range":
            return False
        if type(target) is not ast.Name:
            return False
        return any(
            type(node) is ast.Subscript
            and type(node.slice) is ast.Name
            and node.slice.id == target.id
            and self._fixed_length(node.value)
            for node in ast.walk(body)
        )

    def _fixed_length(self, argument: ast.expr) -> bool:
        """Whether `argument`'s length is fixed when the model is built: a module container of the model
        (`self.adapters`, an `nn.ModuleList`), whose length bounds a `zip` over it and the tensors it pairs
        with each module, whatever their sizes."""
        return (
            type(argument) is ast.Attribute
            and type(argument.value) is ast.Name
            and argument.value.id == "self"
            and self.context.kind(argument) is Kind.MODULE
        )

    def _list_parameter(self, name: str) -> bool:
        """A parameter of the function annotated as a list or a tuple (`image_shapes: list[tuple[int, int]]` in
        torchvision's detection heads): an export takes its length from the example's structure, so a `zip` with it
        runs as many steps as the example had images, whatever the tensors it pairs."""
        function = self.context.function
        if function is None:
            return False
        arguments = getattr(function.node, "args", None)
        if arguments is None or any(
            type(node) is ast.Name and node.id == name and type(node.ctx) is ast.Store
            for node in ast.walk(function.node)
        ):
            return False
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            if argument.arg == name:
                annotation = argument.annotation
                if type(annotation) is ast.Subscript:
                    annotation = annotation.value
                text = annotation.attr if type(annotation) is ast.Attribute else getattr(annotation, "id", None)
                return text in ("list", "List", "tuple", "Tuple", "Sequence")
        return False

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # Dims a factory fixes: a number the module holds, and the length of a list of tensors (flattened into as
        # many ONNX inputs, so fixed at export; torchvision's `batch_images`).
        """
        import torch


        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.num_experts = 4

            def forward(self, x, images: list[torch.Tensor]):
                counts = torch.zeros(x.shape[0], self.num_experts)
                for e in range(counts.shape[1]):
                    x = x + e
                batch_shape = [len(images)] + list(images[0].shape)
                batched = images[0].new_full(batch_shape, 0)
                for i in range(batched.shape[0]):
                    batched[i] = images[i]
                return x, batched
        """,
        # A dim a `view` sets to the module's own attribute (MONAI's MAISI group norm): static whatever the input;
        # the assignment that reaches the loop decides, not the later rebinding.
        """
        import torch
        class GroupNorm3D(torch.nn.Module):
            def forward(self, input):
                n, c, d, h, w = input.shape
                input = input.view(n, self.num_groups, c // self.num_groups, d, h, w)
                parts = []
                for i in range(input.size(1)):
                    parts.append(input[:, i : i + 1].float())
                input = torch.cat(parts, dim=1)
                return input.view(n, c, d, h, w)
        """,
        # Paired with a list the export takes as input: as many steps as the example had images.
        """
        import torch
        class Head(torch.nn.Module):
            def forward(self, boxes: torch.Tensor, image_shapes: list[tuple[int, int]]):
                kept = []
                for box, shape in zip(boxes, image_shapes):
                    kept.append(box.clamp(max=shape[0]))
                return kept
        """,
        # Called only behind a flag the constructor turns off: the export never runs the tiled path.
        """
        import torch
        class Decoder(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.use_tiling = False

            def forward(self, z):
                if self.use_tiling and z.shape[-1] > 64:
                    return self.tiled_decode(z)
                return self.decode(z)

            def tiled_decode(self, z):
                rows = []
                for i in range(0, z.shape[2], 32):
                    rows.append(self.blend(z[:, :, i : i + 32]))
                return torch.cat(rows, dim=2)
        """,
        # A loop over a parameter's size unrolls the same way for every input.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                for i in range(self.queries.shape[0]):
                    x = x + self.queries[i]
                return x
        """,
        """
        import torch
        from torch import nn
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([nn.Conv2d(3, 3, 1) for _ in range(4)])
                self.depth = 4

            def forward(self, x):
                for block in self.blocks:
                    x = block(x)
                for i in range(3):
                    x = x + i
                for i in range(self.depth):
                    x = x * 2
                for d in range(x.dim()):
                    x = x.flip(d)
                for d in range(len(x.shape)):
                    x = x + d
                for part in x.chunk(4, 1):
                    x = x + part.mean()
                for a, b in zip(x.shape, x.shape):
                    x = x + a * b
                return x
        """,
        # A submodule run on module state alone (an embedding of its own position ids): a fixed size.
        """
        import torch
        from torch import nn
        class Embeddings(nn.Module):
            def __init__(self):
                super().__init__()
                self.position_embedding = nn.Embedding(50, 8)
                self.register_buffer("position_ids", torch.arange(50).unsqueeze(0))

            def forward(self, x):
                pos = self.position_embedding(self.position_ids)
                for i in range(pos.shape[1]):
                    x = x + pos[:, i]
                return x
        """,
        # The loop index picks one of the model's modules: an input with more steps fails in eager too.
        """
        import torch
        from torch import nn
        class Codebooks(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed_tokens = nn.ModuleList([nn.Embedding(16, 8) for _ in range(4)])

            def forward(self, codes):
                return sum(self.embed_tokens[i](codes[:, i]) for i in range(codes.shape[1]))
        """,
        # `zip` with a module container of the model: one step per module, however long the tensors are.
        """
        import torch
        from torch import nn
        class MultiAdapter(nn.Module):
            def __init__(self, adapters):
                super().__init__()
                self.adapters = nn.ModuleList(adapters)

            def forward(self, xs, weights):
                weights = torch.tensor(weights)
                out = 0
                for x, w, adapter in zip(xs, weights, self.adapters):
                    out = out + w * adapter(x)
                return out
        """,
        # A parameter never used as a tensor is taken for what it is iterated as: a list of features.
        """
        import torch
        from torch import nn
        class Head(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(8, 8, 1)

            def forward(self, features, targets=None):
                outs = [self.conv(f) for f in features]
                for target in targets or []:
                    outs.append(target["boxes"])
                return outs
        """,
        # Not model code: looping over a batch in Python is fine in data loading.
        """
        import torch
        def collate(batch):
            return torch.stack([item * 2 for item in batch])
        def summarize(x):
            return [row.sum() for row in x]
        """,
    ]
    INVALID = [
        # The dim a factory takes from the input stays dynamic.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    counts = torch.zeros(x.shape[0], 4)
                    for b in range(counts.shape[0]):
                        x = x - b
                    return x
            """,
            line=5,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    out = []
                    for i in range(x.shape[0]):
                        out.append(x[i] * (i + 1))
                    return torch.stack(out)
            """,
            line=5,
            message_contains="dynamo",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    x = torch.relu(x)
                    return torch.stack([row.flip(0) for row in x])
            """,
            line=5,
            settings={"exporter": "legacy"},
            message_contains="TorchScript",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, h, w = x.shape
                    cols = [x[..., j] * j for j in range(w)]
                    for i, row in enumerate(x.unbind(2)):
                        cols.append(row)
                    for i in range(len(x)):
                        cols.append(x[i])
                    return cols
            """,
            count=3,
        ),
        # The index picks a row of a tensor of the model, not a module: as many steps as the input has.
        Invalid(
            """
            import torch
            from torch import nn
            class Codebooks(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.table = nn.Parameter(torch.zeros(4, 8))

                def forward(self, codes):
                    return sum(self.table[i] * codes[:, i] for i in range(codes.shape[1]))
            """,
            line=9,
        ),
        # The same submodule run on an input: as many steps as the input is long.
        Invalid(
            """
            import torch
            from torch import nn
            class Embeddings(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.position_embedding = nn.Embedding(50, 8)

                def forward(self, x, position_ids):
                    pos = self.position_embedding(position_ids)
                    for i in range(pos.shape[1]):
                        x = x + pos[:, i]
                    return x
            """,
            line=10,
        ),
        # `zip` of tensors only, or with a Python number of the model: as many steps as the batch.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.scale = 2.0

                def forward(self, x, y):
                    x = torch.relu(x)
                    y = torch.relu(y)
                    return torch.stack([a * b * self.scale for a, b in zip(x, y)])
            """,
            line=10,
        ),
        # The depth of a 5-D unpack, the height of an NHWC one and the length of a (B, S, H, D) one are
        # dims that vary with the input, not channels.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, y, key):
                    b, c, d, h, w = x.shape
                    _, pad_H, pad_W, _ = y.shape
                    batch_size, sequence_length, num_heads, head_dim = key.shape
                    for i in range(d):
                        x = x + i
                    for j in range(pad_H):
                        y = y + j
                    for k in range(sequence_length):
                        key = key + k
                    return x, y, key
            """,
            count=3,
        ),
    ]


def _unbind_dim(call: ast.Call, is_method: bool) -> int | None:
    arguments = call.args[0:] if is_method else call.args[1:]
    dim: ast.expr | None = arguments[0] if arguments else None
    for keyword in call.keywords:
        if keyword.arg == "dim":
            dim = keyword.value
    if dim is None:
        return 0
    if type(dim) is ast.Constant and type(dim.value) is int:
        return dim.value
    return None
