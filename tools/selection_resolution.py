"""Kept tokens of each selection setting at several input sizes.

A setting in cells (``num_neighbours``, one-cell Bresenham limbs) covers
less of the person on a finer grid; the resolution-aware radii
(``neighbour_radius``, ``limb_radius``: fractions of the crop height) cover
the same part at every size. For every setting and input size this prints
the mean / min / max kept tokens per person and the kept fraction of the
grid; the guide is the annotation itself unless ``--guide-file`` gives an
offline guide. ``--out`` writes the rows as JSON, what
``tools/update_tables.py`` renders the docs' table from.

Example::

    python tools/selection_resolution.py \
        --data-root ../shared/data/mmpose_testdata/coco \
        --out docs/results/selection_resolution.json
"""
import argparse
import os.path as osp
import sys
from typing import List, Tuple

import numpy as np
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from selection_stats import add_data_args, parse_settings  # noqa: E402

from mmpose_patchsel.analysis.input_size import parse_wxh  # noqa: E402
from mmpose_patchsel.analysis.results_json import (  # noqa: E402
    command_line, write_json)
from mmpose_patchsel.datasets.selection_pipeline import \
    selection_pipeline  # noqa: E402
from mmpose_patchsel.datasets.transforms import SelectPatches  # noqa: E402
from mmpose_patchsel.selection import PatchGrid  # noqa: E402

#: The cell-based settings (``neighbour:40`` is configs/sapiens' n = 4
#: scaled by hand), then resolution-aware ones: ``r=0.035`` and ``r=0.08``
#: are discs of one and five 256x192 cells' area (n = 0 and n = 4),
#: ``r=1/16`` holds the plus of n = 4 around a cell centre at 256x192,
#: ``r=1/32`` gives limbs about one 256x192 cell wide.
DEFAULT_SETTINGS = [
    'neighbour:0', 'neighbour:4', 'neighbour:40', 'skeleton:0', 'skeleton:4',
    'neighbour:r=0.035', 'neighbour:r=1/16', 'neighbour:r=0.08',
    'skeleton:r=1/32', 'skeleton:r=3/32', 'skeleton:r=0.08:limb=1/32'
]
DEFAULT_SIZES = [(192, 256), (768, 1024)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_data_args(parser)
    parser.add_argument('--input-sizes',
                        nargs='+',
                        default=DEFAULT_SIZES,
                        type=parse_wxh,
                        metavar='WxH',
                        help='model input sizes, w x h')
    parser.add_argument('--settings',
                        nargs='+',
                        default=DEFAULT_SETTINGS,
                        help='as tools/selection_stats.py: mode:n[:K] or '
                        'mode:key=value[:...] (keys n, K, r, limb)')
    parser.add_argument('--out', help='write the rows to this JSON')
    args = parser.parse_args(argv)
    args.options = parse_settings(parser, args.settings)
    return args


def guided_samples(args, input_size: Tuple[int, int]) -> List[dict]:
    """Every person's sample after ``TopdownAffine``, guide included."""
    pipeline = selection_pipeline(input_size, {}, args.guide_file)[:-1]
    dataset = DATASETS.build(
        dict(type=args.dataset_type,
             data_root=args.data_root,
             ann_file=args.ann_file,
             data_prefix=dict(img=args.img_prefix),
             test_mode=True,
             pipeline=pipeline))
    return [dataset[i] for i in range(len(dataset))]


def kept_counts(samples: List[dict], input_size: Tuple[int, int],
                options: dict, score_thr: float) -> np.ndarray:
    """Kept tokens of each sample under ``SelectPatches(**options)``."""
    select = SelectPatches(input_size,
                           with_flip_mask=False,
                           score_thr=score_thr,
                           **options)
    return np.array(
        [int(select(dict(sample))['patch_mask'].sum()) for sample in samples])


def measure(args) -> dict:
    """The results JSON: one row per setting, one entry per input size."""
    rows = [
        dict(setting=text, options=options, sizes=[])
        for text, options in zip(args.settings, args.options)
    ]
    sizes = []
    for input_size in args.input_sizes:
        grid = PatchGrid(input_size)
        sizes.append(
            dict(input_size=list(input_size),
                 grid=[grid.rows, grid.cols],
                 num_patches=grid.num_patches))
        samples = guided_samples(args, input_size)
        print(f'{input_size[0]}x{input_size[1]}: grid {grid.rows}x'
              f'{grid.cols} = {grid.num_patches} patches, '
              f'{len(samples)} persons')
        print(f'{"setting":<30}{"mean":>8}{"min":>6}{"max":>6}{"kept %":>8}')
        for row in rows:
            counts = kept_counts(samples, input_size, row['options'],
                                 args.score_thr)
            row['sizes'].append(
                dict(persons=len(counts),
                     mean=float(counts.mean()),
                     min=int(counts.min()),
                     max=int(counts.max())))
            print(f"{row['setting']:<30}{counts.mean():>8.1f}"
                  f'{counts.min():>6}{counts.max():>6}'
                  f'{100 * counts.mean() / grid.num_patches:>8.1f}')
    return dict(tool='tools/selection_resolution.py',
                command=command_line(),
                data_root=args.data_root,
                ann_file=osp.join(osp.basename(osp.normpath(args.data_root)),
                                  args.ann_file),
                guide=args.guide_file or 'annotation (ground truth)',
                score_thr=args.score_thr,
                sizes=sizes,
                rows=rows)


def main(argv=None):
    args = parse_args(argv)
    init_default_scope('mmpose')
    results = measure(args)
    if args.out:
        write_json(args.out, results)
        print(f'-> {args.out}')


if __name__ == '__main__':
    main()
