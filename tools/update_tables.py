"""Fill the generated tables of README.md and docs/*.md from their JSON.

A table sits between ``<!-- table: NAME -->`` and ``<!-- /table: NAME -->``
lines; ``TABLES[NAME]`` says which results JSON files under
``docs/results/`` it is rendered from and how. Only the text between the
markers is rewritten. With ``--check`` nothing is written: the stale
blocks are listed and the exit status is 1.

To add a table: write its JSON from the tool that measures it, add an
entry to ``TABLES`` and the command that writes the JSON to ``COMMANDS``.

Example::

    python tools/update_tables.py           # rewrite every marked block
    python tools/update_tables.py --check   # what CI runs
"""
import argparse
import glob
import json
import os.path as osp
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(PROJECT, 'tools'))

from mmpose_patchsel.analysis import results_tables as tables  # noqa: E402
from mmpose_patchsel.analysis.table_markers import (  # noqa: E402
    Block, MarkerError, as_body, fill_blocks, find_blocks)

RESULTS_DIR = osp.join(PROJECT, 'docs', 'results')

#: The command that writes each results JSON (the stem is the key).
COMMANDS = {
    'accuracy_synthetic_cpu': 'python tools/benchmark_accuracy.py '
    '--results docs/results/accuracy_synthetic_cpu.json',
    'accuracy_synthetic_gpu': 'python tools/benchmark_accuracy.py '
    '--preset gpu --results docs/results/accuracy_synthetic_gpu.json',
    'flops_vitb': 'python tools/get_flops.py configs/coco/'
    'td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py '
    '--num-keep 144 96 --data-root ../shared/data/mmpose_testdata/coco '
    '--out docs/results/flops_vitb.json, then python tools/get_flops.py '
    'configs/coco/td-hm_patchsel-vit-base-jointtokens_8xb64-210e_coco-'
    '256x192.py --keep-rate 0.7 --out docs/results/flops_vitb.json '
    '--append',
    'configs': 'python tools/get_flops.py --all-configs configs '
    '--testdata ../shared/data/mmpose_testdata '
    '--out docs/results/configs.json',
    'speed_cpu': 'python tools/benchmark.py configs/coco/'
    'td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py '
    '--batch-size 8 --num-keep 144 96 --out docs/results/speed_cpu.json, '
    'then the same with --num-keep 324 216 --input-size 288 384 --append',
    'selection_stats': 'python tools/selection_stats.py --data-root '
    '../shared/data/mmpose_testdata/coco --settings neighbour:0 neighbour:4 '
    'neighbour:8 neighbour:12 skeleton:0 skeleton:4 skeleton:0:96 '
    '--out docs/results/selection_stats.json',
    'selection_resolution': 'python tools/selection_resolution.py '
    '--data-root ../shared/data/mmpose_testdata/coco '
    '--out docs/results/selection_resolution.json',
    'video_benchmark': 'python tools/benchmark_video.py '
    '--results docs/results/video_benchmark.json',
    'accuracy_strength': 'python tools/accuracy_vs_strength.py --results '
    'docs/results/accuracy_strength.json --figure docs/accuracy_strength.png',
    'onnx_cpu': 'python tools/deployment/benchmark_onnx.py '
    '--out docs/results/onnx_cpu.json',
    'cost_resolution': 'python tools/cost_vs_resolution.py --threads 1 '
    '--out docs/results/cost_resolution.json '
    '--figure docs/cost_resolution.png',
    'head_norm': 'python tools/head_norm_study.py '
    '--results docs/results/head_norm.json',
    'head_memory': 'python tools/head_memory.py --max-persons 2 '
    '--repeats 1 --out docs/results/head_memory.json',
}


class TableError(Exception):
    """A block that cannot be rendered: unknown name or missing JSON."""


@dataclass
class Table:
    """How a block is rendered: ``render`` gets the loaded JSON of each of
    ``sources`` (stems under docs/results/), and of each of ``optional``
    that exists."""
    render: Callable[[Dict[str, dict]], str]
    sources: Tuple[str, ...]
    optional: Tuple[str, ...] = ()


def _one(stem: str, render: Callable[[dict], str]) -> Table:
    """A table rendered from the JSON of its own name alone."""
    return Table(lambda results: render(results[stem]), (stem, ))


def _accuracy(results: dict) -> str:
    import benchmark_accuracy  # tools/: heavy, only when a block needs it
    return benchmark_accuracy.markdown(results)


def _strength(results: dict) -> str:
    import accuracy_vs_strength  # tools/, as above
    return accuracy_vs_strength.markdown(results)


def _head_memory(results: dict) -> str:
    # As _head_norm: the benchmark's package loads mmpose.
    from mmpose_patchsel.benchmarks.head_memory import markdown
    return markdown(results)


def _head_norm(results: dict) -> str:
    # The benchmark's package loads mmpose: only when a block needs it.
    from mmpose_patchsel.benchmarks.head_norm import markdown
    return markdown(results)


