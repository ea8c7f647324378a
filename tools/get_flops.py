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
import os.path as osp

from mmengine.config import Config, DictAction

from mmpose_patchsel.analysis.complexity import measured_keep_rates
from mmpose_patchsel.analysis.config_flops import (Counted, all_configs,
                                                   config_selection,
                                                   dataset_kept, method_of,
                                                   online_guide)
from mmpose_patchsel.analysis.results_json import (add_run, command_line,
                                                   write_json)
from mmpose_patchsel.analysis.results_tables import vit_label

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
