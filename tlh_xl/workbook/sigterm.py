"""SIGTERM as an exception, for the length of a ``with`` block.

Python turns Ctrl-C into ``KeyboardInterrupt``, so ``finally`` blocks run; SIGTERM (what
``kill`` and a service manager send) ends the process at once. Where a temporary file
must be removed (``writer.write_atomic``) or worker processes ended (``batch``), the
block raises a ``BaseException`` of its own instead, once: a second SIGTERM while that
clean-up runs does not cut it short.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["sigterm_raises"]


@contextmanager
def sigterm_raises(error: type[BaseException]) -> Iterator[bool]:
    """Within the block SIGTERM raises ``error`` (the first time); yields whether it was
    set up. Only the default handler is replaced (one the program set, or an ignored
    signal, is left alone), and only in the main thread, where Python runs signal
    handlers. The previous handler is back when the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield False
        return
    raised: list[bool] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if not raised:
            raised.append(True)
            raise error

    signal.signal(signal.SIGTERM, handler)
    try:
        yield True
    finally:
        signal.signal(signal.SIGTERM, previous)
