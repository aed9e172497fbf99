"""The video networks: clip shapes in and out, MoCoGAN's content/motion split, the 3D-conv geometry. MoCoGAN's frames
are checked against computations written out here (the GRU's equations, the shift each frame's code predicts, the
reflection at the frame's edge, whole-pixel moves by indexing), not rebuilt by calling its own submodules."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from gan_lightning.metrics.video_quality import digit_views
from gan_lightning.networks.video import MoCoGANGenerator, Video3DDiscriminator, Video3DGenerator, bounce

SHAPES = [(8, 1, 32, 32), (16, 1, 32, 32), (8, 1, 64, 64), (16, 3, 64, 64)]


@pytest.mark.parametrize("shape", SHAPES)
def test_generators_make_clips_and_the_discriminator_one_logit_per_clip(shape: tuple[int, ...]) -> None:
    mocogan = MoCoGANGenerator(shape, latent_dim=4, global_latent_dim=6, width=8)
    video3d = Video3DGenerator(shape, latent_dim=10, width=8)
    critic = Video3DDiscriminator(shape, width=8)
    assert mocogan.latent_size == 6 + shape[0] * 4
    for generator in (mocogan, video3d):
        clips = generator(torch.randn(3, generator.latent_size))
        assert clips.shape == (3, *shape)
        assert clips.abs().max() <= 1  # tanh
        assert critic(clips).shape == (3,)


def test_conditional_variants_take_labels_and_the_packed_critic_judges_pairs() -> None:
    shape, labels = (8, 1, 32, 32), torch.tensor([0, 3, 9, 9])
    generator = MoCoGANGenerator(shape, 4, 6, 8, num_classes=10)
    clips = generator(torch.randn(4, generator.latent_size), labels)
    assert Video3DDiscriminator(shape, 8, num_classes=10)(clips, labels).shape == (4,)
    logits, classes = Video3DDiscriminator(shape, 8, num_classes=10, conditioning="acgan")(clips, labels)
    assert logits.shape == (4,) and classes.shape == (4, 10)
    assert Video3DGenerator(shape, 10, 8, num_classes=10)(torch.randn(4, 10), labels).shape == (4, *shape)
    assert Video3DDiscriminator(shape, 8, pack=2)(clips).shape == (2,)


def gru_by_hand(cell: nn.GRUCell, noise: Tensor) -> Tensor:
    """``(B, T, H)``: the states of ``cell`` run over ``noise`` ``(B, T, I)`` from a zero state, from the GRU's
    equations (Cho et al. 2014, in PyTorch's gate order reset, update, new) written out with the cell's weights:
    r = σ(W_ir x + b_ir + W_hr h + b_hr), u = σ(W_iu x + b_iu + W_hu h + b_hu),
    n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - u) n + u h."""
    w_ir, w_iu, w_in = cell.weight_ih.detach().chunk(3)
    w_hr, w_hu, w_hn = cell.weight_hh.detach().chunk(3)
    b_ir, b_iu, b_in = cell.bias_ih.detach().chunk(3)
    b_hr, b_hu, b_hn = cell.bias_hh.detach().chunk(3)
    state = torch.zeros(noise.shape[0], cell.hidden_size)
    states = []
    for x in noise.unbind(1):
        reset = torch.sigmoid(x @ w_ir.T + b_ir + state @ w_hr.T + b_hr)
        update = torch.sigmoid(x @ w_iu.T + b_iu + state @ w_hu.T + b_hu)
        new = torch.tanh(x @ w_in.T + b_in + reset * (state @ w_hn.T + b_hn))
        state = (1 - update) * new + update * state
        states.append(state)
    return torch.stack(states, dim=1)


def test_mocogan_renders_every_frame_from_the_clip_content_and_that_frame_motion() -> None:
    """Frame t is the image generator (a black box here) applied to [content, the GRU's state after t + 1 noise
    steps], the state from :func:`gru_by_hand`; and a frame depends on no later noise: changing step 5's noise leaves
    frames 0-4 exactly as they were and changes every frame from 5 on."""
    torch.manual_seed(0)
    generator = MoCoGANGenerator((8, 1, 32, 32), latent_dim=4, global_latent_dim=6, width=8).eval()
    z = torch.randn(2, generator.latent_size)
    content, noise = z[:, :6], z[:, 6:].view(2, 8, 4)
    states = gru_by_hand(generator.motion, noise)
    with torch.no_grad():
        clips = generator(z)
        expected = [generator.frame_generator(torch.cat([content, states[:, t]], dim=1)) for t in range(8)]
        torch.testing.assert_close(clips, torch.stack(expected, dim=1))
        later = z.clone()
        later[:, 6 + 5 * 4 : 6 + 6 * 4] = torch.randn(2, 4)
        changed = generator(later)
    assert torch.equal(changed[:, :5], clips[:, :5])
    assert ((changed[:, 5:] - clips[:, 5:]).abs().flatten(2).amax(dim=2) > 0).all()


def reflect(position: float, bound: float) -> float:
    """``position`` folded into ``[-bound, bound]`` by reflecting it off whichever edge it passed, again until it is
    inside: a path bouncing between two walls, by steps (not :func:`bounce`'s closed form)."""
    while abs(position) > bound:
        position = (2 * bound if position > 0 else -2 * bound) - position
    return position


def test_a_whole_pixel_sprite_frame_is_the_first_frame_moved_by_the_predicted_shift() -> None:
    """The quick config's generator (a 16-px sprite in 32-px frames, whole pixels) with its initial random weights.
    Each frame's shift is worked out here: the motion codes by :func:`gru_by_hand`, the change each predicts by the
    transform's weights, summed over the frames, in pixels (the frame spans 2 units: 16 px a unit), reflected off
    +-8 px (where the sprite's edge meets the frame's) by :func:`reflect` and rounded. Frame t is then the black
    frame with frame 0's 16-px sprite cut out and put down moved by the difference, by indexing. The shifts are large
    and bounce, so the check covers the reflection and every offset between frames."""
    torch.manual_seed(11)
    generator = MoCoGANGenerator((8, 1, 32, 32), latent_dim=10, global_latent_dim=50, width=32, motion="translation",
                                 whole_pixels=True, sprite=16).eval()  # fmt: skip
    z = torch.randn(4, generator.latent_size)
    codes = gru_by_hand(generator.motion, z[:, 50:].view(4, 8, 10))
    changes = codes @ generator.transform.weight.detach().T + generator.transform.bias.detach()  # (dx, dy) per frame
    free = changes.cumsum(dim=1) * 16  # pixels: (columns, rows) the sampling grid moves by
    shifts = [[[round(reflect(float(p), 8.0)) for p in frame] for frame in clip] for clip in free]
    assert free.abs().max() > 16  # some path passed an edge and came back
    with torch.no_grad():
        clips = generator(z)
    for clip, clip_shifts in zip(clips, shifts, strict=True):
        dx0, dy0 = clip_shifts[0]
        sprite = clip[0, :, 8 - dy0 : 24 - dy0, 8 - dx0 : 24 - dx0]  # the grid moves by k: the picture by -k
        for frame, (dx, dy) in zip(clip, clip_shifts, strict=True):
            expected = torch.full_like(frame, -1.0)
            expected[:, 8 - dy : 24 - dy, 8 - dx : 24 - dx] = sprite
            torch.testing.assert_close(frame, expected)
    moved = {(dx - clip_shifts[0][0], dy - clip_shifts[0][1]) for clip_shifts in shifts for dx, dy in clip_shifts}
    assert len(moved) > 10 and max(max(abs(dx), abs(dy)) for dx, dy in moved) >= 8


@pytest.mark.parametrize(
    ("options", "fixed"),
    [
        ({"sprite": 16, "whole_pixels": True}, True),
        ({"sprite": 16}, False),  # sub-pixel shifts blur the sprite by another amount on every frame
        ({"whole_pixels": True}, False),  # a full-frame picture slides out at the frame's edge
    ],
)
def test_mocogan_declares_a_fixed_content_exactly_when_its_frames_show_one_picture(
    options: dict[str, object], fixed: bool
) -> None:
    """What the video metrics' classifier sees of each frame (a 16-px window on its centre of mass) is the same on
    every frame of every clip when the generator says its content is fixed, and changes from frame to frame where it
    does not. The weights are random, with the picture's last layer scaled up to strokes as sharp as a trained
    generator's (an untrained one draws a flat grey that looks alike from anywhere) and the paths to several bounces."""
    torch.manual_seed(12)
    generator = MoCoGANGenerator((8, 1, 32, 32), latent_dim=10, global_latent_dim=50, width=32, motion="translation",
                                 **options).eval()  # fmt: skip
    assert ("content" in MoCoGANGenerator.invariants(options)) is fixed
    last = [module for module in generator.frame_generator.modules() if isinstance(module, nn.ConvTranspose2d)][-1]
    with torch.no_grad():
        last.weight.mul_(30)
        generator.transform.weight.mul_(3)
        clips = (generator(torch.randn(16, generator.latent_size)) + 1) / 2
    views = digit_views(clips.flatten(0, 1), 16).view(16, 8, 28, 28)
    change = (views - views[:, :1]).abs().amax()
    assert (change < 1e-4) if fixed else (change > 0.02), float(change)  # 5e-6 against 0.11 and 0.12
    assert MoCoGANGenerator.invariants({"motion": "latent"}) == {}


def test_other_motion_noise_under_the_same_content_changes_the_clip() -> None:
    torch.manual_seed(1)
    generator = MoCoGANGenerator((8, 1, 32, 32), latent_dim=4, global_latent_dim=6, width=8).eval()
    z = torch.randn(1, generator.latent_size).repeat(2, 1)
    z[1, 6:] = torch.randn(8 * 4)  # the same content, other motion noise
    with torch.no_grad():
        clips = generator(z)
    assert not torch.allclose(clips[0], clips[1])


@pytest.mark.parametrize("shape", [(6, 1, 32, 32), (8, 1, 48, 48), (8, 1, 32)])
def test_unsupported_clip_shapes_are_one_line_errors(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="video3d needs") as error:
        Video3DDiscriminator(shape)
    assert "\n" not in str(error.value)


def test_mocogan_needs_a_content_code() -> None:
    with pytest.raises(ValueError, match="global_latent_dim >= 1"):
        MoCoGANGenerator((8, 1, 32, 32), global_latent_dim=0)


@pytest.mark.parametrize("motion", ["translation", "affine"])
def test_a_moving_picture_is_the_content_picture_under_each_frame_transform(motion: str) -> None:
    """A zero map gives the identity: every frame is the content picture itself, whatever the motion noise. The
    network starts from a random map instead, so its frames move from the first step."""
    torch.manual_seed(2)
    generator = MoCoGANGenerator((8, 1, 32, 32), latent_dim=4, global_latent_dim=6, width=8, motion=motion).eval()
    z = torch.randn(3, generator.latent_size)
    with torch.no_grad():
        moving = generator(z)
        generator.transform.weight.zero_()
        generator.transform.bias.zero_()
        clips = generator(z)
        picture = generator.frame_generator(z[:, :6])
    torch.testing.assert_close(clips, picture[:, None].expand_as(clips))
    change = (moving[:, 1] - moving[:, 0]).abs().amax(dim=(1, 2, 3))
    assert change.min() > 0.01 * picture.abs().max()  # the second frame has moved on from the first


def test_translation_moves_the_picture_on_by_each_frame_change() -> None:
    """A change of 2 pixels a frame (4/32 of the [-1, 1] frame), read by hand: frame t (from 0) has moved 2 (t + 1)
    pixels, so its pixel (y, x) is the picture's (y, x + 2 (t + 1)), and the columns past the edge repeat the
    picture's last column."""
    torch.manual_seed(3)
    generator = MoCoGANGenerator((4, 1, 32, 32), latent_dim=4, global_latent_dim=6, width=8, motion="translation")
    generator.eval()
    with torch.no_grad():
        generator.transform.weight.zero_()
        generator.transform.bias.copy_(torch.tensor([4 / 32, 0.0]))
        z = torch.randn(2, generator.latent_size)
        clips, picture = generator(z), generator.frame_generator(z[:, :6])
    for t, frame in enumerate(clips.unbind(1)):
        moved = 2 * (t + 1)
        torch.testing.assert_close(frame[..., : 32 - moved], picture[..., moved:])
        torch.testing.assert_close(frame[..., 32 - moved :], picture[..., 31:].expand(-1, -1, -1, moved))


def test_bounce_reflects_a_path_off_both_edges() -> None:
    """Bound 0.5, read by hand: inside it a shift is kept; 0.7 is 0.2 past the edge and comes back to 0.3; 1.2 passes
    the far edge by 0.2 (to -0.2); the wave repeats every 2 (-1.6 is 0.4, on the way out); and the gradient flips
    sign on the way back."""
    shift = torch.tensor([0.0, 0.3, -0.45, 0.7, 1.2, -0.8, 2.3, -1.6], requires_grad=True)
    folded = bounce(shift, 0.5)
    torch.testing.assert_close(folded, torch.tensor([0.0, 0.3, -0.45, 0.3, -0.2, -0.2, 0.3, 0.4]))
    folded.sum().backward()
    torch.testing.assert_close(shift.grad, torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 1.0, 1.0]))


