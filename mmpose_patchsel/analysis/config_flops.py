"""FLOPs of a config's model at the settings a config or a tool asks for.

What ``tools/get_flops.py`` counts, as library code: a config's model built
once (:class:`Counted`) and its rows (full grid, a fixed number of kept
tokens, a keep rate of a self-pruning backbone, the mean over the real
selections on a dataset), and every config of a folder at its own setting
(:func:`all_configs`). Rows hold FLOPs with and without the attention
matmuls (see :mod:`.complexity`); one FLOP is one multiply-add.
"""
import copy
import gc
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.analysis import parameter_count
from mmengine.config import Config
from mmpose.apis import init_model

from mmpose_patchsel.analysis.complexity import (SelectionFlops,
                                                 at_keep_rate, count_flops,
                                                 guide_flops, pruned_flops)
from mmpose_patchsel.datasets import build_selection_dataset
from mmpose_patchsel.models.pose_estimators import build_guide_model
from mmpose_patchsel.utils import find_test_transform

#: mmpose's bundled test annotations per dataset folder (``data/<folder>/``
#: in a config), under ``--testdata``.
BUNDLED = {
    'coco': 'test_coco.json',
    'mpii': 'test_mpii.json',
    'ochuman': 'test_ochuman.json',
    'crowdpose': 'test_crowdpose.json',
}
#: Dataset types whose bundled annotations differ from their folder's.
BUNDLED_BY_TYPE = {'CocoWholeBodyDataset': 'test_coco_wholebody.json'}


def config_selection(cfg: Config) -> Optional[dict]:
    """The selection options of the config: its test pipeline's
    ``SelectPatches``, or the online guide's ``model.selection``; None for
    a config without selection."""
    online = cfg.model.get('selection')
    if online is not None:
        return {k: v for k, v in online.items() if k != 'use_udp'}
    transform = find_test_transform(cfg, 'SelectPatches')
    if transform is None:
        return None
    return {
        k: v
        for k, v in transform.items()
        if k not in ('type', 'input_size', 'use_udp')
    }


def method_of(select_cfg: Optional[dict], backbone) -> str:
    """'skeleton', 'neighbour, n=4', 'neighbour, r=0.08' (a radius, as a
    fraction of the crop height), 'joint tokens' or 'full'."""
    if hasattr(backbone, 'keep_rate'):
        return 'joint tokens'
    if select_cfg is None:
        return 'full'
    radii = ''.join(f', {label}={select_cfg[key]:g}'
                    for key, label in (('neighbour_radius', 'r'),
                                       ('limb_radius', 'limb'))
                    if select_cfg.get(key) is not None)
    if select_cfg.get('mode', 'neighbour') == 'skeleton':
        method = 'skeleton' + radii
        if select_cfg.get('num_neighbours'):
            method += f", n={select_cfg['num_neighbours']}"
    elif radii:
        method = 'neighbour' + radii
    else:
        method = f"neighbour, n={select_cfg.get('num_neighbours', 0)}"
    if select_cfg.get('num_keep'):
        method += f", K={select_cfg['num_keep']}"
    return method


def dataset_kept(input_size: tuple, select_cfg: dict, dataset_type: str,
                 data_root: str, ann_file: str, guide_file: Optional[str],
                 img_prefix: str = '') -> List[int]:
    """Patch tokens the selection keeps for each person of the dataset."""
    dataset = build_selection_dataset(dataset_type, data_root, ann_file,
                                      input_size, select_cfg, guide_file,
                                      img_prefix)
    return [int(dataset[i]['patch_mask'].sum()) for i in range(len(dataset))]


def cost_row(setting: str, kind: str, tokens: Optional[float], cost: dict,
             **extra) -> dict:
    """A row as the tools write it: setting, kind, tokens and FLOPs."""
    return dict(setting=setting, kind=kind,
                tokens=None if tokens is None else float(tokens),
                flops=cost['flops'],
                flops_no_attention=cost['flops_no_attention'],
                attention_flops=cost['attention_flops'], **extra)


class Counted:
    """A model, built once from a config, and the FLOPs of its settings
    (configs that differ only in selection or guide share one)."""

    def __init__(self, cfg: Config) -> None:
        cfg = copy.deepcopy(cfg)
        cfg.model.backbone.init_cfg = None  # weights do not change FLOPs
        # An online guide is counted on its own, from its config alone.
        cfg.model.pop('guide', None)
        cfg.model.pop('selection', None)
        self.model = init_model(cfg, device='cpu')
        self.input_size = tuple(cfg.codec.input_size)
        w, h = self.input_size
        self.backbone = self.model.backbone
        self.is_vit = hasattr(self.backbone, 'num_patches')
        self.flops = SelectionFlops(self.model, (3, h, w)) if (
            self.is_vit) else None

    def full(self) -> dict:
        """All patches (a self-pruning backbone at keep rate 1.0)."""
        if not self.is_vit:
            w, h = self.input_size
            cost = count_flops(self.model, (3, h, w))
            return cost_row('full', 'full', None, cost)
        with at_keep_rate(self.backbone, 1.0):
            return cost_row('full', 'full', self.backbone.num_patches,
                            self.flops.at(None))

    def num_keep(self, k: int) -> dict:
        """``k`` kept patch tokens."""
        with at_keep_rate(self.backbone, 1.0):
            return cost_row(f'K={k}', 'num_keep', k, self.flops.at(k))

    def keep_rate(self, rate: float) -> dict:
        """A self-pruning backbone at keep rate ``rate``; tokens: the mean
        patch tokens entering a block."""
        w, h = self.input_size
        cost = pruned_flops(self.model, (3, h, w), rate)
        return cost_row(f'keep_rate={rate:g}', 'keep_rate', cost['tokens'],
                        cost, keep_rate=rate,
                        joint_tokens=self.backbone.num_joints)

    def mean(self, kept: List[int], data: str, guide: str) -> dict:
        """The mean over real selections, ``kept`` tokens per person of
        ``data`` selected with ``guide`` (both named in the row)."""
        with at_keep_rate(self.backbone, 1.0):
            mean = self.flops.mean(kept)
        return cost_row(f"dataset mean ({mean['persons']} persons)",
                        'dataset', mean['tokens'], mean,
                        persons=mean['persons'], data=data, guide=guide)

    def params(self) -> float:
        return parameter_count(self.model)['']


