"""mmengine checkpoints save, load and resume under torch >= 2.6; only
files that need it are unpickled in full, with a warning."""
import copy
import os.path as osp
import re
import warnings

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader, Runner, load_checkpoint

from mmpose_patchsel.engine.checkpoint_loading import (
    WEIGHTS_ONLY_ENV, UnsafeCheckpointWarning, torch_defaults_to_weights_only)


@pytest.fixture(scope='module')
def make_cfg(tiny_coco_cfg, coco_cfg_options):
    """Tiny config on the real COCO test set, writing into ``work_dir``."""

    def make(work_dir) -> Config:
        cfg = Config.fromfile(str(tiny_coco_cfg))
        cfg.merge_from_dict(coco_cfg_options)
        cfg.work_dir = str(work_dir)
        cfg.randomness = dict(seed=0)
        return cfg

    return make


@pytest.fixture(scope='module')
def trained(make_cfg, tmp_path_factory):
    """Two epochs of real training, each validated with CocoMetric."""
    work_dir = tmp_path_factory.mktemp('train')
    runner = Runner.from_cfg(make_cfg(work_dir))
    runner.train()
    return runner, work_dir


def test_train_validates_with_coco_metric(trained):
    runner, work_dir = trained
    assert runner.epoch == 2
    # 12 persons with keypoints in test_coco.json, batch 4.
    assert len(runner.train_dataloader) == 3
    assert runner.iter == 6
    assert osp.isfile(work_dir / 'epoch_2.pth')
    ap = runner.message_hub.get_scalar('val/coco/AP').current()
    assert 0.0 <= ap <= 1.0


def test_torch_default_refuses_mmengine_checkpoints(trained):
    """Why the fix exists: torch's weights-only default refuses them."""
    if not torch_defaults_to_weights_only():
        pytest.skip('this torch does not default to weights_only=True')
    _, work_dir = trained
    with pytest.raises(Exception, match='weights_only|Unsupported global'):
        torch.load(work_dir / 'epoch_2.pth')


def test_load_checkpoint_restores_weights(trained):
    runner, work_dir = trained
    model = copy.deepcopy(runner.model)
    for p in model.parameters():
        torch.nn.init.zeros_(p)
    ckpt = load_checkpoint(model, str(work_dir / 'epoch_1.pth'))
    assert ckpt['meta']['epoch'] == 1
    for name, param in model.state_dict().items():
        torch.testing.assert_close(param, ckpt['state_dict'][name], msg=name)


def test_resume_continues_training(trained, make_cfg, tmp_path):
    _, work_dir = trained
    cfg = make_cfg(tmp_path)
    cfg.train_cfg.max_epochs = 3
    cfg.load_from = str(work_dir / 'epoch_2.pth')
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 3
    assert runner.iter == 9, 'resume did not restart at iteration 6'
    assert osp.isfile(tmp_path / 'epoch_3.pth')
    assert not osp.isfile(tmp_path / 'epoch_1.pth')


def _save_tiny_state(path) -> None:
    """A checkpoint of tensors only: what the weights-only unpickler takes."""
    torch.save({'state_dict': {'weight': torch.arange(6.).reshape(2, 3)}},
               path)


def test_tensor_only_checkpoint_loads_safely_without_warning(tmp_path):
    path = tmp_path / 'tensors.pth'
    _save_tiny_state(path)
    model = torch.nn.Linear(3, 2, bias=False)
    with warnings.catch_warnings():
        warnings.simplefilter('error', UnsafeCheckpointWarning)
        load_checkpoint(model, str(path))
    torch.testing.assert_close(model.weight, torch.arange(6.).reshape(2, 3))


def test_mmengine_checkpoint_falls_back_with_warning_naming_file(trained):
    """The runner's own checkpoint needs full unpickling: it is warned."""
    runner, work_dir = trained
    path = str(work_dir / 'epoch_2.pth')
    model = copy.deepcopy(runner.model)
    with pytest.warns(UnsafeCheckpointWarning,
                      match=re.escape(path) + '.*runs code from the file'):
        ckpt = load_checkpoint(model, path)
    assert ckpt['meta']['epoch'] == 2


def test_env_var_refuses_full_unpickling(tmp_path, monkeypatch):
    path = tmp_path / 'history.pth'
    # mmengine's message hub pickles HistoryBuffer objects like this one.
    history = HistoryBuffer()
    history.update(1.0)
    torch.save({'state_dict': {}, 'hub': history}, path)
    monkeypatch.setenv(WEIGHTS_ONLY_ENV, '1')
    with pytest.raises(RuntimeError,
                       match=re.escape(str(path)) + '.*' + WEIGHTS_ONLY_ENV):
        CheckpointLoader.load_checkpoint(str(path))
    monkeypatch.setenv(WEIGHTS_ONLY_ENV, '0')
    with pytest.warns(UnsafeCheckpointWarning):
        ckpt = CheckpointLoader.load_checkpoint(str(path))
    assert isinstance(ckpt['hub'], HistoryBuffer)
