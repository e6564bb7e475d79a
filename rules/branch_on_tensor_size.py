from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from onnxlint.rules.api import (
    Applicability,
    Confidence,
    Fix,
    Invalid,
    Kind,
    Rule,
    Severity,
    is_device_type,
    is_memory_name,
    literal_int,
)

from ._fix_branch_free_crop import branch_free_crop, crop_after_a_pad, crops_undoing, padded_under_same_test
from ._fix_branch_free_pad import _same, branch_free_pad
from ._fix_branch_free_resize import branch_free_resize
from ._fix_export_guard import export_guard
from ._sizes import (
    is_dynamic_size,
    is_module_state_size,
    is_name,
    is_rank,
    is_size,
    likely_static,
    local_values,
    shape_index,
    shape_rank,
    size_leaves,
    size_owner,
    with_size_origin,
)
from ._static_sizes import static_by_construction

_MIRRORED: dict[type[ast.cmpop], type[ast.cmpop]] = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
# Sizes at or below this many elements along a dim are degenerate inputs (smaller than a 4x4 window of
# 4x4 patches): a branch taken only below it is an edge case the deployed inputs do not reach.
_DEGENERATE = 16
# A dim tested for equality with 2, 3 or 4 is a coordinate, section, channel or tuple-arity axis (xy/xyz/xyzw,
# t/h/w rope sections, RGB, 2 or 3 outputs); a larger constant may be a table's size a spatial dim must match.
_LAYOUT = 4
# A count at or past 2**24 (16.7M) is an indexing or precision limit (float32 counts exactly up to it, int32
# indexes up to 2**31), not an input size: kornia's RANSAC keeps float counts for `n <= 1 << 24` correspondences.
_BEYOND_INPUTS = 1 << 24
# Configuration options that give the size a model's positional table was trained at (LW-DETR, SegGPT, ViTDet, SAM3).
_PRETRAINING_SIZE_OPTIONS = ("pretrain_image_size", "pretrain_img_size", "pretrain_size")
_REPORTING_CALLS = frozenset({"warn", "warning", "info", "debug", "error", "print", "log", "exception"})


# An ordering against a configured maximum (`low`) beside one against a window size (reported): INVALID examples.
_SAME_DIM_OF_TWO_TENSORS = """
import torch
class M(torch.nn.Module):
    def forward(self, hidden_states, attention_masks):
        if attention_masks.shape[0] == hidden_states.shape[0]:
            hidden_states = hidden_states + attention_masks.mean()
        if attention_masks.shape[1] != hidden_states.shape[1]:
            attention_masks = attention_masks[:, : hidden_states.shape[1]]
        if hidden_states.shape[-2] != hidden_states.shape[-1]:
            hidden_states = hidden_states.transpose(-1, -2)
        if hidden_states.size(1) != self.position_embeddings.size(1):
            hidden_states = hidden_states[:, :1]
        return hidden_states * attention_masks.mean()
"""

_ORDERED_AGAINST_MAXIMUM = """
import torch
class M(torch.nn.Module):
    def forward(self, x):
        h = x.shape[2]
        if h > self.max_grid_rows:
            x = x * 3
        if h > self.window_size:
            x = x * 4
        return x
"""


