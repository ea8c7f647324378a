"""Export of a patch-selected model to ONNX: the selection runs inside the
graph and ONNX Runtime reproduces PyTorch."""
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from mmengine.hub import get_config
from conftest import TEST_CONFIGS

from mmpose_patchsel.deployment import (CARD_KEY, ExportCheckError, check_onnx)
from mmpose_patchsel.deployment.exporter import (build_graph,
                                                 export_pose_model,
                                                 load_pose_model)
from mmpose_patchsel.selection import PatchGrid, select_patches_batched

ort = pytest.importorskip('onnxruntime')

SKELETON_CFG = str(TEST_CONFIGS /
                   'td-hm_patchsel-vit-tiny-skeleton_coco-testdata-256x192.py')
FULL_CFG = str(TEST_CONFIGS /
               'td-hm_patchsel-vit-tiny_coco-testdata-256x192.py')
NUM_KEEP = 48


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> Path:
    """Fixed random weights of the tiny model, saved as a checkpoint."""
    torch.manual_seed(0)
    _, model = load_pose_model(SKELETON_CFG)
    model.init_weights()
    path = tmp_path_factory.mktemp('ckpt') / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


@pytest.fixture(scope='module')
def exported(checkpoint, coco_root, tmp_path_factory):
    out = tmp_path_factory.mktemp('onnx') / 'tiny_k48.onnx'
    result = export_pose_model(SKELETON_CFG,
                               str(checkpoint),
                               str(out),
                               check_data=str(coco_root),
                               num_keep=NUM_KEEP)
    return out, result


def _session(path):
    return ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])


def _random_guide(batch: int, seed: int, size=(192, 256)):
    gen = torch.Generator().manual_seed(seed)
    # Keypoints also outside the crop; scores quantised so ties happen.
    kpts = (torch.rand(batch, 17, 2, generator=gen) * 1.4 - 0.2) * \
        torch.tensor(size, dtype=torch.float)
    scores = torch.round(torch.rand(batch, 17, generator=gen) * 4) / 4
    return kpts, scores


def test_check_passes_on_coco_persons(exported):
    _, result = exported
    check = result['check']
    assert check['data'] == 'coco' and check['persons'] == 12
    assert check['keep_rows_differing'] == 0
    assert check['max_rel_diff'] < 1e-4


@pytest.mark.parametrize('batch', [1, 5])
def test_kept_cells_equal_the_package_selection(exported, batch):
    """The graph's selection is ``select_patches_batched``'s, at any batch
    size, ties and keypoints outside the crop included."""
    path, result = exported
    session = _session(path)
    links = result['card']['skeleton_links']
    grid = PatchGrid((192, 256))
    for seed in range(4):
        kpts, scores = _random_guide(batch, seed)
        feed = dict(input=np.zeros((batch, 3, 256, 192), np.float32),
                    keypoints=kpts.numpy(),
                    keypoint_scores=scores.numpy())
        heatmaps, keep = session.run(None, feed)
        expected = select_patches_batched(grid,
                                          kpts,
                                          scores,
                                          mode='skeleton',
                                          num_keep=NUM_KEEP,
                                          score_thr=0.3,
                                          skeleton_links=links).indices
        np.testing.assert_array_equal(keep, expected.numpy())
        assert heatmaps.shape == (batch, 17, 64, 48)


def test_heatmaps_match_the_estimator(exported, checkpoint):
    """ONNX Runtime against the estimator's own selected forward (keep
    indices given to ``extract_feat``), on the same guide."""
    path, _ = exported
    _, model = load_pose_model(SKELETON_CFG, str(checkpoint))
    kpts, scores = _random_guide(3, seed=7)
    inputs = torch.randn(3,
                         3,
                         256,
                         192,
                         generator=torch.Generator().manual_seed(1))
    keep = select_patches_batched(
        model.patch_grid(),
        kpts,
        scores,
        mode='skeleton',
        num_keep=NUM_KEEP,
        skeleton_links=model.dataset_meta['skeleton_links']).indices
    with torch.no_grad():
        expected = model.head(model.extract_feat(inputs, keep)).numpy()
    heatmaps = _session(path).run(['heatmaps'],
                                  dict(input=inputs.numpy(),
                                       keypoints=kpts.numpy(),
                                       keypoint_scores=scores.numpy()))[0]
    np.testing.assert_allclose(heatmaps, expected, atol=1e-5)


