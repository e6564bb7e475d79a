from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from onnxlint.rules.api import (
    OP_REQUIREMENTS,
    Applicability,
    Confidence,
    ExportConfig,
    Invalid,
    Kind,
    OpRequirement,
    Rule,
    Severity,
    Valid,
    requirement,
)

from ._operators import (
    argument,
    exports_within_ceiling,
    failure_text,
    literal,
    may_be_traced,
    tensor_method,
)
from ._sizes import computed_from_module_state, is_module_state, local_values

_COMPARISONS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_ORDERINGS = (ast.Eq, ast.NotEq, ast.Gt, ast.GtE, ast.Lt, ast.LtE)
_FLOAT_CASTS = frozenset({"float", "half", "double", "bfloat16"})
# Tensor methods whose result keeps its input's dtype (`x.sum(1)`, `x.view(-1)`).
_SAME_DTYPE = frozenset({"sum", "mean", "flatten", "view", "reshape", "contiguous", "clone", "detach", "squeeze"})
# Names of a model's float activations (`hidden_states`, `inputs_embeds`, `logits`, `scores`, `features`).
_FLOAT_ACTIVATION = re.compile(r"hidden|embed|logit|score|feat|residual", re.IGNORECASE)


def _token_ids(expr: ast.expr) -> bool:
    """`input_ids`, `decoder_input_ids`, `self.input_ids`: token ids, (batch, sequence) in model code."""
    name = expr.id if type(expr) is ast.Name else expr.attr if type(expr) is ast.Attribute else ""
    return name == "ids" or name.endswith("_ids")


@dataclass(frozen=True)
class Operator:
    """One row of the table: the calls that reach an op, and its requirement in onnxlint.knowledge.exporters."""

    key: str  # OP_REQUIREMENTS key
    label: str  # how messages and docs name it
    functions: tuple[str, ...]  # qualified names
    methods: tuple[str, ...] = ()  # Tensor methods (flagged when the receiver is known to be a tensor)
    when_true: str | None = None  # only when this keyword argument is literally True


