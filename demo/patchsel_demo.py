"""The main job: guide -> patch selection -> ViT on kept patches -> poses.

On mmpose's bundled real COCO test images (4 photos, 12 annotated persons)
the demo:

1. trains a cheap guide pose model (a small ViT at 128x96) and a
   patch-selected ViT (ViT-S's width, 6 blocks, 256x192) on those persons
   (cached under ``--work-dir``; the second run reuses them);
2. runs the ViT with the guide online: the guide predicts keypoints, the
   skeleton selection keeps the patches along the limbs, the ViT runs on
   those tokens only and mmpose's heatmap head decodes the poses;
3. reports COCO AP with and without selection and the kept tokens;
4. reports GFLOPs: the ViT's with and without selection, the guide's and
   its share of the ViT's (the project's ViT-B config too, at the same
   kept tokens);
5. times four rows on the same batch of the 12 crops, taking turns in each
   round, medians: the full ViT, the guide (keypoints -> kept patches), the
   selected ViT alone (selection given), and guide + selected ViT end to
   end, and prints the speed-ups end to end and model-only;
6. saves pictures: predicted skeletons on each photo, and the kept patches
   on each person's crop.

The console shows the demo's steps and results; what mmengine, mmpose and
pycocotools print goes to ``<work-dir>/demo.log``; the printed numbers are
also written to ``<work-dir>/demo.json``. Torch runs on one CPU thread
unless ``--threads`` says more: on a shared CPU the threads of one call
wait on each other.

No trained weights ship with the project and none can be downloaded here,
so both models are trained by the demo on the very images it then shows:
the poses are memorised, not a measure of accuracy on unseen images.

Example::

    python demo/patchsel_demo.py --data-root ../shared/data/mmpose_testdata
"""
import argparse
import copy
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpose.apis import init_model
from mmpose.registry import DATASETS
from mmpose.structures import merge_data_samples

from mmpose_patchsel.analysis.complexity import SelectionFlops, guide_flops
from mmpose_patchsel.analysis.evaluation import evaluate_batches
from mmpose_patchsel.analysis.runs import (StageTimer, output_to,
                                           train_unless_cached)
from mmpose_patchsel.analysis.timing import median_times
from mmpose_patchsel.visualization import PatchSelLocalVisualizer

HERE = osp.dirname(osp.abspath(__file__))
PROJECT = osp.dirname(HERE)
GUIDE_CFG = osp.join(HERE, 'configs',
                     'td-hm_vit-guide-t4_coco-testdata-128x96.py')
MAIN_CFG = osp.join(HERE, 'configs',
                    'td-hm_patchsel-vit-s6-skeleton_coco-testdata-256x192.py')
VITB_CFG = osp.join(
    PROJECT, 'configs', 'coco',
    'td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py')
STEPS = 7
#: The timed rows, in the order they take turns in each round.
ROWS = ('full', 'guide', 'selected', 'guide + selected')
MEMORISED = ('trained here on these same images (memorised; not a measure '
             'of accuracy on unseen images)')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-root', default='../shared/data/mmpose_testdata')
    parser.add_argument('--work-dir', default='outputs/demo')
    parser.add_argument(
        '--repeats', type=int, default=5,
        help='timed rounds (after one warm-up round); medians are printed')
    parser.add_argument(
        '--threads', type=int, default=1,
        help='torch CPU threads, for training and timing. One by default: '
        'on a CPU shared with other work the threads of one call wait on '
        'each other, and a model of small ops such as the guide slows '
        'down many times over; raise it on an idle machine')
    parser.add_argument(
        '--epochs', type=int, default=None,
        help="train each model this many epochs instead of its config's "
        '(a quick check of the demo; cached apart, per model and epochs)')
    return parser.parse_args()


def on_bundled_data(cfg: Config, coco_root: str, epochs=None) -> Config:
    root = coco_root.rstrip('/') + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].ann_file = root + 'test_coco.json'
    if epochs is not None:
        cfg.train_cfg.max_epochs = epochs
    return cfg


