"""Measured evidence of ONX107 `operator_not_exportable`: `PATTERNS` and `MEASURED`.

rules/operator_not_exportable.py reads it on first access (see __init__.py); linting never imports it.
"""

from __future__ import annotations

from onnxlint.rules.api import Claim, Pattern

# torchvision does not import beside torch 2.13 CPU in the project's venv: the deform_conv2d claims
# were measured in a side venv and are skipped (tests) or reported unmeasured (docs) without it.
_SIDE_VENV = "measured with torch 2.14.1 / torchvision 0.29.1 in a side venv"


PATTERNS = {
    "einsum": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.einsum("bnd,bmd->bnm", x, x)
        """,
        inputs=((1, 5, 4),),
        dynamic=("batch", "1"),
    ),
    "triu": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.triu(x)
        """
    ),
    "scaled_dot_product_attention": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                return F.scaled_dot_product_attention(x, x, x, is_causal=True)
        """,
        inputs=((1, 2, 5, 4),),
        dynamic=("batch", "2"),
    ),
    "cumprod": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x.cumprod(-1)
        """
    ),
    "linalg_inv": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.linalg.inv(x + 4 * torch.eye(4))
        """,
        inputs=((2, 4, 4),),
        dynamic=("batch",),
    ),
    "linalg_det": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.linalg.det(x)
        """,
        inputs=((2, 4, 4),),
        dynamic=("batch",),
    ),
    "median_dim": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return x.median(dim=-1).values
        """
    ),
    "quantile": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.quantile(x.flatten(1), 0.3, dim=1)
        """
    ),
    "searchsorted": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.searchsorted(torch.tensor([-1.0, 0.0, 1.0]), x.contiguous())
        """
    ),
    "bincount": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.bincount((x.abs() * 3).long().flatten(), minlength=10)
        """
    ),
    "cdist": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x, y):
                return torch.cdist(x, y)
        """,
        inputs=((1, 5, 4), (1, 6, 4)),
        dynamic=("0:0", "0:1", "1:0", "1:1"),
    ),
    # More than 25 rows in an input (here 30 and 40): `cdist` takes the matrix-product path, which exports and is
    # right at other sizes (31 and 43 here; 8 and 9 rows, checked by hand on torch 2.13, too).
    "cdist_many_rows": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x, y):
                return torch.cdist(x, y)
        """,
        inputs=((1, 30, 4), (1, 40, 4)),
        dynamic=("0:0", "0:1", "1:0", "1:1"),
    ),
    # A vector quantiser's nearest codeword: the codebook's 64 rows take the matrix-product path at every input size.
    "cdist_codebook": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.codebook = torch.nn.Parameter(torch.randn(64, 4))

            def forward(self, z):
                flat = z.permute(0, 2, 3, 1).reshape(-1, 4)
                return torch.cdist(flat, self.codebook).argmin(dim=1)
        """,
        inputs=((1, 4, 2, 3),),
        dynamic=("batch", "height", "width"),
    ),
    # Without the matrix product, `cdist` has no translation, whatever the sizes.
    "cdist_no_mm": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x, y):
                return torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")
        """,
        inputs=((1, 30, 4), (1, 40, 4)),
        dynamic=("0:0", "0:1", "1:0", "1:1"),
    ),
    "affine_grid": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                theta = x.mean((2, 3))[:, :2].unsqueeze(-1).expand(-1, -1, 3) * 0.1
                theta = theta + torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
                return F.affine_grid(theta, list(x.shape), align_corners=False)
        """
    ),
    "affine_grid_constant_size": Pattern(
        """
        import torch
        import torch.nn.functional as F

        class Model(torch.nn.Module):
            def forward(self, x):
                theta = x.mean((2, 3))[:, :2].unsqueeze(-1).expand(-1, -1, 3) * 0.1
                theta = theta + torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
                return F.affine_grid(theta, [x.shape[0], 3, 5, 6], align_corners=False)
        """,
        dynamic=("batch",),
    ),
    "index_reduce": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                index = torch.tensor([0, 2, 0])
                return x.new_ones(x.shape[0], 4, x.shape[2]).index_reduce(1, index, x, "amax")
        """,
        inputs=((1, 3, 16),),
        dynamic=("batch", "2"),
    ),
    "unique_inverse": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                values, inverse = torch.unique((x * 2).round(), return_inverse=True)
                return values, inverse
        """
    ),
    # `unique_consecutive` by its input: a float one has no translation; 1-D integer indices export (the counts and
    # the inverse alike) and are right at another length.
    "unique_consecutive_float": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.unique_consecutive((x * 2).round().flatten(), return_counts=True)
        """
    ),
    "unique_consecutive_indices": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.unique_consecutive((x * 2).round().long().flatten(), return_counts=True, return_inverse=True)
        """
    ),
    "erfinv": Pattern(
        """
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.erfinv(x.tanh() * 0.9)
        """
    ),
    "deform_conv2d": Pattern(
        """
        import torch
        import torchvision

        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.offset = torch.nn.Conv2d(3, 18, 3, padding=1)
                self.weight = torch.nn.Parameter(torch.randn(4, 3, 3, 3) * 0.1)

            def forward(self, x):
                return torchvision.ops.deform_conv2d(x, self.offset(x), self.weight, padding=(1, 1))
        """,
        requires=("torchvision",),
    ),
}

MEASURED = [
    Claim("einsum", "legacy", 11, "EXPORT"),
    Claim("einsum", "legacy", 12, "ok"),
    Claim("triu", "legacy", 13, "EXPORT"),
    Claim("triu", "legacy", 14, "ok"),
    Claim("scaled_dot_product_attention", "legacy", 13, "EXPORT"),
    Claim("scaled_dot_product_attention", "legacy", 14, "ok"),
    Claim("cumprod", "legacy", 20, "EXPORT"),
    Claim("cumprod", "dynamo", None, "EXPORT"),
    Claim("linalg_inv", "legacy", 20, "EXPORT"),
    Claim("linalg_inv", "dynamo", None, "EXPORT"),
    Claim("linalg_det", "dynamo", None, "ok", note="det is measured fine: not flagged"),
    Claim("median_dim", "dynamo", None, "EXPORT"),
    Claim("quantile", "legacy", 20, "EXPORT"),
    Claim("quantile", "dynamo", None, "ok"),
    Claim("searchsorted", "dynamo", None, "EXPORT"),
    Claim("bincount", "legacy", 17, "EXPORT"),
    Claim("bincount", "dynamo", None, "ok"),
    Claim("cdist", "legacy", 17, "ok"),
    Claim("cdist", "dynamo", None, "EXPORT", note="25 rows or fewer in both inputs of the example"),
    Claim("cdist_many_rows", "dynamo", None, "ok", flagged=True, note="depends on the example's rows: reported"),
    Claim("cdist_codebook", "dynamo", None, "ok", flagged=True, note="reported at `low`"),
    Claim("cdist_no_mm", "dynamo", None, "EXPORT"),
    Claim("affine_grid", "legacy", 17, "EXPORT"),
    Claim("affine_grid", "legacy", 20, "ok"),
    Claim("affine_grid", "dynamo", None, "EXPORT"),
    Claim("affine_grid_constant_size", "dynamo", None, "ok"),
    Claim("index_reduce", "dynamo", None, "EXPORT"),
    Claim("unique_inverse", "legacy", 11, "WRONG", note="the inverse indices come back flattened"),
    Claim("unique_inverse", "dynamo", None, "ok"),
    Claim("unique_consecutive_float", "dynamo", None, "EXPORT"),
    Claim("unique_consecutive_indices", "dynamo", None, "ok", flagged=True, note="input not shown float or 2-D: `low`"),
    Claim("erfinv", "dynamo", None, "EXPORT"),
    Claim("deform_conv2d", "legacy", 19, "EXPORT", note=f"no deform_conv2d symbolic; {_SIDE_VENV}"),
    Claim("deform_conv2d", "dynamo", 18, "CHECKER", note=f"DeformConv is opset 19; {_SIDE_VENV}"),
    Claim("deform_conv2d", "dynamo", 19, "ok", note=_SIDE_VENV),
]
