"""ONNX Runtime speed of a patch-selected ViT against the full ONNX model.

For every input size and batch size it times, in rotation (one call of
each per round, medians), the full ONNX model, the selected model at each
budget K (a fraction of the patches, selection inside the graph), the guide
alone, the full model in PyTorch eager, and, end to end through
``patchsel_runtime`` (crops, guide, selection, ViT, decoding, on the
bundled COCO persons), the full and the guided pipelines. Every speed-up is
a ratio of two medians of the same run; the FLOPs bound of each K is the
full model's GFLOPs over the selected one's (attention counted).

    python tools/deployment/benchmark_onnx.py --out docs/results/onnx_cpu.json

The ONNX files are cached in ``--work-dir`` (exported with random weights:
speed does not depend on them).
"""
import argparse
import os
import os.path as osp
import sys
from typing import Callable, Dict, List

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from benchmark import machine_meta  # noqa: E402

from mmpose_patchsel.analysis.input_size import parse_wxh  # noqa: E402

DEFAULT_CONFIG = osp.join(
    ROOT, 'configs/coco/td-hm_patchsel-vit-base-skeleton_8xb64-210e_'
    'coco-256x192.py')
DEFAULT_GUIDE = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
                 'td-hm_litehrnet-18_8xb64-210e_coco-256x192.py')
DEFAULT_DATA = osp.join(ROOT, '..', 'shared', 'data', 'mmpose_testdata',
                        'coco')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--guide-config', default=DEFAULT_GUIDE)
    parser.add_argument('--input-sizes',
                        nargs='+',
                        type=parse_wxh,
                        default=[(192, 256), (288, 384)],
                        metavar='WxH')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--keep',
                        type=float,
                        nargs='+',
                        default=[0.75, 0.5, 0.25],
                        help='budgets as fractions of the patches')
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--data',
                        default=DEFAULT_DATA,
                        help='COCO folder for the end-to-end rows')
    parser.add_argument('--work-dir', default='outputs/onnx_benchmark')
    parser.add_argument('--out', help='write the results JSON here')
    return parser.parse_args(argv)


def export_cached(config, out: str, role: str, **selection) -> str:
    """Export once; later runs reuse the file."""
    from mmpose_patchsel.deployment.exporter import export_pose_model
    if not osp.isfile(out):
        export_pose_model(config, None, out, role=role, **selection)
    return out


def session_options(threads: int):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return options


def session(path: str, threads: int):
    import onnxruntime as ort
    return ort.InferenceSession(path,
                                session_options(threads),
                                providers=['CPUExecutionProvider'])


def runtime_model(path: str, threads: int):
    from patchsel_runtime import OnnxPoseModel
    return OnnxPoseModel(path,
                         providers=['CPUExecutionProvider'],
                         session_options=session_options(threads))


def coco_persons(data: str, batch: int):
    """One bundled COCO image and ``batch`` of its annotated person boxes
    (xyxy; repeated when it has fewer)."""
    import json

    import cv2
    with open(osp.join(data, 'test_coco.json')) as f:
        coco = json.load(f)
    by_image = {}
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        by_image.setdefault(ann['image_id'], []).append([x, y, x + w, y + h])
    image_id = max(by_image, key=lambda i: len(by_image[i]))
    name = next(i['file_name'] for i in coco['images'] if i['id'] == image_id)
    boxes = np.array(by_image[image_id], np.float32)
    boxes = boxes[np.arange(batch) % len(boxes)]
    return cv2.imread(osp.join(data, name)), boxes


