"""Adversarial losses on discriminator logits.

Every loss takes the discriminator's raw, unbounded outputs (logits), never probabilities: the
log-sigmoid terms are written with ``softplus`` (``-log σ(x) = softplus(-x)``,
``-log(1 - σ(x)) = softplus(x)``), which stays finite for any logit where ``log(sigmoid(x))``
underflows to ``-inf``.

Most losses are three per-logit terms (:class:`PerLogitLoss`), which average the real and fake terms separately and
sum them, so real and fake batches may differ in size. A relativistic loss compares D's logits on real and generated
samples in G's loss as well as in D's: it sets :attr:`AdversarialLoss.generator_sees_real`, and the module passes
D's logits on the real batch to :meth:`AdversarialLoss.generator_loss` too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from torch import Tensor
from torch.nn.functional import relu, softplus


class AdversarialLoss(ABC):
    """D's and G's scalar losses from D's logits on real and generated samples."""

    generator_sees_real: ClassVar[bool] = False
    """Whether :meth:`generator_loss` needs D's logits on real samples (relativistic losses); the module computes
    them in G's step only then."""

    @abstractmethod
    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """Scalar loss the discriminator minimises."""

    @abstractmethod
    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
        """Scalar loss the generator minimises; ``real_logits`` (D on a real batch, no gradient to D) is given when
        :attr:`generator_sees_real` is set."""


class PerLogitLoss(AdversarialLoss):
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
        return self.real_term(real_logits).mean() + self.fake_term(fake_logits).mean()

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
        return self.generator_term(fake_logits).mean()


class MinimaxLoss(PerLogitLoss):
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


class HingeLoss(PerLogitLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018).

    D: ``relu(1 - r) + relu(1 + f)`` stops pushing logits beyond the margin ±1; G: ``-f``.
    """

    def real_term(self, logits: Tensor) -> Tensor:
        return relu(1 - logits)

    def fake_term(self, logits: Tensor) -> Tensor:
        return relu(1 + logits)

    def generator_term(self, logits: Tensor) -> Tensor:
        return -logits


class WassersteinLoss(PerLogitLoss):
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


class LeastSquaresLoss(PerLogitLoss):
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


class RelativisticStandardLoss(AdversarialLoss):
    """Relativistic standard GAN, RSGAN (Jolicoeur-Martineau 2019), RelGAN's loss (Nie et al. 2019), registered as
    ``rsgan`` and as ``rpgan``: R3GAN's relativistic pairing loss (Huang et al. 2024) is this loss.

    D judges how much more real a real sample looks than a generated one: ``D loss = mean(softplus(-(r - f)))``
    (``-log σ(r - f)``) over pairs of a real and a generated sample, ``G loss = mean(softplus(-(f - r)))``. G's loss
    therefore needs D's logits on real samples too (:attr:`generator_sees_real`): it raises ``f`` relative to ``r``.
    Pairs are the rows of equal-sized real and generated batches (per-step logits pair step by step).
    """

    generator_sees_real = True

    @staticmethod
    def _paired(first: Tensor, second: Tensor) -> Tensor:
        if first.shape != second.shape:
            raise ValueError(
                f"rsgan pairs real and generated logits one to one; got shapes {tuple(first.shape)} and "
                f"{tuple(second.shape)}"
            )
        return first - second

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return softplus(-self._paired(real_logits, fake_logits)).mean()

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
        if real_logits is None:
            raise ValueError("rsgan's generator loss needs D's logits on real samples (real_logits)")
        return softplus(-self._paired(fake_logits, real_logits)).mean()
