"""The study's models: each head on the accuracy benchmark's full model,
with the configs' channels, loss and decoder, and no neck."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config
from mmpose.registry import MODELS

from mmpose_patchsel.benchmarks.accuracy import CONFIGS, FULL, METHODS
from mmpose_patchsel.benchmarks.head_norm import (HEAD_SHAPE, HEADS, head_of,
                                                  selections_of,
                                                  training_folder, with_head)


@pytest.fixture(scope='module')
def full_cfg() -> Config:
    return Config.fromfile(osp.join(CONFIGS, METHODS[FULL]))


def test_the_configs_head_is_left_as_it_is(full_cfg):
    assert with_head(full_cfg, head_of('simple')) is full_cfg


@pytest.mark.parametrize('key, norm', [('batchnorm', 'BatchNorm2d'),
                                       ('instancenorm', 'InstanceNorm2d')])
def test_new_heads_share_one_shape_and_differ_in_the_norm(full_cfg, key, norm):
    before = copy.deepcopy(full_cfg.model)
    cfg = with_head(full_cfg, head_of(key))
    assert full_cfg.model == before  # a copy
    assert 'neck' not in cfg.model
    head = cfg.model.head
    assert head.in_channels == 192 and head.out_channels == 17
    assert head.decoder == full_cfg.model.head.decoder
    model = MODELS.build(cfg.model.head)
    assert [
        type(m).__name__ for m in model.deconv_layers
    ] == ['ConvTranspose2d', norm, 'ReLU' if key == 'batchnorm' else 'SiLU'
          ] * 2
    assert len(model.conv_layers) == 3 * len(HEAD_SHAPE['conv_out_channels'])


def test_the_masked_head_runs_the_instance_norm_checkpoints(full_cfg):
    masked = head_of('instancenorm_masked')
    assert not masked.trained and masked.weights == 'instancenorm'
    assert with_head(full_cfg, masked).model.head.masked_norm is True
    assert [s.merge for s in selections_of(masked)] == [0, 0]
    trained = [h.key for h in HEADS if h.trained]
    assert trained == ['simple', 'batchnorm', 'instancenorm']


def test_folders_are_the_benchmarks_or_name_their_epochs():
    assert training_folder(head_of('simple'), 1, 4) == 'full_seed1'
    assert training_folder(head_of('batchnorm'), 0, 4) == 'head_batchnorm_4e'
    assert training_folder(head_of('instancenorm'), 2, 8) == \
        'head_instancenorm_8e_seed2'
