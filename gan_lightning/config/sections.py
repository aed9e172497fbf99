"""Config sections that grow by the chosen component: ``data`` by the dataset, ``generator`` and each discriminator
by its ``arch``, ``loss`` by its ``name``.

Each registry keeps, beside its implementations, the subclass of the section's common dataclass that declares a
component's own options (``DATASET_SECTIONS``, ``GENERATOR_SECTIONS``, ...). :func:`schema_for` builds the typed
schema a run's files are merged onto from the components those files choose, so ``data.digit_size`` is a key of a
Moving MNIST run and an unknown key of an MNIST one. Config loading asks these registries, never a list of
components.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from omegaconf import DictConfig, OmegaConf

from gan_lightning.config.schema import DataConfig, DiscriminatorConfig, ExperimentConfig, GeneratorConfig, LossConfig
from gan_lightning.data import DATASET_SECTIONS, DATASETS
from gan_lightning.losses import LOSS_SECTIONS, LOSSES
from gan_lightning.networks import DISCRIMINATOR_SECTIONS, DISCRIMINATORS, GENERATOR_SECTIONS, GENERATORS


class UnknownComponentError(ValueError):
    """A section names a component no registry holds; ``str(error)`` is the one-line explanation."""


@dataclass(frozen=True)
class Section:
    """A section whose chosen component adds options: the key that names the component, the registry of names, the
    registered option classes (a component without one takes the common keys only) and the common dataclass."""

    chooser: str
    registry: Mapping[str, object]
    options: Mapping[str, type]
    common: type
    component: str

    def config_class(self, name: str, key: str) -> type:
        if name not in self.registry:
            raise UnknownComponentError(
                f"invalid value {name!r} for config key '{key}.{self.chooser}'; allowed: one of "
                + ", ".join(self.registry)
            )
        return self.options.get(name, self.common)

    def owners(self, option: str) -> list[str]:
        """The components whose options include ``option``."""
        return [name for name, cls in self.options.items() if option in {f.name for f in fields(cls)}]


SECTIONS = {
    "data": Section("name", DATASETS, DATASET_SECTIONS, DataConfig, "dataset"),
    "generator": Section("arch", GENERATORS, GENERATOR_SECTIONS, GeneratorConfig, "generator"),
    "discriminator": Section("arch", DISCRIMINATORS, DISCRIMINATOR_SECTIONS, DiscriminatorConfig, "discriminator"),
    "loss": Section("name", LOSSES, LOSS_SECTIONS, LossConfig, "loss"),
}
EXTRA_DISCRIMINATORS = "extra_discriminators"


def section_of(key: str) -> Section | None:
    """The section ``key`` (``data``, ``extra_discriminators.image``, ...) is, if it grows by its component."""
    head, _, _ = key.partition(".")
    return SECTIONS["discriminator"] if head == EXTRA_DISCRIMINATORS and "." in key else SECTIONS.get(key)


def _select(config: Any, key: str) -> Any:
    """``config``'s value at the dotted ``key`` (a plain or an OmegaConf mapping), or None."""
    for part in key.split("."):
        if not isinstance(config, Mapping | DictConfig) or part not in config:
            return None
        config = config[part]
    return config


def section_keys(config: Any) -> list[str]:
    """The keys of ``config``'s sections that grow by their component: ``data``, ``generator``, ``discriminator``,
    ``loss`` and ``extra_discriminators.<name>`` for each extra discriminator it names."""
    extra = _select(config, EXTRA_DISCRIMINATORS)
    names = extra if isinstance(extra, Mapping | DictConfig) else {}
    return [*SECTIONS, *(f"{EXTRA_DISCRIMINATORS}.{name}" for name in names)]


def _chosen(config: Any, key: str, section: Section) -> str:
    """The component ``config`` names at ``key`` (its common dataclass's default when it names none)."""
    name = _select(config, f"{key}.{section.chooser}")
    return str(name) if name is not None else getattr(section.common(), section.chooser)


def schema_for(config: Any = None) -> DictConfig:
    """The typed schema, with each section's options those of the component ``config`` (plain merged YAML, a saved
    config or a typed one) chooses; UnknownComponentError when it chooses one no registry holds."""
    schema = OmegaConf.structured(ExperimentConfig)
    for key in section_keys(config):
        section = section_of(key)
        assert section is not None
        head, _, name = key.partition(".")
        parent, field = (schema[head], name) if name else (schema, head)
        parent[field] = OmegaConf.structured(section.config_class(_chosen(config, key, section), key))
    return schema


