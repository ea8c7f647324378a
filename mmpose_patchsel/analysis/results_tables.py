"""Markdown tables of the results JSON files under ``docs/results/``.

Each renderer takes the JSON that a tool wrote (the tool named in the
docstring) and returns the Markdown that ``README.md`` and ``docs/*.md`` show
between ``<!-- table: NAME -->`` markers; ``tools/update_tables.py`` puts
it there. Numbers are only formatted or divided here, never typed in.

AP drops are signed one way everywhere: the full model's AP minus the
row's (positive: accuracy lost).
"""
from typing import Iterable, List, Optional, Sequence

#: mmpretrain's ViT arch names, as the paper calls the models.
VIT_NAMES = {'small': 'ViT-S', 'base': 'ViT-B', 'large': 'ViT-L',
             'huge': 'ViT-H'}


def vit_label(backbone: dict) -> str:
    """'ViT-B' for a backbone config of mmpretrain's arch 'base' (or 'b'),
    '<dims>-dim x <layers> ViT' for one given as a dict."""
    arch = backbone.get('arch', 'base')
    if isinstance(arch, str):
        for name, label in VIT_NAMES.items():
            if arch.lower() in (name, name[0]):
                return label
        return f'ViT ({arch})'
    return f"ViT {arch['embed_dims']}-dim x {arch['num_layers']}"


def markdown_table(header: Sequence[str],
                   rows: Iterable[Sequence[str]]) -> List[str]:
    """The lines of a Markdown table."""
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return lines


def gflops(flops: float) -> str:
    return f'{flops / 1e9:.2f}'


def signed(mean: float, std: Optional[float] = None) -> str:
    """``+0.004 ± 0.002``: a drop with its spread (none for one seed)."""
    return f'{mean:+.3f}' + ('' if std is None else f' ± {std:.3f}')


# ------------------------------------------- accuracy (benchmark_accuracy)
def _summary_rows(results: dict) -> List[dict]:
    """The rows at a glance: full, every row trained with selection, and
    training-free skeleton selection (dropped and merged)."""
    return [
        r for r in results['rows']
        if r['method'] == 'full' or r['trained'] == 'yes' or
        r['method'] == 'skeleton'
    ]


def _method(row: dict) -> str:
    if row['method'] == 'full':
        return 'full (all patches)'
    if row['setting'].startswith(row['method']):
        return row['setting']
    return f"{row['method']}, {row['setting']}"


def _summary_table(results: dict) -> List[str]:
    meta = results['meta']
    full = next(r for r in results['rows'] if r['method'] == 'full')
    timed_on = meta.get('timed_on', 'CPU')
    # The benchmark's own drops, from the per-seed APs: right whatever
    # sign the JSON's ``AP_drop`` field has.
    from mmpose_patchsel.benchmarks.accuracy.report import ap_drops
    drops = ap_drops(results)
    rows = []
    for r in _summary_rows(results):
        drop, std = drops[r['name']]
        fewer = 1 - r['gflops_no_attn'] / full['gflops_no_attn']
        trained = {'yes': 'yes', 'no (full model)': 'no (training-free)'}
        rows.append([
            _method(r),
            '-' if r is full else trained.get(r['trained'], r['trained']),
            '-' if r is full else
            (f"merged ({r['merge']})" if r['merge'] else 'dropped'),
            f"{r['tokens']:.0f}", f"{r['gflops_no_attn']:.3f}",
            f'{fewer:.0%}',
            f"{r['speedup']:.2f}x" if r.get('speedup') else '-',
            '-' if r is full else signed(drop, std), len(r['seeds'])
        ])
    return markdown_table([
        'method', 'trained with selection', 'unselected patches',
        'tokens kept', 'GFLOPs', 'fewer GFLOPs', f'{timed_on} speed-up',
        'AP drop', 'seeds'
    ], rows)


def _summary_caption(results: dict) -> str:
    meta = results['meta']
    vit = meta['vit']
    full = next(r for r in results['rows'] if r['method'] == 'full')
    spread = f" ± {full['AP_std']:.3f}" if full.get('AP_std') else ''
    name = f"accuracy_synthetic_{meta['preset']}"
    return (
        f"**SYNTHETIC data, not COCO**: a {vit['embed_dims']}-dim x "
        f"{vit['num_layers']}-layer ViT at 256x192 (192 tokens), trained "
        f"and evaluated on generated figures ({meta['persons_eval']} "
        f"{meta['eval_split']} persons). GFLOPs per person without the "
        "attention matmuls (the paper's convention); fewer GFLOPs: against "
        "the full model in that convention. Speed-up: the whole model on "
        f"the same val batches ({meta['device']}), all rows in one run. AP "
        "drop = the full model's AP minus the row's (positive: accuracy "
        'lost), mean ± sample std over the seeds, each paired with its own '
        f"full model (one seed: the first); the full model's AP is "
        f"{full['AP']:.3f}{spread}. From `docs/results/{name}.json`, written "
        f"by `python tools/benchmark_accuracy.py --preset {meta['preset']} "
        f'--results docs/results/{name}.json`.')


