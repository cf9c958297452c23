"""Real engines for the same pipeline: espeak-ng voices, pocketsphinx / Whisper ASR, an OpenAI-compatible LLM.

Each implements the interface of its simulated counterpart, so a pipeline swaps one
line: ``StreamingPipeline(caller=EspeakCaller(), asr=PocketsphinxASR(), tts=EspeakTTS())``
and a run in ``clock="realtime"``. Needs the ``real`` extra (``pip install 'voicelab[real]'``
or ``make install``): importing without it raises ImportError naming that command.
"""

from ._extra import INSTALL_HINT, require
from .caller import EspeakCaller, WavCaller, read_wav
from .llm import LlmError, OpenAIChatLLM
from .pipeline import make_asr, make_llm, real_pipeline
from .resample import resample
from .sphinx import PocketsphinxASR
from .tts import EspeakTTS
from .wer import word_error_rate
from .whisper import WhisperASR

__all__ = [
    "INSTALL_HINT", "EspeakCaller", "EspeakTTS", "LlmError", "OpenAIChatLLM", "PocketsphinxASR", "WavCaller",
    "WhisperASR", "make_asr", "make_llm", "read_wav", "real_pipeline", "require", "resample",
    "word_error_rate",
]
