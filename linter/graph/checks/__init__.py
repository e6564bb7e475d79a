"""Graph checks: one module per check, each a `GraphCheck` subclass (see `onnxlint.graph.check`)."""
