"""Each build-it check names the actual mistake, not only that there is one: every plausible wrong solution an
exercise lists is a :class:`Mistake` whose message must contain what it says, and the cases a newcomer met
(issue 25) are pinned here with the learner's own code. A check never crashes on a learner's input: an exception
in their code is reported as theirs, with its line; a function that returns nothing, or the wrong type, is told
so."""

from __future__ import annotations

import json
import math
import statistics

import pytest

import voicelab as vl
from voicelab.engine.vocabulary import MarkName
from voicelab.exercises import BuildIt, all_exercises
from voicelab.exercises.grading import Mistake

EXERCISES = all_exercises()
BUILD_ITS = sorted(name for name, e in EXERCISES.items() if isinstance(e, BuildIt)) + ["nb07.budget_split"]


@pytest.mark.parametrize("name", BUILD_ITS)
def test_every_wrong_solution_is_diagnosed_by_its_cause(name: str) -> None:
    exercise = EXERCISES[name]
    assert len(exercise.wrong) >= 3, f"{name}: fewer than three plausible mistakes"
    for mistake in exercise.wrong:
        assert isinstance(mistake, Mistake), f"{name}: {mistake!r} does not say what its check must name"
        message = exercise.check(mistake.answer).message
        assert message.startswith("✗"), f"{name} accepted {mistake.answer!r}"
        assert any(phrase in message for phrase in mistake.phrases), \
            f"{name}: {getattr(mistake.answer, '__name__', mistake.answer)} was told {message!r}; expected " \
            f"one of {mistake.phrases}"


def _message(exercise: vl.exercises.BuildIt, solution: object) -> str:
    feedback = exercise.check(solution)
    assert not feedback.ok, feedback.message
    return feedback.message


# -- the cases of issue 25 -----------------------------------------------------------------------------------------
def test_01_a_clamped_voice_to_voice_fails_on_a_turn_where_the_agent_cut_in() -> None:
    def voice_to_voice(marks):
        return max(0.0, marks[MarkName.TTS_FIRST_CHUNK] - marks[MarkName.SPEECH_END])

    message = _message(vl.exercises.nb01.voice_to_voice_measure, voice_to_voice)
    assert "cut in" in message and "kept the sign" in message and "-3.03 s" in message


def test_01_measuring_from_the_endpoint_is_not_called_the_final_transcript() -> None:
    def voice_to_voice(marks):
        return marks["tts_first_chunk"] - marks["end_of_utterance"]

    message = _message(vl.exercises.nb01.voice_to_voice_measure, voice_to_voice)
    assert "from the endpoint (end_of_utterance)" in message and "final transcript" not in message


def test_03_counting_windows_as_seconds_is_named_not_answered_with_the_buggy_rule() -> None:
    def end_of_turn(energies, threshold, silence_s):
        loud = [i for i, e in enumerate(energies) if e > threshold]
        return bool(loud) and len(energies) - 1 - loud[-1] >= silence_s

    message = _message(vl.exercises.nb03.endpointer, end_of_turn)
    assert "comparing a count of windows with seconds" in message and "multiply the count by 0.01" in message
    assert "wait for silence_s of them" not in message


def test_04_a_median_gap_is_not_told_about_n_minus_1_gaps() -> None:
    def token_timings(request_t, token_times):
        gaps = [b - a for a, b in zip(token_times, token_times[1:], strict=False)]
        return token_times[0] - request_t, statistics.median(gaps)

    message = _message(vl.exercises.nb04.token_timing, token_timings)
    assert "median gap" in message and "n − 1 gaps" not in message


def test_05_strictly_more_than_max_chars_fails_on_a_buffer_of_exactly_max_chars() -> None:
    def clause_ready(buffer, max_chars):
        stripped = buffer.rstrip()
        return bool(stripped) and (stripped[-1] in ",.;:!?" or len(buffer) > max_chars)

    message = _message(vl.exercises.nb05.clause_aggregator, clause_ready)
    assert "exactly max_chars (20)" in message and "len(buffer) >= max_chars" in message


