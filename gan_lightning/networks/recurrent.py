"""Recurrent generator and discriminator for sequences of shape ``(T, C)`` (time steps, features).

The generator follows C-RNN-GAN / RCGAN (Mogren 2016, Esteban et al. 2017): a fresh noise vector at
every time step, optionally joined by one global noise vector repeated at every step (it carries what
stays constant over a sequence, e.g. a frequency), run through stacked LSTM/GRU layers and mapped to
the C features by one linear layer shared across time. The discriminator runs a (bi)directional
LSTM/GRU over the sequence and judges either every time step (RCGAN: one logit per step, the loss
averages them) or the final state only.

The module samples a flat latent vector per sequence, ``T * latent_dim + global_latent_dim`` long
(``latent_size``), so slerp walks, fixed noise and world-size independent noise work unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gan_lightning.config.options import non_negative, positive
from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig
from gan_lightning.networks.init import init_weights
from gan_lightning.networks.layers import output_activation_layer, twice_differentiable_rnn

RECURRENT_CELLS: dict[str, type[nn.LSTM] | type[nn.GRU]] = {"lstm": nn.LSTM, "gru": nn.GRU}
INITIAL_STATES = ("zeros", "global")
"""Where a recurrent generator's state starts (``generator.initial_state``)."""
RECURRENT_NORMS = ("none",)
"""Batch norm mixes time steps and samples, and spectral norm on recurrent weights is not a standard
recipe; recurrent networks take no normalization (the RCGAN and TimeGAN recipes use none)."""


def sequence_geometry(data_shape: tuple[int, ...], arch: str) -> tuple[int, int]:
    """(time steps, features) of a ``(T, C)`` shape; rejects image or point shapes."""
    if len(data_shape) != 2:
        raise ValueError(f"{arch} needs sequence data of shape (T, C); got {data_shape}")
    return int(data_shape[0]), int(data_shape[1])


def _check_norm(norm: str, role: str) -> None:
    if norm not in RECURRENT_NORMS:
        raise ValueError(f"recurrent {role}s take norm 'none', not {norm!r} (set {role}.norm=none)")


