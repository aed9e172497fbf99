"""TimeGAN's discriminative and predictive scores of generated sequences (Yoon et al. 2019).

Both train small post-hoc GRUs from scratch, as TimeGAN's official code does (its settings are the
defaults of ``metrics.timegan``), on sequences scaled to [0, 1]:

* **discriminative**: a GRU classifier (final state → logit) learns real vs generated on 80 % of each
  set; the score is ``|accuracy - 0.5|`` on the other 20 %. 0 means the classifier cannot tell them
  apart; 0.5 means it always can.
* **predictive** ("train on synthetic, test on real"): a GRU learns, on generated sequences only, to
  predict the last feature at step t+1 from the other features up to t; the score is its mean
  absolute error on the real sequences. A univariate series has no other features, so there the
  GRU predicts the next value from the series' own past. Trained on real data instead, the same model
  gives the baseline a generator can at best match.

Each score is averaged over several post-hoc models (fresh weights, splits and batches each, trained
side by side: :mod:`gan_lightning.metrics.posthoc_gru`) and reported with its standard deviation.
Everything draws from one seeded generator, so scores are repeatable and the training run's random
state is untouched. Batches are drawn with replacement (TimeGAN's code takes a fresh permutation's
head); with batches of 128 out of thousands of sequences the difference is immaterial.

Both register themselves in :data:`~gan_lightning.metrics.suite.METRICS` (bottom of this file),
which :class:`~gan_lightning.metrics.sequence_quality.SequenceQuality` computes them through.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.nn.functional import binary_cross_entropy_with_logits as bce

from gan_lightning.config.schema import TimeGANScoreConfig
from gan_lightning.metrics.posthoc_gru import GRUEnsemble
from gan_lightning.metrics.sequence_quality import sequence_metric
from gan_lightning.metrics.suite import register_metric

TRAIN_FRACTION = 0.8
"""TimeGAN's real/generated train-test split of the discriminative score."""


def hidden_units(features: int, cfg: TimeGANScoreConfig) -> int:
    """``metrics.timegan.hidden``, else half the features (at least 1), as in TimeGAN's code."""
    return cfg.hidden or max(features // 2, 1)


def _train(model: GRUEnsemble, iterations: int, lr: float, loss_of_step: Callable[[], Tensor]) -> None:
    """Adam on the summed per-model losses: each model gets exactly its own loss's gradient."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(iterations):
        loss = loss_of_step()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def _per_model_split(size: int, models: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Each model's own random train/test split of ``range(size)``: two ``(models, n)`` index tensors."""
    order = torch.stack([torch.randperm(size, generator=generator) for _ in range(models)])
    cut = int(TRAIN_FRACTION * size)
    return order[:, :cut], order[:, cut:]


def _batches(indices: Tensor, batch_size: int, generator: torch.Generator) -> Tensor:
    """A random batch of each model's ``indices`` rows: ``(models, batch_size)``."""
    picks = torch.randint(indices.shape[1], (indices.shape[0], batch_size), generator=generator)
    return indices.gather(1, picks)


def discriminative_scores(real: Tensor, generated: Tensor, cfg: TimeGANScoreConfig, seed: int) -> list[float]:
    """``|accuracy - 0.5|`` of ``cfg.runs`` post-hoc GRU classifiers on held-out real and generated sequences."""
    generator = torch.Generator().manual_seed(seed)
    runs, device = cfg.runs, real.device
    real_train, real_test = _per_model_split(len(real), runs, generator)
    fake_train, fake_test = _per_model_split(len(generated), runs, generator)
    features = real.shape[-1]
    model = GRUEnsemble(runs, features, hidden_units(features, cfg), per_step=False, generator=generator).to(device)

    labels = torch.cat([torch.ones(runs, cfg.batch_size), torch.zeros(runs, cfg.batch_size)], dim=1).to(device)

    def loss() -> Tensor:
        # TimeGAN's loss: mean cross-entropy on the real batch plus the same on the generated batch,
        # computed here in one pass over both (equal batch sizes, so it is twice the mean over the pair).
        real_batch = real[_batches(real_train, cfg.batch_size, generator).to(device)]
        fake_batch = generated[_batches(fake_train, cfg.batch_size, generator).to(device)]
        logits = model(torch.cat([real_batch, fake_batch], dim=1))
        return 2 * bce(logits, labels, reduction="none").mean(dim=1).sum()

    _train(model, cfg.discriminative_iterations, cfg.lr, loss)
    with torch.no_grad():
        correct = (model(real[real_test.to(device)]) > 0).sum(1) + (model(generated[fake_test.to(device)]) <= 0).sum(1)
    accuracy = correct.double() / (real_test.shape[1] + fake_test.shape[1])
    return (accuracy - 0.5).abs().tolist()


def next_step_task(sequences: Tensor) -> tuple[Tensor, Tensor]:
    """(inputs up to t, target at t+1): the other features → the last one; a univariate series → itself."""
    if sequences.shape[-1] == 1:
        return sequences[:, :-1], sequences[:, 1:, 0]
    return sequences[:, :-1, :-1], sequences[:, 1:, -1]


def predictive_scores(train: Tensor, test: Tensor, cfg: TimeGANScoreConfig, seed: int) -> list[float]:
    """Mean absolute error on ``test`` of ``cfg.runs`` post-hoc GRU next-step predictors trained on ``train``."""
    generator = torch.Generator().manual_seed(seed)
    runs, device = cfg.runs, train.device
    inputs, targets = next_step_task(train)
    all_rows = torch.arange(len(train)).expand(runs, -1)
    hidden = hidden_units(train.shape[-1], cfg)
    model = GRUEnsemble(runs, inputs.shape[-1], hidden, per_step=True, generator=generator).to(device)

    def loss() -> Tensor:
        rows = _batches(all_rows, cfg.batch_size, generator).to(device)
        return (torch.sigmoid(model(inputs[rows])) - targets[rows]).abs().mean(dim=(1, 2)).sum()

    _train(model, cfg.predictive_iterations, cfg.lr, loss)
    test_inputs, test_targets = next_step_task(test)
    with torch.no_grad():
        predictions = torch.sigmoid(model(test_inputs.expand(runs, *test_inputs.shape)))
    return (predictions - test_targets).abs().mean(dim=(1, 2)).tolist()


def _mean_and_std(values: Sequence[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def real_data_predictive(real: Tensor, cfg: TimeGANScoreConfig, seed: int = 0) -> dict[str, float]:
    """TimeGAN's "original data" row: the predictive score of models trained and tested on ``real``."""
    mean, std = _mean_and_std(predictive_scores(real.float(), real.float(), cfg, seed))
    return {"predictive": mean, "predictive_std": std}


TIMEGAN_SCORES = ("discriminative", "predictive")
"""TimeGAN's two scores, the ones its protocol (``scripts/benchmark.py timegan``) reports."""
register_metric("discriminative")(
    sequence_metric(
        lambda real, generated, cfg, seed: _mean_and_std(discriminative_scores(real, generated, cfg, seed)),
        values=("discriminative", "discriminative_std"),
        best=("discriminative", "min"),
    )
)
register_metric("predictive")(
    sequence_metric(
        lambda real, generated, cfg, seed: _mean_and_std(predictive_scores(generated, real, cfg, seed)),
        values=("predictive", "predictive_std"),
        best=("predictive", "min"),
    )
)
