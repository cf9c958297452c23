"""espeak-ng through ctypes: the library and voice data shipped in the ``espeakng-loader`` wheel.

espeak-ng is one global synthesizer per process, so every call holds a lock. Audio
arrives through the library's synthesis callback, chunk by chunk as it is produced
(22 050 Hz, 16-bit); word events tell where each word starts.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._extra import require

_loader = require("espeakng_loader")

CHUNK_MS = 100  # audio handed to the callback at a time
_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE = 1
_EVENT_LIST_TERMINATED, _EVENT_WORD = 0, 1
MIN_WPM, MAX_WPM = 80, 450


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Word:
    """A word of the synthesized text: its characters and the sample where its audio starts."""

    text: str
    start_sample: int


class _Espeak:
    """The process-wide synthesizer: initialized once, used under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lib = ctypes.CDLL(_loader.get_library_path())
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.sample_rate = self.lib.espeak_Initialize(_OUTPUT_SYNCHRONOUS, CHUNK_MS,
                                                      _loader.get_data_path().encode(), _INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise RuntimeError("espeak-ng failed to initialize from the espeakng-loader voice data")
        self._on_chunk: Callable[[np.ndarray], bool] | None = None
        self._on_word: Callable[[int, int], None] | None = None
        self._callback = _Callback(self._dispatch)  # kept alive as long as the library may call it
        self.lib.espeak_SetSynthCallback(self._callback)

    def _dispatch(self, wav, n: int, events) -> int:
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            if events[i].type == _EVENT_WORD and self._on_word is not None:
                self._on_word(events[i].text_position, events[i].sample)
            i += 1
        if n > 0 and wav and self._on_chunk is not None:
            keep_going = self._on_chunk(np.ctypeslib.as_array(wav, (n,)).astype(np.float32) / 32768.0)
            return 0 if keep_going else 1
        return 0

    def synthesize(self, text: str, voice: str, words_per_minute: float, on_chunk: Callable[[np.ndarray], bool],
                   on_word: Callable[[int, int], None] | None = None) -> None:
        """Synthesize ``text``; ``on_chunk`` gets each float32 chunk as it is produced and returns
        False to stop; ``on_word(char_position, sample)`` is told where each word starts (1-based)."""
        data = text.encode("utf-8")
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"espeak-ng has no voice {voice!r}; try 'en-us' or 'en-us+f3'")
            rate = int(min(MAX_WPM, max(MIN_WPM, round(words_per_minute))))
            self.lib.espeak_SetParameter(_RATE, rate, 0)
            self._on_chunk, self._on_word = on_chunk, on_word
            try:
                status = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            finally:
                self._on_chunk = self._on_word = None
        if status != 0:
            raise RuntimeError(f"espeak-ng synthesis failed (status {status})")


_engine: _Espeak | None = None
_engine_lock = threading.Lock()


def engine() -> _Espeak:
    """The process-wide espeak-ng synthesizer (initialized on first use)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _Espeak()
        return _engine


def speak(text: str, voice: str = "en-us", words_per_minute: float = 175.0) -> tuple[np.ndarray, int, list[Word]]:
    """The whole utterance of ``text``: float32 samples, their sample rate and where each word starts."""
    chunks: list[np.ndarray] = []
    starts: list[tuple[int, int]] = []

    def keep(chunk: np.ndarray) -> bool:
        chunks.append(chunk)
        return True

    synth = engine()
    synth.synthesize(text, voice, words_per_minute, keep, lambda pos, sample: starts.append((pos, sample)))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    words = [Word(_word_at(text, pos), sample) for pos, sample in starts]
    return samples, synth.sample_rate, words


def _word_at(text: str, position: int) -> str:
    """The whitespace-delimited word starting at 1-based character ``position`` of ``text``."""
    rest = text[max(0, position - 1):]
    return rest.split()[0] if rest.split() else ""
