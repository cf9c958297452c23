"""The engine: time, the trace, frames and channels, configuration and validation — what every stage runs on.

Nothing here imports anything above it (stages, turn-taking, transport, pipelines, analysis, presentation);
``tests/test_layers.py`` checks. Every module is light (numpy at most), so all load with the package.
"""

from . import (
    channel,
    clock,
    config,
    context,
    frames,
    jupyterlite,
    noise,
    records,
    shutdown,
    timing,
    trace,
    units,
    untrusted,
    v2v,
    validation,
    vocabulary,
)

__all__ = ["channel", "clock", "config", "context", "frames", "jupyterlite", "noise", "records", "shutdown",
           "timing", "trace", "units", "untrusted", "v2v", "validation", "vocabulary"]
