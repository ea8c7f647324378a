"""Time patch selection: per sample in the data pipeline, per batch online.

Random COCO-like guides (17 joints, COCO skeleton) on a ViTPose grid. Prints
microseconds per call of ``select_patches_batched`` at batch 1 (a training
sample in ``SelectPatches``), batch 2 (a test sample and its flip, one call)
and ``--batch-size`` (the online guide), for every mode, with and without a
budget. Example::

    python tools/benchmark_selection.py --batch-size 64 --repeats 5
"""
import argparse
import timeit

import numpy as np
import torch

from mmpose_patchsel.selection import PatchGrid, select_patches_batched

# COCO skeleton_links from mmpose's coco.py metainfo (0-based).
COCO_LINKS = [(15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11),
              (6, 12), (5, 6), (5, 7), (6, 8), (7, 9), (8, 10), (1, 2), (0, 1),
              (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--input-size',
                        type=int,
                        nargs=2,
                        default=[192, 256],
                        metavar=('W', 'H'))
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    grid = PatchGrid(tuple(args.input_size))
    rng = np.random.default_rng(0)
    size = np.array(args.input_size, np.float32)
    batch = max(args.batch_size, 2)
    keypoints = torch.from_numpy(((rng.random((batch, 17, 2)) * 1.1 - 0.05) *
                                  size).astype(np.float32)).to(args.device)
    scores = torch.from_numpy(rng.random(
        (batch, 17)).astype(np.float32)).to(args.device)
    half = grid.num_patches // 2
    settings = {
        'neighbour n=4':
        dict(mode='neighbour', num_neighbours=4),
        f'neighbour n=4 K={half}':
        dict(mode='neighbour', num_neighbours=4, num_keep=half),
        'skeleton':
        dict(mode='skeleton', skeleton_links=COCO_LINKS),
        f'skeleton K={half}':
        dict(mode='skeleton', skeleton_links=COCO_LINKS, num_keep=half),
    }
    sizes = (1, 2, args.batch_size)
    print(f'grid {grid.rows}x{grid.cols}, {args.device}, '
          f'{torch.get_num_threads()} torch thread(s), best of '
          f'{args.repeats}; microseconds per call of select_patches_batched '
          f'(and per person at batch {args.batch_size})')
    print(f'{"setting":<24}' + ''.join(f'{f"batch {b}":>10}'
                                       for b in sizes) + f'{"/person":>10}')
    for name, opts in settings.items():
        times = []
        for b in sizes:

            def run(b=b):
                masks = select_patches_batched(grid, keypoints[:b], scores[:b],
                                               **opts).masks
                masks.cpu()  # waits for the device

            run()  # warm-up: tables, kernels
            times.append(
                min(timeit.repeat(run, number=10, repeat=args.repeats)) / 10 *
                1e6)
        print(f'{name:<24}' + ''.join(f'{t:>10.0f}' for t in times) +
              f'{times[-1] / args.batch_size:>10.1f}')


if __name__ == '__main__':
    main()
