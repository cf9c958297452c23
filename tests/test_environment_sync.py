"""The conda files (environment.yml, binder/environment.yml) must list the same packages and bounds as pyproject.toml.

Compared: the core dependencies plus every run-time extra ([frameworks] included: notebook 13 runs the real Pipecat
and LiveKit Agents). The contributor and host-tool extras (`NOT_IN_CONDA_FILES`: tests, browser driving, the
JupyterLite build, the local LLM server) stay out, so Binder gets no test-only package, and a new run-time extra
cannot be forgotten in either file. Names are normalized (case, `-`, `_`, `.`) and a conda-only name maps to its
pip name (`CONDA_NAMES`: matplotlib-base is matplotlib without Qt).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
ENVIRONMENT = ROOT / "environment.yml"
BINDER = ROOT / "binder" / "environment.yml"
# [llm] too: its server package must be built with CMAKE_ARGS and its model installed with --no-deps, which neither a
# conda file nor pip's requirement syntax can say (tools/llm_wheel.sh, the Makefile); notebook 08 falls back without.
NOT_IN_CONDA_FILES = {"dev", "browser", "lite", "llm"}
# conda-forge name -> the PyPI project it provides; the PyPI name itself is refused (see test_no_qt_matplotlib)
CONDA_NAMES = {"matplotlib-base": "matplotlib"}
LOCAL_INSTALLS = {".", "-e ."}
MINORS = [f"3.{minor}" for minor in range(6, 20)]


def _spec(text: str) -> tuple[str, str]:
    """(normalized pip name, sorted specifier string) of one requirement, pip or conda style."""
    text = re.sub(r"^([A-Za-z0-9_.\-]+)=(?!=)([^=<>!~,\s]+)$", r"\1==\2.*", text.strip())  # conda's pkg=1.2
    req = Requirement(text)
    name = canonicalize_name(req.name)
    return canonicalize_name(CONDA_NAMES.get(name, name)), ",".join(sorted(str(s) for s in req.specifier))


def _project() -> dict:
    return tomllib.loads(PYPROJECT.read_text())["project"]


def pyproject_requirements(path: Path = PYPROJECT) -> dict[str, str]:
    """Name -> specifier for the core dependencies and every run-time extra."""
    project = tomllib.loads(path.read_text())["project"]
    texts = list(project["dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        if extra not in NOT_IN_CONDA_FILES:
            texts += requirements
    return dict(_spec(t) for t in texts)


def _entries(path: Path) -> tuple[list[str], list[str]]:
    """(conda entries, pip entries) of an environment file, as written."""
    conda, pip = [], []
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, dict):
            pip += [p.strip() for p in dep.get("pip", [])]
        else:
            conda.append(dep.strip())
    return conda, pip


def environment_requirements(path: Path) -> dict[str, str]:
    """Name -> specifier for every conda and pip entry, except python, pip and the local package."""
    conda, pip = _entries(path)
    entries = [e for e in conda if _spec(e)[0] not in {"python", "pip"}] + [p for p in pip if p not in LOCAL_INSTALLS]
    names = [_spec(e)[0] for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"{path.name} lists these more than once: {duplicates}"
    return dict(_spec(e) for e in entries)


def python_entry(path: Path) -> str:
    """The environment file's python entry, as written (e.g. ``python>=3.10,<3.14``)."""
    conda, _ = _entries(path)
    found = [e for e in conda if _spec(e)[0] == "python"]
    assert len(found) == 1, f"{path.name} must list python exactly once, found {found}"
    return found[0]


def admitted_minors(spec: str) -> list[str]:
    """The Python 3.x versions a specifier (``>=3.10,<3.14``, or conda's ``=3.12``) admits."""
    _, specifier = _spec(f"python{spec}")
    return [m for m in MINORS if SpecifierSet(specifier).contains(f"{m}.0")]


def supported_minors() -> list[str]:
    """The versions pyproject.toml's classifiers name: those with a wheel for every dependency."""
    prefix = "Programming Language :: Python :: "
    listed = [c.removeprefix(prefix) for c in _project()["classifiers"] if re.fullmatch(r"3\.\d+", c[len(prefix):])]
    assert listed, "pyproject.toml's classifiers name no Python 3.x version"
    allowed = SpecifierSet(_project()["requires-python"])
    assert all(allowed.contains(f"{m}.0") for m in listed), f"a classifier {listed} is outside requires-python"
    return listed


