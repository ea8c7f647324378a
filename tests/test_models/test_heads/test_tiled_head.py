"""The tiled head (``SapiensHeatmapHead(tile_cells=...)``): the dense
head's output, computed on the tiles near the kept cells only."""
import pytest
import torch
import torch.nn as nn
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS

from mmpose_patchsel.models.heads import tile_halo, tiled_forward
from patchsel_testing import selected_batch, small_sapiens_estimator


def head(use_silu=True, seed=0, **kwargs) -> nn.Module:
    """A small head with random weights (and BatchNorm statistics), in
    eval mode."""
    torch.manual_seed(seed)
    kwargs = dict(dict(in_channels=8, out_channels=5,
                       deconv_out_channels=(6, 6), deconv_kernel_sizes=(4, 4),
                       conv_out_channels=(6, ), conv_kernel_sizes=(1, )),
                  **kwargs)
    model = MODELS.build(dict(type='SapiensHeatmapHead', use_silu=use_silu,
                              **kwargs))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2)
    return model.eval()


def kept_grid(h=16, w=12, seed=0) -> torch.Tensor:
    """(4, 8, h, w) features: a body-shaped block, scattered cells, no
    cell and every cell kept, zeros elsewhere."""
    g = torch.Generator().manual_seed(seed)
    keep = torch.zeros(4, 1, h, w)
    keep[0, :, 3:9, 4:7] = 1
    keep[0, :, 9:13, 3] = 1
    keep[1] = (torch.rand(1, h, w, generator=g) < 0.15).float()
    keep[3] = 1
    return torch.randn(4, 8, h, w, generator=g) * keep


def assert_same_per_sample(tiled, dense):
    """Equal up to float rounding of each sample's own magnitude (an empty
    sample under masked statistics is x / sqrt(eps) per layer)."""
    scale = dense.abs().flatten(1).amax(1).clamp_min(1)[:, None, None, None]
    torch.testing.assert_close(tiled / scale, dense / scale, rtol=0,
                               atol=2e-5)


NORMS = {
    'batchnorm': dict(use_silu=False),
    'instancenorm': dict(use_silu=True),
    'masked instancenorm': dict(use_silu=True, masked_norm=True),
}


@pytest.mark.parametrize('norm', NORMS)
@pytest.mark.parametrize('tile', [1, 3, 8])
@pytest.mark.parametrize('size', [(16, 12), (13, 9)])
def test_tiled_head_equals_dense_head(norm, tile, size):
    dense = head(**NORMS[norm])
    tiled = head(**NORMS[norm], tile_cells=tile)
    tiled.load_state_dict(dense.state_dict(), strict=True)
    x = kept_grid(*size)
    with torch.no_grad():
        expected, out = dense((x, )), tiled((x, ))
    assert out.shape == expected.shape == (4, 5, 4 * size[0], 4 * size[1])
    assert_same_per_sample(out, expected)


@pytest.mark.parametrize('norm', ['batchnorm', 'instancenorm'])
def test_other_kernels_tile_exactly(norm):
    """mmpose's deconv kernels 2 and 3 and a 3x3 conv need other halos."""
    kwargs = dict(NORMS[norm], deconv_kernel_sizes=(2, 3),
                  conv_kernel_sizes=(3, ))
    dense = head(**kwargs)
    tiled = head(**kwargs, tile_cells=4)
    tiled.load_state_dict(dense.state_dict())
    layers = tiled.layers()
    assert tile_halo(layers, 4) == (1, 1)
    assert tile_halo(layers[:3], 4) == (0, 0)  # k2 s2: one input per pixel
    x = kept_grid()
    with torch.no_grad():
        assert_same_per_sample(tiled((x, )), dense((x, )))


def test_mmpose_heatmap_head_checkpoint_runs_tiled():
    """A ViTPose user's head: mmpose's HeatmapHead weights in the
    BatchNorm head with tiles give mmpose's heatmaps."""
    stock = HeatmapHead(in_channels=8, out_channels=5,
                        deconv_out_channels=(6, 6),
                        deconv_kernel_sizes=(4, 4))
    with torch.no_grad():
        for p in stock.parameters():
            p.normal_(0, 0.5)
    tiled = head(use_silu=False, conv_out_channels=None,
                 conv_kernel_sizes=None, tile_cells=4)
    tiled.load_state_dict(stock.state_dict(), strict=True)
    x = kept_grid()
    with torch.no_grad():
        assert_same_per_sample(tiled((x, )), stock.eval()((x, )))


