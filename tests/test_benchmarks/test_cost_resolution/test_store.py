"""Stored cells: a rerun reuses those measured under the same options
and measures the rest; a half-written cell is never read back."""
import json

from mmpose_patchsel.benchmarks.cost_resolution import (Cell, CellStore,
                                                        measure_cells)

OPTIONS = dict(repeats=3, threads=2)
A = Cell('vit-b', 'configs/a.py', (192, 256))
B = Cell('vit-b', 'configs/a.py', (768, 1024))


def run(store, cells, measured):

    def measure(cell):
        measured.append(cell.tag)
        return dict(tag=cell.tag)

    progress = []
    results = measure_cells(cells,
                            store,
                            measure,
                            lambda done: progress.append(len(done)),
                            log=lambda line: None)
    assert progress == list(range(1, len(cells) + 1))
    return results


def test_rerun_skips_finished_cells(tmp_path):
    measured = []
    store = CellStore(str(tmp_path), OPTIONS)
    assert run(store, [A], measured) == [dict(tag='vit-b_256x192')]
    assert A.tag == 'vit-b_256x192' and B.tag == 'vit-b_1024x768'
    stamp = (tmp_path / 'cells' / 'vit-b_256x192.json').stat().st_mtime_ns

    # A new run with one more cell: only that one is measured.
    results = run(CellStore(str(tmp_path), OPTIONS), [A, B], measured)
    assert measured == ['vit-b_256x192', 'vit-b_1024x768']
    assert [r['tag'] for r in results] == [A.tag, B.tag]
    assert (tmp_path / 'cells' /
            'vit-b_256x192.json').stat().st_mtime_ns == stamp
    assert sorted(p.name for p in (tmp_path / 'cells').iterdir()) == [
        'vit-b_1024x768.json', 'vit-b_256x192.json'
    ]


def test_other_options_or_config_measure_again(tmp_path):
    measured = []
    run(CellStore(str(tmp_path), OPTIONS), [A], measured)
    run(CellStore(str(tmp_path), dict(OPTIONS, repeats=5)), [A], measured)
    run(CellStore(str(tmp_path), dict(OPTIONS, repeats=5)),
        [A._replace(config='configs/b.py')], measured)
    assert measured == [A.tag] * 3
    stored = json.loads((tmp_path / 'cells' / f'{A.tag}.json').read_text())
    assert stored['options'] == dict(OPTIONS, repeats=5, config='configs/b.py')


def test_a_half_written_cell_is_not_read(tmp_path):
    store = CellStore(str(tmp_path), OPTIONS)
    (tmp_path / 'cells').mkdir()
    (tmp_path / 'cells' / f'{A.tag}.json.tmp').write_text('{"options": ')
    assert store.get(A) is None
    store.put(A, dict(x=1))
    assert store.get(A) == dict(x=1)
    assert not (tmp_path / 'cells' / f'{A.tag}.json.tmp').exists()
