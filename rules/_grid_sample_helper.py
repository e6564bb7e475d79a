"""The pure-tensor `grid_sample` that ONX101's fix inserts into the user's file.

It mirrors ATen's grid sampler (bilinear / nearest / bicubic for 4-D input, trilinear
`bilinear` / nearest for 5-D; zeros / border / reflection padding; both `align_corners`) using
only floor, gather, where and arithmetic, which every opset from 11 up exports. Its parity
with `F.grid_sample` is tested by exporting the fixed code and comparing it in onnxruntime with
`F.grid_sample`'s eager output (ONX101's PARITY cases, run by tests/static/test_safe_fix_parity.py).

`HELPER_SOURCE` is the code inserted; it is also executed by the tests, so what is inserted is
exactly what is tested.
"""

HELPER_NAME = "onnx_grid_sample"

HELPER_SOURCE = '''
def onnx_grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """F.grid_sample from gather/floor/where only, so it exports at any ONNX opset >= 11.

    Inserted by onnxlint (ONX101). Same arguments and results as torch.nn.functional.grid_sample.
    """
    align_corners = bool(align_corners)

    def unnormalize(coord, size):
        if align_corners:
            return (coord + 1) / 2 * (size - 1)
        return ((coord + 1) * size - 1) / 2

    def clip(coord, high):
        # clamp(0, high) with a tensor bound: a symbolic upper bound does not export everywhere
        return torch.minimum(coord.clamp(min=0), torch.ones_like(coord) * high)

    def reflect(coord, twice_low, twice_high):
        low = twice_low / 2
        span = (twice_high - twice_low) / 2
        coord = (coord - low).abs()
        extra = torch.remainder(coord, torch.ones_like(coord) * span)
        flips = torch.floor(coord / span)
        return torch.where(torch.remainder(flips, 2) == 0, extra + low, span - extra + low)

    def pad(coord, size):
        if padding_mode == "border":
            return clip(coord, size - 1)
        if padding_mode == "reflection":
            if align_corners:
                coord = reflect(coord, 0, 2 * (size - 1))
            else:
                coord = reflect(coord, -1, 2 * size - 1)
            return clip(coord, size - 1)
        return coord

    if input.dim() == 5:
        n, c, d, h, w = input.shape
        ix = pad(unnormalize(grid[..., 0], w), w)
        iy = pad(unnormalize(grid[..., 1], h), h)
        iz = pad(unnormalize(grid[..., 2], d), d)
        flat = input.reshape(n, c, d * h * w)

        def tap3(zz, yy, xx):
            valid = (xx >= 0) & (xx <= w - 1) & (yy >= 0) & (yy <= h - 1) & (zz >= 0) & (zz <= d - 1)
            index = (clip(zz, d - 1) * h + clip(yy, h - 1)) * w + clip(xx, w - 1)
            index = index.to(torch.int64).reshape(n, 1, -1).expand(n, c, -1)
            value = torch.gather(flat, 2, index).reshape(n, c, xx.shape[1], xx.shape[2], xx.shape[3])
            return value * valid.unsqueeze(1).to(input.dtype)

        if mode == "nearest":
            return tap3(torch.round(iz), torch.round(iy), torch.round(ix))
        x0, y0, z0 = torch.floor(ix), torch.floor(iy), torch.floor(iz)
        out = 0
        for dz in (0, 1):
            wz = (iz - z0) if dz else (z0 + 1 - iz)
            for dy in (0, 1):
                wy = (iy - y0) if dy else (y0 + 1 - iy)
                for dx in (0, 1):
                    wx = (ix - x0) if dx else (x0 + 1 - ix)
                    out = out + tap3(z0 + dz, y0 + dy, x0 + dx) * (wz * wy * wx).unsqueeze(1)
        return out

    n, c, h, w = input.shape
    flat = input.reshape(n, c, h * w)

    def tap(yy, xx):
        valid = (xx >= 0) & (xx <= w - 1) & (yy >= 0) & (yy <= h - 1)
        index = (clip(yy, h - 1) * w + clip(xx, w - 1)).to(torch.int64).reshape(n, 1, -1).expand(n, c, -1)
        value = torch.gather(flat, 2, index).reshape(n, c, xx.shape[1], xx.shape[2])
        return value * valid.unsqueeze(1).to(input.dtype)

    if mode == "bicubic":
        ix = unnormalize(grid[..., 0], w)
        iy = unnormalize(grid[..., 1], h)
        x0, y0 = torch.floor(ix), torch.floor(iy)
        tx, ty = (ix - x0).unsqueeze(1), (iy - y0).unsqueeze(1)

        def cubic(v0, v1, v2, v3, t, a=-0.75):
            c0 = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a
            c1 = ((a + 2) * t - (a + 3)) * t * t + 1
            c2 = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1
            c3 = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a
            return v0 * c0 + v1 * c1 + v2 * c2 + v3 * c3

        rows = [
            cubic(*[tap(pad(y0 - 1 + i, h), pad(x0 - 1 + j, w)) for j in range(4)], tx)
            for i in range(4)
        ]
        return cubic(*rows, ty)

    ix = pad(unnormalize(grid[..., 0], w), w)
    iy = pad(unnormalize(grid[..., 1], h), h)
    if mode == "nearest":
        return tap(torch.round(iy), torch.round(ix))
    x0, y0 = torch.floor(ix), torch.floor(iy)
    x1, y1 = x0 + 1, y0 + 1
    return (
        tap(y0, x0) * ((x1 - ix) * (y1 - iy)).unsqueeze(1)
        + tap(y0, x1) * ((ix - x0) * (y1 - iy)).unsqueeze(1)
        + tap(y1, x0) * ((x1 - ix) * (iy - y0)).unsqueeze(1)
        + tap(y1, x1) * ((ix - x0) * (iy - y0)).unsqueeze(1)
    )
'''


def helper_source(torch_name: str) -> str:
    """The helper, spelled with the file's name for `torch` (`import torch as th` → `th`)."""
    if torch_name == "torch":
        return HELPER_SOURCE
    import re

    return re.sub(r"\btorch\.", f"{torch_name}.", HELPER_SOURCE)
