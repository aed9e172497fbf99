"""Feature matching: the distance on hand-made features, the layer each discriminator names, and runs with it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from helpers import REPO, tiny_config, train
from torch import Tensor

from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.losses.feature_matching import captured_features, feature_layer, feature_matching
from gan_lightning.networks import DISCRIMINATORS
from gan_lightning.networks.mlp import MLPDiscriminator


def test_distance_and_gradient_match_a_hand_computation() -> None:
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])  # mean (2, 3)
    fake = torch.tensor([[0.0, 0.0], [2.0, 2.0]], requires_grad=True)  # mean (1, 1)
    distance = feature_matching(real, fake)
    assert distance.item() == pytest.approx((1.0**2 + 2.0**2) / 2)  # averaged over the 2 features
    distance.backward()
    # d/d fake[n, j] = -2 (real_mean_j - fake_mean_j) / 2 features / 2 samples
    assert torch.allclose(fake.grad, torch.tensor([[-0.5, -1.0], [-0.5, -1.0]]))


def test_only_the_batch_means_count() -> None:
    real = torch.randn(6, 3, 4)
    assert feature_matching(real, real.flip(0)).item() == pytest.approx(0.0, abs=1e-12)  # same batch, other order
    assert feature_matching(real, real + 1.0).item() == pytest.approx(1.0)  # every mean off by one


def test_the_real_side_carries_no_gradient() -> None:
    real, fake = torch.randn(4, 5, requires_grad=True), torch.randn(4, 5, requires_grad=True)
    feature_matching(real, fake).backward()
    assert real.grad is None and fake.grad is not None


def test_mlp_features_are_its_hidden_layer_computed_by_hand() -> None:
    torch.manual_seed(0)
    discriminator = MLPDiscriminator((2,), width=5, depth=1)
    first = discriminator.net[0][0]  # the first block's Linear
    x = torch.randn(7, 2)
    with captured_features(discriminator) as seen:
        discriminator(x)
    (features,) = seen
    assert torch.allclose(features, F.leaky_relu(x @ first.weight.T + first.bias, 0.2))


def _inputs(arch: str) -> tuple[dict[str, object], tuple[int, ...], Tensor, dict[str, Tensor]]:
    """Constructor options, data shape, a batch for the network and any keyword inputs, for each shipped arch."""
    batch = 4
    cases: dict[str, tuple[dict[str, object], tuple[int, ...]]] = {
        "mlp": ({"width": 8, "depth": 2, "minibatch_std": True}, (2,)),
        "dcgan": ({"width": 4}, (1, 28, 28)),
        "resnet": ({"width": 8}, (3, 32, 32)),
        "lstm": ({"width": 8}, (12, 3)),
        "gru": ({"width": 8, "per_step": False}, (12, 3)),
        "patchgan": ({"width": 4, "condition_shape": (1, 32, 32)}, (1, 32, 32)),
        "text_cnn": ({"width": 4, "embedding_dim": 5, "representations": 2}, (6, 7)),
        "video3d": ({"width": 4}, (8, 1, 32, 32)),
        "wavegan": ({"width": 2}, (1, 1024)),
        "r3gan": ({"width": 8, "cardinality": 4, "blocks": 1}, (1, 28, 28)),
    }
    options, shape = cases[arch]
    extra = {"inputs": torch.randn(batch, 1, 32, 32)} if arch == "patchgan" else {}
    x = F.softmax(torch.randn(batch, *shape), -1) if arch == "text_cnn" else torch.randn(batch, *shape)
    return options, shape, x, extra


@pytest.mark.parametrize("arch", sorted(DISCRIMINATORS))
def test_each_discriminators_logit_layer_turns_its_features_into_its_logits(arch: str) -> None:
    """What ``feature_layer`` names is the layer making the logits, called once per forward on the whole batch."""
    torch.manual_seed(0)
    options, shape, x, extra = _inputs(arch)
    discriminator = DISCRIMINATORS[arch](shape, **options).eval()
    with captured_features(discriminator) as seen, torch.no_grad():
        logits = discriminator(x, **extra)
    (features,) = seen
    with torch.no_grad():
        again = feature_layer(discriminator)(features)
    assert features.shape[0] % x.shape[0] == 0  # a row per sample (per representation of it, for text_cnn)
    assert torch.equal(again.flatten(), logits.flatten())


def test_feature_matching_trains_and_is_logged_per_critic(tmp_path: Path) -> None:
    overrides = {
        "loss.feature_matching": 2.0,
        "train.log_every": 1,
        "extra_discriminators.wide.arch": "mlp",
        "extra_discriminators.wide.width": 16,
    }
    run_dir = train(tiny_config(tmp_path, "toy_ring", **overrides))
    with open(run_dir / "metrics.csv") as stream:
        rows = [row for row in csv.DictReader(stream) if row.get("train/g_feature_matching")]
    assert rows, "train/g_feature_matching not logged"
    for row in rows:  # the total is the critics' sum (weight 1 each), every term a squared distance
        parts = float(row["train/g_feature_matching"]) - float(row["train/g_feature_matching_wide"])
        assert parts >= 0 and float(row["train/g_feature_matching_wide"]) >= 0


def test_generator_driven_by_feature_matching_alone_closes_the_gap(tmp_path: Path) -> None:
    """With the adversarial term off and D as good as fixed (learning rate 1e-9), G's only signal is the distance
    between the batch means of D's features: it must shrink (batches and D wide enough that it starts above the noise of
    a batch mean)."""
    overrides = {
        "loss.feature_matching": 1.0,
        "loss.adversarial_weight": 0.0,
        "d_optim.lr": 1e-9,
        "g_optim.lr": 1e-2,
        "train.log_every": 1,
        "train.max_steps": 60,
        "train.batch_size": 256,
        "discriminator.width": 64,
    }
    run_dir = train(tiny_config(tmp_path, "toy_ring", **overrides))
    with open(run_dir / "metrics.csv") as stream:
        values = [float(row["train/g_feature_matching"]) for row in csv.DictReader(stream) if row.get("train/g_loss")]
    first, last = sum(values[:5]) / 5, sum(values[-5:]) / 5
    assert last < 0.5 * first, (first, last)


def test_feature_matching_is_off_by_default_and_rejects_negative_weights() -> None:
    config = load_config([REPO / "configs" / "toy_ring.yaml"], [])
    assert config.loss.feature_matching == 0
    with pytest.raises(ConfigError, match=r"loss\.feature_matching"):
        load_config([REPO / "configs" / "toy_ring.yaml"], ["loss.feature_matching=-1"])


def test_a_discriminator_without_a_feature_layer_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class Plain(MLPDiscriminator):
        feature_layer = None  # type: ignore[assignment]

    monkeypatch.setitem(DISCRIMINATORS, "plain", Plain)
    config = [REPO / "configs" / "toy_ring.yaml"]
    with pytest.raises(ConfigError, match=r"discriminator\.arch=plain .*feature_layer") as error:
        load_config(config, ["discriminator.arch=plain", "loss.feature_matching=1"])
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("dtype", "expected"), [(torch.bfloat16, torch.float32), (torch.float64, torch.float64)])
def test_the_distance_is_taken_in_float32_or_wider(dtype: torch.dtype, expected: torch.dtype) -> None:
    features = torch.randn(4, 3, dtype=dtype)
    assert feature_matching(features, features + 1).dtype == expected
