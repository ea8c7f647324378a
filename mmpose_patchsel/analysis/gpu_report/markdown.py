"""The GPU report's JSON as Markdown: one section per stage that ran."""
from typing import List

__all__ = ['fmt', 'report_markdown']

#: keys that identify one timed group of the speed grid.
_GROUP = ('arch', 'input', 'batch', 'dtype')


def fmt(value, digits: int = 1) -> str:
    """``-`` for None, floats at ``digits`` decimals, the rest as str."""
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.{digits}f}'
    return str(value)


def _row(*cells) -> str:
    """A Markdown table row of ``cells``."""
    return '| ' + ' | '.join(str(c) for c in cells) + ' |'


def _tests_section(tests: dict) -> List[str]:
    counts = {}
    for t in tests['tests']:
        counts[t['status']] = counts.get(t['status'], 0) + 1
    summary = ', '.join(f'{n} {s}' for s, n in sorted(counts.items()))
    lines = ['## CUDA tests', '',
             f"`{tests['command']}`: " + (summary or 'none collected') +
             f" ({tests['wall_s']} s)", '']
    lines += [f"- {t['name']}: {t['status']}" for t in tests['tests']]
    return lines + ['']


def _same_group(rows: List[dict], row: dict, setting: str) -> dict:
    return next(x for x in rows if x['setting'] == setting and all(
        x[k] == row[k] for k in _GROUP))


def _speedup_section(rows: List[dict]) -> List[str]:
    """The headline: K rows at the largest batch and the first input."""
    big = max(r['batch'] for r in rows)
    first = rows[0]['input']
    lines = [
        f'## Backbone speed-up, batch {big}, {first}, K = half the tokens',
        '', '| arch | dtype | tokens | full ms | K ms | backbone speed-up '
        '| model speed-up | with guide |', '|---|---|---|---|---|---|---|---|'
    ]
    for r in rows:
        if r['batch'] != big or r['input'] != first or r['setting'] != 'K':
            continue
        full = _same_group(rows, r, 'full')
        guide = _same_group(rows, r, 'K+guide')
        lines.append(
            _row(r['arch'], r['dtype'], f"{r['tokens']} of {full['tokens']}",
                 fmt(full['backbone_ms'], 2), fmt(r['backbone_ms'], 2),
                 fmt(r['backbone_speedup'], 2) + 'x',
                 fmt(r['model_speedup'], 2) + 'x',
                 fmt(guide['model_speedup'], 2) + 'x'))
    return lines + ['']


def _measurements_section(benchmark: List[dict]) -> List[str]:
    lines = ['## All measurements', '',
             '| arch | input | batch | dtype | setting | tokens | '
             'backbone ms | speed-up | model ms | speed-up | img/s | '
             'peak MiB |', '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in benchmark:
        group = [r[k] for k in _GROUP]
        if 'skipped' in r:
            lines.append(_row(*group, f"skipped: {r['skipped']}",
                              *[''] * 7))
            continue
        lines.append(
            _row(*group, r['setting'], r['tokens'],
                 fmt(r['backbone_ms'], 2), fmt(r['backbone_speedup'], 2),
                 fmt(r['model_ms'], 2), fmt(r['model_speedup'], 2),
                 fmt(r['img_s']), fmt(r['peak_mib'])))
    return lines + ['']


def _syncs_section(syncs: List[dict]) -> List[str]:
    lines = ['## Host synchronisations per forward', '',
             '| path | arch | batch | syncs |', '|---|---|---|---|']
    lines += [
        _row(s['path'], s['arch'], s['batch'], fmt(s['syncs']))
        for s in syncs
    ]
    return lines + ['']


def _training_section(train: dict) -> List[str]:
    return [
        '## Training', '',
        f"`{train['config']}`, {train['iterations']} iterations of "
        f"batch {train['batch']}, amp {train['amp']}: return code "
        f"{train['returncode']}, losses finite {train['losses_finite']}, "
        f"median {fmt(train['median_iter_s'], 3)} s/iteration, max "
        f"memory {fmt(train['max_memory_mib'])} MiB, "
        f"{train['wall_s']} s wall.", ''
    ]


def report_markdown(report: dict) -> str:
    """``gpu_report.md`` from the report dict (``meta`` and the stages
    ``cuda_tests``, ``benchmark``, ``host_syncs``, ``training`` that ran)."""
    meta = report['meta']
    dry = (' (DRY RUN on the CPU: tiny sizes, the numbers mean nothing)'
           if meta['dry_run'] else '')
    lines = [
        '# GPU report' + dry, '',
        f"`{meta['command']}` on {meta['device']}, torch {meta['torch']}, "
        f"CUDA {meta['cuda']}, {meta['date']}; {meta['wall_s']:.0f} s in "
        'all.', ''
    ]
    if report.get('cuda_tests'):
        lines += _tests_section(report['cuda_tests'])
    rows = [r for r in report.get('benchmark', []) if 'skipped' not in r]
    if rows:
        lines += _speedup_section(rows)
        lines += _measurements_section(report['benchmark'])
    if report.get('host_syncs'):
        lines += _syncs_section(report['host_syncs'])
    if report.get('training'):
        lines += _training_section(report['training'])
    return '\n'.join(lines)
