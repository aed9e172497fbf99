"""Adversarial losses on discriminator logits.

Every loss takes the discriminator's raw, unbounded outputs (logits), never probabilities: the
log-sigmoid terms are written with ``softplus`` (``-log σ(x) = softplus(-x)``,
``-log(1 - σ(x)) = softplus(x)``), which stays finite for any logit where ``log(sigmoid(x))``
underflows to ``-inf``.

A loss is three per-logit terms; the base class averages the real and fake terms separately and
sums them, so real and fake batches may differ in size.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from torch import Tensor
from torch.nn.functional import relu, softplus


class AdversarialLoss(ABC):
    """``D loss = mean(real_term(r)) + mean(fake_term(f))``, ``G loss = mean(generator_term(f))``."""

    @abstractmethod
    def real_term(self, logits: Tensor) -> Tensor:
        """Per-logit discriminator loss on real samples."""

    @abstractmethod
    def fake_term(self, logits: Tensor) -> Tensor:
        """Per-logit discriminator loss on generated samples."""

    @abstractmethod
    def generator_term(self, logits: Tensor) -> Tensor:
        """Per-logit generator loss on generated samples."""

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """Scalar loss the discriminator minimises."""
        return self.real_term(real_logits).mean() + self.fake_term(fake_logits).mean()

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        """Scalar loss the generator minimises."""
        return self.generator_term(fake_logits).mean()


class MinimaxLoss(AdversarialLoss):
    """Original saturating GAN (Goodfellow et al. 2014).

    D minimises ``-log σ(r) - log(1 - σ(f)) = softplus(-r) + softplus(f)``; G minimises
    ``log(1 - σ(f)) = -softplus(f)``. Its gradient ``-σ(f)`` vanishes when D confidently rejects
    fakes (``f → -∞``), which is why G learns slowly early in training.
    """

    def real_term(self, logits: Tensor) -> Tensor:
        return softplus(-logits)

    def fake_term(self, logits: Tensor) -> Tensor:
        return softplus(logits)

    def generator_term(self, logits: Tensor) -> Tensor:
        return -softplus(logits)


class NonSaturatingLoss(MinimaxLoss):
    """Non-saturating GAN (Goodfellow et al. 2014, §3): D as minimax, G minimises ``-log σ(f)``.

    ``softplus(-f)`` has gradient ``-σ(-f) → -1`` as ``f → -∞``, so G gets a strong signal exactly
    when D rejects its samples.
    """

    def generator_term(self, logits: Tensor) -> Tensor:
        return softplus(-logits)


class HingeLoss(AdversarialLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018).

    D: ``relu(1 - r) + relu(1 + f)`` stops pushing logits beyond the margin ±1; G: ``-f``.
    """

    def real_term(self, logits: Tensor) -> Tensor:
        return relu(1 - logits)

    def fake_term(self, logits: Tensor) -> Tensor:
        return relu(1 + logits)

    def generator_term(self, logits: Tensor) -> Tensor:
        return -logits


class WassersteinLoss(AdversarialLoss):
    """Wasserstein critic loss (Arjovsky et al. 2017): D ``f - r``, G ``-f``.

    Estimates the Wasserstein-1 distance only for a 1-Lipschitz critic; pair it with weight
    clipping, a gradient penalty or spectral normalisation.
    """

    def real_term(self, logits: Tensor) -> Tensor:
        return -logits

    def fake_term(self, logits: Tensor) -> Tensor:
        return logits

    def generator_term(self, logits: Tensor) -> Tensor:
        return -logits


class LeastSquaresLoss(AdversarialLoss):
    """Least-squares GAN (Mao et al. 2017) with targets ``a = 0`` (fake), ``b = c = 1`` (real).

    D: ``½(r - 1)² + ½f²``; G: ``½(f - 1)²``. The quadratic penalises samples on the correct side
    of the boundary but far from the real data, so G's gradient does not vanish.
    """

    def real_term(self, logits: Tensor) -> Tensor:
        return 0.5 * (logits - 1) ** 2

    def fake_term(self, logits: Tensor) -> Tensor:
        return 0.5 * logits**2

    def generator_term(self, logits: Tensor) -> Tensor:
        return 0.5 * (logits - 1) ** 2
