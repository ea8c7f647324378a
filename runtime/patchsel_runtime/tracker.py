"""Video: each track's previous pose guides its patches on the next frame.

A numpy port of the logic of mmpose-patchsel's PyTorch
``PatchSelPoseTracker`` for exported models. The caller gives the boxes of
each frame (from any detector, with its own track ids or not); a track's box
on the next frame comes from its previous keypoints. Persons whose track has
a usable previous pose run the "selected" model with that pose as the
guide, warped into the new crop; new tracks and weak poses fall back to the
guide model.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .pipeline import PatchSelPose, check_bboxes, check_image
from .tracking import bbox_iou, box_from_keypoints, match_boxes

__all__ = ['PatchSelPoseTracker', 'FramePoses']


@dataclass
class FramePoses:
    """The persons of one frame, in the order of the boxes.

    Attributes:
        keypoints: ``(P, J, 2)`` float32 image pixels.
        scores: ``(P, J)`` float32.
        bboxes: ``(P, 4)`` float32 xyxy boxes the poses were estimated in.
        track_ids: ``(P,)`` int64.
        sources: per person, what guided it: ``'previous'`` (its track's
            previous pose), ``'guide'`` (the guide model) or ``'full'`` (a
            full model, no guide).
    """

    keypoints: np.ndarray
    scores: np.ndarray
    bboxes: np.ndarray
    track_ids: np.ndarray
    sources: List[str] = field(default_factory=list)


@dataclass
class _Track:
    track_id: int
    bbox: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray


class PatchSelPoseTracker:
    """Track persons over frames; guide each one with its previous pose.

    Args:
        pipeline (PatchSelPose): a "selected" model with a guide model (new
            tracks need one), or a "full" model (tracking only).
        min_pose_score (float): a previous pose whose mean score is below
            this does not guide; the guide model does.
        kpt_thr (float): keypoints scored above this make a track's box.
        box_padding (float): the box from keypoints is scaled by this.
        match_thr (float): least IoU of a box and a track's box to continue
            the track (without ``track_ids``).
        refresh_interval (int): > 0: every this many frames every person
            gets the guide model, against drift.
    """

    def __init__(self,
                 pipeline: PatchSelPose,
                 min_pose_score: float = 0.3,
                 kpt_thr: float = 0.3,
                 box_padding: float = 1.25,
                 match_thr: float = 0.3,
                 refresh_interval: int = 0) -> None:
        card = pipeline.model.card
        if card.needs_guide and pipeline.guide is None:
            raise ValueError(
                'the tracker needs a guide model for new tracks: give '
                'PatchSelPose(model, guide=...)')
        self.pipeline = pipeline
        self.guided = card.needs_guide
        self.min_pose_score = float(min_pose_score)
        self.kpt_thr = float(kpt_thr)
        self.box_padding = float(box_padding)
        self.match_thr = float(match_thr)
        self.refresh_interval = int(refresh_interval)
        self.reset()

    def reset(self) -> None:
        """Forget the tracks (a new video)."""
        self._tracks: List[_Track] = []
        self._next_id = 0
        self._frame_count = 0

    @property
    def track_boxes(self) -> np.ndarray:
        """``(T, 4)`` the live tracks' boxes for the next frame, from their
        last keypoints."""
        return np.array([self._track_box(t) for t in self._tracks],
                        np.float32).reshape(-1, 4)

    def _track_box(self, track: _Track) -> np.ndarray:
        return box_from_keypoints(track.keypoints, track.scores, self.kpt_thr,
                                  self.box_padding, track.bbox)

    def track(self,
              frame: np.ndarray,
              bboxes: Optional[np.ndarray] = None,
              track_ids: Optional[Sequence[int]] = None) -> FramePoses:
        """Estimate and track the persons of one BGR frame.

        Args:
            frame (np.ndarray): ``(H, W, 3)`` uint8 BGR frame.
            bboxes (np.ndarray, optional): ``(P, 4)`` xyxy person boxes of
                this frame; ``None``: the live tracks' boxes from their
                previous keypoints (frames between detections). Tracks
                left without a box end.
            track_ids (sequence, optional): ``(P,)`` ids of the boxes (from
                an external tracker); without them boxes are matched to
                tracks by IoU.
        """
        frame = check_image(frame)
        count = self._frame_count
        self._frame_count += 1
        if bboxes is None:  # tracks whose box left the frame end
            inside = [_inside(b, frame.shape) for b in self.track_boxes]
            tracks: List[Optional[_Track]] = [
                t for t, ok in zip(self._tracks, inside) if ok
            ]
            boxes = self.track_boxes[inside]
        else:
            boxes = check_bboxes(bboxes, frame.shape)
            tracks = self._match(boxes, track_ids)
        refresh = self.refresh_interval > 0 and \
            count % self.refresh_interval == 0
        sources = [self._source(t, refresh) for t in tracks]
        num = self.pipeline.num_keypoints
        keypoints = np.zeros((len(boxes), num, 2), np.float32)
        scores = np.zeros((len(boxes), num), np.float32)
        for source in ('previous', 'guide', 'full'):
            group = [i for i, s in enumerate(sources) if s == source]
            if not group:
                continue
            guide = None
            if source == 'previous':
                guide = (np.stack([tracks[i].keypoints for i in group]),
                         np.stack([tracks[i].scores for i in group]))
            keypoints[group], scores[group] = self.pipeline(
                frame, boxes[group], guide_keypoints=guide)
        ids = self._update(boxes, tracks, keypoints, scores, track_ids)
        return FramePoses(keypoints, scores, boxes, ids, sources)

    def _match(self, boxes: np.ndarray,
               track_ids: Optional[Sequence[int]]) -> List[Optional[_Track]]:
        """The live track of each box, ``None`` for a new one."""
        if track_ids is not None:
            ids = np.asarray(track_ids).reshape(-1)
            if len(ids) != len(boxes) or len(set(ids.tolist())) != len(ids):
                raise ValueError(
                    f'track_ids must be {len(boxes)} distinct ids, one per '
                    f'box, got {ids.tolist()}')
            live: Dict[int, _Track] = {t.track_id: t for t in self._tracks}
            return [live.get(int(i)) for i in ids]
        matches = match_boxes(bbox_iou(boxes, self.track_boxes),
                              self.match_thr)
        track_of = {b: self._tracks[t] for b, t in matches}
        return [track_of.get(b) for b in range(len(boxes))]

    def _source(self, track: Optional[_Track], refresh: bool) -> str:
        if not self.guided:
            return 'full'
        if not refresh and track is not None and float(np.mean(
                track.scores)) >= self.min_pose_score:
            return 'previous'
        return 'guide'

    def _update(self, boxes: np.ndarray, tracks: List[Optional[_Track]],
                keypoints: np.ndarray, scores: np.ndarray,
                track_ids: Optional[Sequence[int]]) -> np.ndarray:
        """This frame's persons are the next frame's tracks."""
        new_tracks = []
        for i, track in enumerate(tracks):
            if track is None:
                if track_ids is not None:
                    track_id = int(np.asarray(track_ids).reshape(-1)[i])
                else:
                    track_id = self._next_id
                track = _Track(track_id, boxes[i], keypoints[i], scores[i])
                self._next_id = max(self._next_id, track_id + 1)
            track.bbox = boxes[i].copy()
            track.keypoints = keypoints[i].copy()
            track.scores = scores[i].copy()
            new_tracks.append(track)
        self._tracks = new_tracks
        return np.array([t.track_id for t in new_tracks], np.int64)


def _inside(box: np.ndarray, image_shape: Tuple[int, ...]) -> bool:
    """Whether the xyxy box overlaps the image."""
    height, width = image_shape[:2]
    x1, y1, x2, y2 = box
    return bool(x2 > 0 and y2 > 0 and x1 < width and y1 < height)
