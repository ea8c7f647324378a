"""The main job: guide -> patch selection -> ViT on kept patches -> poses.

On mmpose's bundled real COCO test images (4 photos, 12 annotated persons)
the demo:

1. trains a small guide pose model and a small patch-selected ViT on those
   persons (cached under ``--work-dir``; the second run reuses them);
2. runs the ViT with the guide online: the guide predicts keypoints, the
   skeleton selection keeps the patches along the limbs, the ViT runs on
   those tokens only and mmpose's heatmap head decodes the poses;
3. reports COCO AP with and without selection, kept tokens, GFLOPs and
   measured CPU time (the project's ViT-B config too, at the same kept
   tokens);
4. saves pictures: predicted skeletons on each photo, and the kept patches
   on each person's crop.

The console shows the demo's steps and results; what mmengine, mmpose and
pycocotools print goes to ``<work-dir>/demo.log``.

No trained weights ship with the project and none can be downloaded here,
so both models are trained by the demo on the very images it then shows:
the poses are memorised, not a measure of accuracy on unseen images.

Example::

    python demo/patchsel_demo.py --data-root ../shared/data/mmpose_testdata
"""
import argparse
import copy
import os
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpose.apis import init_model
from mmpose.registry import DATASETS
from mmpose.structures import merge_data_samples

from mmpose_patchsel.analysis import (SelectionFlops, StageTimer,
                                      evaluate_batches, guide_flops,
                                      median_times, output_to,
                                      train_unless_cached)
from mmpose_patchsel.visualization import PatchSelLocalVisualizer

HERE = osp.dirname(osp.abspath(__file__))
PROJECT = osp.dirname(HERE)
GUIDE_CFG = osp.join(HERE, 'configs',
                     'td-hm_vit-tiny-guide_coco-testdata-256x192.py')
MAIN_CFG = osp.join(
    HERE, 'configs',
    'td-hm_patchsel-vit-tiny-skeleton_coco-testdata-256x192.py')
VITB_CFG = osp.join(
    PROJECT, 'configs', 'coco',
    'td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py')
STEPS = 6


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-root', default='../shared/data/mmpose_testdata')
    parser.add_argument('--work-dir', default='outputs/demo')
    parser.add_argument('--repeats', type=int, default=3)
    return parser.parse_args()


def on_bundled_data(cfg: Config, coco_root: str) -> Config:
    root = coco_root.rstrip('/') + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].ann_file = root + 'test_coco.json'
    cfg.randomness = dict(seed=0)
    return cfg


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


