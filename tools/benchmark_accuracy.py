"""Accuracy retention on SYNTHETIC pose data: does selection keep the AP?

On this 2-core CPU, in one command:

1. generates the synthetic COCO-format data (tools/make_synthetic_pose.py);
2. trains the guide (LiteHRNet-18, 128x96), reports its own AP and dumps
   its predictions on val with tools/dump_guide.py;
3. trains the full ViT from scratch (the warm start; scored on val every
   ``curve_every`` epochs: the learning curve);
4. fine-tunes from it, with ``mim train`` and each of the preset's seeds,
   every entry of ``TRAININGS``: the full model, and neighbour and skeleton
   selection at each cost point of ``COST_TARGETS`` (a budget K found from
   the traced GFLOPs), and joint tokens at ``JOINT_TOKEN_COST``;
5. evaluates every row of ``ROWS`` with mmpose's CocoMetric on val
   (ground-truth person boxes), per seed: the trained methods and the
   training-free ones (the full model with selection at test time only,
   unselected patches dropped or merged); with keypoint-cell recall;
6. counts GFLOPs (attention included, and without: the paper's
   convention) and times each row against the full model on the same val
   batches, in rotation; optionally sweeps a test-time budget;
7. writes ``results.json`` (also at ``--results``), ``results.md`` (the
   table, mean +- std over seeds), ``ap_vs_gflops.png`` and
   ``learning_curve.png`` to ``--work-dir``.

Stages are cached in ``--work-dir``: a training stopped after a checkpoint
resumes from it, and each evaluation is kept under a key of its config and
checkpoint (``evaluations/``), so a second run scores only the rows whose
config or weights changed. ``--preset ci`` is
the test suite's small version of the same path; ``--table`` prints the
table of a results file.

Example::

    python tools/benchmark_accuracy.py --preset cpu \
        --results docs/results/accuracy_synthetic_cpu.json
"""
import argparse
import copy
import glob
import json
import os
import os.path as osp
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from mmpose.apis import init_model

from mmpose_patchsel.analysis import (SelectionFlops, StageTimer,
                                      evaluate_checkpoint, evaluation_key,
                                      guide_flops, kept_tokens,
                                      last_checkpoint, loader_batches,
                                      median_times, pruned_flops, run_jobs,
                                      run_logged, run_training,
                                      selection_recall_counts, train_command,
                                      train_unless_cached)
from mmpose_patchsel.synthetic import DESCRIPTION

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(PROJECT, 'configs', 'synthetic')
GUIDE = 'td-hm_litehrnet-18_1xb8-8e_synthetic-128x96.py'
WARM_START = 'td-hm_patchsel-vit-tiny-full_1xb8-8e_synthetic-256x192.py'
METHODS = {
    'full': 'td-hm_patchsel-vit-tiny-full_1xb8-2e-ft_synthetic-256x192.py',
    'neighbour': 'td-hm_patchsel-vit-tiny-neighbour4_1xb8-2e-ft_'
    'synthetic-256x192.py',
    'skeleton': 'td-hm_patchsel-vit-tiny-skeleton_1xb8-2e-ft_'
    'synthetic-256x192.py',
    'joint tokens': 'td-hm_patchsel-vit-tiny-jointtokens_1xb8-2e-ft_'
    'synthetic-256x192.py',
}
PRESETS = {
    # The first benchmark (one seed; the video benchmark's models): ~2500
    # train persons, warm start 8 epochs (the guide too), then 2 epochs per
    # row; ~400 val persons.
    'full': dict(num_train=1500, num_val=250, clutter=0.3, warm_epochs=8,
                 ft_epochs=2, sweep_k=(24, 48, 96, 144),
                 sweep_rate=(0.5, 0.7, 0.9), time_batches=2, repeats=3,
                 eval_split='val'),
    # Two CPU cores, one process at a time, <= 150 min: the same train
    # images, the guide 8 epochs, the full model 20 epochs from scratch
    # (scored on val every 4: the learning curve), 600 val images (~1000
    # persons), every main row fine-tuned with 3 seeds; the joint tokens'
    # test-time rate swept around their trained one.
    'cpu': dict(num_train=1500, num_val=600, clutter=0.3, guide_epochs=8,
                warm_epochs=20, curve_every=4, ft_epochs=2, seeds=(0, 1, 2),
                sweep_k=(48, 160), sweep_rate=(0.2, 0.5, 0.7),
                time_batches=2, repeats=3, eval_split='val'),
    # One large GPU: a ViT-S-size model (384 dims, 12 layers, 6 heads),
    # ~2.7x the train persons in 16 random streams rendered at once,
    # batches of 64 under float16 autocast, 40 warm-start epochs;
    # trainings 4 at a time (the guide beside the warm start), each by
    # mmpose's tools/train.py (the offline GPU machine has no openmim;
    # tools/gpu_wheels.sh); train batches pinned and passed from the
    # workers by file name, no per-batch training accuracy. Meant for
    # <= 8 min. On an H200 with 16 host cores: 12.6 s
    # per warm-start epoch with 15 workers (25 s with neither), so
    # the warm start alone takes ~8.5 min. Warm start at lr 2.5e-4: at the
    # configs' 1e-3 the ViT-S did not learn there (flat loss, then NaN),
    # and its loss jumps at the end of the warm-up on the CPU too (README).
    # Not yet run on a GPU at 2.5e-4.
    'gpu': dict(num_train=4000, num_val=800, clutter=0.3, shards=16,
                guide_epochs=10, warm_epochs=40, curve_every=5, ft_epochs=2,
                seeds=(0, 1, 2), vit=dict(embed_dims=384, num_layers=12,
                                          num_heads=6,
                                          feedforward_channels=1536),
                warm_lr=2.5e-4, batch_size=64, num_workers=8, pin_memory=True,
                file_system_sharing=True, train_acc=False, amp=True,
                device='cuda',
                mim=False, parallel=4, sweep_k=(48, 160),
                sweep_rate=(0.2, 0.5, 0.7), time_batches=10, repeats=5,
                eval_split='val'),
    # The test suite's version: the same code path in minutes, on 6
    # images evaluated on themselves. Nothing learns held-out poses that
    # fast; the test checks every stage runs, is scored, and that training
    # lifts the AP off the random-weights floor. Its numbers say nothing
    # about accuracy.
    'ci': dict(num_train=6, num_val=2, clutter=0.3, warm_epochs=100,
               ft_epochs=10, sweep_k=(48, ),
               sweep_rate=(0.8, ), time_batches=1, repeats=1,
               eval_split='train'),
}
#: ``--dry-run``: a preset's code path on this CPU at toy sizes, in
#: minutes (the GPU preset's check before a GPU run); numbers meaningless.
DRY_RUN = dict(num_train=4, num_val=2, guide_epochs=1, warm_epochs=1,
               curve_every=1, ft_epochs=1, eval_split='train', batch_size=2,
               num_workers=1, pin_memory=False, shards=2, sweep_k=(48, ),
               sweep_rate=(0.8, ),
               time_batches=1, repeats=1, device='cpu', amp=False)
