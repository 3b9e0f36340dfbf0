"""Console log formatting that keeps a child's data out of logs (docs/rules.md, "No side channels").

Log calls of this project carry ids only, but an exception's message can quote data: a database
error naming the value that broke a constraint, a ValueError built from a form field. Tracebacks
are therefore written as the exception's type and the frames (file, line, function) only, and a
log line that quotes the exception it reports (Celery's "Task ... raised unexpected: <the
exception>") has that quotation withheld as well. The web, Celery workers and beat all log
through this formatter (trustplatform/celery.py).
"""

from __future__ import annotations

import copy
import logging
import traceback
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class NoExceptionTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        exception = record.exc_info[1] if record.exc_info else None
        if exception is not None:
            message = record.getMessage()
            withheld = f"{type(exception).__qualname__}(message withheld)"
            # The longer quotation first: repr() contains str().
            for quoted in sorted({repr(exception), str(exception)}, key=len, reverse=True):
                if quoted:
                    message = message.replace(quoted, withheld)
            record = copy.copy(record)
            record.msg, record.args = message, None
        return super().format(record)

    def formatException(self, ei: ExcInfo | tuple[None, None, None]) -> str:
        exc_type, _, tb = ei
        frames = "".join(
            f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
            for frame in traceback.extract_tb(tb)
        )
        name = exc_type.__qualname__ if exc_type else "Exception"
        return f"Traceback (most recent call last):\n{frames}{name}: (message withheld)"
