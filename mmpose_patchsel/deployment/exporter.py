"""From a config and its checkpoint to a checked ONNX file: what
``tools/deployment/export_onnx.py`` runs."""
import os.path as osp
from typing import Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.runner import load_checkpoint
from mmpose.apis import init_model
from torch import nn

from .check_inputs import coco_person_inputs, random_inputs
from .graphs import SelectedPoseGraph, TopdownGraph
from .model_card import model_card, selection_of
from .onnx_export import check_onnx, export_onnx


def load_pose_model(
        config: Union[str, Config],
        checkpoint: Optional[str] = None) -> Tuple[Config, nn.Module]:
    """The config and its model in eval mode on the CPU; the checkpoint is
    loaded strictly (a mismatch names the keys). Without a checkpoint the
    weights are random: for cost measurements and tests only."""
    if isinstance(config, str):
        cfg = get_config(config) if '::' in config else Config.fromfile(config)
    else:
        cfg = config
    model = init_model(cfg, None, device='cpu')
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} not found')
        try:
            ckpt = load_checkpoint(model,
                                   checkpoint,
                                   map_location='cpu',
                                   strict=True)
        except RuntimeError as error:
            raise ValueError(f'checkpoint {checkpoint} does not match the '
                             f'config: {error}') from error
        meta = ckpt.get('meta', {}).get('dataset_meta')
        if meta:
            model.dataset_meta = meta
    return cfg, model.eval()


def build_graph(cfg: Config, model: nn.Module, role: str,
                **selection) -> Tuple[nn.Module, dict]:
    """The graph to export and its model card.

    ``role='selected'`` puts the config's selection (``SelectPatches`` or
    the online guide's options; ``selection`` overrides them, and must give
    ``num_keep``) inside the graph; ``'full'`` and ``'guide'`` export the
    plain top-down model.
    """
    if role != 'selected':
        graph = TopdownGraph(model)
        return graph, model_card(cfg, model, role, graph.input_names,
                                 graph.output_names)
    if not hasattr(model, 'patch_grid'):
        raise ValueError(
            f'role "selected" needs a PatchSelTopdownEstimator, the config '
            f'builds {type(model).__name__}')
    options = selection_of(cfg, **selection)
    if options.get('mode') == 'skeleton' and not options.get('skeleton_links'):
        links = (model.dataset_meta or {}).get('skeleton_links')
        if not links:
            raise KeyError('skeleton selection needs skeleton_links: the '
                           "model's dataset_meta has none")
        options['skeleton_links'] = links
    grid = model.patch_grid()
    graph = SelectedPoseGraph(model, grid, options)
    return graph, model_card(cfg, model, role, graph.input_names,
                             graph.output_names, graph.options, grid)


def check_inputs(model: nn.Module,
                 card: dict,
                 check_data: Optional[str],
                 max_persons: Optional[int] = None):
    """Bundled COCO persons when the model predicts COCO's 17 keypoints
    and ``check_data`` is given, else random inputs."""
    if check_data and card['num_keypoints'] == 17:
        return coco_person_inputs(model, card, check_data, max_persons), \
            'coco'
    return random_inputs(card), 'random'


def export_pose_model(config: Union[str, Config],
                      checkpoint: Optional[str],
                      out: str,
                      role: Optional[str] = None,
                      check_data: Optional[str] = None,
                      max_persons: Optional[int] = None,
                      **selection) -> dict:
    """Export ``config`` to ``out`` and check it against PyTorch; returns
    the card and the check's report (see :func:`check_onnx`).

    ``role`` defaults to ``'selected'`` when a budget ``num_keep`` is
    given, else ``'full'``.
    """
    cfg, model = load_pose_model(config, checkpoint)
    if getattr(model.head, 'tile_cells', None) is not None:
        # The tiles depend on the kept cells (data-dependent shapes); the
        # dense head computes the same heatmaps.
        model.head.tile_cells = None
    if role is None:
        role = 'selected' if selection.get('num_keep') else 'full'
    graph, card = build_graph(cfg, model, role, **selection)
    inputs, data = check_inputs(model, card, check_data, max_persons)
    inputs = inputs[:len(graph.input_names)]
    if inputs[0].shape[0] < 2:  # a batch of one would be specialised
        inputs = tuple(torch.cat([t, t]) for t in inputs)
    export_onnx(graph, inputs, out, card)
    # Random weights give flat heatmaps whose decoded peaks rounding moves.
    report = check_onnx(out,
                        graph,
                        inputs,
                        card['codec'],
                        max_px=None if checkpoint is None else 0.5)
    return dict(card=card, check=dict(report, data=data), onnx=out)
