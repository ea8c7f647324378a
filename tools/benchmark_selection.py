"""Time patch selection per person: numpy reference vs batched torch.

Random COCO-like guides (17 joints, COCO skeleton) for a batch of persons on
a ViTPose grid; prints microseconds per person for every mode, with and
without a budget. Example::

    python tools/benchmark_selection.py --batch-size 64
"""
import argparse
import timeit

import numpy as np
import torch

from mmpose_patchsel.selection import (PatchGrid, select_patches,
                                       select_patches_batched)

# COCO skeleton_links from mmpose's coco.py metainfo (0-based).
COCO_LINKS = [(15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11),
              (6, 12), (5, 6), (5, 7), (6, 8), (7, 9), (8, 10), (1, 2),
              (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--input-size', type=int, nargs=2, default=[192, 256],
                        metavar=('W', 'H'))
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    return parser.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    grid = PatchGrid(tuple(args.input_size))
    rng = np.random.default_rng(0)
    size = np.array(args.input_size, np.float32)
    keypoints = (rng.random((args.batch_size, 17, 2)) * 1.1 - 0.05) * size
    scores = rng.random((args.batch_size, 17)).astype(np.float32)
    kpts_t, scores_t = torch.from_numpy(keypoints), torch.from_numpy(scores)
    half = grid.num_patches // 2
    settings = {
        'neighbour n=4': dict(mode='neighbour', num_neighbours=4),
        f'neighbour n=4 K={half}': dict(
            mode='neighbour', num_neighbours=4, num_keep=half),
        'skeleton': dict(mode='skeleton', skeleton_links=COCO_LINKS),
        f'skeleton K={half}': dict(
            mode='skeleton', skeleton_links=COCO_LINKS, num_keep=half),
    }
    print(f'grid {grid.rows}x{grid.cols}, batch {args.batch_size}, '
          f'{torch.get_num_threads()} torch thread(s); best of '
          f'{args.repeats}; microseconds per person')
    print(f'{"setting":<24}{"numpy":>10}{"torch":>10}')
    for name, opts in settings.items():

        def run_numpy():
            for b in range(args.batch_size):
                select_patches(grid, keypoints[b], scores[b], **opts)

        def run_torch():
            select_patches_batched(grid, kpts_t, scores_t, **opts)

        per_person = [
            min(timeit.repeat(fn, number=1, repeat=args.repeats)) /
            args.batch_size * 1e6 for fn in (run_numpy, run_torch)
        ]
        print(f'{name:<24}{per_person[0]:>10.1f}{per_person[1]:>10.1f}')


if __name__ == '__main__':
    main()
