"""Accuracy retention on SYNTHETIC pose data: does selection keep the AP?

On this 2-core CPU, in one command:

1. generates the synthetic COCO-format data (tools/make_synthetic_pose.py);
2. trains the guide (LiteHRNet-18, 128x96), reports its own AP and dumps
   its predictions on val with tools/dump_guide.py;
3. trains the full ViT and each method (neighbour n=4, skeleton, joint
   tokens) under one schedule (``configs/synthetic``), with ``mim train``;
4. evaluates every row with mmpose's CocoMetric on val (ground-truth person
   boxes): the trained methods, the training-free rows (the full model with
   selection at test time only) and a budget sweep;
5. counts GFLOPs (attention included, and without: the paper's
   convention) and times each main row against the full model on the same
   val batches, in rotation;
6. writes ``results.json``, ``results.md`` (the table) and
   ``ap_vs_gflops.png`` (the paper's Figure-3 analogue) to ``--work-dir``.

Stages are cached in ``--work-dir``: a second run only re-evaluates.
``--preset ci`` is the test suite's small version of the same path. Each
stage is one function; a table row is one entry of ``ROWS`` (a method's
test-time config with some method's weights), looked up by its name.

Example::

    python tools/benchmark_accuracy.py --work-dir outputs/accuracy
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time
from dataclasses import asdict, dataclass
from functools import partial
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from mmpose.apis import init_model

from mmpose_patchsel.analysis import (SelectionFlops, StageTimer,
                                      evaluate_checkpoint, guide_flops,
                                      kept_tokens, loader_batches,
                                      median_times, pruned_flops, run_logged,
                                      train_unless_cached, train_with_mim)
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
    # The benchmark: ~2500 train persons, warm start 8 epochs (the guide
    # too), then 2 epochs per row; ~400 val persons.
    'full': dict(num_train=1500, num_val=250, clutter=0.3, warm_epochs=8,
                 ft_epochs=2, sweep_k=(24, 48, 96, 144),
                 sweep_n=(0, 2, 4, 8), sweep_rate=(0.5, 0.7, 0.9),
                 time_batches=2, repeats=3, eval_split='val'),
    # The test suite's version: the same code path in ~3.5 minutes, on 6
    # images evaluated on themselves. Nothing learns held-out poses that
    # fast; the test checks every stage runs, is scored, and that training
    # lifts the AP off the random-weights floor. Its numbers say nothing
    # about accuracy.
    'ci': dict(num_train=6, num_val=2, clutter=0.3, warm_epochs=100,
               ft_epochs=10, sweep_k=(48, ), sweep_n=(2, ),
               sweep_rate=(0.8, ), time_batches=1, repeats=1,
               eval_split='train'),
}


@dataclass(frozen=True)
class RowSpec:
    """A row of the table: the test-time config of ``method`` (its
    selection) run with the fine-tuned weights of ``weights``."""
    name: str  # unique: the row's key in the timing and the results
    method: str  # a METHODS key
    setting: Optional[str]  # None: the keep rate of a self-pruning model
    weights: str  # a METHODS key

    @property
    def trained(self) -> str:
        return 'yes' if self.weights == self.method else 'no (full model)'


FULL = 'full'  # the row the others are compared with
ROWS = (
    RowSpec(FULL, 'full', 'all patches', 'full'),
    RowSpec('neighbour', 'neighbour', 'n=4', 'neighbour'),
    RowSpec('skeleton', 'skeleton', 'skeleton', 'skeleton'),
    RowSpec('joint tokens', 'joint tokens', None, 'joint tokens'),
    # Training-free: the full model with selection at test time only.
    RowSpec('neighbour (training-free)', 'neighbour', 'n=4', 'full'),
    RowSpec('skeleton (training-free)', 'skeleton', 'skeleton', 'full'),
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
    """A row of the table; timing fills ``seconds`` and ``speedup``."""
    name: str = ''
    method: str = ''
    trained: str = ''
    AP_drop: float = 0.0
    seconds: Optional[float] = None
    speedup: Optional[float] = None


@dataclass
class Evaluation:
    AP: float
    AR: float
    kept: List[int]  # patch tokens per person; empty without selection
    model: torch.nn.Module


@dataclass
class Trained:
    cfg: Config
    ckpt: str


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='outputs/accuracy')
    parser.add_argument('--preset', choices=sorted(PRESETS), default='full')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--warm-epochs', type=int, help='override')
    parser.add_argument('--ft-epochs', type=int, help='override')
    parser.add_argument('--num-train', type=int, help='images; override')
    parser.add_argument('--num-val', type=int, help='images; override')
    parser.add_argument('--no-sweep', action='store_true')
    return parser.parse_args()


class Experiment:
    """One run: its settings, its folders under ``work_dir``, its stages."""

    def __init__(self, work_dir: str, preset: dict, seed: int) -> None:
        self.work_dir = osp.abspath(work_dir)
        self.preset = preset
        self.seed = seed
        self.eval_split = preset['eval_split']
        self.data_root = osp.join(self.work_dir, 'data')
        self.guide_file = osp.join(self.data_root, 'guide',
                                   f'litehrnet-18_{self.eval_split}.json')
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
               load_from: Optional[str] = None) -> Config:
        """A benchmark config on the data with ``epochs`` of training,
        evaluated on the eval split, starting from ``load_from`` if given."""
        cfg = Config.fromfile(osp.join(CONFIGS, name))
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
        cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = epochs
        cfg.param_scheduler[-1].end = epochs
        # Warm-up: at most a tenth of a short run (no change for the
        # benchmark).
        iters = epochs * -(-self.persons('train') //
                           cfg.train_dataloader.batch_size)
        warmup = cfg.param_scheduler[0]
        warmup.end = max(1, min(warmup.end, iters // 10))
        cfg.default_hooks.checkpoint.interval = epochs
        if load_from is not None:
            cfg.load_from = load_from
        for hook in cfg.get('custom_hooks', []):
            if hook.type == 'JointTokenKeepRateHook':  # same fraction
                hook.ramp = epochs / 2
        return cfg

    def train(self, cfg: Config, folder: str) -> str:
        """``mim train`` into ``work_dir/folder`` unless done: the last
        checkpoint."""
        return train_unless_cached(cfg, self.path(folder),
                                   partial(train_with_mim, cwd=PROJECT),
                                   self.note)


def set_selection(cfg: Config, **options) -> Config:
    """A copy of ``cfg`` with other val/test ``SelectPatches`` options."""
    cfg = copy.deepcopy(cfg)
    for loader in ('val_dataloader', 'test_dataloader'):
        for transform in cfg[loader].dataset.pipeline:
            if transform.type == 'SelectPatches':
                transform.update(options)
    return cfg


def evaluate(cfg: Config, ckpt: str,
             test_keep_rate: Optional[float] = None) -> Evaluation:
    """CocoMetric AP/AR on the eval split, and the tokens each person
    kept; a self-pruning backbone at ``test_keep_rate`` when given."""
    if test_keep_rate is not None:
        cfg = copy.deepcopy(cfg)
        cfg.model.backbone.test_keep_rate = test_keep_rate
    metrics, outputs, model = evaluate_checkpoint(cfg, ckpt)
    return Evaluation(metrics['coco/AP'], metrics['coco/AR'],
                      kept_tokens(outputs), model)


def cost(result: Evaluation, flops: SelectionFlops) -> dict:
    """FLOPs per person of an evaluated model: through its own pruning
    for a self-pruning backbone, else the mean over its selections."""
    backbone = result.model.backbone
    if hasattr(backbone, 'keep_rate'):
        return pruned_flops(result.model, flops.input_shape,
                            backbone.current_keep_rate)
    return flops.mean(result.kept or [flops.num_patches])


def score(setting: str, result: Evaluation, flops: SelectionFlops) -> dict:
    """The fields of a :class:`Point` for an evaluated model."""
    c = cost(result, flops)
    return dict(setting=setting, tokens=float(c['tokens']), AP=result.AP,
                AR=result.AR, gflops=c['flops'] / 1e9,
                gflops_no_attn=c['flops_no_attention'] / 1e9)


# ---------------------------------------------------------------- stages
def make_data(exp: Experiment) -> None:
    """Synthetic COCO-format data, unless made with the same settings."""
    p = exp.preset
    stamp = dict(num_train=p['num_train'], num_val=p['num_val'],
                 seed=exp.seed, clutter=p['clutter'])
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
        str(p['clutter'])
    ], osp.join(exp.data_root, 'make_synthetic_pose.log'), PROJECT)
    with open(stamp_file, 'w') as f:
        json.dump(stamp, f)


def train_guide(exp: Experiment) -> Tuple[Trained, Evaluation]:
    """Train the guide, score it, dump its predictions."""
    cfg = exp.config(GUIDE, exp.preset['warm_epochs'])
    ckpt = exp.train(cfg, 'guide')
    result = evaluate(cfg, ckpt)
    exp.note(f'guide AP {result.AP:.3f} AR {result.AR:.3f}')
    if not osp.isfile(exp.guide_file):
        run_logged([
            sys.executable, 'tools/dump_guide.py',
            exp.path('guide', 'config.py'), ckpt, '--out', exp.guide_file
        ], exp.path('guide', 'dump_guide.log'), PROJECT)
    return Trained(cfg, ckpt), result


def warm_start(exp: Experiment) -> str:
    """The full model from scratch: every fine-tune starts from it."""
    return exp.train(exp.config(WARM_START, exp.preset['warm_epochs']),
                     'warm_start')


def fine_tune(exp: Experiment, method: str, warm: str) -> Trained:
    cfg = exp.config(METHODS[method], exp.preset['ft_epochs'],
                     exp.guide_file, warm)
    return Trained(cfg, exp.train(cfg, method.replace(' ', '_')))


def evaluate_rows(
    exp: Experiment, trained: Dict[str, Trained], flops: SelectionFlops
) -> Tuple[Dict[str, Row], Dict[str, torch.nn.Module]]:
    """Score every row of ``ROWS``: the rows and the evaluated models,
    both by row name."""
    rows, models = {}, {}
    for spec in ROWS:
        result = evaluate(trained[spec.method].cfg,
                          trained[spec.weights].ckpt)
        setting = spec.setting or (
            f'keep {result.model.backbone.current_keep_rate:g}')
        rows[spec.name] = row = Row(
            name=spec.name, method=spec.method, trained=spec.trained,
            **score(setting, result, flops))
        models[spec.name] = result.model
        exp.note(f'{row.method:<22}{row.setting:<14}tokens '
                 f'{row.tokens:6.1f}  GFLOPs {row.gflops:.3f}  '
                 f'AP {row.AP:.3f}')
    for row in rows.values():
        row.AP_drop = row.AP - rows[FULL].AP
    return rows, models


def time_rows(exp: Experiment, rows: Dict[str, Row], models: dict,
              trained: Dict[str, Trained], guide: Trained,
              guide_model: torch.nn.Module) -> dict:
    """CPU time of every row (and the guide) on the same eval batches, in
    rotation; fills each row's ``seconds`` and ``speedup``. Returns the
    guide's cost."""
    count = exp.preset['time_batches']
    batches = {m: loader_batches(t.cfg, count, num_workers=0)
               for m, t in trained.items()}

    def on_batches(model, batches):
        return lambda: [model.test_step(b) for b in batches]

    calls = {
        spec.name: on_batches(models[spec.name], batches[spec.method])
        for spec in ROWS
    }
    guide_batches = loader_batches(guide.cfg, count, num_workers=0)
    calls['guide'] = on_batches(guide_model, guide_batches)
    seconds = median_times(calls, exp.preset['repeats'])
    for name, row in rows.items():
        row.seconds = seconds[name]
        row.speedup = seconds[FULL] / seconds[name]
        exp.note(f'{row.method:<22}{row.setting:<14}'
                 f'{row.seconds * 1e3:8.0f} ms  {row.speedup:.2f}x')
    return dict(
        gflops=guide_flops(guide_model)['flops'] / 1e9,
        ms_per_batch=seconds['guide'] * 1e3 / len(guide_batches),
        batch=len(guide_batches[0]['inputs']))