OPERATORS: tuple[Operator, ...] = (
    Operator("einsum", "`torch.einsum`", ("torch.einsum",)),
    Operator("triu_tril", "`triu` / `tril`", ("torch.triu", "torch.tril"), ("triu", "tril", "triu_", "tril_")),
    Operator(
        "scaled_dot_product_attention",
        "`F.scaled_dot_product_attention`",
        ("torch.nn.functional.scaled_dot_product_attention",),
    ),
    Operator("affine_grid", "`F.affine_grid`", ("torch.nn.functional.affine_grid",)),
    Operator("cumprod", "`cumprod`", ("torch.cumprod",), ("cumprod", "cumprod_")),
    Operator("cummax", "`cummax` / `cummin`", ("torch.cummax", "torch.cummin"), ("cummax", "cummin")),
    Operator("logcumsumexp", "`logcumsumexp`", ("torch.logcumsumexp",), ("logcumsumexp",)),
    Operator(
        "linalg.inv",
        "`torch.linalg.inv` / `torch.inverse`",
        ("torch.linalg.inv", "torch.linalg.inv_ex", "torch.inverse"),
        ("inverse",),
    ),
    Operator(
        "linalg.decomposition",
        "a `torch.linalg` solver or decomposition",
        (
            "torch.linalg.solve",
            "torch.linalg.solve_ex",
            "torch.linalg.lstsq",
            "torch.linalg.svd",
            "torch.linalg.svdvals",
            "torch.svd",
            "torch.linalg.eig",
            "torch.linalg.eigvals",
            "torch.linalg.eigh",
            "torch.linalg.eigvalsh",
            "torch.linalg.qr",
            "torch.qr",
            "torch.linalg.cholesky",
            "torch.linalg.cholesky_ex",
            "torch.cholesky",
            "torch.linalg.pinv",
            "torch.pinverse",
            "torch.linalg.slogdet",
            "torch.slogdet",
            "torch.linalg.matrix_exp",
            "torch.matrix_exp",
        ),
        ("svd", "qr", "cholesky", "pinverse", "slogdet", "matrix_exp"),
    ),
    Operator(
        "median",
        "`median` / `nanmedian` / `kthvalue` / `mode`",
        ("torch.median", "torch.nanmedian", "torch.kthvalue", "torch.mode"),
        ("median", "nanmedian", "kthvalue", "mode"),
    ),
    Operator("quantile", "`quantile`", ("torch.quantile", "torch.nanquantile"), ("quantile", "nanquantile")),
    Operator("searchsorted", "`torch.searchsorted`", ("torch.searchsorted",)),
    Operator("bincount", "`bincount`", ("torch.bincount",), ("bincount",)),
    Operator("histc", "`histc`", ("torch.histc",), ("histc",)),
    Operator("histogram", "`histogram`", ("torch.histogram",), ("histogram",)),
    Operator("cdist", "`torch.cdist`", ("torch.cdist",)),
    Operator("unique_consecutive", "`unique_consecutive`", ("torch.unique_consecutive",), ("unique_consecutive",)),
    Operator(
        "unique.return_inverse",
        "`unique(..., return_inverse=True)`",
        ("torch.unique",),
        ("unique",),
        when_true="return_inverse",
    ),
    Operator("index_reduce", "`index_reduce`", ("torch.index_reduce",), ("index_reduce", "index_reduce_")),
    Operator(
        "special_functions",
        "`erfinv` / `lgamma` / `digamma`",
        (
            "torch.erfinv",
            "torch.special.erfinv",
            "torch.lgamma",
            "torch.special.gammaln",
            "torch.digamma",
            "torch.special.digamma",
            "torch.special.psi",
        ),
        ("erfinv", "erfinv_", "lgamma", "lgamma_", "digamma", "digamma_"),
    ),
    Operator("cov", "`torch.cov` / `torch.corrcoef`", ("torch.cov", "torch.corrcoef"), ("cov", "corrcoef")),
    Operator(
        "torchscript_missing",
        "`diff` / `trace` / `diag` / `nanmean` / `count_nonzero` / `renorm`",
        ("torch.diff", "torch.trace", "torch.diag", "torch.nanmean", "torch.count_nonzero", "torch.renorm"),
        ("diff", "trace", "diag", "nanmean", "count_nonzero", "renorm"),
    ),
    Operator("kron", "`torch.kron`", ("torch.kron",), ("kron",)),
    Operator(
        "deform_conv2d",
        "`torchvision.ops.deform_conv2d`",
        (
            "torchvision.ops.deform_conv2d",
            "torchvision.ops.DeformConv2d",
            "torchvision.ops.deform_conv.deform_conv2d",
            "torchvision.ops.deform_conv.DeformConv2d",
        ),
    ),
)
_BY_FUNCTION = {name: operator for operator in OPERATORS for name in operator.functions}
_BY_METHOD = {name: operator for operator in OPERATORS for name in operator.methods}
_METHODS = frozenset(_BY_METHOD)
_SHAPE_KINDS = (Kind.SHAPE, Kind.DIM)


def _cell_legacy(entry: OpRequirement) -> str:
    return f"opset >= {entry.legacy_min_opset}" if entry.legacy_min_opset is not None else "fails"


def _cell_dynamo(entry: OpRequirement) -> str:
    if not entry.dynamo:
        return "fails"
    return f"opset >= {entry.dynamo_min_opset}" if entry.dynamo_min_opset else "ok"


