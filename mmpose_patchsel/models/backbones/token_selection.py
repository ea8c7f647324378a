"""Kept tokens in and out of the grid: the checks on a selection and the
scatter that puts the transformer's output back on the full grid.

A selection is ``keep_indices`` (B, K) int64, positions of the row-major
token grid, plus an optional ``key_padding_mask`` (B, K) bool marking the
padding entries of rows that keep fewer than K tokens.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

__all__ = ['check_selection', 'restore_tokens']


def check_selection(keep_indices: Tensor,
                    key_padding_mask: Optional[Tensor],
                    batch: int,
                    num_tokens: int,
                    check_values: bool = True
                    ) -> Tuple[Tensor, Optional[Tensor]]:
    """``keep_indices`` as (B, K) int64 (a (K,) one is shared by the
    batch) and the checked ``key_padding_mask``.

    Shapes and dtypes are always checked; ``check_values`` also refuses a
    row of padding only, which reads the mask's values (a host sync on an
    accelerator).
    """
    if keep_indices.dim() == 1:
        keep_indices = keep_indices[None].expand(batch, -1)
    if keep_indices.dim() != 2 or keep_indices.shape[0] != batch:
        raise ValueError(f'keep_indices must be (B={batch}, K), got '
                         f'{tuple(keep_indices.shape)}')
    if keep_indices.dtype != torch.long:
        if keep_indices.dtype.is_floating_point or \
                keep_indices.dtype == torch.bool:
            raise TypeError('keep_indices must be an integer tensor, '
                            f'got {keep_indices.dtype}')
        keep_indices = keep_indices.long()
    if keep_indices.shape[1] < 1 or keep_indices.shape[1] > num_tokens:
        raise ValueError(f'keep_indices keeps {keep_indices.shape[1]} '
                         f'tokens of a {num_tokens}-token grid')
    if key_padding_mask is not None:
        if key_padding_mask.dtype != torch.bool or \
                key_padding_mask.shape != keep_indices.shape:
            raise ValueError(
                'key_padding_mask must be a bool tensor shaped like '
                f'keep_indices {tuple(keep_indices.shape)}, got '
                f'{key_padding_mask.dtype} '
                f'{tuple(key_padding_mask.shape)}')
        if check_values and bool(key_padding_mask.all(dim=1).any()):
            raise ValueError('a sample of the batch has only padding '
                             'tokens; every sample must keep >= 1')
    return keep_indices, key_padding_mask


def restore_tokens(tokens: Tensor,
                   keep_indices: Tensor,
                   num_tokens: int,
                   key_padding_mask: Optional[Tensor] = None,
                   base: Optional[Tensor] = None,
                   fill_token: Optional[Tensor] = None) -> Tensor:
    """Scatter (B, K, C) kept tokens back onto a (B, N, C) grid.

    Unselected positions get ``base`` (B, N, C) when given (merged tokens),
    else ``fill_token`` (1, 1, C) when given, else zeros; padding entries
    (``key_padding_mask`` True) are written nowhere.
    """
    B, _, C = tokens.shape
    N = num_tokens
    index = keep_indices
    if key_padding_mask is not None:
        # Padding goes to a spare slot N that is cut off afterwards.
        index = index.masked_fill(key_padding_mask, N)
    slots = N + (key_padding_mask is not None)
    if base is not None:
        base = torch.cat([base, base[:, :slots - N]], 1)
    elif fill_token is not None:
        base = fill_token.to(tokens.dtype).expand(B, slots, C)
    else:
        base = tokens.new_zeros(B, slots, C)
    out = base.scatter(1, index[..., None].expand(-1, -1, C), tokens)
    return out[:, :N]
