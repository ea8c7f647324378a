"""JointTokenKeepRateHook: warm-up, cosine ramp and hold of the keep rate."""
import math
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmpose_patchsel.engine.hooks import JointTokenKeepRateHook


def cosine(target, progress):
    return target + (1 - target) * 0.5 * (1 + math.cos(math.pi * progress))


def test_schedule_in_iterations():
    hook = JointTokenKeepRateHook(warmup=10, ramp=20, target=0.7)
    assert [hook.rate_at(t) for t in (0, 9, 10)] == [1.0, 1.0, 1.0]
    assert hook.rate_at(15) == pytest.approx(cosine(0.7, 0.25))
    assert hook.rate_at(20) == pytest.approx(0.85)
    assert hook.rate_at(29) == pytest.approx(cosine(0.7, 19 / 20))
    assert hook.rate_at(30) == hook.rate_at(10**6) == 0.7


def test_schedule_in_epochs_uses_the_fraction_of_the_epoch():
    hook = JointTokenKeepRateHook(warmup=1, ramp=2, target=0.5, by_epoch=True)
    runner = SimpleNamespace(iter=4, train_dataloader=[None] * 4)
    assert hook.position(runner) == 1.0
    assert hook.rate_at(hook.position(runner)) == 1.0
    runner.iter = 8
    assert hook.rate_at(hook.position(runner)) == pytest.approx(0.75)
    runner.iter = 12
    assert hook.rate_at(hook.position(runner)) == 0.5


def test_bad_arguments_and_backbones_are_named():
    with pytest.raises(ValueError, match='warmup.*-1'):
        JointTokenKeepRateHook(warmup=-1)
    with pytest.raises(ValueError, match='target must be in .*1.2'):
        JointTokenKeepRateHook(target=1.2)
    with pytest.raises(RuntimeError, match='target'):
        JointTokenKeepRateHook().rate_at(0)
    model = nn.Module()
    model.backbone = nn.Linear(2, 2)
    with pytest.raises(TypeError, match='keep_rate.*Linear'):
        JointTokenKeepRateHook().before_train(SimpleNamespace(model=model))


class Recorder(Hook):
    """After each training iteration: the backbone's rate, the message hub's
    ``train/keep_rate`` and the tokens that entered the last block."""
    priority = 'LOWEST'

    def __init__(self):
        self.rates, self.logged, self.tokens = {}, {}, {}
        self._length = None

    def before_train(self, runner):
        runner.model.backbone.layers[-1].register_forward_pre_hook(
            lambda mod, args: setattr(self, '_length', args[0].shape[1]))

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.rates[runner.iter] = runner.model.backbone.keep_rate
        self.logged[runner.iter] = runner.message_hub.get_scalar(
            'train/keep_rate').current()
        self.tokens[runner.iter] = self._length - 17


def test_runner_changes_the_rate_on_schedule(tiny_coco_cfg, coco_cfg_options,
                                             tmp_path):
    cfg = Config.fromfile(str(tiny_coco_cfg))
    cfg.merge_from_dict(coco_cfg_options)
    cfg.work_dir = str(tmp_path)
    cfg.randomness = dict(seed=0)
    cfg.model.backbone.type = 'JointTokenPatchSelViT'
    cfg.model.backbone.update(num_joints=17,
                              prune_after=(0, ),
                              keep_rate=0.5,
                              test_keep_rate=0.6)
    cfg.custom_hooks = [dict(type='JointTokenKeepRateHook', warmup=2, ramp=3)]
    cfg.train_cfg.val_interval = 2  # validate once, at the end
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    runner = Runner.from_cfg(cfg)
    recorder = Recorder()
    runner.register_hook(recorder)
    runner.train()

    # 12 persons, batch 4: 3 iterations an epoch, 2 epochs.
    expected = [1.0, 1.0, 1.0, cosine(0.5, 1 / 3), cosine(0.5, 2 / 3), 0.5]
    assert sorted(recorder.rates) == list(range(6))
    for i, rate in enumerate(expected):
        assert recorder.rates[i] == pytest.approx(rate), i
        assert recorder.logged[i] == pytest.approx(rate), i
    # 192 * 0.875 = 168, 192 * 0.625 = 120 kept for the last block.
    assert [recorder.tokens[i]
            for i in range(6)] == [192, 192, 192, 168, 120, 96]
    # Validation ran at the test rate and the rate is in the training log.
    assert runner.model.backbone.current_keep_rate == 0.6
    log = Path(runner.log_dir, f'{runner.timestamp}.log').read_text()
    assert re.search(r'Epoch\(train\).*keep_rate: 0\.50', log)
    assert 'test_keep_rate=0.6' in log
    assert 0.0 <= runner.message_hub.get_scalar('val/coco/AP').current() <= 1.0