def test_a_bouncing_picture_turns_back_at_the_bound() -> None:
    """A change of 3 pixels a frame (6/32) with the bound at 4 pixels (8/32): by hand the shifts are 3, then 6
    reflected to 2, then 9 to -1, then 12 to -4; frame t is the picture moved by that many whole pixels (as the
    free path's test reads it), and every shift stays within the bound."""
    torch.manual_seed(5)
    generator = MoCoGANGenerator(
        (4, 1, 32, 32), latent_dim=4, global_latent_dim=6, width=8, motion="translation", bounce=8 / 32
    ).eval()
    with torch.no_grad():
        generator.transform.weight.zero_()
        generator.transform.bias.copy_(torch.tensor([6 / 32, 0.0]))
        z = torch.randn(2, generator.latent_size)
        clips, picture = generator(z), generator.frame_generator(z[:, :6])
    for frame, moved in zip(clips.unbind(1), [3, 2, -1, -4], strict=True):
        if moved > 0:
            torch.testing.assert_close(frame[..., : 32 - moved], picture[..., moved:])
        else:
            torch.testing.assert_close(frame[..., -moved:], picture[..., : 32 + moved])


def test_bounce_needs_a_moving_picture_and_a_bound_of_zero_or_more() -> None:
    for motion, bound in (("latent", 0.5), ("translation", -0.1)):
        with pytest.raises(ValueError, match=r"generator.bounce=.* must be >= 0, and > 0 only with a motion that"):
            MoCoGANGenerator((8, 1, 32, 32), motion=motion, bounce=bound)


