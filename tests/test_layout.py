"""Test files are named after what they test: ``tests/test_X.py`` names a module or package of voicelab (or a script
of tools/), e.g. ``test_stages_vad.py`` for ``voicelab/stages/vad.py``, ``test_cli_hostile.py``
for ``voicelab/cli/`` (a leading part of the name is enough; a layer package's name may be left out);
a few cross-cutting tests are listed below with what they cover instead."""

from __future__ import annotations

import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The package, its layer packages (``test_calibrate.py`` for ``voicelab/analysis/calibrate.py``), and tools/.
HOMES = (ROOT / "voicelab", *(ROOT / "voicelab" / layer for layer in ("engine", "analysis", "turntaking", "real")),
         ROOT / "tools")
# Tests of the whole package or repository, not of one module: each one's name says what it checks.
CROSS_CUTTING = {
    "test_api_hostile": "the public Python API against hostile input",
    "test_binder": "what Binder builds from the repository",
    "test_determinism": "same seed, same run, across the engine",
    "test_environment_sync": "pyproject.toml and environment.yml in step",
    "test_import_cycles": "no import cycle inside voicelab/",
    "test_invariants": "properties of any run (hypothesis)",
    "test_layers": "the core never imports the presentation layer",
    "test_layout": "this file: test files named after what they test",
    "test_prose": "numbers in the notebooks' prose against their outputs",
    "test_pyodide_constraints": "voicelab under the browser's constraints",
    "test_shown_in": "code shown in notebooks is marked in its docstring",
    "test_timeline": "the tutorial's timeline, reproduced",
}


def module_named_by(test_name: str) -> Path | None:
    """The module, package or tool ``tests/<test_name>.py`` is named after: the longest leading part of the name
    that is a path under voicelab/ or tools/, with each underscore read as either a folder or part of a name."""
    parts = test_name.removeprefix("test_").split("_")
    for k in range(len(parts), 0, -1):
        for seps in itertools.product(("/", "_"), repeat=k - 1):
            name = parts[0] + "".join(sep + part for sep, part in zip(seps, parts[1:k], strict=True))
            for home in HOMES:
                for path in (home / f"{name}.py", home / name / "__init__.py"):
                    if path.is_file():
                        return path
    return None


def test_the_name_reader_finds_modules_packages_and_tools():
    assert module_named_by("test_stages_vad") == ROOT / "voicelab/stages/vad.py"
    assert module_named_by("test_cli_hostile") == ROOT / "voicelab/cli/__init__.py"
    assert module_named_by("test_calibrate") == ROOT / "voicelab/analysis/calibrate.py"
    assert module_named_by("test_cli_turns") == ROOT / "voicelab/cli/turns.py"
    assert module_named_by("test_real_llm_hostile") == ROOT / "voicelab/real/llm.py"
    assert module_named_by("test_exercises") == ROOT / "voicelab/exercises/__init__.py"
    assert module_named_by("test_nav") == ROOT / "tools/nav.py"
    assert module_named_by("test_barge_in") is None


def test_every_test_file_is_named_after_what_it_tests():
    names = sorted(path.stem for path in (ROOT / "tests").glob("test_*.py"))
    unnamed = [name for name in names if module_named_by(name) is None and name not in CROSS_CUTTING]
    assert unnamed == [], "name these after the module they test (tests/test_<module>.py), or list them above"


def test_the_cross_cutting_list_holds_only_files_that_need_it():
    for name in CROSS_CUTTING:
        assert (ROOT / "tests" / f"{name}.py").is_file(), f"{name} is listed but gone: remove it from the list"
        assert module_named_by(name) is None, f"{name} is named after a module: it needs no entry"
