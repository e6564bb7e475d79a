"""A finding does not depend on which other rules run, nor on which function the value model is asked about first.

The value model computes each function's table lazily; in a call cycle (a helper's parameters take the kinds its
callers pass, the callers the kinds it returns) a table computed from another's partial state used to be kept, so
what a rule saw depended on which rule asked first (`benchmarks/rule_independence.py` found 3 such files in the
corpus: Reformer, SeamlessM4T-v2, Sana-WM). The source below is Reformer's shape of it: `forward` unpacks a helper's
tuple return, the helper's parameters come from `forward`, and a module-level helper with a `%` that ONX110 reads
first sits in the cycle.
"""

from __future__ import annotations

import ast
import textwrap

from onnxlint.analysis.semantic import Kind, ModuleModel
from onnxlint.core.engine import lint_source
from onnxlint.core.settings import LintSettings, Selection

SOURCE = textwrap.dedent(
    """
    import torch


    def _stable_argsort(vector, dim):
        scale_offset = torch.arange(vector.shape[dim], device=vector.device).view(1, 1, -1)
        scaled_vector = vector.shape[dim] * vector + (scale_offset % vector.shape[dim])
        return torch.argsort(scaled_vector, dim=dim)


    class Attention(torch.nn.Module):
        def _hash(self, vectors, attention_mask):
            buckets = torch.argmax(vectors, dim=-1)
            if attention_mask is not None and attention_mask.sum().item() < vectors.shape[0]:
                buckets = buckets + 1
            return buckets

        def _relevant(self, hidden_states, buckets, attention_mask):
            query_buckets = self._hash(hidden_states, attention_mask)
            order = _stable_argsort(torch.cat([buckets, query_buckets], dim=-1), dim=-1)
            return hidden_states[:, order], order, query_buckets

        def forward(self, hidden_states, attention_mask=None, buckets=None, cache=None):
            if cache is not None:
                key_value_hidden_states, order, buckets = self._relevant(hidden_states, buckets, attention_mask)
            else:
                key_value_hidden_states = hidden_states
                buckets = self._hash(hidden_states, attention_mask)
                order = _stable_argsort(buckets, dim=-1)
            if key_value_hidden_states.shape[1] >= 64:
                return key_value_hidden_states * 2
            return key_value_hidden_states + order
    """
)


def _kind_of_the_unpacked_return(ask_the_helper_first: bool) -> Kind:
    tree = ast.parse(SOURCE)
    model = ModuleModel(tree)
    functions = {node.name: node for node in ast.walk(tree) if type(node) is ast.FunctionDef}
    if ask_the_helper_first:  # as ONX110 does, reading the `%` of `_stable_argsort` before anything else
        helper = functions["_stable_argsort"]
        remainder = next(n for n in ast.walk(helper) if type(n) is ast.BinOp and type(n.op) is ast.Mod)
        model.scope_for(model.function_info(helper)).kind(remainder.left)  # type: ignore[arg-type]
    forward = functions["forward"]
    read = next(
        n for n in ast.walk(forward) if type(n) is ast.Name and n.id == "key_value_hidden_states" and n.lineno == 30
    )
    return model.scope_for(model.function_info(forward)).kind(read)  # type: ignore[arg-type]


def test_a_table_in_a_call_cycle_does_not_depend_on_the_function_asked_first():
    assert _kind_of_the_unpacked_return(False) is Kind.TENSOR
    assert _kind_of_the_unpacked_return(True) is Kind.TENSOR


def test_findings_do_not_depend_on_the_other_rules_that_run():
    def findings(*codes: str) -> list[tuple[str, int]]:
        settings = LintSettings(confidence="low", selection=Selection(select=codes))
        found = lint_source(SOURCE, "m.py", settings).findings
        return sorted((f.code, f.start.row) for f in found if f.code in ("ONX201", "ONX302"))

    alone = findings("ONX201", "ONX302")
    assert alone == findings("ONX201", "ONX302", "ONX110") == findings("ALL")
    # The branch on the size of the helper's unpacked tuple return, and the helper's data-dependent `if`.
    assert alone == [("ONX201", 14), ("ONX302", 30)]
