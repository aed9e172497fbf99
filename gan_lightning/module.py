"""The GAN LightningModule: one generator step = ``n_critic`` D updates, then one G update.

Design choices a forker should know about:

* **Manual optimization.** Only the updated network gets gradients (D sees generated images
  detached; D's parameters are frozen during the G update), every backward goes through
  ``manual_backward`` (so precision plugins and DDP see it) and each update steps its own optimizer.
  Clipping happens in ``on_before_optimizer_step``, where Lightning has already unscaled
  mixed-precision gradients.
* **Lean hot path.** The training step reads the config as a plain dataclass (an OmegaConf
  attribute read costs microseconds, a dozen per step), freezes D directly instead of Lightning's
  ``toggled_optimizer`` (which walks every optimizer's parameters twice per update), and checks the
  losses for NaN/inf without a per-step host sync: each step's losses are kept on the device and
  checked on the steps after which anything reads the state (logging, pictures, metrics,
  checkpoints, the last step) and before every checkpoint is written, naming the first bad step.
* **One generator forward per D update.** The fake batch of the last D update is generated with
  its autograd graph and reused by the G update (D sees it detached), so G is never run twice on
  the same noise. G's weights do not change in between, so the G loss is exactly that of a fresh
  forward pass.
* **Step units.** ``trainer.global_step`` counts every optimizer step, ``n_critic + 1`` per
  training step; :attr:`generator_step` is the unit every interval in the config uses.
* **Pretraining.** The first ``train.pretrain_steps`` steps train G by maximum likelihood (its
  ``likelihood_loss`` over the positions the kind's ``likelihood_mask`` counts, with the ``pretrain_optim``
  optimizer) instead of adversarially (RelGAN's MLE pretraining for text); they count ``n_critic + 1``
  optimizer steps too (D's optimizer steps without gradients), so the step units hold in both phases and a
  run resumes exactly across the switch.
* **Relativistic losses.** A loss whose G term compares with D's logits on real samples
  (``generator_sees_real``, RSGAN) gets them in G's step, from the last D update's real batch.
* **Exact resume.** RNG states are stored in the checkpoint and restored at train start; the
  data loader is stateful; everything else is module/optimizer/scheduler state.
* **World-size independent noise.** Training latents come from one generator seeded identically
  on every rank; each rank draws the global batch and keeps its own slice. With the data loader's
  rank sharding, 2 processes x batch B see exactly the data and noise of 1 process x batch 2B.
* **Kinds of data and conditioning are not decided here.** What a sample is (points, images, sequences, ...)
  is the run's :class:`~gan_lightning.kinds.DataKind` (:attr:`kind`); what it is conditioned on (nothing,
  class labels, an input image) is its :class:`~gan_lightning.conditioning.Conditioning`
  (:attr:`conditioning`). The loop asks them: how a batch splits into samples and conditions, what generated
  samples are conditioned on, how samples map back to data units. An ACGAN discriminator's class logits add
  a cross-entropy to both losses and ``loss.l1`` adds the L1 distance to the real sample (pix2pix's target)
  to G's loss, whatever the conditioning.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, NamedTuple

import lightning as L
import torch
import torch.nn.functional as F
from omegaconf import DictConfig, OmegaConf
from torch import Tensor, nn
from torch.profiler import record_function

from gan_lightning.augment import DiscriminatorAugment
from gan_lightning.checkpointing import TRAIN_SECONDS
from gan_lightning.conditioning import Conditioning, build_conditioning
from gan_lightning.config.schema import ExperimentConfig, OptimizerConfig
from gan_lightning.ema import make_ema_copy, standing_statistics, update_ema
from gan_lightning.kinds import DataKind, build_kind
from gan_lightning.losses import build_loss, gradient_penalty, r1_penalty
from gan_lightning.losses.feature_matching import captured_features, feature_matching
from gan_lightning.networks import build_discriminator, build_generator
from gan_lightning.networks.layers import penalised_forward, share_training_draw
from gan_lightning.networks.views import View, build_view
from gan_lightning.rng import gather_rng_states, restore_rng_state, seed_all
from gan_lightning.scheduling import build_scheduler

PHASE_GENERATE = "gan.generate"
PHASE_D_UPDATE = "gan.d_update"
PHASE_PENALTY = "gan.penalty"
PHASE_D_BACKWARD = "gan.d_backward"
PHASE_G_UPDATE = "gan.g_update"
PHASE_EMA = "gan.ema"
PHASES = (PHASE_GENERATE, PHASE_D_UPDATE, PHASE_PENALTY, PHASE_D_BACKWARD, PHASE_G_UPDATE, PHASE_EMA)
"""The parts of a training step as ``torch.profiler`` sees them (``record_function`` ranges; nothing when no profiler
runs): G's forward for D's steps, each D update (within it: the penalties' extra pass and input gradient, and D's
backward, the penalties' second derivative included, with its optimizer step), the G update and the EMA
(``scripts/benchmark.py profile``)."""

SAMPLING_MODES = ("eval", "train")
"""How the generator runs when sampled: eval (dropout off, BatchNorm running statistics) or train (dropout on,
statistics of the sampled batch: pix2pix's test time), see :meth:`GANModule.sample`."""


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite; training stops before the state is checkpointed."""


@contextmanager
def frozen(networks: list[nn.Module]) -> Iterator[None]:
    """The trainable parameters of ``networks`` without gradients inside the block (the discriminators during the
    G update).

    Only the parameters this freezes are unfrozen afterwards, so parameters a fork froze stay frozen.
    """
    params = [p for network in networks for p in network.parameters() if p.requires_grad]
    for param in params:
        param.requires_grad_(False)
    try:
        yield
    finally:
        for param in params:
            param.requires_grad_(True)


class Critic(NamedTuple):
    """One discriminator and what it judges: ``network`` sees ``view`` of every sample; its adversarial term (and
    penalties) count ``weight`` times. ``name`` is empty for ``discriminator``, the key of ``extra_discriminators``
    otherwise."""

    name: str
    network: nn.Module
    view: View
    weight: float


SAMPLING_SEED = 0
"""Seeds the dropout of ``mode="train"`` sampling, so its outputs are reproducible."""
STANDING_SEED_OFFSET = 7919
"""Added to the run's seed for the noise the EMA generator's standing statistics are measured on
(``train.ema_standing_batches``): the same on every rank and at every step, and apart from the training noise."""


@contextmanager
def sampling_mode(network: nn.Module, mode: str) -> Iterator[None]:
    """``network`` in eval mode inside the block, or in train mode (``mode="train"``) on a forked, seeded RNG with its
    buffers (BatchNorm's running statistics) restored afterwards; its own mode is restored either way."""
    if mode not in SAMPLING_MODES:
        raise ValueError(f"sampling mode {mode!r}; allowed: {', '.join(SAMPLING_MODES)}")
    was_training = network.training
    buffers = {name: buffer.clone() for name, buffer in network.named_buffers()} if mode == "train" else {}
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    try:
        with torch.random.fork_rng(devices=devices, enabled=mode == "train"):
            if mode == "train":
                torch.manual_seed(SAMPLING_SEED)
            network.train(mode == "train")
            yield
    finally:
        network.train(was_training)
        with torch.no_grad():
            for name, buffer in network.named_buffers():
                if name in buffers:
                    buffer.copy_(buffers[name])


class GANModule(L.LightningModule):
    """Generator, discriminator and an EMA copy of the generator, trained adversarially.

    Args:
        config: the experiment configuration (an :class:`ExperimentConfig` or its plain dict,
            as stored in a checkpoint's hyperparameters).
        kind: the state of the run's kind of data (:meth:`DataKind.state`: its name, the sample shape and what
            maps samples back to data units), kept in the checkpoint's hyperparameters.
        conditioning: the state of what samples are conditioned on (:meth:`Conditioning.state`); unconditional
            when None.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | DictConfig,
        kind: Mapping[str, Any],
        conditioning: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        cfg: ExperimentConfig = OmegaConf.merge(OmegaConf.structured(ExperimentConfig), config)  # type: ignore[assignment]
        self.cfg: ExperimentConfig = OmegaConf.to_object(cfg)  # type: ignore[assignment]
        self.kind: DataKind = build_kind(kind)
        self.conditioning: Conditioning = build_conditioning(conditioning or {"name": "none"}, self.cfg)
        self.save_hyperparameters(
            {
                "config": OmegaConf.to_container(cfg, resolve=True),
                "kind": self.kind.state(),
                "conditioning": self.conditioning.state(),
            }
        )
        variant, network_args = self.conditioning.description, self.conditioning.network_args()
        self.generator = build_generator(cfg.generator, self.data_shape, variant, **network_args)
        self.discriminator, critic_view = self._build_critic(cfg.discriminator, variant, network_args)
        self.critics = [Critic("", self.discriminator, critic_view, cfg.discriminator.weight)]
        if cfg.extra_discriminators:  # only then, so runs with one discriminator keep their checkpoint keys
            self.extra_discriminators = nn.ModuleDict()
            for name, extra in cfg.extra_discriminators.items():
                self.extra_discriminators[name], view = self._build_critic(extra, variant, network_args)
                self.critics.append(Critic(name, self.extra_discriminators[name], view, extra.weight))
        self.ema_generator = make_ema_copy(self.generator)
        share_training_draw(self, self.shared_draw)  # layers that draw in training (phase shuffle) draw shared noise
        self.adversarial_loss = build_loss(cfg.loss.name)
        # Only with a policy, so runs without augmentation keep their checkpoint keys.
        self.augment = DiscriminatorAugment(cfg.augment) if cfg.augment.policy else None
        self.channels_last = cfg.train.channels_last and self.kind.channels_last
        noise_rng = torch.Generator().manual_seed(cfg.seed)
        noise, conditions, self.grid_columns = self.conditioning.grid(
            self.latent_size, cfg.train.num_samples_grid, noise_rng
        )
        self.register_buffer("fixed_noise", noise)
        self._has_fixed_conditions = conditions is not None
        if conditions is not None:  # saved as ``fixed_labels``, the name class-conditional checkpoints have used
            self.register_buffer("fixed_labels", conditions)
        self._noise: torch.Generator | None = None
        self._noise_state_to_restore: Tensor | None = None
        self._standing_step: int | None = None  # the generator step the EMA's standing statistics were measured at
        self._rng_states_to_restore: list[dict[str, Any]] | None = None
        self._log_now = False
        self._unchecked_losses: list[tuple[int, Tensor]] = []
        self._grad_norms: dict[str, Tensor] = {}
        self._last_log: tuple[float, int] | None = None
        self._seconds_before = 0.0  # wall seconds of training in the sessions before this one's resume
        self._train_started: float | None = None

    def _build_critic(self, cfg: Any, variant: str, network_args: dict[str, Any]) -> tuple[nn.Module, View]:
        """A discriminator for its view of this run's samples, and the view."""
        view = build_view(cfg.view, self.data_shape, cfg.view_size)
        return build_discriminator(cfg, view.shape, variant, **network_args), view

    @property
    def discriminators(self) -> list[nn.Module]:
        """Every discriminator: ``discriminator`` and the ``extra_discriminators``."""
        return [critic.network for critic in self.critics]

    def discriminator_parameters(self) -> Iterator[nn.Parameter]:
        """The parameters ``d_optim`` updates: every discriminator's."""
        return (param for network in self.discriminators for param in network.parameters())

    @property
    def fixed_conditions(self) -> Tensor | None:
        """What the fixed grid's samples are conditioned on (a row per class), None when nothing is drawn for them."""
        return self.get_buffer("fixed_labels") if self._has_fixed_conditions else None

    @property
    def data_shape(self) -> tuple[int, ...]:
        """Shape of one sample as the networks see it, e.g. ``(1, 28, 28)``, ``(2,)`` or ``(T, C)``."""
        return self.kind.data_shape

    # ------------------------------------------------------------------ counters
    @property
    def optimizer_steps_per_generator_step(self) -> int:
        return self.cfg.train.n_critic + 1

    @property
    def generator_step(self) -> int:
        """Completed generator steps (Lightning's ``global_step`` counts D and G steps alike)."""
        return self.global_step // self.optimizer_steps_per_generator_step

    # ------------------------------------------------------------------ sampling
    @property
    def latent_size(self) -> int:
        """Length of the flat latent vector the generator takes (per-step noise included for sequences)."""
        return self.generator.latent_size

    def training_latent(self, num: int) -> Tensor:
        """This rank's ``num`` latents: its slice of one global draw shared by all ranks."""
        return self.shared_draw(torch.randn, num, self.latent_size)

    def shared_draw(self, sampler: Callable[..., Tensor], num: int, *shape: int) -> Tensor:
        """This rank's ``num`` rows of one ``num * world`` draw from the noise RNG every rank holds.

        What is drawn this way (latents, labels of generated samples, gradient-penalty mixing weights) makes W ranks
        x batch B train exactly like one process x batch W*B.
        """
        assert self._noise is not None, "training draws are only available during fit"
        world, rank = self.trainer.world_size, self.global_rank
        rows = sampler((num * world, *shape), generator=self._noise, device=self.device)
        return rows[rank * num : (rank + 1) * num]

    def latent(self, num: int, generator: torch.Generator | None = None) -> Tensor:
        """Standard-normal latent codes on this module's device."""
        shape = (num, self.latent_size)
        if generator is None:
            return torch.randn(shape, device=self.device)
        return torch.randn(shape, generator=generator, device=generator.device).to(self.device)

    @torch.no_grad()
    def sample(
        self,
        num: int | None = None,
        *,
        noise: Tensor | None = None,
        condition: Tensor | None = None,
        generator: torch.Generator | None = None,
        use_ema: bool = True,
        batch_size: int = 500,
        mode: str = "eval",
    ) -> Tensor:
        """Generated samples in the networks' space, batch by batch, in eval mode (``mode="train"``: dropout on and
        BatchNorm on each batch's statistics, with the dropout seeded and the running statistics restored, so
        sampling still changes nothing).

        Give either ``noise`` (e.g. :attr:`fixed_noise`) or ``num`` (drawn with ``generator``, so callers can
        sample without consuming the training RNG), and ``condition``: what each sample is conditioned on (a class
        label per row, an input image per row for image translation). The conditioning fills in what is left out
        (drawn with ``generator`` after the noise) or says in one line what it needs
        (:meth:`Conditioning.complete`).
        """
        noise, condition = self.conditioning.complete(self, num, noise, condition, generator)
        network = self.ema_generator if use_ema else self.generator
        if use_ema:
            self._measure_standing_statistics()
        with sampling_mode(network, mode):
            return self._sample_batches(network, noise, condition, batch_size)

    def _measure_standing_statistics(self) -> None:
        """With ``train.ema_standing_batches``, re-estimate the EMA generator's batch-norm statistics on its own
        outputs (:func:`standing_statistics`), once per generator step: :func:`update_ema` copies the live
        generator's over them at every step. The noise comes from its own seeded generator, so the training RNG is
        untouched and every rank measures the same statistics."""
        train = self.cfg.train
        if not train.ema_standing_batches or self._standing_step == self.generator_step:
            return
        seeded = torch.Generator().manual_seed(self.cfg.seed + STANDING_SEED_OFFSET)
        noise, condition = self.conditioning.complete(
            self, train.ema_standing_batches * train.batch_size, None, None, seeded
        )
        with standing_statistics(self.ema_generator):
            self._sample_batches(self.ema_generator, noise, condition, train.batch_size)
        self._standing_step = self.generator_step

    def _sample_batches(self, network: nn.Module, noise: Tensor, condition: Tensor | None, batch_size: int) -> Tensor:
        """``batch_size`` rows at a time through ``network``."""
        samples = []
        for start in range(0, len(noise), batch_size):
            chunk = noise[start : start + batch_size].to(self.device, self.dtype)
            chunk_condition = None if condition is None else condition[start : start + batch_size]
            samples.append(self.generate(network, chunk, chunk_condition))
        return torch.cat(samples)

    def generate(self, network: nn.Module, latents: Tensor, condition: Tensor | None) -> Tensor:
        """``network(latents)``, or ``network(latents, condition)``: class labels or input images."""
        return network(latents) if condition is None else network(latents, condition)

    def to_data_space(self, samples: Tensor) -> Tensor:
        """Generated samples in data units, as the run's kind of data defines them (images: pixel intensities in
        [0, 1]; sequences: the dataset's units; points: coordinates)."""
        return self.kind.to_data_space(samples)

    # ------------------------------------------------------------------ training
    def configure_model(self) -> None:
        """Speed options applied once the module is on its device (Lightning calls this at setup)."""
        train = self.cfg.train
        if self.channels_last:
            for network in (self.generator, *self.discriminators, self.ema_generator):
                network.to(memory_format=torch.channels_last)
        if train.compile and not getattr(self, "_compiled", False):
            self.generator.compile()
            # Gradient penalties differentiate D twice, which compiled (AOT-autograd) graphs cannot; feature matching
            # hooks a layer inside D, which a compiled graph would not call.
            loss = self.cfg.loss
            if loss.r1 == 0 and loss.gradient_penalty == 0 and loss.feature_matching == 0:
                for network in self.discriminators:
                    network.compile()
            self._compiled = True

    def configure_optimizers(self) -> tuple[list[torch.optim.Optimizer], list[Any]]:
        steps = self.cfg.train.max_steps

        def adam(params: Any, opt: OptimizerConfig) -> torch.optim.Adam:
            return torch.optim.Adam(params, lr=opt.lr, betas=tuple(opt.betas), weight_decay=opt.weight_decay)

        opt_g = adam(self.generator.parameters(), self.cfg.g_optim)
        opt_d = adam(self.discriminator_parameters(), self.cfg.d_optim)
        schedulers = [
            build_scheduler(opt_g, self.cfg.g_optim.scheduler, steps),
            build_scheduler(opt_d, self.cfg.d_optim.scheduler, steps),
        ]
        if not self.cfg.train.pretrain_steps:  # only then, so runs without pretraining keep their checkpoint keys
            return [opt_g, opt_d], schedulers
        # Pretraining has its own Adam (RelGAN: lr 1e-2 for MLE, 1e-4 adversarially), so G's adversarial
        # optimizer starts fresh, as in RelGAN.
        return [opt_g, opt_d, adam(self.generator.parameters(), self.cfg.pretrain_optim)], schedulers

    def training_step(self, batch: Tensor, batch_idx: int) -> None:
        train = self.cfg.train
        opt_g, opt_d, *opt_pretrain = self.optimizers()
        step = self.generator_step
        self._log_now = (step + 1) % train.log_every == 0

        samples, conditions = self.conditioning.split_batch(batch, self.dtype)
        samples = samples.to(self.dtype)  # float64 under precision=64-true
        if self.channels_last:
            samples = samples.contiguous(memory_format=torch.channels_last)
        if step < train.pretrain_steps:
            losses, stats = self._likelihood_update(samples, opt_pretrain[0], opt_d)
        else:
            losses, stats = self._adversarial_step(samples, conditions, opt_g, opt_d, step)
        with record_function(PHASE_EMA):
            update_ema(self.ema_generator, self.generator, train.ema_decay if step + 1 > train.ema_start else 0.0)
        for scheduler in self.lr_schedulers():
            scheduler.step()
        self._unchecked_losses.append((step + 1, losses))
        if self.state_is_read_after(step + 1):
            self._check_finite()
        if self._log_now:
            self._log_step(step + 1, stats)

    def _likelihood_update(self, samples: Tensor, opt_g: Any, opt_d: Any) -> tuple[Tensor, dict[str, Tensor]]:
        """A maximum-likelihood (pretraining) step of G on the step's real batch: ``generator.likelihood_loss``,
        teacher-forced, stepped by ``opt_g`` (the pretraining optimizer, ``pretrain_optim``). D is not trained; its
        optimizer still takes its ``n_critic`` steps, without gradients (so nothing changes), so that a generator
        step is ``n_critic + 1`` optimizer steps in both phases: the unit of ``max_steps``, the checkpoints and the
        progress bar."""
        loss = self.generator.likelihood_loss(samples, self.kind.likelihood_mask(samples))
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt_g.step()
        for _ in range(self.cfg.train.n_critic):
            opt_d.zero_grad(set_to_none=True)
            opt_d.step()
        nll = loss.detach().float()
        return torch.stack([nll.new_zeros(()), nll]), {"g_nll": nll}

    def _adversarial_step(
        self, samples: Tensor, conditions: Tensor | None, opt_g: Any, opt_d: Any, step: int
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """``n_critic`` D updates, then one G update; the losses checked for NaN (D's, G's) and the logged parts."""
        train = self.cfg.train
        reals = samples.split(train.batch_size)
        # What each real sample is conditioned on (its class or its input image), cut like the samples.
        real_conditions = [None] * len(reals) if conditions is None else conditions.split(train.batch_size)
        for index, (real, real_condition) in enumerate(zip(reals, real_conditions, strict=True)):
            last = index == len(reals) - 1
            fake_condition = self.conditioning.training_conditions(self, real_condition, real.shape[0])
            with torch.set_grad_enabled(last), record_function(PHASE_GENERATE):
                fake = self.generate(self.generator, self.training_latent(real.shape[0]), fake_condition)
            with record_function(PHASE_D_UPDATE):
                d_stats = self._discriminator_update(
                    (real, real_condition), (fake.detach(), fake_condition), opt_d, step * train.n_critic + index
                )
        with record_function(PHASE_G_UPDATE):
            g_loss, g_stats = self._generator_update(fake, fake_condition, (real, real_condition), opt_g)
        if train.pretrain_steps and self._log_now:  # G's likelihood keeps being logged after pretraining
            with torch.no_grad():
                nll = self.generator.likelihood_loss(real, self.kind.likelihood_mask(real))
                g_stats["g_nll"] = nll.detach().float()
        if self.augment is not None:
            self.augment.end_generator_step(step + 1, lambda t: self.trainer.strategy.reduce(t, reduce_op="sum"))
        return torch.stack([d_stats["d_loss_total"], g_loss]), {**d_stats, **g_stats}

    def discriminate(self, samples: Tensor, condition: Tensor | None = None, critic: Critic | None = None) -> Tensor:
        """``critic``'s logits (default: ``discriminator``'s) on its view of ``samples`` (conditioned on ``condition``)
        after the augmentation policy, the same for real and generated samples; one row per sample."""
        return self.discriminate_with_classes(samples, condition, critic)[0]

    def discriminate_with_classes(
        self, samples: Tensor, condition: Tensor | None = None, critic: Critic | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """``(logits, class logits)``: the second is an ACGAN discriminator's classifier output, else None."""
        critic = critic or self.critics[0]
        samples = samples if self.augment is None else self.augment(samples)
        seen, seen_condition = critic.view(samples, self.shared_draw), critic.view.repeat(condition)
        output = critic.network(seen) if seen_condition is None else critic.network(seen, seen_condition)
        logits, class_logits = output if isinstance(output, tuple) else (output, None)
        batch = samples.shape[0]
        folded_classes = None if class_logits is None else critic.view.fold_classes(class_logits, batch)
        return critic.view.fold(logits, batch), folded_classes

    def _classification(self, class_logits: Tensor | None, labels: Tensor | None) -> Tensor | None:
        """ACGAN's weighted cross-entropy of the class logits, or None without an auxiliary classifier."""
        if class_logits is None or labels is None:
            return None
        return self.cfg.loss.classification * F.cross_entropy(class_logits.float(), labels)

    def _discriminator_update(
        self,
        real_batch: tuple[Tensor, Tensor | None],
        fake_batch: tuple[Tensor, Tensor | None],
        optimizer: Any,
        update_index: int,
    ) -> dict[str, Tensor]:
        (real, real_condition), (fake, fake_condition) = real_batch, fake_batch
        loss_cfg = self.cfg.loss
        use_r1 = loss_cfg.r1 > 0 and update_index % loss_cfg.r1_interval == 0
        # ``fake`` is detached, so this backward reaches D alone: G needs no freezing.
        if use_r1:  # R1 differentiates w.r.t. the un-augmented samples, through the augmentation and the views
            real = real.detach().requires_grad_(True)
        alpha = self.shared_draw(torch.rand, real.shape[0]) if loss_cfg.gradient_penalty > 0 else None
        stats: dict[str, Tensor] = {}
        loss = real.new_zeros((), dtype=torch.float32)
        outputs = [
            self._critic_loss(critic, (real, real_condition), (fake, fake_condition), alpha, use_r1)
            for critic in self.critics
        ]
        for critic, (critic_loss, critic_stats, _) in zip(self.critics, outputs, strict=True):
            loss = loss + critic.weight * critic_loss
            for key, value in critic_stats.items():  # the losses and penalties, weighted as in D's loss
                stats[key] = stats.get(key, 0.0) + critic.weight * value
            if critic.name:
                stats[f"d_loss_{critic.name}"] = critic_stats["d_loss"]
        with record_function(PHASE_D_BACKWARD):
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
        # D's outputs, as they are, and ADA's overfitting signal follow the main discriminator
        real_logits, fake_logits = outputs[0][2]
        stats["d_loss_total"] = loss.detach()
        stats["d_real"] = real_logits.detach().float().mean()
        stats["d_fake"] = fake_logits.detach().float().mean()
        if self.augment is not None:
            self.augment.observe(real_logits, real.shape[0])
        return stats

    def _critic_loss(
        self,
        critic: Critic,
        real_batch: tuple[Tensor, Tensor | None],
        fake_batch: tuple[Tensor, Tensor | None],
        alpha: Tensor | None,
        use_r1: bool,
    ) -> tuple[Tensor, dict[str, Tensor], tuple[Tensor, Tensor]]:
        """One discriminator's loss (adversarial term, ACGAN classification, penalties), its logged parts and its
        logits on the real and the generated samples."""
        (real, real_condition), (fake, fake_condition) = real_batch, fake_batch
        loss_cfg = self.cfg.loss
        with penalised_forward() if use_r1 else nullcontext():  # R1 differentiates this pass's input gradients again
            real_logits, real_classes = self.discriminate_with_classes(real, real_condition, critic)
        fake_logits, fake_classes = self.discriminate_with_classes(fake, fake_condition, critic)
        loss = self.adversarial_loss.discriminator_loss(real_logits, fake_logits)
        stats = {"d_loss": loss.detach()}
        classification = self._classification(real_classes, real_condition)
        if classification is not None:
            if loss_cfg.classify_generated:
                classification = classification + self._classification(fake_classes, fake_condition)
            loss = loss + classification
            stats["d_classification"] = classification.detach()
        if alpha is not None:
            # Interpolates between a real and a generated sample are judged as the real sample's class.
            with record_function(PHASE_PENALTY):
                gp = gradient_penalty(
                    lambda x: self.discriminate(x, real_condition, critic),
                    real.detach(),
                    fake,
                    grad_scale=self._grad_scale(),
                    alpha=alpha,
                )
            loss = loss + loss_cfg.gradient_penalty * gp
            stats["gradient_penalty"] = gp.detach()
        if use_r1:
            with record_function(PHASE_PENALTY):
                r1 = r1_penalty(real_logits, real, grad_scale=self._grad_scale())
            loss = loss + 0.5 * loss_cfg.r1 * loss_cfg.r1_interval * r1
            stats["r1_penalty"] = r1.detach()
        return loss, stats, (real_logits, fake_logits)

    def _generator_update(
        self, fake: Tensor, condition: Tensor | None, real_batch: tuple[Tensor, Tensor | None], optimizer: Any
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """One G step; returns its total loss and the logged parts (``real_batch``: the last D update's real samples
        and their conditions, the targets of ``loss.l1`` and what a relativistic loss compares ``fake`` with)."""
        loss_cfg = self.cfg.loss
        real, real_condition = real_batch
        matching, sees_real = loss_cfg.feature_matching > 0, self.adversarial_loss.generator_sees_real
        with frozen(self.discriminators):
            adversarial = fake.new_zeros((), dtype=torch.float32)
            matched = fake.new_zeros((), dtype=torch.float32)
            classification: Tensor | None = None
            stats: dict[str, Tensor] = {}
            for critic in self.critics:
                with self._features(critic, matching) as fake_features:
                    logits, class_logits = self.discriminate_with_classes(fake, condition, critic)
                with self._features(critic, matching) as real_features:
                    real_logits = (
                        self.discriminate(real.detach(), real_condition, critic) if sees_real or matching else None
                    )
                term = self.adversarial_loss.generator_loss(logits, real_logits if sees_real else None)
                adversarial = adversarial + critic.weight * term
                if critic.name:
                    stats[f"g_loss_{critic.name}"] = term.detach()
                if matching:
                    distance = feature_matching(real_features[0], fake_features[0], self._global_batch_mean())
                    matched = matched + critic.weight * distance
                    if critic.name:
                        stats[f"g_feature_matching_{critic.name}"] = distance.detach()
                critic_classification = self._classification(class_logits, condition)
                if critic_classification is not None:
                    weighted = critic.weight * critic_classification
                    classification = weighted if classification is None else classification + weighted
            loss = loss_cfg.adversarial_weight * adversarial
            stats["g_loss"] = adversarial.detach()
            if matching:
                loss = loss + loss_cfg.feature_matching * matched
                stats["g_feature_matching"] = matched.detach()
            if loss_cfg.l1 > 0:
                l1 = (fake - real.detach()).abs().mean()
                loss = loss + loss_cfg.l1 * l1
                stats["g_l1"] = l1.detach()
            if classification is not None:
                loss = loss + classification
                stats["g_classification"] = classification.detach()
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
        return loss.detach(), stats

    @staticmethod
    def _features(critic: Critic, matching: bool) -> AbstractContextManager[list[Tensor]]:
        """The features ``critic``'s network computes inside the block (feature matching), or nothing to hook."""
        return captured_features(critic.network) if matching else nullcontext([])

    def _global_batch_mean(self) -> Callable[[Tensor], Tensor] | None:
        """Turns a rank's batch mean into the global batch's, keeping its gradient (None on one process): each rank's
        loss is then the one process's, and DDP's averaging of the gradients gives the one process's gradient."""
        if self.trainer.world_size == 1:
            return None
        return lambda mean: self.all_gather(mean, sync_grads=True).mean(0)

    def _grad_scale(self) -> float | None:
        """The fp16 GradScaler's current scale, so penalties can unscale their inner gradients."""
        scaler = getattr(self.trainer.precision_plugin, "scaler", None)
        return float(scaler.get_scale()) if scaler is not None and scaler.is_enabled() else None

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # Lightning calls this after unscaling mixed-precision gradients: the right place to clip.
        opt_g, opt_d, *_ = self.optimizers(use_pl_optimizer=False)
        name, networks, opt_cfg = (
            ("d", self.discriminators, self.cfg.d_optim)
            if optimizer is opt_d
            else ("g", [self.generator], self.cfg.g_optim if optimizer is opt_g else self.cfg.pretrain_optim)
        )
        if self._log_now:
            grads = [p.grad for network in networks for p in network.parameters() if p.grad is not None]
            self._grad_norms[name] = torch.nn.utils.get_total_norm(grads)
        if opt_cfg.clip_norm is not None:
            self.clip_gradients(optimizer, opt_cfg.clip_norm, "norm")
        elif opt_cfg.clip_value is not None:
            self.clip_gradients(optimizer, opt_cfg.clip_value, "value")

    def state_is_read_after(self, step: int) -> bool:
        """Whether anything reads the module after ``step``: logging, pictures, metrics, checkpoints, the end."""
        train = self.cfg.train
        intervals = (train.log_every, train.sample_every, train.checkpoint_every, self.cfg.metrics.every)
        return step >= train.max_steps or any(n and step % n == 0 for n in intervals)

    def _check_finite(self) -> None:
        """Raise on the first non-finite loss since the last check (one host sync for all of them)."""
        if not self._unchecked_losses:
            return
        steps, losses = zip(*self._unchecked_losses, strict=True)
        self._unchecked_losses = []
        finite = torch.isfinite(torch.stack(losses)).all(dim=1).tolist()
        for step, ok, (d_loss, g_loss) in zip(steps, finite, losses, strict=True):
            if not ok:
                raise NonFiniteLossError(
                    f"non-finite loss at generator step {step}: d_loss={d_loss.item():.4g}, g_loss={g_loss.item():.4g}"
                )

    def _log_step(self, step: int, stats: dict[str, Tensor]) -> None:
        """Scalars under ``train/``; a lazily computed R1 shows its most recent value."""
        train = self.cfg.train
        metrics: dict[str, Any] = {f"train/{k}": v for k, v in stats.items() if k != "d_loss_total"}
        metrics.update({f"train/{n}_grad_norm": v for n, v in self._grad_norms.items()})
        opt_g, opt_d, *_ = self.optimizers(use_pl_optimizer=False)
        metrics["train/g_lr"] = opt_g.param_groups[0]["lr"]
        metrics["train/d_lr"] = opt_d.param_groups[0]["lr"]
        if self.augment is not None:
            metrics["train/augment_p"] = self.augment.p
            if self.augment.adaptive:
                metrics["train/augment_rt"] = self.augment.rt
        now = time.perf_counter()
        if self._last_log is not None:
            last_time, last_step = self._last_log
            images = (step - last_step) * train.batch_size * train.n_critic * self.trainer.world_size
            metrics["train/images_per_sec"] = images / max(now - last_time, 1e-9)
        self._last_log = (now, step)
        # Logging "step" makes it the loggers' x-axis: completed generator steps, the config's unit.
        metrics["step"] = float(step)
        progress = {k: metrics.pop(k) for k in ("train/d_loss", "train/g_loss") if k in metrics}  # not in pretraining
        self.log_dict(progress, prog_bar=True, on_step=True, on_epoch=False)
        self.log_dict(metrics, on_step=True, on_epoch=False)

    # ------------------------------------------------------------------ checkpoints
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._check_finite()  # never write a checkpoint of a state that followed a NaN loss
        checkpoint["rng_states"] = gather_rng_states()
        checkpoint["generator_step"] = self.generator_step
        checkpoint[TRAIN_SECONDS] = self.train_seconds
        if self._noise is not None:
            checkpoint["noise_rng_state"] = self._noise.get_state()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._rng_states_to_restore = checkpoint.get("rng_states")
        self._noise_state_to_restore = checkpoint.get("noise_rng_state")
        self._seconds_before = checkpoint.get(TRAIN_SECONDS, 0.0)

    def on_train_end(self) -> None:
        self._check_finite()  # training stopped early (a callback): its last steps are checked too

    def on_fit_start(self) -> None:
        self._noise = torch.Generator(device=self.device).manual_seed(self.cfg.seed)
        # Other randomness (augmentation, dropout) differs per rank.
        seed_all(self.cfg.seed + self.global_rank)

    @property
    def train_seconds(self) -> float:
        """Wall seconds this run has trained, summed over every session that resumed it: the time between sessions,
        and before training starts (data, building), is not counted; sampling and metrics callbacks inside are."""
        now = time.perf_counter()
        return self._seconds_before + (now - self._train_started if self._train_started is not None else 0.0)

    def on_train_start(self) -> None:
        self._train_started = time.perf_counter()
        # Restored here, not at load time, so nothing between loading and the first step can draw from them.
        if self._rng_states_to_restore:
            states = self._rng_states_to_restore
            restore_rng_state(states[self.global_rank] if self.global_rank < len(states) else states[0])
            self._rng_states_to_restore = None
        if self._noise is not None and self._noise_state_to_restore is not None:
            self._noise.set_state(self._noise_state_to_restore)
            self._noise_state_to_restore = None

    def train(self, mode: bool = True) -> GANModule:
        """Keep the EMA generator in eval mode: it is never trained, only averaged and sampled."""
        super().train(mode)
        self.ema_generator.eval()
        return self
