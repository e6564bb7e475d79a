"""onnxlint's rules: one module per rule (modules starting with `_` hold shared helpers)."""
