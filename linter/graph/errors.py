"""Reading the exceptions torch raises: the chain of causes and a one-line message.

torch.export and the exporters wrap the real error several times (`__cause__` / `__context__`),
with colour codes in some messages; the capture, the oracle and the verify pipeline all read
them the same way, here.
"""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def exception_chain(error: BaseException, limit: int = 20) -> list[BaseException]:
    """`error` and its causes, outermost first (explicit `__cause__`, else an unsuppressed `__context__`)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < limit:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def message_line(error: BaseException) -> str:
    """The first non-empty line of the error's message, without colour codes (at most 300 characters)."""
    for line in ANSI.sub("", str(error)).splitlines():
        line = line.strip()
        if line:
            return line[:300]
    return ""


def first_line(error: BaseException) -> str:
    """`Type: first line of the message` (the type alone for an empty message)."""
    line = message_line(error)
    return f"{type(error).__name__}: {line}" if line else type(error).__name__
