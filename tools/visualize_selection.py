"""Draw the selected patches over the model-input crops of real images.

Each row is one person, each column one selection setting; dropped patches
are dimmed, kept ones outlined, guide keypoints in red. The guide is the
dataset's own annotation (``GenerateGTGuideKeypoints``) unless
``--guide-file`` gives an offline guide.

Example::

    python tools/visualize_selection.py \
        --data-root ../shared/data/mmpose_testdata/coco \
        --ann-file test_coco.json --out outputs/selection_coco.png
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.registry import init_default_scope

from mmpose_patchsel.datasets import build_selection_dataset
from mmpose_patchsel.selection import PatchGrid
from mmpose_patchsel.visualization import PatchSelLocalVisualizer

SETTINGS = {
    'neighbour n=0': dict(mode='neighbour', num_neighbours=0),
    'neighbour n=4': dict(mode='neighbour', num_neighbours=4),
    'neighbour n=12': dict(mode='neighbour', num_neighbours=12),
    'skeleton': dict(mode='skeleton'),
    'skeleton K=96': dict(mode='skeleton', num_keep=96),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--ann-file', default='test_coco.json')
    parser.add_argument(
        '--dataset-type',
        default='CocoDataset',
        help='mmpose dataset class, e.g. CocoDataset, MpiiDataset')
    parser.add_argument('--guide-file', help='offline guide JSON')
    parser.add_argument('--input-size', type=int, nargs=2, default=[192, 256],
                        metavar=('W', 'H'))
    parser.add_argument('--num-persons', type=int, default=4)
    parser.add_argument('--out', default='outputs/selection.png')
    return parser.parse_args()


def labelled(image: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((18, image.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, image], axis=0)


def main():
    args = parse_args()
    init_default_scope('mmpose')
    input_size = tuple(args.input_size)
    grid = PatchGrid(input_size)
    visualizer = PatchSelLocalVisualizer()
    columns = []
    for name, select_cfg in SETTINGS.items():
        dataset = build_selection_dataset(args.dataset_type, args.data_root,
                                          args.ann_file, input_size,
                                          select_cfg, args.guide_file)
        tiles = []
        for i in range(min(args.num_persons, len(dataset))):
            results = dataset[i]
            crop = cv2.cvtColor(results['img'], cv2.COLOR_BGR2RGB)
            drawn = visualizer.draw_patch_selection(
                crop, results['patch_mask'], grid,
                results['patch_guide_keypoints'],
                results['patch_guide_keypoint_scores'])
            kept = int(results['patch_mask'].sum())
            tiles.append(
                labelled(drawn, f'{name}: {kept}/{grid.num_patches}'))
        columns.append(np.concatenate(tiles, axis=0))
    sheet = np.concatenate(columns, axis=1)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    cv2.imwrite(args.out, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f'wrote {args.out} ({len(columns)} settings x '
          f'{len(tiles)} persons)')


if __name__ == '__main__':
    main()
