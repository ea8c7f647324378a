"""A heatmap head computed only on the tiles of the grid that hold tokens.

Patch selection shortens the backbone's sequence, but the head runs on the
restored full grid: at 1024x768 its upsampled maps (C x 256 x 192 each)
hold most of the activation memory whatever the backbone kept. Each output
pixel of a deconv/conv stack depends on a few grid cells only, so the
grid is cut into tiles of ``tile`` x ``tile`` cells and the head runs on
the tiles whose receptive field (the tile and a halo) holds a computed
cell, a chunk of crops at a time. A tile with none sees zeros only: it
equals one crop of zeros with the same image borders, computed once per
border pattern and sample. The result equals the dense head up to float
rounding, and the head's memory is a chunk's, not the grid's.

Supported layers: ``ConvTranspose2d`` and ``Conv2d`` (stride 1) that map
n cells to ``stride * n`` (mmpose's deconv kernels 2, 3, 4 and odd convs
with ``padding = k // 2``), pointwise modules (activations, BatchNorm in
eval mode) and ``InstanceNorm2d`` without running statistics, whose mean
and variance are taken over the image (``norm_positions='all'``, as
Sapiens' head) or over the computed positions (``'computed'``, as
``masked_norm``): one more pass over the chunks per norm, up to it.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmpose_patchsel.utils import check_choice, check_int

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


def _conv_transpose(layer: nn.ConvTranspose2d, x: Tensor) -> Tensor:
    """``layer(x)``, as one matmul and a fold (col2im) where its columns
    are smaller than the weight: on a CPU oneDNN's deconvolution copies the
    weight twice per call (32 MiB for 1024 -> 256 channels at kernel 4, on
    every crop chunk), the matmul holds the columns twice instead."""
    n, c, h, w = x.shape
    k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
    if layer.weight.numel() <= layer.weight[0].numel() * n * h * w:
        return layer(x)
    pixels = x.transpose(0, 1).reshape(c, n * h * w)
    cols = layer.weight.flatten(1).t().mm(pixels)  # (C_out * k * k, n*h*w)
    cols = cols.view(-1, n, h * w).transpose(0, 1)
    out = F.fold(cols, (s * h, s * w), k, stride=s, padding=p)
    if layer.bias is not None:
        out = out + layer.bias[:, None, None]
    return out


class _Moments:
    """Per-sample, per-channel weighted count, mean and sum of squared
    deviations of a map, merged chunk by chunk in float64 (Chan et al.'s
    parallel update), so that no chunk needs another's pixels."""

    def __init__(self, num_samples: int, channels: int, device) -> None:
        zeros = dict(dtype=torch.float64, device=device)
        self.count = torch.zeros(num_samples, 1, **zeros)
        self.mean = torch.zeros(num_samples, channels, **zeros)
        self.m2 = torch.zeros(num_samples, channels, **zeros)

    def add(self, x: Tensor, weight: Tensor, sample: Tensor) -> None:
        """Crops ``x`` (n, C, H, W) of samples ``sample``, pixels weighted
        by ``weight`` (n, 1, H, W)."""
        num_samples = len(self.count)

        def per_sample(values: Tensor) -> Tensor:
            total = values.new_zeros(num_samples, values.shape[1])
            return total.index_add_(0, sample, values)

        x, weight = x.float(), weight.float()
        count = per_sample(weight.sum(dim=(2, 3)))  # (B, 1)
        mean = per_sample((x * weight).sum(dim=(2, 3))) / count.clamp_min(1)
        centred = x - mean[sample][:, :, None, None]
        m2 = per_sample((centred.square() * weight).sum(dim=(2, 3)))
        count, mean, m2 = count.double(), mean.double(), m2.double()
        total = self.count + count
        delta = mean - self.mean
        share = count / total.clamp_min(1)
        self.m2 += m2 + delta.square() * self.count * share
        self.mean += delta * share
        self.count = total

    def normaliser(self, eps: float) -> Tuple[Tensor, Tensor]:
        """(mean, 1 / std) per sample and channel, float32; a sample with
        no weight gets 0 and 1 / sqrt(eps), as ``masked_instance_norm``."""
        var = self.m2 / self.count.clamp_min(1)
        return self.mean.float(), torch.rsqrt(var + eps).float()


