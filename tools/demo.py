"""The main job: patch selection on real images, full vs selected ViT.

Builds a project config through mmpose's ``init_model`` (``custom_imports``
registers the plugin), runs the COCO test images bundled with mmpose through
the config's own test pipeline, once with the patch selection and once with
every patch, and reports kept tokens and the measured time of both. Saves
one PNG per person with the kept patches drawn on the model-input crop.

No trained weights ship with this project and none can be downloaded here:
without ``--checkpoint`` the model is randomly initialised, and the demo
then shows the selection and its cost only, never a pose estimate. The guide
is the annotation of the bundled images (no trained guide network yet).

Example::

    python tools/demo.py --data-root ../shared/data/mmpose_testdata
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
from mmpose.apis import init_model
from mmpose.registry import DATASETS

from mmpose_patchsel.selection import PatchGrid
from mmpose_patchsel.visualization import PatchSelLocalVisualizer

DEFAULT_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'coco',
    'td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--checkpoint', help='trained weights (optional)')
    parser.add_argument(
        '--data-root', default='../shared/data/mmpose_testdata')
    parser.add_argument('--out-dir', default='outputs/demo')
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=8)
    return parser.parse_args()


def step(name: str):
    """Print a step's name, then its time when the block ends."""

    class Step:

        def __enter__(self):
            print(f'[demo] {name} ...', flush=True)
            self.start = time.perf_counter()

        def __exit__(self, exc_type, *_):
            if exc_type is None:
                print(f'[demo] {name} done in '
                      f'{time.perf_counter() - self.start:.1f}s')
            else:
                print(f'[demo] FAILED at step: {name}')

    return Step()


def demo_pipeline(cfg: Config) -> list:
    """The config's test pipeline with the annotation as the guide."""
    pipeline = []
    for transform in cfg.test_dataloader.dataset.pipeline:
        if transform['type'] == 'LoadGuideKeypoints':
            transform = dict(type='GenerateGTGuideKeypoints')
        pipeline.append(transform)
    return pipeline


def timed_test_step(model, batch, repeats: int) -> tuple:
    model.test_step(batch)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        results = model.test_step(batch)
        times.append(time.perf_counter() - start)
    return results, statistics.median(times)


def without_selection(batch: dict) -> dict:
    samples = []
    for sample in batch['data_samples']:
        sample = sample.clone()
        for key in ('patch_mask', 'patch_mask_flip'):
            if key in sample.metainfo:
                delattr(sample, key)
        samples.append(sample)
    return dict(inputs=batch['inputs'], data_samples=samples)


def main():
    args = parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    coco_root = osp.join(args.data_root, 'coco')
    if not osp.isdir(coco_root):
        raise FileNotFoundError(
            f'bundled COCO test images not found at {coco_root}; pass '
            '--data-root pointing at mmpose_testdata')

    with step('build model from config'):
        cfg = Config.fromfile(args.config)
        # A random-init demo must not try to fetch MAE weights.
        cfg.model.backbone.init_cfg = None
        model = init_model(cfg, args.checkpoint, device='cpu')
        backbone = model.backbone
        print(f'       config: {osp.relpath(args.config)}')
        print(f'       model: {type(model).__name__} + '
              f'{type(backbone).__name__}({backbone.embed_dims} dims, '
              f'{backbone.num_layers} layers), input '
              f'{tuple(cfg.codec.input_size)}')
        if args.checkpoint:
            print(f'       weights: {args.checkpoint}')
        else:
            print('       weights: RANDOM INIT (no --checkpoint): outputs '
                  'are not pose estimates; only selection and cost are shown')

    with step('load bundled COCO images with the test pipeline'):
        dataset = DATASETS.build(
            dict(
                type='CocoDataset',
                data_root=coco_root,
                ann_file='test_coco.json',
                data_prefix=dict(img=''),
                test_mode=True,
                pipeline=demo_pipeline(cfg)))
        items = [dataset[i] for i in range(min(args.batch_size, len(dataset)))]
        batch = pseudo_collate(items)
        num_images = len({item['data_samples'].img_id for item in items})
        print(f'       {len(items)} persons in {num_images} real images; '
              'guide: their annotated keypoints')

    masks = np.stack([s.metainfo['patch_mask'] for s in batch['data_samples']])
    grid = PatchGrid(tuple(cfg.codec.input_size))
    with step(f'forward with selection and in full (median of '
              f'{args.repeats}, batch {len(items)}, '
              f'flip test {cfg.model.test_cfg.get("flip_test", False)})'):
        _, t_sel = timed_test_step(model, batch, args.repeats)
        _, t_full = timed_test_step(model, without_selection(batch),
                                    args.repeats)
        kept = masks.sum(1)
        print(f'       kept tokens per person: mean {kept.mean():.1f} of '
              f'{grid.num_patches} (min {kept.min()}, max {kept.max()})')
        print(f'       time: selected {t_sel:.2f}s, full {t_full:.2f}s, '
              f'speed-up {t_full / t_sel:.2f}x on '
              f'{torch.get_num_threads()} CPU threads')

    with step('draw kept patches'):
        os.makedirs(args.out_dir, exist_ok=True)
        visualizer = PatchSelLocalVisualizer()
        for item in items:
            crop = cv2.cvtColor(
                item['inputs'].permute(1, 2, 0).numpy(), cv2.COLOR_BGR2RGB)
            meta = item['data_samples'].metainfo
            drawn = visualizer.draw_patch_selection(
                crop, meta['patch_mask'], grid)
            name = f"{meta['img_id']}_{meta['id']}_selection.png"
            cv2.imwrite(
                osp.join(args.out_dir, name),
                cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
        print(f'       {len(items)} PNGs in {args.out_dir}')


if __name__ == '__main__':
    main()