#: The model of the configs (a preset's ``vit`` replaces it).
VIT_TINY = dict(embed_dims=192, num_layers=6, num_heads=3,
                feedforward_channels=768)


#: Cost points, as a fraction of the full model's GFLOPs (attention
#: counted): the paper's (ViT-B skeleton 13.3 of 17.9, about 28 % fewer)
#: and half. A method runs there with the budget ``num_keep`` = the most
#: tokens whose GFLOPs fit.
COST_TARGETS = {'paper': 0.72, 'half': 0.50}
#: Joint tokens prune by a keep rate, set to the most whose GFLOPs are at
#: most this fraction of the full model's: issue 13's >= 30 % fewer. Not
#: at the half point: with 17 joint tokens and the head on a 6-block ViT,
#: one pruning stage after block 1 cannot get there.
JOINT_TOKEN_COST = 0.70


@dataclass(frozen=True)
class Training:
    """A fine-tune from the warm start: a ``METHODS`` config, at a cost
    point (``budget``, a ``COST_TARGETS`` key) or at its own setting;
    with every seed of the preset or only the first."""
    method: str
    budget: Optional[str] = None
    all_seeds: bool = True

    @property
    def key(self) -> str:
        return self.method + (f' @{self.budget}' if self.budget else '')


FULL = 'full'  # the row the others are compared with
GUIDED = ('neighbour', 'skeleton')  # the guide-based methods
JOINT_TOKENS = 'joint tokens'
# Every seed: the full model, each guide-based method at the paper's cost
# and joint tokens; the first seed: the other cost point.
TRAININGS = (
    Training(FULL),
    *(Training(method, point, all_seeds=point == 'paper')
      for point in COST_TARGETS for method in GUIDED),
    Training(JOINT_TOKENS),
)


@dataclass(frozen=True)
class RowSpec:
    """A row of the table: the test-time config of training ``config``
    run with the weights of training ``weights`` (both ``Training``
    keys), for each seed both were trained with; with ``merge`` > 0
    the unselected patches are merged into that many tokens instead of
    dropped (``PatchSelViT(merge_dropped=...)``)."""
    name: str  # unique: the row's key in the timing and the results
    config: str
    weights: str
    merge: int = 0

    @property
    def all_seeds(self) -> bool:
        return all(job.all_seeds for job in TRAININGS
                   if job.key in (self.config, self.weights))

    @property
    def trained(self) -> str:
        return 'yes' if self.weights == self.config else 'no (full model)'


