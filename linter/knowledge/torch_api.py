"""What onnxlint knows about the torch API's *types*, for tensor-ness inference.

This is knowledge of PyTorch, not of any rule: which `torch.*` functions and Tensor methods
return something other than a tensor. Everything not listed here that is called on a tensor
or under `torch.` is assumed to return a tensor.
"""

from __future__ import annotations

# Canonical spellings for names that torch re-exports under several paths.
QUALIFIED_NAME_ALIASES: dict[str, str] = {
    "torch.functional.einsum": "torch.einsum",
    "torch.functional.stft": "torch.stft",
    "torch.functional.unique": "torch.unique",
    "torch.functional.meshgrid": "torch.meshgrid",
    "torch.functional.split": "torch.split",
    "torch.functional.cdist": "torch.cdist",
    "torch.functional.norm": "torch.norm",
    "torch.nn.modules.upsampling.Upsample": "torch.nn.Upsample",
    "torch.nn.modules.Upsample": "torch.nn.Upsample",
    "torch.onnx.utils.export": "torch.onnx.export",
    "torch.serialization.load": "torch.load",
}

# `torch.<name>` callables whose result is not a tensor, by the kind of value they return.
TORCH_FUNCTIONS_RETURNING_PYTHON = frozenset(
    {
        "torch.is_tensor",
        "torch.is_storage",
        "torch.is_floating_point",
        "torch.is_complex",
        "torch.is_nonzero",
        "torch.is_grad_enabled",
        "torch.is_inference_mode_enabled",
        "torch.get_default_dtype",
        "torch.get_default_device",
        "torch.device",
        "torch.dtype",
        "torch.finfo",
        "torch.iinfo",
        "torch.Generator",
        "torch.manual_seed",
        "torch.seed",
        "torch.initial_seed",
        "torch.set_grad_enabled",
        "torch.no_grad",
        "torch.enable_grad",
        "torch.inference_mode",
        "torch.autocast",
        "torch.save",
        "torch.load",
        "torch._assert",
        "torch.promote_types",
        "torch.result_type",
        "torch.can_cast",
        "torch.typename",
        "torch.compile",
        "torch.cond",
    }
)
TORCH_MODULES_RETURNING_PYTHON = (
    "torch.jit.",
    "torch.onnx.",
    "torch.cuda.",
    "torch.backends.",
    "torch.distributed.",
    "torch.compiler.",
    "torch._dynamo.",
    "torch.fx.",
    "torch.export.",
    "torch.utils.",
    "torch.hub.",
    "torch.overrides.",
    "torch.testing.",
    "torch.mps.",
    "torch.xpu.",
    "torch.amp.",
    "torch.optim.",
    "torch.autograd.",
    "torch.library.",
    "torch._C.",
)
# torch.is_autocast_enabled(), torch.get_default_dtype(), torch.set_printoptions(), ...
PYTHON_RESULT_PREFIXES = ("is_", "get_", "set_", "are_", "use_")
TORCH_FUNCTIONS_RETURNING_SIZE = frozenset({"torch.Size"})
TORCH_FUNCTIONS_RETURNING_DIM = frozenset({"torch.numel"})
# Results that are a fixed-length sequence of tensors (tuples, named tuples, lists).
TORCH_FUNCTIONS_RETURNING_TENSOR_SEQUENCE = frozenset(
    {
        "torch.split",
        "torch.chunk",
        "torch.unbind",
        "torch.tensor_split",
        "torch.hsplit",
        "torch.vsplit",
        "torch.dsplit",
        "torch.meshgrid",
        "torch.broadcast_tensors",
        "torch.sort",
        "torch.topk",
        "torch.kthvalue",
        "torch.mode",
        "torch.var_mean",
        "torch.std_mean",
        "torch.aminmax",
        "torch.frexp",
        "torch.histogram",
        "torch.lu",
        "torch.qr",
        "torch.svd",
        "torch.linalg.eig",
        "torch.linalg.eigh",
        "torch.linalg.qr",
        "torch.linalg.svd",
        "torch.linalg.slogdet",
        "torch.nn.functional.max_pool2d_with_indices",
        "torch.nn.functional.multi_head_attention_forward",
    }
)

# Tensor methods whose result is not a tensor.
TENSOR_METHODS_RETURNING_DATA = frozenset({"item", "tolist", "numpy", "__bool__", "__int__", "__float__"})
TENSOR_METHODS_RETURNING_DIM = frozenset({"numel", "nelement"})
TENSOR_METHODS_RETURNING_PYTHON = frozenset(
    {
        "dim",
        "ndimension",
        "element_size",
        "is_floating_point",
        "is_complex",
        "is_contiguous",
        "is_pinned",
        "is_shared",
        "is_set_to",
        "is_signed",
        "data_ptr",
        "get_device",
        "storage_offset",
        "storage",
        "untyped_storage",
        "type",  # .type() with no argument returns a string; with one it returns a tensor (rare)
        "register_hook",
        "backward",
        "equal",
        "__len__",
    }
)
TENSOR_METHODS_RETURNING_SEQUENCE = frozenset(
    {
        "split",
        "chunk",
        "unbind",
        "tensor_split",
        "hsplit",
        "vsplit",
        "dsplit",
        "sort",
        "topk",
        "kthvalue",
        "aminmax",
        "frexp",
    }
)
# `max`/`min`/`median`/`mode` return (values, indices) when given a dim.
TENSOR_METHODS_SEQUENCE_WITH_DIM = frozenset({"max", "min", "median", "mode", "nanmedian", "cummax", "cummin"})

TENSOR_ATTRIBUTES_TENSOR = frozenset({"T", "mT", "H", "mH", "data", "real", "imag", "grad"})
TENSOR_ATTRIBUTES_PYTHON = frozenset(
    {
        "dtype",
        "device",
        "ndim",
        "is_cuda",
        "is_cpu",
        "is_meta",
        "is_sparse",
        "is_quantized",
        "is_leaf",
        "requires_grad",
        "layout",
        "names",
        "grad_fn",
        "itemsize",
        "nbytes",
    }
)

BUILTIN_NAMES = frozenset(
    {
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "divmod",
        "enumerate",
        "float",
        "getattr",
        "hasattr",
        "int",
        "isinstance",
        "issubclass",
        "iter",
        "len",
        "list",
        "map",
        "max",
        "min",
        "next",
        "print",
        "range",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "type",
        "zip",
        "super",
        "callable",
    }
)
