"""The accuracy benchmark's code path at CI size.

``tools/benchmark_accuracy.py --preset ci`` runs every stage (generate,
train the guide, dump it with tools/dump_guide.py, warm start, fine-tune
each method, evaluate, count, time, sweep, table, plot) on 6 synthetic
images and evaluates on those same images: in minutes nothing learns
held-out poses, so the check is that training lifts the AP off the floor
of random weights, measured here with the same config and images.
"""
import copy
import json
import os
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmpose.apis import init_model
from mmpose.registry import DATASETS, MODELS

from mmpose_patchsel.analysis import (evaluate_checkpoint, evaluation_key,
                                      last_checkpoint)

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'tools'))
import benchmark_accuracy as accuracy  # noqa: E402


RESULTS = osp.join(accuracy.PROJECT, 'docs', 'results',
                   'accuracy_synthetic_cpu.json')


def committed_results() -> dict:
    """The cpu preset's results as committed (the README's table)."""
    with open(RESULTS) as f:
        return json.load(f)


def random_weights_ap(work_dir) -> float:
    """AP of the full fine-tuning config with fresh random weights."""
    cfg = Config.fromfile(str(work_dir / 'full' / 'config.py'))
    torch.manual_seed(0)
    model = init_model(cfg, device='cpu')
    model.init_weights()
    ckpt = str(work_dir / 'random_weights.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return evaluate_checkpoint(cfg, ckpt)[0]['coco/AP']


@pytest.mark.slow
def test_every_row_and_the_table_are_written(ci_benchmark):
    work_dir, results = ci_benchmark
    rows = {r['name']: r for r in results['rows']}
    assert list(rows) == [spec.name for spec in accuracy.ROWS]
    full = rows[accuracy.FULL]
    assert full['tokens'] == 192 and full['AP_drop'] == 0
    # AP drop: the full model's AP minus the row's (one seed here).
    assert results['meta']['ap_drop'] == accuracy.AP_DROP
    for name, row in rows.items():
        assert row['AP_drop'] == pytest.approx(full['AP'] - row['AP']), name
    meta = results['meta']
    # No warm_lr in the ci preset: the warm start config's own.
    assert meta['warm_lr'] == Config.fromfile(osp.join(
        accuracy.CONFIGS, accuracy.WARM_START)).optim_wrapper.optimizer.lr
    budgets = meta['budgets']
    assert budgets['half'] < budgets['paper'] < 192
    for name, row in rows.items():
        assert 0 <= row['AP'] <= 1 and row['speedup'] > 0, name
        assert row['seeds'] == [0] and len(row['AP_seeds']) == 1, name
        assert row['AP_std'] is None  # one seed: no spread claimed
        if name == accuracy.FULL:
            assert row['recall'] is None, name
            continue
        assert 0 < row['recall'] <= 1, name
        # A cost point keeps exactly its budget (every person); merging
        # adds its tokens to the GFLOPs but never exceeds the full model.
        if '@' in name:
            point = name.split('@')[1].split()[0]
            assert row['setting'].endswith(f', K={budgets[point]}'), name
            assert row['tokens'] == budgets[point], name
            if not row['merge']:
                assert row['gflops_saving'] >= 1 - meta['cost_targets'][
                    point] - 1e-9, name
        assert row['gflops'] < full['gflops'], name
        assert row['gflops_no_attn'] < full['gflops_no_attn'], name
    # Merged rows cost the same kept tokens plus the merged ones.
    for name, row in rows.items():
        if row['merge']:
            dropped = rows[name.replace(', merged', '')]
            assert row['tokens'] == dropped['tokens']
            assert row['gflops'] > dropped['gflops']
    # Joint tokens prune by themselves, at the rate that fits their cost.
    joint = rows[accuracy.JOINT_TOKENS]
    assert joint['tokens'] < 192
    assert joint['setting'].startswith(
        f'keep {meta["joint_token_keep_rate"]:g} after block ')
    assert joint['gflops_saving'] >= 1 - meta['joint_token_cost'] - 1e-9
    trained = [r for r in rows.values() if r['trained'] == 'yes']
    assert all(r['train_seconds'] > 0 for r in trained)
    assert meta['synthetic'] is True and meta['eval_split'] == 'train'
    table = (work_dir / 'results.md').read_text()
    assert 'SYNTHETIC' in table and table.count('\n| ') == len(rows) + 1
    assert table.strip() == accuracy.markdown(results)
    assert (work_dir / 'ap_vs_gflops.png').stat().st_size > 10_000
    sweeps = results['sweeps']
    assert len(sweeps) == 3 and all(len(p) == 1 for p in sweeps.values())
    with open(work_dir / 'data' / 'guide' / 'litehrnet-18_train.json') as f:
        guide = json.load(f)
    assert len(guide) == meta['persons_eval']
    assert all({'image_id', 'keypoints', 'bbox'} <= set(g) for g in guide)


@pytest.mark.slow
def test_learning_curve_of_the_warm_start(ci_benchmark):
    """Scored every ``curve_every`` epochs (the CI preset: at the end
    only), with the seconds of training before each score, summed from
    mmengine's per-iteration times."""
    work_dir, results = ci_benchmark
    curve = results['learning_curve']
    preset = accuracy.PRESETS['ci']
    every = preset.get('curve_every', preset['warm_epochs'])
    assert [p['epoch'] for p in curve] == list(
        range(every, preset['warm_epochs'] + 1, every))
    log = accuracy.training_log(str(work_dir / 'warm_start'))
    assert log['iters'][-1] == curve[-1]['iters']
    assert curve[-1]['train_seconds'] == log['seconds'][-1] > 0
    assert all(0 <= p['AP'] <= 1 for p in curve)
    assert (work_dir / 'learning_curve.png').stat().st_size > 10_000


@pytest.mark.slow
def test_a_stopped_training_resumes(tmp_path):
    """``--stop-after`` ends after a stage; a training stopped after a
    checkpoint (here: a first run of 1 of the 2 epochs, with ``mim``)
    resumes from it with mmengine's ``--resume`` and keeps the stopped
    run's log; the resumed run uses mmpose's own ``tools/train.py`` (the
    launcher of a machine without openmim)."""
    from mmpose_patchsel.analysis import train_in_child
    exp = accuracy.Experiment(str(tmp_path), dict(accuracy.PRESETS['ci'],
                                                  num_train=2, num_val=1),
                              0)
    accuracy.make_data(exp)
    cfg = exp.config(accuracy.WARM_START, 2, val_every=1)
    run = tmp_path / 'run'
    os.makedirs(run)
    first = copy.deepcopy(cfg)
    first.train_cfg.max_epochs = 1  # "stopped" after epoch 1
    train_in_child(first, str(run), cwd=accuracy.PROJECT)
    train_in_child(cfg, str(run), cwd=accuracy.PROJECT, mim=False)
    assert 'resumed epoch: 1' in (run / 'train.log').read_text()
    assert (run / 'epoch_2.pth').is_file()
    assert (run / 'train.log.stopped').is_file()


@pytest.mark.slow
def test_training_lifts_ap_off_the_random_weights_floor(ci_benchmark):
    work_dir, results = ci_benchmark
    floor = random_weights_ap(work_dir)
    full = next(r for r in results['rows'] if r['name'] == accuracy.FULL)
    assert full['AP'] > floor and full['AR'] >= 0.01, (full, floor)


@pytest.mark.slow
def test_a_second_evaluation_reads_the_cache(ci_benchmark, tmp_path):
    """The scores of a config and checkpoint are kept; the same pair is
    not scored again (a tampered cached AP comes back), another option
    is."""
    work_dir, results = ci_benchmark
    cfg = Config.fromfile(str(work_dir / 'full' / 'config.py'))
    ckpt = last_checkpoint(cfg, str(work_dir / 'full'))
    cache = tmp_path / 'evaluations'
    key = evaluation_key(cfg, ckpt)
    first = accuracy.evaluate(cfg, ckpt, cache_dir=str(cache))
    assert evaluation_key(cfg, ckpt) == key  # the caller's config unchanged
    saved = cache / f'{key}.json'
    assert first.AP == evaluate_checkpoint(copy.deepcopy(cfg),
                                           ckpt)[0]['coco/AP']
    record = json.loads(saved.read_text())
    assert record['AP'] == first.AP and record['checkpoint'] == ckpt
    saved.write_text(json.dumps(dict(record, AP=-1.0)))
    again = accuracy.evaluate(cfg, ckpt, cache_dir=str(cache))
    assert again.AP == -1.0 and again.kept == first.kept
    assert again.model.backbone is not None  # built for FLOPs and timing
    no_flip = copy.deepcopy(cfg)
    no_flip.model.test_cfg.flip_test = False
    other = accuracy.evaluate(no_flip, ckpt, cache_dir=str(cache))
    assert other.AP >= 0 and len(list(cache.iterdir())) == 2


@pytest.fixture(scope='module')
def gpu_data(tmp_path_factory) -> str:
    """A work dir with two generated images in the gpu preset's layout
    (its configs need the data's person count), made once."""
    work_dir = str(tmp_path_factory.mktemp('gpu_preset'))
    small = dict(accuracy.PRESETS['gpu'], **dict(accuracy.DRY_RUN,
                                                 num_train=2, num_val=1))
    accuracy.make_data(accuracy.Experiment(work_dir, small, 0))
    return work_dir


@pytest.fixture
def gpu_experiment(gpu_data) -> 'accuracy.Experiment':
    """The gpu preset on ``gpu_data``."""
    return accuracy.Experiment(gpu_data, accuracy.PRESETS['gpu'], 0)


def test_gpu_preset_configures_a_vit_s_for_float16(gpu_experiment):
    """The gpu preset's configs (it trains on a GPU only): its ViT-S with
    a matching head and layer decay, built and run once, its batch and
    workers, float16 autocast, the warm start's learning rate; the guide
    keeps its LiteHRNet."""
    exp = gpu_experiment
    preset = accuracy.PRESETS['gpu']
    vit = preset['vit']
    for name in (accuracy.WARM_START, accuracy.METHODS[accuracy.FULL],
                 accuracy.METHODS[accuracy.JOINT_TOKENS]):
        cfg = exp.config(name, 2)
        assert cfg.model.backbone.arch == vit, name
        assert cfg.optim_wrapper.paramwise_cfg.num_layers == 12, name
        assert cfg.optim_wrapper.type == 'AmpOptimWrapper', name
        assert cfg.optim_wrapper.dtype == 'float16', name
        assert cfg.train_dataloader.batch_size == preset['batch_size'], name
        assert cfg.val_dataloader.num_workers == preset['num_workers'], name
    # The warm start at the preset's learning rate, its floor scaled
    # alike; the fine-tunes keep their configs'.
    warm = accuracy.warm_start_config(exp)
    plain = exp.config(accuracy.WARM_START, 2)
    assert warm.optim_wrapper.optimizer.lr == preset['warm_lr']
    assert plain.optim_wrapper.optimizer.lr != preset['warm_lr']
    assert (warm.param_scheduler[-1].eta_min / preset['warm_lr'] ==
            pytest.approx(plain.param_scheduler[-1].eta_min /
                          plain.optim_wrapper.optimizer.lr))
    model = init_model(exp.config(accuracy.WARM_START, 2), device='cpu')
    assert len(model.backbone.layers) == 12
    with torch.no_grad():
        heatmaps = model(torch.zeros(1, 3, 256, 192), mode='tensor')
    assert heatmaps.shape == (1, 17, 64, 48)
    guide = exp.config(accuracy.GUIDE, 2)
    assert guide.model.backbone.type == 'LiteHRNet'
    assert guide.train_dataloader.batch_size == preset['batch_size']


@pytest.mark.slow
def test_gpu_preset_cost_points_fit_a_vit_s(gpu_experiment):
    """The cost points and the joint tokens' keep rate exist for the gpu
    preset's 12-layer ViT-S (FLOPs traced at many budgets)."""
    exp = gpu_experiment
    flops = accuracy.selection_flops(exp)
    accuracy.set_budgets(exp, flops)
    assert exp.budgets['half'] < exp.budgets['paper'] < 192
    assert 0 < exp.keep_rate < 1


def test_gpu_preset_feeds_the_device_without_host_work(gpu_experiment):
    """Every gpu-preset training pins its train batches, copies them
    without blocking, has its loader workers pass them by file name with
    the training's own seed, and skips mmpose's per-batch training
    accuracy (numpy on the host): its loss has no ``acc_pose``; the cpu
    preset keeps it."""
    exp = gpu_experiment
    for name in (accuracy.GUIDE, accuracy.WARM_START,
                 accuracy.METHODS[accuracy.FULL]):
        cfg = exp.config(name, 2)
        assert cfg.train_dataloader.pin_memory is True, name
        assert cfg.model.data_preprocessor.non_blocking is True, name
        assert cfg.model.train_cfg.compute_acc is False, name
    exp.budgets = dict(paper=138)
    for seed in (1, 2):
        cfg = accuracy.fine_tune_config(exp, 'neighbour', 'warm.pth', seed,
                                        'paper')
        assert cfg.randomness.seed == seed
        assert cfg.train_dataloader.worker_init_fn == dict(
            type='file_system_sharing_worker_init',
            num_workers=accuracy.PRESETS['gpu']['num_workers'], rank=0,
            seed=seed)
    cpu = accuracy.Experiment(exp.work_dir, accuracy.PRESETS['cpu'], 0)
    for experiment, has_acc in ((exp, False), (cpu, True)):
        cfg = experiment.config(accuracy.GUIDE, 2)
        init_default_scope('mmpose')
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        model = MODELS.build(cfg.model)  # init_model drops train_cfg
        batch = model.data_preprocessor(pseudo_collate([dataset[0]]), True)
        losses = model.loss(**batch)
        assert ('acc_pose' in losses) == has_acc, experiment.preset
    assert 'worker_init_fn' not in cpu.config(accuracy.GUIDE, 2)[
        'train_dataloader']


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='this machine has CUDA: the gpu preset may run')
def test_gpu_preset_on_a_machine_without_a_gpu_says_how_to_dry_run():
    gpu = accuracy.PRESETS['gpu']
    with pytest.raises(SystemExit, match='--dry-run'):
        accuracy.check_device('gpu', gpu)
    with pytest.raises(SystemExit, match='amp'):
        accuracy.check_device('gpu', dict(gpu, device='cpu'))
    accuracy.check_device('gpu', dict(gpu, **accuracy.DRY_RUN))