#: Merged tokens of the training-free "merged" rows (bands of grid rows).
#: One: on the 'full' preset's model 1 and 4 scored alike (AP 0.109 and
#: 0.111 at K=139, 0.096 and 0.093 at n=4, dropped 0.100 and 0.070).
MERGE_GROUPS = 1
STOPS = ('data', 'guide', 'warm_start', 'fine_tune')
ROWS = (
    RowSpec(FULL, FULL, FULL),
    *(RowSpec(f'{method} @{point}', f'{method} @{point}',
              f'{method} @{point}')
      for point in COST_TARGETS for method in GUIDED),
    RowSpec(JOINT_TOKENS, JOINT_TOKENS, JOINT_TOKENS),
    # Training-free: the full model with selection at test time only, the
    # unselected patches dropped (the paper) or merged.
    *(RowSpec(f'{method} @{point} (training-free'
              f'{", merged" if merge else ""})', f'{method} @{point}', FULL,
              merge)
      for point in COST_TARGETS for method in GUIDED
      for merge in (0, MERGE_GROUPS)),
)


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


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', help='default: outputs/accuracy_'
                        '<preset> (outputs/accuracy for --preset full)')
    parser.add_argument('--preset', choices=sorted(PRESETS), default='cpu')
    parser.add_argument('--seed', type=int, default=0,
                        help='of the data and the warm start')
    parser.add_argument('--guide-epochs', type=int, help='override')
    parser.add_argument('--warm-epochs', type=int, help='override')
    parser.add_argument('--ft-epochs', type=int, help='override')
    parser.add_argument('--num-train', type=int, help='images; override')
    parser.add_argument('--num-val', type=int, help='images; override')
    parser.add_argument('--num-workers', type=int,
                        help='of each loader; override')
    parser.add_argument('--parallel', type=int,
                        help='trainings at a time; override')
    parser.add_argument('--device', help='where to evaluate and time '
                        '(training: mmengine picks the GPU when there is '
                        'one); default: the preset\'s (cpu; gpu: cuda)')
    parser.add_argument('--dry-run', action='store_true',
                        help='the preset\'s code path on the CPU at toy '
                        'sizes, in minutes (DRY_RUN): check a GPU run here '
                        'before it')
    parser.add_argument('--no-sweep', action='store_true')
    parser.add_argument('--stop-after', choices=STOPS,
                        help='end after this stage (the rest later: '
                        'finished stages are cached)')
    parser.add_argument('--results', help='also write results.json here '
                        '(the README quotes docs/results/'
                        'accuracy_synthetic_<preset>.json)')
    parser.add_argument('--table', metavar='RESULTS_JSON',
                        help='only print the markdown table of a results '
                        'file, as the README has it')
    parser.add_argument('--figures', metavar='PREFIX',
                        help='with --table: also draw its figures, '
                        'PREFIX_ap_vs_gflops.png and '
                        'PREFIX_learning_curve.png (the README\'s: '
                        'docs/accuracy_synthetic[_gpu])')
    return parser.parse_args()


