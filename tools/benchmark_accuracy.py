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
``--preset ci`` is the test suite's small version of the same path.

Example::

    python tools/benchmark_accuracy.py --work-dir outputs/accuracy
"""
import argparse
import contextlib
import io
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from collections import Counter
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from mmpose.apis import init_model

from mmpose_patchsel.analysis import count_flops
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


class Stages:
    """Prints each stage with its wall time; keeps the times."""

    def __init__(self) -> None:
        self.times: Dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str):
        print(f'[accuracy] {name} ...', flush=True)
        start = time.perf_counter()
        yield
        self.times[name] = time.perf_counter() - start
        print(f'[accuracy] {name}: {self.times[name]:.0f}s', flush=True)


def run(cmd: List[str], log: str) -> None:
    """Run a command, its output to ``log``; fail showing the log's end."""
    with open(log, 'w') as f:
        done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                              cwd=PROJECT)
    if done.returncode != 0:
        with open(log) as f:
            tail = f.read()[-3000:]
        raise RuntimeError(f'{" ".join(cmd)} failed ({done.returncode}); '
                           f'end of {log}:\n{tail}')


def make_data(out_dir: str, num_train: int, num_val: int, seed: int,
              clutter: float) -> None:
    stamp = dict(num_train=num_train, num_val=num_val, seed=seed,
                 clutter=clutter)
    stamp_file = osp.join(out_dir, 'stamp.json')
    if osp.isfile(stamp_file):
        with open(stamp_file) as f:
            if json.load(f) == stamp:
                print(f'       reusing {out_dir}')
                return
    os.makedirs(out_dir, exist_ok=True)
    run([sys.executable, 'tools/make_synthetic_pose.py', '--out-dir', out_dir,
         '--num-train', str(num_train), '--num-val', str(num_val), '--seed',
         str(seed), '--clutter', str(clutter)],
        osp.join(out_dir, 'make_synthetic_pose.log'))
    with open(stamp_file, 'w') as f:
        json.dump(stamp, f)


def count_persons(data_root: str, split: str) -> int:
    with open(osp.join(data_root, 'annotations',
                       f'synthetic_pose_{split}.json')) as f:
        return len(json.load(f)['annotations'])


