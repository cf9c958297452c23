"""The API key and the base URL's credentials against a hostile endpoint on 127.0.0.1: whatever form the server
sends them back in (as sent, JSON-escaped with ``\\/``, URL-encoded, another letter case), in an error body or as
the reply text itself, and wherever they came from (VOICELAB_LLM_API_KEY, api_key=, the URL's userinfo, query or
fragment), no output shows them: messages, the printed table, --json, the trace, the Perfetto and CSV exports,
what the voice speaks. Every case is bounded (deadline 2 s) and runs on the virtual clock, in seconds.
"""

from __future__ import annotations

import io
import json
import uuid
from urllib.parse import quote, quote_plus

import pytest
from conftest import requires
from llm_server import ENCODINGS, LlmServer

import voicelab
from voicelab.engine.validation import ConfigError
from voicelab.export import to_csv, to_perfetto, write_perfetto
from voicelab.pipelines.streaming import StreamingPipeline

pytestmark = requires("real")

from voicelab.cli.main import _print_demo  # noqa: E402
from voicelab.real.llm import LlmError, OpenAIChatLLM  # noqa: E402

SOURCES = ("env-key", "argument-key", "userinfo")


def _secret(case: str) -> str:
    """A secret of its own for each case (a mask learnt in one case must not hide a leak in another), with the
    characters JSON and URL encodings change."""
    return f"sk-{uuid.uuid4().hex[:16]}/{case}+Q=z"


def _forms(secret: str) -> set[str]:
    escaped = json.dumps(secret)[1:-1]
    sent = {secret, escaped, escaped.replace("/", "\\/"), quote(secret, safe=""), quote(secret), quote_plus(secret)}
    return {f.lower() for f in sent} | {json.dumps(f)[1:-1].lower() for f in sent}


def _leaks(text: str, secret: str) -> list[str]:
    """Each form of ``secret`` (or a 12-character prefix of one) found in ``text``, any letter case."""
    low = text.lower()
    return sorted(f for f in _forms(secret) if f in low or f[:12] in low)


@pytest.fixture(scope="module")
def server():
    httpd = LlmServer()
    yield httpd
    httpd.close()


def _client(server: LlmServer, script: str, source: str, secret: str) -> OpenAIChatLLM:
    url = server.url(script)
    limits = {"deadline_s": 2.0, "read_timeout_s": 1.0}
    server.secret = ""
    if source == "env-key":
        return OpenAIChatLLM(env={"VOICELAB_LLM_BASE_URL": url, "VOICELAB_LLM_API_KEY": secret}, **limits)
    if source == "argument-key":
        return OpenAIChatLLM(url, "m", secret, env={}, **limits)
    server.secret = secret  # the server knows the password it was never sent
    return OpenAIChatLLM(url.replace("http://", f"http://alice:{quote(secret, safe='')}@"), "m", "", env={}, **limits)


def _outputs(result: voicelab.RunResult, tmp_path, capsys) -> dict[str, str]:
    """Every output a run's reply reaches: what the CLI prints (table and --json), the trace, its exports, and the
    text the voice speaks (the WAV renders these pieces; it carries no other text)."""
    _print_demo(result)
    printed = capsys.readouterr()
    write_perfetto(result.trace, tmp_path / "trace.json")
    csv = io.StringIO()
    to_csv(result.trace, csv)
    return {
        "table": printed.out + printed.err, "json": json.dumps(result.summary()), "trace": result.trace.to_json(),
        "perfetto": json.dumps(to_perfetto(result.trace)), "perfetto file": (tmp_path / "trace.json").read_text(),
        "csv": csv.getvalue(), "spoken": " ".join(p.text for p in voicelab.audio.pieces(result)),
    }


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("source", SOURCES)
def test_a_secret_streamed_back_as_the_reply_reaches_no_output(server, source, encoding, tmp_path, capsys):
    secret = _secret(f"reply-{source}-{encoding}")
    llm = _client(server, f"echo-reply/{encoding}", source, secret)
    result = voicelab.simulate(["What is my key?"], pipeline=StreamingPipeline(llm=llm))
    response = result.trace.turns[0].response
    assert response.startswith("Your key is ") and response.endswith(" today."), response  # the rest still said
    for output, text in _outputs(result, tmp_path, capsys).items():
        assert not _leaks(text, secret), f"the {output} shows the secret"


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("source", SOURCES)
def test_a_secret_echoed_in_an_error_body_reaches_no_output(server, source, encoding, capsys):
    secret = _secret(f"body-{source}-{encoding}")
    llm = _client(server, f"echo-body/{encoding}", source, secret)
    with pytest.raises(LlmError, match="HTTP 400") as info:
        voicelab.simulate(["What is my key?"], pipeline=StreamingPipeline(llm=llm))
    trace = info.value.trace
    assert trace is not None
    texts = {"message": str(info.value), "repr": repr(info.value), "trace": trace.to_json(),
             "perfetto": json.dumps(to_perfetto(trace)), "printed": "".join(capsys.readouterr())}
    assert "<redacted>" in texts["message"]
    for output, text in texts.items():
        assert not _leaks(text, secret), f"the {output} shows the secret"


# A base URL that carries a secret (query, fragment, userinfo), refused or not: the secret is never shown.
URLS = {
    "query key": "http://127.0.0.1:9/v1?key={s}",
    "query api_key among others": "http://127.0.0.1:9/v1?api-version=2024-06-01&api_key={s}",
    "fragment": "http://127.0.0.1:9/v1#{s}",
    "query and a bad port": "http://127.0.0.1:99999/v1?key={s}",
    "query and a space": "http://127.0.0.1:9/v1 ?key={s}",
    "userinfo with a bad port": "http://alice:{s}@127.0.0.1:abc/v1",
    "userinfo with an @ in the password": "http://alice:x@{s}@127.0.0.1:9/v1?x",
    "userinfo and a broken IPv6 host": "http://alice:{s}@[::1/v1",
    "userinfo and ftp": "ftp://alice:{s}@127.0.0.1/v1",
    "userinfo and a control character": "http://alice:{s}@127.0.0.1/v1\x1b[2J",
}


@pytest.mark.parametrize("case", sorted(URLS))
def test_a_secret_in_a_refused_base_url_is_not_in_the_message(case):
    secret = _secret(case.replace(" ", "-"))
    url = URLS[case].format(s=secret)
    for build in (lambda: OpenAIChatLLM(url, env={}), lambda: OpenAIChatLLM(env={"VOICELAB_LLM_BASE_URL": url})):
        with pytest.raises(ConfigError) as info:
            build()
        assert not _leaks(str(info.value), secret), str(info.value)
        assert "VOICELAB_LLM_BASE_URL" in str(info.value)


def test_a_client_with_credentials_in_its_url_never_shows_them(server):
    secret = _secret("repr")
    llm = OpenAIChatLLM(server.url("ok").replace("http://", f"http://alice:{quote(secret, safe='')}@"), env={})
    assert not _leaks(repr(llm) + llm.base_url, secret) and "***@127.0.0.1" in llm.base_url


def test_the_stream_mask_catches_a_secret_however_the_reply_is_split():
    from voicelab.engine.untrusted import StreamMask, mask

    secret = _secret("split")
    for encoding in ENCODINGS.values():
        text = f"start {encoding(secret)} middle {encoding(secret)[:5]} end s"
        for cut in range(1, len(text)):
            stream = StreamMask([secret])
            out = stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.flush()
            assert out == mask(text, [secret]) and not _leaks(out, secret), (cut, out)
        stream = StreamMask([secret])
        assert "".join(stream.feed(c) for c in text) + stream.flush() == mask(text, [secret])
