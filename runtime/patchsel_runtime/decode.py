"""Keypoints from a pose model's raw outputs, as mmpose's codecs decode them.

numpy and cv2 ports of ``UDPHeatmap.decode``, ``MSRAHeatmap.decode`` and
``SimCCLabel.decode`` with the helpers they call, batched over the persons of
an image (``(P, K, H, W)`` heatmaps, ``(P, K, Wx)`` SimCC vectors), and of the
step that takes the decoded keypoints from model-input pixels to image
pixels (``TopdownPoseEstimator.add_pred_to_datasample``). Each port follows
mmpose's arithmetic, quirks included, so that the keypoints agree with
mmpose's to float rounding.
"""
from typing import Any, Dict, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'CODECS', 'check_codec', 'get_heatmap_maximum', 'gaussian_blur',
    'refine_keypoints', 'refine_keypoints_dark', 'refine_keypoints_dark_udp',
    'get_simcc_maximum', 'gaussian_blur1d', 'refine_simcc_dark',
    'decode_udp_heatmap', 'decode_msra_heatmap', 'decode_simcc',
    'decode_outputs', 'input_to_image'
]

Keypoints = Tuple[np.ndarray, np.ndarray]
Codec = Dict[str, Any]  # an mmpose codec config, as in the model card

CODECS = ('UDPHeatmap', 'MSRAHeatmap', 'SimCCLabel')


def check_codec(codec: Codec) -> None:
    """Fail early, naming the setting, on a codec this module cannot
    decode."""
    kind = codec.get('type')
    if kind not in CODECS:
        raise NotImplementedError(
            f'codec type {kind!r} is not supported by patchsel_runtime; '
            f'supported: {list(CODECS)}')
    if kind == 'UDPHeatmap' and codec.get('heatmap_type',
                                          'gaussian') != 'gaussian':
        raise NotImplementedError(
            f"UDPHeatmap heatmap_type={codec['heatmap_type']!r} is not "
            "supported by patchsel_runtime (only 'gaussian')")
    if kind in ('UDPHeatmap', 'MSRAHeatmap') and 'heatmap_size' not in codec:
        raise ValueError(f'codec {kind} needs heatmap_size, got {codec}')


# -- helpers of mmpose.codecs.utils ------------------------------------------
def get_heatmap_maximum(heatmaps: np.ndarray) -> Keypoints:
    """Argmax locations ``(..., K, 2)`` (x, y) and values ``(..., K)`` of
    ``(..., K, H, W)`` heatmaps, ``-1`` where the maximum is <= 0; mirrors
    ``mmpose.codecs.utils.get_heatmap_maximum``."""
    *lead, height, width = heatmaps.shape
    flat = heatmaps.reshape(-1, height * width)
    y_locs, x_locs = np.unravel_index(np.argmax(flat, axis=1),
                                      shape=(height, width))
    locs = np.stack((x_locs, y_locs), axis=-1).astype(np.float32)
    vals = np.amax(flat, axis=1)
    locs[vals <= 0.] = -1
    return locs.reshape(*lead, 2), vals.reshape(lead)


def gaussian_blur(heatmaps: np.ndarray, kernel: int = 11) -> np.ndarray:
    """Blur each ``(H, W)`` map of ``(M, H, W)`` in place, zero padded,
    keeping its maximum; mirrors ``mmpose.codecs.utils.gaussian_blur``."""
    assert kernel % 2 == 1, f'blur kernel must be odd, got {kernel}'
    border = (kernel - 1) // 2
    _, height, width = heatmaps.shape
    for heatmap in heatmaps:
        origin_max = np.max(heatmap)
        dr = np.zeros((height + 2 * border, width + 2 * border), np.float32)
        dr[border:-border, border:-border] = heatmap
        dr = cv2.GaussianBlur(dr, (kernel, kernel), 0)
        heatmap[...] = dr[border:-border, border:-border]
        heatmap *= origin_max / np.max(heatmap)
    return heatmaps