class BranchOnTensorSize(Rule):
    """A Python `if`, conditional expression or `while` in model code that decides on a tensor's size.

    ## What it does
    Flags `if`, `while` and `a if cond else b` in `forward` (and the functions it calls) whose
    condition depends on a size: `if h % 32:`, `if x.shape[0] > 1:`,
    `pad = 1 if w % 2 else 0`, `while h > 8:`. Not flagged: blocks that end in `raise` or only warn or log
    (shape checks: measured to export and run with both exporters, the check simply does not
    exist in the graph), conditions on the rank (`x.dim() == 4`, `len(x.shape)`), on Python
    values (`self.training`, `mask is None`), and conditions on tensor values (ONX201).

    ## Why is this bad for ONNX
    Python evaluates the condition once, at export, on the example input's sizes; the graph
    keeps only the branch taken. Measured on torch 2.13 with dynamic batch/height/width:
    - the TorchScript exporter (`dynamo=False`) keeps the branch silently: a pad-to-multiple-of-4
      exported with an 8x8 input does not pad an 11x11 one; `if x.shape[0] > 1:` exported
      with batch 1 skips its branch for batch 2;
    - the dynamo exporter does the same, silently, with the ONNX input still declared dynamic
      (the same two cases; a batch-2 example gives the opposite error at batch 1). It turns the
      decision into a guard on the symbolic size that the ONNX graph does not check.
    Such a branch is harmless when every deployed input takes the same branch as the example
    (a dim that is in fact static, a threshold no input crosses); the finding is a warning, and
    conditions that read only dims static in most models (channels of `b, c, h, w = x.shape`,
    the last dim of `b, n, c = x.shape`, `x.size(-1)` of a tensor of unknown rank) are skipped.

    Confidence: where the branch the example takes is right for every input but a kind the
    code cannot show deployed inputs reach, the finding is `low` (`--confidence low`; the message
    gives the reason), when every term of the condition that reads a size is one of these:
    - a condition whose value on the model's default path flags, string options, the cache, the precision or
      the device decide, whatever the size it also reads (`(x.dtype == torch.float16) or (shrinks and
      x.device.type == "mps")`);
    - a size ordered against the size of one of the model's own parameters or buffers (`if max_pos >
      self.weights.size(0):` before growing a sinusoidal table, or `pe.size(1)` in a helper every call passes
      `self.pe` or nothing): exported with an input within the table,
      the graph is right for every input within it (measured, `grow_table_beyond_input`), and only longer
      inputs, which the table was not built for, take the other branch;
    - a condition that a value the module caches from an earlier call decides before any size is read (`if
      length == self.cached_length and ...:`, `if self.grid is not None and ...:` with `self.cached_length = None`
      in the constructor and set again by a method): a module built and exported compares with None and takes the
      general branch (measured, `cached_for_last_length`); only a module run before the export, at the example's
      size, takes the cached one;
    - a size ordered against a bound past which the branch slices the rest (`if x.shape[1] > query_length: text
      = x[:, query_length:]`, BLIP-2's Q-Former; also the `else` of `if context_length >= x.shape[1]:`, Informer's
      decoder input): the condition asks whether that rest is empty, an emptiness check, right for every input
      that has one when the example has one;
    - a size ordered against a maximum the model is configured with (`if height >
      self.max_grid_row_position_embeddings:`, `if seq_len > self.config.max_inference_chunksize:`): an example
      within it exports the branch every input within it takes; only inputs past the configured maximum take
      the other one;
    - an `and` that tests a tensor's rank beside equalities on sizes (`if position_ids.ndim == 3 and
      position_ids.shape[0] == axes + 1:`): it asks which layout an input comes in (packed or not), not how large it
      is;
    - a condition that also tests the device (`if image.device.type == "cpu" and image.numel() >= 256 * 256:`): it
      picks an implementation for a device, a fast path that most likely computes the same values, and the size only
      chooses between implementations;
    - a sequence length ordered against the attention's head size, or heads times it (`if height * width >
      attn.attention_head_dim:`, Sana; `if v_length > heads * dim:`, LoFTR): it picks the cheaper order of one
      linear-attention product, which computes the same values;
    - a size short of another size that the branch pads or resizes up to (`if x.shape[1] < n: x = F.pad(x, (0, 0,
      0, n - x.shape[1]))`, SEW's upsampling; MobileNetV5's multi-scale fusion): the branch is the identity where
      the two are equal, so only inputs on the other side of that size take the other branch;
    - any of the thresholds and equalities below against an option whose default the analysis reads (a
      constructor parameter's literal default, the configuration's: V-JEPA 2's `num_frames <
      self.config.tubelet_size`, 2 by default, is a threshold of 2 elements);
    - a size named for memory ordered against a budget (`if memory_count > 2:` in CogVideoX's `SafeConv3d`): the
      branch splits the computation for memory, which most likely gives the same numbers;
    - a size ordered against a chunk size (`if x.numel() <= CONV_CHUNK_ELEMENTS:`, `if x.size(0) <= chunk_size:`):
      the branch picks the whole computation or the one cut into chunks for memory, which most likely give the
      same numbers; a loop over the chunks is ONX203's finding (not Reformer's `chunk_length`, another attention);
    - an `if pad > 0:` whose body only slices a tensor back to the length `n` that `pad` (a remainder of
      `n`) padded to a multiple (Mamba-2's chunked scan: `if pad_size > 0: output = output[:, :seq_len]`):
      an example that pads exports the slice, right at every length (measured, `crop_back_after_pad`); an
      example at a multiple drops it, wrong at every other length (`..._example_multiple`);
    - a size compared with 0 (`x.shape[0] == 0`, `n > 0`, a product of sizes, a ceiling division of one such as
      `(h + p - 1) // p`) beside other such terms: an emptiness check, for which
      the export takes the non-empty branch, right for every non-empty input (measured, `emptiness_check`; a
      condition of emptiness checks alone is not reported);
    - a size compared with 1 (`== 1`, `!= 1`, `> 1`, `<= 1`: a batch of one, a single frame, one decoding
      step): with an example larger than 1 there the export keeps the branch of every size of 2 or more,
      without a guard (measured, both exporters: right at another size of 2 or more), and only an input of size
      1 runs it in place of its own branch, which is right where the two agree at 1 (a fast path, a broadcast);
      an example of size 1 on a dynamic dim is ONX506's finding;
    - dim 0 of one tensor compared for equality with dim 0 of another (`attention_masks.shape[0] ==
      hidden_states.shape[0]`, `time_step.shape[0] == batch_size`): an export declares one batch dim for
      the inputs a model gets together, so both are one symbol and the comparison is decided without a guard;
      only inputs with different batches (a mask of batch 1 broadcast over the batch) take the other branch;
      the same for any one dim both sides read as it is, of two tensors that are not the model's parameters or
      buffers (`key_layer.size(-2) != query_layer.size(-2)` in DeBERTa's self-attention, `attention_mask.shape[1]
      == seq_len`, also where `seq_len` reads that dim of whichever input is given: `input_ids.shape[1] if input_ids
      is not None else inputs_embeds.shape[1]`): sizes of one length are one symbol; only an example that makes two sizes that differ in use
      equal ties them together (an error with named dims, silently with `Dim.AUTO`), the judged case of PE
      Audio-Video's `video_hidden_state.shape[1] == audio_hidden_state.shape[1]`;
    - a size compared for equality with 2, 3 or 4 (`position_ids.shape[0] == 4`, `len(outputs) == 3`):
      a layout axis (sections, channels, coordinates, a tuple's arity) in most models; not a larger
      constant, which may be the size of a table a spatial dim must match, nor a temporal or spatial
      extent unpacked from an image's or video's shape (`b, c, frames, h, w = x.shape`);
    - a size ordered against a threshold of 2 to 16 elements in an `if` or a conditional expression
      (`if d < 3 or h < 3:`, a slice of at most two frames tested `< 2`; a threshold that is a choice between two
      such constants, Funnel's `hidden.size(1) > (2 if separate_cls else 1)`): only degenerate inputs
      take the other branch (a `while` loop's bound is not: the count of its runs is the size's); a flag bound to
      such a test is read through, also where a second binding narrows it (`pooling_flag = pooling_flag and
      block_index > 0`);
    - the difference between a dim of a tensor and the same dim of one the function computes from it,
      compared with 0 (`pad = (x.shape[-1] - y.shape[-1]) // 2; if pad > 0:` after `y = conv(x)`): the
      same for every size through stride-1 layers, 0 through 'same'-padded ones;
    - an `if` that only crops back (`x = x[:, :H, :W]`) what an earlier `if` on the same condition pads: the
      export keeps both or neither, one hazard, reported at the pad, whose fix drops both `if`s (timm's TinyViT);
      also where the pad goes through a helper named for padding (Reformer's `if must_pad_to_match_chunk_length:`
      around `self._pad_to_mult_of_chunk_length(...)`, then around the crop back to `orig_sequence_length`), which has
      no fix;
    - an equality with the size of the model's positional table, in a model whose configuration builds that table
      at a pretraining size other than its native one (LW-DETR's `pretrain_image_size = 224`, `image_size = 256`;
      SAM3's 336 and 1008): an example at the native size exports the branch that resizes the table, right at every
      size, as a resize to the table's own size is the identity; not where the two agree (ViTDet, 224 and 224), whose
      native example keeps the table as it is;
    - an `if` whose whole condition orders a size against a bound the model fixes (a configuration or
      constructor value) and whose body slices, pads or resizes to that bound (`if ids.shape[1] >
      max_len: ids = ids[:, :max_len]`; also by a local the body computes from it, as kornia's `pad =
      self.num_features - n`): which side of the bound deployed inputs fall on is not in the code.

    Otherwise the finding is `high` when the condition reads the remainder of a size (`h % 32 != 0`,
    or `if pad > 0:` after `pad = (p - w % p) % p`): as the dim varies both outcomes come round
    again, so whatever the example, some deployed sizes get the wrong branch. A bound or an
    equality on a size (`if H == self.window_size:`, `if seq_len <= chunk_length:`,
    `num_patches == num_positions`) is crossed at one size: the kept branch is wrong only for
    sizes on the other side than the example's, which the code does not say deployed inputs
    reach, so it is one level lower (`medium`, shown by default; `low` where the value or the
    reach already rests on a heuristic), with that reason in the message. Over the latest
    verdict on record of each finding of seven real libraries (docs/precision.md, eleventh
    round): 61% of the remainder findings were true, 51% of the bounds and equalities.

    ## Example
    ```python
    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        if h % 32 != 0 or w % 32 != 0:
            x = F.pad(x, (0, (32 - w % 32) % 32, 0, (32 - h % 32) % 32))
        return self.body(x)
    ```

    ## Use instead
    Compute the result without deciding in Python. Padding by `(32 - h % 32) % 32` is 0 when
    `h` is already a multiple, so the `if` is not needed:
    ```python
    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        x = F.pad(x, (0, (32 - w % 32) % 32, 0, (32 - h % 32) % 32))
        return self.body(x)
    ```
    Select between computed tensors with `torch.where`, or use `torch.cond` with the dynamo
    exporter, when both branches must stay in the graph.

    ## Fix safety
    The branch-free pad: an `if` without `else` whose body only pads a tensor in place
    (`x = F.pad(x, amounts)`, after plain assignments of names read nowhere else) loses its
    `if` when every pad amount is provably 0 whenever the condition is false, so the padding
    is the identity then, in every mode: an amount that is a term of the condition (`if pad_h
    != 0 or pad_w:`), `(p - h % p) % p` under a term `h % p`, `h % 2` under `h % 2 == 1`. When
    the condition is the single term `w % p != 0` and the amount `p - w % p` (transformers'
    Swin patch embeddings), the amount becomes `(p - w % p) % p`: equal while `w % p != 0`
    for any non-zero `p`, and 0 otherwise. Safe when each step is proven; unsafe when one rests
    on a sign the code does not show (`if pad > 0:` with `pad` not proven non-negative: a
    negative pad crops). Proven by the PARITY cases (both exporters, compared in onnxruntime
    with the original eager model) and by tests/static/test_fix_new_forms.py, which exports
    the fixed model at one size and runs it at sizes where the condition is true and where it
    is false (8x8, 11x9, 12x16, 13x8 for a multiple of 4).

    A second, unsafe fix: a fast path the code skips under the TorchScript tracer (`if not
    torch.jit.is_tracing() and num_patches == num_positions and height == width: return
    self.position_embeddings`, in 48 transformers vision models) is skipped while exporting too
    (`not (torch.jit.is_tracing() or torch.compiler.is_exporting())`). Eager mode is unchanged
    (`is_exporting()` is False outside an export); the dynamo exporter, which is not the tracer,
    took the fast path and baked the size (measured: transformers' ViT exported at its native
    size failed in onnxruntime at 48x40). Unsafe because the exported graph is then the general
    path, equal to the fast path at the native size only as far as the authors' code is (it
    interpolates the table to its own size), which the value model does not prove.

    The branch-free resize, unsafe: `if new_h != H or new_w != W: x = F.interpolate(x, size=(new_h,
    new_w), ...)` (MobileViT), or `if H < k or W < k: x = F.adaptive_avg_pool2d(x, (max(k, H), max(k,
    W)))` (VGG's pre-logits MLP), loses its `if`: with the condition false the target is the tensor's
    own size, and a resize or an adaptive average pooling to its own size is exactly the identity
    (measured in eager and in onnxruntime, tests/static/test_fix_branch_free_resize.py). Unsafe
    because the dtype is not proven and a flag the body sets now holds on every path
    (rules/_fix_branch_free_resize.py).

    The branch-free crop, unsafe: `if padding: x = x[:, :H, :W]` loses its `if` where the same
    condition guards a pad the branch-free pad rewrites (timm's TinyViT): with nothing padded the
    slice keeps every row and column, if the tensor has the unpadded sizes there, which the code's
    reshapes in between are not proven to keep (rules/_fix_branch_free_crop.py). The branch-free pad
    also reads such a flag (`padding = pad_b > 0 or pad_r > 0`, bound once). Where such a crop follows the
    pad, the pad's fix drops both `if`s in one fix, unsafe: a pad made unconditional alone would leave the padded
    rows in the output of the sizes whose crop the export still drops.

    Every other branch on a size is display-only: whether it can be computed unconditionally
    depends on what it does.

    ## References
    - torch.export, control flow on shapes: https://pytorch.org/docs/stable/export.html#control-flow-static-vs-dynamic
    - torch.cond: https://pytorch.org/docs/stable/generated/torch.cond.html
    - docs/measurements.md (ONX302 rows); docs/ground-truth.md, harness row cf_if_on_shape_pad_to_multiple
    """

    code = "ONX302"
    name = "branch_on_tensor_size"
    message = "A Python branch on a tensor size keeps only the branch taken for the example input"
    fix_title = "Compute the result without a Python branch, or use `torch.where` / `torch.cond`"
    fix_applicability = Applicability.SAFE
    severity = Severity.WARNING
    trigger_names = ("if ", "while ")
    applies_to = "both exporters (the branch taken at export is kept, silently)"
    reports_the_kept_branch = True

    def visit_If(self, node: ast.If) -> None:
        if not node.orelse and (
            type(node.body[-1]) is ast.Raise or all(self._only_reports(statement) for statement in node.body)
        ):
            return  # a shape check: it raises (after building its message) or only warns
        self._check(node.test, "`if`")

    def visit_While(self, node: ast.While) -> None:
        self._check(node.test, "`while` loop")

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._check(node.test, "conditional expression")

    def _check(self, test: ast.expr, construct: str) -> None:
        context = self.context
        if not context.in_model_code or not is_dynamic_size(context, test) or static_by_construction(context, test):
            return
        if context.guard_polarity(test) is not None or context.skipped_during_export(test):
            return
        if all(context.guard_polarity(term) is not None for term in _terms(test) if is_dynamic_size(context, term)):
            return  # `destination is not None or tiled`, `tiled` bound to `big and not is_compiling()`: no size decides
        if self._decides_only_emptiness(test) or self._reads_only_loop_counters(test):
            return
        config = context.export_config_for(test)
        if construct == "`while` loop":
            kept = "runs as many times as it did for the example input's shape"
        else:
            kept = "keeps only the branch taken for the example input's shape"
        if config.is_legacy:
            consequence = f"the TorchScript exporter {kept}"
        else:
            consequence = f"the dynamo exporter {kept}, silently, while the ONNX input stays dynamic"
        message = f"{construct} on a tensor size: {consequence}"
        message = with_size_origin(context, message, test)
        assumed = (
            None
            if construct == "`while` loop"
            else self._rests_on_assumption(test)
            or self._crops_back(test)
            or self._undoes_a_pad(test)
            or self._decided_on_a_fresh_module(test)
            or self._tests_a_layout(test)
            or self._picks_a_device_implementation(test)
            or self._picks_an_attention_order(test)
            or self._brought_up_to_another_size(test)
            or self._table_at_a_pretraining_size(test)
        )
        if assumed is None and context.default_path_value(test) is not None:
            # The size is read, but what the condition is on the default path does not depend on it.
            assumed = "on the model's default path flags, options, the cache, the precision or the device decide the condition, not the size"
        if assumed is not None:
            # The branch the example takes is right for every input but those the reason names: whether
            # deployed inputs reach them is an assumption about the model, not something the code shows.
            message = f"{message}; low confidence: {assumed}"
            self.report(test, message, fix=self._fix(test), confidence=Confidence.LOW)
            return
        if self._periodic(test):
            # `h % 4 != 0`: as the dim varies both outcomes come round again, whatever size the example has.
            self.report(test, message, fix=self._fix(test))
            return
        self.report(test, message, fix=self._fix(test), assumption=_BOUND_ASSUMPTION)

    def _periodic(self, test: ast.expr) -> bool:
        """Whether the condition reads the remainder of a dynamic size (`h % 4 != 0`, `if pad > 0:` after
        `pad = (p - w % p) % p`), directly or through the locals it is computed from."""
        context = self.context
        pending: list[tuple[ast.AST, int]] = [(test, 0)]
        while pending:
            expr, depth = pending.pop()
            for node in ast.walk(expr):
                if type(node) is ast.BinOp and type(node.op) is ast.Mod and is_dynamic_size(context, node.left):
                    return True
                if type(node) is ast.Name and depth < 3 and context.kind(node) is Kind.DIM:
                    pending.extend((value, depth + 1) for value, _ in local_values(context, node.id))
        return False

    def _rests_on_assumption(self, test: ast.expr) -> str | None:
        """Why the hazard rests on an assumption about the inputs, when every term of the condition that reads
        a dynamic size is one the class docstring's "Confidence" paragraph lists (else None): an equality with
        2, 3 or 4 (a layout axis), a threshold of at most 16 elements (degenerate inputs), the difference from
        a tensor computed from the same one (constant through stride-1 layers), a bound the `if` brings the
        dim to (a configured maximum or minimum)."""
        context = self.context
        reasons = []
        for term in self._read_through_flags(_terms(test)):
            if not is_dynamic_size(context, term) or static_by_construction(context, term):
                continue
            reason = self._assumed_term(term)
            if reason is None:
                return None
            reasons.append(reason)
        return reasons[0] if reasons else None

    def _crops_back(self, test: ast.expr) -> str | None:
        """`pad = (c - n % c) % c` ... `if pad > 0: y = y[:, :n]` (Mamba-2's chunked scan), `if pad_b > 0 or pad_r > 0:
        x = x[:, :h, :w, :].contiguous()` (monai's Swin block): the branch only slices back to the lengths that
        padding to a multiple extended; with nothing padded the slice keeps everything. So an example that pads
        (any length not a multiple) exports the slice, right at every length; only an example at a multiple
        drops it."""
        context = self.context
        statement = context.parent(test)
        if type(statement) is not ast.If or statement.test is not test or statement.orelse or len(statement.body) != 1:
            return None
        terms = test.values if type(test) is ast.BoolOp and type(test.op) is ast.Or else [test]
        amounts: list[list[ast.expr]] = []
        for term in terms:
            pad = term
            if type(term) is ast.Compare and len(term.ops) == 1 and type(term.ops[0]) in (ast.Gt, ast.NotEq):
                bound = term.comparators[0]
                pad = term.left if type(bound) is ast.Constant and bound.value == 0 else term
            if type(pad) is not ast.Name:
                return None
            # Every binding of the amount (one per layout branch, as in monai's 2-D/3-D blocks) is a plain value.
            bindings = local_values(context, pad.id)
            if not bindings or any(position is not None for _, position in bindings):
                return None
            amounts.append([value for value, _ in bindings])
        body = statement.body[0]
        if type(body) is not ast.Assign or len(body.targets) != 1:
            return None
        target, value = body.targets[0], body.value
        if type(value) is ast.Call and type(value.func) is ast.Attribute and value.func.attr == "contiguous":
            value = value.func.value  # a memory layout only
        if type(target) is not ast.Name or type(value) is not ast.Subscript or not is_name(value.value, target.id):
            return None
        parts = value.slice.elts if type(value.slice) is ast.Tuple else [value.slice]
        ends = [p.upper for p in parts if type(p) is ast.Slice and p.lower is None and p.step is None and p.upper]
        whole = [p for p in parts if type(p) is ast.Slice and p.lower is None and p.upper is None and p.step is None]
        if not ends or any(type(end) is not ast.Name for end in ends) or len(ends) + len(whole) != len(parts):
            return None
        lengths = {end.id for end in ends}  # type: ignore[attr-defined]
        for values in amounts:
            for amount in values:
                if not any(
                    type(n) is ast.BinOp and type(n.op) is ast.Mod and type(n.left) is ast.Name and n.left.id in lengths
                    for n in ast.walk(amount)
                ):
                    return None
        named = ", ".join(f"`{end.id}`" for end in ends)  # type: ignore[attr-defined]
        return (
            f"the branch only slices back to {named} after padding to a multiple: an example whose size is "
            "not a multiple exports the slice, which keeps everything when nothing was padded"
        )

    def _undoes_a_pad(self, test: ast.expr) -> str | None:
        """TinyViT's `if padding: x = x[:, :H, :W]` after `if padding: x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))`:
        the crop undoes the pad under the same condition, so the export keeps both or neither. That is one hazard,
        the pad's, reported at the pad (whose fix drops both `if`s); with the pad kept, the crop is right at every
        size (it keeps everything when nothing was padded)."""
        statement = self.context.parent(test)
        if type(statement) is not ast.If or statement.test is not test:
            return None
        pad = (
            padded_under_same_test(self.context, statement)
            if branch_free_crop(self.context, statement) is not None
            # Reformer's `if must_pad_to_match_chunk_length: x = x[:, :orig_sequence_length]` after the same `if`
            # padded through a helper: no fix, the same single hazard.
            else crop_after_a_pad(self.context, statement)
        )
        if pad is None:
            return None
        return (
            f"the branch crops back what the `if` on the same condition at line {pad.lineno} pads: the export keeps "
            "both or neither, one hazard, reported there"
        )

    def _table_at_a_pretraining_size(self, test: ast.expr) -> str | None:
        """LW-DETR's `if torch.jit.is_tracing() or (size != height or size != width):` before it resizes its
        positional table: every size the condition reads is compared for equality with the size of the model's own
        table, and the configuration builds that table at a pretraining size (`pretrain_image_size = 224`) other than
        the model's native one (`image_size = 256`). An example at the native size takes the branch that resizes the
        table, right at every size (a resize to the table's own size is the identity); only an example at the
        pretraining size keeps the other branch. Where the two sizes agree (ViTDet: 224 and 224), the native example
        keeps the table as it is, wrong at every other size: no reason, the finding keeps its level."""
        context = self.context
        native = context.configuration_default("image_size")
        pretraining = next(
            (
                (name, value)
                for name in _PRETRAINING_SIZE_OPTIONS
                if type(value := context.configuration_default(name)) is int
            ),
            None,
        )
        if pretraining is None or type(native) is not int or native == pretraining[1]:
            return None
        terms = [term for term in _terms(test) if is_dynamic_size(context, term)]
        if not terms or not all(
            type(term) is ast.Compare
            and len(term.ops) == 1
            and type(term.ops[0]) in (ast.Eq, ast.NotEq)
            and _one_side_static(context, term.left, term.comparators[0])
            for term in terms
        ):
            return None
        name, size = pretraining
        return (
            f"an equality with the size of the model's positional table, which the configuration builds at its "
            f"pretraining size (`{name}` {size}) and not at its native one (`image_size` {native}): an example at the "
            "native size exports the branch that resizes the table, right at every size (the identity at the table's "
            f"own size); only an example at {size} keeps the other branch"
        )

    def _tests_a_layout(self, test: ast.expr) -> str | None:
        """`if position_ids.ndim == 3 and position_ids.shape[0] == num_mrope_axes + 1:` (HunYuan-VL), `if d_cam.ndim == 4
        and d_cam.shape[0] == B * F:` (Sana-WM): an `and` that tests a tensor's rank beside equalities on sizes asks
        which form an input comes in (packed or not, one layout or another), not how large it is."""
        if type(test) is not ast.BoolOp or type(test.op) is not ast.And:
            return None
        rank_test = next((value for value in test.values if _compares_a_rank(self.context, value)), None)
        if rank_test is None:
            return None
        for term in self._read_through_flags(_terms(test)):
            if term is rank_test or not is_dynamic_size(self.context, term):
                continue
            if type(term) is not ast.Compare or not all(type(op) in (ast.Eq, ast.NotEq) for op in term.ops):
                return None
        return (
            f"beside `{self.context.source.segment(rank_test)}`, a test of the rank, the equality on a size asks which "
            "layout the input comes in, not how large it is"
        )

    def _picks_a_device_implementation(self, test: ast.expr) -> str | None:
        """`if image.device.type == "cpu" and image.numel() >= 256 * 256:` (kornia's blur), `(x.device.type == "cpu"
        or on_cuda) and ...` (kornia's median): a condition that tests the device picks an implementation for it (a
        fast path), which most likely computes the same values; the size only chooses between implementations."""
        for term in self._read_through_flags(_terms(test)):
            for node in ast.walk(term):
                if type(node) is ast.Attribute and (node.attr in ("is_cuda", "is_cpu") or is_device_type(node)):
                    return (
                        "the condition also tests the device: it picks an implementation for a device (a fast path), "
                        "which most likely computes the same values; the size only chooses between implementations"
                    )
        return None

    def _picks_an_attention_order(self, test: ast.expr) -> str | None:
        """`if height * width > attn.attention_head_dim:` (Sana's multiscale attention), `if v_length > heads * dim:`
        (LoFTR's linear attention): a sequence length bounded by the attention's head size, or heads times it, picks
        the cheaper order of one linear-attention product (`(K^T V)` first or `(Q K^T)` first), which computes the
        same values; the size only chooses between them."""
        context = self.context
        for term in _terms(test):
            if type(term) is not ast.Compare or len(term.ops) != 1 or type(term.ops[0]) not in _ORDERINGS:
                continue
            sides = (term.left, term.comparators[0])
            if any(_names_head_size(side) for side in sides) and any(
                not _names_head_size(side) and is_dynamic_size(context, side) for side in sides
            ):
                return (
                    "a sequence length bounded by the attention's head size picks the cheaper order of the same "
                    "attention product, which computes the same values; the size only chooses between them"
                )
        return None

    def _decided_on_a_fresh_module(self, test: ast.expr) -> str | None:
        """`if seq_len == self.cached_len and ...:`, `if self.grid is not None and self.grid.shape == x.shape[2:]:`,
        `if self.rel_indices is None or ...:` where the attribute is a value a call caches for the next one (None
        on a freshly built module, `FileContext.cached_from_an_earlier_call`): on a module built and exported, the
        comparison with None decides the condition before any size is read, so no size is baked; only a module
        run before the export, at the example's size, takes the cached branch."""
        values = test.values if type(test) is ast.BoolOp else [test]
        deciding = False if type(test) is not ast.BoolOp or type(test.op) is ast.And else True
        for value in values:
            if self._value_on_a_fresh_module(value) is deciding:
                return (
                    f"`{self.context.source.segment(value)}` compares with a value the module caches from an earlier call, "
                    "None on a freshly built module: the condition is decided before any size is read; only a module "
                    "run before the export at the example's size takes the cached branch"
                )
            if is_dynamic_size(self.context, value):
                return None  # a size read first: its guard is taken whatever follows
        return None

    def _value_on_a_fresh_module(self, term: ast.expr) -> bool | None:
        if type(term) is not ast.Compare or len(term.ops) != 1:
            return None
        sides, operator = (term.left, term.comparators[0]), type(term.ops[0])
        if not any(self.context.cached_from_an_earlier_call(side) for side in sides):
            return None
        if operator in (ast.Eq, ast.Is):
            return all(type(side) is not ast.Constant or side.value is None for side in sides) and any(
                type(side) is ast.Constant for side in sides
            )  # `is None`: True; `n == cached` (None): False
        if operator in (ast.NotEq, ast.IsNot):
            return not any(type(side) is ast.Constant and side.value is None for side in sides)
        return None

    def _read_through_flags(self, terms: list[ast.expr], _depth: int = 0) -> list[ast.expr]:
        """The terms, with a flag the function binds only to conditions (`do_pool = pooling and h.size(1) > 2`)
        replaced by those conditions' terms. A binding that narrows the flag itself (Funnel's `pooling_flag =
        pooling_flag and block_index > 0`) adds its other terms: the flag's earlier value is read already."""
        expanded: list[ast.expr] = []
        for term in terms:
            bindings = local_values(self.context, term.id) if type(term) is ast.Name and _depth < 2 else []
            if bindings and all(
                position is None and type(value) in (ast.Compare, ast.BoolOp, ast.UnaryOp)
                for value, position in bindings
            ):
                for value, _ in bindings:
                    inner = [t for t in _terms(value) if not is_name(t, term.id)]  # type: ignore[attr-defined]
                    expanded.extend(self._read_through_flags(inner, _depth + 1))
            else:
                expanded.append(term)
        return expanded

    def _assumed_term(self, term: ast.expr) -> str | None:
        if type(term) is not ast.Compare or len(term.ops) != 1:
            return None
        left, operator, right = term.left, type(term.ops[0]), term.comparators[0]
        if type(left) is ast.Constant:
            left, right = right, left
            operator = _MIRRORED.get(operator, operator)
        if operator in (ast.Lt, ast.LtE, ast.Gt, ast.GtE) and (
            is_module_state_size(self.context, left) or is_module_state_size(self.context, right)
        ):
            return (
                "an ordering against the size of the model's own table (a parameter or buffer): exported with an "
                "input within it, the graph is right for every input within it (measured); only longer inputs take "
                "the other branch"
            )
        if operator in (ast.Lt, ast.LtE, ast.Gt, ast.GtE):
            maximum = next((side for side in (left, right) if _configured_maximum(self.context, side)), None)
            if maximum is not None:
                return (
                    f"an ordering against `{self.context.source.segment(maximum)}`, a maximum the model is configured "
                    "with: an example within it exports the branch of every input within it; only inputs past the "
                    "configured maximum take the other branch"
                )
        if operator in (ast.Lt, ast.LtE, ast.Gt, ast.GtE) and (is_memory_name(left) or is_memory_name(right)):
            return (
                "a size ordered against a memory budget (`memory_count > 2`, in GB) picks the whole computation or one "
                "split for memory, which most likely give the same numbers"
            )
        if operator in (ast.Lt, ast.LtE, ast.Gt, ast.GtE) and (_names_a_chunk(left) or _names_a_chunk(right)):
            return (
                "a size ordered against a chunk size picks the whole computation or the chunked one, which most "
                "likely give the same numbers; a loop over the chunks is reported on its own"
            )
        shared_dim = self._same_dim_of_two_tensors(left, right) if operator in (ast.Eq, ast.NotEq) else None
        if shared_dim == 0:
            return (
                "both sides read dim 0, the batch, of two tensors: an export declares one batch dim for the inputs "
                "the model gets together, so the sizes are one symbol and the comparison is decided without a guard"
            )
        if shared_dim is not None:
            return (
                f"both sides read dim {shared_dim} of two tensors (a query and its keys, a mask and its input): sizes "
                "of one length are one symbol, decided without a guard; an example that makes two apart sizes equal "
                "ties them (an error with named dims, silently with `Dim.AUTO`)"
            )
        configured = ""
        for option, size in ((right, left), (left, right)):
            if type(option) not in (ast.Attribute, ast.Name) or not is_dynamic_size(self.context, size):
                continue
            default = self.context.default_value(option)
            if type(default) is int and not is_dynamic_size(self.context, option):
                # `num_frames < self.config.tubelet_size` (2 by default): the bound the default configuration gives.
                configured = f" (`{self.context.source.segment(option)}` by default)"
                if option is left:
                    operator = _MIRRORED.get(operator, operator)
                left, right = size, ast.Constant(default)
                break
        folded = _folded_int(right)
        if folded is None and type(right) is ast.IfExp:
            # `hidden.size(1) > (2 if self.config.separate_cls else 1)` (Funnel): either arm's bound, when both are
            # degenerate thresholds; the larger one is what the reason states.
            arms = [_folded_int(right.body), _folded_int(right.orelse)]
            if all(arm is not None and 1 <= arm <= _DEGENERATE for arm in arms) and operator in (
                ast.Lt,
                ast.LtE,
                ast.Gt,
                ast.GtE,
            ):
                folded = max(arm for arm in arms if arm is not None)
                configured = f" (at most, `{self.context.source.segment(right)}`)"
        if folded is None:
            return self._brought_to_bound(term) or self._tests_the_rest_past(term)
        bound = folded
        if self._decides_only_emptiness(term):
            return (
                "a size compared with 0 asks whether a tensor is empty: the export takes the non-empty branch, right "
                "for every non-empty input (measured)"
            )
        if bound == 0 and self._difference_to_derived(left):
            return (
                "the difference between a dim of a tensor and the same dim of one the function computes from it "
                "is the same for every size (0 through 'same'-padded layers) unless a layer in between strides"
            )
        if operator in (ast.Lt, ast.LtE, ast.Gt, ast.GtE) and bound >= _BEYOND_INPUTS:
            return (
                f"a threshold of {bound:,} elements{configured}, an indexing or precision limit: only inputs past it take "
                "the other branch"
            )
        if not self._plain_size(left):
            return None
        if bound == 1 and operator in (ast.Eq, ast.NotEq, ast.Gt, ast.LtE):
            return (
                f"a comparison with 1{configured}: exported with an example larger than 1 along that dim (an example of 1 on a "
                "dynamic dim is ONX506's finding), the graph keeps the branch every size of 2 or more takes, with no "
                "guard; only an input of size 1 there runs that branch instead of its own"
            )
        if operator in (ast.Eq, ast.NotEq) and 2 <= bound <= _LAYOUT and not self._unpacked_extent(left):
            return (
                f"a size compared for equality with {bound}{configured} tests a dim that takes one fixed value (a layout axis: "
                "sections, channels, coordinates, a tuple's arity) in most models"
            )
        if operator in (ast.Lt, ast.LtE, ast.Gt, ast.GtE) and 2 <= bound <= _DEGENERATE:
            return f"a threshold of {bound} elements{configured}: only inputs of degenerate size along that dim take the other branch"
        return self._brought_to_bound(term)

    def _fix(self, test: ast.expr) -> Fix:
        """The branch-free pad, resize or crop (`rules/_fix_branch_free_*.py`) where the `if` only pads, resizes
        to a different size or crops back what it padded, the export guard where it guards a fast path, else a
        hint."""
        parent = self.context.parent(test)
        if type(parent) is ast.If and parent.test is test:
            found = branch_free_pad(self.context, parent)
            if found is not None:
                crops = crops_undoing(self.context, parent)
                if crops:
                    # The crop's bound is the code's convention (see `_fix_branch_free_crop`): unsafe.
                    title = "Pad and crop back unconditionally (the amounts are 0 when the condition is false)"
                    return self.make_fix([found.edit, *crops], Applicability.UNSAFE, title)
                title = "Pad unconditionally (the amounts are 0 when the condition is false)"
                return self.make_fix([found.edit], found.applicability, title)
            resize = branch_free_resize(self.context, parent)
            if resize is not None:
                title = "Resize unconditionally (a resize to the tensor's own size is the identity)"
                return self.make_fix([resize.edit], resize.applicability, title)
            crop = branch_free_crop(self.context, parent)
            if crop is not None:
                title = "Crop unconditionally (nothing was padded when the condition is false)"
                return self.make_fix([crop], Applicability.UNSAFE, title)
        guard = export_guard(self.context, test)
        if guard is not None:
            title = "Skip the fast path while exporting too (`torch.compiler.is_exporting()`)"
            return self.make_fix(guard, Applicability.UNSAFE, title)
        return self.make_fix([], Applicability.DISPLAY_ONLY)

    def _decides_only_emptiness(self, test: ast.expr) -> bool:
        """`if x.shape[0] == 0:`, `if n > 0 and ...`: every size the condition reads is compared with 0
        (or `>= 1`, `< 1`). Measured: both exporters take the non-empty branch, which is right for every
        non-empty input (a dynamic dim is never 0 in a deployed model's input)."""
        test_type = type(test)
        if test_type is ast.UnaryOp and type(test.op) is ast.Not:  # type: ignore[attr-defined]
            return self._decides_only_emptiness(test.operand)  # type: ignore[attr-defined]
        if test_type is ast.BoolOp:
            values = test.values  # type: ignore[attr-defined]
            return all(
                self._decides_only_emptiness(value) or not is_dynamic_size(self.context, value) for value in values
            )
        if test_type is not ast.Compare or len(test.ops) != 1:  # type: ignore[attr-defined]
            return False
        left, operator, right = test.left, type(test.ops[0]), test.comparators[0]  # type: ignore[attr-defined]
        if type(left) is ast.Constant:  # `0 < n`: read it as `n > 0`
            left, right = right, left
            operator = _MIRRORED.get(operator, operator)
        if type(right) is not ast.Constant or type(right.value) is not int or not self._size_product(left):
            return False
        bound = right.value
        return (bound == 0 and operator in (ast.Eq, ast.NotEq, ast.Gt, ast.LtE)) or (
            bound == 1 and operator in (ast.GtE, ast.Lt)
        )

    def _same_dim_of_two_tensors(self, left: ast.expr, right: ast.expr, _depth: int = 0) -> int | None:
        """The dim both sides read, each as it is, of two different tensors (not the model's own parameters or
        buffers): `masks.shape[0] == hidden_states.shape[0]`, `time_step.shape[0] == batch_size` (`batch_size, n, _ =
        x.shape`), `query_layer.size(-2) != key_layer.size(-2)`; else None."""
        context = self.context
        for side, other in ((left, right), (right, left)):
            # `seq_len = input_ids.shape[1] if input_ids is not None else inputs_embeds.shape[1]`: whichever input is
            # given, the same dim (mllama's `cross_attention_mask.shape[1] != seq_len`).
            values = local_values(context, side.id) if type(side) is ast.Name else []
            if len(values) == 1 and values[0][1] is None and type(values[0][0]) is ast.IfExp and _depth < 2:
                choice = values[0][0]
                dims = {self._same_dim_of_two_tensors(other, arm, _depth + 1) for arm in (choice.body, choice.orelse)}
                return dims.pop() if len(dims) == 1 else None
        owners = []
        indices = set()
        for side in (left, right):
            if not self._plain_size(side) or is_module_state_size(context, side):
                return None
            index = shape_index(context, side)
            leaves = list(size_leaves(context, side))
            if index is None and not leaves:
                # `hidden_states.shape[1]` of a value the model cannot type (a submodule's output): a dim as written
                index, leaves = _written_dim(side), [side]
            if index is None or len(leaves) != 1:
                return None
            indices.add(index)
            owners.append(self._size_owner(leaves[0]))
        if len(indices) != 1 or None in owners or owners[0] == owners[1]:
            return None
        return indices.pop()

    def _size_owner(self, leaf: ast.AST, _depth: int = 0) -> str | None:
        """The local tensor a size is read from: `x` for `x.shape[0]`, `x.size(0)`, `len(x)`, and for a name bound
        once to one of those or unpacked from `x.shape`."""
        if type(leaf) is not ast.Name:
            owner = size_owner(leaf)
            if owner is None and type(leaf) is ast.Call and leaf.args:
                owner = leaf.args[0]  # `len(x)`
            if owner is None:
                return None
            # `(input_ids if input_ids is not None else inputs_embeds).shape[1]`: the expression as written
            return owner.id if type(owner) is ast.Name else ast.unparse(owner)
        values = local_values(self.context, leaf.id)
        if len(values) != 1 or _depth > 3:
            return None
        value, position = values[0]
        if position is None:
            return self._size_owner(value, _depth + 1)
        shape = value.value if type(value) is ast.Subscript else value  # `b, n = x.shape[:2]`
        return shape.value.id if type(shape) is ast.Attribute and type(shape.value) is ast.Name else None

    def _unpacked_extent(self, size: ast.expr) -> bool:
        """A name unpacked from a whole image or video shape past its batch and channels (`num_frames` of `b, c,
        num_frames, h, w = x.shape`): a temporal or spatial extent, not a layout axis, whatever it is compared with."""
        if type(size) is not ast.Name:
            return False
        rank, index = shape_rank(self.context, size), shape_index(self.context, size)
        return rank is not None and rank >= 4 and index is not None and 2 <= index < rank

    def _brought_to_bound(self, term: ast.Compare) -> str | None:
        """`if ids.shape[1] > max_len: ids = ids[:, :max_len]`, `if h < self.config.min_len: h = F.pad(h, (0,
        self.config.min_len - h))`: the whole condition of an `if` orders a size against a bound the model fixes
        (a configuration value, not a size), and the body slices, pads or resizes to that bound."""
        context = self.context
        statement = context.parent(term)
        if type(statement) is not ast.If or statement.test is not term or statement.orelse:
            return None
        operator = type(term.ops[0])
        if operator not in (ast.Lt, ast.LtE, ast.Gt, ast.GtE):
            return None
        sides = [term.left, term.comparators[0]]
        bounds = [side for side in sides if not is_dynamic_size(context, side) and _fixed_bound(context, side)]
        if len(bounds) != 1 or not self._plain_size(sides[1 - sides.index(bounds[0])]):
            return None
        text = context.source.segment(bounds[0])
        # A local the body computes from the bound counts as the bound (kornia's `pad = self.num_features - n`, then
        # `F.pad(lafs, (0, pad))`).
        from_bound = {
            target.id
            for assignment in statement.body
            if type(assignment) is ast.Assign and text in context.source.segment(assignment.value)
            for target in assignment.targets
            if type(target) is ast.Name
        }

        def reaches_bound(argument: ast.expr) -> bool:
            return text in context.source.segment(argument) or any(
                type(name) is ast.Name and name.id in from_bound for name in ast.walk(argument)
            )

        sliced = any(
            type(node) is ast.Slice and node.upper is not None and context.source.segment(node.upper) == text
            for body_statement in statement.body
            for node in ast.walk(body_statement)
        )
        if not sliced and not any(
            any(reaches_bound(argument) for argument in sizes) for sizes in _pad_or_resize_sizes(statement)
        ):
            return None
        return (
            f"the branch brings the dim to `{text}`, a bound the model fixes (it slices, pads or resizes to it): "
            "which side of it deployed inputs fall on is not in the code"
        )

    def _brought_up_to_another_size(self, test: ast.expr) -> str | None:
        """`if hidden_states.shape[1] < n_input_timesteps: hidden_states = F.pad(hidden_states, (0, 0, 0,
        n_input_timesteps - hidden_states.shape[1]))` (SEW), `if feat_size[0] < high_resolution[0] or ...: img =
        F.interpolate(img, size=high_resolution)` (MobileNetV5's multi-scale fusion): the whole condition asks whether
        a size falls short of another size, and the body pads or resizes up to that size. The branch is the identity
        where the two are equal, so the kept branch is wrong only for inputs on the other side of that size."""
        context = self.context
        statement = context.parent(test)
        if type(statement) is not ast.If or statement.test is not test or statement.orelse:
            return None
        terms = test.values if type(test) is ast.BoolOp and type(test.op) is ast.Or else [test]
        targets: list[str] = []
        for term in terms:
            if type(term) is not ast.Compare or len(term.ops) != 1 or type(term.ops[0]) not in _ORDERINGS:
                return None
            short, target = term.left, term.comparators[0]
            if type(term.ops[0]) in (ast.Gt, ast.GtE):
                short, target = target, short
            if not is_dynamic_size(context, short):
                return None
            # The target as the body names it: `n_input_timesteps`, or the tuple `high_resolution` of
            # `high_resolution[0]`.
            base = target.value if type(target) is ast.Subscript else target
            targets.append(context.source.segment(base))
        if not any(
            all(any(text in context.source.segment(argument) for argument in sizes) for text in targets)
            for sizes in _pad_or_resize_sizes(statement)
        ):
            return None
        return (
            f"the branch pads or resizes the dim up to `{targets[0]}`, the identity where they are equal: the kept "
            "branch is wrong only for inputs on the other side of it, which the code does not say deployed inputs reach"
        )

    def _tests_the_rest_past(self, term: ast.Compare) -> str | None:
        """`if x.shape[1] > query_length: rest = x[:, query_length:]` (the Q-Former of BLIP-2 and InstructBLIP), or
        the `else` of `if context_length >= x.shape[1]:` that slices `x[:, context_length:]` (the time-series
        transformers' decoder input): the whole condition asks whether the part of `x` past a prefix, which the
        branch slices, is empty, an emptiness check in disguise."""
        context = self.context
        statement = context.parent(term)
        if type(statement) is not ast.If or statement.test is not term:
            return None
        left, operator, right = term.left, type(term.ops[0]), term.comparators[0]
        if operator in (ast.Lt, ast.GtE):  # `query_length < x.shape[1]`, `context_length >= x.shape[1]`
            left, right = right, left
            operator = ast.Gt if operator is ast.Lt else ast.LtE
        if operator is ast.Gt and not statement.orelse:
            rest = statement.body  # the branch of a non-empty rest slices it
        elif operator is ast.LtE:
            rest = statement.orelse  # `if context_length >= x.shape[1]: <empty rest> else: x[:, context_length:]`
        else:
            return None
        owner = _owner_and_axis(left)
        if owner is None or is_dynamic_size(context, right):
            return None
        bound = context.source.segment(right)
        for node in (n for statement_ in rest for n in ast.walk(statement_)):
            if not (type(node) is ast.Subscript and is_name(node.value, owner[0])):
                continue
            parts = node.slice.elts if type(node.slice) is ast.Tuple else [node.slice]
            if any(
                type(part) is ast.Slice
                and part.lower is not None
                and part.upper is None
                and context.source.segment(part.lower) == bound
                for part in parts
            ):
                return (
                    f"the condition asks whether the part of `{owner[0]}` past `{bound}`, which the branch slices, is "
                    "empty: an example with that part keeps the branch of every input with one"
                )
        return None

    def _difference_to_derived(self, expr: ast.expr, _depth: int = 0) -> bool:
        """`padding = (x.shape[-1] - y.shape[-1]) // 2` where every binding of `y` in the function computes it
        from `x` (`y = x; y = self.conv(self.act(y))`): the crop that realigns a residual unit's output."""
        context = self.context
        if _depth > 3:
            return False
        if type(expr) is ast.Name:
            values = local_values(context, expr.id)
            return len(values) == 1 and values[0][1] is None and self._difference_to_derived(values[0][0], _depth + 1)
        if type(expr) is not ast.BinOp:
            return False
        if type(expr.op) in (ast.FloorDiv, ast.Div) and type(expr.right) is ast.Constant:
            return self._difference_to_derived(expr.left, _depth + 1)
        if type(expr.op) is not ast.Sub:
            return False
        left, right = _owner_and_axis(expr.left), _owner_and_axis(expr.right)
        if left is None or right is None or left[1] != right[1] or left[0] == right[0]:
            return False
        return _computed_from(context, right[0], left[0]) or _computed_from(context, left[0], right[0])

    def _reads_only_loop_counters(self, test: ast.expr) -> bool:
        """`for i in range(num_frames): if i == 0: ...`: the sizes the condition reads are counters of
        enclosing loops. The loop is the hazard (ONX203 reports it); the branch inside it is taken
        as the loop runs, and reporting it again would only repeat the loop's finding."""
        context = self.context
        leaves = [leaf for leaf in size_leaves(context, test) if not likely_static(context, leaf)]
        if not leaves or not all(type(leaf) is ast.Name for leaf in leaves):
            return False
        counters: set[str] = set()
        parent = context.parent(test)
        while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if type(parent) in (ast.For, ast.AsyncFor):
                counters.update(n.id for n in ast.walk(parent.target) if type(n) is ast.Name)  # type: ignore[attr-defined]
            parent = context.parent(parent)
        return all(leaf.id in counters for leaf in leaves)  # type: ignore[attr-defined]

    def _size_product(self, expr: ast.expr, _depth: int = 0) -> bool:
        """A size as read, or a product of such (`num_patches = t * h * w`): zero exactly when one of them is."""
        if type(expr) is ast.BinOp and type(expr.op) is ast.Mult:
            return self._size_product(expr.left, _depth) and self._size_product(expr.right, _depth)
        if type(expr) is ast.Name and _depth < 4:
            values = local_values(self.context, expr.id)
            return bool(values) and all(
                position is not None or self._size_product(value, _depth + 1) for value, position in values
            )
        quotient = self._exact_or_ceiling_quotient(expr)  # a part of `expr`, or of its one binding
        if quotient is not None and _depth < 4:
            return self._size_product(quotient, _depth + 1)
        return self._plain_size(expr)

    def _exact_or_ceiling_quotient(self, expr: ast.expr) -> ast.expr | None:
        """`n` where `expr` is zero exactly when `n` is, for a positive divisor `p` (a divisor of 0 raises): a
        ceiling division (`(n + p - 1) // p`, `-(-n // p)`, `math.ceil(n / p)`), or the quotient of a multiple of
        `p` by `p` (`n_padded // p` with `n_padded = ((n + p - 1) // p) * p`, Cosmos' patch counts). Else None."""
        if type(expr) is ast.UnaryOp and type(expr.op) is ast.USub:
            inner = expr.operand
            if type(inner) is ast.BinOp and type(inner.op) is ast.FloorDiv:
                negated = inner.left
                if type(negated) is ast.UnaryOp and type(negated.op) is ast.USub:
                    return negated.operand
            return None
        if type(expr) is ast.Call:
            argument = expr.args[0] if len(expr.args) == 1 else None
            if (
                self.context.call_name(expr) == "math.ceil"
                and type(argument) is ast.BinOp
                and type(argument.op) is ast.Div
            ):
                return argument.left
            return None
        if type(expr) is not ast.BinOp or type(expr.op) is not ast.FloorDiv:
            return None
        dividend, divisor = expr.left, expr.right
        if type(dividend) is ast.Name:
            values = local_values(self.context, dividend.id)
            if len(values) != 1 or values[0][1] is not None:
                return None
            dividend = values[0][0]
        if type(dividend) is not ast.BinOp:
            return None
        if type(dividend.op) is ast.Mult:  # `(n * p) // p`
            if _same(dividend.right, divisor):
                return dividend.left
            if _same(dividend.left, divisor):
                return dividend.right
            return None
        if type(dividend.op) is ast.Add:  # `(n + (p - 1)) // p`
            for size, rest in ((dividend.left, dividend.right), (dividend.right, dividend.left)):
                if _is_one_less_than(rest, divisor):
                    return size
        if (  # `(n + p - 1) // p`, which parses as `((n + p) - 1) // p`
            type(dividend.op) is ast.Sub
            and type(dividend.right) is ast.Constant
            and dividend.right.value == 1
            and type(dividend.left) is ast.BinOp
            and type(dividend.left.op) is ast.Add
        ):
            pair = dividend.left
            for size, step in ((pair.left, pair.right), (pair.right, pair.left)):
                if _same(step, divisor):
                    return size
        return None

    def _plain_size(self, expr: ast.expr) -> bool:
        """A size as read (`x.shape[0]`, `boxes.size(0)`, `len(x)`, a name bound to one), not arithmetic on
        sizes: `h % 4 != 0` is a divisibility test, not an emptiness check."""
        if type(expr) is ast.Name:
            values = local_values(self.context, expr.id)
            return bool(values) and all(position is not None or self._plain_size(value) for value, position in values)
        return type(expr) in (ast.Subscript, ast.Call, ast.Attribute)

    def _only_reports(self, statement: ast.stmt) -> bool:
        statement_type = type(statement)
        if statement_type in (ast.Raise, ast.Assert, ast.Pass):
            return True
        if statement_type is ast.Expr and type(statement.value) is ast.Call:  # type: ignore[attr-defined]
            func = statement.value.func  # type: ignore[attr-defined]
            name = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else None
            return name in _REPORTING_CALLS
        if statement_type is ast.Assign and type(statement.value) is ast.Call:  # type: ignore[attr-defined]
            # `x = x.contiguous()` (diffusers' `if hidden_states.shape[0] >= 64:`): a memory layout only,
            # the values are the same whichever branch the export keeps.
            call = statement.value  # type: ignore[attr-defined]
            targets = statement.targets  # type: ignore[attr-defined]
            return (
                type(call.func) is ast.Attribute
                and call.func.attr == "contiguous"
                and len(targets) == 1
                and type(targets[0]) is ast.Name
                and type(call.func.value) is ast.Name
                and call.func.value.id == targets[0].id
            )
        return False

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        # Emptiness checks through ceiling divisions (Cosmos' patch counts): `(h + p - 1) // p`, and the quotient of
        # a multiple of `p` by `p`, are zero exactly when `h` is: the export takes the non-empty branch.
        """
        import math
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                _, _, h, w = x.shape
                p = self.patch_size
                h_padded = ((h + p - 1) // p) * p
                num_patches = (h_padded // p) * w
                if num_patches > 0:
                    x = x + 1
                if (w + 15) // 16 > 0 and math.ceil(h / p) != 0:
                    x = x * 2
                return x
        """,
        # Dim 0 of two tensors compared: the batch, one symbol (`low`, reported with `--confidence low`).
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, hidden_states, attention_masks, time_step):
                batch_size, n, _ = hidden_states.shape
                if attention_masks.shape[0] == hidden_states.shape[0]:
                    hidden_states = hidden_states + attention_masks.mean()
                if time_step.shape[0] != batch_size:
                    time_step = time_step.expand(batch_size)
                return hidden_states * time_step[:, None, None]
        """,
        # A list narrowed by `isinstance`, a branch that only changes the memory layout, channel tests.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, hidden_state):
                if isinstance(hidden_state, (tuple, list)) and len(hidden_state) == 2:
                    hidden_state = hidden_state[0]
                if hidden_state.shape[0] >= 64:
                    hidden_state = hidden_state.contiguous()
                if hidden_state.shape[1] == 3:
                    hidden_state = hidden_state.mean(1)
                if hidden_state.shape[1] < self.config.in_channels - 1:
                    hidden_state = hidden_state * 2
                return hidden_state
        """,
        # A path the constructor switches off (`enable_tiling()` turns it on after building): not exported.
        """
        import torch
        class Decoder(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.use_tiling = False
                self.use_slicing = False

            def forward(self, z):
                if self.use_slicing and z.shape[0] > 1:
                    return torch.cat([self.decode(part) for part in z.split(1)])
                if self.use_tiling and (z.shape[-1] > 64 or z.shape[-2] > 64):
                    return self.tiled_decode(z)
                return self.decode(z)
        """,
        # Emptiness of a product of sizes: zero exactly when one of them is (the non-empty branch is right for all).
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                frames, height, width = x.shape[2], x.shape[3], x.shape[4]
                num_patches = frames * height * width
                if num_patches > 0:
                    x = x * 2
                return x
        """,
        # The sizes of a kernel or a weight passed to a functional op are the model's, not the input's.
        """
        import torch
        import torch.nn.functional as F
        def blur(input: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
            ky, kx = kernel.shape[-2], kernel.shape[-1]
            if ky % 2 == 1 and kx % 2 == 1:
                return F.conv2d(input, kernel, padding=(ky // 2, kx // 2))
            return F.conv2d(F.pad(input, (0, 1, 0, 1)), kernel)
        class M(torch.nn.Module):
            def forward(self, x):
                return blur(x, torch.ones(1, 1, 3, 3))
        """,
        # A helper's parameter that every call passes a module's table: its sizes are fixed when the model is built.
        """
        import torch
        import torch.nn.functional as F
        class Embeddings(torch.nn.Module):
            def resize_table(self, table: torch.Tensor, height: int, width: int):
                table = table[:, 1:]
                num_positions = table.shape[1]
                if num_positions > 64:
                    height = height * 2
                return F.interpolate(table, size=(height, width))

            def forward(self, x):
                return x + self.resize_table(self.position_embeddings, x.shape[2], x.shape[3])
        """,
        # A loop counter: the loop over the size is the hazard (ONX203), not each test of its counter.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                out = []
                for i in range(x.shape[2]):
                    if i == 0:
                        out.append(x[:, :, i])
                return torch.stack(out)
        """,
        # Emptiness checks: both exporters take the non-empty branch (measured), right for real inputs.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, boxes):
                if boxes.shape[0] == 0 or not x.size(0) > 0:
                    return x * 0
                n = boxes.size(0)
                return x + 1 if 0 < n else x
        """,
        # A parameter's or buffer's size is fixed when the model is built.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                if self.proj.weight.size(0) > 3 or self.pos_embed.shape[1] != 197:
                    x = x * 2
                return x
        """,
        """
        import warnings
        import torch
        import torch.nn.functional as F
        class M(torch.nn.Module):
            def forward(self, x, mask=None):
                if x.size(1) != self.channels:
                    raise ValueError(f"expected {self.channels} channels, got {x.size(1)}")
                if x.shape[2] % 8:
                    message = f"height {x.shape[2]} is not a multiple of 8"
                    raise ValueError(message)
                if x.shape[3] % 2:
                    warnings.warn("odd width")
                if x.dim() == 3 or len(x.shape) == 3:
                    x = x.unsqueeze(0)
                if mask is None or self.training:
                    mask = torch.ones_like(x)
                if self.pos_embed.shape[1] != 197:  # a parameter's size is fixed
                    x = x * 2
                h, w = x.shape[-2:]
                x = F.pad(x, (0, (4 - w % 4) % 4, 0, (4 - h % 4) % 4))
                return x * mask
        """,
        # Hazards that rest on an assumption about the inputs are `low` (hidden by default): a size equal to 2, 3
        # or 4 (a layout axis, a tuple's arity), a threshold of a few elements (degenerate
        # inputs: a slice of at most 2 frames, sizes below a 3x3 window), and the difference between a dim of a
        # tensor and of one computed from it (0 through 'same'-padded layers).
        """
        import torch
        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = torch.nn.MultiheadAttention(8, 2)
                self.conv1 = torch.nn.Conv1d(8, 8, 3, padding=1)
                self.conv2 = torch.nn.Conv1d(8, 8, 1)

            def forward(self, x, position_ids, feat_cache=None):
                outputs = self.attn(x, x, x)
                if len(outputs) == 3:
                    x = x + outputs[2]
                if position_ids.ndim == 3 and position_ids.shape[0] == 4:
                    position_ids = position_ids[1:]
                cache = x[:, :, -2:].clone()
                if cache.shape[2] < 2 and feat_cache is not None:
                    cache = torch.cat([feat_cache, cache], 2)
                if x.shape[1] < 3 or x.shape[2] < 3:
                    return x
                y = x
                y = self.conv2(self.conv1(y))
                pad = (x.shape[-1] - y.shape[-1]) // 2
                if pad > 0:
                    x = x[..., pad:-pad]
                return x + y, position_ids, cache
        """,
        # A slice back to the length padded to a multiple (Mamba-2): right whenever the example pads, `low`.
        """
        import torch
        import torch.nn.functional as F
        def scan(hidden_states: torch.Tensor, chunk_size: int):
            sequence_length = hidden_states.shape[1]
            pad_size = (chunk_size - sequence_length % chunk_size) % chunk_size
            output = F.pad(hidden_states, (0, 0, 0, pad_size)).cumsum(1)
            if pad_size > 0:
                output = output[:, :sequence_length]
            return output
        class M(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                return scan(x, 256)
        """,
        # A sinusoidal table grown for inputs longer than it (transformers' Speech2Text): `low`.
        """
        import torch
        class Positions(torch.nn.Module):
            def forward(self, input_ids: torch.Tensor):
                max_pos = self.padding_idx + 1 + input_ids.shape[1]
                if max_pos > self.weights.size(0):
                    self.make_weights(max_pos + self.offset, self.embedding_dim, self.padding_idx)
                return self.weights[: input_ids.shape[1]]
        """,
        # The same table passed to a helper (wav2vec2-conformer's `extend_pe(x, pe=None)`, called with `self.pe`).
        """
        import torch
        class RelativePositions(torch.nn.Module):
            def extend_pe(self, x: torch.Tensor, pe=None):
                if pe is not None:
                    if pe.size(1) >= x.size(1) * 2 - 1:
                        return pe.to(dtype=x.dtype)
                pe = torch.zeros(1, 2 * x.size(1) - 1, 8)
                return pe
            def forward(self, hidden_states: torch.Tensor):
                self.pe = self.extend_pe(hidden_states, self.pe)
                return self.pe[:, : hidden_states.shape[1]]
        """,
        # A flag bound once to a condition an export guard decides (kornia's SIFT: not tiled while compiling), alone
        # or beside a test that reads no size.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x: torch.Tensor, destination: torch.Tensor | None):
                tiled = x.shape[-2] * x.shape[-1] >= 1024 * 1024 and not torch.compiler.is_compiling()
                rows = 256 if tiled else x.shape[-2]
                if destination is not None or tiled:
                    destination = x * 2
                return x[..., :rows, :]
        """,
        # A size read in a condition that the precision and the device decide on the default path (kornia's NaFlex).
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                shrinks = x.shape[-1] < 64
                if (x.dtype == torch.float16) or (shrinks and x.device.type == "mps"):
                    x = x.float()
                return x
        """,
        # A comparison with 1 (a batch of one, a single frame, one decoding step): exported with an example larger
        # than 1 the graph keeps the branch of every size of 2 or more, `low`.
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, position_ids):
                if x.shape[0] > 1:
                    x = x - x.mean(0, keepdim=True)
                if position_ids.shape[1] != 1:
                    position_ids = position_ids[:, -1:]
                is_single_frame = x.shape[1] == 1
                if is_single_frame:
                    x = x.squeeze(1)
                return x, position_ids
        """,
        # A branch that brings a dim to a bound the model fixes (truncate to a maximum length, pad to a minimum):
        # which side of the bound deployed inputs fall on is not in the code, `low`.
        """
        import torch
        import torch.nn.functional as F
        class M(torch.nn.Module):
            def forward(self, ids, hidden):
                max_len = self.config.max_text_len
                if ids.shape[1] > max_len:
                    ids = ids[:, :max_len]
                if hidden.shape[1] < self.config.min_sequence_length:
                    hidden = F.pad(hidden, (0, 0, 0, self.config.min_sequence_length - hidden.shape[1]))
                return ids, hidden
        """,
        # Not model code.
        """
        import torch
        def tile(x):
            if x.shape[-1] > 512:
                return x.split(512, -1)
            return (x,)
        """,
    ]
    INVALID = [
        # A floor division is not an emptiness check: `h // 4` is 0 for every `h` below 4.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    _, _, h, w = x.shape
                    if h // 4 > 0:
                        x = x + 1
                    return x
            """,
            count=1,
        ),
        # An ordering against the model's own table through a local cast to the input's dtype (PriorTransformer): `low`.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class Prior(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.positional_embedding = torch.nn.Parameter(torch.zeros(1, 8, 4))
                def forward(self, hidden_states):
                    positional_embeddings = self.positional_embedding.to(hidden_states.dtype)
                    if positional_embeddings.shape[1] < hidden_states.shape[1]:
                        positional_embeddings = F.pad(positional_embeddings, (0, 0, 1, 0))
                    return hidden_states + positional_embeddings
            """,
            line=9,
            settings={"confidence": "low"},
            message_contains="an ordering against the size of the model's own table",
        ),
        # A pad up to another size when short of it (SEW's upsampling), the identity where they are equal: `low`.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class Upsample(torch.nn.Module):
                def forward(self, x, reference):
                    n = reference.shape[1]
                    x = x[:, : 2 * (x.shape[1] // 2)]
                    if x.shape[1] < n:
                        x = F.pad(x, (0, 0, 0, n - x.shape[1]))
                    return x
            """,
            line=7,
            settings={"confidence": "low"},
            message_contains="the identity where they are equal",
        ),
        # A token count bounded by the head size picks the order of one linear-attention product (Sana): `low`.
        Invalid(
            """
            import torch
            class LinearAttention(torch.nn.Module):
                def forward(self, q, k, v):
                    height, width = q.shape[-2:]
                    if height * width > self.attention_head_dim:
                        kv = torch.einsum("nshd,nshv->nhdv", k, v)
                        return torch.einsum("nlhd,nhdv->nlhv", q, kv)
                    return torch.einsum("nlhd,nshd,nshv->nlhv", q, k, v)
            """,
            line=5,
            settings={"confidence": "low"},
            message_contains="picks the cheaper order of the same attention product",
        ),
        # A crop back to the sizes padded to a multiple, under any pad (monai's Swin block): `low`, saying why.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class Block(torch.nn.Module):
                def forward(self, x, ws: int = 7):
                    b, h, w, c = x.shape
                    pad_b = (ws - h % ws) % ws
                    pad_r = (ws - w % ws) % ws
                    x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
                    x = x * 2
                    if pad_r > 0 or pad_b > 0:
                        x = x[:, :h, :w, :].contiguous()
                    return x
            """,
            line=10,
            settings={"confidence": "low"},
            message_contains="slices back to `h`, `w` after padding to a multiple",
        ),
        # A count past 2**24 is a precision limit, not an input size (kornia's RANSAC): `low`, saying why.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    n = x.shape[1]
                    dtype = x.dtype if n <= 1 << 24 else torch.float64
                    return x.sum(1, dtype=dtype)
            """,
            line=5,
            settings={"confidence": "low"},
            message_contains="a threshold of 16,777,216 elements, an indexing or precision limit",
        ),
        # The rest past a fixed prefix, which the branch slices: an emptiness check in disguise, `low`.
        Invalid(
            """
            import torch
            class QFormerLayer(torch.nn.Module):
                def forward(self, attention_output, query_length: int = 32):
                    layer_output = attention_output[:, :query_length] * 2
                    if attention_output.shape[1] > query_length:
                        text_output = attention_output[:, query_length:, :] * 3
                        layer_output = torch.cat([layer_output, text_output], dim=1)
                    return layer_output
            """,
            line=5,
            settings={"confidence": "low"},
            message_contains="past `query_length`, which the branch slices, is empty",
        ),
        # A crop back under the flag of an earlier pad through a helper (Reformer): the pad's hazard, `low` here.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def _pad_to_multiple(self, x, amount):
                    return torch.nn.functional.pad(x, (0, amount))
                def forward(self, x):
                    length = x.shape[-1]
                    must_pad = x.shape[-1] % 64 != 0
                    if must_pad:
                        x = self._pad_to_multiple(x, 64 - x.shape[-1] % 64)
                    y = x * 2
                    if must_pad:
                        y = y[:, :length]
                    return y
            """,
            line=11,
            settings={"confidence": "low"},
            message_contains="the `if` on the same condition at line 8 pads",
        ),
        # The same with the slice in the `else` of the reversed test (Informer's decoder input): `low`.
        Invalid(
            """
            import torch
            class Decoder(torch.nn.Module):
                def __init__(self, config):
                    super().__init__()
                    self.config = config
                def forward(self, inputs):
                    if self.config.context_length >= inputs.shape[1]:
                        rest = torch.zeros(inputs.shape[0], 1, inputs.shape[2])
                    else:
                        rest = inputs[:, self.config.context_length :, ...]
                    return rest * 2
            """,
            line=7,
            settings={"confidence": "low"},
            message_contains="past `self.config.context_length`, which the branch slices, is empty",
        ),
        # A threshold against a chunk size picks the whole computation or the chunked one: `low`, saying why.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, chunk_size: int = 16):
                    if x.size(0) <= chunk_size:
                        return x * 2
                    return torch.cat([part * 2 for part in x.split(chunk_size)])
            """,
            line=4,
            settings={"confidence": "low"},
            message_contains="low confidence: a size ordered against a chunk size",
        ),
        # A size ordered against a memory budget (CogVideoX's SafeConv3d) picks a split for memory: `low`, saying why.
        Invalid(
            """
            import torch
            class SafeConv(torch.nn.Conv3d):
                def forward(self, x: torch.Tensor):
                    memory_count = x.numel() * x.element_size() / 1024**3
                    if memory_count > 2:
                        return torch.cat([super().forward(part) for part in x.chunk(2, dim=0)])
                    return super().forward(x)
            """,
            line=5,
            settings={"confidence": "low"},
            message_contains="a size ordered against a memory budget",
        ),
        # A rank test beside a size equality asks which layout an input comes in (HunYuan-VL's packed positions):
        # `low`, saying why.
        Invalid(
            """
            import torch
            class Rope(torch.nn.Module):
                def forward(self, position_ids: torch.Tensor, axes: int = 3):
                    if position_ids.ndim == 3 and position_ids.shape[0] == axes + 1:
                        return position_ids[1:]
                    return position_ids
            """,
            line=4,
            settings={"confidence": "low"},
            message_contains="beside `position_ids.ndim == 3`, a test of the rank, the equality on a size asks which layout",
        ),
        # A condition that tests the device picks an implementation for it (kornia's CPU blur): `low`, saying why.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class Blur(torch.nn.Module):
                def forward(self, image: torch.Tensor, kernel: torch.Tensor):
                    if image.device.type == "cpu" and image.numel() >= 256 * 256:
                        return (image + image.roll(1, -1) + image.roll(-1, -1)) / 3
                    return F.conv2d(image, kernel, padding=1)
            """,
            line=5,
            settings={"confidence": "low"},
            message_contains="the condition also tests the device: it picks an implementation for a device",
        ),
        # A threshold the constructor's default sets (V-JEPA 2's `num_frames < self.tubelet_size`, 2 by default) is a
        # threshold of that many elements: `low`, naming the option (tests/static/test_confidence.py: not a larger one).
        Invalid(
            """
            import torch
            class Embeddings(torch.nn.Module):
                def __init__(self, tubelet_size: int = 2):
                    super().__init__()
                    self.tubelet_size = tubelet_size

                def forward(self, x):
                    num_frames = x.shape[2]
                    if num_frames < self.tubelet_size:
                        x = x.repeat(1, 1, self.tubelet_size, 1, 1)
                    return x * 2
            """,
            line=9,
            settings={"confidence": "low"},
            message_contains="a threshold of 2 elements (`self.tubelet_size` by default): only inputs of degenerate",
        ),
        # A threshold chosen between two degenerate constants (Funnel), through a flag that a second binding narrows:
        # `low`, stating the larger bound.
        Invalid(
            """
            import torch
            class Pooler(torch.nn.Module):
                def __init__(self, separate_cls: bool = True):
                    super().__init__()
                    self.separate_cls = separate_cls

                def forward(self, hidden, block_index: int):
                    pooling_flag = hidden.size(1) > (2 if self.separate_cls else 1)
                    pooling_flag = pooling_flag and block_index > 0
                    if pooling_flag:
                        hidden = hidden[:, ::2]
                    return hidden
            """,
            line=10,
            settings={"confidence": "low"},
            message_contains="a threshold of 2 elements (at most, `2 if self.separate_cls else 1`)",
        ),
        # A value cached from an earlier call (None on a freshly built module) decides the condition before any size
        # is read: `low`, saying why.
        Invalid(
            """
            import torch
            class RotaryTable(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.cached_length = None
                    self.cached_table = None

                def forward(self, x):
                    length = x.shape[1]
                    if length == self.cached_length and self.cached_table is not None:
                        return self.cached_table
                    self.cached_length = length
                    self.cached_table = torch.arange(length)
                    return self.cached_table
            """,
            line=10,
            settings={"confidence": "low"},
            message_contains="low confidence: `length == self.cached_length` compares with a value the module caches",
        ),
        # An emptiness check beside a degenerate threshold: `low`, saying why.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, desc1, desc2):
                    if desc1.shape[0] == 0 or desc2.shape[0] < 2:
                        return desc1[:0]
                    return desc1 @ desc2.T
            """,
            line=4,
            settings={"confidence": "low"},
            message_contains="asks whether a tensor is empty",
        ),
        # An ordering against a configured maximum: `low`, saying why; not one against a window size.
        Invalid(
            _ORDERED_AGAINST_MAXIMUM,
            settings={"confidence": "low"},
            count=2,
            message_contains="a maximum the model is configured with",
        ),
        Invalid(_ORDERED_AGAINST_MAXIMUM, line=7, count=1),
        # One dim of two tensors compared: `low`, saying why (dim 0 is the batch).
        Invalid(
            _SAME_DIM_OF_TWO_TENSORS,
            settings={"confidence": "low"},
            line=4,
            message_contains="both sides read dim 0, the batch, of two tensors",
        ),
        Invalid(
            _SAME_DIM_OF_TWO_TENSORS,
            settings={"confidence": "low"},
            line=6,
            message_contains="both sides read dim 1 of two tensors",
        ),
        Invalid(_SAME_DIM_OF_TWO_TENSORS, count=2),  # shown by default: two dims of one tensor, a table's length
        # A submodule's output the value model cannot type, against an input: the dim as written (Gemma 4's logits).
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, input_ids: torch.Tensor | None = None, inputs_embeds: torch.Tensor | None = None):
                    hidden_states = self.model(input_ids)
                    if hidden_states.shape[1] == (input_ids if input_ids is not None else inputs_embeds).shape[1]:
                        hidden_states = hidden_states[:, -1:]
                    return hidden_states
            """,
            settings={"confidence": "low"},
            line=5,
            message_contains="both sides read dim 1 of two tensors",
        ),
        # A temporal extent unpacked from a video's shape is not a layout axis, whatever the constant.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    b, c, num_frames, h, w = x.shape
                    if num_frames == 2:
                        x = x[:, :, [0, -1]]
                    return x
            """,
            line=5,
        ),
        # The comparisons with 1, with `--confidence low`, saying why.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x, position_ids):
                    if x.shape[0] > 1:
                        x = x - x.mean(0, keepdim=True)
                    if position_ids.shape[1] != 1:
                        position_ids = position_ids[:, -1:]
                    return x, position_ids
            """,
            count=2,
            settings={"confidence": "low"},
            message_contains="low confidence: a comparison with 1",
        ),
        # The same with `--confidence low`, saying why.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, ids, hidden):
                    max_len = self.config.max_text_len
                    if ids.shape[1] > max_len:
                        ids = ids[:, :max_len]
                    if hidden.shape[1] < self.config.min_sequence_length:
                        hidden = F.pad(hidden, (0, 0, 0, self.config.min_sequence_length - hidden.shape[1]))
                    return ids, hidden
            """,
            count=2,
            settings={"confidence": "low"},
            message_contains="a bound the model fixes",
        ),
        # A pad by a local the body computes from the bound (kornia's multi-resolution detector): the same reason.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def __init__(self, num_features: int = 2048):
                    super().__init__()
                    self.num_features = num_features
                def forward(self, responses):
                    if responses.shape[1] < self.num_features:
                        pad = self.num_features - responses.shape[1]
                        responses = F.pad(responses, (0, pad))
                    return responses
            """,
            settings={"confidence": "low"},
            message_contains="the branch brings the dim to `self.num_features`",
        ),
        # The same, with `--confidence low`: reported, each with its reason.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.attn = torch.nn.MultiheadAttention(8, 2)
                    self.conv1 = torch.nn.Conv1d(8, 8, 3, padding=1)
                    self.conv2 = torch.nn.Conv1d(8, 8, 1)

                def forward(self, x, position_ids, feat_cache=None):
                    outputs = self.attn(x, x, x)
                    if len(outputs) == 3:
                        x = x + outputs[2]
                    if position_ids.ndim == 3 and position_ids.shape[0] == 4:
                        position_ids = position_ids[1:]
                    cache = x[:, :, -2:].clone()
                    if cache.shape[2] < 2 and feat_cache is not None:
                        cache = torch.cat([feat_cache, cache], 2)
                    if x.shape[1] < 3 or x.shape[2] < 3:
                        return x
                    y = x
                    y = self.conv2(self.conv1(y))
                    pad = (x.shape[-1] - y.shape[-1]) // 2
                    if pad > 0:
                        x = x[..., pad:-pad]
                    return x + y, position_ids, cache
            """,
            count=5,
            settings={"confidence": "low"},
            message_contains="low confidence: a threshold of 2 elements",
        ),
        # Still reported by default: a threshold above a few elements, and the difference from a tensor the
        # function does not compute from the other (a decoder's upsampled map against its skip connection).
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.up = torch.nn.Upsample(scale_factor=2)

                def forward(self, x, skip):
                    x = self.up(x)
                    diff = skip.shape[-1] - x.shape[-1]
                    if diff > 0:
                        x = F.pad(x, (0, diff))
                    if x.shape[2] < 32:
                        x = x * 2
                    return x + skip
            """,
            count=2,
        ),
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    h, w = x.shape[2], x.shape[3]
                    if h % 4 != 0 or w % 4 != 0:
                        x = F.pad(x, (0, (4 - w % 4) % 4, 0, (4 - h % 4) % 4))
                    return x
            """,
            line=6,
            message_contains="dynamo",
            expected_fix="""
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    h, w = x.shape[2], x.shape[3]
                    x = F.pad(x, (0, (4 - w % 4) % 4, 0, (4 - h % 4) % 4))
                    return x
            """,
        ),
        # transformers' Swin: one term per `if`, the amount `p - w % p` gains `% p` (it was p, not 0,
        # for a multiple); the patch merging's `h % 2 == 1` pads by `h % 2`, which is 0 otherwise.
        Invalid(
            """
            import torch
            from torch import nn
            class M(torch.nn.Module):
                def forward(self, x):
                    _, _, height, width = x.shape
                    if width % 4 != 0:
                        pad_values = (0, 4 - width % 4)
                        x = nn.functional.pad(x, pad_values)
                    if (height % 2 == 1) or (width % 2 == 1):
                        x = nn.functional.pad(x, (0, width % 2, 0, height % 2))
                    return x
            """,
            count=2,
            expected_fix="""
            import torch
            from torch import nn
            class M(torch.nn.Module):
                def forward(self, x):
                    _, _, height, width = x.shape
                    pad_values = (0, (4 - width % 4) % 4)
                    x = nn.functional.pad(x, pad_values)
                    x = nn.functional.pad(x, (0, width % 2, 0, height % 2))
                    return x
            """,
        ),
        # A fast path skipped while tracing (transformers' `interpolate_pos_encoding`): skipped while exporting too.
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    if not torch.jit.is_tracing() and x.shape[1] == self.table.shape[1]:
                        return self.table
                    return x
            """,
            line=4,
            unsafe_fixes=True,
            expected_fix="""
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    if not (torch.jit.is_tracing() or torch.compiler.is_exporting()) and x.shape[1] == self.table.shape[1]:
                        return self.table
                    return x
            """,
        ),
        # `pad > 0` needs `pad >= 0`, which nothing here shows: an unsafe fix.
        Invalid(
            """
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    pad = 8 - x.shape[2]
                    if pad > 0:
                        x = F.pad(x, (0, pad))
                    return x
            """,
            line=6,
            unsafe_fixes=True,
            expected_fix="""
            import torch
            import torch.nn.functional as F
            class M(torch.nn.Module):
                def forward(self, x):
                    pad = 8 - x.shape[2]
                    x = F.pad(x, (0, pad))
                    return x
            """,
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    pad = 1 if x.size(3) % 2 else 0
                    while x.shape[2] > 16:
                        x = x[:, :, ::2]
                    return x, pad
            """,
            count=2,
            settings={"exporter": "legacy"},
            message_contains="TorchScript",
        ),
    ]


