"""Throughput, latency and peak memory of full vs patch-selected models.

For each setting (full, then every ``--num-keep K``) it times the backbone
alone and the whole network (backbone + neck + head, optionally with the
flipped pass of flip test) on random inputs, after warm-up, and reports
medians and the speed-up over the full model measured in the same run.
Peak memory is the CUDA allocator's peak on a GPU, and the growth of the
process' resident high-water mark (``VmHWM``) on a Linux CPU.

A backbone that prunes by itself (``JointTokenPatchSelViT``) runs the full
row at keep rate 1.0 (joint tokens included) and adds one row per
``--keep-rate R`` (default: the config's rate); the ``--num-keep`` rows
run at 1.0.

``--out`` writes the rows (medians, the speed-ups measured in the same
run) and a meta block (machine, torch, threads, load) as JSON;
``--append`` adds the run to the runs already in that file, what
``tools/update_tables.py`` renders the README's speed table from.

Example::

    python tools/benchmark.py \
        configs/coco/td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py \
        --batch-size 8 --num-keep 144 96 --out docs/results/speed_cpu.json
"""
import argparse
import os
import os.path as osp
import platform
from typing import Callable, Optional

import torch
from mmengine.config import Config, DictAction
from mmpose.apis import init_model
from mmpose.structures import PoseDataSample

from mmpose_patchsel.analysis import at_keep_rate, measured_keep_rates
from mmpose_patchsel.analysis import median_times, peak_memory
from mmpose_patchsel.analysis.results_json import add_run, command_line
from mmpose_patchsel.analysis.results_tables import vit_label
from mmpose_patchsel.models.pose_estimators import OnlineGuide


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--num-keep', type=int, nargs='*', default=[])
    parser.add_argument('--keep-rate', type=float, nargs='*', default=[],
                        help='rates of a backbone that prunes by itself')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--flip', action='store_true',
                        help='add the flipped pass of flip test')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('W', 'H'),
                        help="default: the config's codec input size")
    parser.add_argument(
        '--guide-config',
        help='also time this guide model (e.g. mmpose::...litehrnet...py) '
        'on the same crops and report its share of guide + selected model')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--out', help='write the rows to this JSON')
    parser.add_argument('--append', action='store_true',
                        help='add this run to the runs already in --out')
    parser.add_argument('--note', help='a sentence for the JSON meta (e.g. '
                        'why fewer repeats than usual)')
    args = parser.parse_args()
    if args.append and not args.out:
        parser.error('--append adds to --out JSON: give --out')
    return args


def random_keep(batch: int, num_patches: int, k: int,
                device: torch.device) -> torch.Tensor:
    scores = torch.rand(batch, num_patches, device=device)
    return scores.topk(k, dim=1).indices.sort(dim=1).values


