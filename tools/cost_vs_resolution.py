"""Cost of patch selection against the input size, on the CPU at batch 1.

For ViT-B, ViT-L (Sapiens 0.3B's backbone, ViTPose's head) and Sapiens 1B
(Sapiens' head) at 256x192, 384x288, 512x384 and 1024x768, each at the
full grid, the skeleton selection's natural token count (its mean kept
tokens over the bundled COCO persons, the annotation as the guide) and
budgets of 50 % and 25 % of the tokens, it measures

- GFLOPs with attention (one multiply-add = one FLOP), the head's share and
  the guide's (LiteHRNet-18 at its own 256x192);
- CPU times: backbone alone, whole model, and, for the selected rows, whole
  model + guide (+ its selection); every call of one model and size takes
  turns in the same rounds (medians), so each speed-up is against the full
  model of the same run; and each speed-up over its FLOPs bound (full
  FLOPs / the row's);
- activation memory: the peak of the tensors one forward holds beyond the
  weights and input (PyTorch's allocator events under torch.profiler).

Each (model, size) cell is stored under ``--work-dir`` once measured; a
rerun skips the stored cells (measured with the same options) and
``--out`` is rewritten after every cell. ``--figure`` draws the speed-ups.

    python tools/cost_vs_resolution.py --threads 2 \
        --out docs/results/cost_resolution.json \
        --figure docs/cost_resolution.png
    python tools/cost_vs_resolution.py --models vit-b --sizes 256x192 \
        --repeats 2 --out /tmp/cost.json          # a small slice
"""
import argparse
import functools
import os
import os.path as osp
import sys
import time
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark import machine_meta  # noqa: E402

from mmpose_patchsel.analysis import StageTimer  # noqa: E402
from mmpose_patchsel.analysis.input_size import parse_hxw  # noqa: E402
from mmpose_patchsel.analysis.results_json import (  # noqa: E402
    command_line, write_json)
from mmpose_patchsel.analysis.results_tables import \
    cost_resolution_table  # noqa: E402
from mmpose_patchsel.benchmarks.cost_resolution import (  # noqa: E402
    BUDGETS, DEFAULT_MODELS, DEFAULT_SIZES, GUIDE, MODELS, SKELETON, Cell,
    CellStore, ModelSpec, measure_cell, measure_cells, natural_tokens, plot,
    remeasure_memory)
from mmpose_patchsel.benchmarks.cost_resolution.plan import (  # noqa: E402
    ANN_FILE, DATA_ROOT, PROJECT)

TOOL = 'tools/cost_vs_resolution.py'
MEMORY = ('peak of the bytes of the tensors one whole-model forward (and '
          'its backbone part) allocates through PyTorch\'s CPU allocator '
          'and has not yet freed, beyond what was live before it (weights, '
          'input): torch.profiler\'s allocator events (profile_memory) '
          'summed in order. Deterministic and independent of what the '
          'process ran before; it does not count the allocator\'s slack or '
          'buffers that MKL / oneDNN allocate outside PyTorch.')
TIMING = ('random inputs and random kept cells at batch 1, eval, no flip; '
          'per (model, size) every call (backbone and whole model of each '
          'setting, the guide with its selection) takes turns in each '
          'round; medians after warm-up rounds.')


def parse_model(text: str) -> Tuple[str, ModelSpec]:
    """A name of ``MODELS``, or ``NAME=CONFIG`` (another full config)."""
    name, sep, config = text.partition('=')
    if sep:
        if not osp.isfile(config):
            raise argparse.ArgumentTypeError(f'{text!r}: no config {config}')
        return name, ModelSpec(name, osp.abspath(config))
    if name not in MODELS:
        raise argparse.ArgumentTypeError(
            f'unknown model {name!r}: one of {", ".join(MODELS)} or '
            'NAME=CONFIG')
    return name, MODELS[name]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models',
                        nargs='+',
                        type=parse_model,
                        default=[parse_model(m) for m in DEFAULT_MODELS],
                        help=f'of {", ".join(MODELS)}, or NAME=CONFIG')
    parser.add_argument('--sizes',
                        nargs='+',
                        type=parse_hxw,
                        default=list(DEFAULT_SIZES),
                        metavar='HxW',
                        help='input sizes, h x w as mmpose names configs '
                        '(default: 256x192 384x288 512x384 1024x768)')
    parser.add_argument('--budgets',
                        type=float,
                        nargs='+',
                        default=list(BUDGETS),
                        help='kept fractions of the tokens')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    parser.add_argument('--guide-config', default=GUIDE)
    parser.add_argument('--data-root',
                        default=DATA_ROOT,
                        help='COCO folder whose persons give skeleton\'s '
                        'natural token count')
    parser.add_argument('--ann-file', default=ANN_FILE)
    parser.add_argument('--work-dir',
                        default='outputs/cost_resolution',
                        help='finished cells, reused by a rerun')
    parser.add_argument('--out', help='write the results JSON here')
    parser.add_argument('--figure', help='draw the speed-ups here (PNG)')
    parser.add_argument('--note', help='a sentence for the JSON meta')
    parser.add_argument('--remeasure-memory', action='store_true',
                        help='measure the activation memory of the stored '
                        'cells again with this code (FLOPs and times kept); '
                        'a cell already remeasured is skipped')
    args = parser.parse_args(argv)
    args.command = command_line(None if argv is
                                None else [osp.abspath(__file__), *argv])
    if any(not 0 < b < 1 for b in args.budgets):
        parser.error(f'--budgets {args.budgets}: fractions in (0, 1)')
    if args.repeats < 1 or args.warmup < 0:
        parser.error('--repeats >= 1 and --warmup >= 0')
    return args


