"""Activation memory of the tiled head against the dense one, by model.

At 1024x768 a heatmap head's upsampled maps hold most of a selecting
model's activation memory: the head runs on the restored full grid.
``SapiensHeatmapHead(tile_cells=N)`` runs it only on the tiles near the
kept cells. This measures, for each model of the cost benchmark, the
whole-model activation peak (PyTorch's allocator events, as
``tools/cost_vs_resolution.py``) with the head dense and tiled, on the
skeleton selection of the bundled COCO persons at its natural count and at
a budget, against the full model; with the head's CPU time each way and
the largest difference between their heatmaps.

    python tools/head_memory.py --out docs/results/head_memory.json
    python tools/head_memory.py --models vit-l --input-size 256x192 \
        --max-persons 1     # seconds
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark import machine_meta  # noqa: E402
from cost_vs_resolution import parse_model  # noqa: E402

from mmpose_patchsel.analysis.input_size import parse_hxw  # noqa: E402
from mmpose_patchsel.analysis.results_json import (  # noqa: E402
    command_line, write_json)
from mmpose_patchsel.benchmarks.cost_resolution import MODELS  # noqa: E402
from mmpose_patchsel.benchmarks.cost_resolution.plan import (  # noqa: E402
    DATA_ROOT, PROJECT)
from mmpose_patchsel.benchmarks.head_memory import (  # noqa: E402
    kept_settings, markdown, measure_model)

TOOL = 'tools/head_memory.py'
DEFAULT_MODELS = ('vit-l', 'sapiens-0.3b', 'sapiens-1b')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models', nargs='+', type=parse_model,
                        default=[parse_model(m) for m in DEFAULT_MODELS],
                        help=f'of {", ".join(MODELS)}, or NAME=CONFIG')
    parser.add_argument('--input-size', type=parse_hxw, default=(768, 1024),
                        help='HxW (default 1024x768)')
    parser.add_argument('--tile-cells', type=int, default=4,
                        help='grid cells per tile side')
    parser.add_argument('--budget', type=float, default=0.25,
                        help='kept fraction of the grid of the budget row')
    parser.add_argument('--max-persons', type=int, default=4)
    parser.add_argument('--data-root', default=DATA_ROOT,
                        help='COCO images and test_coco.json to select on')
    parser.add_argument('--repeats', type=int, default=3,
                        help='timing rounds of the heads')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out', help='results JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    init_default_scope('mmpose')
    keeps = kept_settings(args.input_size, args.budget, args.max_persons,
                          args.data_root)
    models = []
    for name, spec in args.models:
        print(f'[head_memory] {spec.label}', flush=True)
        result = measure_model(Config.fromfile(osp.join(PROJECT,
                                                        spec.config)),
                               args.input_size, keeps, args.tile_cells,
                               args.repeats)
        models.append(dict(model=name, label=spec.label, config=spec.config,
                           **result))
        for s in result['settings']:
            print(f"  {s['setting']:<9} {s['tokens']:6.0f} tokens  dense "
                  f"{s['dense_activation_mib']:6.1f} MiB "
                  f"({s['dense_vs_full']:.2f})  tiled "
                  f"{s['tiled_activation_mib']:6.1f} MiB "
                  f"({s['tiled_vs_full']:.2f})", flush=True)
    results = dict(tool=TOOL, command=command_line(),
                   meta=machine_meta(torch.device('cpu'), None),
                   budget=args.budget, models=models)
    print(markdown(results))
    if args.out:
        write_json(args.out, results)
        print(f'-> {args.out}')
    return results


if __name__ == '__main__':
    main()