# ONX302's `medium` findings: a bound or an equality on a size (not a remainder) is crossed at one size; the branch
# the example takes is wrong only for deployed sizes on the other side, which the code does not say it takes.
_BOUND_ASSUMPTION = (
    "a bound or an equality on the size: the kept branch is wrong only for sizes on the other side of it than "
    "the example's, which deployed inputs may or may not reach"
)


def _is_one_less_than(expr: ast.expr, divisor: ast.expr) -> bool:
    """Whether `expr` is `p - 1` for the divisor `p`: written so, or folded (`15` for `16`)."""
    if type(expr) is ast.BinOp and type(expr.op) is ast.Sub and _same(expr.left, divisor):
        return _folded_int(expr.right) == 1
    value, bound = _folded_int(expr), _folded_int(divisor)
    return value is not None and bound is not None and bound >= 1 and value == bound - 1


def _folded_int(expr: ast.expr) -> int | None:
    """An int literal, or a power or shift of int literals (`1 << 24`, `2**31`), as its value; else None."""
    if type(expr) is ast.Constant:
        return expr.value if type(expr.value) is int else None
    if type(expr) is ast.BinOp and type(expr.op) in (ast.Pow, ast.LShift):
        base, exponent = _folded_int(expr.left), _folded_int(expr.right)
        if base is None or exponent is None or not 0 <= exponent <= 64:
            return None
        return base**exponent if type(expr.op) is ast.Pow else base << exponent
    return None


