"""Input sizes: parsed from the command line, and a top-down config moved
to another one (the backbone's image size, every codec's input and heatmap
sizes and the pipelines' crops)."""
import argparse
import copy
from typing import Any, Tuple

from mmengine.config import Config

from mmpose_patchsel.selection import PatchGrid


def _parse(text: str, order: str) -> Tuple[int, int]:
    example = '192x256' if order == 'WxH' else '256x192'
    try:
        first, second = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'bad input size {text!r}: expected {order}, e.g. {example}'
        ) from None
    w, h = (first, second) if order == 'WxH' else (second, first)
    PatchGrid((w, h))  # fails early for an empty grid
    return w, h


def parse_wxh(text: str) -> Tuple[int, int]:
    """``'192x256'`` (width x height, as mmpose's ``input_size``) ->
    ``(w, h)``; an argparse type: a bad size is a usage error."""
    return _parse(text, 'WxH')


def parse_hxw(text: str) -> Tuple[int, int]:
    """``'256x192'`` (height x width, as mmpose names its configs) ->
    ``(w, h)``; an argparse type like :func:`parse_wxh`."""
    return _parse(text, 'HxW')


def _resize(node: Any, input_size: Tuple[int, int]) -> None:
    """Set ``input_size`` (and ``heatmap_size`` at the same stride) of
    every dict under ``node`` that has one, in place."""
    if isinstance(node, dict):
        if 'input_size' in node and 'type' in node:
            old_w = node['input_size'][0]
            if 'heatmap_size' in node:
                stride = old_w / node['heatmap_size'][0]
                node['heatmap_size'] = (round(input_size[0] / stride),
                                        round(input_size[1] / stride))
            node['input_size'] = tuple(input_size)
        for value in node.values():
            _resize(value, input_size)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _resize(value, input_size)


def at_input_size(cfg: Config, input_size: Tuple[int, int]) -> Config:
    """A copy of ``cfg`` at ``input_size`` ``(w, h)``: codecs (heatmaps at
    the same stride), ``TopdownAffine``/``SelectPatches`` and the ViT's
    ``img_size`` ``(h, w)``."""
    w, h = input_size
    cfg = copy.deepcopy(cfg)
    for key in ('codec', 'model', 'train_dataloader', 'val_dataloader',
                'test_dataloader'):
        if cfg.get(key) is not None:
            _resize(cfg[key], (w, h))
    if 'img_size' in cfg.model.backbone:
        cfg.model.backbone.img_size = (h, w)
    return cfg