def refine_keypoints(keypoints: np.ndarray,
                     heatmaps: np.ndarray) -> np.ndarray:
    """Shift each argmax ``(M, 2)`` a quarter pixel towards the higher
    neighbour of its ``(M, H, W)`` map, in place; mirrors
    ``mmpose.codecs.utils.refine_keypoints`` (bounds quirks included)."""
    _, height, width = heatmaps.shape
    x, y = keypoints[:, 0].astype(int), keypoints[:, 1].astype(int)
    rows = np.arange(len(keypoints))

    def diff(ok, y1, x1, y0, x0):
        d = heatmaps[rows,
                     np.clip(y1, 0, height - 1),
                     np.clip(x1, 0, width - 1)]
        d = d - heatmaps[rows,
                         np.clip(y0, 0, height - 1),
                         np.clip(x0, 0, width - 1)]
        return np.where(ok, d, 0.)

    dx = diff((1 < x) & (x < width - 1) & (0 < y) & (y < height), y, x + 1, y,
              x - 1)
    dy = diff((1 < y) & (y < height - 1) & (0 < x) & (x < width), y + 1, x,
              y - 1, x)
    keypoints += np.sign(np.stack([dx, dy], -1)).astype(np.float32) * 0.25
    return keypoints


def refine_keypoints_dark(keypoints: np.ndarray, heatmaps: np.ndarray,
                          blur_kernel_size: int) -> np.ndarray:
    """DARK refinement (a Newton step on the blurred log-heatmap) of argmax
    locations ``(M, 2)`` on their ``(M, H, W)`` maps, in place (the maps
    too); mirrors ``mmpose.codecs.utils.refine_keypoints_dark``."""
    _, height, width = heatmaps.shape
    heatmaps = gaussian_blur(heatmaps, blur_kernel_size)
    np.maximum(heatmaps, 1e-10, heatmaps)
    np.log(heatmaps, heatmaps)
    for m, (kx, ky) in enumerate(keypoints[:, :2].astype(int)):
        if not (1 < kx < width - 2 and 1 < ky < height - 2):
            continue
        hm = heatmaps[m]
        dx = 0.5 * (hm[ky, kx + 1] - hm[ky, kx - 1])
        dy = 0.5 * (hm[ky + 1, kx] - hm[ky - 1, kx])
        dxx = 0.25 * (hm[ky, kx + 2] - 2 * hm[ky, kx] + hm[ky, kx - 2])
        dxy = 0.25 * (hm[ky + 1, kx + 1] - hm[ky - 1, kx + 1] -
                      hm[ky + 1, kx - 1] + hm[ky - 1, kx - 1])
        dyy = 0.25 * (hm[ky + 2, kx] - 2 * hm[ky, kx] + hm[ky - 2, kx])
        if dxx * dyy - dxy**2 != 0:
            hessian = np.array([[dxx, dxy], [dxy, dyy]])
            offset = -np.linalg.inv(hessian) @ np.array([[dx], [dy]])
            keypoints[m, :2] += offset[:, 0]
    return keypoints


def refine_keypoints_dark_udp(keypoints: np.ndarray, heatmaps: np.ndarray,
                              blur_kernel_size: int) -> np.ndarray:
    """UDP's DARK refinement of argmax locations ``(M, 2)`` on their
    ``(M, H, W)`` maps (edge padded, clipped log), in place (the maps too);
    mirrors ``mmpose.codecs.utils.refine_keypoints_dark_udp``."""
    num, height, width = heatmaps.shape
    heatmaps = gaussian_blur(heatmaps, blur_kernel_size)
    np.clip(heatmaps, 1e-3, 50., heatmaps)
    np.log(heatmaps, heatmaps)
    pad = np.pad(heatmaps, ((0, 0), (1, 1), (1, 1)), mode='edge').flatten()
    # Integer offsets (mmpose sums them in float32, exact for its K maps but
    # not for the maps of many persons at once).
    index = (keypoints[:, 0] + 1 + (keypoints[:, 1] + 1) * (width + 2)).astype(
        np.int64)
    index += (width + 2) * (height + 2) * np.arange(0, num)
    index = index.reshape(-1, 1)
    i_ = pad[index]
    ix1 = pad[index + 1]
    iy1 = pad[index + width + 2]
    ix1y1 = pad[index + width + 3]
    ix1_y1_ = pad[index - width - 3]
    ix1_ = pad[index - 1]
    iy1_ = pad[index - 2 - width]
    dx = 0.5 * (ix1 - ix1_)
    dy = 0.5 * (iy1 - iy1_)
    derivative = np.concatenate([dx, dy], axis=1).reshape(num, 2, 1)
    dxx = ix1 - 2 * i_ + ix1_
    dyy = iy1 - 2 * i_ + iy1_
    dxy = 0.5 * (ix1y1 - ix1 - iy1 + i_ + i_ - ix1_ - iy1_ + ix1_y1_)
    hessian = np.concatenate([dxx, dxy, dxy, dyy], axis=1).reshape(num, 2, 2)
    hessian = np.linalg.inv(hessian + np.finfo(np.float32).eps * np.eye(2))
    keypoints -= np.einsum('imn,ink->imk', hessian, derivative)[..., 0]
    return keypoints


