"""The video metrics (``metrics.names``: ``frame_fd``, ``clip_fd``, ``content_consistency``, ``motion`` and any
registered) of a video run every N generator steps and at the end."""

from __future__ import annotations

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only

from gan_lightning.callbacks.metric_logging import RankZeroEvaluation
from gan_lightning.callbacks.sample_quality import generated_images, real_subset
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data.base import GANDataModule
from gan_lightning.data.video import VideoSpace
from gan_lightning.metrics.classifier import dataset_classifier
from gan_lightning.metrics.clip_evaluator import BuiltEvaluator, clip_evaluator_for
from gan_lightning.metrics.sample_quality import SampleQualityError
from gan_lightning.metrics.video_quality import VideoInstruments, VideoQuality


def build_clip_evaluator(config: ExperimentConfig, datamodule: GANDataModule, rebuild: bool = False) -> BuiltEvaluator:
    """The clip evaluator of the run's clips, from ``metrics.cache_dir`` or trained now; one line when the dataset
    renders no labelled clips to train it on."""
    options = datamodule.clip_options() if isinstance(datamodule, VideoSpace) else None
    if options is None:
        raise SampleQualityError(
            f"clip_fd trains its evaluator on labelled clips the dataset renders; data.name={config.data.name} renders "
            "none (drop clip_fd from metrics.names)"
        )
    return clip_evaluator_for(datamodule, options, config.metrics.cache_dir, rebuild=rebuild)


def _logged_clip_evaluator(config: ExperimentConfig, datamodule: GANDataModule) -> BuiltEvaluator:
    """:func:`build_clip_evaluator`, its accuracies on held-out-digit clips in the run's log."""
    built = build_clip_evaluator(config, datamodule)
    rank_zero_info(built.summary())
    return built


def build_video_quality(config: ExperimentConfig, datamodule: GANDataModule) -> VideoQuality:
    """The evaluator of ``metrics.names`` against ``metrics.num_real`` clips of ``metrics.real_split`` (a seeded
    subset when the split has more); its networks are built when first used."""
    cfg = config.metrics
    instruments = VideoInstruments(
        lambda: dataset_classifier(config.data.name, cfg.classifier_weights, "the digit measure of the video metrics"),
        lambda: _logged_clip_evaluator(config, datamodule),
        datamodule.digit_window,  # type: ignore[attr-defined]
        datamodule.digits_per_frame,  # type: ignore[attr-defined]
    )
    real = real_subset(datamodule.evaluation_images(cfg.real_split), cfg.num_real)
    return VideoQuality(cfg.names, real, instruments, cfg.batch_size)  # type: ignore[arg-type]


class VideoQualityMetrics(RankZeroEvaluation):
    """Logs ``val/<value>`` of each video metric in ``metrics.names`` (``val/frame_fd``, ``val/clip_fd``,
    ``val/content_consistency``, ``val/motion_ratio``, ...) of ``num_generated`` EMA clips.

    The same seeded latents every evaluation, so successive values differ only because the generator changed. The
    networks measure on rank 0 only and the values are broadcast, so every rank (and a best-checkpoint callback on
    each) sees the same numbers.
    """

    def __init__(self, evaluator: VideoQuality, every: int, num_generated: int, seed: int) -> None:
        super().__init__(every)
        self.evaluator = evaluator
        self.num_generated = num_generated
        self.seed = seed

    def evaluate_on_rank_zero(self, trainer: L.Trainer, pl_module: L.LightningModule, step: int) -> dict[str, float]:
        generate = generated_images(pl_module, self.num_generated, self.seed)
        values = self.evaluator.evaluate(generate, self.num_generated, pl_module.device)
        return {f"val/{name}": value for name, value in values.items()}


def video_quality_callbacks(config: ExperimentConfig, datamodule: GANDataModule) -> list[L.Callback]:
    """The video metrics callback for ``config.metrics`` when it lists any; the real clips are measured (and the
    clip evaluator trained, if ``clip_fd`` needs it and the cache has none) before training starts."""
    cfg = config.metrics
    if not cfg.names:
        return []
    evaluator = build_video_quality(config, datamodule)
    if rank_zero_only.rank == 0:  # only rank 0 evaluates: other ranks need not measure (nor train) anything
        evaluator.check(cfg.num_generated, torch.device("cpu"))
    return [VideoQualityMetrics(evaluator, cfg.every, cfg.num_generated, config.seed)]