def test_model_card_comes_from_the_config(exported):
    path, _ = exported
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    card = json.loads(props[CARD_KEY])
    assert card['role'] == 'selected'
    assert card['input_size'] == [192, 256]
    assert card['codec']['type'] == 'UDPHeatmap'
    assert card['codec']['heatmap_size'] == [48, 64]
    assert card['selection']['num_keep'] == NUM_KEEP
    assert card['selection']['mode'] == 'skeleton'
    assert card['selection']['grid'] == [16, 12]
    assert card['use_udp'] is True and card['bgr_to_rgb'] is True
    assert len(card['skeleton_links']) == 19
    assert card['inputs'] == ['input', 'keypoints', 'keypoint_scores']
    session = _session(path)
    assert [i.name for i in session.get_inputs()] == card['inputs']
    assert session.get_inputs()[0].shape == ['batch', 3, 256, 192]
    assert session.get_outputs()[1].shape == ['batch', NUM_KEEP]


def test_check_fails_when_the_file_is_not_the_model(exported, checkpoint,
                                                    coco_root):
    """A graph that differs from the file is caught, with the numbers."""
    path, _ = exported
    cfg, model = load_pose_model(SKELETON_CFG, str(checkpoint))
    graph, card = build_graph(cfg, model, 'selected', num_keep=NUM_KEEP)
    with torch.no_grad():
        model.head.final_layer.bias.add_(1.0)
    kpts, scores = _random_guide(2, seed=3)
    inputs = (torch.randn(2, 3, 256, 192), kpts, scores)
    with pytest.raises(ExportCheckError, match='outputs differ by'):
        check_onnx(str(path), graph, inputs, card['codec'], max_px=None)


def test_export_leaves_the_selection_caches_real(exported):
    """Tracing must not leave fake tensors in the cached grid tables."""
    kpts, scores = _random_guide(2, seed=0)
    out = select_patches_batched(PatchGrid((192, 256)),
                                 kpts,
                                 scores,
                                 mode='neighbour',
                                 num_neighbours=4,
                                 num_keep=NUM_KEEP)
    assert out.indices.numpy().shape == (2, NUM_KEEP)


def test_full_model_export(coco_root, tmp_path):
    out = tmp_path / 'full.onnx'
    result = export_pose_model(FULL_CFG,
                               None,
                               str(out),
                               check_data=str(coco_root),
                               max_persons=4)
    assert result['card']['role'] == 'full'
    session = _session(out)
    assert [i.name for i in session.get_inputs()] == ['input']
    heatmaps = session.run(
        None, dict(input=np.zeros((1, 3, 256, 192), np.float32)))[0]
    assert heatmaps.shape == (1, 17, 64, 48)


@pytest.mark.parametrize('options, match', [
    (dict(), 'num_keep is None'),
    (dict(num_keep=193), 'num_keep'),
])
def test_selected_export_needs_a_static_budget(options, match):
    cfg, model = load_pose_model(SKELETON_CFG)
    with pytest.raises(ValueError, match=match):
        build_graph(cfg, model, 'selected', **options)


def test_selected_role_needs_a_patchsel_model():
    cfg, model = load_pose_model('mmpose::body_2d_keypoint/rtmpose/coco/'
                                 'rtmpose-t_8xb256-420e_coco-256x192.py')
    with pytest.raises(ValueError, match='PatchSelTopdownEstimator'):
        build_graph(cfg, model, 'selected', num_keep=48)


def test_checkpoint_errors_name_the_file_and_keys(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_pose_model(SKELETON_CFG, str(tmp_path / 'missing.pth'))
    bad = tmp_path / 'bad.pth'
    torch.save(dict(state_dict={'backbone.nope': torch.zeros(1)}), bad)
    with pytest.raises(ValueError, match='(?s)does not match.*backbone.nope'):
        load_pose_model(SKELETON_CFG, str(bad))


@pytest.mark.slow
def test_litehrnet_guide_export(coco_root, tmp_path):
    """The paper's guide, LiteHRNet-18 (mmpose's config), exports and
    matches PyTorch on the bundled COCO persons. Its stages keep their
    branches, block types and fuse layers (every operator of the network)
    at one module of one block each instead of (2, 4, 2) of two: a fifth
    of the graph, which torch's exporter traces and rewrites node by
    node."""
    cfg = get_config('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
                     'td-hm_litehrnet-18_8xb64-210e_coco-256x192.py')
    stages = cfg.model.backbone.extra.stages_spec
    stages.num_modules = stages.num_blocks = (1, 1, 1)
    result = export_pose_model(cfg, None,
                               str(tmp_path / 'litehrnet.onnx'), role='guide',
                               check_data=str(coco_root), max_persons=4)
    assert result['card']['codec']['type'] == 'MSRAHeatmap'
    assert result['check']['max_rel_diff'] < 1e-4