def _written_dim(expr: ast.expr) -> int | None:
    """The dim `x.shape[i]` or `x.size(i)` reads, from the syntax alone (a literal `i`), else None."""
    if type(expr) is ast.Subscript and type(expr.value) is ast.Attribute and expr.value.attr == "shape":
        return literal_int(expr.slice, negative=True)
    if (
        type(expr) is ast.Call
        and type(expr.func) is ast.Attribute
        and expr.func.attr == "size"
        and len(expr.args) == 1
        and not expr.keywords
    ):
        return literal_int(expr.args[0], negative=True)
    return None


def _named(expr: ast.expr, pattern: re.Pattern[str]) -> bool:
    """Whether a name or an attribute's last name (`chunk_size`, `self.chunk`) matches `pattern`."""
    name = expr.id if type(expr) is ast.Name else expr.attr if type(expr) is ast.Attribute else None
    return name is not None and pattern.match(name) is not None


def _names_a_chunk(expr: ast.expr) -> bool:
    """`chunk_size`, `self.chunk`, `CONV_CHUNK_ELEMENTS`: a bound named for the pieces a computation is cut into for
    memory. Not Reformer's `chunk_length`, the span its LSH attention works in (another computation)."""
    return _named(expr, _CHUNK_NAME)


_CHUNK_NAME = re.compile(r"^(?:\w+_)?chunk(?:_size|_elements)?$", re.IGNORECASE)


