"""The semantic model on real parses: qualified names, model code, kinds, export configuration."""

from __future__ import annotations

import ast
import textwrap

import pytest

from onnxlint.analysis.semantic import Kind
from onnxlint.core.context import FileContext
from onnxlint.core.engine import lint_source
from onnxlint.core.settings import LintSettings


def context_for(code: str, **settings) -> FileContext:
    text = textwrap.dedent(code).lstrip("\n")
    return FileContext("case.py", text, ast.parse(text), LintSettings(**settings))


def calls(context: FileContext) -> list[ast.Call]:
    return [node for node in ast.walk(context.tree) if isinstance(node, ast.Call)]


@pytest.mark.parametrize(
    "code",
    [
        "import torch.nn.functional as F\nF.grid_sample(x, g)",
        "import torch\ntorch.nn.functional.grid_sample(x, g)",
        "from torch.nn.functional import grid_sample as gs\ngs(x, g)",
        "from torch.nn import functional\nfunctional.grid_sample(x, g)",
        "from torch import nn\nnn.functional.grid_sample(x, g)",
        "import torch as th\nth.nn.functional.grid_sample(x, g)",
    ],
)
def test_one_call_under_every_spelling(code):
    context = context_for(code)
    assert context.call_name(calls(context)[0]) == "torch.nn.functional.grid_sample"


def test_local_binding_shadows_an_import():
    context = context_for(
        """
        import torch.nn.functional as F
        def f(F):
            return F.grid_sample(x, g)
        """
    )
    function = context.model.function_info(context.tree.body[1])
    context.function = function
    context.scope = context.model.scope_for(function)
    assert context.call_name(calls(context)[0]) is None


def test_function_local_import_is_resolved():
    context = context_for(
        """
        def f(x, g):
            import torch.nn.functional as F
            return F.grid_sample(x, g)
        """
    )
    function = context.model.function_info(context.tree.body[0])
    context.function, context.scope = function, context.model.scope_for(function)
    assert context.call_name(calls(context)[0]) == "torch.nn.functional.grid_sample"


def test_re_exported_names_are_canonical():
    context = context_for("import torch\ntorch.functional.einsum('ij->ji', x)")
    assert context.call_name(calls(context)[0]) == "torch.einsum"


MODEL = """
import math
import torch
import torch.nn.functional as F
from torch import nn

def helper(t, size):
    return t * size

def unused(t):
    return t

class Net(nn.Module):
    def __init__(self, dim: int = 8):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.blocks = nn.ModuleList([nn.Linear(dim, dim)])
        self.scale = dim ** -0.5
        self.register_buffer("table", torch.zeros(4))
        self.weight = nn.Parameter(torch.ones(dim))

    def features(self, x):
        return self.proj(x)

    def forward(self, x, mask=None, flag: bool = False, size: int = 3):
        y = self.features(x)
        b, n, c = x.shape
        h = x.size(1)
        parts = x.chunk(2, dim=-1)
        first, second = parts
        value = x.mean().item()
        s = x.shape
        width = int(x.shape[2])
        ceil = math.ceil(h / 2)
        z = helper(y, size)
        for block in self.blocks:
            y = block(y)
        mean_value = float(x.mean())
        listed = x.tolist()
        probe = self.table + self.weight
        rank = x.dim()
        ndims = len(x.shape)
        length = len(x)
        return y
"""


@pytest.fixture(scope="module")
def net() -> FileContext:
    context = context_for(MODEL)
    forward = next(
        node for node in ast.walk(context.tree) if isinstance(node, ast.FunctionDef) and node.name == "forward"
    )
    context.function = context.model.function_info(forward)
    context.scope = context.model.scope_for(context.function)
    return context


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("x", Kind.TENSOR),
        ("mask", Kind.OPTIONAL_TENSOR),
        ("flag", Kind.PYTHON),
        ("size", Kind.PYTHON),
        ("y", Kind.TENSOR),  # self.features(x) returns self.proj(x): a submodule call
        ("b", Kind.DIM),
        ("c", Kind.DIM),
        ("h", Kind.DIM),
        ("parts", Kind.TENSOR_SEQUENCE),
        ("first", Kind.TENSOR),
        ("value", Kind.DATA),
        ("s", Kind.SHAPE),
        ("width", Kind.DIM),
        ("ceil", Kind.DIM),
        ("z", Kind.TENSOR),  # helper's return kind, from its call-site argument kinds
        ("block", Kind.MODULE),
        ("mean_value", Kind.DATA),
        ("listed", Kind.DATA),
        ("probe", Kind.TENSOR),  # a registered buffer plus an nn.Parameter
        ("rank", Kind.PYTHON),
        ("ndims", Kind.PYTHON),  # the rank, not a size
        ("length", Kind.DIM),  # the size of dim 0
    ],
)
def test_kinds_in_forward(net, name, kind):
    assert net.scope.name_kind(name) is kind