def summary_table(cpu: dict, gpu: Optional[dict] = None) -> str:
    """Results at a glance, from ``tools/benchmark_accuracy.py``'s
    ``accuracy_synthetic_cpu.json``; with ``gpu`` (its
    ``accuracy_synthetic_gpu.json``) the same rows of the GPU preset
    follow in a second table."""
    lines = [_summary_caption(cpu), ''] + _summary_table(cpu)
    if gpu is not None:
        lines += ['', f"GPU preset ({gpu['meta']['device']}). "
                  + _summary_caption(gpu), ''] + _summary_table(gpu)
    return '\n'.join(lines)


# --------------------------------------------------------- get_flops.py
def _flops_label(row: dict, run: dict) -> str:
    kind = row['kind']
    if kind == 'full':
        return 'full'
    if kind == 'num_keep':
        return f"K = {row['tokens']:.0f}"
    if kind == 'keep_rate':
        return f"{run['method']}, keep {row['keep_rate']:g}"
    return (f"{run['method']}, mean over the {row['persons']} persons of "
            f"{row['data']} ({row['guide']} as guide)")


def _flops_tokens(row: dict) -> str:
    extra = row.get('joint_tokens')
    return f"{row['tokens']:.1f}" + (
        f' (+{extra} joint tokens)' if extra else '')


def flops_table(results: dict) -> str:
    """FLOPs of ``tools/get_flops.py --out``: the first run's rows, then
    the other runs' rows but their full ones, each "vs full" the ratio in
    the convention of the GFLOPs column beside it."""
    first = results['runs'][0]
    full = first['rows'][0]
    rows = []
    for i, run in enumerate(results['runs']):
        for row in run['rows']:
            if i and row['kind'] == 'full':
                continue
            no_attention = row['flops_no_attention']
            rows.append([
                _flops_label(row, run), _flops_tokens(row),
                gflops(no_attention),
                f"{no_attention / full['flops_no_attention']:.2f}",
                gflops(row['flops']), f"{row['flops'] / full['flops']:.2f}"
            ])
    w, h = first['input_size']
    lines = markdown_table([
        f"{first['model']} {h}x{w}", 'tokens', 'GFLOPs (no attention)',
        'vs full', 'GFLOPs with attention', 'vs full'
    ], rows)
    lines += [
        '', f"GFLOPs per person, one multiply-add = one FLOP; without "
        "attention is the paper's convention (mmcv-style counters do not "
        "see the attention matmuls). Params "
        f"{first['params'] / 1e6:.1f} M. Commands:", ''
    ] + [f"- `{run['command']}`" for run in results['runs']]
    return '\n'.join(lines)


def _guide_note(guide: Optional[dict]) -> str:
    if guide is None:
        return ''
    w, h = guide['input_size']
    return (f"; online guide: {gflops(guide['flops_no_attention'])} "
            f'GFLOPs more at {w}x{h}')


def configs_table(results: dict) -> str:
    """Params and GFLOPs of every config (``tools/get_flops.py
    --all-configs``)."""
    rows = [[
        f"`{c['config']}`", f"{c['params'] / 1e6:.1f}",
        '-' if c['tokens'] is None else f"{c['tokens']:.1f}",
        gflops(c['flops_no_attention']),
        gflops(c['flops']), c['tokens_from'] + _guide_note(c.get('guide'))
    ] for c in results['configs']]
    lines = markdown_table([
        'config', 'params (M)', 'tokens', 'GFLOPs (no attention)',
        'GFLOPs with attention', 'tokens from'
    ], rows)
    return '\n'.join(lines + [
        '', 'GFLOPs per person at the config\'s input size, one '
        'multiply-add = one FLOP; an online guide is counted apart, at its '
        f"own input size. `{results['command']}`"
    ])