def get_simcc_maximum(simcc_x: np.ndarray, simcc_y: np.ndarray) -> Keypoints:
    """Argmax locations ``(N, K, 2)`` and values ``(N, K)`` (the smaller of
    the two axes' maxima) of ``(N, K, Wx)`` and ``(N, K, Wy)`` vectors,
    ``-1`` where the value is <= 0; mirrors
    ``mmpose.codecs.utils.get_simcc_maximum``."""
    num, k = simcc_x.shape[:2]
    simcc_x = simcc_x.reshape(num * k, -1)
    simcc_y = simcc_y.reshape(num * k, -1)
    locs = np.stack((np.argmax(simcc_x, axis=1), np.argmax(simcc_y, axis=1)),
                    axis=-1).astype(np.float32)
    vals = np.minimum(np.amax(simcc_x, axis=1), np.amax(simcc_y, axis=1))
    locs[vals <= 0.] = -1
    return locs.reshape(num, k, 2), vals.reshape(num, k)


def gaussian_blur1d(simcc: np.ndarray, kernel: int = 11) -> np.ndarray:
    """Blur each vector of ``(N, K, Wx)`` in place, zero padded, keeping its
    maximum; mirrors ``mmpose.codecs.utils.gaussian_blur1d``."""
    assert kernel % 2 == 1, f'blur kernel must be odd, got {kernel}'
    border = (kernel - 1) // 2
    for vector in simcc.reshape(-1, simcc.shape[-1]):
        origin_max = np.max(vector)
        dr = np.zeros((1, len(vector) + 2 * border), dtype=np.float32)
        dr[0, border:-border] = vector
        dr = cv2.GaussianBlur(dr, (kernel, 1), 0)
        vector[...] = dr[0, border:-border]
        vector *= origin_max / np.max(vector)
    return simcc


def refine_simcc_dark(keypoints: np.ndarray, simcc: np.ndarray,
                      blur_kernel_size: int) -> np.ndarray:
    """DARK refinement of one axis' argmax ``(N, K)`` on its ``(N, K, Wx)``
    vectors, in place (the vectors too); mirrors
    ``mmpose.codecs.utils.refine_simcc_dark``."""
    simcc = gaussian_blur1d(simcc, blur_kernel_size)
    np.clip(simcc, 1e-3, 50., simcc)
    np.log(simcc, simcc)
    simcc = np.pad(simcc, ((0, 0), (0, 0), (2, 2)), 'edge')
    px = (keypoints + 2.5).astype(np.int64)[..., None]  # N, K, 1
    dx0 = np.take_along_axis(simcc, px, axis=2)
    dx1 = np.take_along_axis(simcc, px + 1, axis=2)
    dx_1 = np.take_along_axis(simcc, px - 1, axis=2)
    dx2 = np.take_along_axis(simcc, px + 2, axis=2)
    dx_2 = np.take_along_axis(simcc, px - 2, axis=2)
    dx = 0.5 * (dx1 - dx_1)
    dxx = 1e-9 + 0.25 * (dx2 - 2 * dx0 + dx_2)
    keypoints -= (dx / dxx)[..., 0]
    return keypoints


# -- the codecs --------------------------------------------------------------
def _heatmaps(heatmaps: np.ndarray, codec: Codec) -> np.ndarray:
    width, height = codec['heatmap_size']
    if heatmaps.ndim != 4 or heatmaps.shape[2:] != (height, width):
        raise ValueError(
            f'heatmaps must be (P, K, {height}, {width}) for the codec\'s '
            f'heatmap_size {list(codec["heatmap_size"])}, got '
            f'{heatmaps.shape}')
    return np.array(heatmaps, np.float32)  # a copy: refinement is in place


def decode_udp_heatmap(heatmaps: np.ndarray, codec: Codec) -> Keypoints:
    """Keypoints ``(P, K, 2)`` in input pixels and scores ``(P, K)`` from
    ``(P, K, H, W)`` heatmaps; mirrors ``UDPHeatmap.decode`` (gaussian):
    argmax, DARK-UDP refinement, then ``/ (W - 1, H - 1) * input_size``."""
    maps = _heatmaps(heatmaps, codec)
    num, k, height, width = maps.shape
    keypoints, scores = get_heatmap_maximum(maps)
    flat = keypoints.reshape(num * k, 2)
    refine_keypoints_dark_udp(flat, maps.reshape(num * k, height, width),
                              int(codec.get('blur_kernel_size', 11)))
    keypoints = flat.reshape(num, k, 2) / [width - 1, height - 1] * list(
        codec['input_size'])
    return keypoints, scores