class Experiment:
    """One run: its settings, its folders under ``work_dir``, its stages.

    ``seed`` makes the data and the warm start; each fine-tune runs with
    every seed of the preset's ``seeds`` (its training randomness)."""

    def __init__(self, work_dir: str, preset: dict, seed: int) -> None:
        self.work_dir = osp.abspath(work_dir)
        self.preset = preset
        self.seed = seed
        self.seeds = tuple(preset.get('seeds', (0, )))
        self.eval_split = preset['eval_split']
        self.device = preset.get('device', 'cpu')
        self.data_root = osp.join(self.work_dir, 'data')
        self.guide_file = osp.join(self.data_root, 'guide',
                                   f'litehrnet-18_{self.eval_split}.json')
        self.budgets: Dict[str, int] = {}  # COST_TARGETS key -> num_keep
        self.keep_rate = 1.0  # of joint tokens, at JOINT_TOKEN_COST
        # Scores by config and checkpoint: a rerun re-scores only what
        # changed.
        self.evaluations = self.path('evaluations')
        self.stage = StageTimer('accuracy')
        self.note = self.stage.note

    def path(self, *parts: str) -> str:
        return osp.join(self.work_dir, *parts)

    def persons(self, split: str) -> int:
        with open(osp.join(self.data_root, 'annotations',
                           f'synthetic_pose_{split}.json')) as f:
            return len(json.load(f)['annotations'])

    def config(self, name: str, epochs: int,
               guide_file: Optional[str] = None,
               load_from: Optional[str] = None,
               val_every: Optional[int] = None,
               seed: Optional[int] = None) -> Config:
        """A benchmark config on the data with ``epochs`` of training,
        evaluated on the eval split, starting from ``load_from`` if given;
        scored (and saved, to resume) every ``val_every`` epochs if given,
        else never (stage 5 scores every row) and saved at the end; with
        training seed ``seed`` if given, else the config's."""
        cfg = Config.fromfile(osp.join(CONFIGS, name))
        if seed is not None:
            cfg.randomness.seed = seed
        config_epochs = cfg.train_cfg.max_epochs
        root = self.data_root.rstrip('/') + '/'
        ann_file = f'annotations/synthetic_pose_{self.eval_split}.json'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            cfg[loader].dataset.data_root = root
        for loader in ('val_dataloader', 'test_dataloader'):
            cfg[loader].dataset.ann_file = ann_file
            for transform in cfg[loader].dataset.pipeline:
                if transform.type == 'LoadGuideKeypoints':
                    transform.guide_file = guide_file
        for evaluator in ('val_evaluator', 'test_evaluator'):
            cfg[evaluator].ann_file = root + ann_file
        self.scale(cfg)
        cfg.train_cfg.max_epochs = epochs
        cfg.train_cfg.val_interval = val_every or epochs
        if not val_every:  # mmengine scores from val_begin on
            cfg.train_cfg.val_begin = epochs + 1
        cfg.param_scheduler[-1].end = epochs
        # Warm-up: at most a tenth of a short run (no change for the
        # benchmark).
        iters = epochs * -(-self.persons('train') //
                           cfg.train_dataloader.batch_size)
        warmup = cfg.param_scheduler[0]
        warmup.end = max(1, min(warmup.end, iters // 10))
        cfg.default_hooks.checkpoint.interval = val_every or epochs
        if load_from is not None:
            cfg.load_from = load_from
        for hook in cfg.get('custom_hooks', []):
            if hook.type == 'JointTokenKeepRateHook':  # same fractions
                hook.warmup *= epochs / config_epochs
                hook.ramp *= epochs / config_epochs
        return cfg

    def scale(self, cfg: Config) -> None:
        """The preset's model and loader sizes in ``cfg``: its ``vit``
        (the ViT configs), ``batch_size`` (train loader), ``num_workers``
        (every loader), pinned train batches copied without blocking with
        ``pin_memory``, train-loader workers that share tensors by file
        name with ``file_system_sharing``, no training accuracy with
        ``train_acc=False``, and float16 autocast with ``amp``."""
        p = self.preset
        if 'vit' in p and 'ViT' in cfg.model.backbone.type:
            cfg.model.backbone.arch = dict(p['vit'])
            cfg.model.head.in_channels = p['vit']['embed_dims']
            cfg.optim_wrapper.paramwise_cfg.num_layers = \
                p['vit']['num_layers']
        if 'batch_size' in p:
            cfg.train_dataloader.batch_size = p['batch_size']
        if 'num_workers' in p:
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader'):
                cfg[loader].num_workers = p['num_workers']
        if p.get('pin_memory'):  # the loader's copies overlap the step
            cfg.train_dataloader.pin_memory = True
            cfg.model.data_preprocessor.non_blocking = True
        if p.get('file_system_sharing'):
            # The main process takes each sample's tensors from the
            # workers by name, not as one file descriptor each over a
            # socket (tools/profile_training.py measures both). Seeds as
            # mmengine's.
            loader = cfg.train_dataloader
            loader.worker_init_fn = file_system_worker_init(
                loader.num_workers, cfg.randomness.seed)
        if p.get('train_acc') is False:
            # mmpose's HeatmapHead scores every training batch on the CPU
            # (numpy): measured on an H200 with ViT-S, 86 ms of a 64-batch
            # step with it, 45 without (279 / 74 ms at 256).
            cfg.model.train_cfg = dict(cfg.model.get('train_cfg') or {},
                                       compute_acc=False)
        if p.get('amp'):  # mmengine's AmpOptimWrapper needs CUDA
            # float16, as `mim train --amp`: under bfloat16 the guide (a
            # plain mmpose TopdownPoseEstimator) fails in HeatmapHead.loss,
            # whose training accuracy calls .numpy() on bfloat16 heatmaps
            # (seen on an H200).
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.dtype = 'float16'
            cfg.env_cfg.cudnn_benchmark = True

    def train(self, trainings: Dict[str, Tuple[Config, str]]) -> Dict[
            str, str]:
        """Each named ``(config, folder)`` trained into ``work_dir/folder``
        unless done, as a stage of that name, the preset's ``parallel`` at
        a time: the last checkpoints by name. ``mim train`` (mmpose's
        ``tools/train.py`` for a preset with ``mim=False``) in a child
        process; its command, and so its config file, is made here, in
        this thread."""
        jobs = {}
        for name, (cfg, folder) in trainings.items():
            work_dir = self.path(folder)
            launch = None  # cached: not called
            if not osp.isfile(last_checkpoint(cfg, work_dir)):
                launch = partial(run_command, train_command(
                    cfg, work_dir, self.preset.get('mim', True)))
            jobs[name] = partial(train_unless_cached, cfg, work_dir, launch,
                                 self.note)
        return run_jobs(jobs, self.preset.get('parallel', 1), self.stage)

    def seeds_of(self, all_seeds: bool) -> Tuple[int, ...]:
        return self.seeds if all_seeds else self.seeds[:1]


def run_command(cmd: List[str], _: Config, work_dir: str) -> None:
    """Trainer of ``train_unless_cached`` for a prepared command."""
    run_training(cmd, work_dir, PROJECT)


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


def folder_of(key: str, seed: int) -> str:
    """Work-dir folder of a training: ``neighbour @paper`` seed 1 ->
    ``neighbour_paper_seed1`` (seed 0 has no suffix)."""
    name = key.replace(' @', '_').replace(' ', '_')
    return name if seed == 0 else f'{name}_seed{seed}'


def mean_std(values: List[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample std (None for fewer than two values)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, var**0.5


def train_seconds(work_dir: str) -> Optional[float]:
    """Seconds of training iterations in a run's mmengine scalars."""
    curve = training_log(work_dir)
    return curve['seconds'][-1] if curve['seconds'] else None


def training_log(work_dir: str) -> dict:
    """A run's training from mmengine's ``vis_data/scalars.json`` (every
    log dir of ``work_dir``: a resumed run has several): per logged
    iteration the cumulative seconds of iterations (from their own
    ``time``, so a stopped and resumed run counts no gap), and the val
    scores with the seconds of training before them."""
    train, val = {}, {}
    for path in sorted(glob.glob(
            osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'coco/AP' in record:
                    val[record['step']] = record
                elif 'iter' in record:
                    train[record['iter']] = record['time']
    iters, seconds, done, last = [], [], 0.0, 0
    for it in sorted(train):
        done += train[it] * (it - last)
        last = it
        iters.append(it)
        seconds.append(done)
    return dict(iters=iters, seconds=seconds, val=val)


def learning_curve(work_dir: str, iters_per_epoch: int) -> List[dict]:
    """Val AP/AR of a run at each scored epoch, with its training
    seconds and iterations so far."""
    log = training_log(work_dir)
    points = []
    for epoch in sorted(log['val']):
        it = epoch * iters_per_epoch
        before = [s for i, s in zip(log['iters'], log['seconds']) if i <= it]
        points.append(dict(epoch=epoch, iters=it,
                           train_seconds=before[-1] if before else 0.0,
                           AP=log['val'][epoch]['coco/AP'],
                           AR=log['val'][epoch]['coco/AR']))
    return points


# ---------------------------------------------------------------- stages
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
    run_logged([
        sys.executable, 'tools/make_synthetic_pose.py', '--out-dir',
        exp.data_root, '--num-train', str(p['num_train']), '--num-val',
        str(p['num_val']), '--seed', str(exp.seed), '--clutter',
        str(p['clutter']), '--shards', str(shards), '--workers',
        str(os.cpu_count() or 1)
    ], osp.join(exp.data_root, 'make_synthetic_pose.log'), PROJECT)
    with open(stamp_file, 'w') as f:
        json.dump(stamp, f)


def file_system_worker_init(num_workers: int, seed: int) -> dict:
    """The ``worker_init_fn`` of a single-process training's loader
    whose workers pass tensors by file name, seeded as mmengine's runner
    seeds its own (rank 0)."""
    return dict(type='file_system_sharing_worker_init',
                num_workers=num_workers, rank=0, seed=seed)


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
            exp.guide_file
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


def setting_of(trained: Trained, result: Evaluation) -> str:
    """A row's setting: its selection options or its keep rate."""
    backbone = result.model.backbone
    if hasattr(backbone, 'keep_rate'):
        blocks = '/'.join(map(str, backbone.prune_after))
        return f'keep {backbone.current_keep_rate:g} after block {blocks}'
    for transform in trained.cfg.test_dataloader.dataset.pipeline:
        if transform.type == 'SelectPatches':
            mode = ('skeleton' if transform.get('mode') == 'skeleton' else
                    f'n={transform.get("num_neighbours")}')
            if transform.get('num_keep'):
                return f'{mode}, K={transform.num_keep}'
            return mode
    return 'all patches'


def evaluate_rows(
    exp: Experiment, trained: Dict[Tuple[str, int], Trained],
    flops: SelectionFlops
) -> Tuple[Dict[str, Row], Dict[str, torch.nn.Module]]:
    """Score every row of ``ROWS`` with each of its seeds: the rows and
    the first seed's evaluated models, both by row name."""
    rows, models, full_ap = {}, {}, {}
    for spec in ROWS:
        seeds = exp.seeds_of(spec.all_seeds)
        points, hits, valid = [], 0, 0
        for seed in seeds:
            # The test-time config is the same for every training seed.
            config = trained[(spec.config, exp.seeds[0])]
            result = evaluate(config.cfg, trained[(spec.weights, seed)].ckpt,
                              merge=spec.merge, cache_dir=exp.evaluations,
                              device=exp.device)
            points.append(Point(**score(setting_of(config, result), result,
                                        flops)))
            models.setdefault(spec.name, result.model)
            hits, valid = hits + result.recall[0], valid + result.recall[1]
            if spec.name == FULL:
                full_ap[seed] = result.AP
        ap, ap_std = mean_std([q.AP for q in points])
        drop, drop_std = mean_std(
            [q.AP - full_ap[seed] for q, seed in zip(points, seeds)])
        secs = [train_seconds(exp.path(folder_of(spec.config, seed)))
                for seed in seeds] if spec.trained == 'yes' else []
        first = points[0]
        rows[spec.name] = row = Row(
            setting=first.setting,
            tokens=mean_std([q.tokens for q in points])[0], AP=ap,
            AR=mean_std([q.AR for q in points])[0],
            gflops=mean_std([q.gflops for q in points])[0],
            gflops_no_attn=mean_std([q.gflops_no_attn for q in points])[0],
            name=spec.name, method=spec.config.split(' @')[0],
            trained=spec.trained, merge=spec.merge, seeds=list(seeds),
            AP_seeds=[q.AP for q in points], AP_std=ap_std, AP_drop=drop,
            AP_drop_std=drop_std, recall=hits / valid if valid else None,
            train_seconds=(mean_std(secs)[0]
                           if secs and None not in secs else None))
        exp.note(f'{row.name:<48}{row.setting:<24} tokens {row.tokens:6.1f}'
                 f'  GFLOPs {row.gflops:.3f}  AP {row.AP:.3f} '
                 f'({len(seeds)} seeds)')
    for row in rows.values():
        row.gflops_saving = 1 - row.gflops / rows[FULL].gflops
    return rows, models


def time_rows(exp: Experiment, rows: Dict[str, Row], models: dict,
              trained: Dict[Tuple[str, int], Trained], guide: Trained,
              guide_model: torch.nn.Module) -> dict:
    """Time of every row (and the guide) on the same eval batches, in
    rotation, on ``exp.device``; fills each row's ``seconds`` and
    ``speedup``. Returns the guide's cost."""
    count = exp.preset['time_batches']
    first = exp.seeds[0]
    batches = {spec.config: loader_batches(trained[(spec.config, first)].cfg,
                                           count, num_workers=0)
               for spec in ROWS}

    def on_batches(model, batches):
        return lambda: [model.test_step(b) for b in batches]

    calls = {
        spec.name: on_batches(models[spec.name], batches[spec.config])
        for spec in ROWS
    }
    guide_batches = loader_batches(guide.cfg, count, num_workers=0)
    calls['guide'] = on_batches(guide_model, guide_batches)
    seconds = median_times(calls, exp.preset['repeats'], device=exp.device)
    for name, row in rows.items():
        row.seconds = seconds[name]
        row.speedup = seconds[FULL] / seconds[name]
        exp.note(f'{row.name:<48}{row.seconds * 1e3:8.0f} ms  '
                 f'{row.speedup:.2f}x')
    return dict(
        gflops=guide_flops(guide_model)['flops'] / 1e9,
        ms_per_batch=seconds['guide'] * 1e3 / len(guide_batches),
        batch=len(guide_batches[0]['inputs']))


def sweep(exp: Experiment, trained: Dict[Tuple[str, int], Trained],
          flops: SelectionFlops) -> Dict[str, List[Point]]:
    """AP against GFLOPs along a budget, first seed: the full model with
    skeleton selection at test time (unselected patches dropped and
    merged), and the joint-token model's keep rate."""
    p, first = exp.preset, exp.seeds[0]
    skel = trained[('skeleton @paper', first)]
    full = trained[(FULL, first)].ckpt
    sweeps = {}
    for label, merge in (('skeleton + budget K (training-free)', 0),
                         ('skeleton + budget K (training-free, merged)',
                          MERGE_GROUPS)):
        sweeps[label] = [
            Point(**score(f'K={k}', evaluate(
                set_selection(skel.cfg, num_keep=k), full, merge=merge,
                cache_dir=exp.evaluations, device=exp.device), flops))
            for k in p['sweep_k']
        ]
    jt = trained[(JOINT_TOKENS, first)]
    sweeps['joint tokens (keep-rate sweep)'] = [
        Point(**score(f'{rate:g}', evaluate(jt.cfg, jt.ckpt, rate,
                                            cache_dir=exp.evaluations,
                                            device=exp.device), flops))
        for rate in p['sweep_rate']
    ]
    for label, points in sweeps.items():
        exp.note(f'{label}: ' + ', '.join(
            f'{q.setting} {q.gflops:.3f} GFLOPs AP {q.AP:.3f}'
            for q in points))
    return sweeps


# --------------------------------------------------------------- outputs
def merged(groups: int) -> str:
    return f'merged ({groups})' if groups else 'dropped'


def pm(mean: float, std: Optional[float], signed: bool = False) -> str:
    text = f'{mean:+.3f}' if signed else f'{mean:.3f}'
    return text + (f' ± {std:.3f}' if std is not None else '')


def markdown(results: dict) -> str:
    """The table of a results.json (what the README shows)."""
    meta, guide = results['meta'], results['guide']
    vit = meta.get('vit', VIT_TINY)  # results of before the gpu preset
    timed_on = meta.get('timed_on', 'CPU')
    where = ('on this CPU' if timed_on == 'CPU' else
             f'on the GPU ({meta["device"]})')
    lines = [
        f'SYNTHETIC pose data ({meta["persons_eval"]} '
        f'{meta["eval_split"]} persons evaluated, '
        f'{meta["persons_train"]} train persons, clutter '
        f'{meta["clutter"]}); ViT {vit["embed_dims"]}-dim x '
        f'{vit["num_layers"]} layers, 256x192, 16x16 '
        f'patches (192 tokens); the full model trained '
        f'{meta["warm_epochs"]} epochs from scratch, then every row '
        f'fine-tuned {meta["ft_epochs"]} epochs from it with each seed '
        f'({", ".join(map(str, meta["seeds"]))}; rows marked 1 use the '
        'first); CocoMetric on ground-truth boxes, flip test on. Mean ± '
        'sample std over seeds; AP drop pairs each seed with its own full '
        'model. Not COCO numbers.', '',
        '| method | setting | trained with selection | unselected | seeds | '
        'kept tokens | kpt-cell recall | GFLOPs | fewer GFLOPs | '
        f'GFLOPs (no attn) | AP | AP drop | AR | {timed_on} speed-up |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'
    ]
    for r in results['rows']:
        speed = f'{r["speedup"]:.2f}x' if r['speedup'] else ''
        recall = '' if r['recall'] is None else f'{r["recall"]:.1%}'
        unselected = '' if r['name'] == FULL else merged(r['merge'])
        lines.append(
            f'| {r["method"]} | {r["setting"]} | {r["trained"]} | '
            f'{unselected} | {len(r["seeds"])} | {r["tokens"]:.1f} | '
            f'{recall} | '
            f'{r["gflops"]:.3f} | {r["gflops_saving"]:.0%} | '
            f'{r["gflops_no_attn"]:.3f} | {pm(r["AP"], r["AP_std"])} | '
            f'{pm(r["AP_drop"], r["AP_drop_std"], True)} | '
            f'{r["AR"]:.3f} | {speed} |')
    lines += [
        '', f'Guide: LiteHRNet-18 at 128x96, trained on the same data: AP '
        f'{guide["AP"]:.3f}, AR {guide["AR"]:.3f}, {guide["gflops"]:.3f} '
        f'GFLOPs per person (flip test doubles it), '
        f'{guide["ms_per_batch"]:.0f} ms per batch of {guide["batch"]} '
        f'{where}. Selection rows use its dumped predictions (offline '
        'guide); the speed-up column excludes it. Unselected: dropped '
        '(zeros on the grid, the paper) or merged into tokens attended in '
        'proportion to their size (`merge_dropped`, training-free); kept '
        'tokens exclude the merged ones, GFLOPs include them. Kpt-cell '
        'recall: visible ground-truth keypoints whose patch was selected '
        '(joint tokens: still in the sequence after the last pruning).'
    ]
    return '\n'.join(lines)


def plot(results: dict, path: str) -> None:
    """AP vs GFLOPs: the table's rows (with their seed spread) and the
    sweeps."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    meta = results['meta']
    rows = {r['name']: r for r in results['rows']}
    full = rows[FULL]
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=110)
    for name, points in results['sweeps'].items():
        points = sorted(points, key=lambda p: p['gflops'])
        ax.plot([p['gflops'] for p in points], [p['AP'] for p in points],
                marker='x' if 'training-free' in name else '^', lw=1,
                label=name)
    styles = {'yes': ('o', 'trained with selection'),
              'no (full model)': ('s', 'training-free (open: merged)')}
    seen = set()
    for r in results['rows']:
        if r['name'] == FULL:
            continue
        marker, label = styles[r['trained']]
        ax.errorbar([r['gflops']], [r['AP']], yerr=[r['AP_std'] or 0],
                    fmt=marker, ms=6, capsize=3,
                    mfc='none' if r['merge'] else None,
                    color='C3' if r['trained'] == 'yes' else 'C4',
                    label=None if label in seen else label)
        seen.add(label)
    ax.axhline(full['AP'], color='k', lw=0.8, ls='--')
    ax.errorbar([full['gflops']], [full['AP']], yerr=[full['AP_std'] or 0],
                fmt='k*', ms=12, capsize=3,
                label=f'full model (AP {full["AP"]:.3f})')
    ax.set_xlabel('GFLOPs per person (attention included)')
    ax.set_ylabel('AP (CocoMetric)')
    vit = meta.get('vit', VIT_TINY)
    ax.set_title('SYNTHETIC pose data: AP vs GFLOPs (ViT '
                 f'{vit["embed_dims"]}x{vit["num_layers"]}, '
                 f'{meta["warm_epochs"]}+{meta["ft_epochs"]} epochs, '
                 f'{len(meta["seeds"])} seeds)', fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc='lower right')
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_curve(curve: List[dict], path: str, meta: dict,
               full: Optional[dict] = None) -> None:
    """The full model's val AP against its training time, and the full
    row (``full``: its AP after the fine-tune, its training seconds)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.8), dpi=110)
    minutes = [p['train_seconds'] / 60 for p in curve]
    ax.plot(minutes, [p['AP'] for p in curve], 'o-', label='AP')
    ax.plot(minutes, [p['AR'] for p in curve], 's--', label='AR')
    for p, m in zip(curve, minutes):
        ax.annotate(f'ep {p["epoch"]}', (m, p['AP']),
                    textcoords='offset points', xytext=(3, -10),
                    fontsize=7)
    if full and full.get('train_seconds'):
        at = (curve[-1]['train_seconds'] + full['train_seconds']) / 60
        ax.errorbar([at], [full['AP']], yerr=[full['AP_std'] or 0], fmt='k*',
                    ms=10, capsize=3,
                    label=f'+ {meta["ft_epochs"]}-epoch fine-tune (full row, '
                    f'{len(full["seeds"])} seeds)')
    ax.set_xlabel(f'training minutes ({meta["device"]})')
    ax.set_ylabel('val score (CocoMetric)')
    ax.set_title('Full model from scratch on SYNTHETIC data', fontsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_figures(results: dict, prefix: str) -> None:
    """``<prefix>ap_vs_gflops.png`` (rows and sweeps) and
    ``<prefix>learning_curve.png`` (the warm start's scores)."""
    plot(results, f'{prefix}ap_vs_gflops.png')
    if results['learning_curve']:
        plot_curve(results['learning_curve'], f'{prefix}learning_curve.png',
                   results['meta'],
                   next(r for r in results['rows'] if r['name'] == FULL))


def write_results(exp: Experiment, results: dict,
                  copy_to: Optional[str] = None) -> str:
    """``results.md``, ``results.json`` (also at ``copy_to``) and the
    figures (:func:`draw_figures`)."""
    table = markdown(results)
    with open(exp.path('results.md'), 'w') as f:
        f.write(table + '\n')
    for path in filter(None, (exp.path('results.json'), copy_to)):
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(results, f, indent=1)
    draw_figures(results, exp.path(''))
    return table


def default_work_dir(preset: str) -> str:
    """Where a preset's run lives unless ``--work-dir`` says otherwise."""
    return 'outputs/accuracy' if preset == 'full' else \
        f'outputs/accuracy_{preset}'


def check_device(name: str, preset: dict) -> None:
    """A clear error for a preset whose device this machine lacks, and
    for autocast off a GPU."""
    device = preset.get('device', 'cpu')
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise SystemExit(f'--preset {name} evaluates on device {device!r}, '
                         'but torch sees no CUDA device here: pass '
                         '--dry-run (or --device cpu) to run it on the CPU')
    if preset.get('amp') and not device.startswith('cuda'):
        raise SystemExit(f'--preset {name} trains with amp (float16 '
                         f'autocast, mmengine\'s AmpOptimWrapper), which '
                         f'needs CUDA, not device {device!r}: use --dry-run')


def device_label(device: str) -> str:
    """What the results say a row was timed on."""
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(torch.device(device))
    return f'CPU, {torch.get_num_threads()} threads'


def main():
    args = parse_args()
    if args.table:
        with open(args.table) as f:
            results = json.load(f)
        print(markdown(results))
        if args.figures:
            draw_figures(results, args.figures + '_')
        return
    preset = dict(PRESETS[args.preset], **(DRY_RUN if args.dry_run else {}))
    for key in ('guide_epochs', 'warm_epochs', 'ft_epochs', 'num_train',
                'num_val', 'num_workers', 'parallel', 'device'):
        if getattr(args, key) is not None:
            preset[key] = getattr(args, key)
    check_device(args.preset, preset)
    torch.set_num_threads(os.cpu_count() or 1)
    work_dir = args.work_dir or default_work_dir(
        args.preset + ('_dry_run' if args.dry_run else ''))
    exp = Experiment(work_dir, preset, args.seed)
    stage = exp.stage
    total_start = time.perf_counter()

    parallel = preset.get('parallel', 1)  # trainings at a time

    with stage('1 synthetic data'):
        make_data(exp)
    if args.stop_after == 'data':
        return
    # The guide and the warm start train side by side when parallel > 1.
    guide_stage = '2 guide: train'
    warm_stage = '3 warm start: the full model from scratch'
    guide_cfg = guide_config(exp)
    trainings = {guide_stage: (guide_cfg, 'guide')}
    if args.stop_after != 'guide':
        trainings[warm_stage] = (warm_start_config(exp), 'warm_start')
    done = exp.train(trainings)
    with stage('2 guide: evaluate, dump'):
        guide, guide_result = score_guide(exp, guide_cfg, done[guide_stage])
    if args.stop_after == 'guide':
        return
    warm = done[warm_stage]
    if args.stop_after == 'warm_start':
        return
    flops = selection_flops(exp)
    set_budgets(exp, flops)
    configs = {(job.key, seed): fine_tune_config(exp, job.method, warm, seed,
                                                 job.budget)
               for seed in exp.seeds for job in TRAININGS
               if seed in exp.seeds_of(job.all_seeds)}
    names = {run: f'4 fine-tune {run[0]}, seed {run[1]}' for run in configs}
    done = exp.train({names[run]: (cfg, folder_of(*run))
                      for run, cfg in configs.items()})
    trained = {run: Trained(cfg, done[names[run]])
               for run, cfg in configs.items()}
    if args.stop_after == 'fine_tune':
        return
    with stage('5 evaluate the methods'):
        rows, models = evaluate_rows(exp, trained, flops)
    timed_on = 'GPU' if exp.device.startswith('cuda') else 'CPU'
    with stage(f'6 {timed_on} time on the same val batches'):
        guide_info = dict(
            AP=guide_result.AP, AR=guide_result.AR,
            **time_rows(exp, rows, models, trained, guide,
                        guide_result.model))
    full_cfg = exp.config(METHODS[FULL], 1)
    warm_lr = warm_start_config(exp).optim_wrapper.optimizer.lr
    batch = full_cfg.train_dataloader.batch_size
    iters_per_epoch = -(-exp.persons('train') // batch)
    curve = learning_curve(exp.path('warm_start'), iters_per_epoch)

    def write(sweeps: Dict[str, List[Point]]) -> str:
        """The results so far, written (the table and figures too)."""
        meta = dict(
            data=DESCRIPTION, synthetic=True, preset=args.preset,
            seed=args.seed, seeds=list(exp.seeds), clutter=preset['clutter'],
            guide_epochs=preset.get('guide_epochs', preset['warm_epochs']),
            warm_epochs=preset['warm_epochs'], ft_epochs=preset['ft_epochs'],
            warm_lr=warm_lr,
            eval_split=exp.eval_split,
            persons_eval=exp.persons(exp.eval_split),
            persons_train=exp.persons('train'), budgets=exp.budgets,
            cost_targets=COST_TARGETS, joint_token_cost=JOINT_TOKEN_COST,
            joint_token_keep_rate=exp.keep_rate,
            device=device_label(exp.device), timed_on=timed_on,
            vit=dict(full_cfg.model.backbone.arch), batch_size=batch,
            parallel=parallel, stage_seconds=stage.times,
            wall_seconds=time.perf_counter() - total_start)
        results = dict(meta=meta, rows=[asdict(r) for r in rows.values()],
                       guide=guide_info, learning_curve=curve,
                       sweeps={k: [asdict(p) for p in v]
                               for k, v in sweeps.items()})
        return write_results(exp, results, args.results)

    # Written before the sweep too: a run stopped in it keeps its table.
    table = write({})
    if not args.no_sweep:
        with stage('7 budget sweep'):
            sweeps = sweep(exp, trained, flops)
        table = write(sweeps)
    print('\n' + table)
    print(f'\n[accuracy] total wall time '
          f'{(time.perf_counter() - total_start) / 60:.1f} min -> '
          f'{exp.work_dir}/results.md, results.json, ap_vs_gflops.png')


if __name__ == '__main__':
    main()
