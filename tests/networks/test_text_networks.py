"""The token networks: RelGAN's temperature schedules, Gumbel-softmax sampling and gradients, the likelihood, and a
few training steps of each."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from gan_lightning.networks.text import (
    TEMPERATURE_SCHEDULES,
    TextCNNDiscriminator,
    TextLSTMGenerator,
    inverse_temperature,
)

SHAPE = (6, 7)  # T, V


@pytest.mark.parametrize(
    ("schedule", "step", "expected"),
    [
        ("exp", 0, 1.0),
        ("exp", 500, 10.0),  # 100 ** (500 / 1000)
        ("exp", 250, 100**0.25),
        ("linear", 0, 1.0),
        ("linear", 999, 100.0),
        ("linear", 333, 1 + 333 / 999 * 99),
        ("sigmoid", 500, 50.5),  # the midpoint: (100 - 1) / 2 + 1
        ("quad", 999, 100.0),
        ("sqrt", 999, 100.0),
        ("log", 999, 100.0),  # 1 + 99 / ln 1000 * ln 1000
        ("log", 0, 1.0),
        ("constant", 0, 100.0),
        ("exp", 1000, 100.0),  # at and after N: beta_max
        ("linear", 5000, 100.0),
    ],
)
def test_relgan_schedules_known_values(schedule: str, step: int, expected: float) -> None:
    assert inverse_temperature(schedule, 100.0, step, 1000) == pytest.approx(expected)


def test_every_schedule_rises_from_one_to_beta_max() -> None:
    for schedule in TEMPERATURE_SCHEDULES:
        values = [inverse_temperature(schedule, 50.0, i, 100) for i in range(0, 101, 10)]
        assert all(a <= b + 1e-9 for a, b in itertools.pairwise(values)), schedule
        assert values[-1] == pytest.approx(50.0) and 1.0 <= values[0] <= 50.0
    with pytest.raises(ValueError, match="allowed: constant, exp, linear"):
        inverse_temperature("cubic", 10.0, 0, 10)


def test_the_generator_advances_its_schedule_once_per_adversarial_forward() -> None:
    generator = TextLSTMGenerator(SHAPE, latent_dim=3, width=8, embedding_dim=4, temperature_max=16.0,
                                  temperature_steps=4).train()  # fmt: skip
    z = torch.randn(2, 3)
    betas = []
    for _ in range(5):
        betas.append(generator.beta)
        generator(z)
    assert betas == pytest.approx([1.0, 2.0, 4.0, 8.0, 16.0])  # 16 ** (i / 4)
    with torch.no_grad():
        generator(z)  # D's batches and sampling do not count
    generator.eval()
    generator(z)
    assert int(generator.adversarial_steps) == 5


def test_samples_are_a_function_of_their_latents() -> None:
    generator = TextLSTMGenerator(SHAPE, latent_dim=3, width=8, embedding_dim=4).eval()
    z = torch.randn(5, 3)
    with torch.no_grad():
        whole, again, part = generator(z), generator(z), generator(z[2:4])
        other = generator(torch.randn(5, 3))
    assert torch.equal(whole, again) and torch.equal(whole[2:4], part)
    assert not torch.equal(whole.argmax(-1), other.argmax(-1))
    assert torch.allclose(whole.sum(-1), torch.ones(5, SHAPE[0]))


def test_gumbel_max_samples_follow_the_softmax() -> None:
    """The first token of many samples is distributed as the softmax of the first step's logits (computed here from
    the LSTM directly), at temperature 1 and at 0.5."""
    torch.manual_seed(0)
    generator = TextLSTMGenerator((2, 4), latent_dim=2, width=8, embedding_dim=4).eval()
    with torch.no_grad():
        start = generator.embedding(torch.tensor([[4]]))
        hidden, _ = generator.lstm(start)
        logits = generator.output(hidden[0, 0]) * 3  # sharpen the distribution so it is not near-uniform
        generator.output.weight.mul_(3)
        generator.output.bias.mul_(3)
        for temperature in (1.0, 0.5):
            generator.sampling_temperature = temperature
            first = generator(torch.randn(20_000, 2)).argmax(-1)[:, 0]
            frequencies = torch.bincount(first, minlength=4).double() / len(first)
            expected = torch.softmax(logits.double() / temperature, dim=0)
            assert (frequencies - expected).abs().max().item() < 0.015


def test_discriminator_gradients_reach_the_generator_through_the_relaxation() -> None:
    for straight_through in (False, True):
        torch.manual_seed(0)
        generator = TextLSTMGenerator(SHAPE, latent_dim=3, width=8, embedding_dim=4, temperature_max=10.0,
                                      straight_through=straight_through).train()  # fmt: skip
        discriminator = TextCNNDiscriminator(SHAPE, width=4, embedding_dim=5, representations=3)
        fake = generator(torch.randn(4, 3))
        if straight_through:  # exact one-hots forward
            assert torch.allclose(fake, F.one_hot(fake.argmax(-1), SHAPE[1]).float(), atol=1e-6)
        logits = discriminator(fake)
        assert logits.shape == (4, 3)
        logits.sum().backward()
        for name, param in generator.named_parameters():
            if name != "embedding.weight":  # the fed-back token is discrete: no gradient through it, as in RelGAN
                assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_likelihood_is_the_stepwise_negative_log_likelihood() -> None:
    torch.manual_seed(1)
    generator = TextLSTMGenerator(SHAPE, latent_dim=3, width=8, embedding_dim=4)
    tokens = torch.randint(0, SHAPE[1], (3, SHAPE[0]))
    total, state, previous = 0.0, None, torch.full((3,), SHAPE[1])
    with torch.no_grad():
        for t in range(SHAPE[0]):  # one step at a time, fed the true previous token
            hidden, state = generator.lstm(generator.embedding(previous)[:, None], state)
            log_probs = torch.log_softmax(generator.output(hidden[:, 0]).double(), dim=1)
            total -= log_probs.gather(1, tokens[:, t : t + 1]).sum().item()
            previous = tokens[:, t]
        nll = generator.likelihood_loss(F.one_hot(tokens, SHAPE[1]).float()).item()
    assert nll == pytest.approx(total / tokens.numel(), rel=1e-5)
    assert 0 < nll < 2 * math.log(SHAPE[1])


def test_each_network_trains_a_few_steps() -> None:
    torch.manual_seed(0)
    data = F.one_hot(torch.tensor([[1, 2, 3, 4, 5, 6]] * 8 + [[6, 5, 4, 3, 2, 1]] * 8), SHAPE[1]).float()
    generator = TextLSTMGenerator(SHAPE, latent_dim=3, width=16, embedding_dim=8)
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-2)
    before = generator.likelihood_loss(data).item()
    for _ in range(30):
        optimizer.zero_grad()
        generator.likelihood_loss(data).backward()
        optimizer.step()
    assert generator.likelihood_loss(data).item() < 0.5 * before
    discriminator = TextCNNDiscriminator(SHAPE, width=8, embedding_dim=8)
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=1e-2)
    noise = F.one_hot(torch.randint(0, SHAPE[1], (16, SHAPE[0])), SHAPE[1]).float()

    def d_loss() -> torch.Tensor:
        return F.softplus(-(discriminator(data) - discriminator(noise))).mean()  # RSGAN's D loss

    first = d_loss().item()
    for _ in range(30):
        d_optimizer.zero_grad()
        d_loss().backward()
        d_optimizer.step()
    assert d_loss().item() < 0.5 * first


def test_bad_network_settings_are_one_line() -> None:
    with pytest.raises(ValueError, match=r"needs token data of shape \(T, V\)"):
        TextLSTMGenerator((1, 28, 28))
    with pytest.raises(ValueError, match=r"temperature_max=0.5 must be >= 1"):
        TextLSTMGenerator(SHAPE, temperature_max=0.5)
    with pytest.raises(ValueError, match="temperature_schedule 'cubic'"):
        TextLSTMGenerator(SHAPE, temperature_schedule="cubic")
    with pytest.raises(ValueError, match=r"needs token data of shape \(T, V\)"):
        TextCNNDiscriminator((2,))
