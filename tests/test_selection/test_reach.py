"""Resolution-aware radii: the conversion to cells, the same share of the
crop at 16x12 and 64x48, equality with ``num_neighbours`` where the two
coincide, validation, and the batched torch path against the reference."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mmpose_patchsel.selection import (PatchGrid, SelectionOptions, disc_cells,
                                       neighbour_cells, reach_cells,
                                       reach_pixels, select_patches,
                                       select_patches_batched)
from test_selection.reference_selection import select as reference_select

SMALL, LARGE = PatchGrid((192, 256)), PatchGrid((768, 1024))

# A standing COCO person in a 256x192 crop (x, y), for synthetic persons.
TEMPLATE = np.array(
    [[96, 40], [90, 35], [102, 35], [84, 38], [108, 38], [70, 75], [122, 75],
     [60, 115], [132, 115], [55, 150], [137, 150], [80, 150], [112, 150],
     [78, 195], [114, 195], [76, 235], [116, 235]], np.float32)


def persons(count: int, seed: int = 0) -> np.ndarray:
    """``(count, 17, 2)`` jittered, shifted and scaled template persons
    in the 256x192 crop."""
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.6, 1.0, (count, 1, 1))
    shift = rng.uniform(-30, 30, (count, 1, 2))
    jitter = rng.normal(0, 8, (count, 17, 2))
    centre = np.array([96, 128], np.float32)
    return ((TEMPLATE - centre) * scale + centre + shift + jitter).astype(
        np.float32)


def upscale(kpts: np.ndarray, factor: int = 4) -> np.ndarray:
    """The same points in a crop ``factor`` times larger (pixel centres at
    integers, so the crop edge -0.5 stays put)."""
    return (kpts + 0.5) * factor - 0.5


def kept_fraction(grid: PatchGrid, kpts: np.ndarray, **options) -> float:
    masks = select_patches_batched(grid, torch.from_numpy(kpts),
                                   **options).masks
    return float(masks.float().mean())


def test_conversion_to_cells():
    assert reach_pixels(SMALL, 1 / 16) == 16.0
    assert reach_pixels(LARGE, 1 / 16) == 64.0
    assert reach_cells(SMALL, 1 / 16) == 1.0
    assert reach_cells(LARGE, 1 / 16) == 4.0
    assert reach_cells(PatchGrid((192, 256), patch_size=8), 1 / 16) == 2.0
    # Cells around a keypoint at a cell centre: the plus at 256x192, a
    # disc of radius 4 (49 cells, not configs/sapiens' diamond of 41) at
    # 1024x768.
    assert disc_cells(SMALL, 0) == disc_cells(LARGE, 0) == 1
    assert disc_cells(SMALL, 1 / 16) == 5
    assert disc_cells(LARGE, 1 / 16) == 49
    assert disc_cells(LARGE, 1 / 32) == 13
    # About the disc's area in cells (exactly so on average over where
    # the keypoint lies in its cell).
    assert disc_cells(LARGE, 0.08) / LARGE.num_patches == pytest.approx(
        math.pi * (0.08 * 1024)**2 / (1024 * 768), rel=0.1)


@pytest.mark.parametrize('size, n', [(5, 4), (9, 8), (13, 12), (21, 20),
                                     (29, 28), (37, 36)])
def test_disc_is_the_bfs_neighbourhood(size, n):
    """The sizes the docstring names are BFS neighbourhoods, cell for
    cell, around an interior cell centre."""
    radius2 = {5: 1, 9: 2, 13: 4, 21: 5, 29: 9, 37: 10}[size]
    radius = math.sqrt(radius2) * 16 / 1024
    assert disc_cells(LARGE, radius) == size
    cell = 32 * LARGE.cols + 24
    centre = np.array([[24 * 16 + 5.5, 32 * 16 + 5.5]])
    sel = select_patches(LARGE, centre, neighbour_radius=radius)
    assert sel.indices.tolist() == sorted(neighbour_cells(LARGE, cell, n))


@pytest.mark.parametrize('radius, n', [(1 / 16, 4), (1.5 / 16, 8),
                                       (2 / 16, 12)])
@pytest.mark.parametrize('num_keep', [None, 40])
def test_radius_equals_num_neighbours_at_cell_centres(radius, n, num_keep):
    """At 256x192 a radius of one cell is ``n=4`` for keypoints at cell
    centres away from the border; budgets rank the same cells."""
    rng = np.random.default_rng(n)
    rows = rng.integers(2, SMALL.rows - 2, (16, 17))
    cols = rng.integers(2, SMALL.cols - 2, (16, 17))
    kpts = torch.from_numpy(np.stack([cols * 16 + 5.5, rows * 16 + 5.5], -1))
    scores = torch.from_numpy(rng.uniform(0, 1, (16, 17)))
    old = select_patches_batched(SMALL,
                                 kpts,
                                 scores,
                                 num_neighbours=n,
                                 num_keep=num_keep)
    new = select_patches_batched(SMALL,
                                 kpts,
                                 scores,
                                 neighbour_radius=radius,
                                 num_keep=num_keep)
    assert torch.equal(old.masks, new.masks)
    if num_keep:
        assert torch.equal(old.indices, new.indices)


@pytest.mark.parametrize('mode', ['neighbour', 'skeleton'])
@pytest.mark.parametrize('num_keep', [None, 50])
def test_zero_radii_are_num_neighbours_zero(coco_skeleton, mode, num_keep):
    kpts = torch.from_numpy(persons(8) * 1.3 - 20)  # some outside the crop
    scores = torch.rand(8, 17, generator=torch.Generator().manual_seed(0))
    common = dict(mode=mode, skeleton_links=coco_skeleton, num_keep=num_keep)
    old = select_patches_batched(SMALL, kpts, scores, **common)
    new = select_patches_batched(SMALL,
                                 kpts,
                                 scores,
                                 neighbour_radius=0.0,
                                 **common)
    assert torch.equal(old.masks, new.masks)


def test_limbs_between_cell_centres_are_bresenham(coco_skeleton):
    """A thin band along a limb between cell centres (straight or
    diagonal) holds the Bresenham cells only."""
    centre = lambda row, col: [col * 16 + 5.5, row * 16 + 5.5]  # noqa: E731
    kpts = torch.tensor(
        [[centre(3, 2),
          centre(3, 9),
          centre(12, 2),
          centre(5, 5)]])
    links = [(0, 1), (0, 2), (1, 3)]
    old = select_patches_batched(SMALL,
                                 kpts,
                                 mode='skeleton',
                                 skeleton_links=links)
    new = select_patches_batched(SMALL,
                                 kpts,
                                 mode='skeleton',
                                 skeleton_links=links,
                                 neighbour_radius=0.0,
                                 limb_radius=1 / 64)
    assert torch.equal(old.masks, new.masks)
    wider = select_patches_batched(SMALL,
                                   kpts,
                                   mode='skeleton',
                                   skeleton_links=links,
                                   limb_radius=1 / 16)
    assert (wider.masks >= old.masks).all()
    assert wider.masks.sum() > old.masks.sum() + 20


@pytest.mark.parametrize('options', [
    dict(mode='neighbour', neighbour_radius=0.035),
    dict(mode='neighbour', neighbour_radius=0.08),
    dict(mode='skeleton', neighbour_radius=0.04),
    dict(mode='skeleton', limb_radius=1 / 16),
    dict(mode='skeleton', neighbour_radius=0.08, limb_radius=1 / 32),
])
def test_radius_keeps_the_same_share_at_both_sizes(coco_skeleton, options):
    small = persons(24)
    share = [
        kept_fraction(grid, kpts, skeleton_links=coco_skeleton, **options)
        for grid, kpts in ((SMALL, small), (LARGE, upscale(small)))
    ]
    assert share[1] / share[0] == pytest.approx(1, abs=0.12), share


@pytest.mark.parametrize('options', [
    dict(mode='neighbour', num_neighbours=0),
    dict(mode='neighbour', num_neighbours=4),
    dict(mode='skeleton', num_neighbours=0),
])
def test_cells_keep_less_on_a_finer_grid(coco_skeleton, options):
    small = persons(24)
    share = [
        kept_fraction(grid, kpts, skeleton_links=coco_skeleton, **options)
        for grid, kpts in ((SMALL, small), (LARGE, upscale(small)))
    ]
    assert share[1] / share[0] < 0.4, share


@pytest.mark.parametrize('options, exc, words', [
    (dict(neighbour_radius=-0.1), ValueError,
     ['neighbour_radius', '>= 0', '-0.1']),
    (dict(neighbour_radius=float('nan')), ValueError, ['neighbour_radius']),
    (dict(neighbour_radius=float('inf')), ValueError,
     ['neighbour_radius', 'finite', 'inf']),
    (dict(neighbour_radius='1/16'), TypeError, ['neighbour_radius', "'1/16'"]),
    (dict(neighbour_radius=True), TypeError, ['neighbour_radius', 'True']),
    (dict(mode='skeleton', limb_radius=-1), ValueError, ['limb_radius', '-1']),
    (dict(mode='neighbour', limb_radius=0.03), ValueError,
     ['limb_radius=0.03', "mode='skeleton'", "mode='neighbour'"]),
    (dict(num_neighbours=4, neighbour_radius=0.06), ValueError,
     ['num_neighbours=4', 'neighbour_radius=0.06', 'one of them']),
    (dict(mode='skeleton', num_neighbours=2, limb_radius=0.03), ValueError,
     ['num_neighbours=2', 'limb_radius=0.03']),
])
def test_validation_names_option_and_value(options, exc, words):
    with pytest.raises(exc) as info:
        SelectionOptions(**options)
    for word in words:
        assert word in str(info.value)
    with pytest.raises(exc):  # every entry point builds the options
        select_patches_batched(SMALL, torch.zeros(1, 17, 2), **options)


def test_radii_defaults_and_shown_fields():
    assert SelectionOptions().radii() == (0.0, 0.0)
    assert not SelectionOptions(num_neighbours=4).uses_radius
    assert SelectionOptions(neighbour_radius=1).neighbour_radius == 1.0
    assert SelectionOptions(neighbour_radius=0.1).radii() == (0.1, 0.0)
    skeleton = dict(mode='skeleton')
    assert SelectionOptions(neighbour_radius=0.1,
                            **skeleton).radii() == (0.1, 0.1)
    assert SelectionOptions(limb_radius=0.05,
                            **skeleton).radii() == (0.05, 0.05)
    assert SelectionOptions(neighbour_radius=0.0, limb_radius=0.05,
                            **skeleton).radii() == (0.0, 0.05)
    # Unset radii stay out of reprs, so older reprs read as before.
    assert 'limb_radius' not in SelectionOptions().shown()
    assert SelectionOptions(limb_radius=0.05,
                            **skeleton).shown()['limb_radius'] == 0.05


GRIDS = [SMALL, PatchGrid((288, 384)), PatchGrid((80, 48))]


@settings(max_examples=60, deadline=None)
@given(grid=st.sampled_from(GRIDS),
       data=st.data(),
       mode=st.sampled_from(['neighbour', 'skeleton']),
       radius=st.sampled_from([None, 0.0, 1 / 32, 0.05, 0.11, 0.4]),
       limb=st.sampled_from([None, 0.0, 1 / 64, 0.07]),
       dtype=st.sampled_from([np.float32, np.float64]),
       budget=st.booleans())
def test_batched_equals_reference(coco_skeleton, grid, data, mode, radius,
                                  limb, dtype, budget):
    """One batched call equals the per-person numpy reference, keypoints
    outside the crop, non-finite ones and ties included."""
    if mode == 'neighbour':
        limb = None
    if radius is None and limb is None:
        radius = 0.05
    size = data.draw(st.integers(1, 4))
    hi = max(grid.width, grid.height)
    coord = st.one_of(
        st.floats(-60, hi + 60, width=32),
        st.sampled_from(
            [-0.5, 5.5, 21.5, grid.width - 0.5,
             float('nan'), 1e30, -3e38]))
    kpts = np.asarray(
        data.draw(st.lists(coord, min_size=size * 34,
                           max_size=size * 34))).reshape(size, 17, 2)
    scores = np.asarray(
        data.draw(
            st.lists(st.sampled_from([0.0, 0.3, 0.5, 0.9, 1.0]),
                     min_size=size * 17,
                     max_size=size * 17))).reshape(size, 17)
    kpts, scores = kpts.astype(dtype), scores.astype(dtype)
    k = data.draw(st.integers(1, grid.num_patches)) if budget else None
    kw = dict(mode=mode,
              skeleton_links=coco_skeleton,
              num_keep=k,
              neighbour_radius=radius,
              limb_radius=limb)
    out = select_patches_batched(grid, torch.from_numpy(kpts),
                                 torch.from_numpy(scores), **kw)
    for b in range(size):
        ref = reference_select(grid, kpts[b], scores[b], **kw)
        np.testing.assert_array_equal(out.masks[b].numpy(), ref.mask)
        assert bool(out.fallback[b]) == ref.fallback
        if k is not None:
            np.testing.assert_array_equal(out.indices[b].numpy(), ref.indices)


def test_large_grid_batch_equals_reference(coco_skeleton):
    """64x48 (Sapiens' 1024x768) in one batch, rows as the reference."""
    kpts = upscale(persons(6, seed=1))
    kw = dict(mode='skeleton',
              skeleton_links=coco_skeleton,
              neighbour_radius=0.05,
              limb_radius=1 / 32)
    out = select_patches_batched(LARGE, torch.from_numpy(kpts), **kw)
    for b in range(len(kpts)):
        ref = reference_select(LARGE, kpts[b], None, **kw)
        np.testing.assert_array_equal(out.masks[b].numpy(), ref.mask)
    # One person alone gets the row it got in the batch.
    one = select_patches(LARGE, kpts[2], **kw)
    np.testing.assert_array_equal(one.mask, out.masks[2].numpy())


class _Selection(torch.nn.Module):
    """Keypoints and scores -> kept cells, as the exported graphs call it."""

    def __init__(self, grid: PatchGrid, **options) -> None:
        super().__init__()
        self.grid, self.options = grid, options

    def forward(self, kpts, scores):
        out = select_patches_batched(self.grid, kpts, scores, **self.options)
        return out.indices, out.masks


def test_exports_to_onnx(coco_skeleton, tmp_path):
    """The radii export with torch.onnx (dynamo, dynamic batch) and ONNX
    Runtime keeps the same cells, budget included."""
    ort = pytest.importorskip('onnxruntime')
    graph = _Selection(SMALL,
                       mode='skeleton',
                       skeleton_links=coco_skeleton,
                       neighbour_radius=0.08,
                       limb_radius=1 / 32,
                       num_keep=48)
    size = torch.tensor([192.0, 256.0])
    batch = torch.export.Dim('batch', min=2, max=4096)
    program = torch.onnx.export(
        graph, (torch.rand(3, 17, 2) * size, torch.rand(3, 17)),
        input_names=['keypoints', 'scores'],
        output_names=['indices', 'masks'],
        dynamic_shapes=({
            0: batch
        }, {
            0: batch
        }),
        opset_version=18,
        dynamo=True,
        optimize=True,
        verbose=False)
    program.save(str(tmp_path / 'selection.onnx'))
    session = ort.InferenceSession(str(tmp_path / 'selection.onnx'),
                                   providers=['CPUExecutionProvider'])
    gen = torch.Generator().manual_seed(0)
    for batch_size in (1, 5):
        # Keypoints also outside the crop; quantised scores tie.
        kpts = (torch.rand(batch_size, 17, 2, generator=gen) * 1.4 -
                0.2) * size
        scores = torch.round(torch.rand(batch_size, 17, generator=gen) * 4) / 4
        indices, masks = session.run(
            None, dict(keypoints=kpts.numpy(), scores=scores.numpy()))
        expected = graph(kpts, scores)
        np.testing.assert_array_equal(indices, expected[0].numpy())
        np.testing.assert_array_equal(masks, expected[1].numpy())
