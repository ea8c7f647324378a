"""Merge the unselected patches into a few tokens instead of dropping them.

A ViT trained on full grids never saw a sequence without its background:
every query spread part of its attention over those patches. Dropping them
renormalises the softmax over the kept keys alone, which shifts every
activation of a model that was not trained with selection. Merging keeps
that mass at almost no cost: the dropped patches' embedded tokens are
averaged into ``groups`` tokens (horizontal bands of the grid), appended to
the sequence, and each is attended as if it were all its members, by adding
``log(size)`` to its attention logits (the proportional attention of token
merging, Bolya et al., ICLR 2023). After the last block, a dropped cell takes
the output of its group's token. No parameter, no training: an option for a
model trained without selection.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

__all__ = ['band_groups', 'merge_dropped', 'merged_attention_bias']


def band_groups(grid: Tuple[int, int], groups: int,
                device: Optional[torch.device] = None) -> Tensor:
    """(N,) group of each cell of a row-major ``grid``: ``groups``
    horizontal bands of (nearly) equal height."""
    rows, cols = grid
    if not 1 <= groups <= rows:
        raise ValueError(f'merge groups={groups}: expected 1 to the '
                         f'{rows} rows of the grid')
    row = torch.arange(rows * cols, device=device) // cols
    return row * groups // rows


def merge_dropped(tokens: Tensor, keep_indices: Tensor,
                  key_padding_mask: Optional[Tensor],
                  groups: Tensor) -> Tuple[Tensor, Tensor]:
    """Mean token and size of each group's unselected cells.

    Args:
        tokens: (B, N, C) embedded tokens of the whole grid.
        keep_indices: (B, K) kept cells; entries marked in
            ``key_padding_mask`` (B, K) are padding and keep nothing.
        groups: (N,) group of each cell (:func:`band_groups`).

    Returns:
        ``(merged, sizes)``: (B, G, C) mean of each group's dropped tokens
        (zeros for an empty group) and (B, G) their counts.
    """
    B, N, C = tokens.shape
    num_groups = int(groups.max()) + 1
    index = keep_indices
    if key_padding_mask is not None:
        index = index.masked_fill(key_padding_mask, N)  # a spare slot
    dropped = tokens.new_ones(B, N + 1).scatter(
        1, index, tokens.new_zeros(index.shape))[:, :N]
    by_group = groups.expand(B, N)
    sizes = tokens.new_zeros(B, num_groups).scatter_add(1, by_group, dropped)
    sums = tokens.new_zeros(B, num_groups, C).scatter_add(
        1, by_group[..., None].expand(-1, -1, C), tokens * dropped[..., None])
    return sums / sizes.clamp(min=1)[..., None], sizes


def merged_attention_bias(sizes: Tensor,
                          key_padding_mask: Optional[Tensor],
                          num_kept: int) -> Tensor:
    """(B, 1, 1, K + G) additive attention mask: 0 for kept keys, -inf
    for padding and empty groups, ``log(size)`` for a merged token."""
    B = sizes.shape[0]
    kept = sizes.new_zeros(B, num_kept)
    if key_padding_mask is not None:
        kept = kept.masked_fill(key_padding_mask, float('-inf'))
    merged = torch.where(sizes > 0, sizes.clamp(min=1).log(),
                         torch.full_like(sizes, float('-inf')))
    return torch.cat([kept, merged], 1)[:, None, None, :]