def test_model_code_is_forward_and_what_it_calls(net):
    model = net.model
    names = {
        model.function_info(node).name
        for node in ast.walk(net.tree)
        if isinstance(node, ast.FunctionDef)
        if model.is_model_function(model.function_info(node))
    }
    assert names == {"forward", "features", "helper"}


def test_helper_parameters_take_the_kinds_of_their_arguments(net):
    helper = net.model.functions["helper"]
    scope = net.model.scope_for(helper)
    assert scope.name_kind("t") is Kind.TENSOR
    assert scope.name_kind("size") is Kind.PYTHON


def test_attribute_kinds_from_init(net):
    owner = net.model.classes["Net"]
    assert net.model.attribute_kind(owner, "proj") is Kind.MODULE
    assert net.model.attribute_kind(owner, "table") is Kind.TENSOR
    assert net.model.attribute_kind(owner, "weight") is Kind.TENSOR
    assert net.model.attribute_kind(owner, "nothing") is Kind.UNKNOWN


def test_unrecognised_annotations_are_not_assumed_tensors():
    context = context_for(
        """
        from torch import nn
        class M(nn.Module):
            def forward(self, x, size: Size_, features: dict[str, Tensor]):
                return x
        """
    )
    forward = context.model.function_info(context.tree.body[1].body[0])
    scope = context.model.scope_for(forward)
    assert scope.name_kind("x") is Kind.TENSOR
    assert scope.name_kind("size") is Kind.UNKNOWN
    assert scope.name_kind("features") is Kind.UNKNOWN


def test_the_elements_of_a_nested_list_of_tensors_are_not_tensors():
    # diffusers' MiniMax-H3 VAE stitches `tiles: list[list[torch.Tensor]]`: a row is a list, `len(row)` its length.
    kinds = _kinds_at(
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, tiles: list[list[torch.Tensor]], parts: list[torch.Tensor]):
                for row in tiles:
                    n = len(row)
                for part in parts:
                    m = part
                return n, m
        """
    )
    assert kinds[("row", 5)] is not Kind.TENSOR
    assert kinds[("part", 7)] is Kind.TENSOR


def test_non_tensor_methods_do_not_make_tensors():
    context = context_for(
        """
        from torch import nn
        class M(nn.Module):
            def forward(self, x):
                for key, value in x.items():
                    pass
                return x
        """
    )
    forward = context.model.function_info(context.tree.body[1].body[0])
    assert context.model.scope_for(forward).name_kind("key") is Kind.UNKNOWN


def test_export_call_settings_win_for_the_file():
    context = context_for(
        """
        import torch
        def f(x):
            return x
        torch.onnx.export(model, x, "m.onnx", dynamo=False, opset_version=12)
        """,
        exporter="dynamo",
    )
    config = context.export_config_for(context.tree.body[1])
    assert (config.exporter, config.requested_opset, config.opset) == ("legacy", 12, 12)


def test_dynamo_never_translates_below_opset_18():
    context = context_for("import torch\ntorch.onnx.export(model, x, 'm.onnx', opset_version=11)\n")
    config = context.export_config_for(calls(context)[0])
    assert config.is_dynamo and config.requested_opset == 11 and config.opset == 18


def test_disagreeing_export_calls_fall_back_to_settings():
    context = context_for(
        """
        import torch
        def f(x):
            return x
        torch.onnx.export(a, x, "a.onnx", dynamo=False, opset_version=12)
        torch.onnx.export(b, x, "b.onnx", opset_version=17)
        """,
        exporter="legacy",
        opset=13,
    )
    assert context.export_config_for(context.tree.body[1]).opset == 13
    second_call = calls(context)[-1]
    assert context.export_config_for(second_call).exporter == "legacy"  # no dynamo= argument: the settings' exporter
    assert context.export_config_for(second_call).requested_opset == 17


@pytest.mark.parametrize(
    ("code", "skipped"),
    [
        ("if not torch.onnx.is_in_onnx_export():\n        t = x.sum()", True),
        ("if torch.onnx.is_in_onnx_export():\n        t = x.sum()", False),
        ("t = 0 if torch.compiler.is_compiling() else x.sum()", True),
        ("t = not is_exporting() and x.sum()", True),
        ("if torch.jit.is_scripting():\n        t = 0\n    t = x.sum()", False),
        ("if torch.jit.is_scripting():\n        t = x.sum()", True),
        ("if is_tracing():\n        t = 0\n    elif torch.jit.is_scripting():\n        t = x.sum()", True),
        ("if torch.jit.is_tracing():\n        return x\n    t = x.sum()", False),  # False under dynamo
        ("if torch.compiler.is_dynamo_compiling():\n        t = x.sum()", True),  # False in torch.export
        ("if not torch.compiler.is_dynamo_compiling():\n        t = x.sum()", False),
    ],
)
def test_code_behind_export_guards(code, skipped):
    context = context_for(
        f"""
