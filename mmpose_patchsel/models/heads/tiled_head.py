"""A heatmap head computed only on the tiles of the grid that hold tokens.

Patch selection shortens the backbone's sequence, but the head runs on the
restored full grid: at 1024x768 its upsampled maps (C x 256 x 192 each)
hold most of the activation memory whatever the backbone kept. Each output
pixel of a deconv/conv stack depends on a few grid cells only, so the
grid is cut into tiles of ``tile`` x ``tile`` cells and the head runs on
the tiles whose receptive field (the tile and a halo) holds a computed
cell, as a batch of crops. A tile with none sees zeros only: it equals one
crop of zeros with the same image borders, computed once per border
pattern and sample. The result equals the dense head up to float rounding.

Supported layers: ``ConvTranspose2d`` and ``Conv2d`` (stride 1) that map
n cells to ``stride * n`` (mmpose's deconv kernels 2, 3, 4 and odd convs
with ``padding = k // 2``), pointwise modules (activations, BatchNorm in
eval mode) and ``InstanceNorm2d`` without running statistics, whose mean
and variance are taken over the image (``norm_positions='all'``, as
Sapiens' head) or over the computed positions (``'computed'``, as
``masked_norm``) by summing over the tiles.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .masked_norm import computed_positions

__all__ = ['tiled_forward', 'tile_halo']


def _spatial(layer: nn.Module) -> bool:
    """Whether ``layer`` mixes neighbouring positions."""
    return isinstance(layer, (nn.ConvTranspose2d, nn.Conv2d)) and (
        tuple(layer.kernel_size) != (1, 1)
        or tuple(layer.stride) != (1, 1))


def _stride(layer: nn.Module) -> int:
    return layer.stride[0] if isinstance(layer, nn.ConvTranspose2d) else 1


def _check_layer(layer: nn.Module) -> None:
    """Fail with the layer's name where the tiling would not be exact."""
    if isinstance(layer, (nn.ConvTranspose2d, nn.Conv2d)):
        k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
        square = (len(set(layer.kernel_size)) == 1
                  and len(set(layer.stride)) == 1
                  and len(set(layer.padding)) == 1)
        if isinstance(layer, nn.ConvTranspose2d):
            size_ok = k - 2 * p + layer.output_padding[0] == s
        else:
            size_ok = s == 1 and k == 2 * p + 1
        if not (square and size_ok and layer.dilation[0] == 1
                and layer.groups == 1):
            raise ValueError(
                f'tiled head: {layer} does not map n cells to stride * n '
                '(only mmpose\'s deconv kernels 2/3/4 and stride-1 convs '
                'with padding k // 2 tile exactly)')
    elif isinstance(layer, nn.InstanceNorm2d) and layer.track_running_stats:
        raise ValueError(f'tiled head: {layer} tracks running statistics')
    elif isinstance(layer, nn.modules.batchnorm._BatchNorm) and (
            layer.training):
        raise ValueError(f'tiled head: {layer} is in training mode (its '
                         'batch statistics span the whole map)')