def differences(expected: dict[str, str], actual: dict[str, str], name: str = "environment.yml") -> list[str]:
    """Human-readable mismatches between pyproject (expected) and an environment file (actual)."""
    problems = [f"{n} ({expected[n] or 'any'}) is in pyproject.toml but not in {name}"
                for n in sorted(expected.keys() - actual.keys())]
    problems += [f"{n} is in {name} but not in pyproject.toml" for n in sorted(actual.keys() - expected.keys())]
    problems += [f"{n}: pyproject.toml says '{expected[n]}', {name} says '{actual[n]}'"
                 for n in sorted(expected.keys() & actual.keys()) if expected[n] != actual[n]]
    return problems


@pytest.mark.parametrize("path", [ENVIRONMENT, BINDER], ids=["environment.yml", "binder"])
def test_environment_file_matches_pyproject(path: Path) -> None:
    name = str(path.relative_to(ROOT))
    problems = differences(pyproject_requirements(), environment_requirements(path), name)
    assert not problems, f"{name} is out of step with pyproject.toml:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", [ENVIRONMENT, BINDER], ids=["environment.yml", "binder"])
def test_conda_forge_only(path: Path) -> None:
    channels = yaml.safe_load(path.read_text())["channels"]
    assert channels[0] == "conda-forge" and "nodefaults" in channels and "defaults" not in channels, channels


@pytest.mark.parametrize("path", [ENVIRONMENT, BINDER], ids=["environment.yml", "binder"])
def test_no_qt_matplotlib(path: Path) -> None:
    conda, _ = _entries(path)
    qt = [e for e in conda if canonicalize_name(re.split(r"[=<>!~ ]", e)[0]) in set(CONDA_NAMES.values())]
    assert not qt, f"{path.name}: conda-forge's {qt} pulls in Qt; list {sorted(CONDA_NAMES)} instead"


def test_root_environment_admits_exactly_the_supported_pythons() -> None:
    admitted = admitted_minors(python_entry(ENVIRONMENT).removeprefix("python"))
    assert admitted == supported_minors(), f"environment.yml admits Python {admitted}"


def test_binder_pins_a_supported_python_in_the_form_repo2docker_reads() -> None:
    entry = python_entry(BINDER)
    assert re.fullmatch(r"python=3\.\d+", entry), f"repo2docker reads only python=X.Y, not {entry!r}"
    assert admitted_minors(entry.removeprefix("python")) == [entry.removeprefix("python=")]
    assert entry.removeprefix("python=") in supported_minors()


def test_root_environment_installs_the_package_itself() -> None:
    _, pip = _entries(ENVIRONMENT)
    assert LOCAL_INSTALLS & set(pip), "environment.yml must pip-install '.'"


def test_binder_installs_the_package_in_postbuild_only() -> None:
    _, pip = _entries(BINDER)
    assert not LOCAL_INSTALLS & set(pip), "a local install in binder/environment.yml turns off repo2docker's cache"
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text().replace("--no-cache-dir ", "")


@pytest.mark.parametrize(
    ("line", "name", "spec"),
    [("  - tqdm>=4.66\n", "tqdm", ">=4.66"), ("      - pocketsphinx>=5.0\n", "pocketsphinx", ">=5.0"),
     ("  - voila>=0.5\n", "voila", ">=0.5"), ("  - matplotlib-base>=3.7\n", "matplotlib", ">=3.7")],
)
def test_a_missing_package_is_reported(tmp_path: Path, line: str, name: str, spec: str) -> None:
    text = ENVIRONMENT.read_text()
    assert line in text
    broken = tmp_path / "environment.yml"
    broken.write_text(text.replace(line, ""))
    problems = differences(pyproject_requirements(), environment_requirements(broken))
    assert f"{name} ({spec}) is in pyproject.toml but not in environment.yml" in problems


def test_an_extra_package_and_a_changed_bound_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "environment.yml"
    broken.write_text(ENVIRONMENT.read_text().replace("  - tqdm>=4.66\n", "  - tqdm>=4.0\n  - scipy\n"))
    problems = differences(pyproject_requirements(), environment_requirements(broken))
    assert "scipy is in environment.yml but not in pyproject.toml" in problems
    assert "tqdm: pyproject.toml says '>=4.66', environment.yml says '>=4.0'" in problems


def test_a_test_only_package_in_binder_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "environment.yml"
    broken.write_text(BINDER.read_text().replace("  - pip\n", "  - pip\n  - nbval>=0.11\n"))
    problems = differences(pyproject_requirements(), environment_requirements(broken))
    assert problems == ["nbval is in environment.yml but not in pyproject.toml"]


def test_python_ranges_are_read_as_conda_does() -> None:
    assert admitted_minors(">=3.10") == MINORS[4:]
    assert admitted_minors(">=3.10,<3.14") == ["3.10", "3.11", "3.12", "3.13"]
    assert admitted_minors("=3.12") == ["3.12"]
