"""The benchmark's measuring stages: every row scored with each of its
seeds, timed against the full model, and the budget sweeps."""
from typing import Dict, List, Tuple

import torch

from mmpose_patchsel.analysis import (SelectionFlops, guide_flops,
                                      loader_batches, median_times)

from .experiment import Experiment
from .plan import FULL, JOINT_TOKENS, MERGE_GROUPS, ROWS, folder_of
from .scoring import (Point, Row, Trained, evaluate, mean_std, paired_drop,
                      score, set_selection, setting_of)
from .training_log import train_seconds


def evaluate_rows(
    exp: Experiment, trained: Dict[Tuple[str, int], Trained],
    flops: SelectionFlops
) -> Tuple[Dict[str, Row], Dict[str, torch.nn.Module]]:
    """Score every row of ``ROWS`` with each of its seeds: the rows and
    the first seed's evaluated models, both by row name."""
    rows, models, full_ap = {}, {}, {}
    for spec in ROWS:
        seeds = exp.seeds_of(spec.all_seeds)
        points, hits, valid = [], 0, 0
        for seed in seeds:
            # The test-time config is the same for every training seed.
            config = trained[(spec.config, exp.seeds[0])]
            result = evaluate(config.cfg, trained[(spec.weights, seed)].ckpt,
                              merge=spec.merge, cache_dir=exp.evaluations,
                              device=exp.device)
            points.append(Point(**score(setting_of(config, result), result,
                                        flops)))
            models.setdefault(spec.name, result.model)
            hits, valid = hits + result.recall[0], valid + result.recall[1]
            if spec.name == FULL:
                full_ap[seed] = result.AP
        ap, ap_std = mean_std([q.AP for q in points])
        drop, drop_std = paired_drop([q.AP for q in points], seeds, full_ap)
        secs = [train_seconds(exp.path(folder_of(spec.config, seed)))
                for seed in seeds] if spec.trained == 'yes' else []
        first = points[0]
        rows[spec.name] = row = Row(
            setting=first.setting,
            tokens=mean_std([q.tokens for q in points])[0], AP=ap,
            AR=mean_std([q.AR for q in points])[0],
            gflops=mean_std([q.gflops for q in points])[0],
            gflops_no_attn=mean_std([q.gflops_no_attn for q in points])[0],
            name=spec.name, method=spec.config.split(' @')[0],
            trained=spec.trained, merge=spec.merge, seeds=list(seeds),
            AP_seeds=[q.AP for q in points], AP_std=ap_std, AP_drop=drop,
            AP_drop_std=drop_std, recall=hits / valid if valid else None,
            train_seconds=(mean_std(secs)[0]
                           if secs and None not in secs else None))
        exp.note(f'{row.name:<48}{row.setting:<24} tokens {row.tokens:6.1f}'
                 f'  GFLOPs {row.gflops:.3f}  AP {row.AP:.3f} '
                 f'({len(seeds)} seeds)')
    for row in rows.values():
        row.gflops_saving = 1 - row.gflops / rows[FULL].gflops
    return rows, models


def time_rows(exp: Experiment, rows: Dict[str, Row], models: dict,
              trained: Dict[Tuple[str, int], Trained], guide: Trained,
              guide_model: torch.nn.Module) -> dict:
    """Time of every row (and the guide) on the same eval batches, in
    rotation, on ``exp.device``; fills each row's ``seconds`` and
    ``speedup``. Returns the guide's cost."""
    count = exp.preset['time_batches']
    first = exp.seeds[0]
    batches = {spec.config: loader_batches(trained[(spec.config, first)].cfg,
                                           count, num_workers=0)
               for spec in ROWS}

    def on_batches(model, batches):
        return lambda: [model.test_step(b) for b in batches]

    calls = {
        spec.name: on_batches(models[spec.name], batches[spec.config])
        for spec in ROWS
    }
    guide_batches = loader_batches(guide.cfg, count, num_workers=0)
    calls['guide'] = on_batches(guide_model, guide_batches)
    seconds = median_times(calls, exp.preset['repeats'],
                           warmup=exp.preset.get('warmup', 1),
                           device=exp.device)
    for name, row in rows.items():
        row.seconds = seconds[name]
        row.speedup = seconds[FULL] / seconds[name]
        exp.note(f'{row.name:<48}{row.seconds * 1e3:8.0f} ms  '
                 f'{row.speedup:.2f}x')
    return dict(
        gflops=guide_flops(guide_model)['flops'] / 1e9,
        ms_per_batch=seconds['guide'] * 1e3 / len(guide_batches),
        batch=len(guide_batches[0]['inputs']))


def sweep(exp: Experiment, trained: Dict[Tuple[str, int], Trained],
          flops: SelectionFlops) -> Dict[str, List[Point]]:
    """AP against GFLOPs along a budget, first seed: the full model with
    skeleton selection at test time (unselected patches dropped and
    merged), and the joint-token model's keep rate."""
    p, first = exp.preset, exp.seeds[0]
    skel = trained[('skeleton @paper', first)]
    full = trained[(FULL, first)].ckpt
    sweeps = {}
    for label, merge in (('skeleton + budget K (training-free)', 0),
                         ('skeleton + budget K (training-free, merged)',
                          MERGE_GROUPS)):
        sweeps[label] = [
            Point(**score(f'K={k}', evaluate(
                set_selection(skel.cfg, num_keep=k), full, merge=merge,
                cache_dir=exp.evaluations, device=exp.device), flops))
            for k in p['sweep_k']
        ]
    jt = trained[(JOINT_TOKENS, first)]
    sweeps['joint tokens (keep-rate sweep)'] = [
        Point(**score(f'{rate:g}', evaluate(jt.cfg, jt.ckpt, rate,
                                            cache_dir=exp.evaluations,
                                            device=exp.device), flops))
        for rate in p['sweep_rate']
    ]
    for label, points in sweeps.items():
        exp.note(f'{label}: ' + ', '.join(
            f'{q.setting} {q.gflops:.3f} GFLOPs AP {q.AP:.3f}'
            for q in points))
    return sweeps
