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

No trained weights ship with the project and none can be downloaded here,
so both models are trained by the demo on the very images it then shows:
the poses are memorised, not a measure of accuracy on unseen images.

Example::

    python demo/patchsel_demo.py --data-root ../shared/data/mmpose_testdata
"""
import argparse
import os
import os.path as osp
import statistics
import time

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from mmpose.apis import init_model
from mmpose.registry import DATASETS
from mmpose.structures import merge_data_samples

from mmpose_patchsel.analysis import count_flops
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


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-root', default='../shared/data/mmpose_testdata')
    parser.add_argument('--work-dir', default='outputs/demo')
    parser.add_argument('--repeats', type=int, default=3)
    return parser.parse_args()


class Step:
    """Prints a numbered step, its time, or its name when it fails."""
    total = 6

    def __init__(self, number: int, name: str):
        self.name = f'{number}/{self.total} {name}'

    def __enter__(self):
        print(f'[demo] {self.name} ...', flush=True)
        self.start = time.perf_counter()

    def __exit__(self, exc_type, *_):
        if exc_type is None:
            print(f'[demo] {self.name}: done in '
                  f'{time.perf_counter() - self.start:.1f}s', flush=True)
        else:
            print(f'[demo] FAILED at step {self.name}', flush=True)


def on_bundled_data(cfg: Config, coco_root: str, work_dir: str) -> Config:
    root = coco_root.rstrip('/') + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].ann_file = root + 'test_coco.json'
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    cfg.log_level = 'WARNING'
    return cfg


def trained_checkpoint(cfg: Config) -> str:
    """Train ``cfg`` unless its last checkpoint exists; return its path."""
    ckpt = osp.join(cfg.work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
    if osp.isfile(ckpt):
        print(f'       reusing {ckpt}')
        return ckpt
    start = time.perf_counter()
    Runner.from_cfg(cfg).train()
    print(f'       trained {cfg.train_cfg.max_epochs} iterations in '
          f'{time.perf_counter() - start:.0f}s -> {ckpt}')
    return ckpt


def coco_ap(model, batch, coco_root: str) -> tuple:
    evaluator = Evaluator(
        dict(type='CocoMetric',
             ann_file=osp.join(coco_root, 'test_coco.json')))
    evaluator.dataset_meta = model.dataset_meta
    with torch.no_grad():
        results = model.test_step(batch)
    evaluator.process(data_samples=results, data_batch=batch)
    return evaluator.evaluate(len(results))['coco/AP'], results


def median_time(fn, repeats: int) -> float:
    with torch.no_grad():
        fn()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def without_selection(batch: dict) -> dict:
    samples = [s.clone() for s in batch['data_samples']]
    return dict(inputs=batch['inputs'], data_samples=samples)


def main():
    args = parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    coco_root = osp.abspath(osp.join(args.data_root, 'coco'))
    if not osp.isfile(osp.join(coco_root, 'test_coco.json')):
        raise FileNotFoundError(
            f'bundled COCO test set not found under {coco_root}; pass '
            '--data-root pointing at mmpose_testdata')
    work_dir = osp.abspath(args.work_dir)

    with Step(1, 'guide model (small full ViT) trained on the bundled '
              'persons'):
        guide_cfg = on_bundled_data(
            Config.fromfile(GUIDE_CFG), coco_root,
            osp.join(work_dir, 'guide'))
        guide_ckpt = trained_checkpoint(guide_cfg)

    main_cfg = on_bundled_data(
        Config.fromfile(MAIN_CFG), coco_root, osp.join(work_dir, 'patchsel'))
    main_cfg.model.guide.checkpoint = guide_ckpt
    with Step(2, 'patch-selected ViT trained with skeleton selection'):
        main_ckpt = trained_checkpoint(main_cfg)

    with Step(3, 'run guide -> selection -> ViT on the 12 persons'):
        model = init_model(main_cfg, main_ckpt, device='cpu')
        full_cfg = main_cfg.copy()
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
        print('       weights: trained here on these same images '
              '(memorised; not a measure of accuracy on unseen images)')
        print(f'       COCO AP on the bundled images: selected '
              f'{ap_sel:.3f}, full {ap_full:.3f}')
        print(f'       kept tokens per person: mean {kept.mean():.1f} of '
              f'{grid.num_patches} (min {kept.min()}, max {kept.max()})')

    with Step(4, 'cost: GFLOPs and CPU time'):
        shape = (3, grid.height, grid.width)
        mean_keep = int(round(kept.mean()))
        guide_model = model.online_guide.model
        sel = count_flops(model, shape, mean_keep)
        whole = count_flops(model, shape)
        print(f'       demo ViT: {whole["flops"] / 1e9:.2f} -> '
              f'{sel["flops"] / 1e9:.2f} GFLOPs with attention '
              f'({whole["flops_no_attention"] / 1e9:.2f} -> '
              f'{sel["flops_no_attention"] / 1e9:.2f} without) at '
              f'{mean_keep} kept tokens')
        guide_flops = count_flops(guide_model, shape)['flops']
        print(f'       demo guide: {guide_flops / 1e9:.2f} GFLOPs (a '
              'stand-in as large as the ViT; the paper uses LiteHRNet)')
        vitb_cfg = Config.fromfile(VITB_CFG)
        vitb = init_model(vitb_cfg, device='cpu')
        vitb_full = count_flops(vitb, shape)
        vitb_sel = count_flops(vitb, shape, mean_keep)
        print(f'       ViT-B (configs/coco, random weights, cost only): '
              f'{vitb_full["flops_no_attention"] / 1e9:.2f} -> '
              f'{vitb_sel["flops_no_attention"] / 1e9:.2f} GFLOPs '
              f'(paper convention) at {mean_keep} kept tokens')
        data = model.data_preprocessor(
            dict(inputs=batch['inputs'][:8],
                 data_samples=batch['data_samples'][:8]))
        x, samples = data['inputs'], data['data_samples']
        t_guide = median_time(
            lambda: model.online_guide(x, samples, grid.input_size),
            args.repeats)
        t_sel = median_time(lambda: model.predict(x, samples), args.repeats)
        t_full = median_time(lambda: full.predict(x, [
            s.clone() for s in samples]), args.repeats)
        k_b = torch.arange(mean_keep)[None].expand(len(x), -1)
        t_vitb_full = median_time(lambda: vitb.backbone(x), args.repeats)
        t_vitb_sel = median_time(lambda: vitb.backbone(x, k_b),
                                 args.repeats)
        print(f'       batch {len(x)} on {torch.get_num_threads()} CPU '
              f'threads, median of {args.repeats}:')
        print(f'       demo: full {t_full * 1e3:.0f} ms, guide + selected '
              f'{t_sel * 1e3:.0f} ms (guide alone {t_guide * 1e3:.0f} ms)')
        print(f'       ViT-B backbone: full {t_vitb_full * 1e3:.0f} ms, '
              f'{mean_keep} tokens {t_vitb_sel * 1e3:.0f} ms, speed-up '
              f'{t_vitb_full / t_vitb_sel:.2f}x')

    with Step(5, 'draw predicted skeletons on the photos'):
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
        print(f'       {len(by_image)} photos -> {out_dir}/*_pose.jpg')

    with Step(6, 'draw kept patches on the crops'):
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
        print(f'       {len(tiles)} crops -> {path}')


if __name__ == '__main__':
    main()