def test_only_tiles_near_kept_cells_run():
    """One kept cell: the first deconv's BatchNorm sees its tile's crop
    plus one zero crop per border pattern, not the grid."""
    model = head(use_silu=False, tile_cells=4)
    x = torch.zeros(1, 8, 16, 12)
    x[0, :, 6, 5] = 1  # inside tile (1, 1), away from its edges
    seen = []
    model.deconv_layers[1].register_forward_pre_hook(
        lambda _, args: seen.append(args[0].shape))
    with torch.no_grad():
        model((x, ))
    # 4x3 tiles of 4 cells: interior, 4 edges and 4 corners have zero
    # crops of their own (9 patterns); the kept cell's tile is active.
    assert {shape[1:] for shape in seen} == {(6, 12, 12)}  # 2x upsampled
    assert sum(shape[0] for shape in seen) == 1 + 9


def test_training_runs_the_dense_head():
    dense, tiled = head(use_silu=False), head(use_silu=False, tile_cells=4)
    tiled.load_state_dict(dense.state_dict())
    x = kept_grid()
    dense.train(), tiled.train()
    torch.testing.assert_close(tiled((x, )), dense((x, )))  # batch stats


def test_bad_tiles_and_layers_are_named():
    with pytest.raises(ValueError, match='tile_cells must be an int >= 1'):
        head(tile_cells=0)
    strided = [nn.Conv2d(8, 5, 3, stride=2, padding=1)]
    with pytest.raises(ValueError, match='stride'):
        tiled_forward(strided, torch.randn(1, 8, 4, 4))
    batchnorm = [nn.BatchNorm2d(8).train()]
    with pytest.raises(ValueError, match='training mode'):
        tiled_forward(batchnorm, torch.randn(1, 8, 4, 4))
    with pytest.raises(ValueError, match="'some'"):
        tiled_forward([nn.Identity()], torch.randn(1, 8, 4, 4),
                      norm_positions='some')


def test_estimator_with_selection_predicts_the_same(coco_root):
    """The ViT, selection from the bundled persons and the tiled Sapiens
    head: the same keypoints as the dense head."""
    model = small_sapiens_estimator()
    data = selected_batch(model, coco_root)
    with torch.no_grad():
        dense = model(**data, mode='predict')
        model.head.tile_cells = 4
        tiled = model(**data, mode='predict')
    for a, b in zip(dense, tiled):
        torch.testing.assert_close(
            torch.as_tensor(b.pred_instances.keypoints),
            torch.as_tensor(a.pred_instances.keypoints), rtol=0, atol=1e-3)


@pytest.mark.parametrize('kernels', [(4, 4), (3, 2)])
@pytest.mark.parametrize('norm', NORMS)
def test_wide_input_deconvolves_by_matmul_exactly(norm, kernels):
    """256 input channels against crops of 3x3 cells (tile 1): the first
    deconv's weight outweighs its columns, so it runs as a matmul and a
    fold, still the dense head's output (kernel 3 has output padding)."""
    kwargs = dict(NORMS[norm], in_channels=256, deconv_kernel_sizes=kernels)
    dense = head(**kwargs)
    tiled = head(**kwargs, tile_cells=1)
    tiled.load_state_dict(dense.state_dict())
    x = kept_grid()
    x = x.repeat(1, 32, 1, 1) * torch.rand(1, 256, 1, 1)
    with torch.no_grad():
        assert_same_per_sample(tiled((x, )), dense((x, )))


@pytest.mark.parametrize('norm', ['batchnorm', 'instancenorm'])
def test_tiled_head_under_autocast(norm):
    """bfloat16 autocast on the CPU: the heatmaps come out in the dtype the
    dense head gives, equal to its within bfloat16's precision."""
    model = head(**NORMS[norm])
    x = kept_grid()
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        dense = model((x, ))
        model.tile_cells = 4
        tiled = model((x, ))
    assert tiled.dtype == dense.dtype == torch.bfloat16
    scale = dense.float().abs().max()
    assert (tiled.float() - dense.float()).abs().max() <= 0.02 * scale
