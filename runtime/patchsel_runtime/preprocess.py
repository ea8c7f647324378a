"""Top-down crops as mmpose's test pipeline makes them, in numpy and cv2.

Per person: the box gives a centre and a padded scale
(``GetBBoxCenterScale``), the scale takes the model's aspect ratio and the
crop is warped out of the image (``TopdownAffine``), then the data
preprocessor swaps BGR to RGB and normalises. Each step is a port of the
mmpose function it names, operation for operation and in the same dtypes,
so a crop equals mmpose's to float rounding.
"""
import math
from dataclasses import dataclass
from typing import Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'CropBatch', 'bbox_xyxy2cs', 'fix_aspect_ratio', 'get_warp_matrix',
    'get_udp_warp_matrix', 'warp_matrices', 'warp_crops', 'normalize',
    'crop_persons', 'warp_keypoints', 'resize_inputs'
]


@dataclass
class CropBatch:
    """The crops of the persons of one image and how they were cut.

    Attributes:
        inputs: ``(P, 3, h, w)`` float32 normalised model inputs.
        centers: ``(P, 2)`` float32 box centres in image pixels.
        scales: ``(P, 2)`` float32 box sizes after padding and aspect fix
            (mmpose's ``input_scale``).
        warps: ``(P, 2, 3)`` image -> crop affine matrices.
    """

    inputs: np.ndarray
    centers: np.ndarray
    scales: np.ndarray
    warps: np.ndarray


def bbox_xyxy2cs(bboxes: np.ndarray,
                 padding: float = 1.) -> Tuple[np.ndarray, np.ndarray]:
    """Centres ``(P, 2)`` and padded sizes ``(P, 2)`` of xyxy boxes
    ``(P, 4)``; mirrors ``mmpose.structures.bbox.bbox_xyxy2cs`` (what
    ``GetBBoxCenterScale`` calls)."""
    scale = (bboxes[..., 2:] - bboxes[..., :2]) * padding
    center = (bboxes[..., 2:] + bboxes[..., :2]) * 0.5
    return center, scale


