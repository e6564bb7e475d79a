from __future__ import annotations

import ast

from onnxlint.rules.api import (
    Applicability,
    Edit,
    Invalid,
    Kind,
    Rule,
    Severity,
    Valid,
    replace_node,
    requirement,
)

from ._operators import exports

_FACTORIES = frozenset({"torch.tensor", "torch.as_tensor"})
_SIZE_KINDS = (Kind.DIM, Kind.SHAPE)
_VALUE_KINDS = (Kind.TENSOR, Kind.DATA)
_PASS_THROUGH = frozenset({"dtype", "device"})


class TensorFromTracedValues(Rule):
    """`torch.tensor(...)` / `torch.as_tensor(...)` in `forward` built from sizes or tensors.

    ## What it does
    Flags, in model code, `torch.tensor`, `torch.as_tensor` and `t.new_tensor` whose data is
    - a list or tuple holding sizes (`[x.shape[2], x.shape[3]]`) or tensors (`[t.mean(), t.std()]`),
      or a whole shape (`x.shape`, `x.size()[2:]`): for the TorchScript exporter;
    - a size, a shape or a list of sizes given to `torch.as_tensor`: for the dynamo exporter.
    Constant data (`torch.tensor([0.5, 1.0])`), one size (`torch.tensor(x.shape[-1])`) and one
    tensor are fine and not flagged.

    ## Why is this bad for ONNX
    Measured on torch 2.13 (dynamic batch, height and width; a second input of other sizes):
    - TorchScript exporter: `torch.tensor([h, w])`, `torch.tensor(x.shape)`,
      `torch.as_tensor([h, w])`, `x.new_tensor([h, w])` and `torch.tensor([t.mean(), t.std()])`
      are recorded as constants of the example input (BAKED: right at the export size, wrong at
      others). `torch.tensor(x.shape[-1])` (one size) stays dynamic, although the exporter warns
      that it will not (the warning is wrong, the list form is the real hazard).
    - dynamo exporter: `torch.tensor(...)` of all of these exported and matched, but
      `torch.as_tensor` of a size, a shape or a list of sizes fails: the size is specialised to
      the example's ("Found the following conflicts between user-specified ranges and inferred
      ranges from model tracing").
    - `torch.tensor([t.item()])` is baked by the TorchScript exporter through `.item()` (ONX202
      reports that), and `torch.tensor(float(size))` through `float()` (a shape rule's finding).

    ## Example
    ```python
    def forward(self, x):
        scale = torch.tensor([x.shape[2], x.shape[3]])
        return x / scale.prod()
    ```

    ## Use instead
    Build one tensor per size and stack them (matched with both exporters):
    ```python
    def forward(self, x):
        scale = torch.stack([torch.tensor(x.shape[2]), torch.tensor(x.shape[3])])
        return x / scale.prod()
    ```

    ## Fix safety
    Safe, proven by export parity tests: a list of sizes and numeric constants becomes
    `torch.stack([torch.tensor(e) for each e])` (dtype and device arguments passed to each; the
    same values, dtype and shape, as `torch.stack` promotes like `torch.tensor` infers);
    `torch.as_tensor(size)` becomes `torch.tensor(size)` (the same new int64 tensor).
    Lists of tensors and whole shapes get a display-only suggestion (`torch.stack([...])`), as the
    result's shape or dtype can differ when the elements are not 0-d tensors of one dtype.

    ## References
    - TorchScript-exporter tracing limitations: https://pytorch.org/docs/stable/onnx_torchscript.html#limitations
    - torch.export, 0/1 and value specialization: https://pytorch.org/docs/stable/export.html
    - docs/measurements.md (ONX408 rows); docs/ground-truth.md, harness row shape_torch_tensor_of_size
    """

    code = "ONX408"
    name = "tensor_from_traced_values"
    message = "A tensor built from sizes or tensors with `torch.tensor` is frozen or rejected at export"
    fix_title = "Stack one `torch.tensor` per size"
    fix_applicability = Applicability.SAFE
    severity = Severity.WARNING
    trigger_names = ("tensor(",)
    applies_to = "TorchScript exporter: lists of sizes/tensors and shapes (BAKED); dynamo: torch.as_tensor of sizes (export error)"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        if not context.in_model_code or not node.args:
            return
        qualified = context.call_name(node)
        func = node.func
        receiver: ast.expr | None = None
        if qualified in _FACTORIES:
            label = qualified
        elif (
            qualified is None
            and type(func) is ast.Attribute
            and func.attr == "new_tensor"
            and context.kind(func.value) is Kind.TENSOR
        ):
            receiver = func.value
            label = "Tensor.new_tensor"
        else:
            return
        data = node.args[0]
        shape = self._classify(data)
        if shape is None:
            return
        config = context.export_config_for(node)
        if config.is_legacy:
            if shape == "size" or exports(requirement("tensor.from_sizes"), config):
                return
            message = (
                f"`{label}` of {self._describe(shape)}: {config.exporter_label} records it as a constant of the "
                "example input (measured: right at the export size, wrong at others)"
            )
            severity = Severity.WARNING
        else:
            if qualified != "torch.as_tensor" or shape == "tensors" or exports(requirement("as_tensor.size"), config):
                return
            message = (
                f"`torch.as_tensor` of {self._describe(shape)}: {config.exporter_label} specialises the size to the "
                "example input's and the export fails; `torch.tensor` keeps it dynamic"
            )
            severity = Severity.ERROR
        if context.skipped_during_export(node):
            return
        edits = self._rewrite(node, data, shape, qualified, receiver)
        if edits:
            fix = self.make_fix(edits, Applicability.SAFE)
        else:
            fix = self.make_fix([], Applicability.DISPLAY_ONLY, title="Build it with `torch.stack([...])` of tensors")
        self.report(node, message, severity=severity, fix=fix)

    def _classify(self, data: ast.expr) -> str | None:
        """The data's kind: "sizes" (a list with sizes), "tensors" (a list with tensors), "shape", "size", None."""
        kind = self.context.kind(data)
        if type(data) in (ast.List, ast.Tuple):
            kinds = [self.context.kind(e) for e in data.elts]  # type: ignore[attr-defined]
            if any(k in _SIZE_KINDS for k in kinds):
                return "sizes"
            if any(k in _VALUE_KINDS for k in kinds):
                return "tensors"
            return None
        if kind is Kind.SHAPE:
            return "shape"
        if kind is Kind.DIM:
            return "size"
        return None

    @staticmethod
    def _describe(shape: str) -> str:
        return {
            "sizes": "a list of sizes",
            "tensors": "a list of tensors",
            "shape": "a shape",
            "size": "a size",
        }[shape]

    def _rewrite(
        self, node: ast.Call, data: ast.expr, shape: str, qualified: str | None, receiver: ast.expr | None
    ) -> list[Edit]:
        context = self.context
        if len(node.args) != 1 or any(k.arg not in _PASS_THROUGH for k in node.keywords):
            return []
        func = node.func
        if shape == "size" and qualified == "torch.as_tensor" and type(func) is ast.Attribute:
            source = context.source
            end = source.offset(source.end_of(func))
            return [Edit(source.location(end - len("as_tensor")), source.location(end), "tensor")]
        if shape != "sizes" or any(type(e) is ast.Starred for e in data.elts):  # type: ignore[attr-defined]
            return []
        elements = data.elts  # type: ignore[attr-defined]
        if not elements or not all(self._size_or_number(e) for e in elements):
            return []
        keywords = "".join(f", {k.arg}={context.source.segment(k.value)}" for k in node.keywords)
        if receiver is not None:
            make = f"{context.source.segment(receiver)}.new_tensor"
            if type(receiver) not in (ast.Name, ast.Attribute, ast.Call, ast.Subscript):
                make = f"({context.source.segment(receiver)}).new_tensor"
            alias = self._torch_alias()
            if alias is None:
                return []
            stack = f"{alias}.stack"
        else:
            if type(func) is not ast.Attribute:
                return []
            module = context.source.segment(func.value)
            make = f"{module}.tensor"
            stack = f"{module}.stack"
        parts = ", ".join(f"{make}({context.source.segment(e)}{keywords})" for e in elements)
        return [replace_node(context, node, f"{stack}([{parts}])")]

    def _size_or_number(self, element: ast.expr) -> bool:
        if type(element) is ast.Constant:
            return type(element.value) in (int, float)
        return self.context.kind(element) is Kind.DIM

    def _torch_alias(self) -> str | None:
        for local, qualified in self.context.model.imports.items():
            if qualified == "torch":
                return local
        return None

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                weights = torch.tensor([0.5, 1.0, 2.0]).view(1, 3, 1, 1)
                width = torch.tensor(x.shape[-1])
                copy = torch.tensor(x.mean())
                return x * weights / width + copy
        """,
        # The dynamo exporter keeps torch.tensor of sizes dynamic.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x / torch.tensor([x.shape[2], x.shape[3]]).prod()
            """,
            settings={"exporter": "dynamo"},
        ),
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x / torch.as_tensor(x.shape[-1])
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
        # Not model code.
        """
        import torch
        def sizes(x):
            return torch.tensor(x.shape)
        """,
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    scale = torch.tensor([x.shape[2], x.shape[3]], dtype=torch.float32)
                    return x / scale.prod()
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="constant",
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    scale = torch.stack([torch.tensor(x.shape[2], dtype=torch.float32), torch.tensor(x.shape[3], dtype=torch.float32)])
                    return x / scale.prod()
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    n = torch.as_tensor(x.shape[-1])
                    hw = torch.as_tensor((x.size(2), 2))
                    return x / n / hw.prod()
            """,
            count=2,
            message_contains="specialises",
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    n = torch.tensor(x.shape[-1])
                    hw = torch.stack([torch.tensor(x.size(2)), torch.tensor(2)])
                    return x / n / hw.prod()
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    stats = torch.tensor([x.mean(), x.std()])
                    shape = torch.tensor(x.shape)
                    return x.new_tensor([x.shape[2], x.shape[3]]) + stats.sum() + shape.sum()
            """,
            count=3,
            settings={"exporter": "legacy", "opset": 11},
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    stats = torch.tensor([x.mean(), x.std()])
                    shape = torch.tensor(x.shape)
                    return torch.stack([x.new_tensor(x.shape[2]), x.new_tensor(x.shape[3])]) + stats.sum() + shape.sum()
            """,
        ),
    ]
