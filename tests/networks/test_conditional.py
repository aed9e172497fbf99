"""Class-conditional G and D: shapes, the label really steers the output, the projection and ACGAN heads
compute what their papers write, and impossible combinations are one-line errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from helpers import DIGITS

from gan_lightning.config.sections import section_config
from gan_lightning.networks import build_discriminator, build_generator
from gan_lightning.networks.conditioning import ConditionalBatchNorm
from gan_lightning.steps.objectives import classification, critic_loss
from gan_lightning.steps.penalties import PenaltyPlan

SHAPES = [(1, 28, 28), (3, 32, 32)]
LABELS = torch.tensor([0, 1, 2, 3, 4, 5])


def _randomize_class_parameters(network: torch.nn.Module) -> None:
    """Conditional batch norm starts as plain batch norm for every class (scale 1, shift 0); move it off."""
    for module in network.modules():
        if isinstance(module, ConditionalBatchNorm):
            torch.nn.init.normal_(module.scale.weight, 1.0, 0.3)
            torch.nn.init.normal_(module.shift.weight, 0.0, 0.3)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("conditioning", ["batchnorm", "embedding"])
@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_conditional_generator_depends_on_the_label(arch: str, conditioning: str, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    generator = build_generator(
        section_config("generator", arch=arch, width=16, conditioning=conditioning), shape, num_classes=6
    )
    _randomize_class_parameters(generator)
    generator.eval()
    z = torch.randn(1, generator.latent_size).repeat(6, 1)  # one latent, six classes
    images = generator(z, LABELS)
    assert images.shape == (6, *shape)
    differences = (images[:, None] - images[None]).abs().flatten(2).amax(dim=2) / images.abs().max()
    assert (differences + torch.eye(6) > 1e-3).all()  # every pair of classes gives a different image
    # the class parameters get gradients through the output
    generator.train()
    generator(torch.randn(6, generator.latent_size), LABELS).square().mean().backward()
    class_params = [
        p for name, p in generator.named_parameters() if "scale" in name or "shift" in name or "embed" in name
    ]
    assert class_params and all(p.grad is not None and p.grad.abs().sum() > 0 for p in class_params)
    with pytest.raises(ValueError, match="needs labels"):
        generator(z)


def _logit_layer(network: torch.nn.Module) -> torch.nn.Module:
    """The unconditional logit layer: the last Conv2d / Linear registered outside the class head."""
    layers = [
        module
        for name, module in network.named_modules()
        if isinstance(module, torch.nn.Conv2d | torch.nn.Linear) and not name.startswith("head")
    ]
    return layers[-1]


def _run_reading_phi(network: torch.nn.Module, *inputs: torch.Tensor) -> tuple[object, torch.Tensor]:
    """``network(*inputs)`` and phi(x), flattened: what its logit layer received in that call, caught by a
    forward pre-hook rather than re-derived from the network's own code."""
    caught: list[torch.Tensor] = []
    handle = _logit_layer(network).register_forward_pre_hook(lambda _, args: caught.append(args[0].detach()))
    try:
        output = network(*inputs)
    finally:
        handle.remove()
    (phi,) = caught
    return output, phi.flatten(1)


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_projection_discriminator_adds_the_class_embedding_inner_product(arch: str) -> None:
    """Miyato & Koyama's projection: logit(x, y) = psi(phi(x)) + <embed(y), phi(x)>, where psi(phi(x)) is the
    unconditional network's logit and phi(x) what its logit layer reads (caught by a hook on the unconditional
    network sharing the weights)."""
    torch.manual_seed(0)
    config = section_config("discriminator", arch=arch, width=16, norm="none", conditioning="projection")
    discriminator = build_discriminator(config, (1, 28, 28), num_classes=6)
    unconditional = build_discriminator(section_config("discriminator", arch=arch, width=16, norm="none"), (1, 28, 28))
    state = {k: v for k, v in discriminator.state_dict().items() if not k.startswith("head.")}
    unconditional.load_state_dict(state)  # the same network without the head
    x = torch.randn(6, 1, 28, 28)
    plain, phi = _run_reading_phi(unconditional, x)
    # the hook caught the logit layer's whole input: the logit is linear in it (a full-size conv or a Linear)
    layer = _logit_layer(unconditional)
    torch.testing.assert_close(plain, phi @ layer.weight.flatten(1)[0] + layer.bias)
    logits = discriminator(x, LABELS)
    torch.testing.assert_close(logits, plain + (discriminator.head.embed.weight[LABELS] * phi).sum(dim=1))
    assert not torch.allclose(discriminator(x, LABELS.flip(0)), logits)


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_acgan_discriminator_returns_class_logits_of_its_features(arch: str) -> None:
    torch.manual_seed(0)
    config = section_config("discriminator", arch=arch, width=16, norm="spectral", conditioning="acgan")
    discriminator = build_discriminator(config, (3, 32, 32), num_classes=6).eval()
    x = torch.randn(4, 3, 32, 32)
    (logits, class_logits), phi = _run_reading_phi(discriminator, x)
    assert logits.shape == (4,) and class_logits.shape == (4, 6)
    torch.testing.assert_close(class_logits, discriminator.head.classifier(phi))