def test_06_a_stage_that_returns_after_one_reply_is_told_it_returned() -> None:
    async def llm_stage(inbox, outbox, ctx):
        transcript = await inbox.get()
        while not transcript.final:
            transcript = await inbox.get()
        async for token in vl.exercises.nb06.reply_tokens(transcript, ctx):
            await outbox.put(token)
        await outbox.put(vl.engine.frames.EndOfResponse(transcript.turn))

    message = _message(vl.exercises.nb06.llm_stage, llm_stage)
    assert "then returned" in message and "in a loop" in message
    assert "EndOfResponse" not in message and "spoke its first reply" not in message


def test_06_the_segment_is_accepted_by_the_name_the_prose_sets_in_bold() -> None:
    question = vl.exercises.nb06.largest_segment
    for answer in ("turn declared over", "Turn declared over ", "caller stops -> turn declared over"):
        assert question.check(answer).ok, question.check(answer).message
    assert not question.check("final transcript").ok


def test_11_a_function_that_returns_nothing_is_told_so_not_that_it_raised() -> None:
    def wait(probability, min_delay_s, max_delay_s, threshold):
        min_delay_s if probability >= threshold else max_delay_s  # noqa: B018 - the learner forgot `return`

    message = _message(vl.exercises.nb11.minmax, wait)
    assert "returned None" in message and "`return` missing" in message and "raised" not in message


def test_12_counting_the_buffer_twice_gets_its_own_message() -> None:
    def chunk_delay(fixed_s, extra_s, buffer_s):
        return fixed_s + buffer_s + max(0.0, extra_s - buffer_s)

    message = _message(vl.exercises.nb12.jitter_buffer, chunk_delay)
    assert "counts the buffer twice" in message and "not late at all" not in message


def test_13_reading_the_breakdowns_contributions_works_and_a_missing_key_is_named() -> None:
    def from_contributions(breakdown):
        parts = {c["key"]: c["duration_secs"] for c in breakdown["contributions"]}
        return {"voice_to_voice": math.fsum(parts.values()), "endpoint_wait": parts["endpointing_wait"],
                "llm_ttft": parts["llm_inference"], "tts_ttfb": parts["speech_synthesis"]}

    def asks_for_more(breakdown):
        return {"voice_to_voice": breakdown["total_secs"], "endpoint_wait": breakdown["endpoint_secs"]}

    exercise = vl.exercises.nb13.breakdown_importer
    assert exercise.check(from_contributions).ok, exercise.check(from_contributions).message
    message = _message(exercise, asks_for_more)
    assert "'endpoint_secs', which it does not have" in message and "'total_secs'" in message
    assert 'breakdown["endpoint_secs"]' in message  # the learner's own line

    def by_name(breakdown):  # Pipecat names a contribution by its "key"
        parts = {c["name"]: c["duration_secs"] for c in breakdown["contributions"]}
        return {"voice_to_voice": math.fsum(parts.values())}

    message = _message(exercise, by_name)
    assert "asked a contribution for 'name'" in message and "its 'key'" in message and "'endpointing_wait'" in message


def test_13_the_synthetic_breakdowns_are_shaped_like_the_real_file() -> None:
    real = json.loads((vl.importers.EXAMPLES / "pipecat_breakdowns.jsonl").read_text().splitlines()[1])
    made = vl.exercises.nb13.as_breakdown(vl.simulate(preset="production"), 0)
    assert set(made) <= set(real)
    assert set(made["contributions"][0]) == set(real["contributions"][0])
    assert {c["key"] for c in made["contributions"]} <= {c["key"] for r in
                                                         (vl.importers.EXAMPLES / "pipecat_breakdowns.jsonl")
                                                         .read_text().splitlines() for c in json.loads(r)
                                                         ["contributions"]}


# -- a check never crashes -----------------------------------------------------------------------------------------
def _raises(*args):
    ratio = len(args) / 0
    return ratio


async def _raises_async(*args):
    ratio = len(args) / 0
    return ratio


def _returns_text(*args):
    return "0.5"


