"""``python -m voicelab``: the command line (see voicelab.cli.main)."""

from .cli.main import entry

entry()