def sweep(exp: Experiment, trained: Dict[str, Trained],
          flops: SelectionFlops) -> Dict[str, List[Point]]:
    """AP against GFLOPs along each method's own knob."""
    p = exp.preset
    skel, nb = trained['skeleton'], trained['neighbour']
    jt = trained['joint tokens']
    sweeps = {}
    for label, ckpt in (('skeleton + budget K (trained)', skel.ckpt),
                        ('skeleton + budget K (training-free)',
                         trained['full'].ckpt)):
        sweeps[label] = [
            Point(**score(f'K={k}', evaluate(
                set_selection(skel.cfg, num_keep=k), ckpt), flops))
            for k in p['sweep_k']
        ]
    sweeps['neighbour (trained, n sweep)'] = [
        Point(**score(f'n={n}', evaluate(
            set_selection(nb.cfg, num_neighbours=n), nb.ckpt), flops))
        for n in p['sweep_n']
    ]
    sweeps['joint tokens (keep-rate sweep)'] = [
        Point(**score(f'{rate:g}', evaluate(jt.cfg, jt.ckpt, rate), flops))
        for rate in p['sweep_rate']
    ]
    for label, points in sweeps.items():
        exp.note(f'{label}: ' + ', '.join(
            f'{q.setting} {q.gflops:.3f} GFLOPs AP {q.AP:.3f}'
            for q in points))
    return sweeps


