"""Load, merge and validate a run configuration.

``load_config(files, overrides)`` merges YAML files (later wins) and ``a.b=c`` overrides onto
the typed schema, then checks every value. Any problem raises :class:`ConfigError` with one
line naming the key, the value and what is allowed, before anything is built or written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

from gan_lightning.augment import POLICIES
from gan_lightning.conditioning import CONDITIONINGS
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import CHANNELS, DATA_DEVICES, DATASETS, ON_CORRUPT, build_datamodule
from gan_lightning.data.audio import REPRESENTATIONS
from gan_lightning.data.text_lines import ON_BAD_LINE, TEXT_FORMATS, TEXT_LEVELS
from gan_lightning.kinds import kind_class
from gan_lightning.loggers import LOGGERS
from gan_lightning.losses import LOSSES
from gan_lightning.metrics.extractors import EXTRACTORS
from gan_lightning.metrics.suite import METRICS, fitting_metrics
from gan_lightning.networks import (
    DISCRIMINATOR_CONDITIONINGS,
    DISCRIMINATORS,
    GENERATOR_CONDITIONINGS,
    GENERATORS,
    INITS,
    NORMS,
    OUTPUT_ACTIVATIONS,
)
from gan_lightning.networks.dcgan import OUTPUT_LAYERS
from gan_lightning.networks.text import TEMPERATURE_SCHEDULES, TEXT_CELLS
from gan_lightning.networks.views import VIEWS, build_view
from gan_lightning.steps.sampling import SAMPLING_MODES
from gan_lightning.wandb_logging import WANDB_MODES

if TYPE_CHECKING:
    from gan_lightning.conditioning import Conditioning
    from gan_lightning.kinds import DataKind

PRECISIONS = ("32-true", "32", "64-true", "bf16-mixed", "16-mixed", "bf16-true", "16-true")
SCHEDULERS = ("constant", "linear", "cosine")


class ConfigError(ValueError):
    """An invalid configuration; ``str(error)`` is a complete one-line explanation."""


def load_config(files: Sequence[str | os.PathLike[str]] = (), overrides: Sequence[str] = ()) -> ExperimentConfig:
    """Schema defaults <- each YAML file in order <- command-line overrides, validated.

    Overrides may be written ``a.b=c`` or ``--a.b=c`` (the form a wandb sweep agent passes).
    The result is a typed ``DictConfig`` that reads like an :class:`ExperimentConfig`.
    """
    config = OmegaConf.structured(ExperimentConfig)
    for path in files:
        config = _merge(config, _read_yaml(path), f"in {path}")
    if overrides:
        config = _merge(config, _parse_overrides(overrides), "on the command line")
    validate(config)
    return config  # type: ignore[return-value]


def to_yaml(config: ExperimentConfig) -> str:
    return OmegaConf.to_yaml(config, resolve=True)


def _read_yaml(path: str | os.PathLike[str]) -> DictConfig:
    if not os.path.isfile(path):
        raise ConfigError(f"config file not found: {path}")
    try:
        with open(path, encoding="utf-8") as stream:
            content = yaml.safe_load(stream)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        detail = " ".join(str(error).split())
        raise ConfigError(f"config file {path} is not valid YAML: {detail}") from error
    if content is None:
        return OmegaConf.create({})
    if not isinstance(content, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(content).__name__}")
    return OmegaConf.create(content)


def _parse_overrides(overrides: Iterable[str]) -> DictConfig:
    dotlist = []
    for item in overrides:
        text = item[2:] if item.startswith("--") else item
        key, sep, _ = text.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like key=value (e.g. train.batch_size=64)")
        dotlist.append(text)
    try:
        return OmegaConf.from_dotlist(dotlist)
    except OmegaConfBaseException as error:
        raise ConfigError(f"cannot parse overrides {dotlist}: {error.msg}") from error


def _merge(config: DictConfig, update: DictConfig, where: str) -> DictConfig:
    try:
        return OmegaConf.merge(config, update)
    except ConfigKeyError as error:
        raise ConfigError(_unknown_key_message(config, error.full_key, where)) from error
    except ValidationError as error:
        key = error.full_key
        value = OmegaConf.select(update, key, default=None)
        expected = _expected_type(config, key)
        raise ConfigError(f"config key {key!r} {where}: value {value!r} is not a valid {expected}") from error


def _unknown_key_message(config: DictConfig, full_key: str, where: str) -> str:
    parent_key, _, _ = full_key.rpartition(".")
    parent = OmegaConf.select(config, parent_key) if parent_key else config
    allowed = ", ".join(parent.keys()) if isinstance(parent, DictConfig) else "none (not a section)"
    return f"unknown config key {full_key!r} {where}; allowed keys here: {allowed}"


def _expected_type(config: DictConfig, key: str) -> str:
    parent_key, _, name = key.rpartition(".")
    parent = OmegaConf.select(config, parent_key) if parent_key else config
    hint = parent._get_node(name)._metadata.ref_type if isinstance(parent, DictConfig) else Any
    return getattr(hint, "__name__", str(hint).replace("typing.", ""))


@dataclass(frozen=True)
class _Rule:
    key: str
    check: Callable[[Any], bool]
    allowed: str


def _choice(key: str, options: Iterable[str]) -> _Rule:
    options = tuple(options)
    return _Rule(key, lambda v: v in options, "one of " + ", ".join(options))


def _positive(key: str) -> _Rule:
    return _Rule(key, lambda v: v > 0, "a number > 0")


def _non_negative(key: str) -> _Rule:
    return _Rule(key, lambda v: v >= 0, "a number >= 0")


def _optional_positive(key: str) -> _Rule:
    return _Rule(key, lambda v: v is None or v > 0, "null or a number > 0")


def validation_rules() -> list[_Rule]:
    """One rule per checked key; also the "allowed" column of docs/CONFIG.md (scripts/config_reference.py)."""

    rules = [
        _choice("data.name", DATASETS),
        _Rule("data.resolution", lambda v: v in (28, 32, 64, 128, 256), "28, 32, 64, 128 or 256 (per dataset)"),
        _positive("data.num_samples"),
        _positive("data.scale"),
        _choice("data.device", DATA_DEVICES),
        _non_negative("data.num_workers"),
        _Rule("data.channels", lambda v: v in CHANNELS, "1 or 3"),
        _Rule("data.extensions", lambda v: len(v) > 0 and all(e.strip(".") for e in v), "a non-empty list like [.png]"),
        _choice("data.on_corrupt", ON_CORRUPT),
        _Rule("data.sequence_length", lambda v: v >= 2, "an integer >= 2"),
        _positive("data.features"),
        _positive("data.window_stride"),
        _positive("data.vocab_size"),
        _positive("data.oracle_embedding"),
        _positive("data.oracle_hidden"),
        _positive("data.num_test_samples"),
        _choice("data.text_level", TEXT_LEVELS),
        _choice("data.text_format", TEXT_FORMATS),
        _Rule("data.test_fraction", lambda v: 0 < v < 1, "a number in (0, 1)"),
        _choice("data.on_bad_line", ON_BAD_LINE),
        _choice("data.representation", REPRESENTATIONS),
        _positive("data.sample_rate"),
        _positive("data.audio_length"),
        _positive("data.stft_window"),
        _positive("data.stft_hop"),
        _positive("data.griffin_lim_iterations"),
        _positive("data.voices"),
        _positive("data.test_voices"),
        _positive("data.utterances"),
        _choice("generator.arch", GENERATORS),
        _positive("generator.latent_dim"),
        _non_negative("generator.global_latent_dim"),
        _positive("generator.width"),
        _positive("generator.depth"),
        _choice("generator.norm", NORMS),
        _choice("generator.output_activation", OUTPUT_ACTIVATIONS),
        _choice("generator.output_layer", OUTPUT_LAYERS),
        _choice("generator.init", INITS),
        _choice("generator.conditioning", GENERATOR_CONDITIONINGS),
        _positive("generator.embedding_dim"),
        _Rule("generator.temperature_max", lambda v: v >= 1, "a number >= 1"),
        _choice("generator.temperature_schedule", TEMPERATURE_SCHEDULES),
        _positive("generator.temperature_steps"),
        _choice("generator.cell", TEXT_CELLS),
        _positive("generator.memory_slots"),
        _positive("generator.heads"),
        _positive("generator.head_size"),
        _choice("discriminator.arch", DISCRIMINATORS),
        _positive("discriminator.width"),
        _positive("discriminator.depth"),
        _choice("discriminator.norm", NORMS),
        _choice("discriminator.init", INITS),
        _positive("discriminator.pack"),
        _choice("discriminator.conditioning", DISCRIMINATOR_CONDITIONINGS),
        _choice("discriminator.view", VIEWS),
        _positive("discriminator.embedding_dim"),
        _positive("discriminator.representations"),
        _positive("discriminator.view_size"),
        _non_negative("discriminator.weight"),
        _choice("loss.name", LOSSES),
        _non_negative("loss.gradient_penalty"),
        _non_negative("loss.r1"),
        _positive("loss.r1_interval"),
        _non_negative("loss.classification"),
        _non_negative("loss.feature_matching"),
        _non_negative("loss.l1"),
        _non_negative("loss.adversarial_weight"),
        _Rule("augment.policy", lambda v: all(x in POLICIES for x in v), "a list drawn from " + ", ".join(POLICIES)),
        _non_negative("augment.brightness"),
        _non_negative("augment.saturation"),
        _Rule("augment.contrast", lambda v: 0 <= v <= 1, "a number in [0, 1]"),
        _Rule("augment.translation", lambda v: 0 <= v < 1, "a number in [0, 1)"),
        _Rule("augment.cutout", lambda v: 0 <= v <= 1, "a number in [0, 1]"),
        _Rule("augment.p", lambda v: 0 <= v <= 1, "a number in [0, 1]"),
        _Rule("augment.ada_target", lambda v: -1 < v < 1, "a number in (-1, 1)"),
        _positive("augment.ada_interval"),
        _positive("augment.ada_kimg"),
        _Rule("augment.max_p", lambda v: 0 <= v <= 1, "a number in [0, 1]"),
        _positive("train.max_steps"),
        _positive("train.batch_size"),
        _positive("train.n_critic"),
        _non_negative("train.pretrain_steps"),
        _choice("train.fake_labels", ("uniform", "data")),
        _Rule("train.ema_decay", lambda v: 0 <= v < 1, "a number in [0, 1)"),
        _non_negative("train.ema_start"),
        _non_negative("train.ema_standing_batches"),
        _positive("train.log_every"),
        _non_negative("train.sample_every"),
        _non_negative("train.checkpoint_every"),
        _positive("train.num_samples_grid"),
        _choice("trainer.precision", PRECISIONS),
        _positive("trainer.num_nodes"),
        _Rule("run.loggers", lambda v: all(x in LOGGERS for x in v), "a list drawn from " + ", ".join(LOGGERS)),
        _choice("run.wandb.mode", WANDB_MODES),
        _Rule(
            "metrics.names",
            lambda v: all(x in metric_names() for x in v),
            "a list drawn from " + ", ".join(metric_names()),
        ),
        _non_negative("metrics.every"),
        _choice("metrics.extractor", EXTRACTORS),
        _choice("metrics.real_split", ("train", "val", "test")),
        _choice("metrics.translation_mode", SAMPLING_MODES),
        _positive("metrics.num_generated"),
        _positive("metrics.num_real"),
        _positive("metrics.batch_size"),
        _Rule("metrics.bleu_samples", lambda v: v >= 2, "an integer >= 2 (Self-BLEU scores samples against others)"),
        _positive("metrics.kid_subsets"),
        _positive("metrics.kid_subset_size"),
        _positive("metrics.pr_k"),
        _Rule("metrics.temperatures", lambda v: all(t > 0 for t in v), "a list of numbers > 0"),
        _positive("metrics.timegan.runs"),
        _positive("metrics.timegan.discriminative_iterations"),
        _positive("metrics.timegan.predictive_iterations"),
        _positive("metrics.timegan.batch_size"),
        _optional_positive("metrics.timegan.hidden"),
        _positive("metrics.timegan.lr"),
    ]
    for net in ("g_optim", "d_optim", "pretrain_optim"):
        rules += [
            _positive(f"{net}.lr"),
            _Rule(f"{net}.betas", lambda v: len(v) == 2 and all(0 <= b < 1 for b in v), "two numbers in [0, 1)"),
            _non_negative(f"{net}.weight_decay"),
            _optional_positive(f"{net}.clip_norm"),
            _optional_positive(f"{net}.clip_value"),
            _choice(f"{net}.scheduler", SCHEDULERS),
        ]
    return rules


def metric_names() -> tuple[str, ...]:
    """Every name ``metrics.names`` may list for some kind of data and conditioning (each metric says which fit a
    given run: :func:`_check_metric_names`)."""

    return tuple(METRICS)


def discriminator_keys(config: DictConfig) -> list[str]:
    """The config keys of every discriminator: ``discriminator`` and each ``extra_discriminators.<name>``."""
    return ["discriminator", *(f"extra_discriminators.{name}" for name in config.extra_discriminators)]


def validate(config: DictConfig) -> None:
    """Check every value and the constraints between keys; raise :class:`ConfigError` on the first problem."""
    for rule in validation_rules():
        # The discriminator's rules hold for every extra discriminator too.
        section, _, field = rule.key.partition(".")
        keys = [f"{d}.{field}" for d in discriminator_keys(config)] if section == "discriminator" else [rule.key]
        for key in keys:
            value = OmegaConf.select(config, key)
            plain = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
            if not rule.check(plain):
                raise ConfigError(f"invalid value {plain!r} for config key {key!r}; allowed: {rule.allowed}")
    batch = config.train.batch_size
    for key in discriminator_keys(config):
        pack = OmegaConf.select(config, f"{key}.pack")
        if batch % pack:
            raise ConfigError(
                f"train.batch_size={batch} must be divisible by {key}.pack={pack} (D judges pack samples at once)"
            )
    if config.train.pretrain_steps > config.train.max_steps:
        raise ConfigError(
            f"train.pretrain_steps={config.train.pretrain_steps} is over train.max_steps={config.train.max_steps} "
            "(pretraining is part of max_steps; pretrain_steps = max_steps is the MLE-only baseline)"
        )
    if config.augment.ada and not config.augment.policy:
        raise ConfigError("augment.ada=true adapts the probability of augment.policy, which is empty")
    for net in ("g_optim", "d_optim", "pretrain_optim"):
        if config[net].clip_norm is not None and config[net].clip_value is not None:
            raise ConfigError(f"{net}.clip_norm and {net}.clip_value are both set; choose one clipping method")
    _check_data_available(config)


def _check_data_available(config: DictConfig) -> None:
    """Options the dataset, its kind of data and its conditioning cannot serve, and missing files, each as one line
    naming the fix."""

    data = config.data
    try:
        datamodule = build_datamodule(config)  # cheap: constructors check options, load nothing
    except ValueError as error:
        raise ConfigError(str(error)) from error
    kind = kind_class(datamodule.kind_name)
    conditioning = CONDITIONINGS[datamodule.conditioning_name]
    _check_network_takes(config, "generator", GENERATORS, kind)

    def pretrainable(network: type) -> bool:
        return callable(getattr(network, "likelihood_loss", None))

    if config.train.pretrain_steps and not pretrainable(GENERATORS[config.generator.arch]):
        takers = ", ".join(arch for arch, network in GENERATORS.items() if pretrainable(network))
        raise ConfigError(
            f"train.pretrain_steps={config.train.pretrain_steps}: generator.arch={config.generator.arch} has no "
            f"likelihood to pretrain by (no likelihood_loss); set train.pretrain_steps=0 or use one of: {takers}"
        )
    for key in discriminator_keys(config):
        _check_view(config, key, datamodule.data_shape, kind)
        arch = OmegaConf.select(config, key).arch
        if config.loss.feature_matching and not isinstance(getattr(DISCRIMINATORS[arch], "feature_layer", None), str):
            raise ConfigError(
                f"loss.feature_matching={config.loss.feature_matching}: {key}.arch={arch} does not say which layer's "
                "input its features are (a class attribute feature_layer, e.g. 'logit'); set loss.feature_matching=0"
            )
    if config.augment.policy and not kind.augmentable:
        raise ConfigError(f"augment.policy is for image data; {data.name} is not images (set augment.policy=[])")
    problem = kind.check_config(config, datamodule) or conditioning.check_config(config, kind)
    if problem:
        raise ConfigError(problem)
    problem = datamodule.unavailable()
    if problem:
        raise ConfigError(problem)
    _check_metric_names(config, kind, conditioning)
    if config.metrics.names and config.metrics.real_split not in datamodule.splits:
        raise ConfigError(
            f"invalid value {config.metrics.real_split!r} for config key 'metrics.real_split' with {data.name}; "
            f"allowed: {', '.join(datamodule.splits)}"
        )


def _check_view(config: DictConfig, key: str, data_shape: tuple[int, ...], kind: type[DataKind]) -> None:
    """Discriminator ``key``'s view must cut the run's kind of data, and its arch take what the view shows."""

    cfg = OmegaConf.select(config, key)
    if not VIEWS[cfg.view].cuts(kind.name):
        fitting = ", ".join(name for name, view in VIEWS.items() if view.cuts(kind.name))
        raise ConfigError(
            f"{key}.view={cfg.view} cuts {', '.join(VIEWS[cfg.view].data_kinds)} data; data.name={config.data.name} "
            f"is {kind.description}; use one of: {fitting}"
        )
    try:
        view = build_view(cfg.view, data_shape, cfg.view_size)
    except ValueError as error:
        raise ConfigError(f"{key}.{error}") from error
    if view.expansion > 1 and view.expansion % cfg.pack:
        raise ConfigError(f"{key}.pack={cfg.pack} must divide the {view.expansion} elements its view cuts per sample")
    if view.element_kind is None:
        _check_network_takes(config, key, DISCRIMINATORS, kind)
    else:
        sees = f"{key}.view={cfg.view} shows"
        _check_network_takes(config, key, DISCRIMINATORS, kind_class(view.element_kind), sees)


def _check_network_takes(
    config: DictConfig, role: str, registry: dict[str, type], kind: type[DataKind], sees: str = ""
) -> None:
    """The network ``<role>.arch`` names must list the kind of data it sees in its ``data_kinds`` (``sees`` says
    where that kind comes from when it is not the dataset's: a discriminator's view)."""
    arch = OmegaConf.select(config, role).arch
    network = registry[arch]
    if not isinstance(getattr(network, "data_kinds", None), tuple):
        raise ConfigError(
            f"{role} arch {arch!r} ({network.__name__}) must list the kinds of data it takes in a class attribute "
            "data_kinds, e.g. data_kinds = ('images',)"
        )
    if not kind.taken_by(network):
        fitting = ", ".join(kind.fitting_arches(registry))
        raise ConfigError(
            f"{sees or f'data.name={config.data.name} is'} {kind.description}; {role}.arch={arch} does not take it "
            f"(its data_kinds: {', '.join(network.data_kinds)}); use one of: {fitting}"
        )


def _check_metric_names(config: DictConfig, kind: type[DataKind], conditioning: type[Conditioning]) -> None:
    """``metrics.names`` must be names the run's kind of data allows under its conditioning."""

    names = list(config.metrics.names)
    allowed = fitting_metrics(kind.name, conditioning.name)
    wrong = [name for name in names if name not in allowed]
    if not wrong:
        return

    what = f"{conditioning.description} {kind.description}"
    message = f"metrics.names={names}: {', '.join(wrong)} cannot score {what}; use {', '.join(allowed)}"
    for other in CONDITIONINGS.values():  # names another conditioning of this kind scores: say how to get it
        if other is not conditioning and set(wrong) <= set(fitting_metrics(kind.name, other.name)):
            message += f"; {', '.join(wrong)} score {other.description} runs: {other.how_to_use}"
            break
    raise ConfigError(message)
