"""Flipped keypoints go through the same pixel -> cell mapping.

At width 192 the grid covers pixels -2..189, so it is not mirror-symmetric:
the selection of a flipped image is NOT the mirrored mask in general. It is
mirror-equivariant only when the grid is (``cols * p == w + 2 * pad``).
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mmpose_patchsel.selection import PatchGrid, flip_keypoints, select_patches

# x on a 1/64 grid (exact in binary), never on a pixel border (x + 0.5
# integer) where floor(x + 0.5) and the mirrored pixel disagree by design.
off_border = st.builds(lambda i, f: i + f / 64, st.integers(-20, 210),
                       st.integers(0, 63).filter(lambda f: f != 32))


def _mirror(mask, grid):
    return mask.reshape(grid.rows, grid.cols)[:, ::-1].reshape(-1)


def test_flip_keypoints_numpy_and_torch(coco_flip_indices):
    rng = np.random.default_rng(0)
    kpts = rng.uniform(0, 192, (3, 17, 2))
    scores = rng.uniform(0, 1, (3, 17))
    fk, fs = flip_keypoints(kpts, scores, 192, coco_flip_indices)
    # Joint j of the flipped pose is joint flip_indices[j], x -> w - 1 - x.
    for j, src in enumerate(coco_flip_indices):
        np.testing.assert_array_equal(fk[:, j, 0], 191 - kpts[:, src, 0])
        np.testing.assert_array_equal(fk[:, j, 1], kpts[:, src, 1])
        np.testing.assert_array_equal(fs[:, j], scores[:, src])
    # An involution; inputs untouched.
    bk, bs = flip_keypoints(fk, fs, 192, coco_flip_indices)
    np.testing.assert_allclose(bk, kpts, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(bs, scores)
    tk, ts = flip_keypoints(torch.from_numpy(kpts), torch.from_numpy(scores),
                            192, coco_flip_indices)
    np.testing.assert_array_equal(tk.numpy(), fk)
    np.testing.assert_array_equal(ts.numpy(), fs)
    nk, ns = flip_keypoints(kpts[0], None, 192, coco_flip_indices)
    assert ns is None and nk.shape == (17, 2)


def test_flip_keypoints_errors():
    with pytest.raises(ValueError, match=r'permutation.*\[0, 0\]'):
        flip_keypoints(np.zeros((2, 2)), None, 192, [0, 0])
    with pytest.raises(ValueError, match=r'\(\.\.\., J, 2\).*\(2, 3\)'):
        flip_keypoints(np.zeros((2, 3)), None, 192, [1, 0])
    with pytest.raises(ValueError, match=r'scores.*\(2,\).*\(3,\)'):
        flip_keypoints(np.zeros((2, 2)), np.zeros(3), 192, [1, 0])


def test_flipped_selection_is_not_the_mirrored_mask():
    grid = PatchGrid((192, 256))
    kpts = np.array([[14.0, 100.0]])  # pixel 14 -> column (14 + 2) // 16 = 1
    sel = select_patches(grid, kpts)
    flipped, _ = flip_keypoints(kpts, None, 192, [0])  # x = 177
    fsel = select_patches(grid, flipped)
    # Pixel 177 -> column (177 + 2) // 16 = 11, while the mirror of column 1
    # is column 10.
    assert sel.indices.tolist() == [6 * 12 + 1]
    assert fsel.indices.tolist() == [6 * 12 + 11]
    assert not (_mirror(sel.mask, grid) == fsel.mask).all()


@settings(max_examples=150, deadline=None)
@given(
    xs=st.lists(off_border, min_size=17, max_size=17),
    ys=st.lists(st.floats(-20, 280), min_size=17, max_size=17),
    scores=st.lists(st.floats(0, 1), min_size=17, max_size=17),
)
def test_flip_selection_follows_pixel_mapping(coco_flip_indices, xs, ys,
                                              scores):
    grid = PatchGrid((192, 256))
    kpts = np.stack([xs, ys], -1)
    scores = np.asarray(scores)
    fk, fs = flip_keypoints(kpts, scores, 192, coco_flip_indices)
    sel = select_patches(grid, kpts, scores)
    fsel = select_patches(grid, fk, fs)
    # Expected from the pixel mapping: the flipped pixel is w - 1 - pixel,
    # then the same cell formula (no mirroring of cells).
    expect = set()
    for (x, y), s in zip(kpts, scores):
        px, py = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
        if s < 0.3 or not (0 <= px < 192 and 0 <= py < 256):
            continue
        fpx = 191 - px
        expect.add(min((py + 2) // 16, 15) * 12 + min((fpx + 2) // 16, 11))
    if expect:
        assert set(fsel.indices.tolist()) == expect
    else:
        assert fsel.fallback and sel.fallback
    # Rows never change under a horizontal flip.
    rows = sorted({i // 12 for i in sel.indices.tolist()})
    assert rows == sorted({i // 12 for i in fsel.indices.tolist()})


@settings(max_examples=100, deadline=None)
@given(
    xs=st.lists(off_border, min_size=17, max_size=17),
    ys=st.lists(st.floats(-20, 280), min_size=17, max_size=17),
    scores=st.lists(st.floats(0, 1), min_size=17, max_size=17),
    padding=st.sampled_from([0, 2]),
)
def test_symmetric_grid_flip_equals_mirror(coco_flip_indices, xs, ys, scores,
                                           padding):
    # cols * 16 == w + 2 * pad: the windows are mirror-symmetric.
    width = 192 - 2 * padding
    grid = PatchGrid((width, 256), padding=padding)
    assert grid.cols * 16 == width + 2 * padding
    kpts = np.stack([np.asarray(xs) * width / 192, ys], -1)
    kpts[:, 0] = np.floor(kpts[:, 0] * 64) / 64  # keep exact binary values
    scores = np.where((kpts[:, 0] * 64) % 64 == 32, 0.0, scores)
    fk, fs = flip_keypoints(kpts, scores, width, coco_flip_indices)
    sel = select_patches(grid, kpts, scores)
    fsel = select_patches(grid, fk, fs)
    assert (_mirror(sel.mask, grid) == fsel.mask).all()
