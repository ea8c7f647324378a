"""One command for the day a GPU is there: CUDA tests, speed, memory, AMP.

On a GPU machine (<= 8 minutes on one H200-class GPU)::

    python tools/gpu_report.py --out-dir docs/results

runs, in this order, and writes ``gpu_report.md`` plus ``gpu_report.json``:

1. the CUDA tests (``pytest -k cuda`` on the test files that mention CUDA);
2. speed and peak memory of ViT-B/L/H, full vs K = half the tokens (96 of
   192 at 256x192, 216 of 432 at 384x288), at batch 1, 8 and 64, in fp32
   and under fp16 / bf16 autocast, at 256x192 and 384x288, without and with
   an online LiteHRNet-18 guide (guide + batched selection + selected
   model, random weights: timing only). Groups run in order of importance
   (batch 64 at 256x192 first) until ``--budget-s`` is spent; the rest are
   listed as skipped;
3. the host synchronisations of one forward pass per path
   (``torch.cuda.set_sync_debug_mode``);
4. a 20-iteration training run of the ViT-B skeleton config with ``--amp``
   through mmpose's own ``tools/train.py`` on mmpose's bundled COCO test
   images (``--data-root``).

``--dry-run`` runs the same on the CPU with tiny sizes (the test suite's
tiny ViT, batch 1-2, one repeat, two training iterations, no ``--amp``:
mmengine's ``AmpOptimWrapper`` refuses to build without a GPU) into
``--out-dir``, in well under 2 minutes.

The GPU machine has no OpenMMLab packages and no network: see
``tools/gpu_wheels.sh`` for the offline wheel bundle.
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmpose.apis import init_model
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample

from mmpose_patchsel.analysis import (median_times, mmpose_train_script,
                                      peak_memory)
from mmpose_patchsel.models.pose_estimators import (OnlineGuide,
                                                    masks_to_keep_indices)
from mmpose_patchsel.selection import PatchGrid, select_patches_batched

ROOT = Path(__file__).resolve().parents[1]
TINY_CFG = ROOT / 'tests/data/configs/td-hm_patchsel-vit-tiny_coco-testdata-256x192.py'  # noqa: E501
TINY_SKELETON_CFG = ROOT / 'tests/data/configs/td-hm_patchsel-vit-tiny-skeleton_coco-testdata-256x192.py'  # noqa: E501
VIT_B_CFG = ROOT / 'configs/coco/td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py'  # noqa: E501
GUIDE_CFG = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
             'td-hm_litehrnet-18_8xb64-210e_coco-256x192.py')
COCO_META = dict(from_file='configs/_base_/datasets/coco.py')
DTYPES = {'fp32': torch.float32, 'fp16': torch.float16,
          'bf16': torch.bfloat16}
EMBED_DIMS = {'small': 384, 'base': 768, 'large': 1024, 'huge': 1280}

GPU = dict(
    config=VIT_B_CFG, archs=['base', 'large', 'huge'], batches=[64, 1, 8],
    dtypes=['fp16', 'bf16', 'fp32'], sizes=[(192, 256), (288, 384)],
    warmup=3, repeats=10, guide=GUIDE_CFG, train_config=VIT_B_CFG,
    train_iters=20, train_batch=64, workers=8, amp=True, budget_s=270)
DRY = dict(
    config=TINY_CFG, archs=['config'], batches=[2, 1],
    dtypes=['fp32', 'bf16'], sizes=[(192, 256), (288, 384)], warmup=1,
    repeats=1, guide=str(TINY_CFG), train_config=TINY_SKELETON_CFG,
    train_iters=2, train_batch=2, workers=0, amp=False, budget_s=60)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default=str(ROOT / 'docs/results'))
    parser.add_argument('--dry-run', action='store_true',
                        help='tiny sizes on the CPU (checks the tool)')
    parser.add_argument(
        '--data-root',
        default=str(ROOT.parent / 'shared/data/mmpose_testdata/coco'),
        help='COCO-format images + test_coco.json for the training run')
    parser.add_argument('--skip', nargs='*', default=[],
                        choices=['tests', 'bench', 'syncs', 'train'])
    parser.add_argument('--budget-s', type=float,
                        help='seconds for the speed grid (default: 270 on '
                        'a GPU, 60 in a dry run)')
    return parser.parse_args(argv)


def autocast(device: torch.device, dtype: str):
    if dtype == 'fp32':
        return nullcontext()
    return torch.autocast(device.type, dtype=DTYPES[dtype])


# ----------------------------------------------------------------------
# 1. CUDA tests
def cuda_test_files() -> List[str]:
    return sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / 'tests').rglob('test_*.py')
        if 'cuda' in p.read_text())


def run_cuda_tests(out_dir: Path) -> dict:
    files = cuda_test_files()
    xml = out_dir / 'cuda_tests.xml'
    cmd = [sys.executable, '-m', 'pytest', '-q', '-k', 'cuda', '-p',
           'no:cacheprovider', f'--junitxml={xml}', *files]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    result = dict(command=' '.join(cmd[1:]), files=files,
                  returncode=proc.returncode,
                  wall_s=round(time.perf_counter() - start, 1), tests=[])
    if xml.is_file():
        for case in ET.parse(xml).getroot().iter('testcase'):
            status = 'passed'
            for child in case:
                if child.tag in ('failure', 'error', 'skipped'):
                    status = child.tag
            result['tests'].append(
                dict(name=f"{case.get('classname')}::{case.get('name')}",
                     status=status))
        xml.unlink()
    if proc.returncode not in (0, 5):  # 5: nothing collected
        result['output_tail'] = (proc.stdout + proc.stderr)[-3000:]
    return result


# ----------------------------------------------------------------------
# 2. Speed and memory
def build_model(config: Path, arch: str, size, device: torch.device):
    """The config's estimator with another ViT size / input, no weights."""
    cfg = Config.fromfile(str(config))
    cfg.model.backbone.init_cfg = None  # weights do not change speed
    if arch != 'config':
        cfg.model.backbone.arch = arch
        cfg.model.head.in_channels = EMBED_DIMS[arch]
    w, h = size
    cfg.model.backbone.img_size = (h, w)
    return init_model(cfg, device=str(device)).eval()


