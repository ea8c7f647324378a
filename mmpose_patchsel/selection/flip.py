"""Horizontal flip of guide keypoints (for flip test-time augmentation).

The token grid is not mirror-symmetric (at 192 px wide it covers pixels
-2..189), so the selection of a flipped image must be computed from the
flipped keypoints with the same point-to-cell mapping, never by mirroring
the mask. This follows mmpose's ``flip_keypoints``: joints are swapped by
``flip_indices`` and ``x' = w - 1 - x``.
"""
from typing import Optional, Sequence, Tuple, TypeVar

import numpy as np
import torch

Array = TypeVar('Array', np.ndarray, torch.Tensor)


def flip_keypoints(
        keypoints: Array, scores: Optional[Array], image_width: int,
        flip_indices: Sequence[int]) -> Tuple[Array, Optional[Array]]:
    """Flip keypoints ``(..., J, 2)`` and scores ``(..., J)`` horizontally.

    Works on numpy arrays and torch tensors alike (new objects returned).

    Args:
        keypoints: ``(..., J, 2)`` keypoints in pixels.
        scores: ``(..., J)`` scores, or ``None``.
        image_width (int): Width ``w`` of the image the keypoints live in.
        flip_indices (sequence of int): flipped joint ``j`` is original
            joint ``flip_indices[j]`` (a permutation of ``range(J)``), e.g.
            ``dataset_meta['flip_indices']``.
    """
    num_kpts = keypoints.shape[-2] if keypoints.ndim >= 2 else -1
    if keypoints.ndim < 2 or keypoints.shape[-1] != 2:
        raise ValueError(f'keypoints must have shape (..., J, 2), got '
                         f'{tuple(keypoints.shape)}')
    flip_indices = [int(i) for i in flip_indices]
    if sorted(flip_indices) != list(range(num_kpts)):
        raise ValueError(f'flip_indices must be a permutation of '
                         f'range({num_kpts}), got {flip_indices}')
    if scores is not None and tuple(scores.shape) != tuple(
            keypoints.shape[:-1]):
        raise ValueError(f'scores must have shape '
                         f'{tuple(keypoints.shape[:-1])}, got '
                         f'{tuple(scores.shape)}')
    # Advanced indexing copies, in numpy and torch alike.
    flipped = keypoints[..., flip_indices, :]
    flipped[..., 0] = (image_width - 1) - flipped[..., 0]
    if scores is not None:
        scores = scores[..., flip_indices]
    return flipped, scores
