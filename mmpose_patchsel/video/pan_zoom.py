"""Clips of real pixels with exact ground truth: a virtual camera that
pans, zooms and rotates over one annotated COCO photo.

Frame ``t`` is ``cv2.warpAffine(photo, A_t)`` with a known affine ``A_t``
that varies smoothly (sinusoids of one period): zoom 1.0 -> 1.6 -> 1.0,
rotation within +-10 degrees, a pan that keeps the view on the photo.
Keypoints move by the same ``A_t``; a keypoint that leaves the frame gets
v=0 and a person with no labelled keypoint left is dropped from that frame.
Boxes are the box of the person's segmentation polygon warped by ``A_t`` and
rasterised in the frame (so a box stays tight under rotation and clipping
and its ``area`` is the visible segment area, as COCO's); without a polygon
the warped box corners, clipped to the frame, are used.
"""
import json
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .clips import write_clip

DESCRIPTION = ('TRANSFORMED PHOTO clip made by mmpose_patchsel.video.pan_zoom:'
               ' the COCO photo {image} warped per frame by a known affine '
               '(smooth pan, zoom {zoom[0]}-{zoom[1]}, rotation +-{rotation}'
               ' deg); ground truth = its COCO annotations moved by the same '
               'affine (info.affines, source to frame).')


def pan_zoom_matrices(num_frames: int,
                      src_size: Tuple[int, int],
                      out_size: Optional[Tuple[int, int]] = None,
                      period: Optional[float] = None,
                      zoom: Tuple[float, float] = (1.0, 1.6),
                      rotation: float = 10.0,
                      pan: float = 0.9,
                      phase: float = 0.0) -> np.ndarray:
    """(num_frames, 2, 3) affines from photo pixels to frame pixels.

    ``src_size``/``out_size`` are (width, height); ``period`` (frames,
    default ``num_frames``) is one cycle of zoom, rotation and pan; ``pan``
    is the fraction of the room left by the zoom that the view centre uses.
    """
    if num_frames < 1:
        raise ValueError(f'num_frames={num_frames}: need at least 1')
    src_w, src_h = src_size
    out_w, out_h = out_size or src_size
    period = float(period or num_frames)
    mats = np.zeros((num_frames, 2, 3))
    for t in range(num_frames):
        u = 2 * np.pi * t / period + phase
        z = zoom[0] + (zoom[1] - zoom[0]) * (1 - np.cos(u)) / 2
        room_x = max(src_w - out_w / z, 0.0) / 2
        room_y = max(src_h - out_h / z, 0.0) / 2
        cx = src_w / 2 + pan * room_x * np.sin(u + 1.0)
        cy = src_h / 2 + pan * room_y * np.sin(2 * u + 0.5)
        mat = cv2.getRotationMatrix2D((cx, cy), rotation * np.sin(u), z)
        mat[:, 2] += (out_w / 2 - cx, out_h / 2 - cy)
        mats[t] = mat
    return mats


def _warp_points(points: np.ndarray, mat: np.ndarray) -> np.ndarray:
    return points @ mat[:, :2].T + mat[:, 2]


def transform_person(ann: dict, mat: np.ndarray, out_size: Tuple[int, int],
                     track_id: int) -> Optional[dict]:
    """A COCO person moved by ``mat`` into a (width, height) frame; None
    when none of its labelled keypoints stays inside."""
    w, h = out_size
    kpts = np.asarray(ann['keypoints'], np.float64).reshape(-1, 3).copy()
    kpts[:, :2] = _warp_points(kpts[:, :2], mat)
    inside = ((kpts[:, 0] >= 0) & (kpts[:, 0] <= w - 1) & (kpts[:, 1] >= 0)
              & (kpts[:, 1] <= h - 1))
    kpts[(kpts[:, 2] <= 0) | ~inside] = 0
    if not (kpts[:, 2] > 0).any():
        return None
    box, area = None, 0.0
    seg = ann.get('segmentation')
    if isinstance(seg, list) and seg:
        mask = np.zeros((h, w), np.uint8)
        polys = [
            np.round(_warp_points(np.reshape(p, (-1, 2)), mat) *
                     16).astype(np.int32) for p in seg if len(p) >= 6
        ]
        cv2.fillPoly(mask, polys, 1, lineType=cv2.LINE_8, shift=4)
        ys, xs = np.nonzero(mask)
        if len(xs):
            box = [float(xs.min()), float(ys.min()),
                   float(xs.max() + 1 - xs.min()),
                   float(ys.max() + 1 - ys.min())]
            area = float(len(xs))
    if box is None:  # no polygon (or it left the frame): the box corners
        x, y, bw, bh = ann['bbox']
        corners = _warp_points(
            np.array([[x, y], [x + bw, y], [x, y + bh], [x + bw, y + bh]]),
            mat)
        lo, hi = corners.min(0), corners.max(0)
        clo, chi = np.clip(lo, 0, [w, h]), np.clip(hi, 0, [w, h])
        full = max(float(np.prod(hi - lo)), 1e-6)
        kept = float(np.prod(chi - clo))
        box = [float(clo[0]), float(clo[1]), *(chi - clo).tolist()]
        area = (float(ann.get('area', bw * bh)) *
                abs(np.linalg.det(mat[:, :2])) * kept / full)
    return dict(keypoints=kpts, bbox=box, area=area, track_id=track_id)


