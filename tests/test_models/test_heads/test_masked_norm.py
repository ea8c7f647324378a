"""Instance norm over the computed positions: InstanceNorm with a full
mask, InstanceNorm of the kept positions (a numpy reference) otherwise."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmpose_patchsel.models.heads import (computed_positions,
                                          masked_instance_norm, resize_mask)


def random_mask(shape, keep=0.6, seed=0) -> torch.Tensor:
    """(B, 1, H, W) float mask with at least one kept position a sample."""
    g = torch.Generator().manual_seed(seed)
    mask = (torch.rand(shape, generator=g) < keep).float()
    mask[:, :, 0, 0] = 1
    return mask


def reference(x: np.ndarray, mask: np.ndarray, eps: float) -> np.ndarray:
    """Each (sample, channel) normalised with the mean and biased variance
    of its kept positions, in float64."""
    out = np.empty_like(x, dtype=np.float64)
    for b in range(x.shape[0]):
        kept = mask[b, 0] > 0
        for c in range(x.shape[1]):
            values = x[b, c][kept].astype(np.float64)
            out[b, c] = (x[b, c] - values.mean()) / np.sqrt(values.var() + eps)
    return out


def test_full_mask_is_instance_norm():
    x = torch.randn(3, 5, 8, 6) * 3 + 1
    out = masked_instance_norm(x, torch.ones(3, 1, 8, 6))
    torch.testing.assert_close(out, F.instance_norm(x))


@pytest.mark.parametrize('eps', [1e-5, 1e-2])
def test_partial_mask_is_instance_norm_of_the_kept_positions(eps):
    x = torch.randn(2, 4, 16, 12) * 2 - 0.5
    mask = random_mask((2, 1, 16, 12))
    out = masked_instance_norm(x, mask, eps)
    np.testing.assert_allclose(out.numpy(),
                               reference(x.numpy(), mask.numpy(), eps),
                               rtol=1e-5,
                               atol=1e-5)
    # The same as torch's own InstanceNorm of the kept values alone.
    kept = mask[1, 0].bool()
    alone = F.instance_norm(x[1:2, :, kept][..., None], eps=eps)[..., 0]
    torch.testing.assert_close(out[1][:, kept], alone[0])


def test_values_at_unkept_positions_do_not_change_kept_outputs():
    x = torch.randn(2, 4, 16, 12)
    mask = random_mask((2, 1, 16, 12), keep=0.3)
    other = torch.where(mask.bool(), x, torch.randn_like(x) * 100 + 50)
    kept = mask.bool().expand_as(x)
    torch.testing.assert_close(masked_instance_norm(other, mask)[kept],
                               masked_instance_norm(x, mask)[kept],
                               rtol=0,
                               atol=0)


def test_zero_filled_positions_drop_out_of_the_statistics():
    """Zeros written where no token was computed move plain InstanceNorm
    everywhere; the masked norm is InstanceNorm of the computed map."""
    x = torch.randn(1, 8, 16, 12) + 2
    mask = random_mask((1, 1, 16, 12), keep=0.4)
    filled = x * mask
    torch.testing.assert_close(computed_positions(filled), mask)
    masked = masked_instance_norm(filled, computed_positions(filled))
    kept = mask.bool().expand_as(x)
    expected = reference(x.numpy(), mask.numpy(), 1e-5)
    np.testing.assert_allclose(masked[kept].numpy(),
                               expected[kept.numpy()],
                               rtol=1e-5,
                               atol=1e-5)
    plain = F.instance_norm(filled)
    assert (plain[kept] - masked[kept]).abs().max() > 0.1


def test_computed_positions_need_every_channel_zero():
    x = torch.randn(2, 3, 4, 5)
    x[0, :, 1, 2] = 0  # no token here
    x[1, :2, 3, 4] = 0  # a token with two zero channels
    mask = computed_positions(x)
    assert mask.shape == (2, 1, 4, 5) and mask.dtype == torch.float32
    assert mask.sum() == 2 * 4 * 5 - 1 and mask[0, 0, 1, 2] == 0


def test_resize_mask_repeats_each_cell():
    mask = random_mask((2, 1, 4, 3))
    up = resize_mask(mask, (16, 12))
    expected = mask.repeat_interleave(4, 2).repeat_interleave(4, 3)
    torch.testing.assert_close(up, expected, rtol=0, atol=0)
    assert resize_mask(mask, (4, 3)) is mask


def test_half_precision_in_and_out():
    x = torch.randn(2, 4, 8, 6)
    mask = random_mask((2, 1, 8, 6))
    out = masked_instance_norm(x.half(), mask)
    assert out.dtype == torch.float16
    torch.testing.assert_close(out.float(),
                               masked_instance_norm(x, mask),
                               rtol=2e-3,
                               atol=5e-3)


def test_an_empty_mask_gives_no_nan():
    x = torch.randn(1, 2, 4, 4)
    out = masked_instance_norm(x, torch.zeros(1, 1, 4, 4))
    assert torch.isfinite(out).all()
