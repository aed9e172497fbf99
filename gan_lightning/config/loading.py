"""Load, merge and validate a run configuration.

``load_config(files, overrides)`` merges YAML files (later wins) and ``a.b=c`` overrides onto
the typed schema, then checks every value. Any problem raises :class:`ConfigError` with one
line naming the key, the value and what is allowed, before anything is built or written.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

from gan_lightning.augment import POLICIES
from gan_lightning.conditioning import CONDITIONINGS
from gan_lightning.config.options import Rule, rule_of
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.config.sections import (
    SECTIONS,
    UnknownComponentError,
    schema_for,
    unknown_key_hint,
    upgrade_saved,
    without_switched_options,
)
from gan_lightning.data import DATA_DEVICES, build_datamodule
from gan_lightning.kinds import kind_class
from gan_lightning.loggers import LOGGERS
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
from gan_lightning.networks.views import VIEWS, build_view
from gan_lightning.steps.sampling import SAMPLING_MODES
from gan_lightning.wandb_logging import WANDB_MODES

if TYPE_CHECKING:
    from gan_lightning.conditioning import Conditioning
    from gan_lightning.kinds import DataKind


class ConfigError(ValueError):
    """An invalid configuration; ``str(error)`` is a complete one-line explanation."""


def load_config(files: Sequence[str | os.PathLike[str]] = (), overrides: Sequence[str] = ()) -> ExperimentConfig:
    """Schema defaults <- each YAML file in order <- command-line overrides, validated.

    Overrides may be written ``a.b=c`` or ``--a.b=c`` (the form a wandb sweep agent passes).
    The schema's ``data``, ``generator``, discriminator and ``loss`` sections take the options of the components
    the files and overrides choose. The result is a typed ``DictConfig`` that reads like an :class:`ExperimentConfig`.
    """
    layers = [(_read_yaml(path), f"in {path}") for path in files]
    return _load(layers, _parse_overrides(overrides) if overrides else None)


def load_saved_config(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> ExperimentConfig:
    """A run's saved ``config.yaml`` (upgraded to today's sections: :func:`upgrade_saved`) <- ``overrides``,
    validated."""
    layers = [(OmegaConf.create(upgrade_saved(_read_yaml(path))), f"in {path}")]
    return _load(layers, _parse_overrides(overrides) if overrides else None)


def _load(files: list[tuple[DictConfig, str]], command_line: DictConfig | None) -> ExperimentConfig:
    """Files in order, then the command line, onto the schema of the components they end up choosing; a file's
    options of a component a later layer replaced are left out (:func:`without_switched_options`)."""
    layers = [*files, *([(command_line, "on the command line")] if command_line is not None else [])]
    try:
        chosen = OmegaConf.merge(*(layer for layer, _ in layers)) if layers else None
        merged = [OmegaConf.merge(*(layer for layer, _ in layers[: index + 1])) for index in range(len(files))]
    except OmegaConfBaseException:
        chosen, merged = None, []  # the typed merge below names the problem and where it is
    try:
        config = schema_for(chosen)
    except UnknownComponentError as error:
        raise ConfigError(str(error)) from error
    for index, (layer, where) in enumerate(layers):
        if index < len(merged):
            layer = without_switched_options(layer, merged[index], chosen, where)
        config = _merge(config, layer, where, chosen)
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


def _merge(config: DictConfig, update: DictConfig, where: str, chosen: Any) -> DictConfig:
    try:
        return OmegaConf.merge(config, update)
    except ConfigKeyError as error:
        raise ConfigError(_unknown_key_message(config, error.full_key, where, chosen)) from error
    except ValidationError as error:
        key = error.full_key
        value = OmegaConf.select(update, key, default=None)
        expected = _expected_type(config, key)
        raise ConfigError(f"config key {key!r} {where}: value {value!r} is not a valid {expected}") from error


def _unknown_key_message(config: DictConfig, full_key: str, where: str, chosen: Any) -> str:
    parent_key, _, option = full_key.rpartition(".")
    parent = OmegaConf.select(config, parent_key) if parent_key else config
    keys = [str(key) for key in parent] if isinstance(parent, DictConfig) else []
    hint = unknown_key_hint(parent_key, option, chosen, keys) if keys else ""
    allowed = ", ".join(keys) if keys else "none (not a section)"
    return f"unknown config key {full_key!r} {where}; {hint + '; ' if hint else ''}allowed keys here: {allowed}"


def _expected_type(config: DictConfig, key: str) -> str:
    parent_key, _, name = key.rpartition(".")
    parent = OmegaConf.select(config, parent_key) if parent_key else config
    hint = parent._get_node(name)._metadata.ref_type if isinstance(parent, DictConfig) else Any
    return getattr(hint, "__name__", str(hint).replace("typing.", ""))


@dataclass(frozen=True)
class KeyRule:
    """A rule on one dotted key: what its value must satisfy."""

    key: str
    rule: Rule


def _choice(key: str, options: Iterable[str]) -> KeyRule:
    options = tuple(options)
    return KeyRule(key, Rule(lambda v: v in options, "one of " + ", ".join(options)))


def _all_in(key: str, options: Iterable[str]) -> KeyRule:
    options = tuple(options)
    return KeyRule(key, Rule(lambda v: all(x in options for x in v), "a list drawn from " + ", ".join(options)))


def registry_rules() -> list[KeyRule]:
    """The rules whose allowed values a registry holds, read when they run (so a registered name is allowed, and
    listed in errors and in docs/CONFIG.md); every other key's rule is declared beside it (``config.options``)."""
    return [
        *(_choice(f"{key}.{section.chooser}", section.registry) for key, section in SECTIONS.items()),
        _choice("data.device", DATA_DEVICES),
        _choice("generator.norm", NORMS),
        _choice("generator.output_activation", OUTPUT_ACTIVATIONS),
        _choice("generator.init", INITS),
        _choice("generator.conditioning", GENERATOR_CONDITIONINGS),
        _choice("discriminator.norm", NORMS),
        _choice("discriminator.init", INITS),
        _choice("discriminator.conditioning", DISCRIMINATOR_CONDITIONINGS),
        _choice("discriminator.view", VIEWS),
        _all_in("augment.policy", POLICIES),
        _all_in("run.loggers", LOGGERS),
        _choice("run.wandb.mode", WANDB_MODES),
        _all_in("metrics.names", metric_names()),
        _choice("metrics.extractor", EXTRACTORS),
        _choice("metrics.translation_mode", SAMPLING_MODES),
    ]


