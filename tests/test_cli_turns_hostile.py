"""``--endpointing POLICY:KEY=VALUE,...`` against hostile specs, for demo and montecarlo alike: every bad spec is one
line on stderr naming the field, what it got and what is accepted (exit 2), never a traceback; nothing runs."""

from __future__ import annotations

import pytest

from voicelab.cli.main import main
from voicelab.engine.validation import ConfigError
from voicelab.turntaking.policies import POLICIES, make_policy, parse_policy

# spec -> what the one line must say
BAD_SPECS = {
    "semantic:name=1": "unknown setting semantic.name",
    "fixed:name=semantic": "unknown setting fixed.name",
    "semantic:self=1": "unknown setting semantic.self",
    "semantic:settings=1": "unknown setting semantic.settings",
    "minmax:cls=1": "unknown setting minmax.cls",
    "semantic:knob=1": "unknown setting semantic.knob",
    "semantic:accuracy=0.5,accuracy=0.9": "semantic.accuracy is given twice",
    "semantic:accuracy=nan": "semantic.accuracy must be a number in",
    "semantic:accuracy=inf": "semantic.accuracy must be a number in",
    "semantic:accuracy=-inf": "semantic.accuracy must be a number in",
    "semantic:accuracy=1e400": "semantic.accuracy must be a number in",
    "semantic:accuracy=true": "semantic.accuracy must be a number; got 'true'",
    "semantic:accuracy=": "semantic.accuracy must be a number; got ''",
    "semantic:accuracy=0x1": "semantic.accuracy must be a number; got '0x1'",

    "semantic:=0.5": "a setting has no name",
    "semantic:accuracy": "KEY=VALUE pairs",
    "semantic:accuracy=0.5=0.6": "semantic.accuracy must be a number; got '0.5=0.6'",
    ":accuracy=0.5": "endpointing policy must be one of",
    "": "endpointing policy must be one of",
    "nonsense": "endpointing policy must be one of",
    "SEMANTIC": "endpointing policy must be one of",
    "fixed:accuracy=0.9": "unknown setting fixed.accuracy",
    "minmax:min_delay_s=2,max_delay_s=1": "minmax",
    "dynamic:alpha=2": "dynamic.alpha must be a number in",
    "semantic:accuracy=0.5;rm -rf /": "semantic.accuracy must be a number",
    "semantic:accuracy=\x1b[2J": "semantic.accuracy must be a number; got '\\x1b[2J'",
}


@pytest.mark.parametrize("command", [["demo"], ["montecarlo", "--turns", "2"]], ids=["demo", "montecarlo"])
@pytest.mark.parametrize("spec", sorted(BAD_SPECS), ids=repr)
def test_a_bad_endpointing_spec_is_one_line_naming_the_field(capsys, command, spec):
    assert main([*command, "--endpointing", spec]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "--endpointing" in lines[0] and BAD_SPECS[spec] in lines[0], lines[0]
    assert "\x1b" not in lines[0]


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_every_policy_takes_each_of_its_settings_by_spec(name):
    policy = POLICIES[name]()
    for key, value in policy.settings().items():
        assert parse_policy(f"{name}:{key}={value!r}").settings()[key] == value


@pytest.mark.parametrize("value", [True, False, "0.5", None, float("nan"), [0.5]], ids=repr)
def test_make_policy_refuses_a_value_that_is_not_a_number(value):
    with pytest.raises(ConfigError, match="semantic.accuracy must be a number"):
        make_policy("semantic", accuracy=value)


def test_make_policy_takes_a_setting_called_name():
    with pytest.raises(ConfigError, match="unknown setting semantic.name; semantic has"):
        make_policy("semantic", name=1)
