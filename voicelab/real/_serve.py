"""The local LLM server's own process (started by :mod:`voicelab.real.local_llm`, never by hand).

It serves llama-cpp-python's OpenAI-compatible app on a listening socket its parent opened and handed over as a
file descriptor (so no other program can take the port in between), and exits as soon as its standard input
reaches end of file: the parent holds the other end of that pipe, so however the parent ends (a return, an
exception, Ctrl-C, SIGKILL, a Jupyter kernel restart) the pipe closes and this process goes with it.

    python -m voicelab.real._serve --fd N --model PATH [--n-ctx N] [--threads N] [--seed N]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading


def _exit_with_parent() -> None:
    """Block on stdin until the parent's end of the pipe closes, then leave at once."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main() -> None:
    """Parse the arguments, watch the parent, load the model and serve until told to stop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", default="local")
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    threading.Thread(target=_exit_with_parent, daemon=True, name="parent-watch").start()

    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    model = ModelSettings(model=args.model, model_alias=args.alias, n_ctx=args.n_ctx, n_threads=args.threads,
                          n_threads_batch=args.threads, seed=args.seed, verbose=False)
    app = create_app(server_settings=ServerSettings(), model_settings=[model])
    listening = socket.socket(fileno=args.fd)  # family and type read from the socket itself
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[listening])


if __name__ == "__main__":
    main()
