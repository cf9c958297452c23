"""Real engines for the same pipeline: espeak-ng voices, pocketsphinx / Whisper ASR, an OpenAI-compatible LLM
(any endpoint, or the local llama.cpp server that :class:`LocalLLM` runs).

Each implements the interface of its simulated counterpart, so a pipeline swaps one
line: ``StreamingPipeline(caller=EspeakCaller(), asr=PocketsphinxASR(), tts=EspeakTTS())``
and a run in ``clock="realtime"``. Needs the ``real`` extra (``pip install 'voicelab[real]'``
or ``make install``): importing without it raises ImportError naming that command.
"""

from ._extra import INSTALL_HINT, require
from .caller import EspeakCaller, WavCaller, read_wav
from .llm import LlmError, OpenAIChatLLM
from .local_llm import LocalLLM
from .pipeline import LLMS, make_asr, make_llm, real_pipeline
from .reply import ReplyOptions, SpokenReply
from .resample import resample
from .sphinx import PocketsphinxASR
from .tts import EspeakTTS
from .wer import word_error_rate
from .whisper import WhisperASR

__all__ = [
    "INSTALL_HINT", "LLMS", "EspeakCaller", "EspeakTTS", "LlmError", "LocalLLM", "OpenAIChatLLM", "PocketsphinxASR",
    "ReplyOptions", "SpokenReply", "WavCaller", "WhisperASR", "make_asr", "make_llm", "read_wav", "real_pipeline",
    "require", "resample", "word_error_rate",
]
