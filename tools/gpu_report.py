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
``tools/gpu_wheels.sh`` for the offline wheel bundle. The measurements are
:mod:`mmpose_patchsel.analysis.gpu_report`.
"""
import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

from mmpose_patchsel.analysis.gpu_report import (report_markdown, run_bench,
                                                 run_cuda_tests,
                                                 run_short_training,
                                                 run_syncs)

ROOT = Path(__file__).resolve().parents[1]
TINY_CFG = ROOT / 'tests/data/configs/td-hm_patchsel-vit-tiny_coco-testdata-256x192.py'  # noqa: E501
TINY_SKELETON_CFG = ROOT / 'tests/data/configs/td-hm_patchsel-vit-tiny-skeleton_coco-testdata-256x192.py'  # noqa: E501
VIT_B_CFG = ROOT / 'configs/coco/td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py'  # noqa: E501
GUIDE_CFG = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
             'td-hm_litehrnet-18_8xb64-210e_coco-256x192.py')

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


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not args.dry_run and not torch.cuda.is_available():
        raise SystemExit('no CUDA device: use --dry-run to check the tool '
                         'on the CPU')
    preset = dict(DRY if args.dry_run else GPU)
    device = torch.device('cpu' if args.dry_run else 'cuda')
    if args.dry_run:
        torch.set_num_threads(min(2, torch.get_num_threads()))
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
        ('cuda_tests', 'tests', lambda: run_cuda_tests(ROOT, out_dir)),
        ('benchmark', 'bench', lambda: run_bench(
            preset, device, args.budget_s or preset['budget_s'])),
        ('host_syncs', 'syncs', lambda: run_syncs(preset, device)),
        ('training', 'train', lambda: run_short_training(
            preset, args.data_root, out_dir, ROOT)),
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
    (out_dir / 'gpu_report.md').write_text(report_markdown(report) + '\n')
    print(f'[gpu_report] wrote {out_dir}/gpu_report.md and .json')
    return report


if __name__ == '__main__':
    main()