def _normalise(x: Tensor, stats: Tuple[Tensor, Tensor], sample: Tensor,
               layer: nn.InstanceNorm2d) -> Tensor:
    """``x``'s crops normalised with their samples' statistics."""
    mean, rstd = stats
    out = (x.float() - mean[sample][:, :, None, None]) * \
        rstd[sample][:, :, None, None]
    if layer.affine:
        out = out * layer.weight[:, None, None] + layer.bias[:, None, None]
    return out.to(x.dtype)


class _Tiles:
    """Which crops run for a grid ``x`` and how their pixels come back.

    Crops are, in order, one zero crop per (sample, border pattern) for
    the tiles that see no computed cell, then one crop per active tile.
    """

    def __init__(self, x: Tensor, tile: int, halo: Tuple[int, int]):
        self.x, self.tile, self.halo = x, tile, halo
        num_samples, _, self.h, self.w = x.shape
        computed = computed_positions(x).to(x.dtype)
        computed_crops = _crops(computed, tile, halo)[:, 0]  # (B,ty,tx,c,c)
        inside_crops = _crops(torch.ones_like(computed[:1]), tile,
                              halo)[0, 0]  # (ty, tx, c, c)
        self.ty, self.tx, self.size = inside_crops.shape[:3]
        active = computed_crops.flatten(-2).amax(-1) > 0  # (B, ty, tx)
        self.b, self.y, self.x_ = active.nonzero(as_tuple=True)
        patterns, pattern_of = torch.unique(
            inside_crops.flatten(2).flatten(0, 1), dim=0, return_inverse=True)
        self.pattern_of = pattern_of.view(self.ty, self.tx)
        num_patterns = len(patterns)
        device, dtype = x.device, x.dtype
        repeats = torch.zeros(num_samples, num_patterns, dtype=dtype,
                              device=device).scatter_add_(
            1, pattern_of.expand(num_samples, -1),
            (~active).flatten(1).to(dtype))
        self.num_samples, self.num_zero = num_samples, num_samples * \
            num_patterns
        self.sample = torch.cat([
            torch.arange(num_samples, device=device).repeat_interleave(
                num_patterns), self.b
        ])
        self.inside = torch.cat([
            patterns.view(-1, self.size, self.size).repeat(
                num_samples, 1, 1), inside_crops[self.y, self.x_]
        ])[:, None]
        self.computed = torch.cat([
            x.new_zeros(self.num_zero, self.size, self.size),
            computed_crops[self.b, self.y, self.x_]
        ])[:, None]
        self.multiplicity = torch.cat([
            repeats.flatten(),
            torch.ones(len(self.b), dtype=dtype, device=device)
        ])
        self.own = x.new_zeros(1, 1, self.size, self.size)
        self.own[..., halo[0]:halo[0] + tile, halo[0]:halo[0] + tile] = 1

    def __len__(self) -> int:
        return self.num_zero + len(self.b)

    def inputs(self, index: Tensor) -> Tensor:
        """(n, C, c, c) grid cells of the crops ``index``, gathered from
        ``x`` (zeros outside it and for the zero crops) without a padded
        copy of the grid."""
        active = index >= self.num_zero
        pos = (index - self.num_zero).clamp_min(0)
        offsets = torch.arange(self.size, device=index.device)
        rows = (self.y[pos] * self.tile - self.halo[0])[:, None] + offsets
        cols = (self.x_[pos] * self.tile - self.halo[0])[:, None] + offsets
        valid = (active[:, None, None]
                 & ((rows >= 0) & (rows < self.h))[:, :, None]
                 & ((cols >= 0) & (cols < self.w))[:, None, :])
        cells = self.x[self.b[pos][:, None, None], :,
                       rows.clamp(0, self.h - 1)[:, :, None],
                       cols.clamp(0, self.w - 1)[:, None, :]]  # (n,c,c,C)
        return cells.permute(0, 3, 1, 2) * valid[:, None].to(cells.dtype)

    def output(self, like: Tensor) -> Tensor:
        """The empty (B, K, ty * t, tx * t) result for crops' own pixels
        ``like`` (n, K, t, t), in their dtype (autocast may change it)."""
        t = like.shape[-1]
        return like.new_empty(self.num_samples, like.shape[1], self.ty * t,
                              self.tx * t)

    def paste(self, result: Tensor, index: Tensor, pixels: Tensor) -> None:
        """Write each crop's own pixels (n, K, t, t) into ``result``: a
        zero crop into every background tile of its pattern and sample."""
        t = pixels.shape[-1]
        tiles = result.view(self.num_samples, result.shape[1], self.ty, t,
                            self.tx, t).permute(0, 2, 4, 1, 3, 5)
        zero = index < self.num_zero
        if zero.any():
            num_patterns = self.num_zero // self.num_samples
            slot = torch.full((self.num_zero, ), -1, dtype=torch.long,
                              device=index.device)
            slot[index[zero]] = torch.arange(int(zero.sum()),
                                             device=index.device)
            pattern = torch.arange(self.num_samples, device=index.device)[
                :, None, None] * num_patterns + self.pattern_of
            which = slot[pattern]  # (B, ty, tx)
            mine = which >= 0
            tiles[mine] = pixels[zero][which[mine]]
        active = ~zero
        pos = index[active] - self.num_zero
        tiles[self.b[pos], self.y[pos], self.x_[pos]] = pixels[active]