def cpu_model() -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_meta(device: torch.device, note: Optional[str]) -> dict:
    """Where the run was timed: the device, torch, threads and, on a CPU,
    the load average when it started (a shared machine's load)."""
    meta = dict(torch=torch.__version__, threads=torch.get_num_threads(),
                cpus=os.cpu_count(), platform=platform.platform())
    if device.type == 'cuda':
        meta['machine'] = torch.cuda.get_device_name(device)
    else:
        meta['machine'] = f'{cpu_model()} ({platform.machine()} CPU)'
        if hasattr(os, 'getloadavg'):
            meta['load_average_1min'] = os.getloadavg()[0]
    if note:
        meta['note'] = note
    return meta


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.backbone.init_cfg = None  # weights do not change speed
    w, h = args.input_size or cfg.codec.input_size
    cfg.model.backbone.img_size = (h, w)
    model = init_model(cfg, device=args.device).eval()
    backbone = model.backbone
    num_patches = backbone.num_patches
    inputs = torch.randn(args.batch_size, 3, h, w, device=device)

    def whole(keep):
        feats = model.extract_feat(inputs, keep)
        out = model.head.forward(feats)
        if args.flip:
            model.head.forward(model.extract_feat(inputs.flip(-1), keep))
        return out

    meta = machine_meta(device, args.note)
    print(f'config: {args.config}\ndevice: {meta["machine"]}, '
          f'{meta["threads"]} threads; torch '
          f'{torch.__version__}; batch {args.batch_size}; input {w}x{h}; '
          f'{num_patches} patches; flip {args.flip}; median of '
          f'{args.repeats} after {args.warmup} warm-up, settings in rotation')
    print(f'{"setting":<10}{"tokens":>7}{"backbone ms":>13}{"speed-up":>10}'
          f'{"model ms":>10}{"speed-up":>10}{"img/s":>8}{"peak MiB":>10}')
    guide_fn = None
    if args.guide_config:
        guide = OnlineGuide(
            args.guide_config,
            num_keypoints=model.head.out_channels).to(device)
        samples = [PoseDataSample(metainfo=dict(flip_indices=list(
            range(model.head.out_channels))))] * args.batch_size
        guide_fn = lambda: guide(inputs, samples, (w, h))  # noqa: E731
    rates = measured_keep_rates(backbone, args.keep_rate)

    # (name, tokens, keep indices, keep rate of a self-pruning backbone)
    settings = [('full', num_patches, None, 1.0)]
    for k in args.num_keep:
        settings.append((f'K={k}', k,
                         random_keep(args.batch_size, num_patches, k,
                                     device), 1.0))
    for rate in rates:
        counts = backbone.patch_token_counts(keep_rate=rate)
        settings.append((f'rate={rate:g}', sum(counts) / len(counts), None,
                         rate))

    def at_rate(rate: float, fn: Callable) -> Callable:
        def call():
            with at_keep_rate(backbone, rate):
                return fn()
        return call

    calls, whole_calls = {}, {}
    for name, _, keep, rate in settings:
        calls[name, 'backbone'] = at_rate(
            rate, lambda keep=keep: backbone(inputs, keep))
        whole_calls[name] = calls[name, 'model'] = at_rate(
            rate, lambda keep=keep: whole(keep))
    if guide_fn is not None:
        calls['guide'] = guide_fn
    seconds = median_times(calls, args.repeats, args.warmup, device)
    with torch.no_grad():
        peaks = {name: peak_memory(fn, device)
                 for name, fn in whole_calls.items()}

    median = {name: (seconds[name, 'backbone'], seconds[name, 'model'])
              for name, *_ in settings}
    full = median['full']
    if guide_fn is not None:
        guide_ms = seconds['guide'] * 1e3
        print(f'guide: {args.guide_config} ({guide.input_size[0]}x'
              f'{guide.input_size[1]}): {guide_ms:.1f} ms per batch')
    rows = []
    for name, tokens, keep, _ in settings:
        t_bb, t_all = median[name]
        row = dict(setting=name, tokens=float(tokens),
                   backbone_ms=t_bb * 1e3, backbone_speedup=full[0] / t_bb,
                   model_ms=t_all * 1e3, model_speedup=full[1] / t_all,
                   images_per_s=args.batch_size / t_all,
                   peak_mib=peaks[name])
        print(f'{name:<10}{tokens:>7.0f}{t_bb * 1e3:>13.1f}'
              f'{full[0] / t_bb:>9.2f}x{t_all * 1e3:>10.1f}'
              f'{full[1] / t_all:>9.2f}x{args.batch_size / t_all:>8.1f}'
              f'{peaks[name]:>10.1f}')
        if guide_fn is not None and keep is not None:
            total = guide_ms + t_all * 1e3
            row['with_guide'] = dict(ms=total, guide_share=guide_ms / total,
                                     speedup=full[1] * 1e3 / total)
            print(f'{"":<10}with guide: {total:.1f} ms, guide share '
                  f'{guide_ms / total:.0%}, speed-up over full '
                  f'{full[1] * 1e3 / total:.2f}x')
        rows.append(row)
    if args.out:
        add_run(args.out, dict(
            config=osp.relpath(args.config), command=command_line(),
            model=vit_label(cfg.model.backbone), input_size=[w, h],
            batch_size=args.batch_size, num_patches=num_patches,
            flip=args.flip, repeats=args.repeats, warmup=args.warmup,
            meta=meta, rows=rows,
            guide=None if guide_fn is None else dict(
                config=args.guide_config, ms=guide_ms)),
            'tools/benchmark.py', args.append)
        print(f'-> {args.out}')



if __name__ == '__main__':
    main()
