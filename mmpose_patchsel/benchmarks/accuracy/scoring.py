"""Scoring a benchmark model: its AP (cached by config and checkpoint), its
GFLOPs, the token budget that fits a cost, and the AP drop against the full
model."""
import copy
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmpose.apis import init_model

from mmpose_patchsel.analysis import (SelectionFlops, evaluate_checkpoint,
                                      evaluation_key, kept_tokens,
                                      pruned_flops, selection_recall_counts)
from mmpose_patchsel.utils.config import find_test_transform


@dataclass
class Point:
    """A scored setting: a point of a sweep."""
    setting: str
    tokens: float
    AP: float
    AR: float
    gflops: float
    gflops_no_attn: float


@dataclass
class Row(Point):
    """A row of the table: means over ``seeds`` (one fine-tune each), the
    spread as the sample std (None for one seed); ``AP_drop`` pairs each
    seed with the full model of the same seed. Timing fills ``seconds``
    and ``speedup`` (first seed's models)."""
    name: str = ''
    method: str = ''
    trained: str = ''
    merge: int = 0
    seeds: List[int] = field(default_factory=list)
    AP_seeds: List[float] = field(default_factory=list)
    AP_std: Optional[float] = None
    AP_drop: float = 0.0
    AP_drop_std: Optional[float] = None
    gflops_saving: float = 0.0  # 1 - gflops / the full model's
    # Visible ground-truth keypoints whose patch was selected (joint
    # tokens: reached the last block), over all seeds; None for the full
    # model.
    recall: Optional[float] = None
    train_seconds: Optional[float] = None  # mean over seeds; None: none
    seconds: Optional[float] = None
    speedup: Optional[float] = None


@dataclass
class Evaluation:
    AP: float
    AR: float
    kept: List[int]  # patch tokens per person; empty without selection
    model: torch.nn.Module
    recall: Tuple[int, int] = (0, 0)  # keypoint-cell hits, valid


@dataclass
class Trained:
    cfg: Config
    ckpt: str


def set_selection(cfg: Config, splits: Tuple[str, ...] = ('val', 'test'),
                  **options) -> Config:
    """A copy of ``cfg`` with other ``SelectPatches`` options in the
    pipelines of ``splits``."""
    cfg = copy.deepcopy(cfg)
    for split in splits:
        for transform in cfg[f'{split}_dataloader'].dataset.pipeline:
            if transform.type == 'SelectPatches':
                transform.update(options)
    return cfg


def evaluate(cfg: Config, ckpt: str,
             test_keep_rate: Optional[float] = None,
             merge: int = 0,
             cache_dir: Optional[str] = None,
             device: str = 'cpu') -> Evaluation:
    """CocoMetric AP/AR on the eval split on ``device``, and the tokens
    each person kept; a self-pruning backbone at ``test_keep_rate`` when
    given, the unselected patches merged into ``merge`` tokens when > 0.

    With ``cache_dir`` the scores are kept there under the
    :func:`evaluation_key` of the config and checkpoint, and a later call
    with the same ones only builds the model (for its FLOPs and timing).
    """
    # A copy: init_model sets fields of the config it is given (the
    # backbone's init_cfg, train_cfg), which would change the caller's
    # config and so the key of its next evaluation.
    cfg = copy.deepcopy(cfg)
    if test_keep_rate is not None:
        cfg.model.backbone.test_keep_rate = test_keep_rate
    if merge:
        cfg.model.backbone.merge_dropped = merge
    cache = cache_dir and osp.join(cache_dir,
                                   f'{evaluation_key(cfg, ckpt)}.json')
    if cache and osp.isfile(cache):
        with open(cache) as f:
            saved = json.load(f)
        model = init_model(cfg, ckpt, device=device)
    else:
        metrics, outputs, model = evaluate_checkpoint(cfg, ckpt, device)
        saved = dict(AP=metrics['coco/AP'], AR=metrics['coco/AR'],
                     kept=kept_tokens(outputs),
                     recall=selection_recall_counts(
                         outputs, cfg.codec.input_size,
                         'UDP' in cfg.codec.type),
                     checkpoint=ckpt)
        if cache:
            os.makedirs(cache_dir, exist_ok=True)
            with open(cache, 'w') as f:
                json.dump(saved, f)
    return Evaluation(saved['AP'], saved['AR'], saved['kept'], model,
                      tuple(saved['recall']))


