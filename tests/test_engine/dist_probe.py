"""A hook the distributed tests add to their configs (imported by the
training processes through ``custom_imports``, not collected by pytest).

Each rank writes ``rank<r>.pth`` into the work dir after training: its own
copy of the trained weights, the online guide's weights (if any) and what it
saw of the DDP wrapper, so the test can compare the ranks.
"""
from pathlib import Path

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS


@HOOKS.register_module()
class RankStateProbeHook(Hook):
    """Save this rank's view of the model after training."""

    def before_train(self, runner) -> None:
        self.start_iter = runner.iter

    def after_train(self, runner) -> None:
        wrapper = runner.model
        model = wrapper.module if is_model_wrapper(wrapper) else wrapper
        guide = model.__dict__.get('online_guide')
        wrapped = {id(p) for p in wrapper.parameters()}
        in_optim = {
            id(p)
            for g in runner.optim_wrapper.optimizer.param_groups
            for p in g['params']
        }
        info = dict(
            rank=get_rank(),
            world_size=get_world_size(),
            wrapper=type(wrapper).__name__,
            start_iter=self.start_iter,
            iter=runner.iter,
            state_dict={k: v.detach().clone()
                        for k, v in model.state_dict().items()},
            keep_rate=getattr(model.backbone, 'keep_rate', None),
            guide_state=None)
        if guide is not None:
            params = list(guide.parameters())
            info.update(
                guide_state={
                    k: v.detach().clone()
                    for k, v in guide.state_dict().items()
                },
                guide_params_in_ddp=sum(id(p) in wrapped for p in params),
                guide_params_in_optim=sum(id(p) in in_optim for p in params),
                guide_requires_grad=any(p.requires_grad for p in params),
                guide_training=guide.model.training)
        torch.save(info, Path(runner.work_dir) / f'rank{get_rank()}.pth')