# ---------------------------------------------------------- benchmark.py
def speed_table(results: dict) -> str:
    """Times of ``tools/benchmark.py --out``: every run's rows, speed-ups
    against the full model of the same run."""
    runs = results['runs']
    first = runs[0]
    rows = []
    for run in runs:
        w, h = run['input_size']
        rows += [[
            f"{h}x{w} {r['setting']}", f"{r['tokens']:.0f}",
            f"{r['backbone_ms']:.0f}", f"{r['backbone_speedup']:.2f}x",
            f"{r['model_ms']:.0f}", f"{r['model_speedup']:.2f}x"
        ] for r in run['rows']]
    meta = first['meta']
    timing = '; '.join(
        f"{run['input_size'][1]}x{run['input_size'][0]}: median of "
        f"{run['repeats']} rounds after {run['warmup']} warm-up" + (
            f", load average {run['meta']['load_average_1min']:.1f} on "
            f"{run['meta']['cpus']} CPUs at its start"
            if 'load_average_1min' in run['meta'] else '')
        for run in runs)
    notes = [run['meta']['note'] for run in runs if run['meta'].get('note')]
    lines = markdown_table([
        f"{first['model']}, batch {first['batch_size']}", 'tokens',
        'backbone ms', 'backbone speed-up', 'whole model ms', 'speed-up'
    ], rows)
    lines += [
        '', f"{meta['machine']}, {meta['threads']} threads, torch "
        f"{meta['torch']}; random inputs, eval, flip test "
        f"{'on' if first['flip'] else 'off'}, random kept patches. {timing}; "
        'the settings of one input size take turns in one run, so the '
        'speed-ups (each against the full model of the same run) are what '
        'to compare: the milliseconds move with the load of a shared '
        'machine.' + ''.join(f' {n}' for n in notes), '',
        'Commands:', ''
    ] + [f"- `{run['command']}`" for run in runs]
    return '\n'.join(lines)


# ---------------------------------------------------- selection_stats.py
def selection_stats_table(results: dict) -> str:
    """Kept tokens per selection setting (``tools/selection_stats.py
    --out``)."""
    total = results['num_patches']
    rows = [[
        f"`{r['setting']}`", r['persons'], f"{r['mean']:.1f}", r['min'],
        r['max'], f"{100 * r['mean'] / total:.1f}"
    ] for r in results['rows']]
    lines = markdown_table(
        ['setting', 'persons', 'mean', 'min', 'max', 'kept %'], rows)
    rows_, cols = results['grid']
    return '\n'.join(lines + [
        '', f"Kept patch tokens of {rows_}x{cols} = {total} per person on "
        f"{results['ann_file']}, guide: {results['guide']}, keypoint score "
        f"threshold {results['score_thr']}. Settings are "
        '`mode:num_neighbours[:num_keep]`. '
        f"`{results['command']}`"
    ])


# ---------------------------------------------- selection_resolution.py
def _size_label(size: dict) -> str:
    """'256x192' (h x w, as mmpose names its configs)."""
    w, h = size['input_size']
    return f'{h}x{w}'


def selection_resolution_table(results: dict) -> str:
    """Kept tokens per setting at each input size, and how the kept
    fraction changes from the first size to the last
    (``tools/selection_resolution.py --out``)."""
    sizes = results['sizes']
    header = ['setting', 'persons']
    for size in sizes:
        label = _size_label(size)
        header += [f"{label} tokens (of {size['num_patches']})",
                   f'{label} kept %']
    first, last = _size_label(sizes[0]), _size_label(sizes[-1])
    header.append(f'kept % {last} / {first}')
    rows = []
    for row in results['rows']:
        kept = [m['mean'] / size['num_patches']
                for m, size in zip(row['sizes'], sizes)]
        cells = [f"`{row['setting']}`", row['sizes'][0]['persons']]
        for m, fraction in zip(row['sizes'], kept):
            cells += [f"{m['mean']:.1f}", f'{100 * fraction:.1f}']
        rows.append(cells + [f'{kept[-1] / kept[0]:.2f}'])
    return '\n'.join(markdown_table(header, rows) + [
        '', f"Mean kept patch tokens per person on {results['ann_file']}, "
        f"guide: {results['guide']}, keypoint score threshold "
        f"{results['score_thr']}. Settings: `mode:n` counts cells "
        '(`num_neighbours`; skeleton limbs one Bresenham cell wide); '
        '`r` (`neighbour_radius`) and `limb` (`limb_radius`, default `r`) '
        'are fractions of the crop height (`r=1/16`: 16 px at 256x192, 64 '
        'px at 1024x768). A ratio near 1 keeps the same part of the crop '
        f"at both sizes. `{results['command']}`"
    ])


