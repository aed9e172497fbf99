"""Spoken digits: zero … nine synthesised offline by real speech engines, the audio demo set (an SC09 stand-in).

Voices. eSpeak NG (Debian ``espeak-ng``) speaks each of its accents of English (:data:`ESPEAK_ACCENTS`) in each of its
~100 voice variants (``espeak-ng --voices=variant``: sex, age, breathiness, formants; ``en-us+m3`` is US English in
variant m3); CMU Flite (Debian ``flite``) adds its own voices (:data:`FLITE_VOICES`). A variant or a Flite voice is a
*timbre*, and a timbre is one speaker, but for the Flite voices :data:`SAME_SPEAKER` names as one (``kal16`` is
``kal`` at 16 kHz). The timbres are shuffled by ``data.seed`` and :data:`TEST_FRACTION` of them are held
out, with every timbre of a held-out speaker: the test split's voices use only held-out speakers, so no test speaker
is ever heard in training, in any accent or at any sample rate. Then ``data.voices`` training voices and
``data.test_voices`` test voices are drawn from the two pools.

Utterances. Each voice says every word ``data.utterances`` times, each time at a pitch (``-p``) and speed (``-s``)
drawn from :data:`PITCH` and :data:`SPEED` (Flite: its duration stretch). The word is trimmed of its silence,
resampled to ``data.sample_rate``, cut to ``data.audio_length`` with a 10 ms fade if longer, scaled to a peak drawn
from :data:`GAIN`, placed at a uniformly drawn offset in the clip and mixed with white noise at a signal-to-noise
ratio drawn from :data:`SNR_DB`. Every draw comes from a generator seeded by ``(data.seed, voice, word,
utterance)``, so the set is the same whatever the order or parallelism of synthesis.

Cache. The clips are written as 16-bit WAVs, SC09-style (``train/Seven_en-us+m3_1.wav``, ``test/...``), with a
``manifest.json`` of the options, under ``data_dir/spoken_digits/<hash of the options and engine versions>/``:
a change of any option makes a new set beside the old one. :meth:`SpokenDigitsDataModule.prepare_data` makes it
(Lightning calls it on one process per node; ``scripts/fit.py`` before anything else). Every process that finds the
set missing synthesises it into a private folder and publishes it by one atomic rename; the content is identical, so
the first to finish wins and the others discard theirs. The files are then read like any folder of WAVs
(:mod:`gan_lightning.data.audio_folder`). The defaults (240 voices x 10 words x 2) take about two minutes on two cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from torch import Tensor

from gan_lightning.config.options import positive
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import image_args, register_dataset
from gan_lightning.data.audio import DIGIT_WORDS, AudioData, audio_args
from gan_lightning.data.audio_folder import AudioFolderDataModule
from gan_lightning.data.base import DataUnavailableError, GeneratedData, usable_cpus
from gan_lightning.files import write_text_atomically

ESPEAK_ACCENTS = (
    "en",
    "en-us",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
"""eSpeak NG's English accents (its MBROLA voices need data files Debian ships separately, so they are left out)."""
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
"""CMU Flite's built-in English voices (``awb_time`` only says the time)."""
SAME_SPEAKER = {("flite", "kal16"): ("flite", "kal")}
"""``(engine, timbre)`` → the ``(engine, timbre)`` of the same speaker: Flite's ``kal16`` is the ``kal`` diphone voice
recorded at 16 kHz, one person, so a split that held out one and trained on the other would test on a training
speaker."""
TEST_FRACTION = 0.2
"""Share of the timbres held out for the test split (a held-out speaker's other timbres go with it)."""
PITCH = (25, 75)
"""eSpeak's pitch ``-p`` (0-99, default 50), drawn per utterance."""
SPEED = (130, 210)
"""Speaking rate in words per minute (eSpeak's ``-s``, default 175; Flite: duration stretch 175 / rate)."""
GAIN = (0.3, 0.9)
"""The clip's peak amplitude, drawn per utterance."""
SNR_DB = (25.0, 45.0)
"""Signal-to-noise ratio of the added white noise, in dB of the peak, drawn per utterance."""
TRIM = 0.02
"""A word's leading and trailing samples quieter than this share of its peak are trimmed before it is placed."""
FADE_SECONDS = 0.01
"""A word longer than the clip is cut with a fade-out this long, so the cut does not click."""
FORMAT_VERSION = 1
"""Part of the cache key: raise it when the synthesis changes, so old sets are not reused."""
ENGINES = {"espeak-ng": "espeak-ng", "flite": "flite"}
"""Speech engine → the Debian package (and command) providing it."""