def relative(path: str) -> str:
    """A path as the JSON records it: relative to the project if inside."""
    path = osp.abspath(path)
    inside = path.startswith(PROJECT + os.sep)
    return osp.relpath(path, PROJECT) if inside else path


def data_name(args: argparse.Namespace) -> str:
    """``coco/test_coco.json``: the persons skeleton's count comes from."""
    return osp.join(osp.basename(osp.normpath(args.data_root)), args.ann_file)


def run_options(args: argparse.Namespace) -> dict:
    """What a cell's numbers depend on besides its model and size."""
    return dict(repeats=args.repeats,
                warmup=args.warmup,
                threads=args.threads,
                budgets=args.budgets,
                selection=SKELETON,
                guide_config=args.guide_config,
                data=data_name(args),
                batch=1,
                seed=0)


def results_json(args: argparse.Namespace, meta: dict,
                 cells: List[dict]) -> dict:
    """The results file: this run's command and machine, how each number
    is measured, and every cell so far."""
    return dict(
        tool=TOOL,
        command=args.command,
        meta=meta,
        options=run_options(args),
        selection=dict(options=SKELETON,
                       guide='annotation (ground truth)',
                       ann_file=data_name(args)),
        flops='one multiply-add = one FLOP, attention matmuls counted; '
        'the head runs on the restored full grid at every setting',
        timing=TIMING,
        memory=MEMORY,
        cells=cells)


def print_cell(cell: dict) -> None:
    print(f"{'setting':<10}{'tokens':>7}{'GFLOPs':>9}{'bound':>7}"
          f"{'bb ms':>9}{'bb x':>7}{'model ms':>10}{'x':>7}{'+guide x':>9}"
          f"{'act MiB':>9}")
    for r in cell['rows']:
        guided = r['with_guide_speedup']
        print(f"{r['setting']:<10}{r['tokens']:>7}{r['flops'] / 1e9:>9.2f}"
              f"{r['flops_bound']:>7.2f}{r['backbone_ms']:>9.1f}"
              f"{r['backbone_speedup']:>7.2f}{r['model_ms']:>10.1f}"
              f"{r['model_speedup']:>7.2f}"
              f"{'-' if guided is None else f'{guided:.2f}':>9}"
              f"{r['activation_mib']:>9.1f}")


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    init_default_scope('mmpose')
    cpu = torch.device('cpu')
    meta = machine_meta(cpu, args.note)
    if meta.get('load_average_1min', 0) >= 1:
        print(f"warning: load average {meta['load_average_1min']:.1f} on "
              f"{meta['cpus']} CPUs: other work will skew the timings")
    store = CellStore(args.work_dir, run_options(args))

    @functools.lru_cache(maxsize=None)
    def natural(size):
        return natural_tokens(size, args.data_root, args.ann_file)

    specs = dict(args.models)

    def measure(cell: Cell) -> dict:
        start, cell_meta = time.perf_counter(), machine_meta(cpu, args.note)
        spec = specs[cell.model]
        result = measure_cell(Config.fromfile(osp.join(PROJECT, spec.config)),
                              cell.input_size,
                              natural(cell.input_size),
                              args.guide_config,
                              args.budgets,
                              repeats=args.repeats,
                              warmup=args.warmup,
                              stages=StageTimer(cell.tag))
        result = dict(model=cell.model,
                      label=spec.label,
                      config=cell.config,
                      command=args.command,
                      meta=cell_meta,
                      seconds=time.perf_counter() - start,
                      **result)
        print_cell(result)
        print(f'[{cell.tag}] {result["seconds"]:.0f} s')
        return result

    def done(cells: List[dict]) -> None:
        if args.out:
            write_json(args.out, results_json(args, meta, cells))

    cells = [
        Cell(name, relative(osp.join(PROJECT, spec.config)), size)
        for name, spec in args.models for size in args.sizes
    ]
    measured = measure_cells(cells, store, measure, done)
    if args.remeasure_memory:
        for i, (cell, result) in enumerate(zip(cells, measured)):
            if 'memory_remeasured' in result:
                continue
            print(f'[{cell.tag}] activation memory again', flush=True)
            spec = specs[cell.model]
            result = remeasure_memory(
                Config.fromfile(osp.join(PROJECT, spec.config)), result)
            result['memory_remeasured'] = dict(
                command=args.command, meta=machine_meta(cpu, args.note))
            store.put(cell, result)
            measured[i] = result
            done(measured)
    results = results_json(args, meta, measured)
    print(cost_resolution_table(results))
    if args.out:
        print(f'-> {args.out}')
    if args.figure:
        plot(results, args.figure)
        print(f'-> {args.figure}')
    return results


if __name__ == '__main__':
    main()
