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
config or weights changed. ``--preset ci`` is the test suite's small
version of the same path; ``--table`` prints the table of a results file.
AP drop, everywhere: the full model's AP minus the row's (positive =
accuracy lost), each seed paired with its own full model.

The stages live in ``mmpose_patchsel.benchmarks.accuracy``; this is its
command line.

Example::

    python tools/benchmark_accuracy.py --preset cpu \
        --results docs/results/accuracy_synthetic_cpu.json
"""
import argparse
import json


# The benchmark's library; its names are re-exported here for the tools
# and tests that import this module (tools/ on ``sys.path``).
from mmpose_patchsel.benchmarks.accuracy import *  # noqa: F401,F403
from mmpose_patchsel.benchmarks.accuracy import (DRY_RUN, PRESETS, STOPS,
                                                 Experiment, check_device,
                                                 default_work_dir,
                                                 draw_figures, markdown,
                                                 rederive_drops, run)
from mmpose_patchsel.analysis.results_json import write_json

#: Preset keys a command-line option overrides.
OVERRIDES = ('guide_epochs', 'warm_epochs', 'ft_epochs', 'num_train',
             'num_val', 'num_workers', 'parallel', 'device')


def parse_args() -> argparse.Namespace:
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
    parser.add_argument('--rederive-drops', metavar='RESULTS_JSON',
                        help='only derive the AP drops of a results file '
                        'again from its per-seed APs (the full model\'s AP '
                        'minus the row\'s), rewrite it and print its table')
    parser.add_argument('--figures', metavar='PREFIX',
                        help='with --table: also draw its figures, '
                        'PREFIX_ap_vs_gflops.png and '
                        'PREFIX_learning_curve.png (the README\'s: '
                        'docs/accuracy_synthetic[_gpu])')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.rederive_drops:
        with open(args.rederive_drops) as f:
            results = rederive_drops(json.load(f))
        write_json(args.rederive_drops, results)
        print(markdown(results))
        return
    if args.table:
        with open(args.table) as f:
            results = json.load(f)
        print(markdown(results))
        if args.figures:
            draw_figures(results, args.figures + '_')
        return
    preset = dict(PRESETS[args.preset], **(DRY_RUN if args.dry_run else {}))
    for key in OVERRIDES:
        if getattr(args, key) is not None:
            preset[key] = getattr(args, key)
    check_device(args.preset, preset)
    work_dir = args.work_dir or default_work_dir(
        args.preset + ('_dry_run' if args.dry_run else ''))
    run(Experiment(work_dir, preset, args.seed), args.preset, args.stop_after,
        args.results, budget_sweep=not args.no_sweep)


if __name__ == '__main__':
    main()