def declared_rules(config: DictConfig, prefix: str = "") -> Iterator[KeyRule]:
    """The rule declared on every field of ``config``'s sections (and of each extra discriminator)."""
    cls = OmegaConf.get_type(config)
    if dataclasses.is_dataclass(cls):
        for field in dataclasses.fields(cls):
            value = config[field.name]
            if isinstance(value, DictConfig):
                yield from declared_rules(value, f"{prefix}{field.name}.")
            elif (rule := rule_of(field)) is not None:
                yield KeyRule(f"{prefix}{field.name}", rule)
    else:
        for name, value in config.items():
            if isinstance(value, DictConfig):
                yield from declared_rules(value, f"{prefix}{name}.")


def metric_names() -> tuple[str, ...]:
    """Every name ``metrics.names`` may list for some kind of data and conditioning (each metric says which fit a
    given run: :func:`_check_metric_names`)."""

    return tuple(METRICS)


def discriminator_keys(config: DictConfig) -> list[str]:
    """The config keys of every discriminator: ``discriminator`` and each ``extra_discriminators.<name>``."""
    return ["discriminator", *(f"extra_discriminators.{name}" for name in config.extra_discriminators)]


def validate(config: DictConfig) -> None:
    """Check every value and the constraints between keys; raise :class:`ConfigError` on the first problem."""
    checks = list(declared_rules(config))
    for key_rule in registry_rules():
        # The discriminator's rules hold for every extra discriminator too.
        section, _, field = key_rule.key.partition(".")
        keys = [f"{d}.{field}" for d in discriminator_keys(config)] if section == "discriminator" else [key_rule.key]
        checks += [KeyRule(key, key_rule.rule) for key in keys]
    for check in checks:
        value = OmegaConf.select(config, check.key)
        plain = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
        if not check.rule.check(plain):
            raise ConfigError(f"invalid value {plain!r} for config key {check.key!r}; allowed: {check.rule.allowed}")
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
    for name in names:
        missing = [companion for companion in METRICS[name].companions if companion not in names]
        if missing:
            raise ConfigError(
                f"metrics.names={names}: {name} needs {', '.join(missing)} beside it (alone it scores a generator that "
                f"has lost the diversity {', '.join(missing)} measures as well as a good one); add {', '.join(missing)}"
            )
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
