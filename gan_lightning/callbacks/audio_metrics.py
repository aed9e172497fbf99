"""The audio metrics (``metrics.names``: ``audio_is``, ``audio_fd``, ``audio_kid``, ``audio_classes``,
``nn_distance``, ``audio_class_accuracy`` and any registered) of an audio run every N generator steps and at the end,
and what ``scripts/evaluate.py`` scores for the audio kinds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only
from torch import Tensor

from gan_lightning.callbacks.metric_logging import RankZeroEvaluation
from gan_lightning.callbacks.sample_quality import generated_images, real_subset
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data.audio import AudioDataModule
from gan_lightning.data.base import DataUnavailableError, GANDataModule
from gan_lightning.metrics.audio_classifier import BuiltAudioClassifier, LabelledClips, audio_classifier_for
from gan_lightning.metrics.audio_quality import AudioInstruments, AudioQuality, AudioScoring
from gan_lightning.metrics.sample_quality import SampleQualityError

if TYPE_CHECKING:
    from gan_lightning.conditioning import EvaluationOptions
    from gan_lightning.module import GANModule

HELD_OUT_SPLIT = "test"
"""The split the classifier's accuracy is measured on (spoken_digits: voices never heard in training)."""


def _audio_data(datamodule: GANDataModule) -> AudioDataModule:
    if not isinstance(datamodule, AudioDataModule):
        raise SampleQualityError(f"the audio metrics score audio clips; {type(datamodule).__name__} has none")
    return datamodule


def classifier_options(config: ExperimentConfig, datamodule: AudioDataModule) -> dict[str, object]:
    """What makes the dataset's clips what they are, the classifier's cache key: the dataset, its clips
    (:attr:`AudioDataModule.clips_identity`: their folder, or for ``spoken_digits`` the hash of the synthesis options
    and engines), the sample rate and the clip length. Not the representation: WaveGAN and SpecGAN runs on the same
    clips share one classifier."""
    return {
        "name": config.data.name,
        "clips": datamodule.clips_identity,
        "sample_rate": datamodule.sample_rate,
        "audio_length": datamodule.audio_length,
    }


def clip_labels(datamodule: AudioDataModule, split: str) -> Tensor:
    """The classes of ``split``'s clips; one line when the clips have none (every audio metric reads a classifier
    trained on them)."""
    try:
        return datamodule.evaluation_labels(split)
    except DataUnavailableError as error:
        raise SampleQualityError(
            f"the audio metrics read a classifier trained on labelled clips (class sub-folders or SC09 names): {error}"
        ) from error


def labelled_clips(datamodule: AudioDataModule) -> LabelledClips:
    """The real training clips and the held-out ones with their classes; one line when there are none."""
    if HELD_OUT_SPLIT not in datamodule.splits:
        raise SampleQualityError(
            f"the audio metrics' classifier is measured on held-out clips: give the data a {HELD_OUT_SPLIT}/ split"
        )
    return LabelledClips(
        datamodule.evaluation_images("train"),
        clip_labels(datamodule, "train"),
        datamodule.evaluation_images(HELD_OUT_SPLIT),
        clip_labels(datamodule, HELD_OUT_SPLIT),
    )


def build_audio_classifier(
    config: ExperimentConfig, datamodule: GANDataModule, rebuild: bool = False
) -> BuiltAudioClassifier:
    """The classifier of the run's clips, from ``metrics.cache_dir`` or trained now on the real training clips."""
    audio = _audio_data(datamodule)
    audio.setup()
    clips = labelled_clips(audio)
    return audio_classifier_for(
        clips,
        classifier_options(config, audio),
        audio.sample_rate,
        len(audio.class_names),
        config.metrics.cache_dir,
        rebuild=rebuild,
    )


def _logged_classifier(config: ExperimentConfig, datamodule: GANDataModule) -> BuiltAudioClassifier:
    """:func:`build_audio_classifier`, its held-out accuracy in the run's log."""
    built = build_audio_classifier(config, datamodule)
    rank_zero_info(built.summary())
    return built