import torch
def f(x):
    {code}
    return x
"""
    )
    target = next(n for n in ast.walk(context.tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "sum")
    assert context.skipped_during_export(target) is skipped


@pytest.mark.parametrize(
    ("code", "exporter", "skipped"),
    [
        # torch's own guards differ between the exporters (measured: tests/static/test_measured.py).
        ("if torch.jit.is_tracing():\n        return x\n    t = x.sum()", "legacy", True),
        ("if torch.jit.is_tracing():\n        return x\n    t = x.sum()", "dynamo", False),
        ("t = x.sum() if torch.jit.is_tracing() else 0", "dynamo", True),
        ("t = x.sum() if torch.compiler.is_compiling() else 0", "legacy", True),
        ("t = x.sum() if torch.compiler.is_compiling() else 0", "dynamo", False),
        ("t = x.sum() if torch.onnx.is_in_onnx_export() else 0", "legacy", False),
        ("t = x.sum() if is_tracing() else 0", "dynamo", False),  # a project's own wrapper: taken as True
    ],
)
def test_torch_guards_are_judged_per_exporter(code, exporter, skipped):
    context = context_for(f"import torch\ndef f(x):\n    {code}\n    return x\n", exporter=exporter)
    target = next(n for n in ast.walk(context.tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "sum")
    assert context.skipped_during_export(target) is skipped


# -- flow-sensitive kinds -------------------------------------------------------------------------


def _kinds_at(code: str, function: str = "forward") -> dict[tuple[str, int], Kind]:
    """(name, line) -> the kind of each read of a name in `function` (the last read on a line wins)."""
    context = context_for(code)
    model = context.model
    for node in ast.walk(context.tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            scope = model.scope_for(model.function_info(node))
            return {
                (n.id, n.lineno): scope.kind(n)
                for n in ast.walk(node)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
    raise AssertionError(function)


def test_a_rebound_name_has_the_kind_of_the_binding_that_reaches_it():
    kinds = _kinds_at(
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, image_size):
                if not isinstance(image_size, (list, tuple)):
                    image_size = image_size.tolist()
                return image_size
        """
    )
    assert kinds[("image_size", 5)] is Kind.TENSOR  # the receiver of `.tolist()`
    assert kinds[("image_size", 6)] is Kind.UNKNOWN  # a tensor or a list, joined over the branch


def test_loop_targets_over_a_tensor_and_aliases():
    kinds = _kinds_at(
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, input_ids: torch.LongTensor | None = None, mask=None):
                if input_ids is not None:
                    total = input_ids
                    for i, input_ids in enumerate(total):
                        if mask is not None:
                            input_ids = input_ids[mask[i]]
                        tokens = input_ids.tolist()
                return tokens
        """
    )
    assert kinds[("input_ids", 5)] is Kind.TENSOR  # narrowed by `is not None`
    assert kinds[("total", 6)] is Kind.TENSOR
    assert kinds[("i", 8)] is Kind.PYTHON
    assert kinds[("input_ids", 9)] is Kind.TENSOR  # the loop target, joined with its masked rebinding
    assert kinds[("tokens", 10)] is Kind.DATA


def test_none_then_module_output_in_a_loop_is_a_tensor_or_none():
    kinds = _kinds_at(
        """
        import torch
        from torch import nn
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

            def forward(self, xs: tuple[torch.Tensor]):
                output = None
                for x, layer in zip(xs, self.layers):
                    if output is not None:
                        output = layer(x) + output
                    else:
                        output = layer(x)
                return output[:, 1:]
        """
    )
    assert kinds[("layer", 12)] is Kind.MODULE
    assert kinds[("output", 12)] is Kind.TENSOR  # narrowed
    assert kinds[("output", 15)] is Kind.OPTIONAL_TENSOR


def test_comparisons_and_to_joined_over_branches():
    kinds = _kinds_at(
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, input_ids: torch.LongTensor | None = None, inputs_embeds: torch.Tensor | None = None):
                if inputs_embeds is None:
                    inputs_embeds = self.get_input_embeddings()(input_ids)
                if input_ids is None:
                    mask = (inputs_embeds == 3).all(-1)
                else:
                    mask = (input_ids == 3).to(inputs_embeds.device)
                return mask.any()
        """
    )
    assert kinds[("inputs_embeds", 7)] is Kind.OPTIONAL_TENSOR  # an untyped value keeps the annotation
    assert kinds[("mask", 10)] is Kind.TENSOR


