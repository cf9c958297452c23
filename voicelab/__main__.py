"""``python -m voicelab``: the command line (see voicelab.cli)."""

from .cli import entry

entry()
