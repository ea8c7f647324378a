"""One run of the accuracy benchmark: its preset, folders and configs, and
the trainings it launches; the checks of a preset against this machine."""
import json
import os.path as osp
from functools import partial
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmengine.config import Config

from mmpose_patchsel.analysis import (StageTimer, dump_config,
                                      last_checkpoint, run_jobs, run_training,
                                      train_command, train_in_process,
                                      train_unless_cached)

from .plan import CONFIGS, PROJECT


class Experiment:
    """One run: its settings, its folders under ``work_dir``, its stages.

    ``seed`` makes the data and the warm start; each fine-tune runs with
    every seed of the preset's ``seeds`` (its training randomness)."""

    def __init__(self, work_dir: str, preset: dict, seed: int) -> None:
        self.work_dir = osp.abspath(work_dir)
        self.preset = preset
        self.seed = seed
        self.seeds = tuple(preset.get('seeds', (0, )))
        self.eval_split = preset['eval_split']
        self.device = preset.get('device', 'cpu')
        self.data_root = osp.join(self.work_dir, 'data')
        self.guide_file = osp.join(self.data_root, 'guide',
                                   f'litehrnet-18_{self.eval_split}.json')
        self.budgets: Dict[str, int] = {}  # COST_TARGETS key -> num_keep
        self.keep_rate = 1.0  # of joint tokens, at JOINT_TOKEN_COST
        # Scores by config and checkpoint: a rerun re-scores only what
        # changed.
        self.evaluations = self.path('evaluations')
        self.stage = StageTimer('accuracy')
        self.note = self.stage.note

    def path(self, *parts: str) -> str:
        return osp.join(self.work_dir, *parts)

    def persons(self, split: str) -> int:
        with open(osp.join(self.data_root, 'annotations',
                           f'synthetic_pose_{split}.json')) as f:
            return len(json.load(f)['annotations'])

    def config(self, name: str, epochs: int,
               guide_file: Optional[str] = None,
               load_from: Optional[str] = None,
               val_every: Optional[int] = None,
               seed: Optional[int] = None) -> Config:
        """A benchmark config on the data with ``epochs`` of training,
        evaluated on the eval split, starting from ``load_from`` if given;
        scored (and saved, to resume) every ``val_every`` epochs if given,
        else never (stage 5 scores every row) and saved at the end; with
        training seed ``seed`` if given, else the config's."""
        cfg = Config.fromfile(osp.join(CONFIGS, name))
        if seed is not None:
            cfg.randomness.seed = seed
        config_epochs = cfg.train_cfg.max_epochs
        root = self.data_root.rstrip('/') + '/'
        ann_file = f'annotations/synthetic_pose_{self.eval_split}.json'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            cfg[loader].dataset.data_root = root
        for loader in ('val_dataloader', 'test_dataloader'):
            cfg[loader].dataset.ann_file = ann_file
            for transform in cfg[loader].dataset.pipeline:
                if transform.type == 'LoadGuideKeypoints':
                    transform.guide_file = guide_file
        for evaluator in ('val_evaluator', 'test_evaluator'):
            cfg[evaluator].ann_file = root + ann_file
        self.scale(cfg)
        cfg.train_cfg.max_epochs = epochs
        cfg.train_cfg.val_interval = val_every or epochs
        if not val_every:  # mmengine scores from val_begin on
            cfg.train_cfg.val_begin = epochs + 1
        cfg.param_scheduler[-1].end = epochs
        # Warm-up: at most a tenth of a short run (no change for the
        # benchmark).
        iters = epochs * -(-self.persons('train') //
                           cfg.train_dataloader.batch_size)
        warmup = cfg.param_scheduler[0]
        warmup.end = max(1, min(warmup.end, iters // 10))
        cfg.default_hooks.checkpoint.interval = val_every or epochs
        if load_from is not None:
            cfg.load_from = load_from
        for hook in cfg.get('custom_hooks', []):
            if hook.type == 'JointTokenKeepRateHook':  # same fractions
                hook.warmup *= epochs / config_epochs
                hook.ramp *= epochs / config_epochs
        return cfg

    def scale(self, cfg: Config) -> None:
        """The preset's model and loader sizes in ``cfg``: its ``vit``
        (the ViT configs), ``batch_size`` (train loader), ``num_workers``
        (every loader), pinned train batches copied without blocking with
        ``pin_memory``, train-loader workers that share tensors by file
        name with ``file_system_sharing``, no training accuracy with
        ``train_acc=False``, and float16 autocast with ``amp``."""
        p = self.preset
        if 'vit' in p and 'ViT' in cfg.model.backbone.type:
            cfg.model.backbone.arch = dict(p['vit'])
            cfg.model.head.in_channels = p['vit']['embed_dims']
            cfg.optim_wrapper.paramwise_cfg.num_layers = \
                p['vit']['num_layers']
        if 'batch_size' in p:
            cfg.train_dataloader.batch_size = p['batch_size']
        if 'num_workers' in p:
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader'):
                cfg[loader].num_workers = p['num_workers']
                if not p['num_workers']:  # torch: none without workers
                    cfg[loader].persistent_workers = False
        if p.get('pin_memory'):  # the loader's copies overlap the step
            cfg.train_dataloader.pin_memory = True
            cfg.model.data_preprocessor.non_blocking = True
        if p.get('file_system_sharing'):
            # The main process takes each sample's tensors from the
            # workers by name, not as one file descriptor each over a
            # socket (tools/profile_training.py measures both). Seeds as
            # mmengine's.
            loader = cfg.train_dataloader
            loader.worker_init_fn = file_system_worker_init(
                loader.num_workers, cfg.randomness.seed)
        if p.get('train_acc') is False:
            # mmpose's HeatmapHead scores every training batch on the CPU
            # (numpy): measured on an H200 with ViT-S, 86 ms of a 64-batch
            # step with it, 45 without (279 / 74 ms at 256).
            cfg.model.train_cfg = dict(cfg.model.get('train_cfg') or {},
                                       compute_acc=False)
        if p.get('amp'):  # mmengine's AmpOptimWrapper needs CUDA
            # float16, as `mim train --amp`: under bfloat16 the guide (a
            # plain mmpose TopdownPoseEstimator) fails in HeatmapHead.loss,
            # whose training accuracy calls .numpy() on bfloat16 heatmaps
            # (seen on an H200).
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.dtype = 'float16'
            cfg.env_cfg.cudnn_benchmark = True

    def train(self, trainings: Dict[str, Tuple[Config, str]]) -> Dict[
            str, str]:
        """Each named ``(config, folder)`` trained into ``work_dir/folder``
        unless done, as a stage of that name, the preset's ``parallel`` at
        a time: the last checkpoints by name. ``mim train`` (mmpose's
        ``tools/train.py`` for a preset with ``mim=False``) in a child
        process; its command, and so its config file, is made here, in
        this thread. A preset with ``in_process=True`` trains one at a
        time with mmengine's ``Runner`` in this process instead (no
        process to start)."""
        in_process = self.preset.get('in_process', False)
        if in_process and self.preset.get('parallel', 1) > 1:
            raise ValueError('a preset with in_process=True trains one at '
                             'a time: parallel must be 1')
        jobs = {}
        for name, (cfg, folder) in trainings.items():
            work_dir = self.path(folder)
            launch = None  # cached: not called
            if not osp.isfile(last_checkpoint(cfg, work_dir)):
                launch = self._launcher(cfg, work_dir, in_process)
            jobs[name] = partial(train_unless_cached, cfg, work_dir, launch,
                                 self.note)
        return run_jobs(jobs, self.preset.get('parallel', 1), self.stage)

    def _launcher(self, cfg: Config, work_dir: str,
                  in_process: bool) -> Callable[[Config, str], None]:
        """What trains ``cfg`` into ``work_dir``, its config file written
        there (a command reads it; in process it is kept as a record) and
        its output to ``train.log``."""
        if not in_process:
            return partial(run_command, train_command(
                cfg, work_dir, self.preset.get('mim', True)))
        dump_config(cfg, work_dir)
        return partial(train_in_process,
                       log=osp.join(work_dir, 'train.log'))

    def seeds_of(self, all_seeds: bool) -> Tuple[int, ...]:
        return self.seeds if all_seeds else self.seeds[:1]


def run_command(cmd: List[str], _: Config, work_dir: str) -> None:
    """Trainer of ``train_unless_cached`` for a prepared command."""
    run_training(cmd, work_dir, PROJECT)


def file_system_worker_init(num_workers: int, seed: int) -> dict:
    """The ``worker_init_fn`` of a single-process training's loader
    whose workers pass tensors by file name, seeded as mmengine's runner
    seeds its own (rank 0)."""
    return dict(type='file_system_sharing_worker_init',
                num_workers=num_workers, rank=0, seed=seed)


def default_work_dir(preset: str) -> str:
    """Where a preset's run lives unless ``--work-dir`` says otherwise."""
    return 'outputs/accuracy' if preset == 'full' else \
        f'outputs/accuracy_{preset}'


def check_device(name: str, preset: dict) -> None:
    """A clear error for a preset whose device this machine lacks, and
    for autocast off a GPU."""
    device = preset.get('device', 'cpu')
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise SystemExit(f'--preset {name} evaluates on device {device!r}, '
                         'but torch sees no CUDA device here: pass '
                         '--dry-run (or --device cpu) to run it on the CPU')
    if preset.get('amp') and not device.startswith('cuda'):
        raise SystemExit(f'--preset {name} trains with amp (float16 '
                         f'autocast, mmengine\'s AmpOptimWrapper), which '
                         f'needs CUDA, not device {device!r}: use --dry-run')


def device_label(device: str) -> str:
    """What the results say a row was timed on."""
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(torch.device(device))
    return f'CPU, {torch.get_num_threads()} threads'