def test_comprehension_variables_reach_helper_parameters():
    context = context_for(
        """
        import torch
        def patches(image_size, pinpoints):
            return image_size.tolist()
        class M(torch.nn.Module):
            def forward(self, image_sizes: torch.Tensor):
                return [patches(image_size=s, pinpoints=[1]) for s in image_sizes]
        """
    )
    helper = context.model.functions["patches"]
    assert context.model.scope_for(helper).name_kind("image_size") is Kind.TENSOR


def test_sizes_passed_to_int_annotated_parameters_stay_sizes():
    context = context_for(
        """
        import torch
        from typing import Tuple
        def resample(pos: torch.Tensor, grid: int, new_size: Tuple[int, int]):
            H, W = new_size
            return H == grid
        class M(torch.nn.Module):
            def forward(self, x):
                B, H, W, C = x.shape
                return resample(x, 7, (H, W))
        """
    )
    helper = context.model.functions["resample"]
    scope = context.model.scope_for(helper)
    assert scope.name_kind("new_size") is Kind.SHAPE
    assert scope.name_kind("grid") is Kind.PYTHON
    assert scope.name_kind("H") is Kind.DIM


def test_attention_processor_call_is_model_code():
    kinds = _kinds_at(
        """
        import torch
        class AttnProcessor:
            def __call__(self, attn, hidden_states, attention_mask=None):
                query = attn.to_q(hidden_states)
                return query.shape[0]
        """,
        function="__call__",
    )
    assert kinds[("attn", 4)] is Kind.MODULE
    assert kinds[("query", 5)] is Kind.TENSOR


def test_return_kind_read_in_a_call_cycle_is_recomputed():
    # `get_window_size`'s parameters come from its callers, whose names need its return kind.
    context = context_for(
        """
        import numpy as np
        import torch
        from typing import Sequence
        def get_window_size(x_size, window_size):
            use = list(window_size)
            for i in range(len(x_size)):
                if x_size[i] <= window_size[i]:
                    use[i] = x_size[i]
            return tuple(use)
        class Layer(torch.nn.Module):
            def __init__(self, window_size: Sequence[int]):
                super().__init__()
                self.window_size = window_size
            def forward(self, x):
                b, c, d, h, w = x.shape
                window_size = get_window_size((d, h, w), self.window_size)
                return int(np.ceil(d / window_size[0]))
        """
    )
    helper = context.model.functions["get_window_size"]
    assert context.model.scope_for(helper).name_kind("x_size") is Kind.SHAPE
    forward = context.model.function_info(context.model.classes["Layer"].methods["forward"])
    scope = context.model.scope_for(forward)
    assert scope.name_kind("window_size") is Kind.PYTHON
    value = forward.node.body[-1].value  # type: ignore[attr-defined]
    assert scope.kind(value) is Kind.DIM


def test_isinstance_against_another_class_drops_the_annotation():
    kinds = _kinds_at(
        """
        import torch
        class M(torch.nn.Module):
            def forward(self, x, encoder_outputs: torch.Tensor | None = None):
                if encoder_outputs is None:
                    encoder_outputs = self.encoder(x)
                elif not isinstance(encoder_outputs, BaseModelOutput):
                    encoder_outputs = BaseModelOutput(h=encoder_outputs[1] if len(encoder_outputs) > 1 else None)
                return encoder_outputs
        """
    )
    assert kinds[("encoder_outputs", 7)] is Kind.UNKNOWN  # a tuple, whatever the annotation says


def test_a_parameter_every_call_fills_with_an_export_guard_is_that_guard():
    # timm's `patch_dropout_forward(x, prob, ..., training)`, called with `self.training`: False at export, so the
    # code after `if not training: return x` does not run; a caller that passes `True` somewhere undoes it.
    code = """
import torch
def dropout_forward(x: torch.Tensor, prob: float, training: bool):
    if not training or prob == 0:
        return x
    keep = int(x.shape[1] * (1.0 - prob))
    return x[:, :keep]
class PatchDropout(torch.nn.Module):
    def forward(self, x):
        return dropout_forward(x, self.prob, self.training)
"""
    findings = lint_source(code, "m.py", LintSettings(confidence="low")).findings
    assert not [f for f in findings if f.code == "ONX301"]
    also_on = (
        code
        + """
class Always(torch.nn.Module):
    def forward(self, x):
        return dropout_forward(x, 0.5, True)
"""
    )
    findings = lint_source(also_on, "m.py", LintSettings(confidence="low")).findings
    assert [f.start.row for f in findings if f.code == "ONX301"] == [6]