@pytest.mark.parametrize("name", sorted(n for n, e in EXERCISES.items() if isinstance(e, BuildIt)))
def test_an_exception_in_the_learners_code_is_reported_as_theirs_with_its_line(name: str) -> None:
    exercise = EXERCISES[name]
    for solution in (_raises, _raises_async):
        message = exercise.check(solution).message
        assert message.startswith("✗"), f"{name}: {message}"
        if "ZeroDivisionError" in message:
            assert "your code raised ZeroDivisionError" in message and "`ratio = len(args) / 0`" in message, \
                f"{name}: {message}"
    sync, coroutine = exercise.check(_raises).message, exercise.check(_raises_async).message
    assert "ZeroDivisionError" in sync or "ZeroDivisionError" in coroutine, f"{name}: {sync} / {coroutine}"


@pytest.mark.parametrize("name", sorted(n for n, e in EXERCISES.items() if isinstance(e, BuildIt)))
def test_a_wrong_type_of_result_is_answered_not_crashed_on(name: str) -> None:
    feedback = EXERCISES[name].check(_returns_text)
    assert not feedback.ok and feedback.message.startswith("✗"), f"{name}: {feedback.message}"
    assert "Traceback" not in feedback.message


def test_a_coroutine_where_a_function_is_wanted_and_back_is_said_plainly() -> None:
    assert "write it as an `async def`" in vl.exercises.nb06.llm_stage.check(_raises).message
    assert "a plain `def`, not `async def`" in vl.exercises.nb03.endpointer.check(_raises_async).message


def test_a_truthy_non_bool_is_not_taken_for_yes() -> None:
    message = vl.exercises.nb05.clause_aggregator.check(_returns_text).message
    assert "returned '0.5' (str)" in message and "True (send the clause now) or False" in message


# -- issue 24's build-its: the backchannel decision (10) and dynamic endpointing (11) ------------------------------
def test_10_stopping_for_every_backchannel_is_named_with_the_counts() -> None:
    def stops(mode, probability, threshold):
        return True

    message = _message(vl.exercises.nb10.backchannel_decision, stops)
    assert "stops for every backchannel" in message and "10 of 10 backchannels" in message, message


def test_10_comparing_a_vad_probability_that_is_none_is_told_why() -> None:
    def stops(mode, probability, threshold):
        return probability >= threshold

    message = _message(vl.exercises.nb10.backchannel_decision, stops)
    assert "mode 'vad' there is no classifier" in message and "`return probability >= threshold`" in message, message


def test_10_a_strict_comparison_fails_at_the_threshold() -> None:
    def stops(mode, probability, threshold):
        return mode == "vad" or probability > threshold

    assert "exactly at the threshold" in _message(vl.exercises.nb10.backchannel_decision, stops)


def test_11_forgetting_the_clamp_is_named_with_the_range_it_left() -> None:
    def learn(delay, pause_s, alpha, min_delay, max_delay):
        return alpha * delay + (1 - alpha) * pause_s

    message = _message(vl.exercises.nb11.dynamic, learn)
    assert "not clamped" in message and "min_delay 0.3 s and max_delay 0.5 s" in message, message


def test_11_alpha_on_the_pause_is_named() -> None:
    def learn(delay, pause_s, alpha, min_delay, max_delay):
        return min(max_delay, max(min_delay, alpha * pause_s + (1 - alpha) * delay))

    assert "alpha on the wrong side" in _message(vl.exercises.nb11.dynamic, learn)


def test_11_the_clamps_in_either_order_are_right() -> None:
    def learn(delay, pause_s, alpha, min_delay, max_delay):
        return max(min_delay, min(max_delay, alpha * delay + (1 - alpha) * pause_s))

    assert vl.exercises.nb11.dynamic.check(learn).ok


HOSTILE_ANSWERS = [None, ..., True, float("nan"), float("inf"), -1e308, "", "abc", "0,5", [0.5], {"a": 1}, (1, 2),
                   b"0.5", object(), 10**400]


@pytest.mark.parametrize("name", sorted(n for n, e in EXERCISES.items() if not isinstance(e, BuildIt)))
def test_a_question_answers_any_input_with_a_cross_never_a_crash(name: str) -> None:
    exercise = EXERCISES[name]
    for answer in HOSTILE_ANSWERS:
        feedback = exercise.check(answer)
        assert not feedback.ok and feedback.message.startswith("✗"), f"{name} took {answer!r}: {feedback.message}"
        assert "Traceback" not in feedback.message
