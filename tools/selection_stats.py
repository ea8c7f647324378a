"""How many patches each selection setting keeps over a dataset.

Prints mean / min / max kept tokens per setting, so the FLOPs a setting will
give can be judged before training. The guide is the annotation itself
unless ``--guide-file`` gives an offline guide.

``--out`` writes the rows as JSON, what ``tools/update_tables.py``
renders the docs' selection table from.

Example::

    python tools/selection_stats.py \
        --data-root ../shared/data/mmpose_testdata/coco --ann-file test_coco.json \
        --out docs/results/selection_stats.json
"""
import argparse
import os.path as osp

import numpy as np
from mmengine.registry import init_default_scope

from mmpose_patchsel.analysis.results_json import command_line, write_json
from mmpose_patchsel.datasets import build_selection_dataset
from mmpose_patchsel.selection import PatchGrid, SelectionOptions

DEFAULT_SETTINGS = [
    'neighbour:0', 'neighbour:4', 'neighbour:8', 'neighbour:12',
    'skeleton:0', 'skeleton:4'
]

#: ``key=value`` items of a setting and the option each one sets.
SETTING_KEYS = dict(n='num_neighbours',
                    K='num_keep',
                    r='neighbour_radius',
                    limb='limb_radius')


def _setting_value(key: str, text: str):
    """An int for ``n``/``K``; a number or a fraction ``a/b`` for radii."""
    if key in ('n', 'K'):
        return int(text)
    num, _, den = text.partition('/')
    return float(num) / float(den) if den else float(text)


def parse_setting(text: str) -> dict:
    """``mode:num_neighbours[:num_keep]`` or ``mode:key=value[:...]`` (keys
    ``n``, ``K``, ``r`` = ``neighbour_radius``, ``limb`` = ``limb_radius``,
    radii as fractions of the crop height, e.g. ``r=1/16``) ->
    ``SelectPatches`` options."""
    parts = text.split(':')
    need = (f'bad setting {text!r}: expected mode:n[:K] or '
            'mode:key=value[:key=value...] (mode neighbour or skeleton; '
            f'keys {", ".join(SETTING_KEYS)})')
    if len(parts) < 2 or parts[0] not in ('neighbour', 'skeleton'):
        raise argparse.ArgumentTypeError(need)
    cfg = dict(mode=parts[0])
    try:
        if not any('=' in p for p in parts[1:]):
            if len(parts) > 3:
                raise ValueError('n and K are the only positional items')
            cfg.update(zip(('num_neighbours', 'num_keep'),
                           map(int, parts[1:])))
        for item in parts[1:] if '=' in text else ():
            key, sep, value = item.partition('=')
            if not sep or key not in SETTING_KEYS \
                    or SETTING_KEYS[key] in cfg:
                raise ValueError(f'{item!r} is not key=value with a known '
                                 'key, each key once')
            cfg[SETTING_KEYS[key]] = _setting_value(key, value)
        SelectionOptions(**cfg)
    except (TypeError, ValueError, ZeroDivisionError) as error:
        raise argparse.ArgumentTypeError(f'{need}: {error}') from None
    return cfg


def add_data_args(parser: argparse.ArgumentParser) -> None:
    """The persons selected on: a dataset, its guide and the score floor."""
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--ann-file', default='test_coco.json')
    parser.add_argument('--img-prefix', default='')
    parser.add_argument('--dataset-type', default='CocoDataset')
    parser.add_argument('--guide-file', help='offline guide JSON')
    parser.add_argument('--score-thr', type=float, default=0.3)


def parse_settings(parser: argparse.ArgumentParser, texts: list) -> list:
    """``parse_setting`` of each ``--settings`` item, before any dataset is
    built; a bad one ends the command with its error."""
    try:
        return [parse_setting(text) for text in texts]
    except argparse.ArgumentTypeError as error:
        parser.error(f'--settings: {error}')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_data_args(parser)
    parser.add_argument('--input-size', type=int, nargs=2, default=[192, 256],
                        metavar=('W', 'H'))
    parser.add_argument(
        '--settings', nargs='+', default=DEFAULT_SETTINGS,
        help='mode:num_neighbours[:num_keep] or mode:key=value[:...] '
        'items (keys n, K, r, limb; e.g. skeleton:limb=1/32:K=96)')
    parser.add_argument('--out', help='write the rows to this JSON')
    args = parser.parse_args()
    parse_settings(parser, args.settings)
    return args


def kept_counts(args, select_cfg: dict) -> np.ndarray:
    dataset = build_selection_dataset(
        args.dataset_type, args.data_root, args.ann_file,
        tuple(args.input_size), dict(select_cfg, score_thr=args.score_thr),
        args.guide_file, args.img_prefix)
    return np.array(
        [dataset[i]['patch_mask'].sum() for i in range(len(dataset))])


def main():
    args = parse_args()
    init_default_scope('mmpose')
    grid = PatchGrid(tuple(args.input_size))
    guide = args.guide_file or 'annotation (ground truth)'
    print(f'{args.ann_file}: grid {grid.rows}x{grid.cols} = '
          f'{grid.num_patches} patches, guide: {guide}')
    print(f'{"setting":<22}{"persons":>8}{"mean":>8}{"min":>6}{"max":>6}'
          f'{"kept %":>8}')
    rows = []
    for text in args.settings:
        counts = kept_counts(args, parse_setting(text))
        rows.append(dict(setting=text, persons=len(counts),
                         mean=float(counts.mean()), min=int(counts.min()),
                         max=int(counts.max())))
        print(f'{text:<22}{len(counts):>8}{counts.mean():>8.1f}'
              f'{counts.min():>6}{counts.max():>6}'
              f'{100 * counts.mean() / grid.num_patches:>8.1f}')
    if args.out:
        write_json(args.out, dict(
            tool='tools/selection_stats.py', command=command_line(),
            data_root=args.data_root, ann_file=osp.join(
                osp.basename(osp.normpath(args.data_root)), args.ann_file),
            input_size=list(args.input_size), grid=[grid.rows, grid.cols],
            num_patches=grid.num_patches, guide=guide,
            score_thr=args.score_thr, rows=rows))
        print(f'-> {args.out}')


if __name__ == '__main__':
    main()
