"""Run a guide pose model over a dataset and write its guide file.

The output is what ``LoadGuideKeypoints`` reads (COCO keypoint results +
the person box + the image file name). The boxes are the dataset's: its
annotations, or a detection file given with ``--bbox-file``.

Example::

    python tools/dump_guide.py \
        mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_litehrnet-18_8xb64-210e_coco-256x192.py \
        litehrnet18_coco_256x192.pth --data-root data/coco/ \
        --ann-file annotations/person_keypoints_val2017.json \
        --img-prefix val2017/ \
        --bbox-file data/coco/person_detection_results/COCO_val2017_detections_AP_H_56_person.json \
        --out data/coco/guide/litehrnet-18_coco_val2017_det_AP_H_56_guide.json
"""
import argparse
import time

from mmengine.config import Config, DictAction
from mmpose.apis import init_model
from mmpose.registry import DATASETS

from mmpose_patchsel.apis import dump_guide


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='guide model config')
    parser.add_argument('checkpoint', help='guide model checkpoint')
    parser.add_argument('--out', required=True, help='guide JSON to write')
    parser.add_argument('--data-root', help="override the test set's root")
    parser.add_argument('--ann-file')
    parser.add_argument('--img-prefix')
    parser.add_argument('--bbox-file', help='person detections (COCO format)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    dataset_cfg = cfg.test_dataloader.dataset
    if args.data_root is not None:
        dataset_cfg.data_root = args.data_root
    if args.ann_file is not None:
        dataset_cfg.ann_file = args.ann_file
    if args.img_prefix is not None:
        dataset_cfg.data_prefix = dict(img=args.img_prefix)
    if args.bbox_file is not None:
        dataset_cfg.bbox_file = args.bbox_file
    model = init_model(cfg, args.checkpoint, device=args.device)
    dataset = DATASETS.build(dataset_cfg)
    start = time.perf_counter()
    summary = dump_guide(model, dataset, args.out, args.batch_size)
    print(f'\nwrote {args.out}: {summary["persons"]} persons in '
          f'{summary["images"]} images, mean keypoint score '
          f'{summary["mean_score"]:.3f}, {time.perf_counter() - start:.1f}s')


if __name__ == '__main__':
    main()