@dataclass(frozen=True)
class Voice:
    """One speaker: ``engine`` with ``accent`` (eSpeak; empty for Flite) and ``timbre`` (a variant or Flite voice)."""

    engine: str
    accent: str
    timbre: str

    @property
    def name(self) -> str:
        """How file names and the manifest name it: ``en-us+m3``, ``flite-slt`` (no ``_``: SC09 names split on it)."""
        name = f"{self.accent}+{self.timbre}" if self.engine == "espeak-ng" else f"flite-{self.timbre}"
        return "".join(c if c.isalnum() or c in "+-" else "-" for c in name)


def run_engine(command: Sequence[str], check: bool = True) -> str:
    """``command``'s standard output; a one-line :class:`DataUnavailableError` when it is missing or (``check``)
    fails."""
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, check=check, timeout=60)
    except FileNotFoundError as error:
        raise DataUnavailableError(
            f"data.name=spoken_digits needs the speech engine {command[0]!r}: apt-get install {ENGINES[command[0]]}"
        ) from error
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        detail = " ".join(str(getattr(error, "stderr", "") or error).split())[:200]
        raise DataUnavailableError(f"{' '.join(command)} failed: {detail}") from error
    return done.stdout


def engine_versions() -> dict[str, str]:
    """Each engine's version line: part of the cache key, since another version speaks differently."""
    return {
        "espeak-ng": run_engine(["espeak-ng", "--version"]).strip(),
        "flite": " ".join(run_engine(["flite", "--version"], check=False).split()),
    }


def timbres() -> list[tuple[str, str]]:
    """``(engine, timbre)`` of every installed eSpeak variant and every Flite voice, in a fixed order."""
    listing = run_engine(["espeak-ng", "--voices=variant"]).splitlines()[1:]
    variants = sorted({line.split()[4].split("/", 1)[1] for line in listing if len(line.split()) > 4})
    return [("espeak-ng", v) for v in variants] + [("flite", v) for v in FLITE_VOICES]


def speaker(engine: str, timbre: str) -> tuple[str, str]:
    """The speaker a timbre is: itself, or the timbre :data:`SAME_SPEAKER` names for it."""
    return SAME_SPEAKER.get((engine, timbre), (engine, timbre))


def split_voices(seed: int, train_count: int, test_count: int) -> dict[str, list[Voice]]:
    """``{"train": [...], "test": [...]}``: voices drawn from disjoint speakers (see the module doc).

    The first :data:`TEST_FRACTION` of the shuffled timbres are held out, and with them every other timbre of their
    speakers. The pools keep the shuffled order: where the held-out timbres split no speaker, they are the held-out
    timbres and the rest, as if no two timbres were one speaker."""
    pool = timbres()
    rng = np.random.default_rng([seed, 0])
    order = [pool[i] for i in rng.permutation(len(pool))]
    held_out_speakers = {speaker(*timbre) for timbre in order[: max(1, round(TEST_FRACTION * len(order)))]}

    def voices(part: list[tuple[str, str]]) -> list[Voice]:
        return [
            Voice(engine, accent, timbre)
            for engine, timbre in part
            for accent in (ESPEAK_ACCENTS if engine == "espeak-ng" else ("",))
        ]

    pools = {
        "test": voices([timbre for timbre in order if speaker(*timbre) in held_out_speakers]),
        "train": voices([timbre for timbre in order if speaker(*timbre) not in held_out_speakers]),
    }
    chosen = {}
    for split, count in (("train", train_count), ("test", test_count)):
        if count > len(pools[split]):
            key = "data.voices" if split == "train" else "data.test_voices"
            raise ValueError(f"invalid value {count} for config key {key!r}; at most {len(pools[split])} here")
        picks = np.random.default_rng([seed, 1 if split == "train" else 2]).permutation(len(pools[split]))[:count]
        chosen[split] = [pools[split][i] for i in sorted(picks)]
    return chosen


