"""The optional dependencies of the real engines, with a clear message when they are missing."""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_HINT = "pip install 'voicelab[real]'  (or: make install)"


def require(module: str) -> ModuleType:
    """Import ``module`` or raise ImportError naming the command that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"voicelab.real needs the optional package {module!r}, which is not installed; "
                          f"install the extra with: {INSTALL_HINT}") from exc