# ---------------------------------------------------- benchmark_video.py
def video_table(results: dict) -> str:
    """The rows of ``tools/benchmark_video.py``'s results, one table per
    model and budget; AP drop = full minus row."""
    lines = [
        f"{results['data']} Device: {results['device']}. AP: CocoMetric "
        'per clip, mean over clips; AP drop = the full model\'s AP minus '
        "the row's (positive: accuracy lost). ms / frame: median CPU time "
        'of `tracker.track` (pipeline, guide and model), the rows taking '
        'turns on every frame.', ''
    ]
    for block in results['blocks']:
        m = block['model_only']
        frames = {r['frames'] for r in block['rows'].values()}
        frames = '/'.join(str(f) for f in sorted(frames))
        lines += [
            f"**{block['model']}** (model-only speed-up at "
            f"{m['tokens']:.0f} tokens, batch {m['batch']}: "
            f"{m['speedup']:.2f}x; {frames} timed frames per row)", ''
        ]
        rows = []
        for name, r in block['rows'].items():
            of = r.get('speedup_vs_model_only')
            src = r['by_source']
            rows.append([
                name, '-' if r['AP'] is None else f"{r['AP']:.3f}",
                '-' if r.get('AP_drop') is None else signed(r['AP_drop']),
                '-' if r['tokens'] is None else f"{r['tokens']:.1f}",
                f"{r['frame_ms_median']:.1f}", f"{r['speedup']:.2f}x",
                '-' if of is None else f'{of:.2f}',
                f"{src['previous']} / {src['online']} / {src['full']}",
                r['fallbacks']
            ])
        lines += markdown_table([
            'row', 'AP', 'AP drop', 'tokens', 'ms / frame (median)',
            'speed-up', 'of model-only', 'previous / online / full',
            'fallbacks'
        ], rows) + ['']
    return '\n'.join(lines).rstrip('\n')


# ------------------------------------------- deployment/benchmark_onnx.py
def _onnx_rows(row: dict) -> List[List[str]]:
    w, h = row['input_size']
    rows = [[
        f'{h}x{w}', row['batch'], f"full ({row['patches']})",
        f"{row['full_ms']:.0f}", '1.00x', '', '', f"{row['e2e_full_ms']:.0f}",
        '1.00x'
    ]]
    for b in row['budgets']:
        rows.append([
            f'{h}x{w}', row['batch'],
            f"K={b['num_keep']} ({b['num_keep'] / row['patches']:.0%})",
            f"{b['ms']:.0f}", f"{b['speedup']:.2f}x",
            f"{b['flops_bound']:.2f}x", f"{b['of_bound']:.2f}",
            f"{b['e2e_ms']:.0f}", f"{b['e2e_speedup']:.2f}x"
        ])
    return rows


def onnx_speed_table(results: dict) -> str:
    """ONNX Runtime times of ``tools/deployment/benchmark_onnx.py``: per
    input and batch size the full model, then every budget K."""
    rows = [r for row in results['rows'] for r in _onnx_rows(row)]
    meta = results['meta']
    lines = markdown_table([
        'input', 'batch', 'tokens', 'ONNX model ms', 'speed-up',
        'FLOPs bound', 'of bound', 'end to end ms', 'end-to-end speed-up'
    ], rows)
    guide = ', '.join(
        f"{r['guide_ms']:.0f} ms at batch {r['batch']}"
        for r in results['rows']
        if r['input_size'] == results['rows'][0]['input_size'])
    eager = ', '.join(
        f"{r['input_size'][1]}x{r['input_size'][0]} batch {r['batch']}: "
        f"{r['ort_over_pytorch']:.2f}x" for r in results['rows'])
    lines += [
        '', f"{meta['machine']}, {meta['threads']} threads, onnxruntime "
        f"{meta['onnxruntime']} (CPU provider), torch {meta['torch']}. "
        f"Model `{results['config']}` at each input size, guide "
        f"`{results['guide_config']}` ({guide}), both exported with random "
        'weights (speed does not depend on them). ONNX model: the selected '
        'model alone on random crops, selection inside the graph. End to '
        'end: `patchsel_runtime` on persons of a bundled COCO image, crops, '
        'guide and decoding included. Speed-ups are against the full ONNX '
        'model of the same input and batch size, timed in the same rounds '
        '(medians); the FLOPs bound is the full model\'s GFLOPs over the '
        'selected one\'s (attention counted). The full ONNX model against '
        f'PyTorch eager: {eager}.', '', f"Command: `{results['command']}`"
    ]
    return '\n'.join(lines)


