"""The study's table: one line per head, its full AP and the AP drop of
each training-free selection."""
from typing import Optional

from ..accuracy.report import pm
from .plan import SELECTIONS


def drop(row: Optional[dict]) -> str:
    """A drop cell: mean ± std over seeds; n/a for a selection not
    scored."""
    if row is None:
        return 'n/a'
    return pm(row['AP_drop'], row['AP_drop_std'], signed=True)


def markdown(results: dict) -> str:
    """The table of a ``head_norm.json``."""
    meta = results['meta']
    vit = meta['vit']
    rows = {(r['head'], r['selection']): r for r in results['rows']}
    names = [s.name for s in SELECTIONS]
    budgets = ', '.join(f'{p} K={k}' for p, k in meta['budgets'].items())
    shape = meta['head_shape']
    lines = [
        f'SYNTHETIC pose data ({meta["persons_eval"]} '
        f'{meta["eval_split"]} persons); ViT {vit["embed_dims"]}-dim x '
        f'{vit["num_layers"]} layers, 256x192, trained '
        f'{meta["warm_epochs"]} epochs from scratch with the configs\' '
        'head, then with each head below from there and each seed '
        f'({", ".join(map(str, meta["seeds"]))}): the configs\' head '
        f'{meta["ft_epochs"]} epochs (the accuracy benchmark\'s full '
        f'model), the new heads {meta["head_epochs"]} epochs '
        f'({len(shape["deconv_out_channels"])} deconvs and '
        f'{len(shape["conv_out_channels"])} 1x1 convs of '
        f'{shape["deconv_out_channels"][0]} channels, as Sapiens lays its '
        'head out). Training-free skeleton selection at the accuracy '
        f'benchmark\'s cost points ({budgets} of {meta["num_patches"]} '
        'tokens), unselected patches dropped (zeros on the grid) or '
        'merged into one token. AP drop: the same head\'s full AP minus '
        'the selected AP, seed by seed (positive: accuracy lost); mean ± '
        'sample std over seeds. Not COCO numbers.', '',
        '| head | full AP | ' + ' | '.join(f'drop, {n}' for n in names) +
        ' | fewer GFLOPs, ' + ' / '.join(meta['budgets']) + ' |',
        '|---|---|' + '---|' * len(names) + '---|'
    ]
    dropped = [s.name for s in SELECTIONS if not s.merge]
    for head in results['heads']:
        key = head['key']
        full = rows[(key, 'full')]
        cells = [drop(rows.get((key, n))) for n in names]
        saving = ' / '.join(f'{rows[(key, n)]["gflops_saving"]:.0%}'
                            for n in dropped)
        lines.append(f'| {head["label"]} | {pm(full["AP"], full["AP_std"])} '
                     f'| {" | ".join(cells)} | {saving} |')
    lines += [
        '', 'n/a: with merged tokens no position is zero, so masked_norm '
        'computes what the plain head computes. The masked head runs the '
        'InstanceNorm head\'s checkpoints; its full AP is that head\'s '
        '(with every position kept the two are the same function).'
    ]
    return '\n'.join(lines)
