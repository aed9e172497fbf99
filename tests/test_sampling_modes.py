"""How a generator runs when sampled: eval mode, or pix2pix's test time (dropout on, each batch's BatchNorm
statistics), which must still leave the module and the training RNG as they were."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import tiny_config

from gan_lightning.module import GANModule

PAIR = {"name": "images", "data_shape": [1, 32, 32], "value_range": [-1.0, 1.0]}


def translator(tmp_path: Path) -> GANModule:
    config = tiny_config(tmp_path, "quickstart", **{"generator.arch": "unet", "discriminator.arch": "patchgan"})
    return GANModule(config, PAIR, {"name": "image", "input_shape": [1, 32, 32]})


def test_train_mode_turns_on_dropout_and_batch_statistics_and_changes_nothing(tmp_path: Path) -> None:
    module = translator(tmp_path)
    inputs = torch.rand(6, 1, 32, 32) * 2 - 1
    buffers = {name: b.clone() for name, b in module.ema_generator.named_buffers()}
    rng = torch.get_rng_state()
    evaluated = module.sample(condition=inputs)
    trained = module.sample(condition=inputs, mode="train")
    # dropout on: outputs differ from eval mode, yet the seeded dropout repeats itself
    assert not torch.allclose(evaluated, trained)
    torch.testing.assert_close(module.sample(condition=inputs, mode="train"), trained, rtol=0, atol=0)
    # nothing moved: the EMA generator's running statistics, its mode, the training RNG
    assert all(torch.equal(b, buffers[name]) for name, b in module.ema_generator.named_buffers())
    assert not module.ema_generator.training and torch.equal(torch.get_rng_state(), rng)
    torch.testing.assert_close(module.sample(condition=inputs), evaluated, rtol=0, atol=0)
    # a network in train mode by hand, its BatchNorm on the batch's statistics, gives the same outputs
    by_hand = translator(tmp_path)
    by_hand.load_state_dict(module.state_dict())
    by_hand.ema_generator.train()
    with torch.no_grad(), torch.random.fork_rng():
        torch.manual_seed(0)
        torch.testing.assert_close(by_hand.ema_generator(torch.empty(6, 0), inputs), trained)


def test_an_unknown_mode_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"sampling mode 'test'; allowed: eval, train"):
        translator(tmp_path).sample(condition=torch.zeros(1, 1, 32, 32), mode="test")