def peak_mib(fn: Callable, device: torch.device) -> Optional[float]:
    """CUDA allocator peak above the baseline during one call (GPU only)."""
    if device.type != 'cuda':
        return None
    with torch.no_grad():
        return round(peak_memory(fn, device), 1)


class Paths:
    """The forward paths of one model at one batch: full, K selected
    tokens, and K selected by an online guide."""

    def __init__(self, model, guide: OnlineGuide, size, batch: int,
                 device: torch.device) -> None:
        self.model, self.guide = model, guide
        self.backbone = model.backbone
        w, h = size
        self.size = size
        self.num_patches = self.backbone.num_patches
        self.k = self.num_patches // 2
        gen = torch.Generator().manual_seed(0)
        self.inputs = torch.randn(batch, 3, h, w, generator=gen).to(device)
        scores = torch.rand(batch, self.num_patches, generator=gen)
        self.keep = scores.topk(self.k, dim=1).indices.sort(
            dim=1).values.to(device)
        # Varying counts per sample, as pipeline masks give (padding).
        counts = torch.linspace(self.k // 2, self.k, batch).long()
        self.masks = (torch.arange(self.num_patches)[None] <
                      counts[:, None]).to(device)
        embed = self.backbone.patch_embed
        self.grid = PatchGrid((w, h), embed.patch_size[0], embed.padding[0])
        meta = parse_pose_metainfo(COCO_META)
        self.links = meta['skeleton_links']
        self.samples = [
            PoseDataSample(metainfo=dict(flip_indices=meta['flip_indices']))
            for _ in range(batch)
        ]

    def whole(self, keep=None, padding=None):
        feats = self.model.extract_feat(self.inputs, keep, padding)
        return self.model.head.forward(feats)

    def from_masks(self):
        """The estimator's path for pipeline masks (padded batch)."""
        return self.whole(*masks_to_keep_indices(self.masks))

    def guided(self):
        kpts, scores = self.guide(self.inputs, self.samples, self.size)
        sel = select_patches_batched(
            self.grid, kpts, scores, mode='skeleton',
            skeleton_links=self.links, score_thr=-1e6, num_keep=self.k)
        return self.whole(sel.indices)

    def calls(self) -> Dict[str, Callable]:
        return {
            'full/backbone': lambda: self.backbone(self.inputs),
            'full/model': self.whole,
            'K/backbone': lambda: self.backbone(self.inputs, self.keep),
            'K/model': lambda: self.whole(self.keep),
            'K+guide/model': self.guided,
        }


def bench_group(paths: Paths, dtype: str, device, warmup: int,
                repeats: int) -> List[dict]:
    with autocast(device, dtype):
        times = median_times(paths.calls(), repeats, warmup, device)
        peaks = {
            'full': peak_mib(paths.whole, device),
            'K': peak_mib(lambda: paths.whole(paths.keep), device),
            'K+guide': peak_mib(paths.guided, device),
        }
    batch = paths.inputs.shape[0]
    full_bb, full_all = times['full/backbone'], times['full/model']
    rows = []
    for setting, tokens in (('full', paths.num_patches), ('K', paths.k),
                            ('K+guide', paths.k)):
        bb = times.get(f'{setting}/backbone')
        model_s = times[f'{setting}/model']
        rows.append(
            dict(setting=setting, tokens=tokens,
                 backbone_ms=None if bb is None else round(bb * 1e3, 3),
                 backbone_speedup=None if bb is None else round(
                     full_bb / bb, 3),
                 model_ms=round(model_s * 1e3, 3),
                 model_speedup=round(full_all / model_s, 3),
                 img_s=round(batch / model_s, 1), peak_mib=peaks[setting]))
    return rows


def run_bench(preset: dict, device, budget_s: float) -> List[dict]:
    deadline = time.monotonic() + budget_s
    guide = OnlineGuide(preset['guide'], num_keypoints=17).to(device)
    rows = []
    for size in preset['sizes']:  # 256x192 first: the headline size
        for arch in preset['archs']:
            key = dict(arch=arch, input=f'{size[1]}x{size[0]}')
            groups = [(b, d) for b in preset['batches']
                      for d in preset['dtypes']]
            if time.monotonic() > deadline:
                rows += [dict(key, batch=b, dtype=d, skipped='time budget')
                         for b, d in groups]
                continue
            model = build_model(preset['config'], arch, size, device)
            for batch, dtype in groups:
                if time.monotonic() > deadline:
                    rows.append(
                        dict(key, batch=batch, dtype=dtype,
                             skipped='time budget'))
                    continue
                paths = Paths(model, guide, size, batch, device)
                try:
                    for row in bench_group(paths, dtype, device,
                                           preset['warmup'],
                                           preset['repeats']):
                        rows.append(dict(key, batch=batch, dtype=dtype,
                                         **row))
                except RuntimeError as error:  # e.g. out of memory
                    rows.append(dict(key, batch=batch, dtype=dtype,
                                     skipped=str(error).split('\n')[0]))
                if device.type == 'cuda':
                    torch.cuda.empty_cache()
            del model
    return rows


# ----------------------------------------------------------------------
# 3. Host synchronisations
def count_syncs(fn: Callable) -> int:
    """Synchronising CUDA calls (``.item()``, blocking copies, nonzero,
    ...) during one call, as ``torch.cuda.set_sync_debug_mode`` sees them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        torch.cuda.set_sync_debug_mode('warn')
        try:
            with torch.no_grad():
                fn()
            torch.cuda.synchronize()  # not counted: the last one is ours
        finally:
            torch.cuda.set_sync_debug_mode('default')
    return sum('synchroniz' in str(w.message) for w in caught)


def run_syncs(preset: dict, device) -> List[dict]:
    size = preset['sizes'][0]
    model = build_model(preset['config'], preset['archs'][0], size, device)
    guide = OnlineGuide(preset['guide'], num_keypoints=17).to(device)
    paths = Paths(model, guide, size, 1, device)
    cases = {
        'backbone, full': lambda: paths.backbone(paths.inputs),
        'backbone, keep indices': lambda: paths.backbone(
            paths.inputs, paths.keep),
        'pipeline masks -> keep indices -> model': paths.from_masks,
        'online guide -> selection -> model': paths.guided,
    }
    rows = []
    for name, fn in cases.items():
        with torch.no_grad():
            fn()  # warm-up: lazy inits and caches are not the steady state
        rows.append(dict(path=name, arch=preset['archs'][0], batch=1,
                         syncs=count_syncs(fn)
                         if device.type == 'cuda' else None))
    return rows


# ----------------------------------------------------------------------
# 4. Training
def training_config(preset: dict, data_root: str, work_dir: Path) -> Path:
    """The training config for ``iters`` iterations on ``data_root``."""
    cfg = Config.fromfile(str(preset['train_config']))
    cfg.model.backbone.init_cfg = None  # no MAE download
    iters, batch = preset['train_iters'], preset['train_batch']
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=data_root.rstrip('/') + '/',
                   ann_file='test_coco.json', data_prefix=dict(img=''))
    persons = 12  # mmpose's test_coco.json; repeats cover any batch
    cfg.train_dataloader = dict(
        batch_size=batch, num_workers=preset['workers'],
        persistent_workers=preset['workers'] > 0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(type='RepeatDataset', dataset=dataset,
                     times=math.ceil(iters * batch / persons) + 1))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=iters + 1)
    for split in ('val', 'test'):
        cfg[f'{split}_cfg'] = cfg[f'{split}_dataloader'] = None
        cfg[f'{split}_evaluator'] = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(by_epoch=False)
    path = work_dir / 'train_config.py'
    cfg.dump(str(path))
    return path


def run_training(preset: dict, data_root: str, out_dir: Path) -> dict:
    work_dir = out_dir / 'train_work_dir'
    work_dir.mkdir(parents=True, exist_ok=True)
    config = training_config(preset, data_root, work_dir)
    cmd = [sys.executable, str(mmpose_train_script()), str(config),
           '--work-dir', str(work_dir)] + (['--amp'] if preset['amp'] else [])
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    scalars = sorted(work_dir.glob('*/vis_data/scalars.json'))
    logs = [json.loads(line) for line in scalars[-1].read_text().splitlines()
            ] if scalars else []
    train = [r for r in logs if 'loss' in r]
    times = [r['time'] for r in train[2:]] or [r['time'] for r in train]
    result = dict(
        config=str(preset['train_config'].relative_to(ROOT)),
        amp=preset['amp'], iterations=len(train), batch=preset['train_batch'],
        returncode=proc.returncode, wall_s=round(wall, 1),
        losses=[round(r['loss'], 6) for r in train],
        losses_finite=bool(train) and all(
            math.isfinite(r['loss']) for r in train),
        median_iter_s=round(sorted(times)[len(times) // 2], 4)
        if times else None,
        max_memory_mib=max((r.get('memory', 0) for r in train), default=None)
        or None)
    if proc.returncode != 0 or not train:
        result['output_tail'] = (proc.stdout + proc.stderr)[-3000:]
    return result


# ----------------------------------------------------------------------
# Report
def fmt(value, digits=1) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.{digits}f}'
    return str(value)


def markdown(report: dict) -> str:
    meta = report['meta']
    lines = [
        '# GPU report' + (' (DRY RUN on the CPU: tiny sizes, the numbers '
                          'mean nothing)' if meta['dry_run'] else ''), '',
        f"`{meta['command']}` on {meta['device']}, torch {meta['torch']}, "
        f"CUDA {meta['cuda']}, {meta['date']}; {meta['wall_s']:.0f} s in "
        'all.', ''
    ]
    tests = report.get('cuda_tests')
    if tests:
        counts = {}
        for t in tests['tests']:
            counts[t['status']] = counts.get(t['status'], 0) + 1
        lines += ['## CUDA tests', '',
                  f"`{tests['command']}`: " + (', '.join(
                      f'{n} {s}' for s, n in sorted(counts.items()))
                      or 'none collected') + f" ({tests['wall_s']} s)", '']
        lines += [f"- {t['name']}: {t['status']}" for t in tests['tests']]
        lines.append('')
    rows = [r for r in report.get('benchmark', []) if 'skipped' not in r]
    if rows:
        big = max(r['batch'] for r in rows)
        first = rows[0]['input']
        lines += [
            f'## Backbone speed-up, batch {big}, {first}, K = half the '
            'tokens', '',
            '| arch | dtype | tokens | full ms | K ms | backbone speed-up '
            '| model speed-up | with guide |', '|---|---|---|---|---|---|---|---|'
        ]
        for r in rows:
            if r['batch'] == big and r['input'] == first and \
                    r['setting'] == 'K':
                full = next(x for x in rows if x['setting'] == 'full' and all(
                    x[k] == r[k] for k in ('arch', 'input', 'batch', 'dtype')))
                guide = next(x for x in rows if x['setting'] == 'K+guide'
                             and all(x[k] == r[k]
                                     for k in ('arch', 'input', 'batch',
                                               'dtype')))
                lines.append(
                    f"| {r['arch']} | {r['dtype']} | {r['tokens']} of "
                    f"{full['tokens']} | {fmt(full['backbone_ms'], 2)} | "
                    f"{fmt(r['backbone_ms'], 2)} | "
                    f"{fmt(r['backbone_speedup'], 2)}x | "
                    f"{fmt(r['model_speedup'], 2)}x | "
                    f"{fmt(guide['model_speedup'], 2)}x |")
        lines += ['', '## All measurements', '',
                  '| arch | input | batch | dtype | setting | tokens | '
                  'backbone ms | speed-up | model ms | speed-up | img/s | '
                  'peak MiB |', '|---|---|---|---|---|---|---|---|---|---|'
                  '---|---|']
        for r in report['benchmark']:
            if 'skipped' in r:
                lines.append(f"| {r['arch']} | {r['input']} | {r['batch']} "
                             f"| {r['dtype']} | skipped: {r['skipped']} "
                             '| | | | | | | |')
                continue
            lines.append(
                f"| {r['arch']} | {r['input']} | {r['batch']} | {r['dtype']}"
                f" | {r['setting']} | {r['tokens']} | "
                f"{fmt(r['backbone_ms'], 2)} | {fmt(r['backbone_speedup'], 2)}"
                f" | {fmt(r['model_ms'], 2)} | {fmt(r['model_speedup'], 2)} |"
                f" {fmt(r['img_s'])} | {fmt(r['peak_mib'])} |")
        lines.append('')
    syncs = report.get('host_syncs')
    if syncs:
        lines += ['## Host synchronisations per forward', '',
                  '| path | arch | batch | syncs |', '|---|---|---|---|']
        lines += [f"| {s['path']} | {s['arch']} | {s['batch']} | "
                  f"{fmt(s['syncs'])} |" for s in syncs]
        lines.append('')
    train = report.get('training')
    if train:
        lines += [
            '## Training', '',
            f"`{train['config']}`, {train['iterations']} iterations of "
            f"batch {train['batch']}, amp {train['amp']}: return code "
            f"{train['returncode']}, losses finite {train['losses_finite']}, "
            f"median {fmt(train['median_iter_s'], 3)} s/iteration, max "
            f"memory {fmt(train['max_memory_mib'])} MiB, "
            f"{train['wall_s']} s wall.", ''
        ]
    return '\n'.join(lines)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not args.dry_run and not torch.cuda.is_available():
        raise SystemExit('no CUDA device: use --dry-run to check the tool '
                         'on the CPU')
    preset = dict(DRY if args.dry_run else GPU)
    device = torch.device('cpu' if args.dry_run else 'cuda')
    if args.dry_run:
        torch.set_num_threads(min(2, os.cpu_count() or 1))
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report = dict(meta=dict(
        command='python tools/gpu_report.py ' + ' '.join(
            sys.argv[1:] if argv is None else argv),
        dry_run=args.dry_run,
        device=torch.cuda.get_device_name() if device.type == 'cuda' else
        f'{platform.processor() or platform.machine()} CPU, '
        f'{torch.get_num_threads()} threads',
        torch=torch.__version__, cuda=torch.version.cuda,
        date=time.strftime('%Y-%m-%d %H:%M'), stage_s={}))
    stages = [
        ('cuda_tests', 'tests', lambda: run_cuda_tests(out_dir)),
        ('benchmark', 'bench', lambda: run_bench(
            preset, device, args.budget_s or preset['budget_s'])),
        ('host_syncs', 'syncs', lambda: run_syncs(preset, device)),
        ('training', 'train', lambda: run_training(preset, args.data_root,
                                                   out_dir)),
    ]
    for key, name, fn in stages:
        if name in args.skip:
            continue
        t0 = time.perf_counter()
        print(f'[gpu_report] {key} ...', flush=True)
        report[key] = fn()
        report['meta']['stage_s'][key] = round(time.perf_counter() - t0, 1)
        print(f"[gpu_report] {key}: {report['meta']['stage_s'][key]} s",
              flush=True)
    report['meta']['wall_s'] = round(time.perf_counter() - start, 1)
    (out_dir / 'gpu_report.json').write_text(json.dumps(report, indent=1))
    (out_dir / 'gpu_report.md').write_text(markdown(report) + '\n')
    print(f'[gpu_report] wrote {out_dir}/gpu_report.md and .json')
    return report


if __name__ == '__main__':
    main()
