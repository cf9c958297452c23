"""The command line: ``python -m voicelab demo | montecarlo | sweep | analyze | ...`` (``main``), its shared
options (``options``) and its turn-taking subcommands (``turns``)."""

from .main import entry

__all__ = ["entry"]
