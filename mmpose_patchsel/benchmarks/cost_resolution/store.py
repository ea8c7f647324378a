"""Finished cells on disk, so that a long run resumes where it stopped.

Each (model, input size) cell is one JSON file under the work dir, written
once it is complete, with the options it was measured under; a rerun with
the same options skips it, one with other options measures it again.
"""
import json
import os
import os.path as osp
from typing import Callable, Iterable, List, NamedTuple, Optional, Tuple

from mmpose_patchsel.analysis.results_json import write_json


class Cell(NamedTuple):
    """A model (by the tool's name, and its config) at an input size
    (w, h)."""
    model: str
    config: str
    input_size: Tuple[int, int]

    @property
    def tag(self) -> str:
        """``vit-b_256x192`` (h x w, as mmpose names its configs)."""
        w, h = self.input_size
        return f'{self.model}_{h}x{w}'


class CellStore:
    """The measured cells of a work dir.

    Args:
        work_dir: where ``cells/<tag>.json`` go.
        options: what a cell's numbers depend on besides its model and
            size (repeats, threads, budgets, ...); a file measured under
            other options is not reused.
    """

    def __init__(self, work_dir: str, options: dict) -> None:
        self.folder = osp.join(work_dir, 'cells')
        self.options = json.loads(json.dumps(options))  # as stored

    def _options(self, cell: Cell) -> dict:
        return dict(self.options, config=cell.config)

    def path(self, cell: Cell) -> str:
        return osp.join(self.folder, f'{cell.tag}.json')

    def get(self, cell: Cell) -> Optional[dict]:
        """The stored result of ``cell``, or None when it was not measured
        (or was, under other options)."""
        path = self.path(cell)
        if not osp.isfile(path):
            return None
        with open(path) as f:
            stored = json.load(f)
        if stored.get('options') != self._options(cell):
            return None
        return stored['result']

    def put(self, cell: Cell, result: dict) -> None:
        """Store ``result`` whole: written aside, then renamed into place,
        so an interrupted write leaves no half cell."""
        path = self.path(cell)
        write_json(path + '.tmp',
                   dict(options=self._options(cell), result=result))
        os.replace(path + '.tmp', path)


def measure_cells(cells: Iterable[Cell],
                  store: CellStore,
                  measure: Callable[[Cell], dict],
                  done: Callable[[List[dict]], None] = lambda results: None,
                  log: Callable[[str], None] = print) -> List[dict]:
    """The result of every cell, stored ones reused, the others measured
    and stored; ``done`` gets the results so far after each cell (to write
    the results JSON as the run goes)."""
    results = []
    for cell in cells:
        result = store.get(cell)
        if result is None:
            log(f'[{cell.tag}] measuring')
            result = measure(cell)
            store.put(cell, result)
        else:
            log(f'[{cell.tag}] done before: {store.path(cell)}')
        results.append(result)
        done(results)
    return results