def typed(config: Any) -> ExperimentConfig:
    """``config`` (a saved config's plain dict, or a typed one) merged onto its schema: a DictConfig that reads like
    an :class:`ExperimentConfig`."""
    return OmegaConf.merge(schema_for(config), config)  # type: ignore[return-value]


def unknown_key_hint(parent: str, option: str, config: Any, allowed: list[str]) -> str:
    """What to say of ``parent.option``, a key ``config``'s schema lacks: a close match, and which components take
    it when the section grows by its component."""
    hints = []
    close = difflib.get_close_matches(option, allowed, n=1)
    if close:
        hints.append(f"did you mean '{parent}.{close[0]}'?" if parent else f"did you mean '{close[0]}'?")
    section = section_of(parent)
    if section is not None:
        owners = section.owners(option)
        chosen = _chosen(config, parent, section)
        if owners:
            hints.append(f"{option} is an option of {section.component} {', '.join(owners)}, not of {chosen}")
    return "; ".join(hints)


def without_switched_options(layer: DictConfig, chose: Any, final: Any, where: str) -> DictConfig:
    """``layer`` (a config file, merged onto those before it into ``chose``) without the options it sets for a
    component that a later file or the command line replaced (``final``), with one warning naming them:
    ``--config video_moving_mnist_quick.yaml data.name=video_folder`` keeps the file's ``data.frames`` and
    ``data.resolution``, which ``video_folder`` takes too, and drops Moving MNIST's ``data.digit_size``. Swapping a
    component swaps its options, as choosing a config group does."""
    pruned = layer.copy()
    for key in section_keys(layer):
        section, node = section_of(key), _select(pruned, key)
        if section is None or not isinstance(node, DictConfig):
            continue
        was, now = _chosen(chose, key, section), _chosen(final, key, section)
        try:
            old, new = ({f.name for f in fields(section.config_class(name, key))} for name in (was, now))
        except UnknownComponentError:
            continue  # the merge names it
        dropped = [str(option) for option in node if option in old - new]
        for option in dropped:
            del node[option]
        if dropped:
            warnings.warn(
                f"{key}.{section.chooser}={now}: {', '.join(dropped)} set {where} for {was} do not apply; left out",
                stacklevel=2,
            )
    return pruned


# A saved config of a run made when every option of every component sat in one flat section, and its keys renamed
# since: (section, component) -> {old key: new key}.
RENAMED = {("data", "oracle"): {"oracle_seed": "seed"}, ("data", "spoken_digits"): {"synthesis_seed": "seed"}}


def upgrade_saved(saved: Any) -> dict[str, Any]:
    """A saved config (a run's ``config.yaml``, a checkpoint's hyperparameters) in today's sections.

    A config saved with one flat section per role holds every option of every component; those its chosen
    component does not take had no effect on the run and are dropped here, and renamed keys move. A generated
    dataset then drew its data from the run's ``seed``: its ``data.seed`` becomes that. A key no component
    declares is kept, so merging it onto the schema fails with the usual one-line error.
    """
    upgraded = OmegaConf.to_container(OmegaConf.create(saved), resolve=True)
    assert isinstance(upgraded, dict)
    for key in section_keys(upgraded):
        section = section_of(key)
        assert section is not None
        chosen = _chosen(upgraded, key, section)
        node = _select(upgraded, key)
        if not isinstance(node, dict):
            continue
        for old, new in RENAMED.get((key, chosen), {}).items():
            if old in node:
                node[new] = node.pop(old)
        try:
            options = {f.name for f in fields(section.config_class(chosen, key))}
        except UnknownComponentError:
            continue
        retired = {old for (head_key, _), renames in RENAMED.items() if head_key == key for old in renames}
        stale = [option for option in node if option not in options and (option in retired or section.owners(option))]
        if stale and key == "data" and "seed" in options and "seed" not in node:
            node["seed"] = upgraded.get("seed", 0)
        for option in stale:
            del node[option]
    return upgraded


def section_config(key: str, **values: Any) -> Any:
    """The ``key`` section (``data``, ``generator``, ...) of the component ``values`` choose, with ``values`` set:
    what a test or a notebook builds one network or dataset from without a whole run's config."""
    section = SECTIONS[key]
    return section.config_class(str(values.get(section.chooser, getattr(section.common(), section.chooser))), key)(
        **values
    )
