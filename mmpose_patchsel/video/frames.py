"""Read frames from a video file or a folder of images, one at a time.

A frame that cannot be decoded comes out as ``None`` (with its index) so
that a tracker can count it and go on; a missing source or one with no
frames raises, naming it.
"""
import os
import os.path as osp
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def _image_files(folder: str) -> List[str]:
    """Sorted image files of ``folder``; a clip folder (images under
    ``frames/``) works too."""
    names = sorted(n for n in os.listdir(folder)
                   if n.lower().endswith(IMAGE_EXTENSIONS))
    if not names and osp.isdir(osp.join(folder, 'frames')):
        return _image_files(osp.join(folder, 'frames'))
    if not names:
        raise ValueError(f'{folder!r}: no images '
                         f'({", ".join(IMAGE_EXTENSIONS)}) in this folder')
    return [osp.join(folder, n) for n in names]


def _open_video(path: str) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise ValueError(f'{path!r}: OpenCV cannot open this as a video')
    return cap


def _check_exists(source: str) -> None:
    if not osp.exists(source):
        raise FileNotFoundError(f'frame source {source!r} not found')


def iter_frames(source: str) -> Iterator[Tuple[int, Optional[np.ndarray]]]:
    """Yield ``(index, BGR frame or None)`` from a video file or an image
    folder (sorted by name)."""
    _check_exists(source)
    if osp.isdir(source):
        for index, path in enumerate(_image_files(source)):
            yield index, cv2.imread(path, cv2.IMREAD_COLOR)
        return
    cap = _open_video(source)
    try:
        index = 0
        # grab() fails only at the end; retrieve() fails on a bad frame.
        while cap.grab():
            ok, frame = cap.retrieve()
            yield index, frame if ok else None
            index += 1
    finally:
        cap.release()
    if index == 0:
        raise ValueError(f'{source!r}: the video has no readable frame')


def count_frames(source: str) -> Optional[int]:
    """Number of frames (a video's own count, which may be approximate), or
    None where the container does not say."""
    _check_exists(source)
    if osp.isdir(source):
        return len(_image_files(source))
    cap = _open_video(source)
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    return count if count > 0 else None