def tiled_forward(layers: Sequence[nn.Module],
                  x: Tensor,
                  tile: int = 4,
                  norm_positions: str = 'all',
                  chunk: int = 8) -> Tensor:
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
        chunk: crops run together: the head's activation memory is about
            ``chunk`` crops' maps. A head with m InstanceNorms runs m + 1
            passes over the crops, each up to the next norm, to take its
            statistics without holding every crop at once.

    Returns:
        Tensor: what the dense layers return, (B, K, s*h, s*w).
    """
    layers: List[nn.Module] = list(layers)
    check_choice('norm_positions', norm_positions, ('all', 'computed'))
    tile = check_int('tile', tile, 1)
    for layer in layers:
        _check_layer(layer)
    halo = tile_halo(layers, tile)
    tiles = _Tiles(x, tile, halo)
    size = tiles.size

    stats: Dict[int, Tuple[Tensor, Tensor]] = {}

    def run(index: Tensor, stop: Optional[int] = None) -> Tensor:
        """The layers on the crops ``index``: each tile's own pixels, or
        all pixels of the input of layer ``stop``."""
        out, scale = tiles.inputs(index), 1
        inside = tiles.inside[index]
        for i, layer in enumerate(layers):
            if i == stop:
                return out
            if _spatial(layer):
                out = out * _upsample(inside, scale)
            if isinstance(layer, nn.InstanceNorm2d):
                out = _normalise(out, stats[i], tiles.sample[index], layer)
            elif isinstance(layer, nn.ConvTranspose2d):
                out = _conv_transpose(layer, out)
            else:
                out = layer(out)
            scale *= _stride(layer)
            if out.shape[-1] != size * scale:
                raise ValueError(f'tiled head: {layer} gave {out.shape[-1]} '
                                 f'pixels for {size} cells at scale {scale}')
        lo = halo[0] * scale
        return out[..., lo:lo + tile * scale, lo:lo + tile * scale]

    # A chunk of crops at a time holds the head's wide maps for that chunk
    # only. Each InstanceNorm's statistics take a pass of their own over
    # every chunk, up to that norm (the norms before it known by then).
    chunks = torch.arange(len(tiles), device=x.device).split(chunk)
    for i, layer in enumerate(layers):
        if not isinstance(layer, nn.InstanceNorm2d):
            continue
        moments = None
        for index in chunks:
            out = run(index, stop=i)
            scale = out.shape[-1] // size
            weight = _upsample(tiles.inside[index] * tiles.own, scale)
            if norm_positions == 'computed':
                weight = weight * _upsample(tiles.computed[index], scale)
            weight = weight * tiles.multiplicity[index, None, None, None]
            if moments is None:
                moments = _Moments(tiles.num_samples, out.shape[1], x.device)
            moments.add(out, weight, tiles.sample[index])
        stats[i] = moments.normaliser(layer.eps)
    result = None
    for index in chunks:
        pixels = run(index)
        if result is None:
            result = tiles.output(pixels)
        tiles.paste(result, index, pixels)
    scale = result.shape[-1] // (tiles.tx * tile)
    return result[..., :tiles.h * scale, :tiles.w * scale]
