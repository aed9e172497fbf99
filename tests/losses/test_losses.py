"""Adversarial losses and gradient penalties against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn

from gan_lightning.losses import LOSSES, AdversarialLoss, build_loss, gradient_penalty, zero_centred_penalty

REAL = [2.0, -1.0]
FAKE = [0.5, -3.0]


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


# (discriminator loss, generator loss) for REAL, FAKE, written from each paper's formula.
EXPECTED = {
    "minimax": (
        mean([softplus(-r) for r in REAL]) + mean([softplus(f) for f in FAKE]),
        mean([math.log(1 - 1 / (1 + math.exp(-f))) for f in FAKE]),
    ),
    "non_saturating": (
        mean([-math.log(1 / (1 + math.exp(-r))) for r in REAL])
        + mean([-math.log(1 - 1 / (1 + math.exp(-f))) for f in FAKE]),
        mean([-math.log(1 / (1 + math.exp(-f))) for f in FAKE]),
    ),
    "hinge": (
        mean([max(0.0, 1 - r) for r in REAL]) + mean([max(0.0, 1 + f) for f in FAKE]),
        -mean(FAKE),
    ),
    "wasserstein": (mean(FAKE) - mean(REAL), -mean(FAKE)),
    "least_squares": (
        mean([0.5 * (r - 1) ** 2 for r in REAL]) + mean([0.5 * f**2 for f in FAKE]),
        mean([0.5 * (f - 1) ** 2 for f in FAKE]),
    ),
    # RSGAN (Jolicoeur-Martineau 2019): -log sigmoid(r - f) for D, -log sigmoid(f - r) for G, over (real, fake) pairs.
    "rsgan": (
        mean([-math.log(1 / (1 + math.exp(-(r - f)))) for r, f in zip(REAL, FAKE, strict=True)]),
        mean([-math.log(1 / (1 + math.exp(-(f - r)))) for r, f in zip(REAL, FAKE, strict=True)]),
    ),
    # RpGAN as R3GAN's code writes it (Huang et al. 2024): softplus(-(D(x) - D(G(z)))) for D, softplus(-(f - r)) for G.
    "rpgan": (
        mean([math.log1p(math.exp(f - r)) for r, f in zip(REAL, FAKE, strict=True)]),
        mean([math.log1p(math.exp(r - f)) for r, f in zip(REAL, FAKE, strict=True)]),
    ),
}


def test_registry_covers_every_loss() -> None:
    assert set(LOSSES) == set(EXPECTED)
    for name, cls in LOSSES.items():
        assert isinstance(build_loss(name), cls) and isinstance(build_loss(name), AdversarialLoss)


def test_unknown_loss_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"allowed: minimax, non_saturating, hinge, wasserstein, least_squares, rsgan"):
        build_loss("relativistic")


@pytest.mark.parametrize("name", list(EXPECTED))
def test_loss_values_match_the_formulas(name: str) -> None:
    loss = build_loss(name)
    d_expected, g_expected = EXPECTED[name]
    d = loss.discriminator_loss(torch.tensor(REAL, dtype=torch.float64), torch.tensor(FAKE, dtype=torch.float64))
    # D's logits on real samples: ignored by every loss but the relativistic one, whose G compares with them
    g = loss.generator_loss(torch.tensor(FAKE, dtype=torch.float64), torch.tensor(REAL, dtype=torch.float64))
    assert d.dim() == 0 and g.dim() == 0
    assert d.item() == pytest.approx(d_expected, rel=1e-12)
    assert g.item() == pytest.approx(g_expected, rel=1e-12)


def test_hand_numbers_for_hinge_wasserstein_least_squares() -> None:
    """Guards the EXPECTED table itself with numbers worked out on paper."""
    assert EXPECTED["hinge"] == pytest.approx((1.75, 1.25))
    assert EXPECTED["wasserstein"] == pytest.approx((-1.75, 1.25))
    assert EXPECTED["least_squares"] == pytest.approx((3.5625, 4.0625))


def test_rsgan_by_hand_and_its_needs() -> None:
    """Worked on paper: r - f = (1.5, 2.0); D: mean(softplus(-1.5), softplus(-2)); G: mean(softplus(1.5),
    softplus(2))."""
    loss = build_loss("rsgan")
    real, fake = torch.tensor(REAL, dtype=torch.float64), torch.tensor(FAKE, dtype=torch.float64)
    assert loss.discriminator_loss(real, fake).item() == pytest.approx((0.201413 + 0.126928) / 2, abs=1e-6)
    assert loss.generator_loss(fake, real).item() == pytest.approx((1.701413 + 2.126928) / 2, abs=1e-6)
    relativistic = ("rsgan", "rpgan")
    assert loss.generator_sees_real and not any(
        build_loss(n).generator_sees_real for n in LOSSES if n not in relativistic
    )
    # shifting every logit by the same amount changes nothing: only the difference real - fake counts
    assert loss.generator_loss(fake + 3, real + 3).item() == pytest.approx(loss.generator_loss(fake, real).item())
    with pytest.raises(ValueError, match="needs D's logits on real samples"):
        loss.generator_loss(fake)
    with pytest.raises(ValueError, match=r"pairs real and generated logits one to one; got shapes \(2,\) and \(3,\)"):
        loss.discriminator_loss(real, torch.zeros(3, dtype=torch.float64))


def test_real_and_fake_terms_are_averaged_separately() -> None:
    real, fake = torch.tensor(REAL), torch.tensor([0.5, -3.0, 1.0])
    # hinge: mean(relu(1 - r)) = (0 + 2) / 2, mean(relu(1 + f)) = (1.5 + 0 + 2) / 3
    assert build_loss("hinge").discriminator_loss(real, fake).item() == pytest.approx(1 + 3.5 / 3)


def generator_grad(name: str, fake_logit: float) -> float:
    logit = torch.tensor([fake_logit], dtype=torch.float64, requires_grad=True)
    build_loss(name).generator_loss(logit).backward()
    return logit.grad.item()


def test_minimax_generator_saturates_where_non_saturating_does_not() -> None:
    """Goodfellow et al. 2014 §3: when D confidently rejects fakes, log(1 - D) gives no gradient."""
    confident_reject = -10.0
    # d/df [-softplus(f)] = -σ(f) ≈ -4.5e-5;  d/df [softplus(-f)] = -σ(-f) ≈ -1
    assert generator_grad("minimax", confident_reject) == pytest.approx(-1 / (1 + math.exp(10)))
    assert abs(generator_grad("minimax", confident_reject)) < 1e-4
    assert generator_grad("non_saturating", confident_reject) == pytest.approx(-1 / (1 + math.exp(-10)))
    # both push f up with the same gradient where D is undecided
    assert generator_grad("minimax", 0.0) == pytest.approx(generator_grad("non_saturating", 0.0))


@pytest.mark.parametrize("name", list(EXPECTED))
def test_extreme_logits_give_finite_losses_and_gradients(name: str) -> None:
    loss = build_loss(name)
    real = torch.tensor([1e4, -1e4], requires_grad=True)
    fake = torch.tensor([1e4, -1e4], requires_grad=True)
    d, g = loss.discriminator_loss(real, fake), loss.generator_loss(fake, real)
    assert torch.isfinite(d) and torch.isfinite(g)
    grads = torch.autograd.grad(d + g, (real, fake))
    assert all(torch.isfinite(grad).all() for grad in grads)


def linear_critic(weight: Tensor) -> nn.Linear:
    critic = nn.Linear(weight.numel(), 1, bias=True, dtype=torch.float64)
    with torch.no_grad():
        critic.weight.copy_(weight.unsqueeze(0))
        critic.bias.fill_(0.7)
    return critic


W = torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64)  # ‖w‖ = 3


def test_gradient_penalty_of_a_linear_critic_is_independent_of_alpha() -> None:
    critic = linear_critic(W)
    real, fake = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    for seed in range(3):
        torch.manual_seed(seed)
        assert gradient_penalty(critic, real, fake).item() == pytest.approx((3 - 1) ** 2)


def test_gradient_penalty_of_a_quadratic_critic_matches_hand_value() -> None:
    """D(x) = ‖x‖²/2 has ∇D(x̂) = x̂, so the penalty is mean((‖x̂‖ - 1)²) with the same α."""
    real = torch.randn(4, 2, 3, 3, dtype=torch.float64)
    fake = torch.randn(4, 2, 3, 3, dtype=torch.float64)

    def critic(x: Tensor) -> Tensor:
        return x.pow(2).flatten(1).sum(dim=1) / 2

    torch.manual_seed(123)
    penalty = gradient_penalty(critic, real, fake)
    torch.manual_seed(123)
    alpha = torch.rand(4, 1, 1, 1, dtype=torch.float64)
    interpolated = alpha * real + (1 - alpha) * fake
    expected = mean([(x.norm().item() - 1) ** 2 for x in interpolated])
    assert penalty.item() == pytest.approx(expected, rel=1e-10)


def test_gradient_penalty_trains_the_critic_and_not_the_inputs() -> None:
    critic = linear_critic(W)
    real = torch.randn(5, 3, dtype=torch.float64)
    fake = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    gradient_penalty(critic, real, fake).backward()
    # d/dw (‖w‖ - 1)² = 2 (‖w‖ - 1) w / ‖w‖
    assert torch.allclose(critic.weight.grad.squeeze(0), 2 * (3 - 1) * W / 3)
    assert fake.grad is None


def test_gradient_penalty_handles_a_packed_discriminator() -> None:
    """PacGAN with pack 2: D judges pairs, so the norm is the pack's: ‖w‖ over both halves, sqrt(3² + 5²)."""
    w = torch.tensor([1.0, 2.0, 2.0, 0.0, 3.0, 4.0], dtype=torch.float64)  # halves: ‖·‖ = 3 and 5
    packed = linear_critic(w)

    def critic(x: Tensor) -> Tensor:
        return packed(x.reshape(x.shape[0] // 2, -1)).squeeze(1)

    real, fake = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    penalty = gradient_penalty(critic, real, fake)
    assert penalty.item() == pytest.approx((34**0.5 - 1) ** 2)
    penalty.backward()
    assert packed.weight.grad is not None and torch.isfinite(packed.weight.grad).all()


def test_gradient_penalty_of_a_per_step_critic_is_that_of_its_mean_logit() -> None:
    """A per-step critic's value for a sequence is the mean of its T logits (what the loss averages). With
    ``logit_t = w_t · x_t``, the gradient of the mean is ``w_t / T`` at step t, so ‖∇‖ = ‖W‖_F / T, here 3 / 4: not
    ‖W‖_F (= 3), which differentiating the sum of the logits gave."""
    steps = 4
    weights = torch.zeros(steps, 3, dtype=torch.float64)
    weights[:, :] = W / 2  # ‖W‖_F = sqrt(4 · 9 / 4) = 3

    def critic(x: Tensor) -> Tensor:  # (B, T, 3) -> (B, T): one logit per step
        return (x * weights).sum(dim=2)

    real, fake = torch.randn(5, steps, 3, dtype=torch.float64), torch.randn(5, steps, 3, dtype=torch.float64)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx((3 / steps - 1) ** 2)
    real.requires_grad_(True)
    assert zero_centred_penalty(critic(real), real).item() == pytest.approx((3 / steps) ** 2)


def test_r1_of_a_patch_critic_is_that_of_its_mean_logit() -> None:
    """PatchGAN-like: each of P patches of an image gets ``logit_p = sum(x_p)``; the mean over patches has gradient
    1/P at every pixel, so ‖∇‖² = pixels / P², here 16 / 16 = 1 (the sum of the logits gave 16)."""
    image = torch.randn(3, 1, 4, 4, dtype=torch.float64, requires_grad=True)

    def patches(x: Tensor) -> Tensor:  # (B, 1, 4, 4) -> (B, 1, 2, 2): the sum of each 2x2 patch
        return nn.functional.avg_pool2d(x, 2) * 4

    assert zero_centred_penalty(patches(image), image).item() == pytest.approx(16 / 4**2)


def test_r1_of_a_linear_critic_is_the_squared_weight_norm() -> None:
    critic = linear_critic(W)
    real = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    assert zero_centred_penalty(critic(real), real).item() == pytest.approx(9.0)


def test_r1_of_a_quadratic_critic_matches_hand_value() -> None:
    """D(x) = Σx² has ∇D(x) = 2x, so R1 = mean(4‖x‖²)."""
    real = torch.randn(4, 2, 5, dtype=torch.float64, requires_grad=True)
    penalty = zero_centred_penalty(real.pow(2).flatten(1).sum(dim=1), real)
    expected = mean([4 * x.norm().item() ** 2 for x in real.detach()])
    assert penalty.item() == pytest.approx(expected, rel=1e-10)


def test_r1_trains_the_critic() -> None:
    critic = linear_critic(W)
    real = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    zero_centred_penalty(critic(real), real).backward()
    assert torch.allclose(critic.weight.grad.squeeze(0), 2 * W)  # d/dw ‖w‖²


def test_r1_requires_inputs_that_track_gradients() -> None:
    critic = linear_critic(W)
    real = torch.randn(5, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="requires_grad"):
        zero_centred_penalty(critic(real), real)


def test_grad_scale_does_not_change_the_penalties() -> None:
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 1))
    real, fake = torch.randn(6, 3, 2, 2), torch.randn(6, 3, 2, 2)

    torch.manual_seed(1)
    plain = gradient_penalty(critic, real, fake)
    torch.manual_seed(1)
    scaled = gradient_penalty(critic, real, fake, grad_scale=65536.0)
    assert scaled.dtype == torch.float32
    assert scaled.item() == pytest.approx(plain.item(), rel=1e-5)

    real.requires_grad_(True)
    logits = critic(real)
    plain_r1 = zero_centred_penalty(logits, real)
    scaled_r1 = zero_centred_penalty(logits, real, grad_scale=65536.0)
    assert scaled_r1.item() == pytest.approx(plain_r1.item(), rel=1e-5)


def test_fp16_critic_with_the_default_grad_scaler_scale_stays_finite() -> None:
    """65536 (GradScaler's initial scale) per fp16 logit would overflow; spread over logits it does not."""
    torch.manual_seed(0)
    critic = nn.Linear(6, 1).half()
    real = torch.randn(16, 6).half().requires_grad_(True)
    logits = critic(real).view(-1)
    plain = zero_centred_penalty(logits, real)
    scaled = zero_centred_penalty(logits, real, grad_scale=65536.0)
    assert torch.isfinite(scaled) and scaled.item() == pytest.approx(plain.item(), rel=1e-2)
    fake = torch.randn(16, 6).half()
    assert torch.isfinite(gradient_penalty(lambda x: critic(x).view(-1), real, fake, grad_scale=65536.0))


def test_half_precision_gradients_are_normed_in_float32() -> None:
    real = torch.randn(4, 3, dtype=torch.bfloat16, requires_grad=True)
    assert zero_centred_penalty(real.pow(2).sum(dim=1), real).dtype == torch.float32
    assert gradient_penalty(lambda x: x.pow(2).sum(dim=1), real, real).dtype == torch.float32
