"""OpenAIChatLLM: a streaming client for any OpenAI-compatible chat endpoint (stdlib only).

Ollama, llama.cpp's server, vLLM and OpenAI all speak it: POST ``{base}/chat/completions``
with ``"stream": true`` answers with server-sent events, one ``data: {json}`` line per
token and ``data: [DONE]`` at the end. Configured by VOICELAB_LLM_BASE_URL,
VOICELAB_LLM_MODEL and VOICELAB_LLM_API_KEY. The key is sent in the Authorization
header and nowhere else: never in a repr, an error message or the trace.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import AsyncIterator, Callable, Mapping
from urllib.parse import urlsplit

from ..context import RunContext
from ..stages.llm import LlmEngine
from ..validation import ConfigError, check_number
from .threaded import stream_from_thread

ENV_BASE_URL, ENV_MODEL, ENV_API_KEY = "VOICELAB_LLM_BASE_URL", "VOICELAB_LLM_MODEL", "VOICELAB_LLM_API_KEY"
SYSTEM_PROMPT = "You are a voice assistant on a phone call. Answer in one or two short spoken sentences."


class LlmError(RuntimeError):
    """The endpoint could not be reached, answered with an error status, or sent a malformed stream.

    ``trace`` is the run's trace up to the failure (with an ``llm_error`` mark) when it happened in a run.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.trace = None


def configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment names an endpoint (VOICELAB_LLM_BASE_URL is set)."""
    return bool((os.environ if env is None else env).get(ENV_BASE_URL, "").strip())


class OpenAIChatLLM(LlmEngine):
    """Streams chat completions from ``base_url`` (e.g. ``http://127.0.0.1:11434/v1``).

    Arguments left out are read from the environment; ``connect_timeout_s`` bounds
    reaching the server, ``read_timeout_s`` each wait for the next piece of the stream.
    """

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key: str | None = None, *,
                 connect_timeout_s: float = 5.0, read_timeout_s: float = 60.0, system_prompt: str = SYSTEM_PROMPT,
                 max_tokens: int = 120, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        base_url = (base_url or env.get(ENV_BASE_URL, "")).strip()
        if not base_url:
            raise ConfigError(f"no LLM endpoint: set {ENV_BASE_URL} (e.g. http://127.0.0.1:11434/v1) "
                              "or pass base_url")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{ENV_BASE_URL} must be an http:// or https:// URL; got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.model = (model or env.get(ENV_MODEL, "")).strip() or "default"
        self._api_key = api_key if api_key is not None else env.get(ENV_API_KEY, "")
        self.connect_timeout_s = check_number("connect_timeout_s", connect_timeout_s, 0.0, 600.0, unit="s",
                                              lo_open=True)
        self.read_timeout_s = check_number("read_timeout_s", read_timeout_s, 0.0, 3600.0, unit="s", lo_open=True)
        self.max_tokens = int(check_number("max_tokens", max_tokens, 1, 100_000, integer=True))
        self.system_prompt = system_prompt

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"OpenAIChatLLM(base_url={self.base_url!r}, model={self.model!r}, api_key=<{key}>)"

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "<api key>") if self._api_key else text

    def _request(self) -> tuple[http.client.HTTPConnection, str]:
        parts = urlsplit(self.base_url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = kind(parts.hostname, parts.port, timeout=self.connect_timeout_s)
        return conn, f"{parts.path}/chat/completions"

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def stream_blocking(self, prompt: str, on_token: Callable[[str], bool]) -> None:
        """Request a reply to ``prompt`` and call ``on_token`` with each piece (return False to stop).

        Raises LlmError on connection failure, an error status, a timeout or a malformed stream.
        """
        body = json.dumps({"model": self.model, "stream": True, "max_tokens": self.max_tokens, "messages": [
            {"role": "system", "content": self.system_prompt}, {"role": "user", "content": prompt}]})
        conn, path = self._request()
        try:
            try:
                conn.connect()
            except OSError as exc:
                raise LlmError(f"cannot connect to {self.base_url}: {exc.strerror or exc}") from None
            conn.sock.settimeout(self.read_timeout_s)
            try:
                conn.request("POST", path, body=body, headers=self._headers())
                response = conn.getresponse()
                if response.status != 200:
                    detail = response.read(300).decode("utf-8", "replace").strip()
                    raise LlmError(self._redact(f"{self.base_url} answered HTTP {response.status} "
                                                f"{response.reason}: {detail}"))
                self._read_events(response, on_token)
            except TimeoutError:
                raise LlmError(f"{self.base_url} sent nothing for {self.read_timeout_s:g} s "
                               "(read timeout)") from None
            except (OSError, http.client.HTTPException) as exc:
                raise LlmError(self._redact(f"connection to {self.base_url} failed: {exc}")) from None
        finally:
            conn.close()

    def _read_events(self, response: http.client.HTTPResponse, on_token: Callable[[str], bool]) -> None:
        while line := response.readline():
            text = line.decode("utf-8", "replace").strip()
            if not text.startswith("data:"):
                continue  # blank separators, comments (": ping"), event names
            data = text[5:].strip()
            if data == "[DONE]":
                return
            try:
                piece = json.loads(data)["choices"][0].get("delta", {}).get("content") or ""
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                raise LlmError(self._redact(f"malformed stream from {self.base_url}: {data[:120]!r}")) from None
            if piece and not on_token(piece):
                return
        raise LlmError(f"the stream from {self.base_url} ended before data: [DONE]")

    async def stream(self, prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        """Yield the reply's pieces as they arrive; the HTTP work runs on a worker thread.

        On failure an ``llm_error`` mark goes into the trace and LlmError (carrying the trace) is raised.
        """
        try:
            async for piece in stream_from_thread(lambda emit: self.stream_blocking(prompt, emit)):
                yield piece
        except LlmError as error:
            ctx.trace.mark("llm", "llm_error", error=str(error))
            error.trace = ctx.trace
            raise
