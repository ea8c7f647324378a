"""The benchmark's results read back: the targets and the figure."""
import os
import os.path as osp
from typing import List, Optional

from .plan import TARGETS


def find_row(results: dict, model: str, input_size,
             setting: str) -> Optional[dict]:
    """The row of ``setting`` in the cell of ``model`` at ``input_size``
    (w, h); None when that cell was not measured."""
    for cell in results['cells']:
        if cell['model'] == model and \
                tuple(cell['input_size']) == tuple(input_size):
            return next(r for r in cell['rows'] if r['setting'] == setting)
    return None


def target_checks(results: dict) -> List[dict]:
    """Each of :data:`.plan.TARGETS` with its measured ``value``, whether
    it is ``met`` (both None where its cell is not in ``results``) and the
    value of its ``also`` key (``also_value``)."""
    checks = []
    for target in TARGETS:
        row = find_row(results, target.model, target.input_size,
                       target.setting)
        value = None if row is None else row[target.key]
        also = None if row is None or target.also is None else \
            row[target.also[1]]
        checks.append(
            dict(target._asdict(),
                 value=value,
                 also_value=also,
                 met=None if value is None else target.met(value)))
    return checks


def plot(results: dict, path: str) -> None:
    """Whole-model speed-up against the input size, one line per model, at
    the smallest budget and at skeleton's natural count; each with its
    FLOPs bound dashed."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    cells = results['cells']
    budget = results['options']['budgets'][-1]
    panels = ((f'{budget:.0%}', f'{budget:.0%} of the tokens'),
              ('skeleton', "skeleton's natural count"))
    models = list(dict.fromkeys(c['model'] for c in cells))
    sizes = sorted({tuple(c['input_size'])
                    for c in cells},
                   key=lambda s: s[0] * s[1])
    x = {size: i for i, size in enumerate(sizes)}
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.2), sharey=True)
    for ax, (setting, title) in zip(axes, panels):
        for i, model in enumerate(models):
            mine = sorted((c for c in cells if c['model'] == model),
                          key=lambda c: x[tuple(c['input_size'])])
            xs = [x[tuple(c['input_size'])] for c in mine]
            rows = [
                next(r for r in c['rows'] if r['setting'] == setting)
                for c in mine
            ]
            colour = f'C{i}'
            ax.plot(xs, [r['model_speedup'] for r in rows],
                    '-o',
                    color=colour,
                    label=f"{mine[0]['label']} measured")
            ax.plot(xs, [r['flops_bound'] for r in rows],
                    '--x',
                    color=colour,
                    label=f"{mine[0]['label']} FLOPs bound")
        ax.set_xticks(range(len(sizes)))
        ax.set_xticklabels([f'{h}x{w}' for w, h in sizes])
        ax.set_xlabel('input size (h x w)')
        ax.set_title(title)
        ax.set_yscale('log')
        ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f'{v:g}x'))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.axhline(1, color='grey', lw=0.8)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel('whole-model speed-up over the full grid (CPU)')
    axes[0].legend(fontsize=7)
    fig.suptitle('Speed-up of selection against input size, batch 1')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
