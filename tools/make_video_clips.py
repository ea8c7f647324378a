"""Write video clips with known ground truth (issue 14).

Two kinds, both in the clip format of :mod:`mmpose_patchsel.video.clips`
(``<clip>/frames/*.jpg`` + ``<clip>/annotations.json``, COCO with
``track_id``): synthetic clips of moving figures over a panning background
(seeded; like tools/make_synthetic_pose.py data, frame by frame) and
pan/zoom/rotate clips of the bundled COCO test photos (real pixels, ground
truth moved by a known affine).

Example::

    python tools/make_video_clips.py --out-dir data/video_clips \
        --num-synthetic 4 --frames 60 --seed 0 --preview clips.jpg
"""
import argparse
import os.path as osp

import cv2
import numpy as np

from mmpose_patchsel.synthetic import generate_sequence_clips
from mmpose_patchsel.synthetic.dataset import COCO_SKELETON
from mmpose_patchsel.video import load_clip, make_pan_zoom_clips

DEFAULT_COCO = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), '..', 'shared', 'data',
    'mmpose_testdata', 'coco')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default='data/video_clips')
    parser.add_argument('--num-synthetic', type=int, default=4,
                        help='synthetic clips (0: none)')
    parser.add_argument('--frames', type=int, default=60,
                        help='frames per clip')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--clutter', type=float, default=0.5,
                        help='as in tools/make_synthetic_pose.py')
    parser.add_argument('--coco-root', default=DEFAULT_COCO,
                        help='folder with test_coco.json and its photos '
                        '(pan/zoom clips); skipped if absent')
    parser.add_argument('--preview', help='write a contact sheet of a few '
                        'frames of each clip with the ground truth (JPEG)')
    return parser.parse_args()


def draw_ground_truth(image: np.ndarray, persons: list) -> np.ndarray:
    """Boxes, limbs, keypoints (filled: visible, hollow: occluded) and
    track ids."""
    image = image.copy()
    for ann in persons:
        k = np.array(ann['keypoints']).reshape(-1, 3)
        x, y, w, h = (int(v) for v in ann['bbox'])
        cv2.rectangle(image, (x, y), (x + w, y + h), (0, 255, 0), 1)
        cv2.putText(image, str(ann['track_id']), (x + 2, y + 12),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 255, 0), 1)
        for a, b in COCO_SKELETON:
            if k[a - 1, 2] > 0 and k[b - 1, 2] > 0:
                cv2.line(image, tuple(k[a - 1, :2].astype(int)),
                         tuple(k[b - 1, :2].astype(int)), (255, 255, 255), 1,
                         cv2.LINE_AA)
        for u, v, flag in k:
            if flag > 0:
                cv2.circle(image, (int(u), int(v)), 3, (0, 0, 255),
                           -1 if flag == 2 else 1, cv2.LINE_AA)
    return image


def write_preview(folders: list, path: str, per_clip: int = 4,
                  tile_height: int = 200) -> None:
    """One row per clip: ``per_clip`` evenly spaced frames."""
    rows = []
    for folder in folders:
        clip = load_clip(folder)
        tiles = []
        for t in np.linspace(0, len(clip) - 1, per_clip).astype(int):
            tile = draw_ground_truth(cv2.imread(clip.frame_files[t]),
                                     clip.persons(int(t)))
            scale = tile_height / tile.shape[0]
            tiles.append(cv2.resize(tile, None, fx=scale, fy=scale))
        rows.append(np.concatenate(tiles, 1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows]
    cv2.imwrite(path, np.concatenate(rows, 0))
    print(f'preview -> {path}')


def main():
    args = parse_args()
    folders = []
    if args.num_synthetic > 0:
        folders += generate_sequence_clips(
            args.out_dir, args.num_synthetic, args.frames, seed=args.seed,
            clutter=args.clutter)
    if osp.isfile(osp.join(args.coco_root, 'test_coco.json')):
        folders += make_pan_zoom_clips(args.coco_root, args.out_dir,
                                       args.frames)
    else:
        print(f'no COCO test set at {args.coco_root}: pan/zoom clips '
              'skipped')
    for folder in folders:
        anns = load_clip(folder).annotations
        tracks = len({a['track_id'] for a in anns['annotations']})
        print(f'{folder}: {len(anns["images"])} frames, '
              f'{len(anns["annotations"])} persons, {tracks} tracks')
    if args.preview and folders:
        write_preview(folders, args.preview)


if __name__ == '__main__':
    main()