def fix_aspect_ratio(scales: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Grow each ``(w, h)`` of ``(P, 2)`` to the aspect ratio ``w / h``;
    mirrors ``TopdownAffine._fix_aspect_ratio``."""
    w, h = np.hsplit(scales, [1])
    return np.where(w > h * aspect_ratio, np.hstack([w, w / aspect_ratio]),
                    np.hstack([h * aspect_ratio, h]))


def _rotate_point(pt: np.ndarray, angle_rad: float) -> np.ndarray:
    sn, cs = np.sin(angle_rad), np.cos(angle_rad)
    return np.array([[cs, -sn], [sn, cs]]) @ pt


def _get_3rd_point(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    direction = a - b
    return b + np.r_[-direction[1], direction[0]]


def get_warp_matrix(center: np.ndarray,
                    scale: np.ndarray,
                    output_size: Tuple[int, int],
                    rot: float = 0.) -> np.ndarray:
    """The ``(2, 3)`` affine matrix from the box to the ``(w, h)`` output;
    mirrors ``mmpose.structures.bbox.get_warp_matrix`` (no shift, not
    inverted, fixed aspect ratio: what ``TopdownAffine`` uses without
    UDP)."""
    src_w = scale[0]
    dst_w, dst_h = output_size[:2]
    rot_rad = np.deg2rad(rot)
    src_dir = _rotate_point(np.array([src_w * -0.5, 0.]), rot_rad)
    dst_dir = np.array([dst_w * -0.5, 0.])
    src = np.zeros((3, 2), dtype=np.float32)
    src[0, :] = center
    src[1, :] = center + src_dir
    dst = np.zeros((3, 2), dtype=np.float32)
    dst[0, :] = [dst_w * 0.5, dst_h * 0.5]
    dst[1, :] = np.array([dst_w * 0.5, dst_h * 0.5]) + dst_dir
    src[2, :] = _get_3rd_point(src[0, :], src[1, :])
    dst[2, :] = _get_3rd_point(dst[0, :], dst[1, :])
    return cv2.getAffineTransform(np.float32(src), np.float32(dst))


def get_udp_warp_matrix(center: np.ndarray,
                        scale: np.ndarray,
                        output_size: Tuple[int, int],
                        rot: float = 0.) -> np.ndarray:
    """The ``(2, 3)`` UDP affine matrix (the box's extent maps onto pixel
    centres ``0 .. w - 1``); mirrors
    ``mmpose.structures.bbox.get_udp_warp_matrix``."""
    input_size = center * 2
    rot_rad = np.deg2rad(rot)
    warp_mat = np.zeros((2, 3), dtype=np.float32)
    scale_x = (output_size[0] - 1) / scale[0]
    scale_y = (output_size[1] - 1) / scale[1]
    cos, sin = math.cos(rot_rad), math.sin(rot_rad)
    warp_mat[0, 0] = cos * scale_x
    warp_mat[0, 1] = -sin * scale_x
    warp_mat[0, 2] = scale_x * (-0.5 * input_size[0] * cos +
                                0.5 * input_size[1] * sin + 0.5 * scale[0])
    warp_mat[1, 0] = sin * scale_y
    warp_mat[1, 1] = cos * scale_y
    warp_mat[1, 2] = scale_y * (-0.5 * input_size[0] * sin -
                                0.5 * input_size[1] * cos + 0.5 * scale[1])
    return warp_mat


def warp_matrices(centers: np.ndarray, scales: np.ndarray,
                  input_size: Tuple[int, int], use_udp: bool) -> np.ndarray:
    """``(P, 2, 3)`` warps of ``TopdownAffine(input_size, use_udp)``."""
    get = get_udp_warp_matrix if use_udp else get_warp_matrix
    warps = [get(c, s, input_size) for c, s in zip(centers, scales)]
    return np.array(warps, np.float64).reshape(-1, 2, 3)


def warp_crops(image: np.ndarray, warps: np.ndarray,
               input_size: Tuple[int, int]) -> np.ndarray:
    """``(P, h, w, 3)`` crops of the image, ``cv2.warpAffine`` with
    ``INTER_LINEAR`` as ``TopdownAffine`` does (constant black border)."""
    w, h = input_size
    crops = np.zeros((len(warps), h, w, image.shape[2]), image.dtype)
    for crop, warp in zip(crops, warps):
        crop[...] = cv2.warpAffine(image,
                                   warp, (int(w), int(h)),
                                   flags=cv2.INTER_LINEAR)
    return crops


def normalize(crops: np.ndarray, mean: Sequence[float], std: Sequence[float],
              bgr_to_rgb: bool) -> np.ndarray:
    """``(P, 3, h, w)`` float32 ``(x - mean) / std`` of ``(P, h, w, 3)``
    crops, channels swapped first when ``bgr_to_rgb``; mirrors mmpose's
    ``PoseDataPreprocessor`` (mmengine's ``ImgDataPreprocessor``)."""
    inputs = crops.transpose(0, 3, 1, 2)
    if bgr_to_rgb:
        inputs = inputs[:, ::-1]
    inputs = inputs.astype(np.float32)
    mean = np.asarray(mean, np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(std, np.float32).reshape(1, -1, 1, 1)
    return np.ascontiguousarray((inputs - mean) / std)


def crop_persons(image: np.ndarray,
                 bboxes: np.ndarray,
                 input_size: Tuple[int, int],
                 padding: float,
                 use_udp: bool,
                 mean: Sequence[float],
                 std: Sequence[float],
                 bgr_to_rgb: bool = True) -> CropBatch:
    """Normalised model inputs of the persons in ``bboxes`` (``(P, 4)``
    xyxy, taken as float32 like mmpose's datasets give them) of a BGR
    ``(H, W, 3)`` uint8 image: ``GetBBoxCenterScale(padding)``,
    ``TopdownAffine(input_size, use_udp)``, then the data preprocessor."""
    bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
    centers, scales = bbox_xyxy2cs(bboxes, padding)
    w, h = input_size
    scales = fix_aspect_ratio(scales, aspect_ratio=w / h)
    warps = warp_matrices(centers, scales, input_size, use_udp)
    crops = warp_crops(image, warps, input_size)
    return CropBatch(normalize(crops, mean, std, bgr_to_rgb), centers, scales,
                     warps)


def warp_keypoints(keypoints: np.ndarray, warps: np.ndarray) -> np.ndarray:
    """``(P, J, 2)`` image-pixel keypoints into each person's crop with its
    warp, ``cv2.transform`` as ``TopdownAffine`` does for keypoints."""
    out = [
        cv2.transform(np.asarray(k, np.float32)[None], m)[0]
        for k, m in zip(keypoints, warps)
    ]
    return np.array(out, np.float32).reshape(keypoints.shape)


def resize_inputs(inputs: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """``(P, 3, h, w)`` crops resized to ``size`` ``(w', h')``, bilinear
    (``cv2.resize`` ``INTER_LINEAR``, which samples like PyTorch's
    ``F.interpolate(mode='bilinear', align_corners=False)``: the online
    guide's input)."""
    w, h = size
    if inputs.shape[2:] == (h, w):
        return inputs
    out = np.empty(inputs.shape[:2] + (h, w), np.float32)
    for dst, src in zip(out, inputs):
        for channel in range(len(src)):
            dst[channel] = cv2.resize(src[channel], (int(w), int(h)),
                                      interpolation=cv2.INTER_LINEAR)
    return out
