"""Per-component config sections: each dataset, network and loss declares its own options, a run's sections take
those of the components it chooses, and configs and checkpoints saved with one flat section per role still load.

The fixtures were written by the flat layout's own code: ``flat_*_config.yaml`` are the ``config.yaml`` such runs
saved, and ``flat_toy_ring.ckpt`` a checkpoint of its toy-ring module with the samples it drew (6 points from
``torch.Generator().manual_seed(1)``) under ``expected_samples``.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest
import torch
import yaml
from helpers import REPO

from gan_lightning.checkpointing import load_module
from gan_lightning.config.loading import ConfigError, load_config, load_saved_config
from gan_lightning.config.schema import DiscriminatorConfig, GeneratorConfig
from gan_lightning.config.sections import SECTIONS
from gan_lightning.networks import DISCRIMINATOR_SECTIONS, DISCRIMINATORS, GENERATOR_SECTIONS, GENERATORS

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_a_flat_saved_config_loads_without_the_options_it_never_used() -> None:
    config = load_saved_config(FIXTURES / "flat_toy_ring_config.yaml")
    flat = yaml.safe_load((FIXTURES / "flat_toy_ring_config.yaml").read_text())
    assert len(flat["data"]) > 40  # every dataset's options, as the flat layout saved them
    assert set(config.data) == {"name", "data_dir", "download", "device", "conditional", "seed", "num_samples", "scale"}
    assert config.data.num_samples == flat["data"]["num_samples"] == 256
    # the toy points were drawn from the run's seed then: the data seed keeps them
    assert config.seed == 3 and config.data.seed == 3
    assert config.generator.depth == flat["generator"]["depth"]  # the MLP's own option stays


def test_a_renamed_option_moves_to_its_new_key() -> None:
    config = load_saved_config(FIXTURES / "flat_text_oracle_config.yaml")
    assert yaml.safe_load((FIXTURES / "flat_text_oracle_config.yaml").read_text())["data"]["oracle_seed"] == 5
    assert config.data.seed == 5 and "oracle_seed" not in config.data


def test_a_flat_checkpoint_loads_and_samples_as_it_did(tmp_path: Path) -> None:
    saved = torch.load(FIXTURES / "flat_toy_ring.ckpt", weights_only=False)
    module = load_module(FIXTURES / "flat_toy_ring.ckpt")
    assert module.cfg.data.seed == 3 and not hasattr(module.cfg.data, "vocab_size")
    drawn = module.to_data_space(module.sample(6, generator=torch.Generator().manual_seed(1)))
    torch.testing.assert_close(drawn, saved["expected_samples"], rtol=0, atol=0)


def test_a_saved_key_no_component_declares_stops_with_one_line(tmp_path: Path) -> None:
    flat = yaml.safe_load((FIXTURES / "flat_toy_ring_config.yaml").read_text())
    flat["data"]["glitter"] = 1
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(flat))
    with pytest.raises(ConfigError, match=r"^unknown config key 'data.glitter' in .*config.yaml; allowed keys here: "):
        load_saved_config(path)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["data.digit_size=3"], "digit_size is an option of dataset moving_mnist, not of mnist_embedded"),
        (["generator.temperature_max=5"], "temperature_max is an option of generator text_lstm, not of dcgan"),
        (["data.name=sines", "data.feature=2"], "did you mean 'data.features'?"),
        (["data.name=moving_mnist", "data.digit_size=x"], "'data.digit_size'"),
    ],
)
def test_an_option_of_another_component_is_one_line_naming_its_owner(overrides: list[str], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config([REPO / "configs" / "quickstart.yaml"], overrides)
    assert expected in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("registry", "sections", "base"),
    [(GENERATORS, GENERATOR_SECTIONS, GeneratorConfig), (DISCRIMINATORS, DISCRIMINATOR_SECTIONS, DiscriminatorConfig)],
)
def test_every_option_of_a_network_reaches_its_constructor(registry: dict, sections: dict, base: type) -> None:
    """Options reach a network by keyword name: one its constructor lacks would be accepted and ignored."""
    for arch, section in sections.items():
        keywords = set(inspect.signature(registry[arch]).parameters)
        common = {field.name for field in dataclasses.fields(base)}
        own = {field.name for field in dataclasses.fields(section)} - common
        assert own <= keywords, f"{arch}: {own - keywords} reach no keyword of {registry[arch].__name__}"


def test_each_section_declares_only_its_components_options() -> None:
    """A component's options subclass its section's common dataclass, and no component redeclares a common key."""
    for key, section in SECTIONS.items():
        common = {field.name: field for field in dataclasses.fields(section.common)}
        for name, options in section.options.items():
            assert issubclass(options, section.common), f"{key}.{section.chooser}={name}"
            for field in dataclasses.fields(options):
                if field.name in common:
                    assert field.default == common[field.name].default, f"{name} changes {key}.{field.name}"


def test_switching_a_component_leaves_out_the_files_options_of_the_old_one() -> None:
    """A file's options of the component it chose do not follow a command-line switch to another one, with one
    warning naming them; the options both take carry over; an option the command line sets for a component it did
    not choose is still an error."""
    video = REPO / "configs" / "video_moving_mnist_quick.yaml"
    saved = yaml.safe_load(video.read_text())["generator"]
    with pytest.warns(UserWarning, match=r"^generator.arch=video3d: .*sprite set in .* for mocogan do not apply"):
        config = load_config([video], ["generator.arch=video3d"])
    assert "sprite" not in config.generator and config.generator.width == saved["width"]
    assert load_config([video]).generator.sprite == saved["sprite"]  # no switch: kept
    grid = REPO / "configs" / "toy_grid.yaml"
    with pytest.warns(UserWarning, match=r"^data.name=sines: scale set in .*toy_grid.yaml for toy_grid do not apply"):
        sines = load_config([grid], ["data.name=sines", "data.num_samples=64"])
    assert "scale" not in sines.data and sines.data.num_samples == 64
    with pytest.raises(ConfigError, match="sprite is an option of generator mocogan, not of video3d"):
        load_config([video], ["generator.arch=video3d", "generator.sprite=8"])