def render_table() -> str:
    """The docs' table, from onnxlint.knowledge.exporters (so the docs follow the data)."""
    rows = [
        "| op | calls | TorchScript exporter | dynamo exporter | what happens | source |",
        "|---|---|---|---|---|---|",
    ]
    keys = [operator.key for operator in OPERATORS]
    keys.insert(keys.index("affine_grid") + 1, "affine_grid.dynamic_size")
    by_key = {operator.key: operator for operator in OPERATORS}
    for key in keys:
        entry = OP_REQUIREMENTS[key]
        operator = by_key.get(key) or by_key[key.split(".")[0]]
        calls = ", ".join(f"`{name.replace('torch.nn.functional.', 'F.')}`" for name in operator.functions)
        if operator.methods:
            calls += "; methods " + ", ".join(f"`.{m}()`" for m in operator.methods)
        if operator.when_true:
            calls += f" with `{operator.when_true}=True`"
        if key == "affine_grid.dynamic_size":
            calls = "`F.affine_grid` with a size taken from a tensor's shape"
        rows.append(
            f"| {operator.label} | {calls} | {_cell_legacy(entry)} | {_cell_dynamo(entry)} | {entry.note} | "
            f"{entry.source.kind} |"
        )
    return "\n".join(rows)


# The nearest codeword of a vector quantiser (`low`) beside a distance between two inputs (reported): INVALID examples.
# kornia AdaLAM's `piecewise_arange`: `unique_consecutive` of indices whose dtype and rank the code does not show.
_INDICES = """
import torch
def piecewise_arange(piecewise_idxer):
    uni, counts = torch.unique_consecutive(piecewise_idxer, return_counts=True)
    return counts
class M(torch.nn.Module):
    def forward(self, idx):
        return piecewise_arange(idx)
"""
_CODEBOOK_DISTANCE = """
import torch
class Quantizer(torch.nn.Module):
    def forward(self, z, other):
        flat = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
        indices = torch.argmin(torch.cdist(flat, self.embedding.weight), dim=1)
        return indices, torch.cdist(flat, other)
"""


