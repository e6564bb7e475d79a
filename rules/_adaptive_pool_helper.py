"""Source of the pure-tensor adaptive pooling helpers that ONX106's fix inserts into a file.

They compute exactly PyTorch's bins (start = floor(i * n / o), end = ceil((i + 1) * n / o)) from
the runtime size, so they export with a dynamic height and width under both ONNX exporters,
where `adaptive_avg_pool2d` fails (TorchScript exporter) or is baked to the example size (dynamo).
Verified by the first harness run (docs/ground-truth.md, verified rewrites AdaptiveAvgPoolMatmul and
AdaptiveMaxPoolMasked) and by ONX106's PARITY cases (rules/_evidence/adaptive_pool_output_size.py).
"""

from __future__ import annotations

AVG_FUNCTION = "onnx_adaptive_avg_pool2d"
MAX_FUNCTION = "onnx_adaptive_max_pool2d"
AVG_MODULE = "OnnxAdaptiveAvgPool2d"
MAX_MODULE = "OnnxAdaptiveMaxPool2d"

_AVG = '''
def onnx_adaptive_avg_pool2d(x, output_size):
    """`F.adaptive_avg_pool2d` as two matmuls with pooling matrices built from the runtime size.

    Same bins as PyTorch; exports with a dynamic height and width (inserted by onnxlint, ONX106).
    """
    if isinstance(output_size, int):
        output_size = (output_size, output_size)

    def pooling_matrix(size, out):
        i = {torch}.arange(out, device=x.device).unsqueeze(1)
        j = {torch}.arange(size, device=x.device).unsqueeze(0)
        start = {torch}.div(i * size, out, rounding_mode="floor")
        end = {torch}.div((i + 1) * size + out - 1, out, rounding_mode="floor")
        weights = ((j >= start) & (j < end)).to(x.dtype)
        return weights / weights.sum(1, keepdim=True)

    height, width = x.shape[-2], x.shape[-1]
    out_h = height if output_size[0] is None else output_size[0]
    out_w = width if output_size[1] is None else output_size[1]
    return pooling_matrix(height, out_h) @ x @ pooling_matrix(width, out_w).transpose(0, 1)
'''

_MAX = '''
def onnx_adaptive_max_pool2d(x, output_size):
    """`F.adaptive_max_pool2d` (values only) as masked maxima over bins built from the runtime size.

    Same bins as PyTorch; exports with a dynamic height and width (inserted by onnxlint, ONX106).
    """
    if isinstance(output_size, int):
        output_size = (output_size, output_size)

    def bins(size, out):
        i = {torch}.arange(out, device=x.device).unsqueeze(1)
        j = {torch}.arange(size, device=x.device).unsqueeze(0)
        start = {torch}.div(i * size, out, rounding_mode="floor")
        end = {torch}.div((i + 1) * size + out - 1, out, rounding_mode="floor")
        return (j >= start) & (j < end)

    height, width = x.shape[-2], x.shape[-1]
    rows = bins(height, height if output_size[0] is None else output_size[0])
    cols = bins(width, width if output_size[1] is None else output_size[1])
    lowest = {torch}.full((), float("-inf"), dtype=x.dtype, device=x.device)
    pooled = {torch}.where(rows.unsqueeze(-1), x.unsqueeze(-3), lowest).amax(-2)
    return {torch}.where(cols, pooled.unsqueeze(-2), lowest).amax(-1)
'''

_MODULE = '''
class {name}({torch}.nn.Module):
    """`nn.{original}` that exports with a dynamic height and width (inserted by onnxlint, ONX106)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return {function}(x, self.output_size)
'''


def function_source(kind: str, torch_name: str) -> str:
    return (_AVG if kind == "avg" else _MAX).replace("{torch}", torch_name)


def module_source(kind: str, torch_name: str) -> str:
    name, original, function = (
        (AVG_MODULE, "AdaptiveAvgPool2d", AVG_FUNCTION)
        if kind == "avg"
        else (MAX_MODULE, "AdaptiveMaxPool2d", MAX_FUNCTION)
    )
    return (
        _MODULE.replace("{name}", name)
        .replace("{torch}", torch_name)
        .replace("{original}", original)
        .replace("{function}", function)
    )
