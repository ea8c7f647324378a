"""Draw tracked poses and their kept patches on whole video frames.

A person's patch selection lives on the model-input crop. To show it on the
frame, each kept cell's corners are mapped back through the inverse of the
crop's warp (``TopdownAffine``'s, from the sample's ``input_center`` /
``input_scale``), so the cells appear as quads over the person.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix

from mmpose_patchsel.keys import PATCH_MASK_KEY
from mmpose_patchsel.selection import PatchGrid
from .selection_visualizer import PatchSelLocalVisualizer, patch_cell_boxes

#: RGB colours cycled over track ids.
TRACK_COLORS = ((255, 128, 0), (0, 200, 255), (255, 0, 200), (0, 255, 120),
                (255, 220, 0), (160, 100, 255), (255, 80, 80),
                (80, 255, 255))


def track_color(track_id: int) -> Tuple[int, int, int]:
    """The RGB colour of a track id."""
    return TRACK_COLORS[int(track_id) % len(TRACK_COLORS)]


def crop_to_image(points: np.ndarray,
                  center: np.ndarray,
                  scale: np.ndarray,
                  input_size: Tuple[int, int],
                  use_udp: bool = True,
                  rotation: float = 0.) -> np.ndarray:
    """Map model-input points ``(..., 2)`` to image pixels.

    The exact inverse of the warp ``TopdownAffine`` applies for a box of
    ``center`` / ``scale`` (``use_udp`` as in that transform).
    """
    center = np.asarray(center, np.float32)
    scale = np.asarray(scale, np.float32)
    if center.size != 2 or scale.size != 2:
        raise ValueError(f'center and scale must be (x, y) pairs, got shapes '
                         f'{center.shape} and {scale.shape}')
    center, scale = center.reshape(2), scale.reshape(2)
    make = get_udp_warp_matrix if use_udp else get_warp_matrix
    warp = make(center, scale, rotation, output_size=tuple(input_size))
    inverse = cv2.invertAffineTransform(warp)
    points = np.asarray(points, np.float64)
    return points @ inverse[:, :2].T + inverse[:, 2]


def patch_cell_quads(grid: PatchGrid,
                     center: np.ndarray,
                     scale: np.ndarray,
                     use_udp: bool = True) -> np.ndarray:
    """Image-space corners ``(N, 4, 2)`` of every grid cell, row-major.

    A cell's corners are its pixels' outer edges (pixel centres at integers,
    so ``x0 - 0.5`` .. ``x1 + 0.5``), in the order tl, tr, br, bl.
    """
    x0, y0, x1, y1 = (patch_cell_boxes(grid).T.astype(np.float64) +
                      np.array([-.5, -.5, .5, .5])[:, None])
    corners = np.stack(
        [np.stack(c, axis=-1)
         for c in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))],
        axis=1)
    return crop_to_image(corners, center, scale, grid.input_size, use_udp)


def _as_mask(mask, grid: PatchGrid) -> np.ndarray:
    if hasattr(mask, 'detach'):  # a tensor from the online guide
        mask = mask.detach().cpu().numpy()
    mask = np.asarray(mask, bool).reshape(-1)
    if mask.size != grid.num_patches:
        raise ValueError(f'patch_mask has {mask.size} entries, the grid '
                         f'{grid.rows}x{grid.cols} has {grid.num_patches}')
    return mask


def draw_kept_patches(image: np.ndarray,
                      patch_mask,
                      grid: PatchGrid,
                      center: np.ndarray,
                      scale: np.ndarray,
                      use_udp: bool = True,
                      color: Tuple[int, int, int] = (0, 255, 0),
                      alpha: float = 0.35,
                      outline: bool = True) -> np.ndarray:
    """Translucent quads (and outlines) over the kept cells of one person.

    Args:
        image: the whole frame (H, W, 3), uint8, in the channel order of
            ``color``.
        patch_mask: (N,) bool (numpy or tensor) over the row-major grid.
        grid: the model's patch grid.
        center, scale: the person's crop box (``input_center`` /
            ``input_scale`` of its sample).
        alpha: opacity of the fill; 0 draws outlines only.
    Returns:
        a new image; pixels outside the kept quads (and their outlines) are
        untouched.
    """
    mask = _as_mask(patch_mask, grid)
    drawn = image.copy()
    if not mask.any():
        return drawn
    quads = np.round(patch_cell_quads(grid, center, scale,
                                      use_udp)[mask]).astype(np.int32)
    if alpha > 0:
        filled = image.copy()
        cv2.fillPoly(filled, list(quads), color)
        inside = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(inside, list(quads), 1)
        inside = inside.astype(bool)
        drawn[inside] = np.round(
            image[inside] * (1 - alpha) + filled[inside] * alpha).astype(
                image.dtype)
    if outline:
        cv2.polylines(drawn, list(quads), True, color, 1, cv2.LINE_AA)
    return drawn


def _merged_predictions(samples: Sequence[PoseDataSample]) -> PoseDataSample:
    """One sample holding every person's keypoints, scores and box."""
    fields = ('keypoints', 'keypoint_scores', 'bboxes')
    merged = PoseDataSample()
    merged.pred_instances = InstanceData(**{
        key: np.concatenate(
            [np.asarray(s.pred_instances.get(key)) for s in samples])
        for key in fields
    })
    return merged