def tile_halo(layers: Sequence[nn.Module], tile: int) -> Tuple[int, int]:
    """Grid cells (before, after) a tile's crop needs around the tile so
    that its output pixels are exact: the layers' dependencies followed
    back from the tile's pixels to the grid."""
    scale = 1
    for layer in layers:
        scale *= _stride(layer)
    start, stop = tile * scale, 2 * tile * scale - 1  # tile 1, last pixel
    for layer in reversed(layers):
        if not _spatial(layer):
            continue
        k, s, p = layer.kernel_size[0], _stride(layer), layer.padding[0]
        if isinstance(layer, nn.ConvTranspose2d):
            # out = s * i - p + j, j in [0, k): i in [(o+p-k+1)/s, (o+p)/s]
            start = -((k - 1 - start - p) // s)
            stop = (stop + p) // s
        else:
            start, stop = start - p, stop - p + k - 1
    return tile - start, stop - (2 * tile - 1)


def _crops(x: Tensor, tile: int, halo: Tuple[int, int]) -> Tensor:
    """(B, C, ty, tx, crop, crop) view of the tiles of ``x`` with halo."""
    before, after = halo
    h, w = x.shape[-2:]
    pad_h, pad_w = -h % tile, -w % tile
    x = F.pad(x, (before, after + pad_w, before, after + pad_h))
    size = tile + before + after
    return x.unfold(2, size, tile).unfold(3, size, tile)


def _upsample(mask: Tensor, scale: int) -> Tensor:
    return mask.repeat_interleave(scale, -2).repeat_interleave(scale, -1)


def _instance_norm(x: Tensor, weight: Tensor, sample: Tensor,
                   num_samples: int, layer: nn.InstanceNorm2d) -> Tensor:
    """Normalise every crop of ``x`` with its sample's statistics, taken
    over the crops' pixels weighted by ``weight`` (N, 1, H, W)."""
    xf = x.float()

    def per_sample(values: Tensor) -> Tensor:
        sums = values.sum(dim=(2, 3))  # (N, C)
        total = sums.new_zeros(num_samples, sums.shape[1])
        return total.index_add_(0, sample, sums)

    count = per_sample(weight).clamp_min(1)  # (B, 1)
    mean = per_sample(xf * weight) / count
    centred = xf - mean[sample][:, :, None, None]
    var = per_sample(centred.square() * weight) / count
    out = centred * torch.rsqrt(var + layer.eps)[sample][:, :, None, None]
    if layer.affine:
        out = out * layer.weight[:, None, None] + layer.bias[:, None, None]
    return out.to(x.dtype)


def tiled_forward(layers: Sequence[nn.Module],
                  x: Tensor,
                  tile: int = 8,
                  norm_positions: str = 'all',
                  chunk: int = 16) -> Tensor:
    """``nn.Sequential(*layers)(x)`` computed on the tiles of ``x`` that
    hold computed cells (feature vectors that are not all zeros).

    Args:
        layers: the head's modules in order (see the module for which).
        x: (B, C, h, w) grid the backbone restored, zeros where it dropped
            a token.
        tile: cells per tile side: smaller tiles follow the body closer,
            larger ones waste less on halos.
        norm_positions: what an ``InstanceNorm2d``'s statistics cover:
            ``'all'`` positions of the image or the ``'computed'`` ones.
        chunk: crops run together through a head without InstanceNorm
            (with one, every crop runs at once: its statistics need them).

    Returns:
        Tensor: what the dense layers return, (B, K, s*h, s*w).
    """
    layers: List[nn.Module] = list(layers)
    if norm_positions not in ('all', 'computed'):
        raise ValueError("norm_positions must be 'all' or 'computed', got "
                         f'{norm_positions!r}')
    if not isinstance(tile, int) or tile < 1:
        raise ValueError(f'tile must be a positive int, got {tile!r}')
    for layer in layers:
        _check_layer(layer)
    num_samples, _, h, w = x.shape
    halo = tile_halo(layers, tile)
    computed = computed_positions(x).to(x.dtype)
    inside = torch.ones_like(computed[:1])
    computed_crops = _crops(computed, tile, halo)[:, 0]  # (B, ty, tx, c, c)
    inside_crops = _crops(inside, tile, halo)[0, 0]  # (ty, tx, c, c)
    ty, tx, size = inside_crops.shape[0], inside_crops.shape[1], \
        inside_crops.shape[-1]

    # Active tiles, then one zero crop per (sample, border pattern).
    active = computed_crops.flatten(-2).amax(-1) > 0  # (B, ty, tx)
    b_idx, y_idx, x_idx = active.nonzero(as_tuple=True)
    patterns, pattern_of = torch.unique(inside_crops.flatten(0, 1).flatten(
        1), dim=0, return_inverse=True)
    pattern_of = pattern_of.view(ty, tx)
    num_patterns = len(patterns)
    background = (~active).flatten(1)  # (B, ty * tx)
    repeats = torch.zeros(num_samples, num_patterns, dtype=x.dtype,
                          device=x.device)
    repeats.scatter_add_(1, pattern_of.flatten().expand(num_samples, -1),
                         background.to(x.dtype))

    feats = _crops(x, tile, halo).permute(0, 2, 3, 1, 4, 5)
    crops = torch.cat([
        feats[b_idx, y_idx, x_idx],
        x.new_zeros(num_samples * num_patterns, x.shape[1], size, size)
    ])
    sample = torch.cat([
        b_idx,
        torch.arange(num_samples, device=x.device).repeat_interleave(
            num_patterns)
    ])
    inside_all = torch.cat([
        inside_crops[y_idx, x_idx],
        patterns.view(-1, size, size).repeat(num_samples, 1, 1)
    ])[:, None]
    computed_all = torch.cat([
        computed_crops[b_idx, y_idx, x_idx],
        x.new_zeros(num_samples * num_patterns, size, size)
    ])[:, None]
    multiplicity = torch.cat([
        torch.ones(len(b_idx), dtype=x.dtype, device=x.device),
        repeats.flatten()
    ])
    own = torch.zeros(1, 1, size, size, dtype=x.dtype, device=x.device)
    own[..., halo[0]:halo[0] + tile, halo[0]:halo[0] + tile] = 1

    def run(index: Tensor) -> Tensor:
        """The layers on the crops ``index``: each tile's own pixels."""
        out, scale = crops[index], 1
        inside_crop = inside_all[index]
        for layer in layers:
            if _spatial(layer):
                out = out * _upsample(inside_crop, scale)
            if isinstance(layer, nn.InstanceNorm2d):
                weight = _upsample(inside_crop * own, scale)
                if norm_positions == 'computed':
                    weight = weight * _upsample(computed_all[index], scale)
                weight = weight * multiplicity[index, None, None, None]
                out = _instance_norm(out, weight, sample[index], num_samples,
                                     layer)
            else:
                out = layer(out)
            scale *= _stride(layer)
            if out.shape[-1] != size * scale:
                raise ValueError(f'tiled head: {layer} gave {out.shape[-1]} '
                                 f'pixels for {size} cells at scale {scale}')
        lo = halo[0] * scale
        return out[..., lo:lo + tile * scale, lo:lo + tile * scale]

    # Without per-map statistics the crops are independent: a chunk at a
    # time holds the head's wide maps for that chunk only.
    everything = torch.arange(len(crops), device=x.device)
    if any(isinstance(layer, nn.InstanceNorm2d) for layer in layers):
        own_pixels = run(everything)
    else:
        own_pixels = torch.cat([run(i) for i in everything.split(chunk)])
    scale = own_pixels.shape[-1] // tile

    # Each tile from its crop, background tiles from their pattern's.
    index = torch.arange(num_samples, device=x.device)[:, None, None] * \
        num_patterns + pattern_of + len(b_idx)
    index[b_idx, y_idx, x_idx] = torch.arange(len(b_idx), device=x.device)
    tiles = own_pixels[index]  # (B, ty, tx, K, t, t)
    result = tiles.permute(0, 3, 1, 4, 2, 5).reshape(
        num_samples, own_pixels.shape[1], ty * tile * scale, tx * tile * scale)
    return result[..., :h * scale, :w * scale]
