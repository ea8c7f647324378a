"""Where a training iteration's time goes: loader, model step, main process.

For the accuracy benchmark's trainings (the warm start and the guide of a
``tools/benchmark_accuracy.py`` preset, on that preset's data, made first if
missing), in one process and one short run each:

1. the train loader alone: samples per second for each ``--workers``;
   and the main process's CPU time per batch taken from the workers,
   under torch's default tensor sharing and under ``file_system``
   (``file_system_sharing_worker_init``), at the largest ``--batch-size``;
2. the model's ``train_step`` on one batch held on the device (no loader),
   with and without the head's training accuracy (``compute_acc``), for
   each ``--batch-size``: seconds per step;
3. mmengine's own training loop for ``--iters`` iterations under cProfile:
   the main process's top functions.

It tells a host-bound run (loader or Python) from a device-bound one before
a long run is sized. Example (on a GPU machine)::

    python tools/profile_training.py --preset gpu --work-dir outputs/probe \
        --num-train 1600 --out outputs/probe/profile.txt
"""
import argparse
import cProfile
import io
import os
import os.path as osp
import pstats
import sys
import time
from typing import Tuple

import torch
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import benchmark_accuracy as bench  # noqa: E402


MEASURES = ('loader', 'receive', 'step', 'loop')
STRATEGIES = ('file_descriptor', 'file_system')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--preset', choices=sorted(bench.PRESETS),
                        default='gpu')
    parser.add_argument('--work-dir', default='outputs/profile')
    parser.add_argument('--num-train', type=int, default=1600)
    parser.add_argument('--batch-size', type=int, nargs='+',
                        default=[64, 256])
    parser.add_argument('--workers', type=int, nargs='+', default=[8, 15])
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--measure', nargs='+', default=list(MEASURES),
                        choices=MEASURES, help='default: all')
    parser.add_argument('--dry-run', action='store_true',
                        help='the preset at toy sizes on the CPU')
    parser.add_argument('--out', help='also write the report here')
    return parser.parse_args()


def say(text: str, lines: list) -> None:
    print(text, flush=True)
    lines.append(text)


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def runner_for(cfg, work_dir: str) -> Runner:
    cfg = cfg.copy()
    cfg.work_dir = work_dir
    cfg.default_hooks.logger.interval = 5
    return Runner.from_cfg(cfg)


def train_loader(runner: Runner, cfg, **overrides):
    """``cfg``'s train loader with ``overrides`` (``None`` removes a key),
    its workers ending with its iterator."""
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.persistent_workers = False
    for key, value in overrides.items():
        if value is None:
            loader_cfg.pop(key, None)
        else:
            loader_cfg[key] = value
    return runner.build_dataloader(loader_cfg)


def loader_rate(runner: Runner, cfg, workers: int, batches: int) -> float:
    """Samples per second of the train loader, after two warm-up batches."""
    it = iter(train_loader(runner, cfg, num_workers=workers))
    next(it), next(it)
    start, n = time.perf_counter(), 0
    for _ in range(batches):
        try:
            n += len(next(it)['inputs'])
        except StopIteration:
            break
    return n / (time.perf_counter() - start)


def receive_time(runner: Runner, cfg, batch_size: int, batches: int,
                 strategy: str) -> Tuple[float, int]:
    """Main-process CPU seconds per batch taken from the loader's worker,
    which shares its tensors by ``strategy``; and the tensors per batch.

    One worker fills its queue (``batches`` batches) before the timing,
    so the time is the main process's own: unpickling, attaching the
    shared memory, collating; not waiting. No pinning."""
    worker_init = bench.file_system_worker_init(1, seed=0) \
        if strategy == 'file_system' else None
    it = iter(train_loader(runner, cfg, batch_size=batch_size, num_workers=1,
                           pin_memory=False, prefetch_factor=batches + 1,
                           worker_init_fn=worker_init))
    tensors = tensors_in(next(it))
    start = time.perf_counter()
    # The worker fills its queue (a private attribute of torch's iterator).
    while it._worker_result_queue.qsize() < batches:
        if time.perf_counter() - start > 600:
            raise RuntimeError('the loader worker filled no queue in 600 s')
        time.sleep(0.2)
    cpu = time.process_time()
    for _ in range(batches):
        next(it)
    return (time.process_time() - cpu) / batches, tensors


def tensors_in(batch: dict) -> int:
    """Tensors of a pseudo-collated batch: each sample's image and the
    tensors of its data sample's fields (heatmaps, weights, ...)."""
    count = len(batch['inputs'])
    for sample in batch['data_samples']:
        for _, field in sample.all_items():
            if isinstance(field, BaseDataElement):
                count += sum(isinstance(value, torch.Tensor)
                             for _, value in field.all_items())
    return count


