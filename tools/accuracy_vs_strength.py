"""Does training-free selection cost more as the model gets stronger?

The accuracy benchmark's full model is weak (it has not converged on the
CPU), so its small training-free drops could be an artefact of weakness.
This scores the full model's checkpoints along its training (the warm
start's scored epochs, then the fine-tuned model) with the same training-
free selection at each cost point (unselected patches dropped, and merged
into one token) and writes the AP drop against the full model's own AP:
``docs/results/accuracy_strength.json`` and its figure.

Every stage is ``tools/benchmark_accuracy.py``'s, cached in the same
``--work-dir``: with that benchmark's run in place only the evaluations
run (each evaluation is cached too).

    python tools/accuracy_vs_strength.py --results docs/results/accuracy_strength.json --figure docs/accuracy_strength.png
    python tools/accuracy_vs_strength.py --table docs/results/accuracy_strength.json [--figure PNG]
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
import time
from typing import Dict, List, Optional


sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark_accuracy import (COST_TARGETS, FULL, PRESETS,  # noqa: E402
                                Experiment, default_work_dir, evaluate,
                                fine_tune, fine_tune_config, make_data,
                                selection_flops, set_budgets, train_guide,
                                warm_start)

from mmpose_patchsel.analysis.results_json import (  # noqa: E402
    command_line, write_json)
from mmpose_patchsel.synthetic import DESCRIPTION  # noqa: E402

#: The selections applied to every checkpoint: (method, merged tokens).
SELECTIONS = (('skeleton', 0), ('skeleton', 1))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--preset', choices=('cpu', 'ci'), default='cpu')
    parser.add_argument('--work-dir', help='the accuracy benchmark\'s '
                        '(default: outputs/accuracy_<preset>)')
    parser.add_argument('--epochs', type=int, nargs='+', default=None,
                        help='warm-start epochs to score (default: every '
                        'scored epoch from the second on)')
    parser.add_argument('--results', help='write the results JSON here')
    parser.add_argument('--figure', help='draw the drop-vs-AP plot here '
                        '(also with --table)')
    parser.add_argument('--table', metavar='RESULTS_JSON',
                        help='only print the markdown table of a results '
                        'file')
    return parser.parse_args()


def warm_checkpoints(work_dir: str, epochs: Optional[List[int]],
                     curve_every: int) -> Dict[int, str]:
    """The warm start's saved checkpoints by epoch (``epochs`` if given,
    else every saved one from the second scored epoch on)."""
    saved = {}
    for name in os.listdir(work_dir):
        match = re.fullmatch(r'epoch_(\d+)\.pth', name)
        if match:
            saved[int(match.group(1))] = osp.join(work_dir, name)
    wanted = epochs or [e for e in sorted(saved) if e >= 2 * curve_every]
    missing = [e for e in wanted if e not in saved]
    if missing:
        raise SystemExit(f'no warm-start checkpoint of epoch(s) {missing} in '
                         f'{work_dir} (saved: {sorted(saved)}); the warm '
                         'start keeps its scored epochs since it keeps '
                         'every checkpoint (max_keep_ckpts=-1): retrain it')
    return {e: saved[e] for e in wanted}


def score_checkpoint(exp: Experiment, label: str, ckpt: str,
                     warm: str) -> dict:
    """The full model's AP at ``ckpt`` and, at each cost point, each
    training-free selection's AP and drop (full minus selected)."""
    full = evaluate(fine_tune_config(exp, FULL, warm), ckpt,
                    cache_dir=exp.evaluations, device=exp.device)
    row = dict(checkpoint=label, path=osp.relpath(ckpt, exp.work_dir),
               AP_full=full.AP, AR_full=full.AR, points={})
    for point in COST_TARGETS:
        for method, merge in SELECTIONS:
            cfg = fine_tune_config(exp, method, warm, budget=point)
            result = evaluate(cfg, ckpt, merge=merge,
                              cache_dir=exp.evaluations, device=exp.device)
            row['points'][selection_name(point, method, merge)] = dict(
                point=point, method=method, merge=merge,
                num_keep=exp.budgets[point], AP=result.AP,
                AP_drop=full.AP - result.AP)
        exp.note(f'{label}: full AP {full.AP:.3f}, ' + ', '.join(
            f'{k} drop {v["AP_drop"]:+.3f}' for k, v in row['points'].items()
            if v['point'] == point))
    return row