def train_dir(work_dir: str, config: str) -> str:
    """Each config trains in a folder of its own name, so a cached model
    of another config is never loaded in its place."""
    return osp.join(work_dir, osp.splitext(osp.basename(config))[0])


def coco_ap(model, batch, coco_root: str) -> tuple:
    metrics, results = evaluate_batches(
        model, [batch],
        dict(type='CocoMetric',
             ann_file=osp.join(coco_root, 'test_coco.json')),
        model.dataset_meta)
    return metrics['coco/AP'], results


def full_and_selected(model, shape: tuple, kept) -> tuple:
    """FLOPs of ``model`` on all patches, and the mean over the persons'
    selections (``kept`` tokens each)."""
    flops = SelectionFlops(model, shape)
    return flops.at(None), flops.mean(kept)


def without_selection(batch: dict) -> dict:
    samples = [s.clone() for s in batch['data_samples']]
    return dict(inputs=batch['inputs'], data_samples=samples)


def gflops(flops: dict) -> dict:
    return dict(with_attention=flops['flops'] / 1e9,
                without_attention=flops['flops_no_attention'] / 1e9)


def times_in_rotation(rows: Dict[str, Callable], inputs: torch.Tensor,
                      samples: Dict[str, Sequence], repeats: int,
                      warmup: int = 1) -> Tuple[Dict[str, float], dict]:
    """Median seconds of each row, the rows taking turns in every round.

    Every call of row ``name`` is ``rows[name](inputs, copies)`` on the same
    ``inputs`` and a fresh copy of ``samples[name]`` made before the timing
    (the calls write into their samples). Returns the medians and, per
    row, the calls made and the inputs' identity, which every row shares.
    """
    rounds = warmup + repeats
    copies = {name: iter([[s.clone() for s in samples[name]]
                          for _ in range(rounds)]) for name in rows}
    record = {name: dict(calls=0, inputs=set()) for name in rows}

    def call(name: str) -> Callable[[], None]:
        def run() -> None:
            record[name]['calls'] += 1
            record[name]['inputs'].add(id(inputs))
            rows[name](inputs, next(copies[name]))
        return run

    seconds = median_times({name: call(name) for name in rows}, repeats,
                           warmup)
    return seconds, record


def timing_rows(model, full, inputs: torch.Tensor, samples: List,
                repeats: int) -> Tuple[Dict[str, float], dict]:
    """:func:`times_in_rotation` of :data:`ROWS`: the full ViT, the guide
    (its keypoints -> kept patches), the ViT on the guide's selection given
    beforehand, and the two end to end."""
    selected = [s.clone() for s in samples]
    with torch.no_grad():
        model.attach_online_selection(inputs, selected, with_flip_mask=False)
    rows = {
        'full': full.predict,
        'guide': lambda x, s: model.attach_online_selection(
            x, s, with_flip_mask=False),
        'selected': model.predict,
        'guide + selected': model.predict,
    }
    given = dict(full=samples, guide=samples, selected=selected)
    given['guide + selected'] = samples
    return times_in_rotation(rows, inputs, given, repeats)


def timing_summary(seconds: Dict[str, float], record: dict, batch: int,
                   repeats: int) -> dict:
    ms = {name: seconds[name] * 1e3 for name in ROWS}
    return dict(
        batch=batch, threads=torch.get_num_threads(), repeats=repeats,
        warmup=1, rows=list(ROWS), median_ms=ms,
        calls={name: record[name]['calls'] for name in ROWS},
        same_inputs=len(set.union(*(record[n]['inputs'] for n in ROWS)))
        == 1,
        guide_plus_selected_ms=ms['guide'] + ms['selected'],
        speedup=dict(end_to_end=ms['full'] / ms['guide + selected'],
                     model_only=ms['full'] / ms['selected']))


