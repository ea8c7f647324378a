"""The package selection (torch, batched) equals the numpy reference."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mmpose_patchsel.selection import PatchGrid, select_patches_batched
from test_selection.reference_selection import select as reference_select

GRIDS = [
    PatchGrid((192, 256)),
    PatchGrid((288, 384)),
    PatchGrid((190, 250)),
    PatchGrid((80, 48))
]


@st.composite
def batch(draw, grid):
    size = draw(st.integers(1, 4))
    num = draw(st.integers(0, 17))
    hi = max(grid.width, grid.height)
    coord = st.one_of(
        st.floats(-80, hi + 80, width=32), st.floats(-0.625, 20.0, width=32),
        st.sampled_from([
            -0.5, 7.5, 13.5, 14.5, grid.width - 0.5, grid.height - 0.5,
            float('nan'),
            float('inf'), -1e30, 1e30, 3e38, -3e38
        ]))
    score = st.one_of(st.floats(0, 1, width=32),
                      st.sampled_from([0.3, 0.7, 1.0, 0.0,
                                       float('nan')]))
    kpts = draw(
        st.lists(coord, min_size=size * num * 2, max_size=size * num * 2))
    scores = draw(st.lists(score, min_size=size * num, max_size=size * num))
    return (np.asarray(kpts).reshape(size, num,
                                     2), np.asarray(scores).reshape(size, num))


def _links(draw, num, coco):
    if num == 17 and draw(st.booleans()):
        return coco
    if num == 0:
        return []
    pair = st.tuples(st.integers(0, num - 1), st.integers(0, num - 1))
    return draw(st.lists(pair, max_size=25))


@settings(max_examples=300, deadline=None)
@given(grid=st.sampled_from(GRIDS),
       data=st.data(),
       mode=st.sampled_from(['neighbour', 'skeleton']),
       n=st.integers(0, 25),
       dtype=st.sampled_from([np.float32, np.float64]),
       thr=st.sampled_from([0.3, 0.7, 0.0]),
       budget=st.booleans())
def test_torch_equals_numpy(coco_skeleton, grid, data, mode, n, dtype, thr,
                            budget):
    kpts, scores = data.draw(batch(grid))
    kpts, scores = kpts.astype(dtype), scores.astype(dtype)
    links = _links(data.draw, kpts.shape[1], coco_skeleton)
    k = data.draw(st.integers(1, grid.num_patches)) if budget else None
    kw = dict(mode=mode,
              num_neighbours=n,
              score_thr=thr,
              skeleton_links=links,
              num_keep=k)
    out = select_patches_batched(grid, torch.from_numpy(kpts),
                                 torch.from_numpy(scores), **kw)
    assert out.masks.shape == (len(kpts), grid.num_patches)
    assert out.masks.dtype == torch.bool
    for b in range(len(kpts)):
        ref = reference_select(grid, kpts[b], scores[b], **kw)
        np.testing.assert_array_equal(out.masks[b].numpy(), ref.mask)
        assert bool(out.fallback[b]) == ref.fallback
        if k is None:
            assert out.indices is None
        else:
            assert out.indices.shape == (len(kpts), k)
            assert out.indices.dtype == torch.long
            np.testing.assert_array_equal(out.indices[b].numpy(), ref.indices)


def test_realistic_batch_and_none_scores(coco_skeleton):
    grid = PatchGrid((192, 256))
    rng = np.random.default_rng(0)
    kpts = rng.uniform([-20, -20], [212, 276], (64, 17, 2)).astype(np.float32)
    for mode in ('neighbour', 'skeleton'):
        for k in (None, 1, 96, 192):
            kw = dict(mode=mode,
                      num_neighbours=4,
                      num_keep=k,
                      skeleton_links=coco_skeleton)
            out = select_patches_batched(grid, torch.from_numpy(kpts), **kw)
            for b in range(64):
                ref = reference_select(grid, kpts[b], None, **kw)
                assert (out.masks[b].numpy() == ref.mask).all()


def test_empty_batch_and_no_keypoints():
    grid = PatchGrid((192, 256))
    out = select_patches_batched(grid,
                                 torch.zeros(0, 17, 2),
                                 torch.zeros(0, 17),
                                 num_keep=10)
    assert out.masks.shape == (0, 192) and out.indices.shape == (0, 10)
    out = select_patches_batched(grid, torch.zeros(3, 0, 2), num_keep=4)
    assert out.fallback.all()
    assert out.indices.tolist() == [[89, 90, 101, 102]] * 3
    out = select_patches_batched(grid,
                                 torch.zeros(3, 0, 2),
                                 mode='skeleton',
                                 skeleton_links=[])
    assert out.masks.all() and out.indices is None


def test_integer_keypoints_and_visibility():
    grid = PatchGrid((192, 256))
    kpts = torch.tensor([[[100, 100], [10, 10]]])
    out = select_patches_batched(grid, kpts, torch.tensor([[1, 0]]))
    assert torch.nonzero(out.masks[0]).flatten().tolist() == [78]


@pytest.mark.parametrize('kpts,scores,exc,words', [
    (np.zeros((2, 17, 2)), None, TypeError, ['torch.Tensor']),
    (torch.zeros(17, 2), None, ValueError, ['(B, J, 2)', '(17, 2)']),
    (torch.zeros(2, 17, 3), None, ValueError, ['(B, J, 2)', '(2, 17, 3)']),
    (torch.zeros(2, 17, 2), torch.ones(
        2, 16), ValueError, ['(2, 17)', '(2, 16)']),
    (torch.zeros(2, 17, 2), np.ones((2, 17)), TypeError, ['scores']),
])
def test_batched_errors(kpts, scores, exc, words):
    grid = PatchGrid((192, 256))
    with pytest.raises(exc) as info:
        select_patches_batched(grid, kpts, scores)
    for word in words:
        assert word in str(info.value)


def test_batched_option_errors(coco_skeleton):
    grid = PatchGrid((192, 256))
    kpts = torch.zeros(2, 17, 2)
    with pytest.raises(ValueError, match='num_keep=193'):
        select_patches_batched(grid, kpts, num_keep=193)
    with pytest.raises(ValueError, match=r'\[0, 3\).*\(5, 6\)'):
        select_patches_batched(grid,
                               kpts[:, :3],
                               mode='skeleton',
                               skeleton_links=[(5, 6)])
    with pytest.raises(ValueError, match='required'):
        select_patches_batched(grid, kpts, mode='skeleton')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_equals_cpu(coco_skeleton):
    grid = PatchGrid((288, 384))
    rng = np.random.default_rng(3)
    kpts = torch.from_numpy(
        rng.uniform([-30, -30], [318, 414], (64, 17, 2)).astype(np.float32))
    scores = torch.from_numpy(rng.uniform(0, 1, (64, 17)).astype(np.float32))
    for mode in ('neighbour', 'skeleton'):
        for n in (0, 8):
            for k in (None, 100):
                kw = dict(mode=mode,
                          num_neighbours=n,
                          num_keep=k,
                          skeleton_links=coco_skeleton)
                cpu = select_patches_batched(grid, kpts, scores, **kw)
                gpu = select_patches_batched(grid, kpts.cuda(), scores.cuda(),
                                             **kw)
                assert gpu.masks.is_cuda
                assert torch.equal(gpu.masks.cpu(), cpu.masks)
                if k is not None:
                    assert gpu.indices.is_cuda
                    assert torch.equal(gpu.indices.cpu(), cpu.indices)