def selection_name(point: str, method: str, merge: int) -> str:
    return f'{method} @{point}' + (' merged' if merge else '')


def markdown(results: dict) -> str:
    """The table of a results file: one row per checkpoint."""
    meta = results['meta']
    names = list(results['rows'][0]['points'])
    budgets = ', '.join(f'{p} K={k}' for p, k in meta['budgets'].items())
    lines = [
        f'SYNTHETIC pose data ({meta["persons_eval"]} val persons); the '
        'accuracy benchmark\'s full model along its training, each '
        f'checkpoint scored with training-free selection ({budgets} of '
        f'{meta["num_patches"]} tokens; unselected patches dropped, or '
        'merged into one token). AP drop = full AP minus selected AP '
        '(positive: accuracy lost); one seed. Not COCO numbers.', '',
        '| checkpoint | full AP | ' + ' | '.join(
            f'drop, {n}' for n in names) + ' |',
        '|---|---|' + '---|' * len(names)
    ]
    for row in results['rows']:
        lines.append(f'| {row["checkpoint"]} | {row["AP_full"]:.3f} | ' +
                     ' | '.join(f'{row["points"][n]["AP_drop"]:+.3f}'
                                for n in names) + ' |')
    return '\n'.join(lines)


def plot(results: dict, path: str) -> None:
    """AP drop against the full model's AP, one line per selection."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = sorted(results['rows'], key=lambda r: r['AP_full'])
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.2))
    full_ap = [r['AP_full'] for r in rows]
    for name in rows[0]['points']:
        first = rows[0]['points'][name]
        style = dict(ls='--' if first['merge'] else '-',
                     marker='o' if first['point'] == 'paper' else 's',
                     label=f'{name} (K={first["num_keep"]})')
        drops = [r['points'][name]['AP_drop'] for r in rows]
        axes[0].plot(full_ap, drops, **style)
        axes[1].plot(full_ap, [100 * d / a for d, a in zip(drops, full_ap)],
                     **style)
    for ax, label in zip(axes, ('AP drop (full - selected)',
                                'AP drop, % of the full model\'s AP')):
        for r in rows:
            ax.annotate(r['checkpoint'].replace('warm start ', ''),
                        (r['AP_full'], 0), textcoords='offset points',
                        xytext=(0, -12), ha='center', fontsize=7)
        ax.axhline(0, color='grey', lw=0.8)
        ax.set_xlabel('full model AP (SYNTHETIC val)')
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    fig.suptitle('Training-free selection along the full model\'s training')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    args = parse_args()
    if args.table:
        with open(args.table) as f:
            results = json.load(f)
        print(markdown(results))
        if args.figure:
            plot(results, args.figure)
        return
    start = time.perf_counter()
    preset = PRESETS[args.preset]
    exp = Experiment(args.work_dir or default_work_dir(args.preset), preset,
                     seed=0)
    with exp.stage('1 synthetic data'):
        make_data(exp)
    train_guide(exp)  # its dump is the offline guide of the selection
    warm = warm_start(exp)
    set_budgets(exp, selection_flops(exp))
    tuned = fine_tune(exp, FULL, warm, seed=0)
    checkpoints = warm_checkpoints(
        osp.dirname(warm), args.epochs,
        preset.get('curve_every', preset['warm_epochs']))
    rows = []
    with exp.stage('strength: evaluate'):
        for epoch, ckpt in checkpoints.items():
            rows.append(score_checkpoint(exp, f'warm start epoch {epoch}',
                                         ckpt, warm))
        rows.append(score_checkpoint(
            exp, f'fine-tuned (+{preset["ft_epochs"]} epochs)', tuned.ckpt,
            warm))
    cfg = fine_tune_config(exp, FULL, warm)
    w, h = cfg.codec.input_size
    meta = dict(data=DESCRIPTION, synthetic=True, preset=args.preset,
                seed=0, persons_eval=exp.persons(exp.eval_split),
                eval_split=exp.eval_split, budgets=exp.budgets,
                cost_targets=COST_TARGETS, num_patches=(w // 16) * (h // 16),
                vit=dict(cfg.model.backbone.arch),
                selections=[list(s) for s in SELECTIONS],
                command=command_line(),
                wall_seconds=time.perf_counter() - start)
    results = dict(meta=meta, rows=rows)
    if args.results:
        write_json(args.results, results)
    if args.figure:
        plot(results, args.figure)
    print('\n' + markdown(results))


if __name__ == '__main__':
    main()