# --------------------------------------------------------------- outputs
def markdown(rows: List[Row], guide: dict, meta: dict) -> str:
    lines = [
        f'SYNTHETIC pose data ({meta["persons_eval"]} '
        f'{meta["eval_split"]} persons evaluated, '
        f'{meta["persons_train"]} train persons, seed {meta["seed"]}, '
        f'clutter {meta["clutter"]}); ViT 192-dim x 6 layers, 256x192, '
        f'16x16 patches (192 tokens); every row fine-tuned '
        f'{meta["ft_epochs"]} epochs from one full model trained '
        f'{meta["warm_epochs"]} epochs from scratch; CocoMetric on '
        'ground-truth boxes, flip test on. Not COCO numbers.', '',
        '| method | setting | trained with selection | kept tokens | '
        'GFLOPs | GFLOPs (no attn) | AP | AR | AP drop | CPU speed-up |',
        '|---|---|---|---|---|---|---|---|---|---|'
    ]
    for r in rows:
        speed = f'{r.speedup:.2f}x' if r.speedup else ''
        lines.append(
            f'| {r.method} | {r.setting} | {r.trained} | {r.tokens:.1f} | '
            f'{r.gflops:.3f} | {r.gflops_no_attn:.3f} | {r.AP:.3f} | '
            f'{r.AR:.3f} | {r.AP_drop:+.3f} | {speed} |')
    lines += [
        '', f'Guide: LiteHRNet-18 at 128x96, trained on the same data: AP '
        f'{guide["AP"]:.3f}, AR {guide["AR"]:.3f}, {guide["gflops"]:.3f} '
        f'GFLOPs per person (flip test doubles it), '
        f'{guide["ms_per_batch"]:.0f} ms per batch of {guide["batch"]} '
        'on this CPU. Selection rows use its dumped predictions (offline '
        'guide); the speed-up column excludes it. AP drop: AP minus the '
        'full model\'s.'
    ]
    return '\n'.join(lines)