# ------------------------------------------------- cost_vs_resolution.py
def _of_bound(speedup: Optional[float], of_bound: Optional[float]) -> str:
    """``2.41x (0.93)``: a speed-up and its share of the FLOPs bound."""
    return '-' if speedup is None else f'{speedup:.2f}x ({of_bound:.2f})'


def _target_item(check: dict) -> str:
    """``text: 0.93, met`` (and its ``also`` value)."""
    if check['value'] is None:
        return f"{check['text']}: not measured"
    also = '' if check['also'] is None else \
        f" ({check['also'][0]}: {check['also_value']:.2f})"
    return (f"{check['text']}: {check['value']:.2f}, "
            f"{'met' if check['met'] else 'NOT met'}{also}")


def _targets_note(results: dict) -> str:
    """The targets of the benchmark, each with its value in ``results``."""
    from mmpose_patchsel.benchmarks.cost_resolution import (
        MODELS, target_checks)
    checks = target_checks(results)
    first = checks[0]
    w, h = first['input_size']
    label = MODELS[first['model']].label
    items = '; '.join(_target_item(c) for c in checks)
    return (f"Targets ({label} at {h}x{w}, batch 1, "
            f"{first['setting']} of the tokens): {items}.")


def cost_resolution_table(results: dict) -> str:
    """Cost of every model, input size and setting
    (``tools/cost_vs_resolution.py --out``): GFLOPs, CPU speed-ups with
    their share of the FLOPs bound, activation memory."""
    rows = []
    for cell in results['cells']:
        w, h = cell['input_size']
        for r in cell['rows']:
            rows.append([
                f"{cell['label']} {h}x{w}", r['setting'],
                f"{r['tokens']} / {cell['num_patches']}",
                gflops(r['flops']), f"{r['head_share']:.0%}",
                '-' if r['guide_share'] is None else
                f"{r['guide_share']:.0%}",
                _of_bound(r['backbone_speedup'], r['backbone_of_bound']),
                _of_bound(r['model_speedup'], r['model_of_bound']),
                _of_bound(r['with_guide_speedup'],
                          r['with_guide_of_bound']),
                f"{r['activation_mib']:.3g} "
                f"({r['activation_vs_full']:.2f})",
                f"{r['backbone_activation_mib']:.3g} "
                f"({r['backbone_activation_vs_full']:.2f})"
            ])
    lines = markdown_table([
        'model, input', 'setting', 'tokens', 'GFLOPs', 'head',
        'guide', 'backbone speed-up (of bound)',
        'whole model speed-up (of bound)', 'with guide (of bound)',
        'activations MiB (vs full)', 'backbone activations MiB (vs full)'
    ], rows)
    meta, options = results['meta'], results['options']
    sel = results['selection']
    timing = '; '.join(sorted({
        f"median of {c['repeats']} rounds after {c['warmup']} warm-up"
        for c in results['cells']}))
    loads = [c['meta']['load_average_1min'] for c in results['cells']
             if 'load_average_1min' in c['meta']]
    load = (f', load average {min(loads):.1f} to {max(loads):.1f} on '
            f"{meta['cpus']} CPUs at the cells' starts" if loads else '')
    guide = results['cells'][0]['guide']
    gw, gh = guide['input_size']
    return '\n'.join(lines + [
        '', f"{meta['machine']}, {options['threads']} threads, torch "
        f"{meta['torch']}, batch 1; {timing}{load}. Settings: the full "
        "grid; `skeleton`, the skeleton selection's natural count (its "
        f"mean kept tokens over the {sel['ann_file']} persons, "
        f"{sel['guide']} as the guide, rounded); budgets as fractions of "
        'the grid. GFLOPs with attention, one multiply-add = one FLOP; '
        'head and guide: their shares of the GFLOPs (the guide, '
        f"{gh}x{gw}, {gflops(guide['flops'])} GFLOPs, counted with the "
        'selected model). Speed-ups are against the full model of the same '
        'rounds; (of bound): the speed-up over its FLOPs bound, the full '
        "GFLOPs over the row's (backbone: the backbone's alone; with "
        'guide: the row\'s plus the guide\'s), so 1.00 is as fast as the '
        'FLOPs allow. Activations: the peak MiB of the tensors one forward '
        'holds beyond the weights and input (PyTorch\'s allocator events '
        "under torch.profiler), against the full model's; the whole "
        "model's includes the dense head's, which runs on the full grid at "
        'every setting (a tiled head follows the kept tokens: '
        'tools/head_memory.py).', '',
        _targets_note(results), '', f"Command: `{results['command']}`"
    ])
