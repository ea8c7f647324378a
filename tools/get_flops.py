"""FLOPs and params of a config, attention matmuls included.

Prints two conventions, each with its ratio to the full model: GFLOPs
without the attention matmuls (mmcv-style, the convention of the paper,
whose full ViTPose-B 256x192 is 17.9 GFLOPs) and with them (QK^T and AV,
which patch selection shrinks quadratically). One FLOP is one multiply-add,
as in mmengine, mmcv and the paper.

Rows: the full model, each ``--num-keep K``, and with ``--data-root`` the
average over the real selections the config's ``SelectPatches`` makes on a
dataset (the guide is the annotation unless ``--guide-file`` is given).
A backbone that prunes by itself (``JointTokenPatchSelViT``) is counted
through its real forward: the full row runs it at keep rate 1.0 (no
pruning, joint tokens included), then one row per ``--keep-rate R``
(default: the config's rate; other rows run at 1.0); "tokens" is then the
mean number of patch tokens entering a block. An online guide is counted
on its own, at its own input size (it resizes the ViT's crops to it).
``--out`` writes the rows as JSON (``--append``: added to the file's runs),
what ``tools/update_tables.py`` renders the README's FLOPs table from.

``--all-configs DIR`` counts every config under DIR at its own setting
(params, tokens, GFLOPs with and without attention) and writes them to
``--out``: a selection config averaged over the real selections on its
dataset's bundled test images (mmpose's ``tests/data``, annotation as
guide), or at its fixed ``num_keep`` / the full grid where those cannot be
built; the JSON says which.

Examples::

    python tools/get_flops.py \
        configs/coco/td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py \
        --num-keep 144 96 --data-root ../shared/data/mmpose_testdata/coco
    python tools/get_flops.py --all-configs configs \
        --testdata ../shared/data/mmpose_testdata --out docs/results/configs.json
"""
import argparse
import copy
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional

from mmengine.analysis import parameter_count
from mmengine.config import Config, DictAction
from mmpose.apis import init_model

from mmpose_patchsel.analysis import (SelectionFlops, at_keep_rate,
                                      count_flops, guide_flops,
                                      measured_keep_rates, pruned_flops)
from mmpose_patchsel.analysis.results_json import (add_run, command_line,
                                                   write_json)
from mmpose_patchsel.analysis.results_tables import vit_label
from mmpose_patchsel.datasets import build_selection_dataset
from mmpose_patchsel.models.pose_estimators import build_guide_model

