"""Clips with ground truth: a folder of frames and one COCO json.

A clip is ``<clip>/frames/000000.jpg, ...`` plus ``<clip>/annotations.json``
in COCO person-keypoints format, one image per frame (``id`` = frame index
+ 1, ``frame_index``, ``clip``) and persons carrying a ``track_id`` that is
stable across frames. mmpose's ``CocoDataset`` (``data_root=<clip>``,
``ann_file='annotations.json'``, ``data_prefix=dict(img='')``) and
``CocoMetric(ann_file=<clip>/annotations.json)`` read it as they are.
Pure json/numpy/cv2.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

import cv2
import numpy as np

from ..synthetic.dataset import COCO_SKELETON
from ..synthetic.figure import COCO_JOINTS

ANN_FILE = 'annotations.json'
FRAMES_DIR = 'frames'
CATEGORIES = [
    dict(id=1, name='person', supercategory='person',
         keypoints=list(COCO_JOINTS), skeleton=COCO_SKELETON)
]


def _coco_person(person: dict, frame_index: int) -> dict:
    """One COCO annotation (no ids yet) from a person dict."""
    for key in ('keypoints', 'bbox', 'track_id'):
        if key not in person:
            raise KeyError(f'frame {frame_index}: a person lacks {key!r} '
                           f'(has {sorted(person)})')
    kpts = np.asarray(person['keypoints'], np.float64).reshape(-1, 3)
    if len(kpts) != len(COCO_JOINTS):
        raise ValueError(f'frame {frame_index}: keypoints of track '
                         f'{person["track_id"]} have {len(kpts)} joints, '
                         f'expected {len(COCO_JOINTS)}')
    kpts[kpts[:, 2] <= 0] = 0  # COCO: unlabelled joints are (0, 0, 0)
    bbox = [round(float(v), 2) for v in person['bbox']]
    ann = {k: v for k, v in person.items() if k not in ('keypoints', 'bbox')}
    ann.update(
        category_id=1,
        iscrowd=int(person.get('iscrowd', 0)),
        bbox=bbox,
        area=float(person.get('area', bbox[2] * bbox[3])),
        keypoints=[round(float(v), 2) for v in kpts.reshape(-1)],
        num_keypoints=int(person.get('num_keypoints',
                                     (kpts[:, 2] > 0).sum())),
        track_id=int(person['track_id']))
    ann.pop('id', None)
    ann.pop('image_id', None)
    return ann


def write_clip(out_dir: str,
               frames: Iterable[np.ndarray],
               persons_per_frame: List[List[dict]],
               info: dict,
               name: Optional[str] = None,
               jpeg_quality: int = 92) -> str:
    """Write a clip; returns its folder.

    The folder is ``out_dir/name``, or ``out_dir`` itself when ``name`` is
    None (the clip is then named after it). ``persons_per_frame[t]`` holds
    dicts with ``keypoints`` ((17, 3) x, y, COCO visibility), ``bbox``
    (x, y, w, h) and ``track_id``; ``area`` (default: box area) and
    ``num_keypoints`` are filled in when absent; other keys are kept.
    """
    folder = out_dir if name is None else osp.join(out_dir, name)
    name = osp.basename(osp.normpath(folder))
    os.makedirs(osp.join(folder, FRAMES_DIR), exist_ok=True)
    images, annotations, size = [], [], None
    for index, frame in enumerate(frames):
        if index >= len(persons_per_frame):
            raise ValueError(f'clip {name!r}: more frames than the '
                             f'{len(persons_per_frame)} persons_per_frame')
        if frame is None or frame.ndim != 3 or frame.dtype != np.uint8:
            raise ValueError(f'clip {name!r}: frame {index} is not a BGR '
                             'uint8 image')
        if size is None:
            size = frame.shape[:2]
        elif frame.shape[:2] != size:
            raise ValueError(f'clip {name!r}: frame {index} is '
                             f'{frame.shape[:2]}, frame 0 is {size}')
        file_name = f'{FRAMES_DIR}/{index:06d}.jpg'
        cv2.imwrite(osp.join(folder, file_name), frame,
                    [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        images.append(dict(id=index + 1, file_name=file_name,
                           width=int(size[1]), height=int(size[0]),
                           frame_index=index, clip=name))
        for person in persons_per_frame[index]:
            ann = _coco_person(person, index)
            ann.update(id=len(annotations) + 1, image_id=index + 1)
            annotations.append(ann)
    if len(images) != len(persons_per_frame):
        raise ValueError(f'clip {name!r}: {len(images)} frames but '
                         f'{len(persons_per_frame)} persons_per_frame')
    if not images:
        raise ValueError(f'clip {name!r}: no frames')
    with open(osp.join(folder, ANN_FILE), 'w') as f:
        json.dump(dict(info=dict(info, clip=name), images=images,
                       annotations=annotations, categories=CATEGORIES), f)
    return folder


@dataclass
class Clip:
    """A loaded clip: frame paths and its COCO annotations."""
    folder: str
    name: str
    frame_files: List[str]
    annotations: dict
    _by_image: Dict[int, List[dict]] = field(default_factory=dict,
                                             repr=False)

    def __post_init__(self) -> None:
        for ann in self.annotations['annotations']:
            self._by_image.setdefault(ann['image_id'], []).append(ann)

    def __len__(self) -> int:
        return len(self.frame_files)

    @property
    def info(self) -> dict:
        return self.annotations.get('info', {})

    def _check(self, frame_index: int) -> None:
        if not 0 <= frame_index < len(self):
            raise IndexError(f'clip {self.name!r}: frame_index={frame_index}'
                             f' outside [0, {len(self)})')

    def persons(self, frame_index: int) -> List[dict]:
        """COCO annotation dicts of frame ``frame_index`` (0-based)."""
        self._check(frame_index)
        return self._by_image.get(frame_index + 1, [])

    def gt_boxes(self, frame_index: int) -> np.ndarray:
        """(N, 4) float32 x0, y0, x1, y1 boxes of that frame's persons."""
        boxes = np.array([a['bbox'] for a in self.persons(frame_index)],
                         np.float32).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        return boxes


