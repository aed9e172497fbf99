"""The GAN LightningModule: one generator step = ``n_critic`` D updates, then one G update.

This file is the training loop; the parts of a step it calls live in :mod:`gan_lightning.steps`. Design choices a
forker should know about:

* **Manual optimization.** Only the updated network gets gradients (D sees generated images detached; D's parameters
  are frozen during the G update), every backward goes through ``manual_backward`` (so precision plugins and DDP see
  it) and each update steps its own optimizer. Clipping happens in ``on_before_optimizer_step``, where Lightning has
  already unscaled mixed-precision gradients.
* **Lean hot path.** The training step reads the config as a plain dataclass (an OmegaConf attribute read costs
  microseconds, a dozen per step), freezes D directly instead of Lightning's ``toggled_optimizer`` (which walks every
  optimizer's parameters twice per update), and checks the losses for NaN/inf without a per-step host sync
  (:mod:`gan_lightning.steps.finite`).
* **One generator forward per D update.** The fake batch of the last D update is generated with its autograd graph
  and reused by the G update (D sees it detached), so G is never run twice on the same noise. G's weights do not
  change in between, so the G loss is exactly that of a fresh forward pass.
* **Step units.** ``trainer.global_step`` counts every optimizer step, ``n_critic + 1`` per training step, in
  pretraining too (:mod:`gan_lightning.steps.pretraining`); :attr:`generator_step` is the unit every interval in the
  config uses.
* **Exact resume.** RNG states are stored in the checkpoint and restored at train start
  (:mod:`gan_lightning.steps.randomness`); the data loader is stateful; everything else is module/optimizer/scheduler
  state.
* **World-size independent noise.** Training draws come from one generator seeded identically on every rank
  (:mod:`gan_lightning.steps.randomness`): 2 processes x batch B train exactly like 1 process x batch 2B.
* **Kinds of data and conditioning are not decided here.** What a sample is (points, images, sequences, ...) is the
  run's :class:`~gan_lightning.kinds.DataKind` (:attr:`kind`); what it is conditioned on (nothing, class labels, an
  input image) is its :class:`~gan_lightning.conditioning.Conditioning` (:attr:`conditioning`). The loop asks them:
  how a batch splits into samples and conditions, what generated samples are conditioned on, how samples map back to
  data units. What the losses add for them, whatever the conditioning (an ACGAN discriminator's cross-entropy,
  ``loss.l1``'s distance to the real sample), is in :mod:`gan_lightning.steps.objectives`, with the relativistic
  losses' use of the real logits in G's step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import lightning as L
import torch
from omegaconf import DictConfig, OmegaConf
from torch import Tensor, nn
from torch.profiler import record_function

from gan_lightning.augment import DiscriminatorAugment
from gan_lightning.conditioning import Conditioning, build_conditioning
from gan_lightning.config.schema import ExperimentConfig, OptimizerConfig
from gan_lightning.config.sections import typed, upgrade_saved
from gan_lightning.ema import ema_decay, make_ema_copy, update_ema
from gan_lightning.kinds import DataKind, build_kind
from gan_lightning.losses import build_loss
from gan_lightning.networks import build_generator
from gan_lightning.networks.layers import share_training_draw
from gan_lightning.scheduling import build_scheduler, schedule_beta2
from gan_lightning.steps import critics, objectives, penalties, pretraining, sampling
from gan_lightning.steps.clock import TRAIN_SECONDS, TrainClock
from gan_lightning.steps.finite import LossCheck
from gan_lightning.steps.phases import PHASE_D_BACKWARD, PHASE_D_UPDATE, PHASE_EMA, PHASE_G_UPDATE, PHASE_GENERATE
from gan_lightning.steps.randomness import Randomness


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
        cfg = typed(upgrade_saved(config))
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
        self.critics = critics.build_critics(cfg, self.data_shape, variant, network_args)
        self.discriminator = self.critics[0].network
        if cfg.extra_discriminators:  # only then, so runs with one discriminator keep their checkpoint keys
            self.extra_discriminators = nn.ModuleDict([(critic.name, critic.network) for critic in self.critics[1:]])
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
        self._random = Randomness()
        self._standing = sampling.StandingStatistics()
        self._log_now = False
        self._losses = LossCheck()
        self._grad_norms: dict[str, Tensor] = {}
        self._clock = TrainClock()

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
        """This rank's ``num`` rows of one ``num * world`` draw from the noise RNG every rank holds
        (:class:`Randomness`), so W ranks x batch B train exactly like one process x batch W*B."""
        return self._random.draw(sampler, num, shape, lambda: (self.trainer.world_size, self.global_rank, self.device))

    def latent(self, num: int, generator: torch.Generator | None = None) -> Tensor:
        """Standard-normal latent codes on this module's device (:func:`~gan_lightning.steps.sampling.latent`)."""
        return sampling.latent(num, self.latent_size, self.device, generator)

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
        sampling still changes nothing: :func:`~gan_lightning.steps.sampling.sampling_mode`).

        Give either ``noise`` (e.g. :attr:`fixed_noise`) or ``num`` (drawn with ``generator``, so callers can
        sample without consuming the training RNG), and ``condition``: what each sample is conditioned on (a class
        label per row, an input image per row for image translation). The conditioning fills in what is left out
        (drawn with ``generator`` after the noise) or says in one line what it needs
        (:meth:`Conditioning.complete`).
        """
        noise, condition = self.conditioning.complete(self, num, noise, condition, generator)
        network = self.ema_generator if use_ema else self.generator
        if use_ema:
            complete = lambda n, rng: self.conditioning.complete(self, n, None, None, rng)  # noqa: E731
            self._standing.refresh(self.generator_step, network, self.cfg, complete, self._sample_batches)
        with sampling.sampling_mode(network, mode):
            return self._sample_batches(network, noise, condition, batch_size)

    def _sample_batches(self, network: nn.Module, noise: Tensor, condition: Tensor | None, batch_size: int) -> Tensor:
        """``batch_size`` rows at a time through ``network`` (:func:`~gan_lightning.steps.sampling.sample_batches`)."""
        return sampling.sample_batches(self.generate, network, noise, condition, batch_size, self.device, self.dtype)

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
            for network in (self.generator, *critics.critic_networks(self.critics), self.ema_generator):
                network.to(memory_format=torch.channels_last)
        if train.compile and not getattr(self, "_compiled", False):
            self.generator.compile()
            if critics.compilable(self.cfg.loss):
                for network in critics.critic_networks(self.critics):
                    network.compile()
            self._compiled = True

    def configure_optimizers(self) -> tuple[list[torch.optim.Optimizer], list[Any]]:
        steps = self.cfg.train.max_steps

        def adam(params: Any, opt: OptimizerConfig) -> torch.optim.Adam:
            return torch.optim.Adam(params, lr=opt.lr, betas=tuple(opt.betas), weight_decay=opt.weight_decay)

        opt_g = adam(self.generator.parameters(), self.cfg.g_optim)
        opt_d = adam(critics.critic_parameters(self.critics), self.cfg.d_optim)
        schedulers = [
            build_scheduler(opt, cfg.scheduler, steps, cfg.lr, cfg.lr_end)
            for opt, cfg in ((opt_g, self.cfg.g_optim), (opt_d, self.cfg.d_optim))
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
            mask, opt_mle = self.kind.likelihood_mask, opt_pretrain[0]
            losses, stats = pretraining.likelihood_update(
                self.generator, mask, samples, self.manual_backward, opt_mle, opt_d, train.n_critic
            )
        else:
            losses, stats = self._adversarial_step(samples, conditions, opt_g, opt_d, step)
        with record_function(PHASE_EMA):
            update_ema(self.ema_generator, self.generator, ema_decay(train, step, self.trainer.world_size))
        for scheduler in self.lr_schedulers():
            scheduler.step()
        self._losses.append(step + 1, losses)
        if self.state_is_read_after(step + 1):
            self._losses.check()
        if self._log_now:
            self._log_step(step + 1, stats)

    def _adversarial_step(
        self, samples: Tensor, conditions: Tensor | None, opt_g: Any, opt_d: Any, step: int
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """``n_critic`` D updates, then one G update; the losses checked for NaN (D's, G's) and the logged parts."""
        train = self.cfg.train
        schedule_beta2(((opt_g, self.cfg.g_optim), (opt_d, self.cfg.d_optim)), step, train.max_steps)
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
            g_stats["g_nll"] = pretraining.likelihood(self.generator, self.kind.likelihood_mask, real)
        if self.augment is not None:
            self.augment.end_generator_step(step + 1, lambda t: self.trainer.strategy.reduce(t, reduce_op="sum"))
        return torch.stack([d_stats["d_loss_total"], g_loss]), {**d_stats, **g_stats}

    def _objective(self) -> objectives.Objective:
        """What the losses of an update need from the module (:mod:`gan_lightning.steps.objectives`)."""
        return objectives.Objective(
            self.cfg.loss, self.adversarial_loss, self.augment, self.shared_draw, lambda: self.trainer, self.all_gather
        )

    def _discriminator_update(
        self, real_batch: objectives.Batch, fake_batch: objectives.Batch, optimizer: Any, update_index: int
    ) -> dict[str, Tensor]:
        (real, real_condition), (fake, fake_condition) = real_batch, fake_batch
        # ``fake_batch`` is detached, so this backward reaches D alone: G needs no freezing.
        plan = penalties.penalty_plan(self.cfg.loss, self.cfg.train, update_index, real, fake, self.shared_draw)
        loss, stats, (real_logits, fake_logits) = objectives.discriminator_loss(
            self._objective(), self.critics, real_condition, fake_condition, plan
        )
        with record_function(PHASE_D_BACKWARD):
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
        # D's outputs, as they are, and ADA's overfitting signal follow the main discriminator
        stats["d_loss_total"] = loss.detach()
        stats["d_real"] = real_logits.detach().float().mean()
        stats["d_fake"] = fake_logits.detach().float().mean()
        if self.augment is not None:
            self.augment.observe(real_logits, real.shape[0])
        return stats

    def _generator_update(
        self, fake: Tensor, condition: Tensor | None, real_batch: objectives.Batch, optimizer: Any
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """One G step, D frozen; returns its total loss and the logged parts (``real_batch``: the last D update's real
        samples and their conditions; :func:`~gan_lightning.steps.objectives.generator_loss`)."""
        with critics.frozen(critics.critic_networks(self.critics)):
            loss, stats = objectives.generator_loss(self._objective(), self.critics, fake, condition, real_batch)
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
        return loss.detach(), stats

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # Lightning calls this after unscaling mixed-precision gradients: the right place to clip.
        opt_g, opt_d, *_ = self.optimizers(use_pl_optimizer=False)
        name, networks, opt_cfg = (
            ("d", critics.critic_networks(self.critics), self.cfg.d_optim)
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
        rate = self._clock.images_per_sec(step, train.batch_size * train.n_critic * self.trainer.world_size)
        if rate is not None:
            metrics["train/images_per_sec"] = rate
        # Logging "step" makes it the loggers' x-axis: completed generator steps, the config's unit.
        metrics["step"] = float(step)
        progress = {k: metrics.pop(k) for k in ("train/d_loss", "train/g_loss") if k in metrics}  # not in pretraining
        self.log_dict(progress, prog_bar=True, on_step=True, on_epoch=False)
        self.log_dict(metrics, on_step=True, on_epoch=False)

    # ------------------------------------------------------------------ checkpoints
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._losses.check()  # never write a checkpoint of a state that followed a NaN loss
        self._random.save_rng_states(checkpoint)
        checkpoint["generator_step"] = self.generator_step
        checkpoint[TRAIN_SECONDS] = self.train_seconds
        self._random.save_noise(checkpoint)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._random.load(checkpoint)
        self._clock.load(checkpoint)

    def on_train_end(self) -> None:
        self._losses.check()  # training stopped early (a callback): its last steps are checked too

    def on_fit_start(self) -> None:
        self._random.start(self.cfg.seed, self.global_rank, self.device)  # other randomness differs per rank

    @property
    def train_seconds(self) -> float:
        """Wall seconds this run has trained, summed over every session that resumed it (:class:`TrainClock`)."""
        return self._clock.seconds

    def on_train_start(self) -> None:
        self._clock.start()
        self._random.restore(self.global_rank)  # here, so nothing between loading and the first step draws from them

    def train(self, mode: bool = True) -> GANModule:
        """Keep the EMA generator in eval mode: it is never trained, only averaged and sampled."""
        super().train(mode)
        self.ema_generator.eval()
        return self