def test_whole_pixels_rounds_each_shift_and_the_gradient_is_the_unrounded_shifts() -> None:
    """A change of 1.25 pixels down a frame, by hand: the frames have moved 1.25, 2.5, 3.75 and 5 pixels, rounded to
    1, 2 (half to even), 4 and 5, so frame t's row y is exactly the picture's row y + that many. The gradient that
    reaches the shift is the bilinear path's (the control: a free bilinear generator with the same weights)."""
    torch.manual_seed(6)
    shape = (4, 1, 32, 32)
    rounded = MoCoGANGenerator(shape, latent_dim=4, global_latent_dim=6, width=8, motion="translation",
                               whole_pixels=True).eval()  # fmt: skip
    free = MoCoGANGenerator(shape, latent_dim=4, global_latent_dim=6, width=8, motion="translation").eval()
    with torch.no_grad():
        rounded.transform.weight.zero_()
        rounded.transform.bias.copy_(torch.tensor([0.0, 2.5 / 32]))
    free.load_state_dict(rounded.state_dict())
    z = torch.randn(2, rounded.latent_size)
    clips = rounded(z)
    picture = rounded.frame_generator(z[:, :6]).detach()
    for frame, moved in zip(clips.detach().unbind(1), [1, 2, 4, 5], strict=True):
        torch.testing.assert_close(frame[..., : 32 - moved, :], picture[..., moved:, :])
    weights = torch.randn_like(clips)
    (clips * weights).sum().backward()
    (free(z) * weights).sum().backward()
    torch.testing.assert_close(rounded.transform.bias.grad, free.transform.bias.grad)
    assert rounded.transform.bias.grad.abs().max() > 0


