"""Networks for token sequences ``(T, V)`` (one-hot rows): RelGAN's recipe (Nie et al. 2019) at small sizes.

* :class:`TextLSTMGenerator` (``text_lstm``): a recurrent language model, an LSTM or (``cell``) RelGAN's relational
  memory (:class:`RelationalMemory`, Santoro et al. 2018). It feeds back the token it sampled and emits,
  at every step, the **Gumbel-softmax** relaxation of that sample, ``softmax(beta * (o_t + g_t))`` with
  Gumbel noise ``g_t``, so D's gradient reaches G through the sample (Jang et al. 2017; Kusner & Hernández-Lobato
  2016). The inverse temperature ``beta`` rises from 1 to ``temperature_max`` over ``temperature_steps``
  adversarial steps by RelGAN's schedules (:func:`inverse_temperature`). Its teacher-forced per-token NLL
  (:meth:`TextLSTMGenerator.likelihood_loss`) is what MLE pretraining (``train.pretrain_steps``) minimises and what
  NLL_test measures; ``sampling_temperature`` divides its logits (the quality-diversity sweep).
* :class:`TextCNNDiscriminator` (``text_cnn``): each (soft) one-hot row is embedded by a linear map (an embedding
  lookup for a hard one-hot), convolutions of widths 2-5 run along time, max-pooled, through a highway layer to a
  logit; with ``representations`` R > 1, R embeddings each give a logit (RelGAN's multiple representations).

**Where the Gumbel noise comes from.** The generator's latent (``latent_dim`` standard-normal numbers, drawn by the
module like every latent: one seeded draw shared by all ranks, restored on resume) seeds its sample's Gumbel noise
(:func:`latent_gumbel`): the sample is a deterministic function of its latent. Everything that holds for latents
therefore holds for the noise, without a ``(T, V)`` noise tensor per sample in the latent: exact resume, 2-rank DDP
equal to one process with twice the batch, the fixed picture batch, seeded ``sample.py`` and evaluation latents.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lightning.config.options import Rule, one_of, option, positive
from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig
from gan_lightning.networks import register_discriminator, register_generator

TEMPERATURE_SCHEDULES: dict[str, Callable[[float, int, int], float]] = {
    "constant": lambda beta_max, i, n: beta_max,
    "exp": lambda beta_max, i, n: beta_max ** (i / n),
    "linear": lambda beta_max, i, n: 1 + i / max(n - 1, 1) * (beta_max - 1),
    "log": lambda beta_max, i, n: 1 + (beta_max - 1) / math.log(n) * math.log(i + 1) if n > 1 else beta_max,
    "sigmoid": lambda beta_max, i, n: (beta_max - 1) / (1 + math.exp((n / 2 - i) * 20 / n)) + 1,
    "quad": lambda beta_max, i, n: (beta_max - 1) / max(n - 1, 1) ** 2 * i**2 + 1,
    "sqrt": lambda beta_max, i, n: (beta_max - 1) / math.sqrt(max(n - 1, 1)) * math.sqrt(i) + 1,
}
"""RelGAN's inverse-temperature schedules (its ``get_fixed_temperature``): beta at adversarial step ``i`` of ``n``,
rising from 1 to ``beta_max``."""


def inverse_temperature(schedule: str, beta_max: float, step: int, steps: int) -> float:
    """``beta`` at adversarial ``step`` (from 0) of a schedule over ``steps``; ``beta_max`` once ``step >= steps``."""
    if schedule not in TEMPERATURE_SCHEDULES:
        raise ValueError(f"temperature_schedule {schedule!r}; allowed: {', '.join(TEMPERATURE_SCHEDULES)}")
    if step >= steps:
        return beta_max
    return TEMPERATURE_SCHEDULES[schedule](beta_max, step, steps)


def latent_gumbel(latents: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``(B, *shape)`` standard Gumbel noise, each row a deterministic function of its latent row's float32 bits (a
    hash of them seeds the row's own generator), so equal latents give equal noise on any rank, batch or device."""
    rows = latents.detach().float().cpu().contiguous().numpy()
    out = torch.empty((len(rows), *shape))
    for index, row in enumerate(rows):
        seed = int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little") >> 1
        out[index].uniform_(generator=torch.Generator().manual_seed(seed))
    # -log(-log(u)), in place: u in [tiny, 1) keeps both logs finite.
    return out.clamp_(min=torch.finfo(torch.float32).tiny).log_().neg_().log_().neg_().to(latents.device)


