"""What users call at run time: pose tracking guided by the previous
frame (:class:`PatchSelPoseTracker`) and guide dumps for offline selection
(:func:`dump_guide`)."""
from .guide_dump import dump_guide
from .pose_tracker import PatchSelPoseTracker, TrackerStats
from .tracking import bbox_iou, box_from_keypoints, match_boxes

__all__ = [
    'dump_guide', 'PatchSelPoseTracker', 'TrackerStats', 'bbox_iou',
    'box_from_keypoints', 'match_boxes'
]
