"""Run a guide pose model over a dataset and write its guide file.

The output is what ``LoadGuideKeypoints`` reads (COCO keypoint results +
the person box + the image file name). The boxes are the dataset's: its
annotations, or a detection file given with ``--bbox-file``.

The dump is mmengine's test loop (``Runner.test``) with ``GuideDumpMetric``
as the test evaluator: the config's loader workers decode the images and,
with ``--launcher``, the processes share the persons; rank 0 writes one
file, the same whatever the number of processes.

Example::

    python tools/dump_guide.py \
        mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_litehrnet-18_8xb64-210e_coco-256x192.py \
        litehrnet18_coco_256x192.pth --data-root data/coco/ \
        --ann-file annotations/person_keypoints_val2017.json \
        --img-prefix val2017/ \
        --bbox-file data/coco/person_detection_results/COCO_val2017_detections_AP_H_56_person.json \
        --out data/coco/guide/litehrnet-18_coco_val2017_det_AP_H_56_guide.json

On 8 GPUs, the same arguments plus ``--launcher pytorch``::

    python -m torch.distributed.run --nproc_per_node 8 tools/dump_guide.py \
        GUIDE_CFG GUIDE_CKPT --out GUIDE_JSON ... --launcher pytorch

Without a GPU, ``--launcher pytorch`` runs gloo processes on the CPUs.
"""  # noqa: E501
import argparse
import os.path as osp
import time
import warnings

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner

import mmpose_patchsel  # noqa: F401  (registers GuideDumpMetric)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='guide model config')
    parser.add_argument('checkpoint', help='guide model checkpoint')
    parser.add_argument('--out', required=True, help='guide JSON to write')
    parser.add_argument('--data-root', help="override the test set's root")
    parser.add_argument('--ann-file')
    parser.add_argument('--img-prefix')
    parser.add_argument('--bbox-file', help='person detections (COCO format)')
    parser.add_argument(
        '--batch-size',
        type=int,
        help="persons per forward and process (default: the config's "
        'test_dataloader.batch_size)')
    parser.add_argument(
        '--num-workers',
        type=int,
        help="loader workers per process (default: the config's)")
    parser.add_argument(
        '--device',
        help='ignored, kept for old commands: the runner uses the GPU when '
        'there is one (CUDA_VISIBLE_DEVICES=-1 runs on the CPUs)')
    parser.add_argument(
        '--work-dir',
        help='logs and the dumped config (default: work_dirs/<config name>)')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none',
                        help='job launcher, as for mmpose tools/test.py')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def dump_config(args: argparse.Namespace) -> Config:
    """The guide config as a runner that tests with ``GuideDumpMetric``."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    loader = cfg.test_dataloader
    dataset = loader.dataset
    if args.data_root is not None:
        dataset.data_root = args.data_root
    if args.ann_file is not None:
        dataset.ann_file = args.ann_file
    if args.img_prefix is not None:
        dataset.data_prefix = dict(img=args.img_prefix)
    if args.bbox_file is not None:
        dataset.bbox_file = args.bbox_file
    if args.batch_size is not None:
        loader.batch_size = args.batch_size
    if args.num_workers is not None:
        loader.num_workers = args.num_workers
        loader.persistent_workers = args.num_workers > 0
    cfg.test_evaluator = dict(type='GuideDumpMetric',
                              out_file=osp.abspath(args.out))
    cfg.load_from = args.checkpoint
    cfg.resume = False
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or osp.join(
        './work_dirs',
        osp.splitext(osp.basename(args.config))[0])
    return cfg


def init_cpu_processes(cfg: Config) -> None:
    """Start the gloo process group when a launcher runs without a GPU.

    mmengine 0.10.7's ``init_dist`` sets a CUDA device for every launcher,
    and its runner gives DDP ``device_ids``, which a CPU module refuses. The
    runner skips ``init_dist`` when a process group exists.
    """
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    if cfg.launcher != 'pytorch':
        raise SystemExit(f'--launcher {cfg.launcher} needs GPUs; on CPUs '
                         'use --launcher pytorch under torchrun')
    dist.init_process_group(backend='gloo')
    cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel',
                                 device_ids=None)


def main() -> None:
    args = parse_args()
    if args.device is not None:
        warnings.warn('--device is ignored: the runner uses the GPU when '
                      'there is one; CUDA_VISIBLE_DEVICES=-1 runs on CPUs')
    cfg = dump_config(args)
    init_cpu_processes(cfg)
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    summary = runner.test()
    if is_main_process():
        print(f'\nwrote {args.out}: {summary["guide/persons"]} persons in '
              f'{summary["guide/images"]} images, mean keypoint score '
              f'{summary["guide/mean_score"]:.3f}, '
              f'{time.perf_counter() - start:.1f}s')


if __name__ == '__main__':
    main()
