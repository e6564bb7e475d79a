"""Measured evidence of ONX103 `fft_or_complex_unsupported`: `PATTERNS` and `MEASURED`.

rules/fft_or_complex_unsupported.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

PATTERNS = {
    "rfft_abs": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.fft.rfft(x, dim=-1).abs()
        """,
        inputs=((1, 3, 16),),
        dynamic=("batch", "2"),
    ),
    "view_as_complex": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.view_as_complex(x).abs()
        """,
        inputs=((1, 3, 8, 2),),
        dynamic=("batch", "2"),
    ),
    "stft_real": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.stft(x, n_fft=8, hop_length=2, window=torch.ones(8), return_complex=False)
        """,
        inputs=((2, 32),),
        dynamic=("batch", "1"),
    ),
    "istft": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                window = torch.hann_window(8)
                spec = torch.stft(x, n_fft=8, hop_length=2, window=window, return_complex=True)
                return torch.istft(spec, n_fft=8, hop_length=2, window=window)
        """,
        inputs=((2, 32),),
        dynamic=("batch",),
    ),
    "complex_factory": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.view_as_real(torch.zeros(x.shape, dtype=torch.complex64) + x)
        """,
        dynamic=(),
    ),
}

MEASURED = [
    Claim("rfft_abs", "legacy", 20, "EXPORT"),
    Claim("rfft_abs", "dynamo", None, "ok"),
    Claim("view_as_complex", "legacy", 20, "EXPORT"),
    Claim("view_as_complex", "dynamo", None, "ok"),
    Claim("stft_real", "legacy", 16, "EXPORT"),
    Claim("stft_real", "legacy", 17, "ok"),
    Claim("istft", "dynamo", None, "CHECKER"),
    Claim("complex_factory", "dynamo", None, "CHECKER"),
]