def plot(full: Row, sweeps: Dict[str, List[Point]], path: str,
         meta: dict) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.6), dpi=110)
    markers = {'neighbour (trained, n sweep)': 'o',
               'skeleton + budget K (trained)': 's',
               'skeleton + budget K (training-free)': 'x',
               'joint tokens (keep-rate sweep)': '^'}
    for name, points in sweeps.items():
        points = sorted(points, key=lambda p: p.gflops)
        ax.plot([p.gflops for p in points], [p.AP for p in points],
                marker=markers.get(name, 'o'), label=name)
        for p in points:
            ax.annotate(p.setting, (p.gflops, p.AP),
                        textcoords='offset points', xytext=(3, 3),
                        fontsize=7)
    ax.axhline(full.AP, color='k', lw=0.8, ls='--')
    ax.plot([full.gflops], [full.AP], 'k*', ms=12,
            label=f'full model (AP {full.AP:.3f})')
    ax.set_xlabel('GFLOPs per person (attention included)')
    ax.set_ylabel('AP (CocoMetric)')
    ax.set_title('SYNTHETIC pose data: AP vs GFLOPs (ViT 192x6, '
                 f'{meta["warm_epochs"]}+{meta["ft_epochs"]} epochs)',
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc='lower right')
    fig.tight_layout()
    fig.savefig(path)