def build_audio_quality(config: ExperimentConfig, datamodule: GANDataModule) -> AudioQuality:
    """The evaluator of ``metrics.names`` against ``metrics.num_real`` clips of ``metrics.real_split`` (a seeded
    subset when the split has more) and, for ``d_train``, every training clip; the classifier is built when first
    used."""
    cfg = config.metrics
    audio = _audio_data(datamodule)
    real: Tensor = real_subset(audio.evaluation_images(cfg.real_split), cfg.num_real)  # type: ignore[assignment]
    labels: Tensor = real_subset(clip_labels(audio, cfg.real_split), cfg.num_real)  # type: ignore[assignment]
    return AudioQuality(
        cfg.names,
        real,
        labels,
        lambda: audio.evaluation_images("train"),
        AudioInstruments(lambda: _logged_classifier(config, datamodule)),
        AudioScoring(cfg.kid_subsets, cfg.kid_subset_size, config.seed),
        cfg.batch_size,
    )


def evaluate_audio(
    evaluator: AudioQuality, module: L.LightningModule, num: int, seed: int, use_ema: bool = True
) -> dict[str, float]:
    """The metrics of ``num`` clips of ``module`` from the evaluation latents (and, class-conditional, classes) of
    ``seed``."""
    requested = module.conditioning.evaluation_conditions(num, seed)  # type: ignore[attr-defined]
    generate = generated_images(module, num, seed, use_ema)
    return evaluator.evaluate(generate, num, module.device, requested)


class AudioQualityMetrics(RankZeroEvaluation):
    """Logs ``val/<value>`` of each audio metric in ``metrics.names`` (``val/audio_is``, ``val/audio_fd``,
    ``val/d_train``, ...) of ``num_generated`` EMA clips.

    The same seeded latents every evaluation, so successive values differ only because the generator changed. The
    classifier measures on rank 0 only and the values are broadcast, so every rank (and a best-checkpoint callback on
    each) sees the same numbers.
    """

    def __init__(self, evaluator: AudioQuality, every: int, num_generated: int, seed: int) -> None:
        super().__init__(every)
        self.evaluator = evaluator
        self.num_generated = num_generated
        self.seed = seed

    def evaluate_on_rank_zero(self, trainer: L.Trainer, pl_module: L.LightningModule, step: int) -> dict[str, float]:
        values = evaluate_audio(self.evaluator, pl_module, self.num_generated, self.seed)
        return {f"val/{name}": value for name, value in values.items()}


def audio_quality_callbacks(config: ExperimentConfig, datamodule: GANDataModule) -> list[L.Callback]:
    """The audio metrics callback for ``config.metrics`` when it lists any; the real clips are measured (and the
    classifier trained, if the cache has none) before training starts."""
    cfg = config.metrics
    if not cfg.names:
        return []
    evaluator = build_audio_quality(config, datamodule)
    if rank_zero_only.rank == 0:  # only rank 0 evaluates: other ranks need not measure (nor train) anything
        evaluator.check(cfg.num_generated, torch.device("cpu"))
    return [AudioQualityMetrics(evaluator, cfg.every, cfg.num_generated, config.seed)]


def evaluate_audio_checkpoint(
    module: GANModule, config: ExperimentConfig, datamodule: GANDataModule, options: EvaluationOptions
) -> tuple[dict[str, float], dict[str, object]]:
    """``scripts/evaluate.py`` for the audio kinds: the metrics of the seeded evaluation clips, the same the training
    callback scores, and what they were computed on (the real split and count, the classifier's held-out accuracy)."""
    cfg = config.metrics
    evaluator = build_audio_quality(config, datamodule)
    values = evaluate_audio(evaluator, module, cfg.num_generated, config.seed, use_ema=not options.no_ema)
    return values, {"real_split": cfg.real_split, "scored_by": "audio metrics", **evaluator.details()}
