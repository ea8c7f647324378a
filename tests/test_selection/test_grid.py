"""PatchGrid: sizes, validation and the point -> cell mapping.

The mapping is checked against a real ``Conv2d(1, 1, 16, stride=16,
padding=2)``: for every pixel of the input, the cell returned must be one
whose output responds to an impulse at that pixel.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mmpose_patchsel.selection import PatchGrid


@pytest.mark.parametrize('size,rows,cols', [((192, 256), 16, 12),
                                            ((288, 384), 24, 18),
                                            ((190, 250), 15, 12),
                                            ((80, 48), 3, 5)])
def test_grid_shape(size, rows, cols):
    grid = PatchGrid(size)
    assert (grid.rows, grid.cols) == (rows, cols)
    assert grid.num_patches == rows * cols
    # Matches the shape of the real patch embedding output.
    conv = torch.nn.Conv2d(1, 1, 16, stride=16, padding=2)
    out = conv(torch.zeros(1, 1, size[1], size[0]))
    assert tuple(out.shape[-2:]) == (rows, cols)


def test_grid_is_hashable_and_normalised():
    a = PatchGrid((np.int64(192), 256))
    b = PatchGrid([192, 256])
    assert a == b and hash(a) == hash(b)
    assert a.input_size == (192, 256)
    assert type(a.input_size[0]) is int


@pytest.mark.parametrize('kwargs,exc,words', [
    (dict(input_size=(0, 256)), ValueError, ['input_size[0]', '0']),
    (dict(input_size=(192, -1)), ValueError, ['input_size[1]', '-1']),
    (dict(input_size=(192, )), ValueError, ['input_size', '(192,)']),
    (dict(input_size='ab'), ValueError, ['input_size', "'ab'"]),
    (dict(input_size=(192.0, 256)), TypeError, ['input_size[0]', '192.0']),
    (dict(input_size=(192, 256),
          patch_size=0), ValueError, ['patch_size', '0']),
    (dict(input_size=(192, 256), padding=-1), ValueError, ['padding', '-1']),
    (dict(input_size=(192, 256),
          padding=16), ValueError, ['padding=16', 'patch_size=16']),
    (dict(input_size=(192, 256), padding=True), TypeError, ['padding', 'True'
                                                            ]),
    (dict(input_size=(8, 256)), ValueError, ['w=8', 'empty']),
    (dict(input_size=(192, 11)), ValueError, ['h=11', 'empty']),
])
def test_grid_validation(kwargs, exc, words):
    with pytest.raises(exc) as info:
        PatchGrid(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_smallest_valid_grid():
    grid = PatchGrid((12, 12))  # 12 + 2 * 2 == 16: exactly one cell
    assert grid.num_patches == 1


def _impulse_coverage(height: int, width: int) -> np.ndarray:
    """``(h * w, N)`` bool: does cell n respond to an impulse at pixel p.

    Impulses sit on a 16-pixel lattice, so a 16x16 window holds at most one
    of them; each carries its own id, so a response names its impulse. The
    256 lattice offsets cover every pixel.
    """
    conv = torch.nn.Conv2d(1, 1, 16, stride=16, padding=2, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    images = torch.zeros(256, 1, height, width)
    pixel_of_id = {}
    for oy in range(16):
        for ox in range(16):
            ys, xs = np.meshgrid(np.arange(oy, height, 16),
                                 np.arange(ox, width, 16),
                                 indexing='ij')
            ids = np.arange(1, ys.size + 1).reshape(ys.shape)
            images[oy * 16 + ox, 0, ys, xs] = torch.from_numpy(ids).float()
            for i, y, x in zip(ids.ravel(), ys.ravel(), xs.ravel()):
                pixel_of_id[oy * 16 + ox, int(i)] = y * width + x
    with torch.no_grad():
        out = conv(images)[:, 0].numpy()
    rows, cols = out.shape[1:]
    cover = np.zeros((height * width, rows * cols), dtype=bool)
    for b, r, c in zip(*np.nonzero(out)):
        value = out[b, r, c]
        assert value == int(value), 'two impulses in one window'
        cover[pixel_of_id[b, int(value)], r * cols + c] = True
    return cover


@pytest.mark.parametrize('height,width', [(256, 192), (384, 288), (250, 190)])
def test_point_to_cell_matches_conv_impulse_response(height, width):
    grid = PatchGrid((width, height))
    cover = _impulse_coverage(height, width)
    assert cover.shape[1] == grid.num_patches
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing='ij')
    centres = np.stack([xs, ys], -1).reshape(-1, 2).astype(np.float64)
    covered = cover.any(1)
    # Any point of a pixel maps like its centre (pixel = floor(x + 0.5)).
    for shift in (0.0, -0.5, 0.49):
        row, col = grid.point_to_cell(centres + shift)
        flat = row * grid.cols + col
        assert cover[covered][np.arange(covered.sum()), flat[covered]].all()
        # Pixels no cell covers: exactly the trailing band past the last
        # window; they map to the last row / column (the nearest cell).
        x, y = centres[~covered].T
        band_x = x >= grid.cols * 16 - 2
        band_y = y >= grid.rows * 16 - 2
        assert (band_x | band_y).all()
        assert (col[~covered][band_x] == grid.cols - 1).all()
        assert (row[~covered][band_y] == grid.rows - 1).all()
    # Nothing covered in the band, everything covered outside it.
    in_band = (centres[:, 0] >= grid.cols * 16 - 2) | (centres[:, 1]
                                                       >= grid.rows * 16 - 2)
    assert (covered == ~in_band).all()
    # With kernel == stride every covered pixel is in exactly one cell.
    assert (cover[covered].sum(1) == 1).all()


def test_uncovered_pixels_at_width_192():
    grid = PatchGrid((192, 256))
    cover = _impulse_coverage(256, 192).reshape(256, 192, -1).any(-1)
    assert not cover[:, 190:].any() and cover[:254, :190].all()
    assert not cover[254:].any()
    row, col = grid.point_to_cell([[189, 0], [190, 0], [191, 0], [-2, 0]])
    assert col.tolist() == [11, 11, 11, 0]


def test_point_to_cell_outside_is_clipped_and_shapes_kept():
    grid = PatchGrid((192, 256))
    pts = np.array([[[-100.0, -100.0], [1e9, 1e9]], [[-2.6, 0.0], [0.0,
                                                                   255.4]]])
    row, col = grid.point_to_cell(pts)
    assert row.shape == col.shape == (2, 2)
    assert row.dtype == col.dtype == np.int64
    assert row.tolist() == [[0, 15], [0, 15]]
    assert col.tolist() == [[0, 11], [0, 0]]


def test_point_to_cell_rejects_bad_input():
    grid = PatchGrid((192, 256))
    with pytest.raises(ValueError, match=r'\(\.\.\., 2\).*\(3, 3\)'):
        grid.point_to_cell(np.zeros((3, 3)))
    with pytest.raises(ValueError, match='finite'):
        grid.point_to_cell([[np.nan, 1.0]])
    with pytest.raises(ValueError, match='finite'):
        grid.point_to_cell_torch(torch.tensor([[1.0, float('inf')]]))
    with pytest.raises(TypeError, match='torch.Tensor'):
        grid.point_to_cell_torch(np.zeros((1, 2)))


def test_contains():
    grid = PatchGrid((192, 256))
    pts = [[-0.5, 0], [-0.51, 0], [191.49, 255.49], [191.5, 0], [0, 255.5],
           [np.nan, 0]]
    expect = [True, False, True, False, False, False]
    assert grid.contains(pts).tolist() == expect
    assert grid.contains_torch(torch.tensor(pts)).tolist() == expect


@settings(max_examples=200, deadline=None)
@given(size=st.sampled_from([(192, 256), (288, 384), (190, 250), (80, 48)]),
       pts=st.lists(st.tuples(st.floats(-600, 600, width=32),
                              st.floats(-600, 600, width=32)),
                    min_size=1,
                    max_size=20),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_point_to_cell_torch_equals_numpy(size, pts, dtype):
    grid = PatchGrid(size)
    xy = np.asarray(pts, dtype=dtype)
    row, col = grid.point_to_cell(xy)
    trow, tcol = grid.point_to_cell_torch(torch.from_numpy(xy))
    assert trow.dtype == tcol.dtype == torch.long
    np.testing.assert_array_equal(trow.numpy(), row)
    np.testing.assert_array_equal(tcol.numpy(), col)
    # And both agree with the formula written out in plain python.
    for (x, y), r, c in zip(xy.tolist(), row, col):
        px, py = np.floor(dtype(x) +
                          dtype(0.5)), np.floor(dtype(y) + dtype(0.5))
        assert c == min(max(int((px + 2) // 16), 0), grid.cols - 1)
        assert r == min(max(int((py + 2) // 16), 0), grid.rows - 1)
