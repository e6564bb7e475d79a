"""A fast path skipped while tracing, skipped while exporting too.

```python
if not torch.jit.is_tracing() and num_patches == num_positions and height == width:
    return self.position_embeddings
```
(48 transformers vision models, in `interpolate_pos_encoding`) becomes
```python
if not (torch.jit.is_tracing() or torch.compiler.is_exporting()) and num_patches == num_positions and height == width:
    return self.position_embeddings
```

The authors skip the fast path under the TorchScript tracer so that the exported graph keeps the
general path (it interpolates the position table to the input's grid); the dynamo exporter is not
the tracer, so it took the fast path, specialised the size (`num_patches == num_positions`) and
the ONNX model failed at every other size (measured: transformers 5.25 ViT, exported at its
native size with dynamic height and width, torch 2.14.1: onnxruntime's Reshape fails at 48x40).

In eager mode nothing changes: `torch.compiler.is_exporting()` is False outside an export. The
exported graph is then the general path at every size, which equals the fast path at the native
size only as far as the authors' general path does (interpolating a table to its own size):
that is not something the value model proves, so the fix is unsafe (`--unsafe-fixes`;
`--fix --verify` proves it per model).
"""

from __future__ import annotations

import ast

from onnxlint.rules.api import Edit, FileContext, ensure_torch, module_insertions, replace_node

TRACING = "torch.jit.is_tracing"


def export_guard(context: FileContext, test: ast.expr) -> list[Edit] | None:
    """Edits that make `not torch.jit.is_tracing() and <size test>` also skip under an export."""
    if type(test) is not ast.BoolOp or type(test.op) is not ast.And:
        return None
    for value in test.values:
        if type(value) is ast.UnaryOp and type(value.op) is ast.Not and type(value.operand) is ast.Call:
            call = value.operand
            if context.call_name(call) == TRACING and not call.args and not call.keywords:
                torch, imports = ensure_torch(context)
                text = f"({context.source.segment(call)} or {torch}.compiler.is_exporting())"
                edits = [replace_node(context, call, text)]
                if imports:
                    edits += module_insertions(context, imports)
                return edits
    return None
