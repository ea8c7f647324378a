"""PatchSelTopdownEstimator: selection from data samples to the backbone."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpose.registry import MODELS

from mmpose_patchsel.models.pose_estimators import (keep_indices_to_masks,
                                                    masks_to_keep_indices)
from patchsel_testing import INPUT_SIZE, selecting_coco_dataset


def test_masks_to_keep_indices_equal_counts():
    masks = torch.zeros(2, 10, dtype=torch.bool)
    masks[0, [1, 4, 7]] = True
    masks[1, [0, 2, 9]] = True
    keep, padding = masks_to_keep_indices(masks)
    assert padding is None
    assert keep.tolist() == [[1, 4, 7], [0, 2, 9]]


def test_masks_to_keep_indices_pads_shorter_rows():
    masks = torch.zeros(2, 6, dtype=torch.bool)
    masks[0, [5, 3]] = True
    masks[1, [0, 1, 2, 4]] = True
    keep, padding = masks_to_keep_indices(masks)
    assert keep.tolist() == [[3, 5, 0, 0], [0, 1, 2, 4]]
    assert padding.tolist() == [[False, False, True, True], [False] * 4]


def test_keep_indices_to_masks_inverts_it_with_padding():
    masks = torch.zeros(3, 6, dtype=torch.bool)
    masks[0, [5, 3]] = True
    masks[1, [0, 1, 2, 4]] = True
    masks[2, 0] = True  # padding points at 0: it must stay False elsewhere
    assert torch.equal(
        keep_indices_to_masks(*masks_to_keep_indices(masks), 3, 6), masks)
    assert keep_indices_to_masks(None, None, 2, 6).all()


def test_masks_to_keep_indices_rejects_empty_selection():
    masks = torch.zeros(2, 6, dtype=torch.bool)
    masks[0, 0] = True
    with pytest.raises(ValueError, match='no patch'):
        masks_to_keep_indices(masks)


@pytest.fixture(scope='module')
def model(tiny_coco_cfg):
    cfg = Config.fromfile(str(tiny_coco_cfg))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


@pytest.fixture(scope='module')
def batch(coco_root):
    """Four real persons through a training-style pipeline with selection."""
    dataset = selecting_coco_dataset(
        coco_root,
        dict(type='GenerateTarget',
             encoder=dict(type='UDPHeatmap', input_size=INPUT_SIZE,
                          heatmap_size=(48, 64), sigma=2)),
        dict(type='PackPatchSelInputs'),
        mode='neighbour',
        num_neighbours=4)
    return pseudo_collate([dataset[i] for i in range(4)])


class BackboneCalls:
    """Records the selection each backbone call receives."""

    def __init__(self, backbone):
        self.calls = []
        self.backbone = backbone
        self.forward = backbone.forward

    def __enter__(self):

        def record(x, keep_indices=None, key_padding_mask=None):
            self.calls.append((x, keep_indices, key_padding_mask))
            return self.forward(x, keep_indices, key_padding_mask)

        self.backbone.forward = record
        return self.calls

    def __exit__(self, *_):
        self.backbone.forward = self.forward


def assert_selection_of(batch, key, keep, padding):
    """``keep`` and ``padding`` are the selection of the batch's masks
    ``key`` (``patch_mask`` or ``patch_mask_flip``)."""
    masks = torch.as_tensor(
        np.stack([s.metainfo[key] for s in batch['data_samples']]))
    expected_keep, expected_padding = masks_to_keep_indices(masks)
    torch.testing.assert_close(keep, expected_keep)
    if expected_padding is None:
        assert padding is None
    else:
        torch.testing.assert_close(padding, expected_padding)


def test_predict_passes_selection_and_flip_selection(model, batch):
    model.test_cfg['flip_test'] = True
    data = model.data_preprocessor(batch, training=False)
    with BackboneCalls(model.backbone) as calls, torch.no_grad():
        results = model(**data, mode='predict')
    model.test_cfg['flip_test'] = False
    assert len(results) == 4
    assert len(calls) == 2
    for (x, keep, padding), key in zip(calls,
                                       ('patch_mask', 'patch_mask_flip')):
        assert_selection_of(batch, key, keep, padding)
    # The second call sees the flipped image and its own selection.
    torch.testing.assert_close(calls[1][0], calls[0][0].flip(-1))
    assert not torch.equal(calls[0][1], calls[1][1])


def test_loss_and_tensor_modes_use_selection(model, batch):
    data = model.data_preprocessor(batch, training=True)
    with BackboneCalls(model.backbone) as calls:
        losses = model(**data, mode='loss')
        heatmaps = model(**data, mode='tensor')
    assert torch.isfinite(losses['loss_kpt'])
    assert heatmaps.shape == (4, 17, 64, 48)
    # One backbone call per mode, each with the samples' own selection.
    assert len(calls) == 2
    for _, keep, padding in calls:
        assert_selection_of(batch, 'patch_mask', keep, padding)


def test_keep_all_masks_equal_the_full_model(model, batch):
    data = model.data_preprocessor(batch, training=False)
    full_samples = []
    for sample in data['data_samples']:
        sample = sample.clone()
        sample.set_metainfo(
            dict(patch_mask=np.ones(192, bool),
                 patch_mask_flip=np.ones(192, bool)))
        full_samples.append(sample)
    with torch.no_grad():
        selected_all = model(data['inputs'], full_samples, mode='tensor')
        plain = model(data['inputs'], None, mode='tensor')
    torch.testing.assert_close(selected_all, plain, rtol=1e-4, atol=1e-5)


def test_partial_selection_in_batch_is_an_error(model, batch):
    data = model.data_preprocessor(batch, training=False)
    samples = [s.clone() for s in data['data_samples']]
    samples[0].set_metainfo(dict(patch_mask=None))
    with pytest.raises(KeyError, match='patch_mask'):
        model(data['inputs'], samples, mode='tensor')


def test_flip_test_without_flip_mask_names_the_key(model, batch):
    data = model.data_preprocessor(batch, training=False)
    samples = [s.clone() for s in data['data_samples']]
    for sample in samples:
        del sample.patch_mask_flip  # as SelectPatches(with_flip_mask=False)
    model.test_cfg['flip_test'] = True
    try:
        with pytest.raises(KeyError, match="'patch_mask_flip'.*with_flip_"):
            with torch.no_grad():
                model(data['inputs'], samples, mode='predict')
    finally:
        model.test_cfg['flip_test'] = False
