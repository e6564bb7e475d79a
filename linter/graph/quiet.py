"""Keeping torch's own output out of onnxlint's: one silencer for the capture, the exporter and `measure`."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator

_TORCH_LOGGERS = ("torch", "torch._dynamo", "torch.export", "torch._export", "torch.fx", "torch.onnx")


@contextlib.contextmanager
def quiet_torch(*, process_wide: bool = False) -> Iterator[None]:
    """Silence torch's loggers, Python warnings and `print`s while tracing or exporting.

    `process_wide=True` also silences every logger (onnxscript's, onnx_ir's) and points file
    descriptor 2 at /dev/null for the block: the exporters print some progress and warnings from
    C++, past `sys.stderr`. Only `measure` asks for it (a command-line tool of its own); the graph
    layer keeps fd 2 so that a crash is still visible.
    """
    loggers = [logging.getLogger(name) for name in _TORCH_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    saved_fd = None
    previous_disable = logging.root.manager.disable
    if process_wide:
        logging.disable(logging.WARNING)
        sys.stderr.flush()
        saved_fd = os.dup(2)
    try:
        with contextlib.ExitStack() as stack:
            if saved_fd is not None:
                devnull = stack.enter_context(open(os.devnull, "w"))
                os.dup2(devnull.fileno(), 2)
            stack.enter_context(warnings.catch_warnings())
            stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
            stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
            warnings.simplefilter("ignore")
            yield
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            logging.disable(previous_disable)
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