def _meta(sample: PoseDataSample, key: str):
    if key not in sample.metainfo:
        raise KeyError(f'sample of track {sample.metainfo.get("track_id")} '
                       f'has no metainfo {key!r}: pack it in the test '
                       "pipeline's PackPoseInputs meta_keys")
    return sample.metainfo[key]


def draw_tracked_frame(visualizer: PatchSelLocalVisualizer,
                       frame: np.ndarray,
                       samples: Sequence[PoseDataSample],
                       grid: PatchGrid,
                       use_udp: bool = True,
                       kpt_thr: float = 0.3,
                       alpha: float = 0.35,
                       draw_bbox: bool = True,
                       label: Optional[str] = None) -> np.ndarray:
    """A BGR frame with each person's kept patches, skeleton and track id.

    Args:
        visualizer: draws the skeletons; its dataset meta must be set.
        frame: the BGR frame (H, W, 3) uint8, as cv2 reads it.
        samples: the tracker's samples of this frame (``pred_instances``,
            metainfo ``track_id``, ``guide_source``, ``input_center``,
            ``input_scale`` and ``patch_mask`` unless the full grid ran).
        label: a line of text for the top-left corner, optional.
    Returns:
        the drawn BGR frame (a new array).
    """
    image = np.ascontiguousarray(frame[..., ::-1])
    for sample in samples:
        mask = sample.metainfo.get(PATCH_MASK_KEY)
        if mask is not None:
            image = draw_kept_patches(
                image, mask, grid, _meta(sample, 'input_center'),
                _meta(sample, 'input_scale'), use_udp,
                track_color(sample.metainfo.get('track_id', 0)), alpha)
    if samples:
        visualizer.add_datasample(
            'frame', image, _merged_predictions(samples), draw_gt=False,
            draw_bbox=draw_bbox, kpt_thr=kpt_thr, show=False)
        image = visualizer.get_image()
    image = np.ascontiguousarray(image[..., ::-1])
    for sample in samples:
        x0, y0 = np.asarray(sample.pred_instances.bboxes)[0, :2]
        track_id = sample.metainfo.get('track_id')
        source = sample.metainfo.get('guide_source', '')
        text = f'#{"?" if track_id is None else track_id} {source}'.strip()
        color = track_color(0 if track_id is None else track_id)
        _put_label(image, text, (int(max(x0, 0)), int(max(y0, 16))),
                   color[::-1])
    if label:
        _put_label(image, label, (0, 20), (255, 255, 255))
    return image


def _put_label(image: np.ndarray, text: str, bottom_left: Tuple[int, int],
               color: Tuple[int, int, int]) -> None:
    """Text on a dark box, its bottom-left corner at ``bottom_left``."""
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.45
    (w, h), base = cv2.getTextSize(text, font, size, 1)
    x, y = bottom_left
    cv2.rectangle(image, (x, y - h - base - 2), (x + w + 4, y), (0, 0, 0),
                  cv2.FILLED)
    cv2.putText(image, text, (x + 2, y - base), font, size, color, 1,
                cv2.LINE_AA)
