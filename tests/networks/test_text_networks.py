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
    RelationalMemory,
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


TWO_SEQUENCES = F.one_hot(torch.tensor([[1, 2, 3, 4, 5, 6]] * 8 + [[6, 5, 4, 3, 2, 1]] * 8), SHAPE[1]).float()
"""A set a generator learns by maximum likelihood in a few dozen steps: two sequences, eight times each."""


def assert_likelihood_halves(generator: TextLSTMGenerator, steps: int) -> None:
    """``steps`` Adam steps (lr 1e-2) on :data:`TWO_SEQUENCES` take the generator's NLL below half its start."""
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-2)
    before = generator.likelihood_loss(TWO_SEQUENCES).item()
    for _ in range(steps):
        optimizer.zero_grad()
        generator.likelihood_loss(TWO_SEQUENCES).backward()
        optimizer.step()
    assert generator.likelihood_loss(TWO_SEQUENCES).item() < 0.5 * before


def test_each_network_trains_a_few_steps() -> None:
    torch.manual_seed(0)
    generator = TextLSTMGenerator(SHAPE, latent_dim=3, width=16, embedding_dim=8)
    assert_likelihood_halves(generator, 30)
    discriminator = TextCNNDiscriminator(SHAPE, width=8, embedding_dim=8)
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=1e-2)
    noise = F.one_hot(torch.randint(0, SHAPE[1], (16, SHAPE[0])), SHAPE[1]).float()

    def d_loss() -> torch.Tensor:
        return F.softplus(-(discriminator(TWO_SEQUENCES) - discriminator(noise))).mean()  # RSGAN's D loss

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
    with pytest.raises(ValueError, match="cell 'gru'; allowed: lstm, relational_memory"):
        TextLSTMGenerator(SHAPE, cell="gru")
    with pytest.raises(ValueError, match=r"heads=0 must be >= 1"):
        TextLSTMGenerator(SHAPE, cell="relational_memory", heads=0)


# ---------------------------------------------------------------------- the relational memory (generator.cell)
RMC = {"cell": "relational_memory", "memory_slots": 2, "heads": 2, "head_size": 3}


def test_relational_memory_shapes_and_its_identity_start() -> None:
    memory = RelationalMemory(input_size=5, memory_slots=2, heads=2, head_size=3)
    outputs, state = memory(torch.randn(4, 7, 5))
    assert outputs.shape == (4, 7, 2 * 6) and state.shape == (4, 2, 6)
    assert torch.equal(outputs[:, -1], state.flatten(1))
    assert torch.equal(memory.initial_memory(1, torch.device("cpu"), torch.float32)[0],
                       torch.tensor([[1.0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0]]))  # fmt: skip
    again, _ = memory(torch.randn(4, 3, 5)[:, :1], None)
    continued, _ = memory(torch.randn(4, 1, 5), state)  # a state passed in is where it goes on from
    assert not torch.allclose(again, continued)


def test_relational_memory_gates_forced_open_and_closed() -> None:
    """Forget gate open and input gate closed: the memory is kept whatever the input. Forget gate closed and input
    gate open, with the attention's projection and the MLP's last layer zeroed: nothing is attended or added, so
    the new memory is ``tanh(LayerNorm(LayerNorm(m)))``; for the first slot of the identity start, ``e_0`` of
    size M, that is ``tanh((e_0 - 1/M) / sqrt((1/M)(1 - 1/M)))`` (up to LayerNorm's epsilon)."""
    torch.manual_seed(0)
    memory = RelationalMemory(input_size=5, memory_slots=1, heads=2, head_size=2)
    inputs = torch.randn(3, 4, 5)
    start = memory.initial_memory(3, torch.device("cpu"), torch.float32)
    memory.forget_bias, memory.input_bias = 60.0, -60.0
    outputs, _ = memory(inputs)
    assert torch.allclose(outputs, start.flatten(1)[:, None].expand(3, 4, 4), atol=1e-12)
    memory.forget_bias, memory.input_bias = -60.0, 60.0
    with torch.no_grad():
        memory.qkv.weight.zero_()
        memory.mlp[-1].weight.zero_()
        memory.mlp[-1].bias.zero_()
    outputs, _ = memory(inputs[:, :1])
    size = 4
    standardized = (torch.tensor([1.0, 0, 0, 0]) - 1 / size) / math.sqrt((1 / size) * (1 - 1 / size))
    assert torch.allclose(outputs[:, 0], torch.tanh(standardized).expand(3, 4), atol=1e-4)
    # Gates as computed: both half open at zero weights and biases, so new = tanh(c)/2 + m/2.
    with torch.no_grad():
        memory.gate_input.weight.zero_()
        memory.gate_memory.weight.zero_()
    memory.forget_bias = memory.input_bias = 0.0
    outputs, _ = memory(inputs[:, :1])
    assert torch.allclose(outputs[:, 0], (torch.tanh(standardized) + torch.tensor([1.0, 0, 0, 0])) / 2, atol=1e-4)


