"""Synthetic COCO-format pose data for CPU-sized accuracy benchmarks.

Pure numpy + OpenCV (no mmengine), seeded and deterministic.
"""
from .dataset import DESCRIPTION, generate_split, render_image
from .figure import COCO_JOINTS, pose_figure, sample_figure
from .sequence import generate_sequence, generate_sequence_clips

__all__ = [
    'COCO_JOINTS', 'DESCRIPTION', 'generate_sequence',
    'generate_sequence_clips', 'generate_split', 'pose_figure',
    'render_image', 'sample_figure'
]
