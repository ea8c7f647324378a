"""Top-down pose tracking where the previous frame's poses pick the patches.

On video, the pose a track had on the previous frame is a free guide: warped
into the new crop it selects the ViT patches the way an online guide model
would, without running one. Persons without a usable previous pose (new
tracks, low scores) fall back to the model's online guide, or to the full
patch grid when it has none.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmpose.structures import PoseDataSample
from torch import nn

from mmpose_patchsel.keys import (FLIP_PATCH_MASK_KEY, GUIDE_KEYPOINTS_KEY,
                                  GUIDE_SCORES_KEY, PATCH_MASK_KEY)
from mmpose_patchsel.selection import SelectionOptions
from mmpose_patchsel.utils.validation import (check_choice, check_int,
                                              check_number)
from .person_detector import Detector, PersonDetector
from .tracker_pipeline import tracker_pipelines
from .tracking import bbox_iou, box_from_keypoints, match_boxes

__all__ = ['GUIDES', 'PatchSelPoseTracker', 'TrackerStats']

GUIDES = ('previous', 'online', 'full')


@dataclass
class TrackerStats:
    """Counts since the last :meth:`PatchSelPoseTracker.reset`.

    Attributes:
        frames: frames given to ``track`` (bad and empty ones included).
        bad_frames: frames that were ``None`` or empty arrays.
        empty_frames: good frames with no person in them.
        persons: persons estimated.
        by_source: persons per guide source (``'previous'``, ``'online'``,
            ``'full'``).
        fallbacks: persons that wanted the previous-frame guide but got the
            online guide or the full grid: a new track, a previous pose below
            ``min_pose_score``. Refresh frames are not fallbacks.
        detector_calls: frames the detector ran on.
    """

    frames: int = 0
    bad_frames: int = 0
    empty_frames: int = 0
    persons: int = 0
    by_source: Dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(GUIDES, 0))
    fallbacks: int = 0
    detector_calls: int = 0


@dataclass
class _Track:
    track_id: int
    bbox: np.ndarray  # (4,) xyxy: the box the last pose was estimated in
    bbox_score: float
    keypoints: Optional[np.ndarray] = None  # (K, 2) image pixels
    scores: Optional[np.ndarray] = None  # (K,)


@dataclass
class _Person:
    bbox: np.ndarray
    bbox_score: float
    track: Optional[_Track]  # None: a new track
    source: str = 'full'


class PatchSelPoseTracker:
    """Track persons over frames; guide each one's patches with its previous
    pose.

    Per frame: boxes come from the detector on detection frames
    (``frame_count % det_interval == 0``, or when no track is alive),
    otherwise from each track's previous keypoints. Detections are matched to
    tracks by IoU with the track's box from its previous keypoints; an
    unmatched detection starts a new track, a track left unmatched on a
    detection frame ends. Then the persons run in up to three batches:

    - ``'previous'``: the track's previous keypoints and scores (image
      pixels) go to ``SelectPatches`` in the model's test pipeline, which
      warps them into the new crop; the samples carry ``patch_mask``, so the
      estimator does not run its online guide.
    - ``'online'``: the model's online guide (``model.has_online_guide``).
    - ``'full'``: every patch. For a model with an online guide, the samples
      get an all-True ``patch_mask`` so that ``predict`` skips the guide;
      keeping every patch is the full model. The mask is removed from the
      result.

    With ``guide='previous'``, a person without a usable previous pose (new
    track, mean score below ``min_pose_score``) and every person on a
    refresh frame gets the online guide, or the full grid for a model
    without one.

    Args:
        model (nn.Module): a top-down estimator from
            ``mmpose.apis.init_model`` (with ``cfg`` and ``dataset_meta``);
            a ``PatchSelTopdownEstimator`` for ``guide='previous'`` or
            ``'online'``.
        detector: ``None`` (the whole image is one box, one person: it
            always continues the one track), a callable ``frame -> (N, 4|5)``
            xyxy[score] array, a box file ``{frame_index: (N, 4|5) array}``
            (frames it lacks have no person), or an mmdet detector (person
            class, ``mmdet.apis.inference_detector``). Boxes with a score
            below ``det_score_thr`` are dropped.
        det_interval (int): run the detector every this many frames.
        guide (str): ``'previous'``, ``'online'`` or ``'full'``.
        selection (dict, optional): ``SelectionOptions`` fields for the
            previous-frame selection. Defaults to the model's online
            selection options if it has them, else
            ``dict(mode='neighbour', num_neighbours=4)``.
        refresh_interval (int): > 0: every this many frames all persons get
            the online guide (or the full grid), against drift.
        min_pose_score (float): previous poses whose mean keypoint score is
            below this are not used as guides.
        kpt_thr (float): keypoints scored above this make the box from
            keypoints (with fewer than two, the previous box is kept).
        box_padding (float): the box from keypoints is scaled by this.
        match_thr (float): least IoU of a detection and a track's box.
        det_score_thr (float): least detection score.
    """

    def __init__(self,
                 model: nn.Module,
                 detector: Detector = None,
                 det_interval: int = 1,
                 guide: str = 'previous',
                 selection: Optional[dict] = None,
                 refresh_interval: int = 0,
                 min_pose_score: float = 0.3,
                 kpt_thr: float = 0.3,
                 box_padding: float = 1.25,
                 match_thr: float = 0.3,
                 det_score_thr: float = 0.5) -> None:
        self.guide = check_choice('guide', guide, GUIDES)
        self.det_interval = check_int('det_interval', det_interval, 1)
        self.refresh_interval = check_int('refresh_interval',
                                          refresh_interval, 0)
        self.min_pose_score = check_number('min_pose_score', min_pose_score)
        self.kpt_thr = check_number('kpt_thr', kpt_thr)
        self.box_padding = check_number(
            'box_padding', box_padding, 0, exclusive_min=True)
        self.match_thr = check_number('match_thr', match_thr, 0, 1)
        self.det_score_thr = check_number('det_score_thr', det_score_thr)
        for attr in ('cfg', 'dataset_meta'):
            if getattr(model, attr, None) is None:
                raise ValueError(
                    f'the model has no {attr!r}: build it with '
                    'mmpose.apis.init_model')
        self.model = model
        self.has_online_guide = bool(
            getattr(model, 'has_online_guide', False))
        if guide == 'online' and not self.has_online_guide:
            raise ValueError(
                "guide='online' needs a model with an online guide "
                '(PatchSelTopdownEstimator with guide=...); use '
                "guide='previous' or 'full'")
        self.fallback_source = 'online' if self.has_online_guide else 'full'
        self.detector = PersonDetector(detector, self.det_score_thr)
        self.flip_test = bool(model.test_cfg.get('flip_test', False))
        self.selection_options = self._selection_options(selection)
        self.pipeline, self.guided_pipeline = tracker_pipelines(
            model,
            self.selection_options if guide == 'previous' else None,
            self.flip_test)
        self.reset()

    # -- setup -------------------------------------------------------------
    def _selection_options(self,
                           selection: Optional[dict]) -> SelectionOptions:
        if selection is None:
            if self.has_online_guide:
                return self.model.selection_options
            return SelectionOptions(mode='neighbour', num_neighbours=4)
        if not isinstance(selection, dict):
            raise TypeError('selection must be a dict of SelectionOptions '
                            f'fields, got {type(selection)}')
        return SelectionOptions(**selection)

    def reset(self) -> None:
        """Forget the tracks and the statistics (a new video)."""
        self._tracks: List[_Track] = []
        self._next_id = 0
        self._frame_count = 0
        self.stats = TrackerStats()

    def set_guide_pose(self, track_id: int, keypoints: np.ndarray,
                       scores: np.ndarray) -> None:
        """Make ``keypoints`` (K, 2) image pixels and ``scores`` (K,) the
        pose track ``track_id`` guides the next frame with (and makes its
        box from), in place of its own prediction: a pose from another
        source, or the ground truth for a diagnostic."""
        for track in self._tracks:
            if track.track_id == track_id:
                k = len(track.keypoints)
                keypoints = np.asarray(keypoints, np.float32)
                scores = np.asarray(scores, np.float32)
                if keypoints.shape != (k, 2) or scores.shape != (k, ):
                    raise ValueError(
                        f'track {track_id}: keypoints must be ({k}, 2) and '
                        f'scores ({k},), got {keypoints.shape} and '
                        f'{scores.shape}')
                track.keypoints, track.scores = keypoints, scores
                return
        raise KeyError(f'no live track with id {track_id}')

    # -- per frame ---------------------------------------------------------
    def track(self,
              frame: Optional[np.ndarray],
              frame_index: Optional[int] = None) -> List[PoseDataSample]:
        """Estimate and track the persons of one BGR frame.

        Args:
            frame (np.ndarray, optional): ``(H, W, 3)`` BGR (or ``(H, W)``
                gray) image; ``None`` for a frame that could not be decoded.
            frame_index (int, optional): the frame's index (box-file key,
                ``metainfo['frame_index']``); defaults to the count of frames
                given since :meth:`reset`.

        Returns:
            one ``PoseDataSample`` per person, with ``pred_instances``
            (``keypoints`` (1, K, 2), ``keypoint_scores`` (1, K), ``bboxes``
            (1, 4) xyxy, ``bbox_scores`` (1,)) and metainfo ``track_id``,
            ``guide_source``, ``frame_index`` and, unless the source is
            ``'full'``, ``patch_mask`` ((N,) bool numpy). ``[]`` for a bad
            frame or one without persons.
        """
        count = self._frame_count
        self._frame_count += 1
        self.stats.frames += 1
        index = count if frame_index is None else check_int(
            'frame_index', frame_index, 0)
        if frame is not None and not isinstance(frame, np.ndarray):
            raise TypeError(f'frame must be a numpy array or None, got '
                            f'{type(frame)}')
        if frame is None or frame.size == 0 or frame.ndim not in (2, 3):
            self.stats.bad_frames += 1
            return []
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)

        persons = self._persons(frame, index, count)
        if not persons:  # a detection frame without persons ends all tracks
            self._tracks = []
            self.stats.empty_frames += 1
            return []
        refresh = self.refresh_interval > 0 and \
            count % self.refresh_interval == 0
        for person in persons:
            person.source = self._source(person, refresh)

        results: List[Optional[PoseDataSample]] = [None] * len(persons)
        for source in GUIDES:
            group = [i for i, p in enumerate(persons) if p.source == source]
            if group:
                samples = self._run(frame, [persons[i] for i in group],
                                    source)
                for i, sample in zip(group, samples):
                    results[i] = sample
        self._update_tracks(persons, results, index)
        self.stats.persons += len(results)
        for person in persons:
            self.stats.by_source[person.source] += 1
        return results

    def _persons(self, frame: np.ndarray, index: int,
                 count: int) -> List[_Person]:
        """This frame's boxes: detections matched to tracks, or the tracks'
        boxes from their previous keypoints."""
        track_boxes = [self._track_box(t) for t in self._tracks]
        if self._tracks and count % self.det_interval != 0:
            return [
                _Person(box, t.bbox_score, t)
                for t, box in zip(self._tracks, track_boxes)
            ]
        detections = self.detector(frame, index)
        self.stats.detector_calls += 1
        if self.detector.whole_image:  # one person: continues the one track
            matches = [(0, 0)] if self._tracks else []
        else:
            iou = bbox_iou(detections[:, :4],
                           np.reshape(track_boxes, (-1, 4)))
            matches = match_boxes(iou, self.match_thr)[0]
        track_of = {d: self._tracks[t] for d, t in matches}
        return [
            _Person(det[:4].copy(), float(det[4]), track_of.get(d))
            for d, det in enumerate(detections)
        ]

    def _track_box(self, track: _Track) -> np.ndarray:
        return box_from_keypoints(track.keypoints, track.scores, self.kpt_thr,
                                  self.box_padding, track.bbox)

    def _source(self, person: _Person, refresh: bool) -> str:
        if self.guide != 'previous':
            return self.guide
        if refresh:
            return self.fallback_source
        track = person.track
        if track is not None and track.scores is not None and float(
                np.mean(track.scores)) >= self.min_pose_score:
            return 'previous'
        self.stats.fallbacks += 1
        return self.fallback_source

    def _run(self, frame: np.ndarray, persons: List[_Person],
             source: str) -> List[PoseDataSample]:
        """One batch of persons through the model's test step."""
        pipeline = self.guided_pipeline if source == 'previous' \
            else self.pipeline
        items = []
        for person in persons:
            info = dict(
                img=frame,
                bbox=person.bbox[None].astype(np.float32),
                bbox_score=np.array([person.bbox_score], np.float32))
            info.update(self.model.dataset_meta)
            if source == 'previous':
                info[GUIDE_KEYPOINTS_KEY] = person.track.keypoints[None]
                info[GUIDE_SCORES_KEY] = person.track.scores[None]
            items.append(pipeline(info))
        batch = pseudo_collate(items)
        if source == 'full' and self.has_online_guide:
            # A selection of every patch: the full model, no guide run.
            keep_all = np.ones(self.model.patch_grid().num_patches, bool)
            keys = (PATCH_MASK_KEY, FLIP_PATCH_MASK_KEY) if self.flip_test \
                else (PATCH_MASK_KEY, )
            for sample in batch['data_samples']:
                sample.set_metainfo({k: keep_all.copy() for k in keys})
        with torch.no_grad():
            samples = self.model.test_step(batch)
        for sample in samples:
            if source == 'full':
                for key in (PATCH_MASK_KEY, FLIP_PATCH_MASK_KEY):
                    if key in sample.metainfo:
                        delattr(sample, key)
            else:  # the online guide leaves tensors on the device
                sample.set_metainfo({
                    k: _to_numpy(sample.metainfo[k])
                    for k in (PATCH_MASK_KEY, FLIP_PATCH_MASK_KEY)
                    if k in sample.metainfo
                })
            sample.set_metainfo(dict(guide_source=source))
        return samples

    def _update_tracks(self, persons: List[_Person],
                       results: List[PoseDataSample], index: int) -> None:
        """The persons of this frame are the tracks of the next one."""
        tracks = []
        for person, sample in zip(persons, results):
            track = person.track
            if track is None:
                track = _Track(self._next_id, person.bbox, person.bbox_score)
                self._next_id += 1
            pred = sample.pred_instances
            track.bbox = person.bbox
            track.bbox_score = person.bbox_score
            track.keypoints = np.asarray(pred.keypoints[0], np.float32)
            track.scores = np.asarray(pred.keypoint_scores[0], np.float32)
            sample.set_metainfo(
                dict(track_id=track.track_id, frame_index=index))
            tracks.append(track)
        self._tracks = tracks


def _to_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