def decode_msra_heatmap(heatmaps: np.ndarray, codec: Codec) -> Keypoints:
    """Keypoints ``(P, K, 2)`` in input pixels and scores ``(P, K)`` from
    ``(P, K, H, W)`` heatmaps; mirrors ``MSRAHeatmap.decode``: argmax, then
    the quarter-pixel shift (``unbiased=False``) or DARK (``True``), then
    ``* input_size / heatmap_size``."""
    maps = _heatmaps(heatmaps, codec)
    num, k, height, width = maps.shape
    keypoints, scores = get_heatmap_maximum(maps)
    flat, flat_maps = keypoints.reshape(num * k, 2), maps.reshape(
        num * k, height, width)
    if codec.get('unbiased', False):
        refine_keypoints_dark(flat, flat_maps,
                              int(codec.get('blur_kernel_size', 11)))
    else:
        refine_keypoints(flat, flat_maps)
    scale_factor = (np.array(codec['input_size']) /
                    codec['heatmap_size']).astype(np.float32)
    return flat.reshape(num, k, 2) * scale_factor, scores


def _simcc_blur(sigma: float) -> int:
    blur = int((sigma * 20 - 7) // 3)
    return blur - int(blur % 2 == 0)


def decode_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray,
                 codec: Codec) -> Keypoints:
    """Keypoints ``(P, K, 2)`` in input pixels and scores ``(P, K)`` from
    ``(P, K, Wx)`` and ``(P, K, Wy)`` vectors; mirrors ``SimCCLabel.decode``:
    argmax, DARK per axis when ``use_dark``, ``/ simcc_split_ratio``. With
    ``decode_visibility`` mmpose also returns a visibility; the scores are
    the same and the visibility is not computed here."""
    if simcc_x.ndim != 3 or simcc_y.ndim != 3 or \
            simcc_x.shape[:2] != simcc_y.shape[:2]:
        raise ValueError('simcc_x and simcc_y must be (P, K, Wx) and '
                         f'(P, K, Wy), got {simcc_x.shape} and '
                         f'{simcc_y.shape}')
    keypoints, scores = get_simcc_maximum(simcc_x, simcc_y)
    if codec.get('use_dark', False):
        sigma = np.broadcast_to(
            np.asarray(codec.get('sigma', 6.0), np.float64), (2, ))
        keypoints[..., 0] = refine_simcc_dark(keypoints[..., 0].copy(),
                                              np.array(simcc_x, np.float32),
                                              _simcc_blur(sigma[0]))
        keypoints[..., 1] = refine_simcc_dark(keypoints[..., 1].copy(),
                                              np.array(simcc_y, np.float32),
                                              _simcc_blur(sigma[1]))
    keypoints /= codec.get('simcc_split_ratio', 2.0)
    return keypoints, scores


def decode_outputs(outputs: Dict[str, np.ndarray], codec: Codec) -> Keypoints:
    """Keypoints ``(P, K, 2)`` in the model's input pixels and scores
    ``(P, K)`` from a model's named outputs (``heatmaps``, or ``simcc_x``
    and ``simcc_y``) with the codec of its card."""
    check_codec(codec)
    kind = codec['type']
    if kind == 'SimCCLabel':
        return decode_simcc(outputs['simcc_x'], outputs['simcc_y'], codec)
    if kind == 'UDPHeatmap':
        return decode_udp_heatmap(outputs['heatmaps'], codec)
    return decode_msra_heatmap(outputs['heatmaps'], codec)


def input_to_image(keypoints: np.ndarray, centers: np.ndarray,
                   scales: np.ndarray,
                   input_size: Sequence[int]) -> np.ndarray:
    """``(P, K, 2)`` keypoints from input pixels to image pixels:
    ``kpts / input_size * scale + center - 0.5 * scale`` per person, as
    ``TopdownPoseEstimator.add_pred_to_datasample`` does with the crop's
    ``input_size``, ``input_center`` and ``input_scale``."""
    centers = np.asarray(centers)[:, None]
    scales = np.asarray(scales)[:, None]
    return keypoints / np.asarray(input_size) * scales + centers \
        - 0.5 * scales
