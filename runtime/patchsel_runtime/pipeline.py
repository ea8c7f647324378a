"""Image and person boxes in, keypoints in image pixels out.

A "selected" model needs guide keypoints in its own input pixels. They come
either from a guide model run on the same crop, resized (as the PyTorch
``OnlineGuide`` does), or from poses already known in image pixels (the
previous frame of a video), warped into each crop. A "full" model needs no
guide.
"""
from typing import Optional, Tuple, Union

import numpy as np

from .decode import decode_outputs, input_to_image
from .preprocess import crop_persons, resize_inputs, warp_keypoints
from .session import OnnxPoseModel

__all__ = ['PatchSelPose', 'check_image', 'check_bboxes', 'guide_to_input']

Poses = Tuple[np.ndarray, np.ndarray]


def check_image(image) -> np.ndarray:
    """``image`` if it is a non-empty ``(H, W, 3)`` uint8 array."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or \
            image.ndim != 3 or image.shape[2] != 3 or image.size == 0:
        got = (f'shape {image.shape} dtype {image.dtype}' if isinstance(
            image, np.ndarray) else type(image).__name__)
        raise ValueError('image must be a non-empty (H, W, 3) uint8 BGR '
                         f'array (cv2.imread), got {got}')
    return image


def check_bboxes(bboxes, image_shape: Tuple[int, ...]) -> np.ndarray:
    """``(P, 4)`` float32 xyxy boxes, each non-empty and overlapping the
    image; an empty input gives ``(0, 4)``."""
    boxes = np.asarray(bboxes, np.float32)
    if boxes.size == 0:
        return boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(
            f'bboxes must be (P, 4) xyxy, got shape {boxes.shape}' +
            (' (drop the score column)'
             if boxes.ndim == 2 and boxes.shape[1] == 5 else ''))
    height, width = image_shape[:2]
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        if not np.isfinite([x1, y1, x2, y2]).all() or x2 <= x1 or y2 <= y1:
            raise ValueError(
                f'bboxes[{i}] = {boxes[i].tolist()} is not a box: xyxy needs '
                'x2 > x1 and y2 > y1, finite')
        if x2 <= 0 or y2 <= 0 or x1 >= width or y1 >= height:
            raise ValueError(
                f'bboxes[{i}] = {boxes[i].tolist()} lies entirely outside the '
                f'image of width {width} and height {height}')
    return boxes


def guide_to_input(keypoints: np.ndarray, guide_size: Tuple[int, int],
                   input_size: Tuple[int, int], use_udp: bool) -> np.ndarray:
    """Guide keypoints from the guide's input pixels to the main model's,
    for a guide run on the main model's crop resized: ``* (w - 1) / w_g``
    per axis with UDP, ``* w / w_g`` without, as the PyTorch
    ``OnlineGuide`` maps them (through image space and back)."""
    span = np.array(input_size, np.float64) - (1 if use_udp else 0)
    return (keypoints * (span / np.array(guide_size))).astype(np.float32)


class PatchSelPose:
    """Top-down pose of the persons of one image with an exported model.

    Args:
        model (OnnxPoseModel | str): the pose model (role "selected" or
            "full"/"guide"), or its path.
        guide (OnnxPoseModel | str, optional): for a "selected" model, the
            guide model (role "guide" or "full") that predicts the keypoints
            that pick the patches, with the same keypoint set. Without it,
            each call must give ``guide_keypoints``.
    """

    def __init__(self,
                 model: Union[OnnxPoseModel, str],
                 guide: Union[OnnxPoseModel, str, None] = None) -> None:
        self.model = _load(model)
        self.guide = None if guide is None else _load(guide)
        card = self.model.card
        if self.guide is None:
            return
        if not card.needs_guide:
            raise ValueError(
                f'{self.model.path} has role {card.role!r}: it takes no '
                'guide; give a "selected" model with a guide')
        guide_card = self.guide.card
        if guide_card.needs_guide:
            raise ValueError(f'the guide {self.guide.path} is itself a '
                             '"selected" model; a guide must be a plain '
                             'top-down model (role "guide" or "full")')
        differ = [
            f'{k} {getattr(guide_card, k)} vs {getattr(card, k)}'
            for k in ('mean', 'std', 'bgr_to_rgb')
            if getattr(guide_card, k) != getattr(card, k)
        ]
        if differ:  # the guide gets the main model's normalised crop
            raise ValueError(
                f'the guide {self.guide.path} normalises its input otherwise '
                f'than {self.model.path} ({"; ".join(differ)}): as in the '
                'PyTorch online guide, both must take the same crops')
        if guide_card.num_keypoints != card.num_keypoints:
            raise ValueError(
                f'the guide {self.guide.path} predicts '
                f'{guide_card.num_keypoints} keypoints '
                f'({guide_card.dataset_name}), {self.model.path} has '
                f'num_keypoints={card.num_keypoints} ({card.dataset_name}): '
                'a guide with another keypoint set')

    @property
    def num_keypoints(self) -> int:
        return self.model.card.num_keypoints

    def __call__(self,
                 image: np.ndarray,
                 bboxes: np.ndarray,
                 guide_keypoints: Optional[Poses] = None) -> Poses:
        """Keypoints ``(P, J, 2)`` float32 in image pixels and scores
        ``(P, J)`` of the ``P`` persons in ``bboxes``.

        Args:
            image (np.ndarray): ``(H, W, 3)`` uint8 BGR image.
            bboxes (np.ndarray): ``(P, 4)`` xyxy person boxes.
            guide_keypoints (tuple, optional): ``(keypoints (P, J, 2),
                scores (P, J))`` in image pixels, guiding a "selected" model
                in place of the guide model (e.g. the previous frame's
                poses).
        """
        image = check_image(image)
        boxes = check_bboxes(bboxes, image.shape)
        card = self.model.card
        if not card.needs_guide and guide_keypoints is not None:
            raise ValueError(f'{self.model.path} has role {card.role!r}: '
                             'it takes no guide_keypoints')
        if card.needs_guide and guide_keypoints is None and \
                self.guide is None:
            raise ValueError(
                f'{self.model.path} has role "selected": give a guide model '
                'to PatchSelPose or guide_keypoints to this call')
        num = self.num_keypoints
        if len(boxes) == 0:
            return np.zeros((0, num, 2), np.float32), np.zeros((0, num),
                                                               np.float32)
        crops = crop_persons(image, boxes, card.input_size, card.bbox_padding,
                             card.use_udp, card.mean, card.std,
                             card.bgr_to_rgb)
        if not card.needs_guide:
            outputs = self.model(crops.inputs)
        else:
            if guide_keypoints is not None:
                keypoints, scores = self._warp_guide(guide_keypoints,
                                                     crops.warps)
            else:
                keypoints, scores = self._run_guide(crops.inputs)
            outputs = self.model(crops.inputs, keypoints, scores)
        keypoints, scores = decode_outputs(outputs, card.codec)
        keypoints = input_to_image(keypoints, crops.centers, crops.scales,
                                   card.input_size)
        return keypoints.astype(np.float32), scores.astype(np.float32)

    def _warp_guide(self, guide_keypoints: Poses, warps: np.ndarray) -> Poses:
        """Image-pixel guide poses into each crop, with its warp."""
        if not isinstance(guide_keypoints,
                          (tuple, list)) or len(guide_keypoints) != 2:
            raise ValueError('guide_keypoints must be a pair (keypoints, '
                             f'scores), got {type(guide_keypoints).__name__}')
        keypoints, scores = guide_keypoints
        keypoints = np.asarray(keypoints, np.float32)
        scores = np.asarray(scores, np.float32)
        want = (len(warps), self.num_keypoints)
        if keypoints.shape != want + (2, ) or scores.shape != want:
            raise ValueError(
                f'guide_keypoints must be keypoints {want + (2, )} and scores '
                f'{want} (one pose per box, num_keypoints of '
                f'{self.model.path}), got {keypoints.shape} and '
                f'{scores.shape}')
        return warp_keypoints(keypoints, warps), scores

    def _run_guide(self, inputs: np.ndarray) -> Poses:
        """The guide model on the crops, its keypoints in the main model's
        input pixels."""
        guide_card, card = self.guide.card, self.model.card
        outputs = self.guide(resize_inputs(inputs, guide_card.input_size))
        keypoints, scores = decode_outputs(outputs, guide_card.codec)
        keypoints = guide_to_input(keypoints, guide_card.input_size,
                                   card.input_size, card.use_udp)
        return keypoints, scores.astype(np.float32)


def _load(model: Union[OnnxPoseModel, str]) -> OnnxPoseModel:
    return model if isinstance(model, OnnxPoseModel) else OnnxPoseModel(model)