def synthesise(voice: Voice, word: str, pitch: int, speed: int, folder: str) -> tuple[np.ndarray, int]:
    """``voice`` saying ``word`` as ``(float32 samples, sample rate)``, through a WAV file in ``folder``."""
    import soundfile

    handle, path = tempfile.mkstemp(suffix=".wav", dir=folder)  # one per call: synthesis runs in threads
    os.close(handle)
    if voice.engine == "espeak-ng":
        voice_name = f"{voice.accent}+{voice.timbre}"
        run_engine(["espeak-ng", "-v", voice_name, "-p", str(pitch), "-s", str(speed), "-w", path, word])
    else:
        stretch = f"{175 / speed:.3f}"
        run_engine(["flite", "-voice", voice.timbre, "--setf", f"duration_stretch={stretch}", "-t", word, "-o", path])
    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    finally:
        os.unlink(path)
    return samples.mean(axis=1), int(rate)


def place(word: np.ndarray, rate: int, sample_rate: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """A spoken ``word`` at ``rate`` as one jittered clip ``(length,)`` at ``sample_rate`` (see the module doc)."""
    from scipy.signal import resample_poly

    loud = np.flatnonzero(np.abs(word) > TRIM * np.abs(word).max())
    word = word[loud[0] : loud[-1] + 1]
    if rate != sample_rate:
        common = np.gcd(rate, sample_rate)
        word = resample_poly(word, sample_rate // common, rate // common)
    if len(word) > length:
        fade = min(length, int(FADE_SECONDS * sample_rate))
        word = word[:length].copy()
        word[length - fade :] *= np.linspace(1.0, 0.0, fade)
    gain = rng.uniform(*GAIN) / np.abs(word).max()
    offset = int(rng.integers(0, length - len(word) + 1))
    clip = np.zeros(length)
    clip[offset : offset + len(word)] = word * gain
    noise_std = np.abs(clip).max() * 10 ** (-rng.uniform(*SNR_DB) / 20)
    clip += rng.normal(0.0, noise_std, length)
    return np.clip(clip, -1.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class SynthesisOptions:
    """Everything the set depends on: the cache key, saved in its manifest."""

    voices: int
    test_voices: int
    utterances: int
    sample_rate: int
    audio_length: int
    seed: int

    def key(self, versions: dict[str, str]) -> str:
        """The set's folder name: a hash of these options, the engines' versions and the synthesis constants."""
        constants = [PITCH, SPEED, GAIN, SNR_DB, TRIM, FADE_SECONDS, ESPEAK_ACCENTS, FLITE_VOICES, TEST_FRACTION]
        constants = [*constants, sorted(SAME_SPEAKER.items())]
        text = json.dumps([asdict(self), versions, constants, FORMAT_VERSION], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def settings_key(self) -> str:
        """:meth:`key` without the engines' versions: what the set is asked to be, the same on every machine. Which
        clips an engine renders for it is the clips' own content to say (the audio classifier hashes them)."""
        return self.key({})


def render_utterance(
    options: SynthesisOptions, voice: Voice, voice_index: int, split: str, word_index: int, take: int, folder: str
) -> tuple[str, np.ndarray]:
    """``(file name, clip)`` of one utterance; its draws are seeded by what it is, not by when it is made."""
    split_index = 0 if split == "train" else 1
    rng = np.random.default_rng([options.seed, 3, split_index, voice_index, word_index, take])
    pitch, speed = int(rng.integers(PITCH[0], PITCH[1] + 1)), int(rng.integers(SPEED[0], SPEED[1] + 1))
    word = DIGIT_WORDS[word_index]
    samples, rate = synthesise(voice, word, pitch, speed, folder)
    if not np.abs(samples).max() > 0:
        raise DataUnavailableError(f"{voice.engine} voice {voice.name} said nothing for {word!r}")
    clip = place(samples, rate, options.sample_rate, options.audio_length, rng)
    return f"{word.capitalize()}_{voice.name}_{take}.wav", clip


def synthesise_set(options: SynthesisOptions, root: str, versions: dict[str, str]) -> None:
    """Write the whole set into the new folder ``root`` (train/, test/ and manifest.json)."""
    import soundfile

    voices = split_voices(options.seed, options.voices, options.test_voices)
    jobs = [
        (voice, index, split, word_index, take)
        for split in ("train", "test")
        for index, voice in enumerate(voices[split])
        for word_index in range(len(DIGIT_WORDS))
        for take in range(options.utterances)
    ]
    for split in voices:
        os.makedirs(os.path.join(root, split))
    scratch = os.path.join(root, ".scratch")
    os.makedirs(scratch)

    def make(job: tuple[Voice, int, str, int, int]) -> None:
        voice, index, split, word_index, take = job
        name, clip = render_utterance(options, voice, index, split, word_index, take, scratch)
        soundfile.write(os.path.join(root, split, name), clip, options.sample_rate, subtype="PCM_16")

    with ThreadPoolExecutor(max_workers=min(4, usable_cpus())) as pool:
        list(pool.map(make, jobs))  # list(): the first failure is raised here
    os.rmdir(scratch)
    manifest = {
        "options": asdict(options),
        "engines": versions,
        "voices": {split: [v.name for v in voices[split]] for split in voices},
        "clips": {split: len(voices[split]) * len(DIGIT_WORDS) * options.utterances for split in voices},
    }
    write_text_atomically(os.path.join(root, "manifest.json"), json.dumps(manifest, indent=1))


def ensure_set(options: SynthesisOptions, data_dir: str) -> str:
    """The folder of the set ``options`` describe under ``data_dir``, synthesised first if it is not there."""
    versions = engine_versions()
    root = os.path.join(data_dir, "spoken_digits", options.key(versions))
    if os.path.isfile(os.path.join(root, "manifest.json")):
        return root
    os.makedirs(os.path.dirname(root), exist_ok=True)
    private = tempfile.mkdtemp(prefix=".partial-", dir=os.path.dirname(root))
    try:
        synthesise_set(options, private, versions)
        try:
            os.rename(private, root)
        except OSError:
            if not os.path.isfile(os.path.join(root, "manifest.json")):
                raise
    finally:
        shutil.rmtree(private, ignore_errors=True)
    return root


class SpokenDigitsDataModule(AudioFolderDataModule):
    """The spoken-digits set (see the module doc): ten classes, train and test splits by voice.

    Args:
        data_dir: the cache folder the set is made in.
        voices, test_voices, utterances, synthesis_seed: the set's size and seed.
        Others as :class:`~gan_lightning.data.audio.AudioDataModule`.
    """

    splits = ("train", "test")  # type: ignore[assignment]
    has_classes = True  # type: ignore[assignment]

    def __init__(
        self,
        data_dir: str,
        *args: Any,
        voices: int = 240,
        test_voices: int = 40,
        utterances: int = 2,
        synthesis_seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_dir, *args, **kwargs)
        for key, value in (("voices", voices), ("test_voices", test_voices), ("utterances", utterances)):
            if value < 1:
                raise ValueError(f"invalid value {value} for config key 'data.{key}'; allowed: an integer >= 1")
        self.options = SynthesisOptions(
            voices, test_voices, utterances, self.sample_rate, self.audio_length, synthesis_seed
        )
        self.cache_dir = data_dir
        self._prepared = False

    @property
    def clips_identity(self) -> str:
        """``spoken_digits/<settings key>``: a hash of the synthesis options, the same on every machine. Not the
        engines' versions: the audio classifier's key also hashes the clips themselves, so wherever the engines render
        the same clips the shipped classifier serves, and where they render others a one-line warning says so."""
        return f"spoken_digits/{self.options.settings_key()}"

    def unavailable(self) -> str | None:
        """Nothing is missing that :meth:`prepare_data` cannot make (a missing engine is reported when it runs)."""
        return None

    def prepare_data(self) -> None:
        """Synthesise the set into ``data_dir/spoken_digits/<key>/`` unless it is there; read from there on."""
        self.data_dir = ensure_set(self.options, self.cache_dir)
        self._prepared = True

    def read_split(self, split: str) -> tuple[Tensor, list[str] | None]:
        if not self._prepared:  # outside a Trainer (evaluate.py, notebooks): make or find the set now
            self.prepare_data()
        return super().read_split(split)


@dataclass
class SpokenDigitsData(GeneratedData, AudioData):
    """The spoken digits' options: how many voices say each digit how often (``seed`` draws the voices and every
    utterance's jitter)."""

    voices: int = positive(240)
    """Training voices (an eSpeak accent and variant, or a Flite voice); each says every digit
    ``utterances`` times."""
    test_voices: int = positive(40)
    """Voices of the test split, drawn from timbres no training voice has."""
    utterances: int = positive(2)
    """Times each voice says each digit, each at its own pitch, speed, offset, gain and noise."""


@register_dataset("spoken_digits", section=SpokenDigitsData)
def _spoken_digits(cfg: ExperimentConfig) -> SpokenDigitsDataModule:
    data = cfg.data
    return SpokenDigitsDataModule(
        data.data_dir,
        *image_args(cfg),
        voices=data.voices,
        test_voices=data.test_voices,
        utterances=data.utterances,
        synthesis_seed=data.seed,
        **audio_args(cfg),
    )