def _pad_or_resize_sizes(statement: ast.If) -> Iterator[list[ast.expr]]:
    """For each `pad(...)` or `interpolate(...)` call in the body of `statement`, the arguments that give the amounts
    or the size: all but the first positional one, and `pad=` / `size=`."""
    for body_statement in statement.body:
        for node in ast.walk(body_statement):
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                if called in ("pad", "interpolate"):
                    yield [*node.args[1:], *(k.value for k in node.keywords if k.arg in ("pad", "size"))]


def _names_head_size(expr: ast.expr) -> bool:
    """`attn.attention_head_dim`, `head_dim`, `heads * dim`, `self.num_heads * self.head_dim`: the size of an
    attention head, or of all heads together."""
    if type(expr) is ast.BinOp and type(expr.op) is ast.Mult:
        return (_named(expr.left, _HEADS_NAME) and _named(expr.right, _DIM_NAME)) or (
            _named(expr.right, _HEADS_NAME) and _named(expr.left, _DIM_NAME)
        )
    return _named(expr, _HEAD_SIZE_NAME)


_HEAD_SIZE_NAME = re.compile(r"^(?:attention_|attn_)?(?:head_dim|dim_head|head_size|dim_per_head)$", re.IGNORECASE)
_HEADS_NAME = re.compile(r"^(?:num_|n_)?(?:attention_)?heads$", re.IGNORECASE)
_DIM_NAME = re.compile(r"^(?:head_)?dim$|^(?:attention_)?head_dim$|^dim_head$", re.IGNORECASE)
_ORDERINGS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _configured_maximum(context, expr: ast.expr) -> bool:
    """`self.config.max_position_embeddings`, `self.max_grid_row_position_embeddings`, `self.pos_embed_max_size`: a
    bound the model fixes (`_fixed_bound`, not a literal) whose name says it is a maximum."""
    if type(expr) is ast.Constant or is_dynamic_size(context, expr) or not _fixed_bound(context, expr):
        return False
    if type(expr) is ast.Name:
        values = local_values(context, expr.id)
        expr = values[0][0] if len(values) == 1 else expr
    return type(expr) is ast.Attribute and _MAXIMUM_NAME.search(expr.attr) is not None


