from __future__ import annotations

import ast

from onnxlint.rules.api import Applicability, Invalid, Rule, Valid, requirement

from ._operators import (
    argument,
    exports_within_ceiling,
    failure_text,
    literal,
    may_be_traced,
    tensor_method,
)

COMPLEX_DTYPES = frozenset(
    f"torch.{name}" for name in ("complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf")
)
COMPLEX_FUNCTIONS = frozenset({"torch.view_as_complex", "torch.complex", "torch.polar"})
FFT_SHIFTS = frozenset({"torch.fft.fftshift", "torch.fft.ifftshift"})
FFT_REAL_HELPERS = frozenset({"torch.fft.fftfreq", "torch.fft.rfftfreq"})  # build real tensors: not flagged
COMPLEX_METHODS = frozenset({"cfloat", "cdouble", "chalf"})
CAST_METHODS = frozenset({"to", "type"})
SPECTRAL_METHODS = frozenset({"stft", "istft"})


class FftOrComplexUnsupported(Rule):
    """FFTs, STFTs and complex tensors the exporter cannot export.

    ## What it does
    With the TorchScript exporter (`dynamo=False`), at any opset, flags `torch.fft.*`
    transforms, `torch.stft` returning complex values, `torch.istft`, and anything that makes
    a complex tensor: `torch.view_as_complex`, `torch.complex`, `torch.polar`,
    `.to(torch.complex64)` / `.cfloat()`, and factories with `dtype=torch.cfloat` (or any
    complex dtype). `torch.stft(..., return_complex=False)` is flagged below opset 17 only.

    With the dynamo exporter it flags only what fails there too: `torch.istft`,
    `torch.fft.fftshift` / `ifftshift`, and factories with a complex `dtype=`.

    ## Why is this bad for ONNX
    ONNX has no complex tensor type; the exporters have to rewrite complex arithmetic into
    pairs of real tensors. Measured on torch 2.13 (docs/measurements.md):
    - the TorchScript exporter cannot: "Exporting the operator 'aten::fft_rfft' to ONNX opset
      version 20 is not supported", "ScalarType ComplexFloat is an unexpected tensor scalar
      type", "STFT does not currently support complex types", at every opset from 11 to 20.
      Only the deprecated real-valued `torch.stft(..., return_complex=False)` exports (as
      `STFT`, opset 17 and later);
    - the dynamo exporter translates complex tensors into real ones with a trailing
      dimension of 2: `rfft` and `stft` (opsets 18 and 20), `fft2`, `view_as_complex`,
      `torch.complex`, `torch.polar` and `.to(torch.complex64)` (opset 20) exported and matched
      eager PyTorch under dynamic shapes (the first harness run adds `irfft`,
      docs/ground-truth.md). It still failed on `torch.istft` and on
      `torch.zeros(..., dtype=torch.cfloat)` (onnx.checker rejects the model) and on
      `torch.fft.fftshift` (the export raises).

    ## Example
    ```python
    spectrum = torch.fft.rfft(signal, dim=-1).abs()
    torch.onnx.export(model, signal, "m.onnx", dynamo=False, opset_version=17)
    ```

    ## Use instead
    Export with the dynamo exporter (`dynamo=True`, the default since torch 2.9). Where the
    TorchScript exporter is required, compute the DFT as a matmul with cosine/sine matrices
    (verified by the first harness run, max difference 4e-5: docs/ground-truth.md):
    ```python
    n = x.shape[-1]
    k = torch.arange(n // 2 + 1, dtype=x.dtype).unsqueeze(1)
    t = torch.arange(n, dtype=x.dtype).unsqueeze(0)
    angle = 2 * math.pi * k * t / n
    real, imag = x @ torch.cos(angle).t(), -(x @ torch.sin(angle).t())
    spectrum = torch.sqrt(real * real + imag * imag)
    ```
    For `fftshift`, use `torch.roll` with explicit `dims`; for a complex buffer, keep real and
    imaginary parts as two real tensors.

    ## Fix safety
    Display-only: the remedies are a different exporter or a rewrite of the arithmetic.

    ## References
    - ONNX DFT (opset 17) and STFT (opset 17): https://onnx.ai/onnx/operators/onnx__DFT.html
    - torch/onnx/_internal/torchscript_exporter/symbolic_opset17.py (`stft`, real input and output only)
    - docs/measurements.md (ONX103 rows); docs/ground-truth.md, harness rows fft_*, complex_*
    """

    code = "ONX103"
    name = "fft_or_complex_unsupported"
    message = "FFTs and complex tensors cannot be exported with the chosen exporter"
    fix_title = "Export with the dynamo exporter, or compute the transform with real tensors"
    fix_applicability = Applicability.DISPLAY_ONLY
    trigger_names = ("fft", "stft", "complex", "cfloat", "cdouble", "chalf", "polar")
    applies_to = "TorchScript exporter: every opset; dynamo: istft, fftshift, complex factories"

    def visit_Call(self, node: ast.Call) -> None:
        found = self._match(node)
        if found is None or not may_be_traced(self.context):
            return
        what, key = found
        config = self.context.export_config_for(node)
        entry = requirement(key)
        if exports_within_ceiling(entry, config) or self.context.skipped_during_export(node):
            return
        self.report(
            node,
            f"{what} is not exportable here: {failure_text(entry, config)}",
            fix=self.make_fix([], Applicability.DISPLAY_ONLY),
        )

    def _match(self, node: ast.Call) -> tuple[str, str] | None:
        context = self.context
        qualified = context.call_name(node)
        if qualified is not None:
            if qualified.startswith("torch.fft."):
                if qualified in FFT_REAL_HELPERS:
                    return None
                return f"`{qualified}`", "fft.shift" if qualified in FFT_SHIFTS else "fft"
            if qualified == "torch.stft":
                return self._stft(node, 9)
            if qualified == "torch.istft":
                return "`torch.istft`", "istft"
            if qualified in COMPLEX_FUNCTIONS:
                return f"`{qualified}` (a complex tensor)", "complex"
            if qualified.startswith("torch.") and self._complex_dtype_keyword(node):
                if (
                    qualified in ("torch.as_tensor", "torch.asarray")
                    and node.args
                    and context.kind(node.args[0]).is_tensor
                ):
                    # `torch.as_tensor(x, dtype=torch.complex64)` of a tensor converts it, as `.to()` does
                    return f"`{qualified}` to a complex dtype", "complex"
                return f"`{qualified}` with a complex `dtype`", "complex.factory"
            return None
        method = tensor_method(context, node, SPECTRAL_METHODS | COMPLEX_METHODS | CAST_METHODS)
        if method is None:
            return None
        if method == "stft":
            return self._stft(node, 8)
        if method == "istft":
            return "`.istft()`", "istft"
        if method in COMPLEX_METHODS:
            return f"`.{method}()` (a complex tensor)", "complex"
        if any(self._is_complex_dtype(value) for value in (*node.args, *(k.value for k in node.keywords))):
            return f"`.{method}()` to a complex dtype", "complex"
        return None

    def _stft(self, node: ast.Call, position: int) -> tuple[str, str]:
        # torch.stft(input, n_fft, hop_length, win_length, window, center, pad_mode, normalized,
        # onesided, return_complex): return_complex is at position 9 (the method's 8).
        returns_complex = literal(argument(node, position, "return_complex"), True)
        if returns_complex is False:
            return "`stft(..., return_complex=False)`", "stft.real"
        return "`stft` returning a complex tensor", "stft.complex"

    def _complex_dtype_keyword(self, node: ast.Call) -> bool:
        return any(k.arg == "dtype" and self._is_complex_dtype(k.value) for k in node.keywords)

    def _is_complex_dtype(self, value: ast.expr) -> bool:
        return self.context.qualified_name(value) in COMPLEX_DTYPES

    # -- cases: run by tests/static/test_rules.py -------------------------------------------------

    VALID = [
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.fft.rfft(x).abs(), torch.view_as_complex(x).abs()
            """,
            settings={"exporter": "dynamo"},
        ),
        # `as_tensor` of a tensor to a complex dtype converts it (measured: exports and matches under dynamo).
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x: torch.Tensor):
                    y = torch.as_tensor(x, dtype=torch.complex64)
                    return torch.fft.fft(y, dim=-1).abs()
            """,
            settings={"exporter": "dynamo"},
        ),
        Valid(
            """
            import torch
            def spec(x):
                return torch.stft(x, 8, return_complex=False)
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
        # Frequencies are real tensors; numpy's FFT is not traced.
        Valid(
            """
            import numpy as np
            import torch
            def f(x):
                return torch.fft.fftfreq(8) + np.fft.rfft(x)
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
        # `.to()` to a real dtype, and a complex dtype on something not known to be a tensor.
        Valid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return x.to(torch.float16)

            def convert(table):
                return table.to(torch.complex64)
            """,
            settings={"exporter": "legacy", "opset": 17},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.fft.rfft(x, dim=-1).abs()
            """,
            line=4,
            settings={"exporter": "legacy", "opset": 17},
            message_contains="the dynamo exporter handles it",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    z = x.to(torch.cfloat) * torch.complex(x, x)
                    return z.real
            """,
            count=2,
            settings={"exporter": "legacy", "opset": 20},
        ),
        Invalid(
            """
            import torch
            def spec(x):
                return torch.stft(x, 8, return_complex=False)
            """,
            line=3,
            settings={"exporter": "legacy", "opset": 16},
            message_contains="opset 17",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    spec = torch.stft(x, 8, window=torch.hann_window(8), return_complex=True)
                    return torch.istft(spec, 8, window=torch.hann_window(8))
            """,
            line=5,
            message_contains="the dynamo exporter cannot export it",
        ),
        Invalid(
            """
            import torch
            class M(torch.nn.Module):
                def forward(self, x):
                    return torch.view_as_real(torch.zeros(x.shape, dtype=torch.complex64) + x)
            """,
            line=4,
        ),
    ]
