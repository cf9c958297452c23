"""Fitting voicelab's stage timings to imported turns, checking the fit, and what-ifs on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voicelab.analysis.analyze import analyze
from voicelab.analysis.calibrate import fit
from voicelab.engine.validation import ConfigError
from voicelab.importers import load

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


@pytest.fixture(scope="module")
def livekit():
    return fit(analyze(load(FIXTURES / "livekit_otlp.json")))


def test_fitted_stages_take_the_imported_medians_and_spreads(livekit) -> None:
    values = {name: v[livekit.analysis.user] for name, v in livekit.analysis.values.items()}  # no greeting
    assert livekit.stages.llm.ttft_s == pytest.approx(np.nanmedian(values["llm_ttft"]))
    assert livekit.stages.tts.first_chunk_s == pytest.approx(np.nanmedian(values["tts_ttfb"]))
    ttft = values["llm_ttft"]
    assert livekit.stages.llm.jitter == pytest.approx(np.percentile(ttft, 95) / np.median(ttft))


def test_the_fitted_model_reproduces_the_imported_median(livekit) -> None:
    check = livekit.check(turns=100)
    assert abs(check["model - imported"]["p50"]) < 0.1
    # the real run's endpointing is LiveKit's fixed 0.5 s delay (VAD turn detection): a fixed silence timer fits
    assert abs(check["model - imported"]["p90"]) < 0.1


def test_what_ifs_move_the_median_the_right_way(livekit) -> None:
    rows = livekit.what_if({"tts halved": {"tts.first_chunk_s": livekit.stages.tts.first_chunk_s / 2},
                            "0.3 s endpoint": livekit.endpoint_params(0.3)}, turns=60)
    base = rows["fitted model"]["p50"]
    assert 0.03 < base - rows["tts halved"]["p50"] < 0.15
    expected = livekit.targets["endpoint"] - 0.3
    assert base - rows["0.3 s endpoint"]["p50"] == pytest.approx(expected, abs=0.05)


def test_endpoint_params_are_validated(livekit) -> None:
    with pytest.raises(ConfigError, match="endpoint"):
        livekit.endpoint_params(-1.0)


def test_a_source_without_the_parts_cannot_be_fitted(tmp_path: Path) -> None:
    path = tmp_path / "dg.jsonl"
    path.write_text('{"total_latency": 1.2}\n{"total_latency": 1.4}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="endpoint"):
        fit(analyze(load(path, "deepgram")))