#: mmpose's bundled test annotations per dataset folder (``data/<folder>/``
#: in a config), under ``--testdata``.
BUNDLED = {
    'coco': 'test_coco.json',
    'mpii': 'test_mpii.json',
    'ochuman': 'test_ochuman.json',
    'crowdpose': 'test_crowdpose.json',
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?')
    parser.add_argument('--num-keep', type=int, nargs='*', default=[])
    parser.add_argument('--keep-rate', type=float, nargs='*', default=[],
                        help='rates of a backbone that prunes by itself')
    parser.add_argument('--data-root', help='dataset for real selections')
    parser.add_argument('--ann-file', default='test_coco.json')
    parser.add_argument('--img-prefix', default='')
    parser.add_argument('--dataset-type', default='CocoDataset')
    parser.add_argument('--guide-file', help='offline guide JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--out', help='write the rows to this JSON')
    parser.add_argument('--append', action='store_true',
                        help='add this run to the runs already in --out')
    parser.add_argument('--all-configs', metavar='DIR',
                        help='count every config under DIR (needs --out)')
    parser.add_argument('--testdata', default='../shared/data/mmpose_testdata',
                        help="mmpose's tests/data: coco/, mpii/, ... for "
                        '--all-configs')
    args = parser.parse_args(argv)
    if (args.config is None) == (args.all_configs is None):
        parser.error('give a config or --all-configs DIR (one of them)')
    if args.all_configs and not args.out:
        parser.error('--all-configs writes its results to --out JSON')
    if args.append and not args.out:
        parser.error('--append adds to --out JSON: give --out')
    return args


def config_selection(cfg: Config) -> Optional[dict]:
    """The selection options of the config: its test pipeline's
    ``SelectPatches``, or the online guide's ``model.selection``; None for
    a config without selection."""
    online = cfg.model.get('selection')
    if online is not None:
        return {k: v for k, v in online.items() if k != 'use_udp'}
    for transform in cfg.test_dataloader.dataset.pipeline:
        if transform['type'] == 'SelectPatches':
            return {k: v for k, v in transform.items()
                    if k not in ('type', 'input_size', 'use_udp')}
    return None


def method_of(select_cfg: Optional[dict], backbone) -> str:
    """'skeleton', 'neighbour, n=4', 'joint tokens' or 'full'."""
    if hasattr(backbone, 'keep_rate'):
        return 'joint tokens'
    if select_cfg is None:
        return 'full'
    if select_cfg.get('mode', 'neighbour') == 'skeleton':
        method = 'skeleton'
        if select_cfg.get('num_neighbours'):
            method += f", n={select_cfg['num_neighbours']}"
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


def _row(setting: str, kind: str, tokens: float, cost: dict, **extra):
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
        if not self.is_vit:
            w, h = self.input_size
            cost = count_flops(self.model, (3, h, w))
            return _row('full', 'full', None, cost)
        with at_keep_rate(self.backbone, 1.0):
            return _row('full', 'full', self.backbone.num_patches,
                        self.flops.at(None))

    def num_keep(self, k: int) -> dict:
        with at_keep_rate(self.backbone, 1.0):
            return _row(f'K={k}', 'num_keep', k, self.flops.at(k))

    def keep_rate(self, rate: float) -> dict:
        w, h = self.input_size
        cost = pruned_flops(self.model, (3, h, w), rate)
        return _row(f'keep_rate={rate:g}', 'keep_rate', cost['tokens'], cost,
                    keep_rate=rate, joint_tokens=self.backbone.num_joints)

    def mean(self, kept: List[int], data: str, guide: str) -> dict:
        with at_keep_rate(self.backbone, 1.0):
            mean = self.flops.mean(kept)
        return _row(f"dataset mean ({mean['persons']} persons)", 'dataset',
                    mean['tokens'], mean, persons=mean['persons'], data=data,
                    guide=guide)

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


def measure(args) -> dict:
    """The run of one config: its rows as ``--out`` writes them."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    select_cfg = config_selection(cfg)
    counted = Counted(cfg)
    rows = [counted.full()]
    rows += [counted.keep_rate(rate)
             for rate in measured_keep_rates(counted.backbone,
                                             args.keep_rate)]
    rows += [counted.num_keep(k) for k in args.num_keep]
    if args.data_root and select_cfg is None:
        print('no patch selection in this config: no dataset row')
    elif args.data_root:
        kept = dataset_kept(counted.input_size, select_cfg,
                            args.dataset_type, args.data_root, args.ann_file,
                            args.guide_file, args.img_prefix)
        rows.append(counted.mean(
            kept, osp.join(osp.basename(osp.normpath(args.data_root)),
                           args.ann_file),
            'an offline guide' if args.guide_file else 'the annotation'))
    return dict(
        config=osp.relpath(args.config), command=command_line(),
        model=vit_label(cfg.model.backbone),
        method=method_of(select_cfg, counted.backbone),
        input_size=list(counted.input_size),
        num_patches=counted.backbone.num_patches, params=counted.params(),
        rows=rows, guide=online_guide(cfg))


# ----------------------------------------------------------- --all-configs
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
    ann_file = osp.join(testdata, folder, BUNDLED.get(folder, '-'))
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
    """:func:`config_cost` of every config under ``root``."""
    models: Dict[str, Counted] = {}
    entries = []
    for path in config_files(root):
        print(f'[get_flops] {path}', flush=True)
        cfg = Config.fromfile(path)
        key = model_key(cfg)
        if key not in models:
            models[key] = Counted(cfg)
        counted = models[key]
        row = config_cost(cfg, counted, testdata)
        entries.append(dict(
            config=osp.relpath(path), params=counted.params(),
            input_size=list(counted.input_size), tokens=row['tokens'],
            flops=row['flops'], flops_no_attention=row['flops_no_attention'],
            attention_flops=row['attention_flops'],
            tokens_from=row['tokens_from'], guide=online_guide(cfg)))
    return dict(tool='tools/get_flops.py', command=command,
                testdata=testdata, configs=entries)


def print_run(run: dict) -> None:
    w, h = run['input_size']
    print(f"config: {run['config']}\ninput {w}x{h}, {run['num_patches']} "
          f"patches, params {run['params'] / 1e6:.1f} M")
    print(f'{"setting":<30}{"tokens":>8}{"GFLOPs (no attn)":>18}'
          f'{"vs full":>9}{"GFLOPs":>10}{"vs full":>9}')
    full = run['rows'][0]
    for r in run['rows']:
        print(f"{r['setting']:<30}{r['tokens']:>8.1f}"
              f"{r['flops_no_attention'] / 1e9:>18.2f}"
              f"{r['flops_no_attention'] / full['flops_no_attention']:>9.2f}"
              f"{r['flops'] / 1e9:>10.2f}{r['flops'] / full['flops']:>9.2f}")
    guide = run['guide']
    if guide is not None:
        w_g, h_g = guide['input_size']
        print(f'{"+ online guide (per person)":<30}{"":>8}'
              f'{guide["flops_no_attention"] / 1e9:>18.2f}{"":>9}'
              f'{guide["flops"] / 1e9:>10.2f}'
              f'   {guide["config"]} at {w_g}x{h_g}')


def main(argv=None):
    args = parse_args(argv)
    if args.all_configs:
        write_json(args.out, all_configs(args.all_configs, args.testdata,
                                         command_line()))
        print(f'-> {args.out}')
        return
    run = measure(args)
    print_run(run)
    if args.out:
        add_run(args.out, run, 'tools/get_flops.py', args.append)
        print(f'-> {args.out}')


if __name__ == '__main__':
    main()
