"""Spherical interpolation between latents, used for the interpolation strip."""

from __future__ import annotations

import torch

from gan_lightning.visualization import slerp


def test_slerp_walks_the_great_circle_at_constant_speed() -> None:
    seeded = torch.Generator().manual_seed(0)
    start = torch.randn(3, 16, generator=seeded)
    end = start.norm(dim=1, keepdim=True) * torch.nn.functional.normalize(torch.randn(3, 16, generator=seeded), dim=1)
    path = slerp(start, end, 7)
    assert path.shape == (3, 7, 16)
    torch.testing.assert_close(path[:, 0], start)
    torch.testing.assert_close(path[:, -1], end)
    # equal norms stay on the sphere (a straight line would dip inside it), in equal angular steps
    torch.testing.assert_close(path.norm(dim=2), start.norm(dim=1, keepdim=True).expand(3, 7))
    cosines = torch.nn.functional.cosine_similarity(path[:, 1:], path[:, :-1], dim=2)
    torch.testing.assert_close(cosines, cosines[:, :1].expand(3, 6))


def test_slerp_of_parallel_latents_is_linear() -> None:
    start = torch.ones(1, 4)
    path = slerp(start, 3 * start, 3)
    torch.testing.assert_close(path[0], torch.tensor([[1.0] * 4, [2.0] * 4, [3.0] * 4]))
