"""FLOPs and params of a config, attention matmuls included.

Prints two columns: GFLOPs with the attention matmuls (QK^T, AV) that
patch selection shrinks quadratically, and without them (mmcv-style, the
convention of the paper, whose full ViTPose-B 256x192 is 17.9 GFLOPs).
One FLOP is one multiply-add, as in mmengine, mmcv and the paper.

Rows: the full model, each ``--num-keep K``, and with ``--data-root`` the
average over the real selections the config's ``SelectPatches`` makes on a
dataset (the guide is the annotation unless ``--guide-file`` is given).
A backbone that prunes by itself (``JointTokenPatchSelViT``) is counted
through its real forward: the full row runs it at keep rate 1.0 (no
pruning, joint tokens included), then one row per ``--keep-rate R``
(default: the config's rate; other rows run at 1.0); "tokens" is then the
mean number of patch tokens entering a block. An online guide is counted
on its own, at its own input size (it resizes the ViT's crops to it).

Example::

    python tools/get_flops.py \
        configs/coco/td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py \
        --num-keep 144 96 --data-root ../shared/data/mmpose_testdata/coco
"""
import argparse
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmpose.apis import init_model

from mmpose_patchsel.analysis import (SelectionFlops, at_keep_rate,
                                      guide_flops, measured_keep_rates,
                                      pruned_flops)
from mmpose_patchsel.datasets import build_selection_dataset
from mmpose_patchsel.models.pose_estimators import build_guide_model


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--num-keep', type=int, nargs='*', default=[])
    parser.add_argument('--keep-rate', type=float, nargs='*', default=[],
                        help='rates of a backbone that prunes by itself')
    parser.add_argument('--data-root', help='dataset for real selections')
    parser.add_argument('--ann-file', default='test_coco.json')
    parser.add_argument('--img-prefix', default='')
    parser.add_argument('--dataset-type', default='CocoDataset')
    parser.add_argument('--guide-file', help='offline guide JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


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


def dataset_kept(cfg: Config, select_cfg: dict, args) -> List[int]:
    """Patch tokens the selection keeps for each person of the dataset."""
    dataset = build_selection_dataset(args.dataset_type, args.data_root,
                                      args.ann_file,
                                      tuple(cfg.codec.input_size), select_cfg,
                                      args.guide_file, args.img_prefix)
    return [int(dataset[i]['patch_mask'].sum()) for i in range(len(dataset))]


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.backbone.init_cfg = None  # weights do not change FLOPs
    select_cfg = config_selection(cfg)
    # An online guide is counted on its own, from its config alone.
    guide_cfg = cfg.model.pop('guide', None)
    cfg.model.pop('selection', None)
    model = init_model(cfg, device='cpu')
    w, h = cfg.codec.input_size
    backbone = model.backbone
    num_patches = backbone.num_patches
    rates = measured_keep_rates(backbone, args.keep_rate)
    flops = SelectionFlops(model, (3, h, w))

    rows = []  # (setting, tokens, FLOPs); all but keep-rate rows unpruned
    with at_keep_rate(backbone, 1.0):
        rows.append(('full', num_patches, flops.at(None)))
        for rate in rates:
            cost = pruned_flops(model, (3, h, w), rate)
            rows.append((f'keep_rate={rate:g}', cost['tokens'], cost))
        rows += [(f'K={k}', k, flops.at(k)) for k in args.num_keep]
        if args.data_root and select_cfg is None:
            print('no patch selection in this config: no dataset row')
        elif args.data_root:
            mean = flops.mean(dataset_kept(cfg, select_cfg, args))
            rows.append((f'dataset mean ({mean["persons"]} persons)',
                         mean['tokens'], mean))

    print(f'config: {args.config}\ninput {w}x{h}, {num_patches} patches, '
          f'params {rows[0][2]["params"] / 1e6:.1f} M')
    print(f'{"setting":<30}{"tokens":>8}{"GFLOPs":>10}'
          f'{"GFLOPs (no attn)":>18}{"vs full":>9}')
    full = rows[0][2]['flops_no_attention']
    for name, tokens, r in rows:
        print(f'{name:<30}{tokens:>8.1f}{r["flops"] / 1e9:>10.2f}'
              f'{r["flops_no_attention"] / 1e9:>18.2f}'
              f'{r["flops_no_attention"] / full:>9.2f}')
    if guide_cfg is not None:
        guide = guide_flops(
            build_guide_model(guide_cfg['config'],
                              cfg_options=guide_cfg.get('cfg_options')))
        w_g, h_g = guide['input_size']
        print(f'{"+ online guide (per person)":<30}{"":>8}'
              f'{guide["flops"] / 1e9:>10.2f}'
              f'{guide["flops_no_attention"] / 1e9:>18.2f}'
              f'   {guide_cfg["config"]} at {w_g}x{h_g}')


if __name__ == '__main__':
    main()