UNPACKED_RETURNS = """
import torch


class PatchEmbeddings(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.projection = torch.nn.Conv2d(3, 8, 4, stride=4)

    def forward(self, pixel_values: torch.Tensor):
        batch_size, num_frames, channels, height, width = pixel_values.shape
        embeddings = self.projection(pixel_values.reshape(batch_size * num_frames, channels, height, width))
        return embeddings, num_frames, embeddings.size(-1)


def pad_to_window(x: torch.Tensor, window: int):
    padding = (window - x.shape[1] % window) % window
    return padding, torch.nn.functional.pad(x, (0, 0, 0, padding))


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embeddings = PatchEmbeddings()

    def forward(self, pixel_values: torch.Tensor):
        embeddings, num_frames, width = self.patch_embeddings(pixel_values)
        padding, padded = pad_to_window(embeddings, 8)
        return embeddings, num_frames, width, padding, padded
"""


def test_a_tuple_a_local_function_or_submodule_returns_unpacks_position_by_position():
    # TimeSformer's `embeddings, num_frames, patch_width = self.patch_embeddings(pixel_values)`: a tensor and two
    # sizes, not three tensors; the same for a helper of the file.
    context = context_for(UNPACKED_RETURNS)
    forward = context.model.function_info(
        next(
            n
            for n in ast.walk(context.tree)
            if isinstance(n, ast.FunctionDef) and n.name == "forward" and n.lineno > 20
        )
    )
    scope = context.model.scope_for(forward)
    assert [scope.name_kind(n) for n in ("embeddings", "num_frames", "width", "padding", "padded")] == [
        Kind.TENSOR,
        Kind.DIM,
        Kind.DIM,
        Kind.DIM,
        Kind.TENSOR,
    ]
    # So a comparison of `num_frames` is a branch on a size (ONX302), not on a tensor value (ONX201).
    source = textwrap.dedent(UNPACKED_RETURNS).replace(
        "        return embeddings, num_frames, width, padding, padded",
        "        if num_frames != 8:\n            embeddings = embeddings * 2\n        return embeddings",
    )
    codes = {f.code for f in lint_source(source, "m.py", LintSettings(confidence="low")).findings if f.start.row == 29}
    assert codes == {"ONX302"}


def test_a_count_of_bins_or_colours_is_a_static_size():
    # CHMv2's depth head: `n_bins = x.shape[1]` (the bins of its logits) fixes `torch.linspace`'s steps harmlessly;
    # the same read named for a length is reported.
    source = textwrap.dedent(
        """
        import torch


        class Head(torch.nn.Module):
            def forward(self, x: torch.Tensor):
                n_bins = x.shape[1]
                length = x.shape[1]
                bins = torch.linspace(0.0, 1.0, n_bins)
                steps = torch.linspace(0.0, 1.0, length)
                return x * bins.sum() + steps.sum()
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row for f in findings if f.code == "ONX110"} == {10}


def test_a_buffer_repeated_over_the_batch_keeps_its_own_dims_static():
    # kornia's DeFMO: `times = self.times.to(x).unsqueeze(0).repeat(latent.shape[0], 1)`, then a loop over
    # `times.shape[1]` (the buffer's length: static, not reported) and one over `times.shape[0]` (the batch).
    source = textwrap.dedent(
        """
        import torch


        class Renderer(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("times", torch.linspace(0, 1, 8))

            def forward(self, latent: torch.Tensor):
                times = self.times.to(latent.dtype).unsqueeze(0).repeat(latent.shape[0], 1)
                steps = [latent * times[:, k].view(-1, 1, 1, 1) for k in range(times.shape[1])]
                rows = [latent[b] * 2 for b in range(times.shape[0])]
                table = self.times.unsqueeze(0).expand(latent.shape[0], -1)
                cols = [table[:, k] for k in range(table.shape[1])]
                return torch.stack(steps).sum() + torch.stack(rows).sum() + torch.stack(cols).sum()
        """
    )
    findings = lint_source(source, "m.py", LintSettings(confidence="low")).findings
    assert {f.start.row for f in findings if f.code == "ONX203"} == {13}
