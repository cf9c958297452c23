"""Without the [real] extra, importing voicelab.real says which command installs it."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("missing", ["espeakng_loader", "pocketsphinx"])
def test_missing_extra_names_the_install_command(missing):
    code = (f"import sys; sys.modules[{missing!r}] = None\n"
            "try:\n    import voicelab.real\nexcept ImportError as exc:\n    print(exc)\n"
            "else:\n    print('imported')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert missing in out
    assert "pip install 'voicelab[real]'" in out and "make install" in out


def test_core_works_without_touching_the_extra():
    code = "import sys, voicelab; voicelab.simulate(); print('voicelab.real' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