def run(args, coco_root: str, work_dir: str, step: StageTimer) -> None:
    say = step.note
    with step(f'1/{STEPS} guide model (small full ViT) trained on the '
              'bundled persons'):
        guide_cfg = on_bundled_data(Config.fromfile(GUIDE_CFG), coco_root)
        guide_ckpt = train_unless_cached(
            guide_cfg, osp.join(work_dir, 'guide'), note=say)

    main_cfg = on_bundled_data(Config.fromfile(MAIN_CFG), coco_root)
    main_cfg.model.guide.checkpoint = guide_ckpt
    with step(f'2/{STEPS} patch-selected ViT trained with skeleton '
              'selection'):
        main_ckpt = train_unless_cached(
            main_cfg, osp.join(work_dir, 'patchsel'), note=say)

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
        say('weights: trained here on these same images '
            '(memorised; not a measure of accuracy on unseen images)')
        say(f'COCO AP on the bundled images: selected {ap_sel:.3f}, '
            f'full {ap_full:.3f}')
        say(f'kept tokens per person: mean {kept.mean():.1f} of '
            f'{grid.num_patches} (min {kept.min()}, max {kept.max()})')

    with step(f'4/{STEPS} cost: GFLOPs and CPU time'):
        shape = (3, grid.height, grid.width)
        whole, sel = full_and_selected(model, shape, kept)
        say(f'demo ViT: {whole["flops"] / 1e9:.2f} -> '
            f'{sel["flops"] / 1e9:.2f} GFLOPs with attention '
            f'({whole["flops_no_attention"] / 1e9:.2f} -> '
            f'{sel["flops_no_attention"] / 1e9:.2f} without), mean over '
            'the persons\' selections')
        guide = guide_flops(model.online_guide.model)
        say(f'demo guide: {guide["flops"] / 1e9:.2f} GFLOPs at its '
            '{}x{} input (a stand-in as large as the ViT; the paper uses '
            'LiteHRNet)'.format(*guide['input_size']))
        vitb = init_model(Config.fromfile(VITB_CFG), device='cpu')
        vitb_full, vitb_sel = full_and_selected(vitb, shape, kept)
        say(f'ViT-B (configs/coco, random weights, cost only): '
            f'{vitb_full["flops_no_attention"] / 1e9:.2f} -> '
            f'{vitb_sel["flops_no_attention"] / 1e9:.2f} GFLOPs '
            '(paper convention) with the same selections')
        data = model.data_preprocessor(
            dict(inputs=batch['inputs'][:8],
                 data_samples=batch['data_samples'][:8]))
        x, samples = data['inputs'], data['data_samples']
        mean_keep = int(round(kept.mean()))
        k_b = torch.arange(mean_keep)[None].expand(len(x), -1)
        seconds = median_times(
            {
                'guide': lambda: model.online_guide(x, samples,
                                                    grid.input_size),
                'selected': lambda: model.predict(x, samples),
                'full': lambda: full.predict(x, [s.clone()
                                                 for s in samples]),
                'vitb full': lambda: vitb.backbone(x),
                'vitb selected': lambda: vitb.backbone(x, k_b),
            }, args.repeats)
        ms = {name: t * 1e3 for name, t in seconds.items()}
        say(f'batch {len(x)} on {torch.get_num_threads()} CPU threads, '
            f'median of {args.repeats}, in rotation:')
        say(f'demo: full {ms["full"]:.0f} ms, guide + selected '
            f'{ms["selected"]:.0f} ms (guide alone {ms["guide"]:.0f} ms)')
        say(f'ViT-B backbone: full {ms["vitb full"]:.0f} ms, {mean_keep} '
            f'tokens {ms["vitb selected"]:.0f} ms, speed-up '
            f'{ms["vitb full"] / ms["vitb selected"]:.2f}x')

    with step(f'5/{STEPS} draw predicted skeletons on the photos'):
        out_dir = osp.join(work_dir, 'vis')
        os.makedirs(out_dir, exist_ok=True)
        visualizer = PatchSelLocalVisualizer(radius=3, line_width=2)
        visualizer.set_dataset_meta(model.dataset_meta)
        by_image = {}
        for result in results:
            by_image.setdefault(result.img_path, []).append(result)
        for img_path, samples in by_image.items():
            image = cv2.cvtColor(cv2.imread(img_path), cv2.COLOR_BGR2RGB)
            visualizer.add_datasample(
                'pose', image, merge_data_samples(samples), draw_gt=False,
                draw_bbox=True, kpt_thr=0.3, show=False,
                out_file=osp.join(out_dir,
                                  osp.splitext(osp.basename(img_path))[0] +
                                  '_pose.jpg'))
        say(f'{len(by_image)} photos -> {out_dir}/*_pose.jpg')

    with step(f'6/{STEPS} draw kept patches on the crops'):
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


def main():
    args = parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    coco_root = osp.abspath(osp.join(args.data_root, 'coco'))
    if not osp.isfile(osp.join(coco_root, 'test_coco.json')):
        raise FileNotFoundError(
            f'bundled COCO test set not found under {coco_root}; pass '
            '--data-root pointing at mmpose_testdata')
    work_dir = osp.abspath(args.work_dir)
    log_file = osp.join(work_dir, 'demo.log')
    print(f'[demo] logs of mmengine, mmpose and pycocotools -> {log_file}')
    with output_to(log_file) as console:
        run(args, coco_root, work_dir, StageTimer('demo', console))


if __name__ == '__main__':
    main()