_MAXIMUM_NAME = re.compile(r"(?:^|_)max(?:_|$)", re.IGNORECASE)


def _compares_a_rank(context, term: ast.expr) -> bool:
    """`x.ndim == 4`, `x.dim() != 3`, `len(x.shape) == 5` (`is_rank`): an equality on a tensor's number of dims."""
    if type(term) is not ast.Compare or len(term.ops) != 1 or type(term.ops[0]) not in (ast.Eq, ast.NotEq):
        return False
    for side in (term.left, term.comparators[0]):
        if type(side) is ast.Attribute and side.attr == "ndim":
            return True
        if type(side) is ast.Call and type(side.func) is ast.Attribute and side.func.attr in ("dim", "ndimension"):
            return not side.args
        if is_rank(context, side):
            return True
    return False


def _one_side_static(context, left: ast.expr, right: ast.expr) -> bool:
    """One side a size that may be dynamic, the other a size fixed when the model is built: the size of the model's
    own parameter or buffer, or a local computed from one (`size = int(math.sqrt(table.shape[1]))`), not a literal."""
    return any(
        type(fixed) is not ast.Constant
        and is_size(context, fixed)
        and not is_dynamic_size(context, fixed)
        and is_dynamic_size(context, varying)
        for fixed, varying in ((left, right), (right, left))
    )


