"""The rules' measured evidence: one module per rule module, `rules/_evidence/<rule module>.py`.

Each module holds what its rule's class reads as `PATTERNS` (tiny models with the rule's pattern),
`MEASURED` (what each exporter and opset really does with them) and `PARITY` (tiny models proving
that a SAFE fix keeps the exported numbers), as module-level names. `Rule.PATTERNS` and the others
import the module on first access (`onnxlint.core.rule.Evidence`), so linting never loads it; the
measure tool (`python -m onnxlint.measure`, which writes docs/measurements.md) and the export tests
(tests/static/test_measured.py, test_safe_fix_parity.py, test_torch_versions.py) do.

Not rule modules: the registry skips `_`-prefixed modules and packages.
"""