def step_time(runner: Runner, cfg, batch_size: int, steps: int,
              device: str, compute_acc: bool) -> float:
    """Seconds per ``train_step`` on one batch kept on the device."""
    data = next(iter(train_loader(runner, cfg, batch_size=batch_size,
                                  num_workers=4)))
    model = runner.model
    model.train()
    train_cfg = model.train_cfg  # the head's, passed to its loss
    model.train_cfg = dict(train_cfg, compute_acc=compute_acc)
    optim = runner.build_optim_wrapper(cfg.optim_wrapper)
    data = model.data_preprocessor(data, True)  # on the device once
    model.data_preprocessor.forward = lambda d, training=False: d
    try:
        for i in range(steps + 2):
            if i == 2:
                sync(device)
                start = time.perf_counter()
            model.train_step(data, optim)
        sync(device)
        return (time.perf_counter() - start) / steps
    finally:
        del model.data_preprocessor.forward
        model.train_cfg = train_cfg


def profile_loop(runner: Runner, lines: list) -> None:
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(runner.train)
    seconds = time.perf_counter() - start
    say(f'   loop: {seconds:.1f}s', lines)
    # The model's own step, whatever else ranks above it in the listings
    # (at toy sizes the runner's setup does).
    step = max((stat[3] for (_, _, fn), stat in
                pstats.Stats(profiler).stats.items() if fn == 'train_step'),
               default=0.0)
    say(f'   train_step: {step:.2f}s of the loop ({step / seconds:.0%})',
        lines)
    for key in ('cumulative', 'tottime'):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(key).print_stats(25)
        say(text.getvalue()[-6000:], lines)


def main():
    args = parse_args()
    preset = dict(bench.PRESETS[args.preset],
                  **(bench.DRY_RUN if args.dry_run else {}))
    preset.update(num_train=args.num_train, num_val=2)
    if args.dry_run:  # toy sizes, the model's too: the configs' own ViT
        preset.pop('vit', None)
    device = preset.get('device', 'cpu')
    exp = bench.Experiment(args.work_dir, preset, 0)
    bench.make_data(exp)
    lines = []
    say(f'device {bench.device_label(device)}; host cores '
        f'{os.cpu_count()}; torch threads {torch.get_num_threads()}; '
        f'train persons {exp.persons("train")}', lines)
    for name, cfg in (('warm start', bench.warm_start_config(exp)),
                      ('guide', bench.guide_config(exp))):
        say(f'== {name}: {cfg.model.backbone.type}, batch '
            f'{cfg.train_dataloader.batch_size}, optim '
            f'{cfg.optim_wrapper.get("type", "OptimWrapper")}', lines)
        runner = runner_for(cfg, exp.path('profile', name.replace(' ', '_')))
        for workers in args.workers if 'loader' in args.measure else ():
            rate = loader_rate(runner, cfg, workers, args.steps)
            say(f'   loader, {workers} workers: {rate:.0f} samples/s',
                lines)
        batch = max(args.batch_size)
        for strategy in STRATEGIES if 'receive' in args.measure else ():
            sec, tensors = receive_time(runner, cfg, batch, args.steps,
                                        strategy)
            say(f'   receive, batch {batch} ({tensors} tensors), '
                f'{strategy}: {sec * 1e3:.1f} ms main-process CPU', lines)
        for batch in args.batch_size if 'step' in args.measure else ():
            for acc in (True, False):
                sec = step_time(runner, cfg, batch, args.steps, device, acc)
                say(f'   step, batch {batch}, compute_acc {acc}: '
                    f'{sec * 1e3:.1f} ms ({batch / sec:.0f} samples/s)',
                    lines)
        if name == 'warm start' and 'loop' in args.measure:
            cfg = cfg.copy()
            cfg.train_dataloader.num_workers = max(args.workers)
            cfg.train_dataloader.persistent_workers = max(args.workers) > 0
            batch = cfg.train_dataloader.batch_size
            cfg.train_dataloader.dataset.indices = batch * args.iters
            cfg.train_cfg.max_epochs = 1
            cfg.train_cfg.val_begin = 2
            cfg.param_scheduler[-1].end = 1
            say(f'   mmengine loop, {args.iters} iterations, '
                f'{max(args.workers)} workers:', lines)
            profile_loop(runner_for(cfg, exp.path('profile', 'loop')), lines)
    if args.out:
        with open(args.out, 'w') as f:
            f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