def _terms(test: ast.expr) -> list[ast.expr]:
    """The comparisons a condition combines with `and`, `or` and `not`."""
    if type(test) is ast.BoolOp:
        return [term for value in test.values for term in _terms(value)]
    if type(test) is ast.UnaryOp and type(test.op) is ast.Not:
        return _terms(test.operand)
    return [test]


def _fixed_bound(context, expr: ast.expr) -> bool:
    """A bound the model fixes: a configuration or constructor value (`self.config.max_len`, `self.max_len`),
    a local name bound only to one, or an integer literal."""
    if type(expr) is ast.Constant:
        return type(expr.value) is int
    if type(expr) is ast.Attribute:
        node: ast.expr = expr
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id == "self" and context.kind(expr) in (Kind.PYTHON, Kind.UNKNOWN)
    if type(expr) is ast.Name:
        values = local_values(context, expr.id)
        return bool(values) and all(
            position is None and type(value) is ast.Attribute and _fixed_bound(context, value)
            for value, position in values
        )
    return False


def _owner_and_axis(expr: ast.expr) -> tuple[str, int] | None:
    """(`x`, i) for `x.shape[i]` or `x.size(i)` with a literal `i` and a local name `x`."""
    owner: ast.expr | None = None
    index: ast.expr | None = None
    if type(expr) is ast.Subscript and type(expr.value) is ast.Attribute and expr.value.attr == "shape":
        owner, index = expr.value.value, expr.slice
    elif (
        type(expr) is ast.Call
        and type(expr.func) is ast.Attribute
        and expr.func.attr == "size"
        and len(expr.args) == 1
        and not expr.keywords
    ):
        owner, index = expr.func.value, expr.args[0]
    if type(owner) is not ast.Name or index is None:
        return None
    if type(index) is ast.UnaryOp and type(index.op) is ast.USub and type(index.operand) is ast.Constant:
        value = index.operand.value
        return (owner.id, -value) if type(value) is int else None
    if type(index) is ast.Constant and type(index.value) is int:
        return owner.id, index.value
    return None


def _computed_from(context, name: str, source: str) -> bool:
    """Whether every binding of the local `name` computes it from `source` or from its own previous value,
    and one of them from `source` (`y = x`, `y = self.conv(self.act(y))`)."""
    values = local_values(context, name)
    if not values or any(position is not None for _, position in values):
        return False
    reads = [{n.id for n in ast.walk(value) if type(n) is ast.Name and type(n.ctx) is ast.Load} for value, _ in values]
    return all(source in names or name in names for names in reads) and any(source in names for names in reads)