def test_gpu_results_say_where_they_were_timed():
    results = committed_results()
    meta = dict(results['meta'], timed_on='GPU', device='NVIDIA H200',
                vit=accuracy.PRESETS['gpu']['vit'])
    table = accuracy.markdown(dict(results, meta=meta))
    assert '| GPU speed-up |' in table and 'CPU' not in table
    assert 'ViT 384-dim x 12 layers' in table
    assert 'on the GPU (NVIDIA H200)' in table


def drop_results(full_seeds, row_seeds, seeds=(0, 1)) -> dict:
    """A results dict of two rows, the full one and another, with these
    per-seed APs (what the renderer and the drops need)."""
    def row(name, aps):
        return dict(name=name, method=name, setting='', trained='yes',
                    merge=0, seeds=list(seeds), AP_seeds=list(aps),
                    AP=sum(aps) / len(aps), AP_std=None, AP_drop=None,
                    AP_drop_std=None, tokens=192.0, recall=None, gflops=1.0,
                    gflops_saving=0.0, gflops_no_attn=1.0, AR=0.5,
                    speedup=None)

    results = committed_results()
    return dict(results, rows=[row(accuracy.FULL, full_seeds),
                               row('selected', row_seeds)])


def test_ap_drop_is_the_full_models_ap_minus_the_rows():
    """Positive = accuracy lost; each seed paired with its own full model:
    seed 0 loses 0.1, seed 1 gains 0.02, so the drop is 0.04 +- 0.085."""
    results = drop_results((0.5, 0.6), (0.4, 0.62))
    drops = accuracy.ap_drops(results)
    assert drops[accuracy.FULL] == (0.0, 0.0)
    mean, std = drops['selected']
    assert mean == pytest.approx(0.04)
    assert std == pytest.approx((0.12**2 / 2)**0.5)  # of 0.1 and -0.02
    line = next(row for row in accuracy.markdown(results).splitlines()
                if row.startswith('| selected |'))
    assert '| +0.040 ± 0.085 |' in line
    rewritten = accuracy.rederive_drops(results)
    assert rewritten['rows'][1]['AP_drop'] == pytest.approx(0.04)
    assert rewritten['meta']['ap_drop'] == accuracy.AP_DROP
    assert results['rows'][1]['AP_drop'] is None  # the input is unchanged