def load_config(name: str, data_root: str, epochs: int,
                eval_split: str = 'val',
                guide_file: Optional[str] = None,
                load_from: Optional[str] = None) -> Config:
    """A benchmark config on ``data_root`` with ``epochs`` of training,
    evaluated on ``eval_split``, starting from ``load_from`` when given."""
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    root = data_root.rstrip('/') + '/'
    ann_file = f'annotations/synthetic_pose_{eval_split}.json'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    for loader in ('val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.ann_file = ann_file
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].ann_file = root + ann_file
    cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler[-1].end = epochs
    # Warm-up: at most a tenth of a short run (no change for the benchmark).
    iters = epochs * -(-count_persons(root, 'train') //
                       cfg.train_dataloader.batch_size)
    warmup = cfg.param_scheduler[0]
    warmup.end = max(1, min(warmup.end, iters // 10))
    cfg.default_hooks.checkpoint.interval = epochs
    if load_from is not None:
        cfg.load_from = load_from
    for hook in cfg.get('custom_hooks', []):
        if hook.type == 'JointTokenKeepRateHook':  # same fraction
            hook.ramp = epochs / 2
    for loader in ('val_dataloader', 'test_dataloader'):
        for transform in cfg[loader].dataset.pipeline:
            if transform.type == 'LoadGuideKeypoints':
                transform.guide_file = guide_file
    return cfg


def train(cfg: Config, work_dir: str) -> str:
    """Train with ``mim train mmpose`` unless done; the last checkpoint."""
    ckpt = osp.join(work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
    if osp.isfile(ckpt):
        print(f'       reusing {ckpt}')
        return ckpt
    os.makedirs(work_dir, exist_ok=True)
    cfg_file = osp.join(work_dir, 'config.py')
    cfg.dump(cfg_file)
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    run([mim, 'train', 'mmpose', cfg_file, '--work-dir', work_dir],
        osp.join(work_dir, 'train.log'))
    return ckpt


def set_selection(cfg: Config, **options) -> Config:
    """Change the options of the val/test ``SelectPatches``."""
    cfg = cfg.copy()
    for loader in ('val_dataloader', 'test_dataloader'):
        for transform in cfg[loader].dataset.pipeline:
            if transform.type == 'SelectPatches':
                transform.update(options)
    return cfg


def evaluate(cfg: Config, ckpt: str, test_keep_rate=None) -> dict:
    """CocoMetric AP/AR on val, and the patch tokens each person kept."""
    model = init_model(cfg, ckpt, device='cpu')
    if test_keep_rate is not None:
        model.backbone.test_keep_rate = test_keep_rate
    loader_cfg = cfg.test_dataloader.copy()
    loader_cfg.persistent_workers = False
    loader = Runner.build_dataloader(loader_cfg)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = loader.dataset.metainfo
    kept = []
    with torch.no_grad():
        for batch in loader:
            outputs = model.test_step(batch)
            evaluator.process(data_samples=outputs, data_batch=batch)
            kept += [
                int(o.patch_mask.sum()) for o in outputs if 'patch_mask' in o
            ]
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools' tables
        metrics = evaluator.evaluate(len(loader.dataset))
    return dict(
        AP=metrics['coco/AP'], AR=metrics['coco/AR'], kept=kept,
        model=model)


class FlopsTable:
    """GFLOPs of one architecture per kept-token count, cached."""

    def __init__(self, cfg: Config) -> None:
        self.model = init_model(cfg, device='cpu')
        w, h = cfg.codec.input_size
        self.shape = (3, h, w)
        self.cache: Dict[Optional[int], dict] = {}

    def at(self, num_keep: Optional[int]) -> dict:
        if num_keep == self.model.backbone.num_patches:
            num_keep = None
        if num_keep not in self.cache:
            self.cache[num_keep] = count_flops(self.model, self.shape,
                                               num_keep)
        return self.cache[num_keep]

    def mean(self, kept: List[int]) -> dict:
        """Mean over persons (attention is quadratic: not at the mean)."""
        counts = Counter(kept)
        return {
            key: sum(self.at(k)[key] * n
                     for k, n in counts.items()) / len(kept)
            for key in ('flops', 'flops_no_attention')
        }


def joint_token_flops(model, shape, rate: float) -> dict:
    """GFLOPs of a self-pruning backbone at test rate ``rate``, and its
    mean patch tokens per block."""
    backbone = model.backbone
    saved = backbone.keep_rate, backbone.test_keep_rate
    backbone.keep_rate, backbone.test_keep_rate = rate, None
    try:
        flops = count_flops(model, shape)
        counts = backbone.patch_token_counts()
    finally:
        backbone.keep_rate, backbone.test_keep_rate = saved
    return dict(flops=flops['flops'],
                flops_no_attention=flops['flops_no_attention'],
                tokens=sum(counts) / len(counts))


def time_rotation(calls: Dict[str, Callable], repeats: int) -> dict:
    """Median seconds of each call, timed in rotation (load spreads over
    all settings alike), after one warm-up each."""
    times = {name: [] for name in calls}
    with torch.no_grad():
        for fn in calls.values():
            fn()
        for _ in range(repeats):
            for name, fn in calls.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def first_batches(cfg: Config, count: int) -> list:
    loader_cfg = cfg.test_dataloader.copy()
    loader_cfg.persistent_workers = False
    loader_cfg.num_workers = 0
    batches = []
    for batch in Runner.build_dataloader(loader_cfg):
        batches.append(batch)
        if len(batches) == count:
            break
    return batches


def markdown(rows: List[dict], guide: dict, meta: dict) -> str:
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
        speed = f'{r["speedup"]:.2f}x' if r.get('speedup') else ''
        lines.append(
            f'| {r["method"]} | {r["setting"]} | {r["trained"]} | '
            f'{r["tokens"]:.1f} | {r["gflops"]:.3f} | '
            f'{r["gflops_no_attn"]:.3f} | {r["AP"]:.3f} | {r["AR"]:.3f} | '
            f'{r["AP_drop"]:+.3f} | {speed} |')
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


def plot(rows: List[dict], sweeps: Dict[str, List[dict]], path: str,
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
        points = sorted(points, key=lambda p: p['gflops'])
        ax.plot([p['gflops'] for p in points], [p['AP'] for p in points],
                marker=markers.get(name, 'o'), label=name)
        for p in points:
            ax.annotate(p['setting'], (p['gflops'], p['AP']),
                        textcoords='offset points', xytext=(3, 3),
                        fontsize=7)
    full = next(r for r in rows if r['method'] == 'full')
    ax.axhline(full['AP'], color='k', lw=0.8, ls='--')
    ax.plot([full['gflops']], [full['AP']], 'k*', ms=12,
            label=f'full model (AP {full["AP"]:.3f})')
    ax.set_xlabel('GFLOPs per person (attention included)')
    ax.set_ylabel('AP (CocoMetric)')
    ax.set_title('SYNTHETIC pose data: AP vs GFLOPs (ViT 192x6, '
                 f'{meta["warm_epochs"]}+{meta["ft_epochs"]} epochs)',
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc='lower right')
    fig.tight_layout()
    fig.savefig(path)


def main():
    args = parse_args()
    preset = dict(PRESETS[args.preset])
    for key in ('warm_epochs', 'ft_epochs', 'num_train', 'num_val'):
        if getattr(args, key) is not None:
            preset[key] = getattr(args, key)
    torch.set_num_threads(os.cpu_count() or 1)
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'data')
    guide_file = osp.join(data_root, 'guide',
                          f'litehrnet-18_{preset["eval_split"]}.json')
    warm_epochs, ft_epochs = preset['warm_epochs'], preset['ft_epochs']
    eval_split = preset['eval_split']
    stage = Stages()
    total_start = time.perf_counter()

    with stage('1 synthetic data'):
        make_data(data_root, preset['num_train'], preset['num_val'],
                  args.seed, preset['clutter'])

    with stage('2 guide: train, evaluate, dump'):
        guide_cfg = load_config(GUIDE, data_root, warm_epochs, eval_split)
        guide_ckpt = train(guide_cfg, osp.join(work_dir, 'guide'))
        guide = evaluate(guide_cfg, guide_ckpt)
        print(f'       guide AP {guide["AP"]:.3f} AR {guide["AR"]:.3f}')
        if not osp.isfile(guide_file):
            run([sys.executable, 'tools/dump_guide.py',
                 osp.join(work_dir, 'guide', 'config.py'), guide_ckpt,
                 '--out', guide_file],
                osp.join(work_dir, 'guide', 'dump_guide.log'))

    with stage('3 warm start: the full model from scratch'):
        warm = train(load_config(WARM_START, data_root, warm_epochs,
                                 eval_split),
                     osp.join(work_dir, 'warm_start'))
    cfgs, ckpts = {}, {}
    for method, name in METHODS.items():
        with stage(f'4 fine-tune {method} from the warm start'):
            cfgs[method] = load_config(name, data_root, ft_epochs,
                                       eval_split, guide_file, warm)
            ckpts[method] = train(
                cfgs[method],
                osp.join(work_dir, method.replace(' ', '_')))

    flops = FlopsTable(cfgs['full'])
    shape = flops.shape
    num_patches = flops.model.backbone.num_patches
    rows, sweeps, models = [], {}, {}

    def add_row(method, setting, trained, result, cost, tokens):
        row = dict(method=method, setting=setting, trained=trained,
                   tokens=tokens, AP=result['AP'], AR=result['AR'],
                   gflops=cost['flops'] / 1e9,
                   gflops_no_attn=cost['flops_no_attention'] / 1e9)
        rows.append(row)
        print(f'       {method:<22}{setting:<14}tokens {tokens:6.1f}  '
              f'GFLOPs {row["gflops"]:.3f}  AP {row["AP"]:.3f}', flush=True)
        return row

    with stage('5 evaluate the methods'):
        full = evaluate(cfgs['full'], ckpts['full'])
        models['full'] = full['model']
        add_row('full', 'all patches', 'yes', full, flops.at(None),
                num_patches)
        for method, setting in (('neighbour', 'n=4'),
                                ('skeleton', 'skeleton')):
            result = evaluate(cfgs[method], ckpts[method])
            models[method] = result['model']
            add_row(method, setting, 'yes', result,
                    flops.mean(result['kept']), np.mean(result['kept']))
        jt_cfg = cfgs['joint tokens']
        result = evaluate(jt_cfg, ckpts['joint tokens'])
        models['joint tokens'] = result['model']
        rate = jt_cfg.model.backbone.keep_rate
        cost = joint_token_flops(result['model'], shape, rate)
        add_row('joint tokens', f'keep {rate:g}', 'yes', result, cost,
                cost['tokens'])
        for method, setting in (('neighbour', 'n=4'),
                                ('skeleton', 'skeleton')):
            result = evaluate(cfgs[method], ckpts['full'])
            models[f'{method} (training-free)'] = result['model']
            add_row(method, setting, 'no (full model)', result,
                    flops.mean(result['kept']), np.mean(result['kept']))
    for row in rows:
        row['AP_drop'] = row['AP'] - rows[0]['AP']

    with stage('6 CPU time on the same val batches'):
        batches = first_batches(cfgs['skeleton'], preset['time_batches'])
        plain = first_batches(cfgs['full'], preset['time_batches'])
        nb = first_batches(cfgs['neighbour'], preset['time_batches'])
        inputs = {'full': plain, 'neighbour': nb, 'skeleton': batches,
                  'joint tokens': plain,
                  'neighbour (training-free)': nb,
                  'skeleton (training-free)': batches}

        def call(name):
            return lambda: [models[name].test_step(b) for b in inputs[name]]

        seconds = time_rotation({n: call(n) for n in inputs},
                                preset['repeats'])
        keys = ['full', 'neighbour', 'skeleton', 'joint tokens',
                'neighbour (training-free)', 'skeleton (training-free)']
        for row, key in zip(rows, keys):
            row['speedup'] = seconds['full'] / seconds[key]
            row['seconds'] = seconds[key]
        guide_model = init_model(guide_cfg, guide_ckpt, device='cpu')
        guide_batches = first_batches(guide_cfg, preset['time_batches'])
        guide_seconds = time_rotation(
            {'guide': lambda: [guide_model.test_step(b)
                               for b in guide_batches]}, preset['repeats'])
        batch = len(plain[0]['inputs'])
        guide_info = dict(
            AP=guide['AP'], AR=guide['AR'],
            gflops=count_flops(guide_model, (3, 128, 96))['flops'] / 1e9,
            ms_per_batch=guide_seconds['guide'] * 1e3 / len(guide_batches),
            batch=batch)
        for row in rows:
            print(f'       {row["method"]:<22}{row["setting"]:<14}'
                  f'{row["seconds"] * 1e3:8.0f} ms  '
                  f'{row["speedup"]:.2f}x', flush=True)

    if not args.no_sweep:
        with stage('7 budget sweep'):

            def point(setting, result, cost, tokens):
                return dict(
                    setting=setting, AP=result['AP'], AR=result['AR'],
                    tokens=float(tokens), gflops=cost['flops'] / 1e9,
                    gflops_no_attn=cost['flops_no_attention'] / 1e9)

            skel = cfgs['skeleton']
            for label, ckpt in (('skeleton + budget K (trained)',
                                 ckpts['skeleton']),
                                ('skeleton + budget K (training-free)',
                                 ckpts['full'])):
                sweeps[label] = [
                    point(f'K={k}',
                          evaluate(set_selection(skel, num_keep=k), ckpt),
                          flops.at(k), k) for k in preset['sweep_k']
                ]
            sweeps['neighbour (trained, n sweep)'] = []
            for n in preset['sweep_n']:
                result = evaluate(
                    set_selection(cfgs['neighbour'], num_neighbours=n),
                    ckpts['neighbour'])
                sweeps['neighbour (trained, n sweep)'].append(
                    point(f'n={n}', result, flops.mean(result['kept']),
                          np.mean(result['kept'])))
            sweeps['joint tokens (keep-rate sweep)'] = []
            for rate in preset['sweep_rate']:
                result = evaluate(jt_cfg, ckpts['joint tokens'], rate)
                cost = joint_token_flops(result['model'], shape, rate)
                sweeps['joint tokens (keep-rate sweep)'].append(
                    point(f'{rate:g}', result, cost, cost['tokens']))
            for label, points in sweeps.items():
                print(f'       {label}: ' + ', '.join(
                    f'{p["setting"]} {p["gflops"]:.3f} GFLOPs AP '
                    f'{p["AP"]:.3f}' for p in points), flush=True)

    persons_eval = count_persons(data_root, eval_split)
    persons_train = count_persons(data_root, 'train')
    meta = dict(data=DESCRIPTION, synthetic=True, preset=args.preset,
                seed=args.seed, clutter=preset['clutter'],
                warm_epochs=warm_epochs, ft_epochs=ft_epochs,
                eval_split=eval_split, persons_eval=persons_eval,
                persons_train=persons_train,
                device=f'CPU, {torch.get_num_threads()} threads',
                stage_seconds=stage.times,
                wall_seconds=time.perf_counter() - total_start)
    table = markdown(rows, guide_info, meta)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(dict(meta=meta, rows=rows, guide=guide_info,
                       sweeps=sweeps), f, indent=1)
    if sweeps:
        plot(rows, sweeps, osp.join(work_dir, 'ap_vs_gflops.png'), meta)
    print('\n' + table)
    print(f'\n[accuracy] total wall time {meta["wall_seconds"] / 60:.1f} min '
          f'-> {work_dir}/results.md, results.json'
          + (', ap_vs_gflops.png' if sweeps else ''))


if __name__ == '__main__':
    main()