class OperatorNotExportable(Rule):
    """An operator that the chosen exporter cannot export at the chosen opset.

    ## What it does
    Flags calls to the operators in the table below (by qualified name, and as Tensor methods
    when the receiver is known to be a tensor) when the configuration the call is judged by
    (`--exporter` / `--opset`, or the `torch.onnx.export` call of the same file) cannot export
    them. Every row comes from `onnxlint.knowledge.exporters.OP_REQUIREMENTS`, each with its source; the
    rule has no thresholds of its own. Operators whose export depends on their arguments have
    rules of their own (ONX102-ONX111, ONX450-ONX452).

    `F.affine_grid` under the dynamo exporter is flagged only when its `size` comes from a
    tensor's shape: the export fails when that height/width is dynamic, and succeeds with a
    constant size, static shapes or a dynamic batch only.

    `unique_consecutive` under the dynamo exporter is not flagged on a count per row of token ids
    (`torch.unique_consecutive(input_ids.eq(eos).sum(1))`): measured on torch 2.13, a 1-D integer
    input exports and matches (also with `return_counts=True`); a float or 2-D input fails. Elsewhere it
    is `high` only where the code shows such an input (a `dim` other than 0, a cast to a float type) and
    `low` otherwise: most inputs of `unique_consecutive` are indices, labels or counts.

    `torch.cdist` under the dynamo exporter fails only on its direct computation (`_cdist_forward`),
    which it runs when both inputs have 25 rows or fewer, or with `compute_mode=
    "donot_use_mm_for_euclid_dist"` or `p` other than 2; with more rows in an input it runs a matrix
    product, which exports and is right at other sizes (measured `cdist_many_rows`). So
    `compute_mode="use_mm_for_euclid_dist"` is not flagged, and a distance to the module's own
    table (a vector quantiser's codebook, `torch.cdist(z, self.embedding.weight)`, measured
    `cdist_codebook`) is `low`: codebooks have more than 25 rows in practice.

    {table}

    ## Why is this bad for ONNX
    Each of these either has no ONNX translation in the exporter (the export raises
    "Exporting the operator 'aten::cumprod' to ONNX opset version 17 is not supported", or
    dynamo's "No ONNX function found for ... No decompositions registered"), or needs an ONNX
    operator that only exists from some opset on (`Einsum` 12, `Trilu` 14, `AffineGrid` 20,
    `DeformConv` 19). Measured on torch 2.13 with tiny models (docs/measurements.md and the
    sources in the table).

    Measured to be fine and therefore never flagged: `torch.unique`, `torch.bucketize`,
    `torch.det` / `torch.linalg.det` / `torch.logdet`, `torch.linalg.norm` / `vector_norm` /
    `matrix_norm` / `cross`, `torch.cdist` with the TorchScript exporter, `nonzero`, boolean
    masks. The folklore that "`unique` / `det` are not exportable" is out of date for ONNX
    Runtime (other runtimes may lack them: see the target profiles).

    ## Example
    ```python
    def forward(self, x):
        return x.cumprod(-1)  # fails with both exporters
    ```

    ## Use instead
    For opset-gated operators, export at the opset in the table (or use the dynamo exporter);
    for operators only the dynamo exporter handles, pass `dynamo=True`; for the rest, rewrite
    with exportable ops. Rewrites verified by the first harness run (docs/ground-truth.md, verified rewrites):
    ```python
    # cumprod of positive values: a cumulative sum in log space
    y = torch.exp(torch.cumsum(torch.log(x), -1))
    # median along the last dim
    y = x.sort(-1).values[..., (x.shape[-1] - 1) // 2]
    # triu below opset 14
    i = torch.arange(x.shape[-2]).unsqueeze(1)
    j = torch.arange(x.shape[-1]).unsqueeze(0)
    y = x * (j >= i).to(x.dtype)
    ```

    ## Fix safety
    Display-only: the finding says which opset or exporter exports the op, or that it needs a
    rewrite; none of that is a mechanical edit that provably keeps the numbers.

    ## References
    - ONNX operators by opset: https://onnx.ai/onnx/operators/
    - torch/onnx/_internal/torchscript_exporter/symbolic_opset*.py (what the TorchScript exporter translates)
    - torchvision/ops/_register_onnx_ops.py (torchvision's TorchScript symbolics: no deform_conv2d)
    - docs/measurements.md (ONX107 rows); docs/ground-truth.md, the first harness run; linter/knowledge/exporters.py
    """

    code = "ONX107"
    name = "operator_not_exportable"
    message = "This operator cannot be exported with the chosen exporter and opset"
    fix_title = "Export at the required opset, switch exporter, or rewrite the op"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = tuple(
        sorted(
            {name.rsplit(".", 1)[-1] for operator in OPERATORS for name in operator.functions}
            | {method.rstrip("_") for method in _METHODS}
        )
    )
    applies_to = "both exporters, per the table from linter/knowledge/exporters.py"

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context
        qualified = context.call_name(node)
        operator = _BY_FUNCTION.get(qualified or "")
        if operator is not None:
            called = (qualified or "").replace("torch.nn.functional.", "F.")
        else:
            method = tensor_method(context, node, _METHODS)
            if method is None:
                return
            operator, called = _BY_METHOD[method], f".{method}"
        if operator.when_true is not None:
            if literal(argument(node, 99, operator.when_true)) is not True:
                return
            called = f"`{called}(..., {operator.when_true}=True)`"
        else:
            called = f"`{called}()`" if called.startswith(".") else f"`{called}`"
        is_module = (qualified or "").rsplit(".", 1)[-1][:1].isupper()  # DeformConv2d: judged where it is built
        if not is_module and not may_be_traced(context):
            return
        config = context.export_config_for(node)
        key = operator.key
        if key == "affine_grid" and config.is_dynamo and self._size_from_shape(node):
            key = "affine_grid.dynamic_size"
        if key == "unique_consecutive" and config.is_dynamo and self._counts_per_sequence(node, qualified is not None):
            return
        low = None
        if key == "unique_consecutive" and config.is_dynamo and not self._float_or_matrix(node, qualified is not None):
            low = (
                "it exports for a 1-D integer input (measured: indices, labels, counts) and fails for a float or "
                "2-D one; which this input is, the code does not show"
            )
        if key == "cdist" and config.is_dynamo and qualified is not None:
            path = self._cdist_path(node)
            if path == "matrix product":
                return
            low = path
        entry = requirement(key)
        if exports_within_ceiling(entry, config) or context.skipped_during_export(node):
            return
        severity = Severity.WARNING if key == "unique.return_inverse" else Severity.ERROR  # wrong for N-D input only
        message = self._message(called, key, entry, config)
        if low is not None:
            message = f"{message}; low confidence: {low}"
        self.report(
            node,
            message,
            fix=self._suggestion(entry, config),
            severity=severity,
            confidence=Confidence.LOW if low is not None else None,
        )

    def _cdist_path(self, node: ast.Call) -> str | None:
        """Which computation `torch.cdist` runs, where the call decides it: with `p=2` (the default) and
        `compute_mode="use_mm_for_euclid_dist"` always the matrix product, which the dynamo exporter exports
        (measured `cdist_many_rows`); with the default mode the matrix product when an input has more than 25 rows,
        as a codebook of the module's own (`torch.cdist(z, self.embedding.weight)`, measured `cdist_codebook`) has in
        practice. "matrix product", the reason a codebook gives, or None."""
        power = argument(node, 2, "p")
        if power is not None and literal(power) not in (2, 2.0):
            return None
        mode = argument(node, 3, "compute_mode")
        if mode is not None:
            return "matrix product" if literal(mode) == "use_mm_for_euclid_dist" else None
        for operand in (argument(node, 0, "x1"), argument(node, 1, "x2")):
            if operand is not None and (
                is_module_state(operand)
                or (type(operand) is ast.Name and computed_from_module_state(self.context, operand.id, operand))
            ):
                text = self.context.source.segment(operand)
                return (
                    f"`{text}` is the module's own table (a codebook): with more than 25 rows, as codebooks have, "
                    "`cdist` takes the matrix-product path, which exports (measured)"
                )
        return None

    def _counts_per_sequence(self, node: ast.Call, is_function: bool) -> bool:
        """Whether `unique_consecutive`'s input is a 1-D integer tensor, which the dynamo exporter exports
        (measured on torch 2.13: `unique_consecutive(ids.eq(k).sum(1))`, also with `return_counts=True`,
        exports and matches; a float input, or an integer one of two dims, fails). Proven here only for a
        count per row of token ids: `mask.sum(1)` where `mask` compares `input_ids` (or another `*_ids`
        tensor, (batch, sequence) in model code) with something, as transformers' `eos_mask.sum(1)`."""
        if argument(node, 99, "return_inverse") is not None or argument(node, 99, "dim") is not None:
            return False
        if len(node.args) > (1 if is_function else 0):
            return False  # `return_inverse` / `dim` passed by position
        values = node.args[:1] if is_function else [node.func.value] if type(node.func) is ast.Attribute else []
        if not values or type(values[0]) is not ast.Call:
            return False
        total = values[0]
        func = total.func
        if type(func) is not ast.Attribute or func.attr != "sum" or total.keywords or len(total.args) != 1:
            return False
        return literal(total.args[0]) in (1, -1) and self._compares_ids(func.value, 0)

    def _float_or_matrix(self, node: ast.Call, is_function: bool) -> bool:
        """Whether `unique_consecutive`'s input is one the dynamo exporter fails on (measured on torch 2.13: a
        float input, or an integer one of two dims, fails; a 1-D integer one exports, with `return_counts` or
        `return_inverse`), as far as the code shows: a `dim` other than 0 (a matrix), token ids (`input_ids`:
        batch by sequence), a float cast or division, or the model's float activations (`hidden_states`,
        `logits`), directly or through locals bound once."""
        dim = argument(node, 99, "dim")
        if dim is not None and literal(dim) not in (0, -1):
            return True
        value: ast.expr | None = node.args[0] if is_function and node.args else None
        if not is_function and type(node.func) is ast.Attribute:
            value = node.func.value
        as_is = True  # no call between: the input has the rank of what it is read from
        for _ in range(6):
            if type(value) in (ast.Name, ast.Attribute):
                name = value.id if type(value) is ast.Name else value.attr  # type: ignore[union-attr]
                if (as_is and _token_ids(value)) or _FLOAT_ACTIVATION.search(name):  # type: ignore[arg-type]
                    return True
                bindings = local_values(self.context, name) if type(value) is ast.Name else []
                if len(bindings) != 1 or bindings[0][1] is not None:
                    return False
                value = bindings[0][0]
            elif type(value) is ast.Call and type(value.func) is ast.Attribute:
                if value.func.attr in _FLOAT_CASTS:
                    return True
                if value.func.attr not in _SAME_DTYPE:
                    return False
                value, as_is = value.func.value, False  # `x.sum(1)`: the dtype of `x`, not its rank
            else:
                return type(value) is ast.BinOp and type(value.op) is ast.Div
        return False

    def _compares_ids(self, expr: ast.expr, depth: int) -> bool:
        """`input_ids.eq(k)`, `input_ids == k`, `(labels_ids != pad).to(x.device)`, or a local bound only to one."""
        if depth > 3:
            return False
        if type(expr) is ast.Name:
            values = local_values(self.context, expr.id)
            return bool(values) and all(
                position is None and self._compares_ids(value, depth + 1) for value, position in values
            )
        if type(expr) is ast.Compare and len(expr.ops) == 1:
            return type(expr.ops[0]) in _ORDERINGS and _token_ids(expr.left)
        if type(expr) is ast.Call and type(expr.func) is ast.Attribute:
            receiver = expr.func.value
            if expr.func.attr in _COMPARISONS:
                return _token_ids(receiver)
            if expr.func.attr == "to" and not expr.keywords and len(expr.args) == 1:
                target = expr.args[0]  # a device keeps the dtype: `.to(hidden_states.device)`, `.to(device)`
                device = (type(target) is ast.Attribute and target.attr == "device") or (
                    type(target) is ast.Name and target.id == "device"
                )
                return device and self._compares_ids(receiver, depth + 1)
        return False

    def _size_from_shape(self, node: ast.Call) -> bool:
        """Whether affine_grid's output height/width (or depth) come from a tensor's shape."""
        size = argument(node, 1, "size")
        if size is None:
            return False
        if type(size) is ast.Name:  # `dsize = [B, C, *out_size]` assigned once in this function
            values = self._single_assignment(size.id)
            size = values if values is not None else size
        if type(size) in (ast.List, ast.Tuple):  # [N, C, H, W]: only the spatial sizes matter
            return any(self.context.kind(element) in _SHAPE_KINDS for element in size.elts[2:])  # type: ignore[attr-defined]
        return self.context.kind(size) is Kind.SHAPE

    def _single_assignment(self, name: str) -> ast.expr | None:
        info = self.context.function
        if info is None:
            return None
        values = [
            child.value
            for child in ast.walk(info.node)
            if (type(child) is ast.Assign and any(type(t) is ast.Name and t.id == name for t in child.targets))
            or (type(child) is ast.AnnAssign and type(child.target) is ast.Name and child.target.id == name)
        ]
        return values[0] if len(values) == 1 and type(values[0]) in (ast.List, ast.Tuple) else None

    @staticmethod
    def _message(subject: str, key: str, entry: OpRequirement, config: ExportConfig) -> str:
        if key == "unique.return_inverse":
            return (
                f"{subject}: {config.exporter_label} returns the inverse indices flattened when the input has more "
                "than one dimension (wrong shape, no error); the dynamo exporter keeps the input's shape"
            )
        if key == "affine_grid.dynamic_size":
            subject += " with a size taken from the input's shape"
            return (
                f"{subject}: {config.exporter_label} fails when that height/width is dynamic "
                f"(a constant size or static shapes export)"
            )
        return f"{subject} is not exportable here: {failure_text(entry, config)}"

    def _suggestion(self, entry: OpRequirement, config: ExportConfig):
        if config.is_legacy and entry.legacy_min_opset is not None:
            title = f"Export with `opset_version={entry.legacy_min_opset}` or later"
        elif config.is_legacy and entry.dynamo:
            title = "Export with the dynamo exporter (`dynamo=True`), or rewrite the op"
        elif config.is_dynamo and entry.dynamo and entry.dynamo_min_opset:
            title = f"Export with `opset_version={entry.dynamo_min_opset}` or later"
        elif config.is_dynamo and entry.legacy_min_opset is not None and entry.key != "affine_grid.dynamic_size":
            title = "Rewrite the op with exportable ops (or export with `dynamo=False`)"
        else:
            title = "Rewrite the op with exportable ops"
        return self.make_fix([], Applicability.DISPLAY_ONLY, title=title)

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # Indices of unknown dtype and rank: `low` only (1-D integer indices export, measured).
        _INDICES,
        # `cdist` told to use the matrix product: exports under the dynamo exporter.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, y):
                return torch.cdist(x, y, compute_mode="use_mm_for_euclid_dist")
        """,
        # One count per row of token ids: a 1-D integer tensor, which the dynamo exporter exports.
        """
        import torch
        class Head(torch.nn.Module):
            def forward(self, hidden_states, input_ids):
                eos_mask = input_ids.eq(2).to(hidden_states.device)
                torch._check(torch.unique_consecutive(eos_mask.sum(1)).numel() == 1)
                return hidden_states[eos_mask, :]
        """,
        # The helpers of a module whose classes are all schedulers (or losses, transforms...) are theirs.
        """
        import torch
        def rescale_zero_terminal_snr(betas):
            return torch.cumprod(1.0 - betas, dim=0)

        class DDIMScheduler(SchedulerMixin, ConfigMixin):
            def step(self, model_output, timestep, sample):
                return sample - model_output
        """,
        # Opset-gated ops at a high enough opset, and the dynamo exporter for them.
        Valid(
            """
            import torch
            def f(a, b):
                return torch.einsum("bnd,bmd->bnm", a, b)
            """,
            settings={"exporter": "legacy", "opset": 12},
        ),
        Valid(
            """
            import torch
            def f(x):
                return torch.triu(x), x.tril(-1)
            """
        ),
        # Only the dynamo exporter handles quantile and bincount.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.quantile(x, 0.5, dim=1), x.long().bincount()
            """,
            settings={"exporter": "dynamo"},
        ),
        # unique with return_inverse under dynamo; without it under TorchScript.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.unique(x, return_inverse=True)
            """,
        ),
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.unique(x, return_counts=True), x.unique(sorted=True)
            """,
            settings={"exporter": "legacy", "opset": 11},
        ),
        # Measured fine: det, unique, bucketize, linalg.norm.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                return torch.linalg.det(x), torch.unique(x), torch.bucketize(x, x), torch.linalg.norm(x)
        """,
        # A method of something that is not known to be a tensor (a pandas frame, a list...).
        """
        import torch
        def stats(frame):
            return frame.median(), frame.mode()
        """,
        # Not torch's.
        """
        import numpy as np
        def f(x):
            return np.median(x), np.linalg.inv(x), np.cumprod(x)
        """,
        # Outside model code in a file that has model code: a constructor, a weight-loading helper.
        """
        import torch
        class M(torch.nn.Module):
            def __init__(self, basis):
                super().__init__()
                self.register_buffer("inverse", torch.linalg.inv(basis))

            def forward(self, x):
                return x @ self.inverse

        def resample_weights(weight, matrix):
            return weight @ torch.linalg.pinv(matrix)
        """,
        # affine_grid with a constant size under dynamo (a batch taken from the input is fine).
        """
        import torch.nn.functional as F
        class M(torch.nn.Module):
            def forward(self, theta, x):
                return F.affine_grid(theta, [x.shape[0], x.shape[1], 16, 16], align_corners=False)
        """,
        # Kept out of export by a guard.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                if not torch.onnx.is_in_onnx_export():
                    x = x / torch.linalg.inv(x)
                return x
        """,
    ]
    INVALID = [
        # The nearest codeword of a vector quantiser: `low`, saying why; the plain distance between inputs stays.
        Invalid(_CODEBOOK_DISTANCE, settings={"confidence": "low"}, count=2, message_contains="a codebook"),
        Invalid(_CODEBOOK_DISTANCE, line=6, count=1),
        # A float input, the token ids themselves (two dims), or the TorchScript exporter: not exportable. A count
        # per row with `return_inverse` exports (1-D integer, measured `unique_consecutive_indices`): `low`.
        Invalid(
            """
            import torch
            class Head(torch.nn.Module):
                def forward(self, hidden_states, input_ids):
                    a = torch.unique_consecutive(hidden_states.sum(1))
                    b = torch.unique_consecutive(input_ids)
                    c = torch.unique_consecutive(input_ids.eq(2).sum(1), return_inverse=True)
                    return a, b, c
            """,
            count=2,
        ),
        Invalid(
            """
            import torch
            class Head(torch.nn.Module):
                def forward(self, residuals, input_ids):
                    c = torch.unique_consecutive(input_ids.eq(2).sum(1), return_inverse=True)
                    d = torch.unique_consecutive(residuals.half().float(), dim=1, return_counts=True)
                    return c, d
            """,
            settings={"confidence": "low"},
            count=2,
        ),
        # An input the code does not show to be float or 2-D (indices, labels): `low`, saying why.
        Invalid(_INDICES, settings={"confidence": "low"}, message_contains="exports for a 1-D integer input"),
        Invalid(
            """
            import torch
            class Head(torch.nn.Module):
                def forward(self, hidden_states, input_ids):
                    return torch.unique_consecutive(input_ids.eq(2).sum(1))
            """,
            line=4,
            settings={"exporter": "legacy"},
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.cumprod(-1)
            """,
            line=4,
            message_contains="the dynamo exporter cannot export it",
        ),
        Invalid(
            """
            import torch
            def f(a, b):
                return torch.einsum("bnd,bmd->bnm", a, b)
            """,
            line=3,
            settings={"exporter": "legacy", "opset": 11},
            message_contains="needs ONNX opset 12",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.tril(-1)

            torch.onnx.export(M(), x, "m.onnx", dynamo=False, opset_version=13)
            """,
            line=4,
            message_contains="opset 14",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.linalg.inv(x) @ x, torch.median(x, dim=1).values
            """,
            count=2,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.quantile(x, 0.5, dim=1)
            """,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="the dynamo exporter handles it",
        ),
        Invalid(
            """
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x, theta):
                    return F.affine_grid(theta, list(x.shape), align_corners=False)
            """,
            line=4,
            message_contains="height/width",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    values, inverse = x.unique(return_inverse=True)
                    return values[inverse]
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="return_inverse=True",
        ),
        Invalid(
            """
            from torchvision.ops import DeformConv2d
            class Block(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = DeformConv2d(64, 64, 3, padding=1)
            """,
            line=5,
            settings={"exporter": "legacy", "opset": 19},
        ),
        Invalid(
            """
            import torchvision
            def f(x, offset, weight):
                return torchvision.ops.deform_conv2d(x, offset, weight)
            """,
            line=3,
            settings={"exporter": "dynamo", "opset": 18},
            message_contains="opset 19",
        ),
    ]


OperatorNotExportable.__doc__ = (OperatorNotExportable.__doc__ or "").replace(
    "{table}", render_table().replace("\n", "\n    ")
)
