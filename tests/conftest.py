"""Shared test setup: charts render off-screen, property tests draw fixed examples, and tests of an
optional extra skip where it is missing.

Mark a test (or a module, with ``pytestmark``) ``real``, ``whisper``, ``turn`` or ``llm``: it is skipped, with
the extra's install hint as the reason, when that extra is not installed. A module whose imports
need the extra calls :func:`requires` before importing it, which skips the whole module.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")  # before any test imports pyplot: no window, the same pixels everywhere

# Property tests draw the same examples on every run, so CI cannot turn red by chance; set
# VOICELAB_HYPOTHESIS=explore to search new examples (and commit any failure it finds as an @example).
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile("explore" if os.environ.get("VOICELAB_HYPOTHESIS") == "explore" else "deterministic")


def _missing_real() -> str | None:
    try:
        import voicelab.real  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def _missing_whisper() -> str | None:
    if (reason := _missing_real()) is not None:
        return reason
    from voicelab.real.whisper import WHISPER_HINT, default_model_dir

    if importlib.util.find_spec("faster_whisper") is None:
        return f"faster-whisper is not installed: {WHISPER_HINT}"
    try:
        default_model_dir()  # the model weights are installed (or VOICELAB_WHISPER_MODEL_DIR names them)
    except ImportError as exc:
        return str(exc)
    return None


def _missing_turn() -> str | None:
    from voicelab.real import turn_models

    return None if turn_models.available() else f"needs the [turn] extra: {turn_models.INSTALL_HINT}"


def _missing_llm() -> str | None:
    if (reason := _missing_real()) is not None:
        return reason
    from voicelab.real import local_llm

    return local_llm.missing()


def _missing_frameworks() -> str | None:
    for module in ("pipecat.observers.base_observer", "livekit.agents", "opentelemetry.sdk.trace"):
        try:
            if importlib.util.find_spec(module) is None:
                raise ImportError(module)
        except ImportError:
            return f"{module} is not installed: needs the [frameworks] extra (pip install -e '.[frameworks]')"
    return None


def _missing_traces() -> str | None:
    if importlib.util.find_spec("msgspec") is None:
        return "msgspec is not installed: needs the [traces] extra (pip install -e '.[traces]')"
    return None


EXTRAS = {"real": _missing_real, "whisper": _missing_whisper, "turn": _missing_turn, "llm": _missing_llm,
          "frameworks": _missing_frameworks, "traces": _missing_traces}


@cache
def missing(extra: str) -> str | None:
    """Why ``extra`` cannot be used here (its install hint), or None when it is installed."""
    return EXTRAS[extra]()


def requires(*extras: str) -> list[pytest.MarkDecorator]:
    """Skip the calling module unless every one of ``extras`` is installed; returns its ``pytestmark``."""
    for extra in extras:
        if (reason := missing(extra)) is not None:
            pytest.skip(reason, allow_module_level=True)
    return [getattr(pytest.mark, extra) for extra in extras]


def pytest_runtest_setup(item: pytest.Item) -> None:
    for extra in EXTRAS:
        if item.get_closest_marker(extra) is not None and (reason := missing(extra)) is not None:
            pytest.skip(reason)