def test_acgan_classification_loss_by_hand() -> None:
    """The module's ACGAN term: weight x mean cross-entropy, here computed from the softmax by hand."""
    from gan_lightning.module import GANModule

    config = {"discriminator": {"conditioning": "acgan"}, "loss": {"classification": 0.5}}
    module = GANModule(config, DIGITS, {"name": "classes", "class_counts": [5, 5, 5]})
    class_logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    labels = torch.tensor([0, 2])
    by_hand = (
        0.5 * -(torch.log(torch.tensor(torch.e**2 / (torch.e**2 + 2))) + torch.log(torch.tensor(1 / (torch.e + 2)))) / 2
    )
    torch.testing.assert_close(classification(module.cfg.loss, class_logits, labels), by_hand)
    assert classification(module.cfg.loss, class_logits, None) is None
    assert classification(module.cfg.loss, None, labels) is None
    torch.testing.assert_close(by_hand, 0.5 * F.cross_entropy(class_logits, labels))


def test_impossible_combinations_are_one_line_errors() -> None:
    with pytest.raises(ValueError, match=r"generator arch 'mlp' has no class-conditional variant; use one of: dcgan"):
        build_generator(section_config("generator", arch="mlp"), (2,), "class-conditional", num_classes=4)
    with pytest.raises(ValueError, match=r"conditioning=batchnorm needs generator.norm=batch, not 'none'"):
        build_generator(section_config("generator", norm="none"), (1, 28, 28), num_classes=4)
    with pytest.raises(ValueError, match=r"discriminator.pack=2 mixes samples of different labels"):
        build_discriminator(section_config("discriminator", pack=2), (1, 28, 28), num_classes=4)
    with pytest.raises(ValueError, match=r"at least 2 classes, got 1"):
        build_discriminator(section_config("discriminator"), (1, 28, 28), num_classes=1)


def test_unconditional_networks_keep_their_parameter_names() -> None:
    """Checkpoints written before class conditioning existed load unchanged."""
    generator = build_generator(section_config("generator", width=8), (1, 28, 28))
    discriminator = build_discriminator(section_config("discriminator", width=8, norm="batch"), (1, 28, 28))
    assert list(generator.state_dict())[:3] == ["net.0.0.weight", "net.0.1.weight", "net.0.1.bias"]
    assert "net.1.1.running_mean" in discriminator.state_dict()
    assert not any(key.startswith(("embed", "head")) for key in [*generator.state_dict(), *discriminator.state_dict()])


@pytest.mark.parametrize("classify_generated", [True, False])
def test_acgan_classifier_learns_generated_labels_only_when_asked(classify_generated: bool) -> None:
    """``loss.classify_generated: false`` leaves D's classification term to the real images' cross-entropy alone;
    the expected values are cross-entropies of D's own class logits, computed here outside the module's loss."""
    from gan_lightning.module import GANModule

    torch.manual_seed(0)
    config = {
        "discriminator": {"conditioning": "acgan", "width": 8},
        "generator": {"width": 8},
        "loss": {"classification": 0.5, "classify_generated": classify_generated},
    }
    module = GANModule(config, DIGITS, {"name": "classes", "class_counts": [5, 5, 5]})
    real, fake = torch.rand(4, *DIGITS["data_shape"]) * 2 - 1, torch.rand(4, *DIGITS["data_shape"]) * 2 - 1
    real_labels, fake_labels = torch.tensor([0, 1, 2, 0]), torch.tensor([2, 2, 1, 0])
    objective = module._objective()
    plan = PenaltyPlan(real, fake, alpha=None, r1=0.0, r2=0.0)
    _, stats, _ = critic_loss(objective, module.critics[0], real_labels, fake_labels, plan)
    _, real_classes = module.discriminator(real, real_labels)
    _, fake_classes = module.discriminator(fake, fake_labels)
    expected = 0.5 * F.cross_entropy(real_classes, real_labels)
    if classify_generated:
        expected = expected + 0.5 * F.cross_entropy(fake_classes, fake_labels)
    torch.testing.assert_close(stats["d_classification"], expected.detach())