def online_guide(cfg: Config) -> Optional[dict]:
    """The cost of a config's online guide, at its own input size."""
    guide_cfg = cfg.model.get('guide')
    if guide_cfg is None:
        return None
    cost = guide_flops(
        build_guide_model(guide_cfg['config'],
                          cfg_options=guide_cfg.get('cfg_options')))
    path = guide_cfg['config']  # mmpose::..., or a file (relative to here)
    if osp.isfile(path):
        path = osp.relpath(path)
    return dict(config=path,
                input_size=list(cost['input_size']), flops=cost['flops'],
                flops_no_attention=cost['flops_no_attention'])


def config_files(root: str) -> List[str]:
    """Every config under ``root`` but the ``_base_`` pieces, sorted."""
    return sorted(
        p for p in glob.glob(osp.join(root, '**', '*.py'), recursive=True)
        if '_base_' not in osp.relpath(p, root).split(os.sep))


def model_key(cfg: Config) -> str:
    """What the FLOPs of a config's model depend on: the model but its
    guide and selection, and the input size."""
    model = cfg.model.to_dict()
    model.pop('guide', None)
    model.pop('selection', None)
    model['backbone'].pop('init_cfg', None)
    return json.dumps([model, list(cfg.codec.input_size)], sort_keys=True,
                      default=str)


def config_cost(cfg: Config, counted: Counted, testdata: str) -> dict:
    """The row of a config at its own setting, and where its tokens come
    from."""
    select_cfg = config_selection(cfg)
    if not counted.is_vit:
        return dict(counted.full(), tokens_from='not a ViT: no patch tokens')
    if hasattr(counted.backbone, 'keep_rate'):
        rate = counted.backbone.current_keep_rate
        return dict(counted.keep_rate(rate), tokens_from=(
            f'keep rate {rate:g}: mean patch tokens per block (+'
            f'{counted.backbone.num_joints} joint tokens)'))
    if select_cfg is None:
        return dict(counted.full(), tokens_from='all patches')
    dataset = cfg.test_dataloader.dataset
    folder = osp.basename(osp.normpath(dataset.data_root))
    ann_file = osp.join(
        testdata, folder,
        BUNDLED_BY_TYPE.get(dataset.type, BUNDLED.get(folder, '-')))
    if osp.isfile(ann_file):
        kept = dataset_kept(counted.input_size, select_cfg, dataset.type,
                            osp.dirname(ann_file), osp.basename(ann_file),
                            None)
        row = counted.mean(kept, f'{folder}/{osp.basename(ann_file)}',
                           'the annotation')
        return dict(row, tokens_from=(
            f"mean over the {row['persons']} persons of the bundled "
            f'{folder} test images (annotation as guide)'))
    if select_cfg.get('num_keep'):
        return dict(counted.num_keep(select_cfg['num_keep']),
                    tokens_from=f'fixed num_keep (no {folder} data here)')
    return dict(counted.full(),
                tokens_from=f'full grid (no {folder} data here to select on)')


def all_configs(root: str, testdata: str, command: str) -> dict:
    """:func:`config_cost` of every config under ``root``, in path order.

    Configs that share a model (:func:`model_key`) share one build, and
    one model is alive at a time: a directory of ViT-H and Sapiens-1B
    configs holds several GB per model, more than a machine keeps at once.
    """
    groups: Dict[str, List[Tuple[str, Config]]] = {}
    for path in config_files(root):
        cfg = Config.fromfile(path)
        groups.setdefault(model_key(cfg), []).append((path, cfg))
    entries = {}
    for configs in groups.values():
        counted = Counted(configs[0][1])
        for path, cfg in configs:
            print(f'[get_flops] {path}', flush=True)
            row = config_cost(cfg, counted, testdata)
            entries[path] = dict(
                config=osp.relpath(path), params=counted.params(),
                input_size=list(counted.input_size), tokens=row['tokens'],
                flops=row['flops'],
                flops_no_attention=row['flops_no_attention'],
                attention_flops=row['attention_flops'],
                tokens_from=row['tokens_from'], guide=online_guide(cfg))
        del counted
        gc.collect()
    return dict(tool='tools/get_flops.py', command=command,
                testdata=testdata,
                configs=[entries[path] for path in sorted(entries)])