def test_relational_memory_attends_to_its_input() -> None:
    """With the forget gate closed, the new memory depends on the input through attention only: not at all with
    the attention's projection zeroed (uniform weights over zero values), and it does with it (a control)."""
    torch.manual_seed(0)
    memory = RelationalMemory(input_size=5, memory_slots=1, heads=2, head_size=2)
    memory.forget_bias, memory.input_bias = -60.0, 60.0
    first, second = torch.randn(1, 1, 5).expand(2, 1, 5).clone(), torch.randn(2, 1, 5)
    assert not torch.allclose(memory(first)[0], memory(second)[0], atol=1e-3)
    with torch.no_grad():
        memory.qkv.weight.zero_()
    assert torch.allclose(memory(first)[0], memory(second)[0], atol=1e-5)


def test_relational_memory_generator_gradients_reach_the_memory() -> None:
    """D's gradient reaches every parameter of the memory through the Gumbel-softmax, except the keys' layer-norm
    bias: adding one vector to every key shifts all of a query's scores alike, which the softmax ignores."""
    torch.manual_seed(0)
    generator = TextLSTMGenerator(SHAPE, latent_dim=3, embedding_dim=4, temperature_max=10.0, **RMC).train()
    assert not hasattr(generator, "lstm") and generator.core is generator.relational_memory
    discriminator = TextCNNDiscriminator(SHAPE, width=4, embedding_dim=5)
    fake = generator(torch.randn(4, 3))
    assert fake.shape == (4, *SHAPE) and torch.allclose(fake.sum(-1), torch.ones(4, SHAPE[0]))
    discriminator(fake).sum().backward()
    for name, param in generator.relational_memory.named_parameters():
        grad = param.grad if name != "qkv_norm.bias" else param.grad.view(2, 3, 3)[:, [0, 2]]  # heads x (q, k, v)
        assert grad is not None and grad.abs().sum() > 0, name
    key_bias = generator.relational_memory.qkv_norm.bias.grad.view(2, 3, 3)[:, 1]
    assert key_bias.abs().max() < 1e-6


def test_relational_memory_likelihood_is_stepwise_and_trains() -> None:
    torch.manual_seed(1)
    generator = TextLSTMGenerator(SHAPE, latent_dim=3, embedding_dim=4, **RMC)
    tokens = torch.randint(0, SHAPE[1], (3, SHAPE[0]))
    total, state, previous = 0.0, None, torch.full((3,), SHAPE[1])
    with torch.no_grad():
        for t in range(SHAPE[0]):
            hidden, state = generator.relational_memory(generator.embedding(previous)[:, None], state)
            log_probs = torch.log_softmax(generator.output(hidden[:, 0]).double(), dim=1)
            total -= log_probs.gather(1, tokens[:, t : t + 1]).sum().item()
            previous = tokens[:, t]
        assert generator.likelihood_loss(F.one_hot(tokens, SHAPE[1]).float()).item() == pytest.approx(
            total / tokens.numel(), rel=1e-5
        )
    assert_likelihood_halves(generator, 60)


def test_likelihood_over_real_tokens_only() -> None:
    """A mask of the real tokens: the mean over the counted positions, computed here from per-position NLLs; an
    all-true mask gives the plain mean, and no mask is the plain mean exactly (the oracle's path)."""
    torch.manual_seed(2)
    generator = TextLSTMGenerator(SHAPE, latent_dim=3, width=8, embedding_dim=4)
    tokens = torch.tensor([[3, 4, 1, 0, 0, 0], [5, 6, 2, 3, 1, 0]])  # <eos> = 1, <pad> = 0
    data = F.one_hot(tokens, SHAPE[1]).float()
    with torch.no_grad():
        inputs = torch.cat([torch.full((2, 1), SHAPE[1]), tokens[:, :-1]], dim=1)
        hidden, _ = generator.lstm(generator.embedding(inputs))
        per_position = -torch.log_softmax(generator.output(hidden).double(), -1).gather(2, tokens[..., None])[..., 0]
        mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0]], dtype=torch.bool)
        expected = (per_position[0, :3].sum() + per_position[1, :5].sum()).item() / 8
        assert generator.likelihood_loss(data, mask).item() == pytest.approx(expected, rel=1e-5)
        assert expected != pytest.approx(per_position.mean().item(), rel=1e-3)  # the pads did count before
        plain = generator.likelihood_loss(data)
        assert plain.item() == pytest.approx(per_position.mean().item(), rel=1e-5)
        assert generator.likelihood_loss(data, torch.ones(2, SHAPE[0], dtype=torch.bool)).item() == pytest.approx(
            plain.item(), rel=1e-6
        )