def run(args, coco_root: str, work_dir: str, step: StageTimer) -> dict:
    say = step.note
    summary = dict(weights=MEMORISED)
    with step(f'1/{STEPS} guide model (small ViT at 128x96) trained on the '
              'bundled persons'):
        guide_cfg = on_bundled_data(Config.fromfile(GUIDE_CFG), coco_root,
                                    args.epochs)
        guide_ckpt = train_unless_cached(
            guide_cfg, train_dir(work_dir, GUIDE_CFG), note=say)

    main_cfg = on_bundled_data(Config.fromfile(MAIN_CFG), coco_root,
                               args.epochs)
    main_cfg.model.guide.checkpoint = guide_ckpt
    with step(f'2/{STEPS} patch-selected ViT trained with skeleton '
              'selection'):
        main_ckpt = train_unless_cached(
            main_cfg, train_dir(work_dir, MAIN_CFG), note=say)
    summary['checkpoints'] = dict(guide=guide_ckpt, model=main_ckpt)

    with step(f'3/{STEPS} run guide -> selection -> ViT on the 12 persons'):
        model = init_model(main_cfg, main_ckpt, device='cpu')
        full_cfg = copy.deepcopy(main_cfg)
        full_cfg.model.pop('guide')
        full_cfg.model.pop('selection')
        full = init_model(full_cfg, main_ckpt, device='cpu')
        dataset = DATASETS.build(main_cfg.test_dataloader.dataset)
        items = [dataset[i] for i in range(len(dataset))]
        batch = pseudo_collate(items)
        ap_sel, results = coco_ap(model, batch, coco_root)
        ap_full, _ = coco_ap(full, without_selection(batch), coco_root)
        kept = np.array([int(r.patch_mask.sum()) for r in results])
        grid = model.patch_grid()
        say(f'weights: {MEMORISED}')
        say(f'COCO AP on the bundled images: selected {ap_sel:.3f}, '
            f'full {ap_full:.3f}')
        say(f'kept tokens per person: mean {kept.mean():.1f} of '
            f'{grid.num_patches} (min {kept.min()}, max {kept.max()})')
        summary.update(
            persons=len(items),
            coco_ap=dict(selected=ap_sel, full=ap_full),
            kept_tokens=dict(per_person=kept.tolist(), mean=kept.mean(),
                             of=grid.num_patches))

    with step(f'4/{STEPS} cost in GFLOPs'):
        shape = (3, grid.height, grid.width)
        whole, sel = full_and_selected(model, shape, kept)
        guide = guide_flops(model.online_guide.model)
        share = guide['flops'] / whole['flops']
        say(f'ViT: {whole["flops"] / 1e9:.2f} -> {sel["flops"] / 1e9:.2f} '
            f'GFLOPs with attention ({whole["flops_no_attention"] / 1e9:.2f}'
            f' -> {sel["flops_no_attention"] / 1e9:.2f} without), mean '
            'over the persons\' selections')
        say('guide: {:.3f} GFLOPs at its {}x{} input, {:.1%} of the full '
            "ViT's (with attention)".format(guide['flops'] / 1e9,
                                           *guide['input_size'], share))
        say(f'guide + selected ViT: '
            f'{(guide["flops"] + sel["flops"]) / 1e9:.2f} GFLOPs, '
            f'{(guide["flops"] + sel["flops"]) / whole["flops"]:.0%} of the '
            'full ViT\'s')
        vitb = init_model(Config.fromfile(VITB_CFG), device='cpu')
        vitb_full, vitb_sel = full_and_selected(vitb, shape, kept)
        say(f'ViT-B (configs/coco, cost only): '
            f'{vitb_full["flops_no_attention"] / 1e9:.2f} -> '
            f'{vitb_sel["flops_no_attention"] / 1e9:.2f} GFLOPs '
            '(paper convention) with the same selections')
        summary['gflops'] = dict(
            full=gflops(whole), selected=gflops(sel),
            guide=dict(gflops(guide), input_size=list(guide['input_size'])),
            guide_share_of_full=share,
            vitb_full=gflops(vitb_full), vitb_selected=gflops(vitb_sel))

    with step(f'5/{STEPS} CPU time, the four rows taking turns'):
        data = model.data_preprocessor(
            dict(inputs=batch['inputs'],
                 data_samples=batch['data_samples']))
        inputs = data['inputs']
        samples = [s.clone() for s in data['data_samples']]
        seconds, record = timing_rows(model, full, inputs, samples,
                                      args.repeats)
        timing = timing_summary(seconds, record, len(inputs), args.repeats)
        ms = timing['median_ms']
        threads = timing['threads']
        say(f'batch of {len(inputs)} crops on {threads} CPU '
            f'thread{"s" if threads > 1 else ""}, medians of {args.repeats} '
            'rounds, each row once per round on the same crops:')
        say(f'full ViT {ms["full"]:.0f} ms; guide {ms["guide"]:.0f} ms + '
            f'selected ViT {ms["selected"]:.0f} ms = '
            f'{timing["guide_plus_selected_ms"]:.0f} ms; end to end '
            f'{ms["guide + selected"]:.0f} ms')
        say(f'speed-up: {timing["speedup"]["end_to_end"]:.2f}x end to end, '
            f'{timing["speedup"]["model_only"]:.2f}x model only')
        summary['timing'] = timing

    with step(f'6/{STEPS} draw predicted skeletons on the photos'):
        out_dir = osp.join(work_dir, 'vis')
        os.makedirs(out_dir, exist_ok=True)
        visualizer = PatchSelLocalVisualizer(radius=3, line_width=2)
        visualizer.set_dataset_meta(model.dataset_meta)
        by_image = {}
        for result in results:
            by_image.setdefault(result.img_path, []).append(result)
        for img_path, image_results in by_image.items():
            image = cv2.cvtColor(cv2.imread(img_path), cv2.COLOR_BGR2RGB)
            visualizer.add_datasample(
                'pose', image, merge_data_samples(image_results),
                draw_gt=False, draw_bbox=True, kpt_thr=0.3, show=False,
                out_file=osp.join(out_dir,
                                  osp.splitext(osp.basename(img_path))[0] +
                                  '_pose.jpg'))
        say(f'{len(by_image)} photos -> {out_dir}/*_pose.jpg')

    with step(f'7/{STEPS} draw kept patches on the crops'):
        tiles = []
        for item, result in zip(items, results):
            crop = cv2.cvtColor(item['inputs'].permute(1, 2, 0).numpy(),
                                cv2.COLOR_BGR2RGB)
            tiles.append(
                visualizer.draw_patch_selection(
                    crop, result.patch_mask.cpu().numpy(), grid,
                    result.patch_guide_keypoints,
                    result.patch_guide_keypoint_scores))
        sheet = np.concatenate(tiles, axis=1)
        path = osp.join(out_dir, 'kept_patches.jpg')
        cv2.imwrite(path, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        say(f'{len(tiles)} crops -> {path}')
    summary['stage_seconds'] = step.times
    return summary


def main():
    args = parse_args()
    if args.repeats < 1:
        raise ValueError(f'--repeats {args.repeats}: time each row at least '
                         'once')
    if args.threads < 1:
        raise ValueError(f'--threads {args.threads}: at least one')
    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f'--epochs {args.epochs}: train at least one epoch')
    torch.set_num_threads(args.threads)
    coco_root = osp.abspath(osp.join(args.data_root, 'coco'))
    if not osp.isfile(osp.join(coco_root, 'test_coco.json')):
        raise FileNotFoundError(
            f'bundled COCO test set not found under {coco_root}; pass '
            '--data-root pointing at mmpose_testdata')
    work_dir = osp.abspath(args.work_dir)
    log_file = osp.join(work_dir, 'demo.log')
    print(f'[demo] logs of mmengine, mmpose and pycocotools -> {log_file}')
    with output_to(log_file) as console:
        step = StageTimer('demo', console)
        summary = run(args, coco_root, work_dir, step)
    json_file = osp.join(work_dir, 'demo.json')
    with open(json_file, 'w') as f:
        json.dump(summary, f, indent=2, default=float)
    print(f'[demo] the numbers above -> {json_file}')


if __name__ == '__main__':
    main()