def test_whole_pixels_needs_translation() -> None:
    for motion in ("latent", "affine"):
        message = f"generator.whole_pixels needs generator.motion=translation, not '{motion}'"
        with pytest.raises(ValueError, match=message):
            MoCoGANGenerator((8, 1, 32, 32), motion=motion, whole_pixels=True)


def test_a_sprite_moves_whole_on_black_and_bounces_where_its_edge_meets_the_frames() -> None:
    """A 16-px sprite in a 32-px frame has 8 px to either side, so the path bounces at 8 pixels. A change of 3 pixels
    left a frame, by hand: shifts 3, 6, 9 -> 7, 12 -> 4, 15 -> 1, 18 -> -2, 21 -> -5, 24 -> -8. Frame t holds the
    sprite, exactly, at rows 8-23 and columns 8 - shift onwards, the last frame's flush with the right edge; every
    other pixel is tanh's black (-1)."""
    torch.manual_seed(7)
    generator = MoCoGANGenerator((8, 1, 32, 32), latent_dim=4, global_latent_dim=6, width=8, motion="translation",
                                 whole_pixels=True, sprite=16).eval()  # fmt: skip
    with torch.no_grad():
        generator.transform.weight.zero_()
        generator.transform.bias.copy_(torch.tensor([6 / 32, 0.0]))
        z = torch.randn(2, generator.latent_size)
        clips, sprite = generator(z), generator.frame_generator(z[:, :6])
    assert sprite.shape == (2, 1, 16, 16) and sprite.amin() > -1
    for frame, shift in zip(clips.unbind(1), [3, 6, 7, 4, 1, -2, -5, -8], strict=True):
        expected = torch.full_like(frame, -1.0)
        expected[..., 8:24, 8 - shift : 24 - shift] = sprite
        torch.testing.assert_close(frame, expected)


