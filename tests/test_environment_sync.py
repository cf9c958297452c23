"""environment.yml (conda / Binder) must list the same packages and lower bounds as pyproject.toml.

Compared: the core dependencies plus every extra except `dev` (which is for contributors and stays
out of the Binder image), so a new extra cannot be forgotten there. Names are normalized (case, `-`, `_`, `.`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONTRIBUTOR_EXTRAS = {"dev"}
LOCAL_INSTALLS = {".", "-e ."}


def _spec(text: str) -> tuple[str, str]:
    """(normalized name, sorted specifier string) of one requirement, pip or conda style."""
    text = re.sub(r"^([A-Za-z0-9_.\-]+)=(?!=)([^=<>!~,\s]+)$", r"\1==\2.*", text.strip())  # conda's pkg=1.2
    req = Requirement(text)
    return canonicalize_name(req.name), ",".join(sorted(str(s) for s in req.specifier))


def pyproject_requirements(path: Path) -> dict[str, str]:
    """Name -> specifier for python itself, the core dependencies and every non-contributor extra."""
    project = tomllib.loads(path.read_text())["project"]
    texts = list(project["dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        if extra not in CONTRIBUTOR_EXTRAS:
            texts += requirements
    specs = dict(_spec(t) for t in texts)
    specs["python"] = ",".join(sorted(project["requires-python"].replace(" ", "").split(",")))
    return specs


def environment_requirements(path: Path) -> dict[str, str]:
    """Name -> specifier for every conda and pip entry of environment.yml, except pip itself and the local package."""
    entries: list[str] = []
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, dict):
            entries += [p for p in dep.get("pip", []) if p.strip() not in LOCAL_INSTALLS]
        elif _spec(dep)[0] != "pip":
            entries.append(dep)
    names = [_spec(e)[0] for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"environment.yml lists these more than once: {duplicates}"
    return dict(_spec(e) for e in entries)


def differences(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    """Human-readable mismatches between pyproject (expected) and environment.yml (actual)."""
    problems = [f"{n} ({expected[n] or 'any'}) is in pyproject.toml but not in environment.yml"
                for n in sorted(expected.keys() - actual.keys())]
    problems += [f"{n} is in environment.yml but not in pyproject.toml"
                 for n in sorted(actual.keys() - expected.keys())]
    problems += [f"{n}: pyproject.toml says '{expected[n]}', environment.yml says '{actual[n]}'"
                 for n in sorted(expected.keys() & actual.keys()) if expected[n] != actual[n]]
    return problems


def test_environment_yml_matches_pyproject() -> None:
    problems = differences(pyproject_requirements(ROOT / "pyproject.toml"),
                           environment_requirements(ROOT / "environment.yml"))
    assert not problems, "environment.yml is out of step with pyproject.toml:\n" + "\n".join(problems)


def test_environment_yml_installs_the_package_itself() -> None:
    pip = [d for d in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"] if isinstance(d, dict)]
    assert pip and any(p.strip() in LOCAL_INSTALLS for p in pip[0]["pip"]), "environment.yml must pip-install '.'"


@pytest.mark.parametrize(
    ("line", "name", "spec"),
    [("  - tqdm>=4.66\n", "tqdm", ">=4.66"), ("      - pocketsphinx>=5.0\n", "pocketsphinx", ">=5.0"),
     ("  - voila>=0.5\n", "voila", ">=0.5")],
)
def test_a_missing_package_is_reported(tmp_path: Path, line: str, name: str, spec: str) -> None:
    text = (ROOT / "environment.yml").read_text()
    assert line in text
    broken = tmp_path / "environment.yml"
    broken.write_text(text.replace(line, ""))
    problems = differences(pyproject_requirements(ROOT / "pyproject.toml"), environment_requirements(broken))
    assert f"{name} ({spec}) is in pyproject.toml but not in environment.yml" in problems


def test_an_extra_package_and_a_changed_bound_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "environment.yml"
    broken.write_text((ROOT / "environment.yml").read_text()
                      .replace("  - tqdm>=4.66\n", "  - tqdm>=4.0\n  - scipy\n"))
    problems = differences(pyproject_requirements(ROOT / "pyproject.toml"), environment_requirements(broken))
    assert "scipy is in environment.yml but not in pyproject.toml" in problems
    assert "tqdm: pyproject.toml says '>=4.66', environment.yml says '>=4.0'" in problems
