"""Config loading: layering, both override syntaxes, and one clear error per bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from gan_lightning.config.loading import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "configs" / "quickstart.yaml"


def test_defaults_then_files_then_overrides(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("train:\n  batch_size: 32\nloss:\n  name: hinge\n")
    cfg = load_config([QUICKSTART, extra], ["train.batch_size=48", "--g_optim.lr=0.001", "--trainer.devices=auto"])
    assert cfg.name == "quickstart"  # from the first file
    assert cfg.loss.name == "hinge"  # from the second file
    assert cfg.train.batch_size == 48  # override beats files
    assert cfg.g_optim.lr == pytest.approx(0.001)  # wandb-agent form
    assert cfg.trainer.devices == "auto"
    assert cfg.d_optim.betas == [0.5, 0.999]  # schema default untouched


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            ["train.batchsize=3"],
            "unknown config key 'train.batchsize' on the command line; did you mean 'train.batch_size'?; "
            "allowed keys here: max_steps",
        ),
        (["nonsense=1"], "unknown config key 'nonsense'"),
        (
            ["train.batch_size=abc"],
            "config key 'train.batch_size' on the command line: value 'abc' is not a valid int",
        ),
        (["train.batch_size=0"], "invalid value 0 for config key 'train.batch_size'; allowed: a number > 0"),
        (["g_optim.lr=-0.1"], "invalid value -0.1 for config key 'g_optim.lr'; allowed: a number > 0"),
        (
            ["loss.name=wgan"],
            "invalid value 'wgan' for config key 'loss.name'; allowed: one of minimax, non_saturating",
        ),
        (
            ["generator.arch=stylegan"],
            "invalid value 'stylegan' for config key 'generator.arch'; allowed: one of mlp, dcgan",
        ),
        (["discriminator.norm=layer"], "invalid value 'layer' for config key 'discriminator.norm'"),
        (
            ["generator.output_layer=pixel_shuffle"],
            "invalid value 'pixel_shuffle' for config key 'generator.output_layer'; "
            "allowed: one of transposed, conv, upsample",
        ),
        (
            ["d_optim.betas=[0.5]"],
            "invalid value [0.5] for config key 'd_optim.betas'; allowed: two numbers in [0, 1)",
        ),
        (["train.ema_decay=1.5"], "invalid value 1.5 for config key 'train.ema_decay'"),
        (
            ["g_optim.beta2_end=1.0"],
            "invalid value 1.0 for config key 'g_optim.beta2_end'; allowed: null or a number in [0, 1)",
        ),
        (
            ["loss.penalty_end=-0.1"],
            "invalid value -0.1 for config key 'loss.penalty_end'; allowed: null or a number >= 0",
        ),
        (
            ["train.ema_half_life=0"],
            "invalid value 0.0 for config key 'train.ema_half_life'; allowed: null or a number > 0",
        ),
        (["trainer.precision=8-bit"], "invalid value '8-bit' for config key 'trainer.precision'"),
        (["data.name=cifar100"], "invalid value 'cifar100' for config key 'data.name'"),
        (["discriminator.pack=3"], "train.batch_size=64 must be divisible by discriminator.pack=3"),
        (
            ["g_optim.clip_norm=1", "g_optim.clip_value=1"],
            "g_optim.clip_norm and g_optim.clip_value are both set",
        ),
        (["train.max_steps"], "override 'train.max_steps' must look like key=value"),
        (
            ["data.name=toy_ring"],
            "data.name=toy_ring is 2-D point data; generator.arch=dcgan does not take it (its data_kinds: images, "
            "spectrogram); use one of: mlp",
        ),
        (
            ["generator.arch=lstm"],
            "data.name=mnist_embedded is image data (C, H, W); generator.arch=lstm does not take it "
            "(its data_kinds: sequences); use one of: mlp, dcgan, resnet, unet",
        ),
        (["data.name=sines"], "data.name=sines is sequence data (T, C); generator.arch=dcgan does not take it"),
        (
            ["data.name=sines", "generator.arch=gru", "discriminator.arch=gru"],
            "metrics.names=['fid', 'pr', 'classes']: fid, pr, classes cannot score unconditional sequence data (T, C); "
            "use level_coverage, discriminative, predictive",
        ),
        (["metrics.names=[predictive]"], "predictive cannot score unconditional image data (C, H, W); use fid, kid"),
        (
            ["data.name=sines", "data.sequence_length=1"],
            "invalid value 1 for config key 'data.sequence_length'; allowed: an integer >= 2",
        ),
    ],
)
def test_bad_values_raise_one_line(overrides: list[str], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config([QUICKSTART], overrides)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_missing_data_dir_names_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config([QUICKSTART], ["data.name=mnist", f"data.data_dir={tmp_path / 'nowhere'}"])
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message and "data.download=true" in message and "\n" not in message


def test_unknown_key_in_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  max_step: 10\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'train.max_step' in .*bad.yaml"):
        load_config([bad])


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config([tmp_path / "missing.yaml"])
    broken = tmp_path / "broken.yaml"
    broken.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_config([broken])
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("42\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config([scalar])


@pytest.mark.parametrize("name", ["quickstart", "toy_ring", "toy_grid"])
def test_shipped_configs_validate(name: str) -> None:
    load_config([REPO / "configs" / f"{name}.yaml"])


def test_full_mnist_config_validates_with_download() -> None:
    cfg = load_config([REPO / "configs" / "dcgan_mnist.yaml"])
    assert cfg.data.download is True


@pytest.mark.parametrize("name", ["cgan_fashion_mnist", "acgan_fashion_mnist", "pix2pix_fashion_edges"])
def test_conditional_configs_validate_and_build_alone_and_with_the_quick_overlay(name: str) -> None:
    from gan_lightning.data import build_datamodule
    from gan_lightning.kinds import value_range
    from gan_lightning.module import GANModule

    for files in ([name], [name, "quick_cpu"]):
        cfg = load_config([REPO / "configs" / f"{f}.yaml" for f in files])
        datamodule = build_datamodule(cfg)
        kind = {
            "name": datamodule.kind_name,
            "data_shape": list(datamodule.data_shape),
            "value_range": value_range(cfg),
        }
        conditioning = (
            {"name": "image", "input_shape": list(datamodule.input_shape)}
            if datamodule.conditioning_name == "image"
            else {"name": "classes", "class_counts": [6000] * 10}
        )
        module = GANModule(cfg, kind, conditioning)
        assert module.cfg.train.max_steps == (1500 if "quick_cpu" in files else cfg.train.max_steps)