class RelationalMemory(nn.Module):
    """The relational memory core (Santoro et al. 2018), RelGAN's generator cell, with ``nn.LSTM``'s batch-first
    interface: ``(inputs (B, L, E), memory (B, S, M) or None) -> (outputs (B, L, S * M), memory)``.

    ``S = memory_slots`` rows of ``M = heads * head_size`` numbers. Each step the input, projected to ``M``, joins
    the memory as one more row; multi-head self-attention over ``[memory; input]`` (queries, keys and values from one
    bias-free projection, layer-normed; scores divided by ``sqrt(3 * head_size)``, a head's query, key and value
    together, as Santoro et al.'s and RelGAN's code do) is added back and layer-normed, then an MLP of
    ``mlp_layers`` layers likewise; the memory rows of the result are the candidate ``c``. LSTM-style gates per
    unit, ``i, f = sigmoid(W_i x + U tanh(m) + b)`` (``input_bias`` 0, ``forget_bias`` 1), give the new memory
    ``i * tanh(c) + f * m``; its rows flattened are the step's output. The memory starts as the ``(S, M)`` identity
    (zero-padded or cut), so every slot starts distinct. Why attention: a slot reads every other slot and the input at
    each step, not only through one gated vector as an LSTM does.
    """

    def __init__(
        self,
        input_size: int,
        memory_slots: int = 1,
        heads: int = 2,
        head_size: int = 256,
        mlp_layers: int = 2,
        input_bias: float = 0.0,
        forget_bias: float = 1.0,
    ) -> None:
        super().__init__()
        for name, value in (("memory_slots", memory_slots), ("heads", heads), ("head_size", head_size)):
            if value < 1:
                raise ValueError(f"{name}={value} must be >= 1 (the relational memory's size)")
        self.memory_slots, self.heads, self.head_size = memory_slots, heads, head_size
        self.memory_size = size = heads * head_size
        self.input_bias, self.forget_bias = float(input_bias), float(forget_bias)
        self.input = nn.Linear(input_size, size)
        self.qkv = nn.Linear(size, 3 * size, bias=False)  # queries, keys, values: head_size each per head
        self.qkv_norm = nn.LayerNorm(3 * size)
        self.attention_norm = nn.LayerNorm(size)
        layers: list[nn.Module] = []
        for index in range(mlp_layers):
            layers += [nn.ReLU()] if index else []
            layers.append(nn.Linear(size, size))
        self.mlp = nn.Sequential(*layers)
        self.mlp_norm = nn.LayerNorm(size)
        self.gate_input = nn.Linear(size, 2 * size, bias=False)
        self.gate_memory = nn.Linear(size, 2 * size, bias=False)

    @property
    def output_size(self) -> int:
        """Numbers per step of output: the memory's rows flattened."""
        return self.memory_slots * self.memory_size

    def initial_memory(self, batch: int, device: torch.device, dtype: torch.dtype) -> Tensor:
        """``(batch, S, M)``: the identity, zero-padded or cut to ``M`` columns."""
        eye = torch.eye(self.memory_slots, self.memory_size, device=device, dtype=dtype)
        return eye.expand(batch, -1, -1)

    def attend(self, rows: Tensor) -> Tensor:
        """One block over ``rows`` ``(B, N, M)``: multi-head self-attention and the MLP, each with a residual
        connection and a layer norm."""
        batch, count, _ = rows.shape
        qkv = self.qkv_norm(self.qkv(rows)).view(batch, count, self.heads, 3 * self.head_size).transpose(1, 2)
        scale = (3 * self.head_size) ** -0.5
        attended = F.scaled_dot_product_attention(*qkv.chunk(3, dim=-1), scale=scale)  # (B, heads, N, head_size)
        rows = self.attention_norm(rows + attended.transpose(1, 2).reshape(batch, count, self.memory_size))
        return self.mlp_norm(rows + self.mlp(rows))

    def step(self, inputs: Tensor, memory: Tensor) -> Tensor:
        """The memory after reading ``inputs`` ``(B, E)``."""
        projected = self.input(inputs)[:, None]  # (B, 1, M)
        candidate = self.attend(torch.cat([memory, projected], dim=1))[:, : self.memory_slots]
        input_gate, forget_gate = (self.gate_memory(torch.tanh(memory)) + self.gate_input(projected)).chunk(2, dim=-1)
        input_gate = torch.sigmoid(input_gate + self.input_bias)
        forget_gate = torch.sigmoid(forget_gate + self.forget_bias)
        return input_gate * torch.tanh(candidate) + forget_gate * memory

    def forward(self, inputs: Tensor, memory: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if memory is None:
            memory = self.initial_memory(inputs.shape[0], inputs.device, inputs.dtype)
        outputs = []
        for t in range(inputs.shape[1]):
            memory = self.step(inputs[:, t], memory)
            outputs.append(memory.flatten(1))
        return torch.stack(outputs, dim=1), memory


TEXT_CELLS = ("lstm", "relational_memory")
"""The recurrent cores of ``text_lstm`` (``generator.cell``)."""


@dataclass
class TextGeneratorConfig(GeneratorConfig):
    """The text generator's options: its token embedding, Gumbel-softmax temperature and recurrent core."""

    embedding_dim: int = positive(32)
    """Size of the token embedding it reads its previous token through (RelGAN: 32)."""
    temperature_max: float = option(100.0, Rule(lambda v: v >= 1, "a number >= 1"))
    """The final inverse temperature beta_max of its Gumbel-softmax output (RelGAN: 100 or 1000); beta
    rises from 1 by ``temperature_schedule`` over ``temperature_steps`` adversarial steps."""
    temperature_schedule: str = one_of("exp", TEMPERATURE_SCHEDULES)
    """How beta rises from 1 to beta_max over N adversarial steps, step i (RelGAN's): exp (beta_max^(i/N)) |
    linear | log | sigmoid | quad | sqrt | constant (beta_max from the start)."""
    temperature_steps: int = positive(1000)
    """The adversarial steps N over which beta reaches beta_max (then stays); RelGAN: all of them, so set
    it to ``train.max_steps - train.pretrain_steps``."""
    straight_through: bool = False
    """Emit the sampled token's exact one-hot forward and the Gumbel-softmax's gradient backward."""
    cell: str = one_of("lstm", TEXT_CELLS)
    """Its recurrent core, lstm (``width`` hidden units) | relational_memory (RelGAN's: Santoro et al.'s
    relational memory core, ``memory_slots`` rows of ``heads * head_size``, updated each step by multi-head
    self-attention over the memory and the input, an MLP and LSTM-style input/forget gates)."""
    memory_slots: int = positive(1)
    """Memory rows (RelGAN: 1)."""
    heads: int = positive(2)
    """Attention heads (RelGAN: 2)."""
    head_size: int = positive(256)
    """Numbers per head, so a memory row holds ``heads * head_size`` (RelGAN:
    256, a row of 512; size it down on a CPU)."""


@register_generator("text_lstm", section=TextGeneratorConfig)
class TextLSTMGenerator(nn.Module):
    """A recurrent language model over ``V`` tokens emitting Gumbel-softmax one-hots ``(B, T, V)``.

    The recurrent core is the only thing ``cell`` changes: sampling, the Gumbel-softmax, the temperatures and the
    likelihood are the same code for both, so an LSTM and a relational memory are compared on equal terms.

    Args:
        latent_dim: standard-normal numbers per sample; they only seed its Gumbel noise (the core starts from a
            fixed state and a learned start token, so the model is a plain autoregressive one with an exact
            likelihood).
        width: LSTM hidden units (RelGAN on the oracle: 32).
        embedding_dim: token embedding size.
        temperature_max, temperature_schedule, temperature_steps: ``beta``'s schedule (:func:`inverse_temperature`).
        straight_through: emit the sampled token's one-hot, with the relaxation's gradient.
        cell: ``lstm`` or ``relational_memory`` (:class:`RelationalMemory`, of ``memory_slots`` rows of
            ``heads * head_size``; RelGAN: 1 slot, 2 heads of 256); ``width`` is the LSTM's only.
    """

    data_kinds = ("tokens",)

    def __init__(
        self,
        data_shape: tuple[int, ...],
        latent_dim: int = 100,
        width: int = 32,
        embedding_dim: int = 32,
        temperature_max: float = 100.0,
        temperature_schedule: str = "exp",
        temperature_steps: int = 1000,
        straight_through: bool = False,
        cell: str = "lstm",
        memory_slots: int = 1,
        heads: int = 2,
        head_size: int = 256,
    ) -> None:
        super().__init__()
        if cell not in TEXT_CELLS:
            raise ValueError(f"cell {cell!r}; allowed: {', '.join(TEXT_CELLS)}")
        if len(data_shape) != 2:
            raise ValueError(f"text_lstm needs token data of shape (T, V); got {data_shape}")
        if temperature_max < 1:
            raise ValueError(f"temperature_max={temperature_max} must be >= 1 (an inverse temperature rising from 1)")
        if temperature_steps < 1:
            raise ValueError(f"temperature_steps={temperature_steps} must be >= 1")
        inverse_temperature(temperature_schedule, temperature_max, 0, temperature_steps)  # a bad name fails here
        self.length, self.vocab_size = int(data_shape[0]), int(data_shape[1])
        self.latent_size = latent_dim
        self.temperature_max, self.temperature_schedule = float(temperature_max), temperature_schedule
        self.temperature_steps, self.straight_through = temperature_steps, straight_through
        self.embedding = nn.Embedding(self.vocab_size + 1, embedding_dim)  # the last row is the start token
        self.cell = cell
        if cell == "lstm":
            core: nn.Module = nn.LSTM(embedding_dim, width, batch_first=True)
            hidden = width
        else:
            core = RelationalMemory(embedding_dim, memory_slots, heads, head_size)
            hidden = core.output_size
        self.add_module(cell, core)  # under its cell's name: LSTM checkpoints keep their ``lstm.*`` keys
        self.output = nn.Linear(hidden, self.vocab_size)
        self.register_buffer("adversarial_steps", torch.zeros((), dtype=torch.long))
        self.sampling_temperature = 1.0
        """Divides the logits when sampling and in :meth:`likelihood_loss` (the quality-diversity sweep); 1 is the
        model itself. Not state: the sweep sets it and puts it back."""

    @property
    def beta(self) -> float:
        """The Gumbel-softmax inverse temperature now: its schedule at the adversarial steps taken so far."""
        steps = int(self.adversarial_steps)
        return inverse_temperature(self.temperature_schedule, self.temperature_max, steps, self.temperature_steps)

    @property
    def core(self) -> nn.Module:
        """The recurrent core, ``(inputs (B, L, E), state or None) -> (outputs (B, L, H), state)``."""
        return self.get_submodule(self.cell)

    def _start(self, batch: int, device: torch.device) -> Tensor:
        return torch.full((batch,), self.vocab_size, dtype=torch.long, device=device)

    def forward(self, latents: Tensor) -> Tensor:
        """Soft one-hots ``(B, T, V)`` whose argmax is the sampled sequence.

        A forward pass with gradients in training mode is an adversarial step of G (the module generates the batch
        G learns from exactly once per step): it advances the temperature schedule.
        """
        batch = latents.shape[0]
        gumbel = latent_gumbel(latents, (self.length, self.vocab_size))
        beta = self.beta
        if self.training and torch.is_grad_enabled():
            self.adversarial_steps += 1
        tokens, state, outputs, core = self._start(batch, latents.device), None, [], self.core
        for t in range(self.length):
            hidden, state = core(self.embedding(tokens)[:, None], state)
            perturbed = self.output(hidden[:, 0]) / self.sampling_temperature + gumbel[:, t].to(hidden.dtype)
            tokens = perturbed.argmax(dim=1)
            soft = torch.softmax(beta * perturbed, dim=1)
            if self.straight_through:
                soft = F.one_hot(tokens, self.vocab_size).to(soft.dtype) + soft - soft.detach()
            outputs.append(soft)
        return torch.stack(outputs, dim=1)

    def likelihood_loss(self, samples: Tensor, mask: Tensor | None = None) -> Tensor:
        """The teacher-forced mean negative log-likelihood per token (nats) of ``samples`` (one-hots ``(B, T, V)``),
        at ``sampling_temperature``: MLE pretraining's loss and NLL_test.

        ``mask`` ``(B, T)``: the positions that count (the real tokens of padded text, up to ``<eos>``), so the mean
        is per real token rather than diluted by the padding's near-certain predictions; None: every position.
        """
        tokens = samples.argmax(dim=-1)
        inputs = torch.cat([self._start(len(tokens), tokens.device)[:, None], tokens[:, :-1]], dim=1)
        hidden, _ = self.core(self.embedding(inputs))
        logits = (self.output(hidden) / self.sampling_temperature).flatten(0, 1).float()
        if mask is None:
            return F.cross_entropy(logits, tokens.flatten())
        counted = mask.flatten().to(logits.dtype)
        return (F.cross_entropy(logits, tokens.flatten(), reduction="none") * counted).sum() / counted.sum()


class Highway(nn.Module):
    """``t * relu(W x) + (1 - t) * x``, ``t = sigmoid(W_t x)`` (SeqGAN's and RelGAN's discriminators)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.transform, self.gate = nn.Linear(size, size), nn.Linear(size, size)

    def forward(self, x: Tensor) -> Tensor:
        gate = torch.sigmoid(self.gate(x))
        return gate * F.relu(self.transform(x)) + (1 - gate) * x


@dataclass
class TextDiscriminatorConfig(DiscriminatorConfig):
    """The text discriminator's options: how it embeds the (soft) one-hots."""

    embedding_dim: int = positive(64)
    """Size of each token embedding it reads the (soft) one-hots through (RelGAN: 64)."""
    representations: int = positive(1)
    """Embeddings the sequence is read through, each judged by the same convolutions and their logits
    averaged (RelGAN's multiple representations: 64); 1 is one embedding."""


@register_discriminator("text_cnn", section=TextDiscriminatorConfig)
class TextCNNDiscriminator(nn.Module):
    """Convolutions over embedded (soft) one-hots ``(B, T, V)`` → logits ``(B, representations)``.

    Args:
        width: filters per kernel width (2, 3, 4, 5 tokens; those longer than the sequence are left out).
        embedding_dim: size of each embedding.
        representations: embeddings the sequence is read through, each judged by the same convolutions (RelGAN).
    """

    data_kinds = ("tokens",)
    feature_layer = "head"
    """The layer whose input is this network's features: what feature matching compares (``loss.feature_matching``)."""
    kernel_widths = (2, 3, 4, 5)

    def __init__(
        self, data_shape: tuple[int, ...], width: int = 64, embedding_dim: int = 64, representations: int = 1
    ) -> None:
        super().__init__()
        if len(data_shape) != 2:
            raise ValueError(f"text_cnn needs token data of shape (T, V); got {data_shape}")
        if representations < 1:
            raise ValueError(f"representations={representations} must be >= 1")
        length, vocab_size = int(data_shape[0]), int(data_shape[1])
        self.representations, self.embedding_dim = representations, embedding_dim
        self.embedding = nn.Linear(vocab_size, embedding_dim * representations, bias=False)
        widths = [k for k in self.kernel_widths if k <= length] or [length]
        self.convolutions = nn.ModuleList(nn.Conv1d(embedding_dim, width, k) for k in widths)
        features = width * len(widths)
        self.highway = Highway(features)
        self.head = nn.Linear(features, 1)

    def forward(self, samples: Tensor) -> Tensor:
        batch, length, _ = samples.shape
        embedded = self.embedding(samples).view(batch, length, self.representations, self.embedding_dim)
        embedded = embedded.permute(0, 2, 3, 1).reshape(batch * self.representations, self.embedding_dim, length)
        pooled = torch.cat([F.relu(conv(embedded)).amax(dim=2) for conv in self.convolutions], dim=1)
        return self.head(self.highway(pooled)).view(batch, self.representations)