def flops_bounds(cfg, size, ks: List[int]) -> Dict[int, float]:
    """Full GFLOPs over selected GFLOPs at each K (attention counted)."""
    from mmpose_patchsel.analysis.config_flops import Counted
    counted = Counted(cfg)
    full = counted.full()['flops']
    return {k: full / counted.num_keep(k)['flops'] for k in ks}


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    import mmpose_patchsel  # noqa: F401
    from mmengine.config import Config
    from mmpose.apis import init_model

    from patchsel_runtime import PatchSelPose

    from mmpose_patchsel.analysis import median_times
    from mmpose_patchsel.analysis.input_size import at_input_size
    from mmpose_patchsel.analysis.results_json import (command_line,
                                                       write_json)
    os.makedirs(args.work_dir, exist_ok=True)
    base = Config.fromfile(args.config)
    base.model.backbone.init_cfg = None
    guide_path = export_cached(args.guide_config,
                               osp.join(args.work_dir, 'guide.onnx'), 'guide')
    guide = session(guide_path, args.threads)
    results = dict(command=command_line(),
                   meta=dict(
                       machine_meta(torch.device('cpu'), None),
                       onnxruntime=__import__('onnxruntime').__version__),
                   config=osp.relpath(args.config, ROOT),
                   guide_config=args.guide_config,
                   rows=[])
    for w, h in args.input_sizes:
        cfg = at_input_size(base, (w, h))
        tag = f'{w}x{h}'
        full_path = export_cached(cfg,
                                  osp.join(args.work_dir, f'full_{tag}.onnx'),
                                  'full')
        n = (h // 16) * (w // 16)
        ks = [max(1, round(n * f)) for f in args.keep]
        selected = {
            k:
            export_cached(cfg,
                          osp.join(args.work_dir, f'selected_{tag}_k{k}.onnx'),
                          'selected',
                          num_keep=k)
            for k in ks
        }
        bounds = flops_bounds(cfg, (w, h), ks)
        torch_model = init_model(cfg, device='cpu').eval()
        sessions = {'full': session(full_path, args.threads)}
        sessions.update({
            k: session(p, args.threads)
            for k, p in selected.items()
        })
        runtime_guide = runtime_model(guide_path, args.threads)
        pipelines = {
            'full': PatchSelPose(runtime_model(full_path, args.threads))
        }
        pipelines.update({
            k:
            PatchSelPose(runtime_model(p, args.threads), runtime_guide)
            for k, p in selected.items()
        })
        for batch in args.batch_sizes:
            rng = np.random.default_rng(0)
            crops = rng.standard_normal((batch, 3, h, w), np.float32)
            kpts = (rng.random(
                (batch, 17, 2)) * [w - 1, h - 1]).astype(np.float32)
            scores = rng.random((batch, 17)).astype(np.float32)
            gw, gh = guide.get_inputs()[0].shape[3], \
                guide.get_inputs()[0].shape[2]
            guide_crops = rng.standard_normal((batch, 3, gh, gw), np.float32)
            tensor = torch.from_numpy(crops)
            calls: Dict[object, Callable] = {
                'full': lambda: sessions['full'].run(None, {'input': crops}),
                'guide': lambda: guide.run(None, {'input': guide_crops}),
                'pytorch': lambda: torch_model._forward(tensor),
            }
            for k in ks:
                calls[k] = (lambda k=k: sessions[k].run(
                    None,
                    dict(input=crops, keypoints=kpts, keypoint_scores=scores)))
            image, boxes = coco_persons(args.data, batch)
            for name, pipeline in pipelines.items():
                calls['e2e', name] = (lambda p=pipeline: p(image, boxes))
            seconds = median_times(calls, args.repeats, args.warmup)
            full_s = seconds['full']
            row = dict(input_size=[w, h],
                       batch=batch,
                       patches=n,
                       full_ms=full_s * 1e3,
                       guide_ms=seconds['guide'] * 1e3,
                       pytorch_full_ms=seconds['pytorch'] * 1e3,
                       ort_over_pytorch=seconds['pytorch'] / full_s,
                       e2e_full_ms=seconds['e2e', 'full'] * 1e3,
                       budgets=[])
            for k in ks:
                row['budgets'].append(
                    dict(num_keep=k,
                         ms=seconds[k] * 1e3,
                         speedup=full_s / seconds[k],
                         flops_bound=bounds[k],
                         of_bound=full_s / seconds[k] / bounds[k],
                         e2e_ms=seconds['e2e', k] * 1e3,
                         e2e_speedup=seconds['e2e', 'full'] /
                         seconds['e2e', k]))
            results['rows'].append(row)
            print(f'{tag} batch {batch}: full {full_s * 1e3:.1f} ms, guide '
                  f'{seconds["guide"] * 1e3:.1f} ms, PyTorch '
                  f'{seconds["pytorch"] * 1e3:.1f} ms; ' +
                  ', '.join(f'K={b["num_keep"]} {b["speedup"]:.2f}x (bound '
                            f'{b["flops_bound"]:.2f}x; end to end '
                            f'{b["e2e_speedup"]:.2f}x)'
                            for b in row['budgets']))
    if args.out:
        write_json(args.out, results)
    return results


if __name__ == '__main__':
    main()
