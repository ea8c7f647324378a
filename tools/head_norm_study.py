"""Does Sapiens' InstanceNorm head lose more to selection than BatchNorm?

Unselected patches come back as zeros on the feature grid. mmpose's
``HeatmapHead`` normalises with BatchNorm (statistics learned over the
training set); Sapiens' head normalises each map with its own mean and
variance (``InstanceNorm2d``), which those zeros shift everywhere. This
trains the accuracy benchmark's full model (its warm start) with mmpose's
BatchNorm + ReLU head and with Sapiens' InstanceNorm + SiLU head, the same
deconv/conv shape, with every seed of the preset, then scores each with
training-free skeleton selection at the benchmark's 'paper' and 'half'
cost points, unselected patches dropped and merged; the InstanceNorm
checkpoints also with ``SapiensHeatmapHead(masked_norm=True)`` (statistics
over the kept positions only), and the benchmark's own full model (its
head has no norm) as it is. AP drop: each head's full AP minus the row's,
seed by seed.

Every stage of ``tools/benchmark_accuracy.py`` it needs is that
benchmark's, cached in the same ``--work-dir``, and every evaluation is
cached: with that benchmark's run in place only the new heads train.

    python tools/head_norm_study.py --results docs/results/head_norm.json
    python tools/head_norm_study.py --dry-run   # toy sizes, minutes
    python tools/head_norm_study.py --table docs/results/head_norm.json
"""
import argparse
import json
import os

import torch

from mmpose_patchsel.analysis.results_json import command_line
from mmpose_patchsel.benchmarks.accuracy import (DRY_RUN, PRESETS, Experiment,
                                                 check_device,
                                                 default_work_dir)
from mmpose_patchsel.benchmarks.head_norm import head_epochs, markdown, run


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--preset', choices=sorted(PRESETS), default='cpu')
    parser.add_argument('--work-dir',
                        help='the accuracy benchmark\'s '
                        '(default: outputs/accuracy_<preset>[_dry_run])')
    parser.add_argument('--dry-run',
                        action='store_true',
                        help='the preset\'s code path on the CPU at toy '
                        'sizes (the accuracy benchmark\'s DRY_RUN)')
    parser.add_argument('--seeds',
                        type=int,
                        nargs='+',
                        help='training seeds; override of the preset\'s')
    parser.add_argument('--head-epochs',
                        type=int,
                        help='epochs of each new head from the warm start '
                        '(default: twice the preset\'s fine-tune)')
    parser.add_argument('--device', help='where to evaluate; override')
    parser.add_argument('--threads',
                        type=int,
                        default=os.cpu_count() or 1,
                        help='torch threads of this process (default: '
                        'every core)')
    parser.add_argument('--results', help='also write the results here')
    parser.add_argument('--table',
                        metavar='RESULTS_JSON',
                        help='only print the markdown table of a results '
                        'file')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.table:
        with open(args.table) as f:
            print(markdown(json.load(f)))
        return
    preset = dict(PRESETS[args.preset], **(DRY_RUN if args.dry_run else {}))
    if args.seeds:
        preset['seeds'] = tuple(args.seeds)
    if args.device:
        preset['device'] = args.device
    check_device(args.preset, preset)
    torch.set_num_threads(args.threads)
    work_dir = args.work_dir or default_work_dir(
        args.preset + ('_dry_run' if args.dry_run else ''))
    run(Experiment(work_dir, preset, seed=0), args.preset, args.head_epochs
        or head_epochs(preset), command_line(), args.results)


if __name__ == '__main__':
    main()