def write_results(exp: Experiment, rows: Dict[str, Row], guide: dict,
                  sweeps: Dict[str, List[Point]], meta: dict) -> str:
    """``results.md``, ``results.json`` and (with sweeps) the plot."""
    table = markdown(list(rows.values()), guide, meta)
    with open(exp.path('results.md'), 'w') as f:
        f.write(table + '\n')
    with open(exp.path('results.json'), 'w') as f:
        json.dump(dict(meta=meta, rows=[asdict(r) for r in rows.values()],
                       guide=guide,
                       sweeps={k: [asdict(p) for p in v]
                               for k, v in sweeps.items()}), f, indent=1)
    if sweeps:
        plot(rows[FULL], sweeps, exp.path('ap_vs_gflops.png'), meta)
    return table


def main():
    args = parse_args()
    preset = dict(PRESETS[args.preset])
    for key in ('warm_epochs', 'ft_epochs', 'num_train', 'num_val'):
        if getattr(args, key) is not None:
            preset[key] = getattr(args, key)
    torch.set_num_threads(os.cpu_count() or 1)
    exp = Experiment(args.work_dir, preset, args.seed)
    stage = exp.stage
    total_start = time.perf_counter()

    with stage('1 synthetic data'):
        make_data(exp)
    with stage('2 guide: train, evaluate, dump'):
        guide, guide_result = train_guide(exp)
    with stage('3 warm start: the full model from scratch'):
        warm = warm_start(exp)
    trained = {}
    for method in METHODS:
        with stage(f'4 fine-tune {method} from the warm start'):
            trained[method] = fine_tune(exp, method, warm)
    full_cfg = trained[FULL].cfg
    w, h = full_cfg.codec.input_size
    flops = SelectionFlops(init_model(full_cfg, device='cpu'), (3, h, w))
    with stage('5 evaluate the methods'):
        rows, models = evaluate_rows(exp, trained, flops)
    with stage('6 CPU time on the same val batches'):
        guide_info = dict(
            AP=guide_result.AP, AR=guide_result.AR,
            **time_rows(exp, rows, models, trained, guide,
                        guide_result.model))
    sweeps = {}
    if not args.no_sweep:
        with stage('7 budget sweep'):
            sweeps = sweep(exp, trained, flops)

    meta = dict(data=DESCRIPTION, synthetic=True, preset=args.preset,
                seed=args.seed, clutter=preset['clutter'],
                warm_epochs=preset['warm_epochs'],
                ft_epochs=preset['ft_epochs'], eval_split=exp.eval_split,
                persons_eval=exp.persons(exp.eval_split),
                persons_train=exp.persons('train'),
                device=f'CPU, {torch.get_num_threads()} threads',
                stage_seconds=stage.times,
                wall_seconds=time.perf_counter() - total_start)
    table = write_results(exp, rows, guide_info, sweeps, meta)
    print('\n' + table)
    print(f'\n[accuracy] total wall time {meta["wall_seconds"] / 60:.1f} min '
          f'-> {exp.work_dir}/results.md, results.json'
          + (', ap_vs_gflops.png' if sweeps else ''))


if __name__ == '__main__':
    main()
