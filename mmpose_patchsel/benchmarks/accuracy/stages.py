"""The benchmark's training stages: the synthetic data, the guide (trained,
scored, dumped), the warm start, the cost points' budgets and the
fine-tunes."""
import json
import os
import os.path as osp
import sys
from typing import Optional, Tuple

from mmengine.config import Config
from mmpose.apis import init_model

from mmpose_patchsel.analysis import SelectionFlops, pruned_flops, run_logged
from mmpose_patchsel.synthetic import generate_split

from .experiment import Experiment
from .plan import (COST_TARGETS, FULL, GUIDE, JOINT_TOKEN_COST, JOINT_TOKENS,
                   METHODS, PROJECT, WARM_START, Training, folder_of)
from .scoring import (Evaluation, Trained, budget_for, evaluate, keep_rate_for,
                      set_selection)


def make_data(exp: Experiment) -> None:
    """Synthetic COCO-format data, unless made with the same settings."""
    p = exp.preset
    shards = p.get('shards', 1)  # the data depends on it; 1: none
    stamp = dict(num_train=p['num_train'], num_val=p['num_val'],
                 seed=exp.seed, clutter=p['clutter'],
                 **({'shards': shards} if shards > 1 else {}))
    stamp_file = osp.join(exp.data_root, 'stamp.json')
    if osp.isfile(stamp_file):
        with open(stamp_file) as f:
            if json.load(f) == stamp:
                exp.note(f'reusing {exp.data_root}')
                return
    os.makedirs(exp.data_root, exist_ok=True)
    for split, num in (('train', p['num_train']), ('val', p['num_val'])):
        # tools/make_synthetic_pose.py's defaults but the preset's
        path = generate_split(exp.data_root, split, num, exp.seed,
                              clutter=p['clutter'], shards=min(shards, num),
                              workers=os.cpu_count() or 1)
        exp.note(f'{split}: {path}')
    with open(stamp_file, 'w') as f:
        json.dump(stamp, f)


def guide_config(exp: Experiment) -> Config:
    """The guide (LiteHRNet-18 at 128x96) on this run's data."""
    p = exp.preset
    return exp.config(GUIDE, p.get('guide_epochs', p['warm_epochs']))


def score_guide(exp: Experiment, cfg: Config,
                ckpt: str) -> Tuple[Trained, Evaluation]:
    """Score the trained guide, dump its predictions."""
    result = evaluate(cfg, ckpt, cache_dir=exp.evaluations,
                      device=exp.device)
    exp.note(f'guide AP {result.AP:.3f} AR {result.AR:.3f}')
    if not osp.isfile(exp.guide_file):
        dump_cfg = exp.path('guide', 'dump_config.py')  # this run's data
        cfg.dump(dump_cfg)
        run_logged([
            sys.executable, 'tools/dump_guide.py', dump_cfg, ckpt, '--out',
            exp.guide_file, '--work-dir',
            exp.path('guide', 'dump')
        ], exp.path('guide', 'dump_guide.log'), PROJECT)
    return Trained(cfg, ckpt), result


def warm_start_config(exp: Experiment) -> Config:
    """The full model from scratch: every fine-tune starts from it; scored
    every ``curve_every`` epochs (the learning curve), else at the end;
    at the preset's ``warm_lr`` if it has one (the schedule's floor scaled
    alike)."""
    p = exp.preset
    cfg = exp.config(WARM_START, p['warm_epochs'],
                     val_every=p.get('curve_every', p['warm_epochs']))
    if 'curve_every' in p:  # each scored epoch's weights stay on disk
        cfg.default_hooks.checkpoint.max_keep_ckpts = -1
    if 'warm_lr' in p:
        optimizer = cfg.optim_wrapper.optimizer
        cfg.param_scheduler[-1].eta_min *= p['warm_lr'] / optimizer.lr
        optimizer.lr = p['warm_lr']
    return cfg


def train_guide(exp: Experiment) -> Tuple[Trained, Evaluation]:
    """The guide trained (unless cached), scored and dumped."""
    cfg = guide_config(exp)
    return score_guide(exp, cfg, exp.train({'guide': (cfg, 'guide')})['guide'])


def warm_start(exp: Experiment) -> str:
    """The warm start trained unless cached: its checkpoint."""
    cfg = warm_start_config(exp)
    return exp.train({'warm start': (cfg, 'warm_start')})['warm start']


def selection_flops(exp: Experiment) -> SelectionFlops:
    """GFLOPs of the full model's config at any token budget."""
    cfg = exp.config(METHODS[FULL], exp.preset['ft_epochs'])
    w, h = cfg.codec.input_size
    return SelectionFlops(init_model(cfg, device='cpu'), (3, h, w))


def set_budgets(exp: Experiment, flops: SelectionFlops) -> None:
    """``num_keep`` of each cost point of ``COST_TARGETS``, and the
    joint tokens' keep rate at ``JOINT_TOKEN_COST``."""
    exp.budgets = {name: budget_for(flops, fraction)
                   for name, fraction in COST_TARGETS.items()}
    full = flops.at(None)['flops']
    exp.note('budgets: ' + ', '.join(
        f'{name} K={k} ({flops.at(k)["flops"] / full:.0%}'
        ' of the full GFLOPs)' for name, k in exp.budgets.items()))
    model = init_model(exp.config(METHODS[JOINT_TOKENS], 1), device='cpu')
    exp.keep_rate = keep_rate_for(model, flops.input_shape,
                                  JOINT_TOKEN_COST * full)
    cost = pruned_flops(model, flops.input_shape, exp.keep_rate)
    exp.note(f'joint tokens: keep rate {exp.keep_rate:g} '
             f'({cost["flops"] / full:.0%} of the full GFLOPs)')


def fine_tune_config(exp: Experiment, method: str, warm: str, seed: int = 0,
                     budget: Optional[str] = None) -> Config:
    """``method``'s fine-tune from ``warm`` with training seed ``seed``,
    at the cost point ``budget`` (train and test selection keep
    ``exp.budgets[budget]`` tokens) if given."""
    cfg = exp.config(METHODS[method], exp.preset['ft_epochs'],
                     exp.guide_file, warm, seed=seed)
    if method == JOINT_TOKENS:
        cfg.model.backbone.keep_rate = exp.keep_rate
    if budget is not None:
        cfg = set_selection(cfg, ('train', 'val', 'test'),
                            num_keep=exp.budgets[budget])
    return cfg


def fine_tune(exp: Experiment, method: str, warm: str, seed: int = 0,
              budget: Optional[str] = None) -> Trained:
    """One fine-tune (:func:`fine_tune_config`) trained unless cached."""
    cfg = fine_tune_config(exp, method, warm, seed, budget)
    folder = folder_of(Training(method, budget).key, seed)
    return Trained(cfg, exp.train({folder: (cfg, folder)})[folder])
