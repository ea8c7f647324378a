"""Video: clips with known ground truth and frame readers.

Pure json/numpy/cv2 (no mmengine): the clip format (:mod:`.clips`), frame
iteration over videos and image folders (:mod:`.frames`) and pan/zoom
clips of real COCO photos (:mod:`.pan_zoom`). Synthetic clips come from
:func:`mmpose_patchsel.synthetic.generate_sequence_clips`.
"""
from .clips import Clip, load_box_file, load_clip, write_clip
from .frames import count_frames, iter_frames
from .pan_zoom import (make_pan_zoom_clip, make_pan_zoom_clips,
                       pan_zoom_matrices, pan_zoom_sequence)

__all__ = [
    'Clip', 'count_frames', 'iter_frames', 'load_box_file', 'load_clip',
    'make_pan_zoom_clip', 'make_pan_zoom_clips', 'pan_zoom_matrices',
    'pan_zoom_sequence', 'write_clip'
]