def _init_recurrent(module: nn.Module, scheme: str) -> None:
    """Initialise the linear layers like every other network and the recurrent weights per matrix.

    ``dcgan``'s normal(0, 0.02) would shrink a recurrent state to nothing over 24 steps, so the
    recurrent weights keep a variance-preserving scheme: orthogonal hidden-to-hidden, Xavier
    input-to-hidden (the usual RNN initialisation), zero biases; ``default`` keeps PyTorch's.
    """
    init_weights(module, scheme)
    if scheme == "default":
        return
    for rnn in (m for m in module.modules() if isinstance(m, nn.LSTM | nn.GRU)):
        for name, weight in rnn.named_parameters():
            if name.startswith("weight_hh"):
                for gate in weight.detach().chunk(weight.shape[0] // rnn.hidden_size):
                    nn.init.orthogonal_(gate)
            elif name.startswith("weight_ih"):
                nn.init.xavier_uniform_(weight)
            else:
                nn.init.zeros_(weight)


@dataclass
class RecurrentGeneratorConfig(GeneratorConfig):
    """The recurrent generators' options (lstm, gru)."""

    depth: int = positive(3)
    """Stacked recurrent layers."""
    global_latent_dim: int = non_negative(0)
    """Noise dimensions drawn once per sequence and fed at every step, beside the per-step noise."""
    initial_state: str = "zeros"
    """Zeros | global (a linear map of the global noise sets every layer's initial state, so the sequence
    starts in the regime it runs in instead of a start-up transient from a zero state)."""


@dataclass
class RecurrentDiscriminatorConfig(DiscriminatorConfig):
    """The recurrent discriminators' options (lstm, gru)."""

    depth: int = positive(3)
    """Stacked recurrent layers."""
    bidirectional: bool = False
    """Read the sequence in both directions."""
    per_step: bool = True
    """One logit per time step, averaged by the loss (RCGAN); false: one logit per sequence
    from the final state(s)."""


class RecurrentGenerator(nn.Module):
    """Noise sequence → ``depth`` stacked RNN layers of ``width`` units → linear → activation → (B, T, C).

    Args:
        latent_dim: noise features drawn fresh at every time step.
        global_latent_dim: noise features drawn once per sequence and fed at every step (0: none).
        initial_state: ``zeros`` (every layer starts from a zero state) or ``global`` (a linear map of the global
            noise, through tanh, gives every layer its initial state). From zeros the first steps are a start-up
            transient: the state needs a step or two to reach the regime the rest of the sequence runs in, so the
            first values jump (on the CO2 windows: a first week several ppm off the rest), which a critic averaging
            24 per-step logits barely penalises and a post-hoc classifier spots at once.
    """

    data_kinds = ("sequences",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""

    cell = "lstm"

    def __init__(
        self,
        data_shape: tuple[int, ...],
        latent_dim: int = 4,
        global_latent_dim: int = 0,
        width: int = 64,
        depth: int = 2,
        norm: str = "none",
        output_activation: str = "sigmoid",
        init: str = "default",
        initial_state: str = "zeros",
    ) -> None:
        super().__init__()
        _check_norm(norm, "generator")
        if initial_state not in INITIAL_STATES:
            raise ValueError(f"generator.initial_state={initial_state!r}; choose one of {INITIAL_STATES}")
        if initial_state == "global" and global_latent_dim < 1:
            raise ValueError("generator.initial_state=global needs generator.global_latent_dim >= 1")
        self.data_shape = tuple(data_shape)
        self.length, features = sequence_geometry(self.data_shape, f"the {self.cell} generator")
        self.step_dim = latent_dim
        self.global_dim = global_latent_dim
        self.latent_size = self.length * latent_dim + global_latent_dim
        self.rnn = RECURRENT_CELLS[self.cell](latent_dim + global_latent_dim, width, depth, batch_first=True)
        self.output = nn.Sequential(nn.Linear(width, features), output_activation_layer(output_activation))
        states = 2 if self.cell == "lstm" else 1  # an LSTM layer's state is (h, c)
        self.initial = nn.Linear(global_latent_dim, states * depth * width) if initial_state == "global" else None
        _init_recurrent(self, init)

    def initial_states(self, shared: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None:
        """The RNN's initial state from the global noise ``(B, global_latent_dim)``, as ``nn.GRU`` / ``nn.LSTM``
        take it (``(depth, B, width)``, a pair for the LSTM); None (zeros) without ``initial_state: global``."""
        if self.initial is None:
            return None
        layers, width = self.rnn.num_layers, self.rnn.hidden_size
        states = torch.tanh(self.initial(shared)).view(len(shared), -1, layers, width).permute(1, 2, 0, 3)
        return (states[0].contiguous(), states[1].contiguous()) if self.cell == "lstm" else states[0].contiguous()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        batch = z.shape[0]
        steps = z[:, : self.length * self.step_dim].view(batch, self.length, self.step_dim)
        shared = z[:, self.length * self.step_dim :]
        if self.global_dim:
            steps = torch.cat([steps, shared.unsqueeze(1).expand(batch, self.length, self.global_dim)], dim=2)
        hidden, _ = self.rnn(steps, self.initial_states(shared))
        return self.output(hidden)


class RecurrentDiscriminator(nn.Module):
    """Pack → ``depth`` stacked (bidirectional) RNN layers → linear → logits.

    Returns ``(B // pack, T)`` logits, one per time step, with ``per_step`` (the loss averages them,
    as in RCGAN), else ``(B // pack,)`` from the last step's output (both directions' final states
    when bidirectional). PacGAN packing joins ``pack`` sequences along the feature axis.
    """

    data_kinds = ("sequences",)
    """The kinds of data this network takes (``gan_lightning/kinds``); the config validator checks it."""
    feature_layer = "logit"
    """The layer whose input is this network's features: what feature matching compares (``loss.feature_matching``)."""

    cell = "lstm"

    def __init__(
        self,
        data_shape: tuple[int, ...],
        width: int = 64,
        depth: int = 1,
        norm: str = "none",
        init: str = "default",
        minibatch_std: bool = False,
        pack: int = 1,
        bidirectional: bool = False,
        per_step: bool = True,
    ) -> None:
        super().__init__()
        _check_norm(norm, "discriminator")
        if minibatch_std:
            raise ValueError("recurrent discriminators do not take minibatch_std (use discriminator.pack)")
        self.data_shape = tuple(data_shape)
        _, features = sequence_geometry(self.data_shape, f"the {self.cell} discriminator")
        self.pack = pack
        self.per_step = per_step
        self.width = width
        self.rnn = RECURRENT_CELLS[self.cell](
            features * pack, width, depth, batch_first=True, bidirectional=bidirectional
        )
        self.logit = nn.Linear(width * (2 if bidirectional else 1), 1)
        _init_recurrent(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, features = x.shape
        if batch % self.pack:
            raise ValueError(f"batch size {batch} is not divisible by pack={self.pack}")
        packed = x.reshape(batch // self.pack, self.pack, length, features).transpose(1, 2)
        with twice_differentiable_rnn():  # a penalty differentiates D's input gradients again
            hidden, _ = self.rnn(packed.reshape(batch // self.pack, length, self.pack * features))
        if self.per_step:
            return self.logit(hidden).squeeze(2)
        if self.rnn.bidirectional:  # forward direction's last step, backward direction's first step
            final = torch.cat([hidden[:, -1, : self.width], hidden[:, 0, self.width :]], dim=1)
        else:
            final = hidden[:, -1]
        return self.logit(final).view(-1)


class LSTMGenerator(RecurrentGenerator):
    cell = "lstm"


class GRUGenerator(RecurrentGenerator):
    cell = "gru"


class LSTMDiscriminator(RecurrentDiscriminator):
    cell = "lstm"


class GRUDiscriminator(RecurrentDiscriminator):
    cell = "gru"
