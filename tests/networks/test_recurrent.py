"""The recurrent (LSTM/GRU) generator and discriminator for sequences of shape (T, C)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import pytest
import torch
from helpers import tiny_config, train

from gan_lightning.config.sections import section_config
from gan_lightning.losses import gradient_penalty
from gan_lightning.networks import SEQUENCE_ARCHS, build_discriminator, build_generator

SHAPE = (12, 3)  # time steps, features


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def make(arch: str, **d_options: object) -> tuple[torch.nn.Module, torch.nn.Module]:
    g_cfg = section_config("generator", arch=arch, latent_dim=2, global_latent_dim=5, width=8, depth=2, norm="none")
    d_cfg = section_config("discriminator", arch=arch, width=8, depth=2, norm="none", **d_options)
    return build_generator(g_cfg, SHAPE), build_discriminator(d_cfg, SHAPE)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "none"])
@pytest.mark.parametrize("arch", SEQUENCE_ARCHS)
def test_generator_shape_latent_size_and_range(arch: str, activation: str) -> None:
    cfg = section_config("generator", arch=arch, latent_dim=2, global_latent_dim=5, width=8, depth=2, norm="none",
                          output_activation=activation)  # fmt: skip
    generator = build_generator(cfg, SHAPE)
    assert generator.latent_size == 12 * 2 + 5
    x = generator(torch.randn(4, generator.latent_size))
    assert x.shape == (4, *SHAPE)
    if activation == "sigmoid":
        assert x.min() >= 0 and x.max() <= 1
    if activation == "tanh":
        assert x.min() >= -1 and x.max() <= 1


@pytest.mark.parametrize("arch", SEQUENCE_ARCHS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize(("per_step", "pack"), [(True, 1), (False, 1), (True, 2), (False, 2)])
def test_discriminator_logits_per_step_or_per_sequence(
    arch: str, bidirectional: bool, per_step: bool, pack: int
) -> None:
    _, discriminator = make(arch, bidirectional=bidirectional, per_step=per_step, pack=pack)
    logits = discriminator(torch.rand(8, *SHAPE))
    assert logits.shape == ((8 // pack, SHAPE[0]) if per_step else (8 // pack,))


@pytest.mark.parametrize("arch", SEQUENCE_ARCHS)
def test_global_noise_changes_every_step_and_step_noise_only_later_steps(arch: str) -> None:
    generator, _ = make(arch)
    z = torch.randn(1, generator.latent_size)
    base = generator(z)
    shifted_global = z.clone()
    shifted_global[:, -5:] += 1.0
    assert (generator(shifted_global) - base).abs().amax(dim=2).gt(1e-6).all()  # every step moves
    shifted_step = z.clone()
    shifted_step[:, 2 * 6 : 2 * 7] += 1.0  # the noise of time step 6
    change = (generator(shifted_step) - base).abs().amax(dim=2)[0]
    assert torch.equal(change[:6], torch.zeros(6)) and change[6] > 0  # causal: earlier steps do not move


def test_global_initial_state_starts_the_first_layer_where_the_global_noise_says() -> None:
    """A GRU step written out (Cho et al.'s equations, PyTorch's gate order r, z, n) from the state tanh(W g + b)."""
    cfg = section_config("generator", arch="gru", latent_dim=2, global_latent_dim=5, width=8, depth=1, norm="none",
                          output_activation="none", initial_state="global")  # fmt: skip
    generator = build_generator(cfg, SHAPE)
    z = torch.randn(3, generator.latent_size)
    shared = z[:, -5:]
    x = torch.cat([z[:, :2], shared], dim=1)  # step 0's input: its noise and the global noise
    h = torch.tanh(shared @ generator.initial.weight.T + generator.initial.bias)
    rnn = generator.rnn
    gi = x @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
    gh = h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0
    r = torch.sigmoid(gi[:, :8] + gh[:, :8])
    update = torch.sigmoid(gi[:, 8:16] + gh[:, 8:16])
    n = torch.tanh(gi[:, 16:] + r * gh[:, 16:])
    first = (1 - update) * n + update * h
    expected = first @ generator.output[0].weight.T + generator.output[0].bias
    torch.testing.assert_close(generator(z)[:, 0], expected)
    zeros = build_generator(section_config("generator", **{**cfg.__dict__, "initial_state": "zeros"}), SHAPE)
    zeros.load_state_dict({k: v for k, v in generator.state_dict().items() if not k.startswith("initial")})
    assert not torch.allclose(zeros(z)[:, 0], expected)  # the control: from a zero state the step differs


@pytest.mark.parametrize("arch", SEQUENCE_ARCHS)
def test_global_initial_state_reaches_every_layer(arch: str) -> None:
    cfg = section_config("generator", arch=arch, latent_dim=2, global_latent_dim=5, width=8, depth=2, norm="none",
                          initial_state="global")  # fmt: skip
    generator = build_generator(cfg, SHAPE)
    generator(torch.randn(4, generator.latent_size)).sum().backward()
    grad = generator.initial.weight.grad.view(2 if arch == "lstm" else 1, 2, 8, 5)  # (h/c, layer, unit, input)
    assert grad.abs().sum(dim=(2, 3)).gt(0).all()  # every layer's (and the LSTM's cell's) state is used


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"initial_state": "global", "global_latent_dim": 0}, "initial_state=global needs generator.global_latent_dim"),
        ({"initial_state": "learned"}, "initial_state='learned'; choose one of"),
    ],
)
def test_bad_initial_states_are_rejected(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_generator(section_config("generator", arch="gru", latent_dim=2, norm="none", **options), SHAPE)


def test_bidirectional_final_state_sees_the_whole_sequence() -> None:
    _, discriminator = make("gru", bidirectional=True, per_step=False)
    x = torch.rand(2, *SHAPE)
    changed_first, changed_last = x.clone(), x.clone()
    changed_first[:, 0] += 1
    changed_last[:, -1] += 1
    base = discriminator(x)
    assert not torch.allclose(discriminator(changed_first), base)
    assert not torch.allclose(discriminator(changed_last), base)


def test_packing_joins_consecutive_sequences_along_features() -> None:
    _, packed = make("gru", pack=2, per_step=False)
    x = torch.rand(4, *SHAPE)
    swapped = x[[1, 0, 2, 3]]  # reorders inside the first pack: its logit changes, the second pack's does not
    a, b = packed(x), packed(swapped)
    assert not torch.allclose(a[0], b[0]) and torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="not divisible by pack=2"):
        packed(torch.rand(3, *SHAPE))


@pytest.mark.parametrize("arch", SEQUENCE_ARCHS)
def test_gradients_reach_every_parameter(arch: str) -> None:
    generator, discriminator = make(arch, bidirectional=True, pack=2)
    discriminator(generator(torch.randn(4, generator.latent_size))).sum().backward()
    for name, param in [*generator.named_parameters(), *discriminator.named_parameters()]:
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_recurrent_weights_get_their_own_initialisation() -> None:
    generator, _ = make("lstm")
    hidden = generator.rnn.weight_hh_l0.detach()
    for gate in hidden.chunk(4):  # orthogonal per gate block (LSTM: 4 gates of width x width)
        assert torch.allclose(gate @ gate.T, torch.eye(8), atol=1e-5)
    assert torch.equal(generator.rnn.bias_ih_l0, torch.zeros_like(generator.rnn.bias_ih_l0))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"norm": "batch"}, "recurrent discriminators take norm 'none'"),
        ({"minibatch_std": True}, "do not take minibatch_std"),
    ],
)
def test_unsupported_discriminator_options_are_rejected(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_discriminator(section_config("discriminator", arch="lstm", **options), SHAPE)


def test_images_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"needs sequence data of shape \(T, C\)"):
        build_generator(section_config("generator", arch="gru", norm="none"), (1, 28, 28))


def _record_cudnn(rnn: torch.nn.Module, seen: list[bool]) -> None:
    rnn.register_forward_pre_hook(lambda module, args: seen.append(torch.backends.cudnn.enabled))


@pytest.mark.parametrize("arch", SEQUENCE_ARCHS)
def test_a_gradient_penalty_runs_the_recurrent_critic_off_cudnn_and_only_then(arch: str) -> None:
    """cuDNN's RNN kernels have no double backward, so WGAN-GP with a recurrent critic would fail at its first D step
    on a GPU: the penalty's pass runs with cuDNN off (the flag is global, so it reads the same on a CPU), the plain
    passes keep it, and the flag is restored."""
    _, discriminator = make(arch)
    seen: list[bool] = []
    _record_cudnn(discriminator.rnn, seen)
    real, fake = torch.rand(4, *SHAPE), torch.rand(4, *SHAPE)
    discriminator(real)
    penalty = gradient_penalty(discriminator, real, fake)
    penalty.backward()  # differentiable w.r.t. D's weights
    assert seen == [True, False] and torch.backends.cudnn.enabled
    assert discriminator.logit.weight.grad is not None


def test_r1_runs_the_recurrent_critic_off_cudnn_on_real_samples_only(tmp_path: Path) -> None:
    """In training, R1's pass over the real samples is the only penalised one: D's pass over the generated samples
    and every pass of the G step keep cuDNN."""
    seen: list[bool] = []

    class Record(L.Callback):
        def on_fit_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
            _record_cudnn(module.discriminator.rnn, seen)

    overrides = {"loss.gradient_penalty": 0.0, "loss.r1": 1.0, "train.max_steps": 2, "train.n_critic": 1}
    train(tiny_config(tmp_path, "rnn_sines", **overrides), callbacks=[Record()])
    # each step: D on the real samples (R1), D on the generated ones, then the G step's pass
    assert seen[:6] == [False, True, True] * 2 and torch.backends.cudnn.enabled
