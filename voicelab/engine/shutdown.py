"""Ctrl-C and SIGTERM for the command line: stop at once with one line and exit status 130, whatever runs.

The first signal stops the run in progress (:func:`voicelab.engine.clock.interrupt_run`; outside a run it raises
KeyboardInterrupt in the main thread): the run's tasks are cancelled (which also
tells the real LLM client's thread to hang up), the command prints its one line and leaves. A second
signal while that happens is ignored. If the run has not stopped ``grace_s`` after the first signal (the
interrupt was swallowed by a finalizer, or a library thread does not listen), a watchdog prints the line
and leaves anyway, so stopping never takes longer than that.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any, NoReturn

from .clock import interrupt_run

INTERRUPTED = 130  # the shell's exit status for a command stopped by Ctrl-C
GRACE_S = 0.8


class Stopper:
    """Turns SIGINT and SIGTERM into one clean stop; ``label`` names the command in its line."""

    def __init__(self, grace_s: float = GRACE_S) -> None:
        self.label = "python -m voicelab"
        self.grace_s = grace_s
        self._lock = threading.Lock()
        self._signalled = False
        self._announced = False

    def install(self) -> None:
        """Handle SIGINT and SIGTERM from now on (main thread only)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self._signalled:
            return  # already stopping
        self._signalled = True
        watchdog = threading.Timer(self.grace_s, self.exit_now)
        watchdog.daemon = True
        watchdog.start()
        if not interrupt_run():  # a run in progress unwinds and raises KeyboardInterrupt itself
            raise KeyboardInterrupt

    def announce(self) -> None:
        """Print the one line saying the command was interrupted (once, whoever asks first)."""
        with self._lock:
            if self._announced:
                return
            self._announced = True
        print(f"{self.label}: interrupted", file=sys.stderr, flush=True)

    def exit_now(self) -> NoReturn:
        """Leave with status 130 now, without waiting for threads or finalizers (the line printed first)."""
        self.announce()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        os._exit(INTERRUPTED)


STOPPER = Stopper()