def cost(result: Evaluation, flops: SelectionFlops) -> dict:
    """FLOPs per person of an evaluated model: through its own pruning
    for a self-pruning backbone, else the mean over its selections (a
    merging model is traced as itself: its merged tokens count)."""
    backbone = result.model.backbone
    if hasattr(backbone, 'keep_rate'):
        return pruned_flops(result.model, flops.input_shape,
                            backbone.current_keep_rate)
    if getattr(backbone, 'merge_dropped', 0):
        flops = SelectionFlops(result.model, flops.input_shape)
    return flops.mean(result.kept or [flops.num_patches])


def score(setting: str, result: Evaluation, flops: SelectionFlops) -> dict:
    """The fields of a :class:`Point` for an evaluated model."""
    c = cost(result, flops)
    return dict(setting=setting, tokens=float(c['tokens']), AP=result.AP,
                AR=result.AR, gflops=c['flops'] / 1e9,
                gflops_no_attn=c['flops_no_attention'] / 1e9)


def largest_fitting(fits, lo: int, hi: int) -> int:
    """The largest ``n`` in [lo, hi] with ``fits(n)``, for a ``fits`` that
    holds up to some ``n`` and not beyond (bisection); ``fits(lo)`` must
    hold."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def budget_for(flops: SelectionFlops, fraction: float) -> int:
    """The most kept tokens whose GFLOPs (attention counted) are at most
    ``fraction`` of the full model's (FLOPs grow with the count)."""
    limit = fraction * flops.at(None)['flops']

    def fits(count: int) -> bool:
        return flops.at(count)['flops'] <= limit

    if not fits(1):
        raise ValueError(f'no token count fits {fraction:.0%} of the full '
                         'model\'s GFLOPs')
    return largest_fitting(fits, 1, flops.num_patches)


def keep_rate_for(model: torch.nn.Module, input_shape: tuple,
                  limit: float) -> float:
    """The largest keep rate, in steps of 0.01, at which a self-pruning
    ``model`` costs at most ``limit`` FLOPs (they grow with the rate)."""
    def fits(step: int) -> bool:
        return pruned_flops(model, input_shape, step / 100)['flops'] <= limit

    if not fits(1):
        raise ValueError(f'no keep rate fits {limit / 1e9:.3f} GFLOPs')
    return largest_fitting(fits, 1, 100) / 100


def mean_std(values: List[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample std (None for fewer than two values)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, var**0.5


def paired_drop(ap_seeds: Sequence[float], seeds: Sequence[int],
                full_ap: Dict[int, float]) -> Tuple[float, Optional[float]]:
    """A row's AP drop: the full model's AP minus the row's (positive =
    accuracy lost), each seed paired with the full model of the same seed
    (``full_ap``: AP by seed); mean and sample std over the seeds."""
    return mean_std([full_ap[seed] - ap for ap, seed in zip(ap_seeds, seeds)])


def setting_of(trained: Trained, result: Evaluation) -> str:
    """A row's setting: its selection options or its keep rate."""
    backbone = result.model.backbone
    if hasattr(backbone, 'keep_rate'):
        blocks = '/'.join(map(str, backbone.prune_after))
        return f'keep {backbone.current_keep_rate:g} after block {blocks}'
    transform = find_test_transform(trained.cfg, 'SelectPatches')
    if transform is None:
        return 'all patches'
    mode = ('skeleton' if transform.get('mode') == 'skeleton' else
            f'n={transform.get("num_neighbours")}')
    if transform.get('num_keep'):
        return f'{mode}, K={transform.num_keep}'
    return mode
