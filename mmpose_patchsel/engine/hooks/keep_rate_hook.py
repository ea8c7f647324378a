"""A training schedule for the keep rate of joint-token pruning.

Pruning by joint-token attention is only as good as the joint tokens,
which start random: the hook keeps every patch for a warm-up, then lowers
the rate along a cosine from 1.0 to the target, then holds it.

Choosing the numbers. The backbone's ``joint_loss`` supervises the joint
attention from the first iteration, also at rate 1.0, so the warm-up is
where the ranking is learnt: it should last until ``loss_joint_token`` has
dropped (a tiny model on the blob task of the tests needs ~50 iterations;
PPT warms up 10 of 210 epochs). The ramp lets the head adapt to gradually
sparser feature maps (PPT: 100 epochs) and the hold trains at the rate that
is tested. For a short budget a split of about 1/4 warm-up, 1/4 ramp and
1/2 hold keeps the last half of training at the tested rate. The defaults
(0, 0) prune at the target from the start; they exist so that the hook can
set a fixed rate, not as a recommendation.
"""
import math
from typing import Optional, Union

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS
from torch import nn

from mmpose_patchsel.models.backbones.joint_token_vit import check_keep_rate

__all__ = ['JointTokenKeepRateHook']

DATA_BATCH = Optional[Union[dict, tuple, list]]


@HOOKS.register_module()
class JointTokenKeepRateHook(Hook):
    """Set ``model.backbone.keep_rate`` before every training iteration.

    Schedule over the position ``t`` (iterations, or fractional epochs
    ``iter / len(train_dataloader)`` with ``by_epoch=True``)::

        t < warmup                   1.0
        warmup <= t < warmup + ramp  target + (1 - target) / 2
                                     * (1 + cos(pi * (t - warmup) / ramp))
        afterwards                   target

    The value is also written to the message hub as ``train/keep_rate``, so
    it appears in the training log. The schedule depends only on the
    runner's iteration, so resuming continues it. Only the training rate is
    changed: the backbone's ``test_keep_rate``, if set, rules in eval mode.

    Args:
        warmup (int | float): Length of the warm-up at rate 1.0.
        ramp (int | float): Length of the cosine from 1.0 to ``target``.
        target (float, optional): Final rate in (0, 1]. None (default) takes
            the backbone's configured ``keep_rate`` when training starts, so
            the config states the rate once.
        by_epoch (bool): Count ``warmup`` and ``ramp`` in epochs instead of
            iterations. Defaults to False.
    """
    priority = 'NORMAL'

    def __init__(self,
                 warmup: Union[int, float] = 0,
                 ramp: Union[int, float] = 0,
                 target: Optional[float] = None,
                 by_epoch: bool = False) -> None:
        for name, value in (('warmup', warmup), ('ramp', ramp)):
            number = isinstance(value, (int, float)) and \
                not isinstance(value, bool)
            if not number or value < 0:
                raise ValueError(f'{name} must be a number >= 0, got '
                                 f'{value!r}')
        self.warmup = warmup
        self.ramp = ramp
        self.target = None if target is None else check_keep_rate(
            target, 'target')
        self.by_epoch = by_epoch

    def rate_at(self, position: float) -> float:
        """The keep rate at ``position`` (iterations or epochs)."""
        if self.target is None:
            raise RuntimeError('target is unknown until training starts; '
                               'pass target= to use rate_at() before')
        if position < self.warmup:
            return 1.0
        if position < self.warmup + self.ramp:
            progress = (position - self.warmup) / self.ramp
            return self.target + (1. - self.target) * 0.5 * (
                1. + math.cos(math.pi * progress))
        return self.target

    @staticmethod
    def backbone(runner) -> nn.Module:
        """The (unwrapped) model's backbone; it must have ``keep_rate``."""
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        backbone = getattr(model, 'backbone', None)
        if not hasattr(backbone, 'keep_rate'):
            raise TypeError(
                f'JointTokenKeepRateHook needs a backbone with a keep_rate '
                f'attribute (JointTokenPatchSelViT), got '
                f'{type(backbone).__name__}')
        return backbone

    def before_train(self, runner) -> None:
        backbone = self.backbone(runner)
        if self.target is None:
            self.target = check_keep_rate(backbone.keep_rate, 'target')
        unit = 'epochs' if self.by_epoch else 'iterations'
        print_log(
            f'JointTokenKeepRateHook: keep_rate 1.0 for {self.warmup} '
            f'{unit}, cosine to {self.target:g} over {self.ramp} {unit}',
            logger='current')

    def position(self, runner) -> float:
        """Where the schedule is before the coming iteration."""
        if not self.by_epoch:
            return runner.iter
        return runner.iter / len(runner.train_dataloader)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        rate = self.rate_at(self.position(runner))
        self.backbone(runner).keep_rate = rate
        runner.message_hub.update_scalar('train/keep_rate', rate)
