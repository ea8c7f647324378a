"""The targets read from a results file, its table and its figure, on
made-up numbers (no timing here)."""
from mmpose_patchsel.analysis.results_tables import cost_resolution_table
from mmpose_patchsel.benchmarks.cost_resolution import (TARGETS, plot,
                                                        target_checks)


def row(setting, tokens, speedup, bound, memory):
    """A row with every field the table reads."""
    selected = setting != 'full'
    return dict(setting=setting,
                num_keep=tokens if selected else None,
                tokens=tokens,
                flops=40e9 / bound,
                head_share=0.1,
                guide_share=0.01 if selected else None,
                backbone_speedup=speedup,
                backbone_of_bound=speedup / bound,
                model_speedup=speedup,
                model_of_bound=speedup / bound,
                flops_bound=bound,
                with_guide_speedup=speedup * 0.9 if selected else None,
                with_guide_of_bound=0.9 * speedup /
                bound if selected else None,
                activation_mib=100 * memory,
                activation_vs_full=memory,
                backbone_activation_mib=80 * memory,
                backbone_activation_vs_full=memory)


def cell(model, label, size, quarter):
    w, h = size
    n = (w // 16) * (h // 16)
    return dict(model=model,
                label=label,
                input_size=[w, h],
                num_patches=n,
                repeats=3,
                warmup=1,
                meta=dict(load_average_1min=0.5),
                guide=dict(ms=30.0, flops=0.27e9, input_size=[192, 256]),
                rows=[
                    row('full', n, 1.0, 1.0, 1.0),
                    row('skeleton', n // 20, 8.0, 12.0, 0.1),
                    row('50%', n // 2, 1.9, 2.1, 0.55),
                    row('25%', n // 4, *quarter)
                ])


def results(cells):
    return dict(command='python tools/cost_vs_resolution.py --threads 2',
                meta=dict(machine='A CPU', torch='2.x', cpus=2),
                options=dict(threads=2, budgets=[0.5, 0.25]),
                selection=dict(ann_file='coco/test_coco.json',
                               guide='annotation (ground truth)'),
                cells=cells)


def test_targets_met_and_not(tmp_path):
    made_up = results([
        cell('vit-b', 'ViT-B', (192, 256), (3.5, 3.6, 0.3)),
        # backbone at 0.95 of its bound; 3.6 * 0.9 = 3.24x with the
        # guide; memory at 0.3 of the full model's.
        cell('vit-l', 'ViT-L', (768, 1024), (3.8, 4.0, 0.3)),
    ])
    checks = target_checks(made_up)
    assert [c['text'] for c in checks] == [t.text for t in TARGETS]
    assert [round(c['value'], 3) for c in checks] == [0.95, 3.42, 0.3]
    assert [c['met'] for c in checks] == [True, True, False]
    table = cost_resolution_table(made_up)
    assert table.count('\n| ViT-L 1024x768 |') == 4
    assert '| ViT-L 1024x768 | 25% | 768 / 3072 |' in table
    assert '3.80x (0.95)' in table and '3.42x (0.85)' in table
    assert ("Targets (ViT-L at 1024x768, batch 1, 25% of the tokens): "
            'backbone speed-up >= 0.9x its FLOPs bound: 0.95, met') in table
    assert ("< 1/4 of the full model's: 0.30, NOT met (the backbone "
            'alone: 0.30)') in table
    assert made_up['command'] in table

    plot(made_up, str(tmp_path / 'figure.png'))
    assert (tmp_path / 'figure.png').read_bytes()[:4] == b'\x89PNG'


def test_targets_of_cells_not_measured_say_so():
    partial = results([cell('vit-b', 'ViT-B', (192, 256), (3.5, 3.6, 0.3))])
    assert {c['met'] for c in target_checks(partial)} == {None}
    assert cost_resolution_table(partial).count('not measured') == 3
