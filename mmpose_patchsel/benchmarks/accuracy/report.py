"""The benchmark's outputs: the markdown table and the figures of a
results dict, and the files of a run."""
from typing import Dict, List, Optional, Tuple

from mmpose_patchsel.analysis.results_json import write_json

from .experiment import Experiment
from .plan import FULL, VIT_TINY
from .scoring import paired_drop

#: The sign of every AP drop (positive: accuracy lost).
AP_DROP = "the full model's AP minus the row's, each seed paired with " \
    'its own full model'


def ap_drops(results: dict) -> Dict[str, Tuple[float, Optional[float]]]:
    """Each row's AP drop and its spread (:func:`paired_drop`), by row
    name, from the per-seed APs of the row and of the full row."""
    full = next(r for r in results['rows'] if r['name'] == FULL)
    full_ap = dict(zip(full['seeds'], full['AP_seeds']))
    return {r['name']: paired_drop(r['AP_seeds'], r['seeds'], full_ap)
            for r in results['rows']}


def rederive_drops(results: dict) -> dict:
    """A copy of ``results`` whose rows' ``AP_drop`` and ``AP_drop_std``
    are derived again from their per-seed APs (:func:`ap_drops`), its
    ``meta['ap_drop']`` saying their sign."""
    drops = ap_drops(results)
    rows = [dict(r, AP_drop=drops[r['name']][0],
                 AP_drop_std=drops[r['name']][1]) for r in results['rows']]
    return dict(results, meta=dict(results['meta'], ap_drop=AP_DROP),
                rows=rows)


def merged(groups: int) -> str:
    return f'merged ({groups})' if groups else 'dropped'


def pm(mean: float, std: Optional[float], signed: bool = False) -> str:
    text = f'{mean:+.3f}' if signed else f'{mean:.3f}'
    return text + (f' ± {std:.3f}' if std is not None else '')


def markdown(results: dict) -> str:
    """The table of a results.json (what the README shows)."""
    meta, guide = results['meta'], results['guide']
    vit = meta.get('vit', VIT_TINY)  # absent: the configs' ViT
    drops = ap_drops(results)
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
        'sample std over seeds; AP drop: the full model\'s AP minus the '
        'row\'s (positive: accuracy lost), each seed paired with its own '
        'full model. Not COCO numbers.', '',
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
            f'{pm(*drops[r["name"]], signed=True)} | '
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
    vit = meta.get('vit', VIT_TINY)  # absent: the configs' ViT
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
        write_json(path, results)
    draw_figures(results, exp.path(''))
    return table