TABLES: Dict[str, Table] = {
    'accuracy_synthetic_cpu': _one('accuracy_synthetic_cpu', _accuracy),
    'accuracy_strength': _one('accuracy_strength', _strength),
    'summary': Table(
        lambda results: tables.summary_table(
            results['accuracy_synthetic_cpu'],
            results.get('accuracy_synthetic_gpu')),
        ('accuracy_synthetic_cpu', ), optional=('accuracy_synthetic_gpu', )),
    'flops_vitb': _one('flops_vitb', tables.flops_table),
    'speed_cpu': _one('speed_cpu', tables.speed_table),
    'configs': _one('configs', tables.configs_table),
    'selection_stats': _one('selection_stats', tables.selection_stats_table),
    'selection_resolution': _one('selection_resolution',
                                 tables.selection_resolution_table),
    'video_benchmark': _one('video_benchmark', tables.video_table),
    'onnx_cpu': _one('onnx_cpu', tables.onnx_speed_table),
    'cost_resolution': _one('cost_resolution',
                            tables.cost_resolution_table),
    'head_norm': _one('head_norm', _head_norm),
    'head_memory': _one('head_memory', _head_memory),
}


def default_files(root: str = PROJECT) -> List[str]:
    """README.md and every Markdown file under docs/."""
    return [osp.join(root, 'README.md')] + sorted(
        glob.glob(osp.join(root, 'docs', '**', '*.md'), recursive=True))


class Renderer:
    """Renders blocks, loading each results JSON once."""

    def __init__(self, results_dir: str = RESULTS_DIR,
                 registry: Optional[Dict[str, Table]] = None) -> None:
        self.results_dir = results_dir
        self.registry = TABLES if registry is None else registry
        self._loaded: Dict[str, dict] = {}

    def _load(self, stem: str) -> Optional[dict]:
        if stem not in self._loaded:
            path = osp.join(self.results_dir, f'{stem}.json')
            if not osp.isfile(path):
                return None
            with open(path) as f:
                self._loaded[stem] = json.load(f)
        return self._loaded[stem]

    def __call__(self, block: Block, source: str) -> str:
        table = self.registry.get(block.name)
        if table is None:
            raise TableError(
                f'{source}:{block.line}: unknown table '
                f'"<!-- table: {block.name} -->"; known: '
                f'{", ".join(sorted(self.registry))} (tools/update_tables.py '
                'TABLES)')
        results = {}
        for stem in table.sources:
            data = self._load(stem)
            if data is None:
                raise TableError(
                    f'{source}:{block.line}: table "{block.name}" needs '
                    f'{osp.join(self.results_dir, stem + ".json")}, which '
                    f'does not exist; write it with: '
                    f'{COMMANDS.get(stem, "(no command registered)")}')
            results[stem] = data
        for stem in table.optional:
            data = self._load(stem)
            if data is not None:
                results[stem] = data
        return table.render(results)


def check_files(files: Sequence[str],
                render: Renderer) -> Tuple[List[str], List[str]]:
    """The stale blocks of ``files`` (``file:line NAME``, body not its
    rendering) and the errors of those that cannot be rendered."""
    stale, errors = [], []
    for path in files:
        with open(path) as f:
            blocks = find_blocks(f.read(), path)
        for block in blocks:
            try:
                if block.body != as_body(render(block, path)):
                    stale.append(f'{path}:{block.line} {block.name}')
            except TableError as error:
                errors.append(str(error))
    return stale, errors


def update(path: str, render: Renderer,
           errors: Optional[List[str]] = None) -> bool:
    """Rewrite the marked blocks of ``path``; True if it changed. With
    ``errors``, a block that cannot be rendered is left as it is and its
    error added there; without, it raises."""

    def body(block: Block) -> str:
        try:
            return render(block, path)
        except TableError as error:
            if errors is None:
                raise
            errors.append(str(error))
            return block.body

    with open(path) as f:
        text = f.read()
    new = fill_blocks(text, body, path)
    if new != text:
        with open(path, 'w') as f:
            f.write(new)
    return new != text


def parse_args(argv: Optional[Sequence[str]] = None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('files', nargs='*',
                        help='Markdown files (default: README.md, docs/)')
    parser.add_argument('--check', action='store_true',
                        help='write nothing; exit 1 if a block is stale')
    parser.add_argument('--results-dir', default=RESULTS_DIR)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    files = args.files or default_files()
    render = Renderer(args.results_dir)
    try:
        return _run(files, render, args.check)
    except MarkerError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2


def _run(files: List[str], render: Renderer, check: bool) -> int:
    """Check or update every block, reporting each error; 2 on errors,
    1 on stale blocks (--check), else 0."""
    if check:
        stale, errors = check_files(files, render)
    else:
        stale, errors = [], []
        for path in files:
            if update(path, render, errors):
                print(f'updated {osp.relpath(path)}')
    for line in stale:
        print(f'stale: {line}')
    if stale:
        print('run python tools/update_tables.py to regenerate them')
    for error in errors:
        print(f'error: {error}', file=sys.stderr)
    return 2 if errors else 1 if stale else 0


if __name__ == '__main__':
    sys.exit(main())
