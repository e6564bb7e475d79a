"""The semantic model on real parses: qualified names, model code, kinds, export configuration."""

from __future__ import annotations

import ast
import textwrap

import pytest

from onnxlint.analysis.semantic import Kind
from onnxlint.core.context import FileContext
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
