"""pix2pix's U-Net and PatchGAN: shapes, skip connections, dropout as the noise, and one-line errors."""

from __future__ import annotations

import pytest
import torch

from gan_lightning.config.sections import section_config
from gan_lightning.networks import build_discriminator, build_generator

UNET = section_config("generator", arch="unet", width=8)
PATCHGAN = section_config("discriminator", arch="patchgan", width=8, norm="batch")


@pytest.mark.parametrize(("side", "channels"), [(32, (1, 1)), (64, (1, 3))])
def test_unet_maps_inputs_to_images_of_the_target_shape(side: int, channels: tuple[int, int]) -> None:
    torch.manual_seed(0)
    generator = build_generator(UNET, (channels[1], side, side), condition_shape=(channels[0], side, side))
    assert generator.latent_size == 0 and len(generator.down) == int(torch.log2(torch.tensor(side)))
    inputs = torch.randn(4, channels[0], side, side)
    generator.eval()
    outputs = generator(torch.empty(4, 0), inputs)
    assert outputs.shape == (4, channels[1], side, side) and outputs.abs().max() <= 1
    torch.testing.assert_close(generator(torch.empty(4, 0), inputs), outputs)  # eval: no dropout, deterministic
    # the outermost skip carries the input straight to the last layer: changing one input pixel changes the output
    # there, although the bottleneck is 1 pixel
    changed = inputs.clone()
    changed[:, :, 5, 5] += 3
    difference = (generator(torch.empty(4, 0), changed) - outputs).abs().sum(dim=(0, 1))
    assert difference[5, 5] > 0 and difference[side - 4 :, side - 4 :].sum() < difference[3:8, 3:8].sum()
    generator.train()  # training: dropout makes two passes differ (pix2pix's noise source)
    assert not torch.allclose(generator(torch.empty(4, 0), inputs), generator(torch.empty(4, 0), inputs))


def test_patchgan_judges_pairs_patch_by_patch() -> None:
    discriminator = build_discriminator(PATCHGAN, (3, 32, 32), condition_shape=(1, 32, 32))
    logits = discriminator(torch.randn(2, 3, 32, 32), torch.randn(2, 1, 32, 32))
    assert logits.shape == (2, 4)  # depth 3: 32 -> 16 -> 8 -> 4 -> 3 -> 2, i.e. 2 x 2 patches
    deeper = build_discriminator(
        section_config("discriminator", arch="patchgan", width=8, depth=2), (1, 32, 32), condition_shape=(1, 32, 32)
    )
    assert deeper(torch.randn(2, 1, 32, 32), torch.randn(2, 1, 32, 32)).shape == (2, 36)
    with pytest.raises(ValueError, match=r"call it as discriminator\(x, inputs\)"):
        discriminator(torch.randn(2, 3, 32, 32))


def test_translation_networks_need_paired_data_of_one_power_of_two_size() -> None:
    with pytest.raises(ValueError, match=r"'unet' translates an input image: it needs paired data"):
        build_generator(UNET, (1, 32, 32))
    with pytest.raises(ValueError, match=r"a side that is a power of two, at least 32; got 28"):
        build_generator(UNET, (1, 28, 28), condition_shape=(1, 28, 28))
    with pytest.raises(ValueError, match=r"inputs and targets of one size"):
        build_discriminator(PATCHGAN, (1, 32, 32), condition_shape=(1, 64, 64))
    with pytest.raises(ValueError, match=r"generator arch 'dcgan' has no image-translation variant; use one of: unet"):
        build_generator(section_config("generator"), (1, 32, 32), "image-translation", condition_shape=(1, 32, 32))
