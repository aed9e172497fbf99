"""Metrics computed from per-sample *measures* of the generated samples and of fixed reference sets (video, audio).

A family of such metrics (:class:`~gan_lightning.metrics.video_quality.VideoSuite`,
:class:`~gan_lightning.metrics.audio_quality.AudioSuite`) names its measures, functions ``(batch, instruments) ->
{name: per-sample tensor}`` of a float batch on the instruments' device, and its metrics list in ``needs`` the
measures they read and the reference sets they compare against (``real``: ``metrics.real_split``; ``train``: the
training set). :class:`MeasuredQuality` measures each set once per evaluator (the generated samples once per
evaluation) for every metric that reads it, then calls each metric's ``compute(sets, scoring)`` with ``sets`` holding
the :data:`Measures` of ``generated`` and of each reference set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from gan_lightning.metrics.suite import METRICS, GeneratedSet, MetricError, Scores, Suite, named_values

Measures = dict[str, Tensor]
"""Named per-sample measurements of a set of samples (first dimension: the sample), on the CPU."""

Measure = Callable[[Tensor, Any], Measures]
"""``(batch, instruments) -> Measures`` of a float batch on the instruments' device (the measure moves any
instrument it uses there)."""

REFERENCE_SETS = ("real", "train")
"""What a measured metric's ``needs`` may name besides measures."""


@dataclass(frozen=True)
class ReferenceSet:
    """Real samples as stored (``load()``, read when a metric first needs them) and ``as_float``, a batch of them as
    the measures read it; ``extras`` are per-sample values the metrics read beside the measures (``labels``)."""

    load: Callable[[], Tensor]
    as_float: Callable[[Tensor], Tensor] = Tensor.float
    extras: Mapping[str, Tensor] | None = None


@dataclass(frozen=True)
class Scoring:
    """The settings the metrics share: KID's subsets (``metrics.kid_subsets`` / ``kid_subset_size``) and the seed of
    every random split or subset."""

    kid_subsets: int = 100
    kid_subset_size: int = 1000
    seed: int = 0


class MeasuredQuality:
    """Scores ``names`` (metrics of one measured family) of generated samples against fixed reference sets.

    Args:
        names: the metrics, each of which lists its measures and reference sets in ``needs``.
        measures: the family's measures by name.
        references: the reference sets by name (``real``, and ``train`` where a metric reads it).
        instruments: what the measures use (classifiers, evaluators), built when first used.
        family: how messages name the metrics and samples, e.g. ``("audio metrics", "clips")``.
        batch_size: samples measured at once.
    """

    def __init__(
        self,
        names: Sequence[str],
        measures: Mapping[str, Measure],
        references: Mapping[str, ReferenceSet],
        instruments: Any,
        family: tuple[str, str],
        scoring: Scoring = Scoring(),
        batch_size: int = 200,
    ) -> None:
        metrics = family[0]
        unknown = sorted(name for name in names if name not in METRICS or not _measured_by(METRICS[name], measures))
        if unknown:
            registered = [name for name, metric in METRICS.items() if _measured_by(metric, measures)]
            raise MetricError(f"unknown {metrics} {unknown}; registered: {', '.join(registered)}")
        self.names = list(dict.fromkeys(names))
        self.measures = measures
        self.references = references
        self.instruments = instruments
        self.family = family
        self.scoring = scoring
        self.batch_size = batch_size
        needs = [need for name in self.names for need in METRICS[name].needs]
        self.measure_names = [need for need in dict.fromkeys(needs) if need in measures]
        self.set_names = [need for need in dict.fromkeys(needs) if need in REFERENCE_SETS]
        self._measured: dict[str, Measures] = {}

    @property
    def num_real(self) -> int:
        return len(self.references["real"].load())

    def measure(self, samples: Callable[[range], Tensor], num: int, device: torch.device) -> Measures:
        """The measures every listed metric reads of ``samples(indices)``, ``batch_size`` samples at a time on
        ``device``; the results are gathered on the CPU."""
        parts: dict[str, list[Tensor]] = {}
        with torch.no_grad(), torch.autocast(device.type, enabled=False):
            for start in range(0, num, self.batch_size):
                batch = samples(range(start, min(start + self.batch_size, num))).to(device).float()
                for name in self.measure_names:
                    for key, value in self.measures[name](batch, self.instruments).items():
                        parts.setdefault(key, []).append(value.cpu())
        return {key: torch.cat(values) for key, values in parts.items()}

    def reference_measures(self, device: torch.device) -> dict[str, Measures]:
        """The measures of the reference sets the metrics read, each computed on its first use."""
        for name in self.set_names:
            if name not in self._measured:
                reference = self.references[name]
                stored = reference.load()
                measured = self.measure(
                    lambda i, s=stored, f=reference.as_float: f(s[i.start : i.stop]), len(stored), device
                )
                measured.update(reference.extras or {})
                self._measured[name] = measured
        return self._measured

    def check(self, num_generated: int, device: torch.device) -> None:
        """Check the counts and measure the reference sets now, so an instrument that cannot be built surfaces (and
        an evaluator is trained) before a run starts."""
        metrics, samples = self.family
        if min(self.num_real, num_generated) < 2:
            raise MetricError(
                f"{metrics} need at least 2 real and 2 generated {samples}; got {self.num_real} and {num_generated}"
            )
        self.reference_measures(device)

    def evaluate(
        self,
        generate: Callable[[range], Tensor],
        num_generated: int,
        device: torch.device,
        requested: Tensor | None = None,
    ) -> dict[str, float]:
        """The values of :attr:`names` of ``num_generated`` samples from ``generate(indices)``, which were asked for
        the classes ``requested`` (a class-conditional run's evaluation conditions; None otherwise).

        Runs with the global RNG forked, so neither a measure nor a metric can move the training run's random state.
        """
        with torch.random.fork_rng(devices=[]):
            sets = dict(self.reference_measures(device))
            generated = self.measure(generate, num_generated, device)
            if requested is not None:
                generated["requested"] = requested.cpu().long()
            sets["generated"] = generated
            values: dict[str, float] = {}
            for name in self.names:
                metric = METRICS[name]
                values.update(named_values(metric.values, metric.compute(sets, self.scoring)))
        return values

    def details(self) -> dict[str, object]:
        """What the values were computed on: the real set's count and the instruments built so far."""
        return {"num_real": self.num_real, **self.instruments.details()}


class MeasuredSuite(Suite):
    """A suite whose metrics one :class:`MeasuredQuality` computes against ``metrics.real_split``; subclasses build it
    (:meth:`~gan_lightning.metrics.suite.Suite.build`) with their measures, reference sets and instruments."""

    def __init__(self, names: Sequence[str], quality: MeasuredQuality, real_split: str) -> None:
        super().__init__(names)
        self.quality = quality
        self.real_split = real_split

    def check(self, num_generated: int, device: torch.device) -> None:
        self.quality.check(num_generated, device)

    def evaluate(self, module: Any, samples: GeneratedSet, step: int) -> Scores:
        return Scores(self.quality.evaluate(samples.generate, samples.num, module.device, samples.conditions))

    def details(self) -> dict[str, object]:
        return {"real_split": self.real_split, "scored_by": self.quality.family[0], **self.quality.details()}


def _measured_by(metric: Any, measures: Mapping[str, Measure]) -> bool:
    """Whether ``metric`` reads only ``measures`` and reference sets, and at least one of the measures."""
    return any(need in measures for need in metric.needs) and all(
        need in measures or need in REFERENCE_SETS for need in metric.needs
    )