def load_clip(folder: str) -> Clip:
    """Read a clip written by :func:`write_clip`."""
    ann_file = osp.join(folder, ANN_FILE)
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'clip {folder!r}: {ann_file} not found')
    with open(ann_file) as f:
        data = json.load(f)
    for key in ('images', 'annotations'):
        if key not in data:
            raise KeyError(f'{ann_file}: no {key!r} list')
    images = sorted(data['images'], key=lambda im: im['frame_index'])
    for expected, image in enumerate(images):
        if image['frame_index'] != expected or image['id'] != expected + 1:
            raise ValueError(f'{ann_file}: image {image["id"]} has '
                             f'frame_index {image["frame_index"]}, expected '
                             f'frame_index {expected} and id {expected + 1}')
    files = [osp.join(osp.abspath(folder), im['file_name']) for im in images]
    name = data.get('info', {}).get('clip',
                                    osp.basename(osp.normpath(folder)))
    return Clip(folder=folder, name=name, frame_files=files,
                annotations=data)


def load_box_file(path: str) -> Dict[int, np.ndarray]:
    """``{frame_index: (N, 5) xyxy + score}`` from a box file.

    Either COCO annotations whose images carry ``frame_index`` (a clip's
    ``annotations.json``; boxes ``bbox`` xywh, score ``score`` or 1, crowd
    boxes skipped), or a JSON object ``{frame_index: [[x1, y1, x2, y2
    (, score)], ...]}``.
    """
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict) and 'images' in data:
        if 'annotations' not in data:
            raise KeyError(f'{path}: COCO box file without "annotations"')
        frame_of = {}
        for image in data['images']:
            if 'frame_index' not in image:
                raise KeyError(f'{path}: image {image.get("id")} has no '
                               '"frame_index"; a COCO box file needs one per '
                               'image (the clip format)')
            frame_of[image['id']] = int(image['frame_index'])
        boxes = {index: [] for index in frame_of.values()}
        for ann in data['annotations']:
            if ann.get('iscrowd', 0):
                continue
            if ann['image_id'] not in frame_of:
                raise KeyError(f'{path}: annotation {ann.get("id")} has '
                               f'image_id {ann["image_id"]}, not an image')
            x, y, w, h = ann['bbox']
            boxes[frame_of[ann['image_id']]].append(
                [x, y, x + w, y + h, ann.get('score', 1.0)])
    elif isinstance(data, dict):
        boxes = {}
        for key, value in data.items():
            try:
                index = int(key)
            except ValueError:
                raise ValueError(f'{path}: key {key!r} is not a frame '
                                 'index') from None
            boxes[index] = value
    else:
        raise ValueError(f'{path}: expected COCO annotations or '
                         '{frame_index: boxes}, got a JSON '
                         f'{type(data).__name__}')
    out = {}
    for index, rows in boxes.items():
        array = np.asarray(rows, np.float32)
        if array.size == 0:
            array = np.zeros((0, 5), np.float32)
        if array.ndim != 2 or array.shape[1] not in (4, 5):
            raise ValueError(f'{path}: boxes of frame {index} must be '
                             f'[[x1, y1, x2, y2(, score)], ...], got shape '
                             f'{array.shape}')
        out[index] = array
    return out