def test_a_sprite_needs_translation_and_room_to_move() -> None:
    for kwargs in ({"motion": "affine"}, {"motion": "translation", "bounce": 0.5}):
        with pytest.raises(ValueError, match=r"generator\.sprite needs generator\.motion=translation and sets"):
            MoCoGANGenerator((8, 1, 32, 32), sprite=16, **kwargs)
    for size in (15, 20, 32, 40):  # not DCGAN sides (15, 20), the whole frame, larger than the frame
        with pytest.raises(
            ValueError, match=rf"generator\.sprite={size} must be a side the image generator draws \(16, 28"
        ):
            MoCoGANGenerator((8, 1, 32, 32), motion="translation", sprite=size)


def test_a_sprites_background_is_the_datas_black_under_each_output_activation() -> None:
    """Real frames are scaled to [-1, 1] under tanh and none, to [0, 1] under sigmoid; the sprite's surround must be
    their black, not merely some value the activation can reach."""
    for activation, black in (("tanh", -1.0), ("sigmoid", 0.0), ("none", -1.0)):
        generator = MoCoGANGenerator((2, 1, 32, 32), latent_dim=4, global_latent_dim=6, width=8,
                                     motion="translation", sprite=16, output_activation=activation).eval()  # fmt: skip
        with torch.no_grad():
            generator.transform.weight.zero_()
            generator.transform.bias.zero_()  # the sprite stays centred, 8 px from every edge
            clips = generator(torch.randn(3, generator.latent_size))
        border = torch.cat([clips[..., :2, :].flatten(), clips[..., -2:, :].flatten()])
        torch.testing.assert_close(border, torch.full_like(border, black), msg=activation)


def test_a_fraction_of_a_pixel_blends_the_two_neighbours() -> None:
    """A change of 1.25 pixels down, by hand: the first frame's row y is 0.75 of the picture's row y + 1 and 0.25 of
    row y + 2; the second frame, 2.5 pixels on, is half row y + 2 and half row y + 3."""
    torch.manual_seed(4)
    generator = MoCoGANGenerator((4, 1, 32, 32), latent_dim=4, global_latent_dim=6, width=8, motion="affine").eval()
    with torch.no_grad():
        generator.transform.weight.zero_()
        generator.transform.bias.copy_(torch.tensor([0, 0, 0, 0, 0, 1.25 * 2 / 32]))
        z = torch.randn(2, generator.latent_size)
        clips, picture = generator(z), generator.frame_generator(z[:, :6])
    torch.testing.assert_close(clips[:, 0, :, :30], 0.75 * picture[..., 1:31, :] + 0.25 * picture[..., 2:32, :])
    torch.testing.assert_close(clips[:, 1, :, :29], 0.5 * picture[..., 2:31, :] + 0.5 * picture[..., 3:32, :])


def test_an_unknown_motion_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match=r"generator.motion='warp'; mocogan takes one of: latent, translation, affine"):
        MoCoGANGenerator((8, 1, 32, 32), motion="warp")