def test_rederive_drops_rewrites_a_results_file(tmp_path, monkeypatch,
                                                capsys):
    """``--rederive-drops``: the drops of a file derived again from its
    per-seed APs, in place; its table printed."""
    path = tmp_path / 'results.json'
    results = drop_results((0.5, 0.6), (0.4, 0.62))
    results['rows'][1]['AP_drop'] = -0.04  # the other sign
    path.write_text(json.dumps(results))
    monkeypatch.setattr(sys, 'argv', ['benchmark_accuracy.py',
                                      '--rederive-drops', str(path)])
    accuracy.main()
    rewritten = json.loads(path.read_text())
    assert rewritten['rows'][1]['AP_drop'] == pytest.approx(0.04)
    assert rewritten['rows'][0]['AP_seeds'] == [0.5, 0.6]
    assert '| +0.040 ± 0.085 |' in capsys.readouterr().out


def test_committed_results_sign_their_drops_full_minus_row():
    """The committed results' drops are those the tool derives from their
    per-seed APs, under the stated sign."""
    results = committed_results()
    assert results['meta']['ap_drop'] == accuracy.AP_DROP
    drops = accuracy.ap_drops(results)
    for row in results['rows']:
        assert (row['AP_drop'], row['AP_drop_std']) == pytest.approx(
            drops[row['name']]), row['name']
