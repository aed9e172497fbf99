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


def _batch_norm_generator(tmp_path: Path, batches: int) -> GANModule:
    """The quickstart's batch-norm DCGAN, its EMA weights moved away from the weights its statistics came from."""
    config = tiny_config(tmp_path, "quickstart", **{"train.ema_standing_batches": batches, "train.batch_size": 16})
    module = GANModule(config, {"name": "images", "data_shape": [1, 32, 32], "value_range": [-1.0, 1.0]})
    with torch.no_grad():
        for parameter in module.ema_generator.parameters():
            parameter.mul_(1.5)
    return module


def test_standing_statistics_are_the_ema_generators_own_and_change_nothing_else(tmp_path: Path) -> None:
    module = _batch_norm_generator(tmp_path, batches=4)
    live = {name: b.clone() for name, b in module.ema_generator.named_buffers()}
    raw = {name: b.clone() for name, b in module.generator.named_buffers()}
    first_norm = next(m for m in module.ema_generator.modules() if isinstance(m, torch.nn.BatchNorm2d))
    seen: list[torch.Tensor] = []
    hook = first_norm.register_forward_hook(lambda norm, args, out: seen.append(args[0]) if norm.training else None)
    noise = torch.randn(256, module.latent_size)
    rng = torch.get_rng_state()
    standing = module.sample(noise=noise)
    assert len(seen) == 4 and all(len(batch) == 16 for batch in seen)  # 4 batches of batch_size, in train mode
    # the first batch norm's statistics are those of its own inputs, by hand
    inputs = torch.cat(seen)
    torch.testing.assert_close(first_norm.running_mean, inputs.mean((0, 2, 3)))
    # measured once per generator step: sampling again reuses them, and gives the same samples
    torch.testing.assert_close(module.sample(noise=noise), standing, rtol=0, atol=0)
    assert len(seen) == 4
    hook.remove()
    # the live generator, the training RNG and the EMA's mode are untouched; its statistics did move
    assert all(torch.equal(b, raw[name]) for name, b in module.generator.named_buffers())
    assert torch.equal(torch.get_rng_state(), rng) and not module.ema_generator.training
    assert not torch.allclose(first_norm.running_mean, live[next(n for n in live if n.endswith("running_mean"))])
    # closer than the live generator's statistics to what each batch's own statistics give (a large batch)
    by_batch = module.sample(noise=noise, mode="train")
    with_live = _batch_norm_generator(tmp_path / "live", batches=0)
    with_live.load_state_dict(module.state_dict())
    with_live.ema_generator.load_state_dict({**module.ema_generator.state_dict(), **live})
    stale = with_live.sample(noise=noise)
    assert (standing - by_batch).abs().mean() < 0.5 * (stale - by_batch).abs().mean()
