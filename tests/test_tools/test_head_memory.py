"""tools/head_memory.py on the tiny ViT at 128x96: each setting's persons
with the head dense and tiled, the same heatmaps, and the docs' table."""
import json
import os.path as osp
import sys

from conftest import TINY_COCO_CFG

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import head_memory  # noqa: E402
import update_tables  # noqa: E402


def test_dense_and_tiled_heads_then_table(tmp_path, coco_root):
    out = tmp_path / 'head_memory.json'
    head_memory.main([
        '--models', f'tiny={TINY_COCO_CFG}', '--input-size', '128x96',
        '--tile-cells', '2', '--max-persons', '2', '--repeats', '1',
        '--data-root', str(coco_root), '--out', str(out)
    ])
    results = json.loads(out.read_text())
    (model, ) = results['models']
    assert model['input_size'] == [96, 128] and model['tile_cells'] == 2
    # mmpose's HeatmapHead runs as the BatchNorm SapiensHeatmapHead.
    assert model['head'] == 'SapiensHeatmapHead' and not model['use_silu']
    skeleton, budget = model['settings']
    assert (skeleton['setting'], budget['setting']) == ('skeleton', '25%')
    assert [p['tokens'] for p in budget['by_person']] == [12, 12]  # of 48
    assert all(p['tokens'] < 48 for p in skeleton['by_person'])
    for setting in (skeleton, budget):
        assert setting['persons'] == 2
        assert setting['max_rel_diff'] < 1e-5  # tiled = dense
        assert setting['dense_activation_mib'] > 0
        assert setting['tiled_activation_mib'] > 0
        assert setting['dense_vs_full'] == (
            setting['dense_activation_mib'] / model['full_activation_mib'])

    page = tmp_path / 'page.md'
    page.write_text('<!-- table: head_memory -->\n'
                    '<!-- /table: head_memory -->\n')
    assert update_tables.update(str(page),
                                update_tables.Renderer(str(tmp_path)))
    text = page.read_text()
    assert '| tiny 128x96 | full |' in text
    assert '|  | 25% | 12 |' in text and 'tiles of 2x2 cells' in text


def test_memory_target_is_read_from_the_tiled_head():
    from mmpose_patchsel.benchmarks.head_memory import markdown

    def results(tiled):
        setting = dict(setting='25%', persons=1, tokens=768,
                       dense_activation_mib=108, tiled_activation_mib=1,
                       dense_vs_full=0.82, tiled_vs_full=tiled,
                       dense_head_ms=1, tiled_head_ms=1, max_rel_diff=0)
        return dict(command='c', meta=dict(threads=1), models=[dict(
            model='vit-l', label='ViT-L', input_size=[768, 1024],
            tile_cells=4, full_activation_mib=132, settings=[setting])])

    assert 'tiled head 0.2400, met (dense head: 0.8200)' in markdown(
        results(0.24))
    assert 'tiled head 0.2501, NOT met' in markdown(results(0.2501))
