"""Console log formatting that keeps a child's data out of logs (brief §4).

Log calls of this project carry ids only, but an exception's message can quote data: a database
error naming the value that broke a constraint, a ValueError built from a form field. Tracebacks
are therefore written as the exception's type and the frames (file, line, function) only.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class NoExceptionTextFormatter(logging.Formatter):
    def formatException(self, ei: ExcInfo | tuple[None, None, None]) -> str:
        exc_type, _, tb = ei
        frames = "".join(
            f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
            for frame in traceback.extract_tb(tb)
        )
        name = exc_type.__qualname__ if exc_type else "Exception"
        return f"Traceback (most recent call last):\n{frames}{name}: (message withheld)"
