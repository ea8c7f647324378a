"""Generate the synthetic COCO-format pose dataset (seeded, deterministic).

Writes ``<out-dir>/images/{train,val}/*.jpg`` and
``<out-dir>/annotations/synthetic_pose_{train,val}.json``. The JSON's
``info`` block says the data is synthetic. Train and val come from
different random streams of the same seed, so they never share an image.

Example::

    python tools/make_synthetic_pose.py --out-dir data/synthetic_pose \
        --num-train 1500 --num-val 250 --seed 0
"""
import argparse
import json
import os.path as osp
import time

import cv2
import numpy as np

from mmpose_patchsel.synthetic import generate_split
from mmpose_patchsel.synthetic.dataset import (CENTRE_X, COCO_SKELETON,
                                               PERSON_HEIGHT)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default='data/synthetic_pose')
    parser.add_argument('--num-train', type=int, default=1500)
    parser.add_argument('--num-val', type=int, default=250)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--width', type=int, default=320)
    parser.add_argument('--height', type=int, default=256)
    parser.add_argument('--clutter', type=float, default=0.5,
                        help='0: plain backgrounds, no occluders; 1: busiest')
    parser.add_argument('--person-height', type=float, nargs=2,
                        default=PERSON_HEIGHT, metavar=('LO', 'HI'),
                        help='figure heights, fractions of the image height')
    parser.add_argument('--centre-x', type=float, nargs=2, default=CENTRE_X,
                        metavar=('LO', 'HI'),
                        help='figure centres, fractions of the width; '
                        'beyond [0, 1] cuts figures at the border')
    parser.add_argument('--shards', type=int, default=1,
                        help='random streams per split (the data depends '
                        'on it); 1: the original single stream')
    parser.add_argument('--workers', type=int, default=1,
                        help='processes rendering the shards at once (the '
                        'data does not depend on it)')
    parser.add_argument('--preview', help='also write a sheet of the first '
                        'train images with their annotations (JPEG)')
    return parser.parse_args()


def summary(path: str) -> str:
    with open(path) as f:
        data = json.load(f)
    flags = np.array([a['keypoints'][2::3] for a in data['annotations']])
    return (f'{len(data["images"])} images, {len(flags)} persons, '
            f'keypoints visible {np.mean(flags == 2):.0%} / occluded '
            f'{np.mean(flags == 1):.0%} / outside {np.mean(flags == 0):.0%}')


def write_preview(out_dir: str, path: str, count: int = 8) -> None:
    """The first ``count`` train images: boxes, limbs, visible keypoints
    filled, occluded ones hollow."""
    with open(osp.join(out_dir, 'annotations',
                       'synthetic_pose_train.json')) as f:
        data = json.load(f)
    tiles = []
    for info in data['images'][:count]:
        image = cv2.imread(osp.join(out_dir, 'images', info['file_name']))
        for ann in data['annotations']:
            if ann['image_id'] != info['id']:
                continue
            k = np.array(ann['keypoints']).reshape(-1, 3)
            x, y, w, h = (int(v) for v in ann['bbox'])
            cv2.rectangle(image, (x, y), (x + w, y + h), (0, 255, 0), 1)
            for a, b in COCO_SKELETON:
                if k[a - 1, 2] > 0 and k[b - 1, 2] > 0:
                    cv2.line(image, tuple(k[a - 1, :2].astype(int)),
                             tuple(k[b - 1, :2].astype(int)),
                             (255, 255, 255), 1, cv2.LINE_AA)
            for u, v, flag in k:
                if flag > 0:
                    cv2.circle(image, (int(u), int(v)), 3, (0, 0, 255),
                               -1 if flag == 2 else 1, cv2.LINE_AA)
        tiles.append(image)
    rows = [np.concatenate(tiles[i:i + 4], 1) for i in range(0, len(tiles), 4)]
    cv2.imwrite(path, np.concatenate(rows, 0), [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f'preview -> {path}')


def main():
    args = parse_args()
    for split, num in (('train', args.num_train), ('val', args.num_val)):
        start = time.perf_counter()
        path = generate_split(args.out_dir, split, num, args.seed,
                              args.width, args.height, args.clutter,
                              tuple(args.person_height), tuple(args.centre_x),
                              min(args.shards, num), args.workers)
        print(f'SYNTHETIC {split}: {summary(path)} -> {path} '
              f'({time.perf_counter() - start:.0f}s)', flush=True)
    if args.preview:
        write_preview(args.out_dir, args.preview)


if __name__ == '__main__':
    main()