def pan_zoom_sequence(image: np.ndarray,
                      persons: Sequence[dict],
                      num_frames: int,
                      out_size: Optional[Tuple[int, int]] = None,
                      **motion) -> Tuple[List[np.ndarray], List[List[dict]],
                                         np.ndarray]:
    """Frames, per-frame persons (track_id = index in ``persons``) and the
    affines of one photo; ``motion`` goes to :func:`pan_zoom_matrices`.
    Crowd annotations are left out."""
    src_size = (image.shape[1], image.shape[0])
    out_size = tuple(out_size or src_size)
    mats = pan_zoom_matrices(num_frames, src_size, out_size, **motion)
    frames, per_frame = [], []
    for mat in mats:
        frames.append(
            cv2.warpAffine(image, mat, out_size, flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT))
        moved = (transform_person(ann, mat, out_size, index)
                 for index, ann in enumerate(persons)
                 if not ann.get('iscrowd', 0))
        per_frame.append([p for p in moved if p is not None])
    return frames, per_frame, mats


def make_pan_zoom_clip(image_file: str,
                       persons: Sequence[dict],
                       num_frames: int,
                       out_dir: str,
                       name: Optional[str] = None,
                       out_size: Optional[Tuple[int, int]] = None,
                       **motion) -> str:
    """Write one pan/zoom clip of ``image_file`` (its COCO person
    annotations in ``persons``); returns the clip folder
    (``out_dir/name``, name default ``pan_zoom_<photo stem>``)."""
    image = cv2.imread(image_file, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f'{image_file!r}: missing or not an image')
    frames, per_frame, mats = pan_zoom_sequence(image, persons, num_frames,
                                                out_size, **motion)
    stem = osp.splitext(osp.basename(image_file))[0]
    settings = dict(zoom=motion.get('zoom', (1.0, 1.6)),
                    rotation=motion.get('rotation', 10.0))
    info = dict(
        description=DESCRIPTION.format(image=osp.basename(image_file),
                                       **settings),
        synthetic=False,
        generator='mmpose_patchsel.video.pan_zoom',
        source_image=osp.basename(image_file),
        num_frames=num_frames,
        motion=dict(motion, **settings),
        affines=np.round(mats, 6).tolist())
    return write_clip(out_dir, frames, per_frame, info,
                      name=name or f'pan_zoom_{stem}')


def make_pan_zoom_clips(coco_root: str,
                        out_dir: str,
                        num_frames: int,
                        ann_file: str = 'test_coco.json',
                        **motion) -> List[str]:
    """One clip per photo of ``coco_root/ann_file`` that has a person with
    labelled keypoints (photos beside the json); returns the folders."""
    path = osp.join(coco_root, ann_file)
    if not osp.isfile(path):
        raise FileNotFoundError(f'COCO annotations {path!r} not found')
    with open(path) as f:
        coco = json.load(f)
    folders = []
    for image in sorted(coco['images'], key=lambda im: im['id']):
        anns = [a for a in coco['annotations']
                if a['image_id'] == image['id'] and a.get('category_id') == 1]
        if not any(a.get('num_keypoints', 0) > 0 for a in anns):
            continue
        folders.append(
            make_pan_zoom_clip(osp.join(coco_root, image['file_name']), anns,
                               num_frames, out_dir, **motion))
    return folders
