"""The accuracy benchmark from start to end: train every stage (cached),
score, time and sweep, write the results."""
import time
from dataclasses import asdict
from typing import Dict, List, Optional, Tuple

from mmpose_patchsel.analysis import SelectionFlops
from mmpose_patchsel.synthetic import DESCRIPTION

from .experiment import Experiment, device_label
from .measure import evaluate_rows, sweep, time_rows
from .plan import (COST_TARGETS, FULL, JOINT_TOKEN_COST, METHODS, TRAININGS,
                   folder_of)
from .report import AP_DROP, write_results
from .scoring import Evaluation, Point, Trained
from .stages import (fine_tune_config, guide_config, make_data, score_guide,
                     selection_flops, set_budgets, warm_start_config)
from .training_log import learning_curve

#: What a run trained: the guide and its scores, every fine-tune by
#: (training key, seed), and the FLOPs counter of the full model.
Trainings = Tuple[Trained, Evaluation, Dict[Tuple[str, int], Trained],
                  SelectionFlops]


def train_stages(exp: Experiment,
                 stop_after: Optional[str] = None) -> Optional[Trainings]:
    """Stages 1-4: the data, the guide (trained, scored, dumped), the warm
    start, the budgets and every fine-tune of ``TRAININGS``, each unless
    cached; None after the stage ``stop_after``."""
    with exp.stage('1 synthetic data'):
        make_data(exp)
    if stop_after == 'data':
        return None
    # The guide and the warm start train side by side when parallel > 1.
    guide_stage = '2 guide: train'
    warm_stage = '3 warm start: the full model from scratch'
    guide_cfg = guide_config(exp)
    trainings = {guide_stage: (guide_cfg, 'guide')}
    if stop_after != 'guide':
        trainings[warm_stage] = (warm_start_config(exp), 'warm_start')
    done = exp.train(trainings)
    with exp.stage('2 guide: evaluate, dump'):
        guide, guide_result = score_guide(exp, guide_cfg, done[guide_stage])
    if stop_after in ('guide', 'warm_start'):
        return None
    warm = done[warm_stage]
    flops = selection_flops(exp)
    set_budgets(exp, flops)
    configs = {(job.key, seed): fine_tune_config(exp, job.method, warm, seed,
                                                 job.budget)
               for seed in exp.seeds for job in TRAININGS
               if seed in exp.seeds_of(job.all_seeds)}
    names = {run: f'4 fine-tune {run[0]}, seed {run[1]}' for run in configs}
    done = exp.train({names[run]: (cfg, folder_of(*run))
                      for run, cfg in configs.items()})
    trained = {run: Trained(cfg, done[names[run]])
               for run, cfg in configs.items()}
    if stop_after == 'fine_tune':
        return None
    return guide, guide_result, trained, flops


def run(exp: Experiment, preset_name: str, stop_after: Optional[str] = None,
        copy_to: Optional[str] = None, budget_sweep: bool = True) -> None:
    """Every stage of a run of the preset ``preset_name`` (``exp.preset``,
    overrides included): train (:func:`train_stages`), score, time, sweep
    (unless ``budget_sweep`` is False); the results written to
    ``exp.work_dir`` (``results.json`` also at ``copy_to``), before the
    sweep too (a run stopped in it keeps its table), and the table
    printed."""
    preset, stage = exp.preset, exp.stage
    total_start = time.perf_counter()
    done = train_stages(exp, stop_after)
    if done is None:
        return
    guide, guide_result, trained, flops = done
    with stage('5 evaluate the methods'):
        rows, models = evaluate_rows(exp, trained, flops)
    timed_on = 'GPU' if exp.device.startswith('cuda') else 'CPU'
    with stage(f'6 {timed_on} time on the same val batches'):
        guide_info = dict(
            AP=guide_result.AP, AR=guide_result.AR,
            **time_rows(exp, rows, models, trained, guide,
                        guide_result.model))
    full_cfg = exp.config(METHODS[FULL], 1)
    warm_lr = warm_start_config(exp).optim_wrapper.optimizer.lr
    batch = full_cfg.train_dataloader.batch_size
    iters_per_epoch = -(-exp.persons('train') // batch)
    curve = learning_curve(exp.path('warm_start'), iters_per_epoch)

    def write(sweeps: Dict[str, List[Point]]) -> str:
        """The results so far, written (the table and figures too)."""
        meta = dict(
            data=DESCRIPTION, synthetic=True, preset=preset_name,
            seed=exp.seed, seeds=list(exp.seeds), clutter=preset['clutter'],
            guide_epochs=preset.get('guide_epochs', preset['warm_epochs']),
            warm_epochs=preset['warm_epochs'], ft_epochs=preset['ft_epochs'],
            warm_lr=warm_lr,
            eval_split=exp.eval_split,
            persons_eval=exp.persons(exp.eval_split),
            persons_train=exp.persons('train'), budgets=exp.budgets,
            cost_targets=COST_TARGETS, joint_token_cost=JOINT_TOKEN_COST,
            joint_token_keep_rate=exp.keep_rate, ap_drop=AP_DROP,
            device=device_label(exp.device), timed_on=timed_on,
            vit=dict(full_cfg.model.backbone.arch), batch_size=batch,
            parallel=preset.get('parallel', 1), stage_seconds=stage.times,
            wall_seconds=time.perf_counter() - total_start)
        results = dict(meta=meta, rows=[asdict(r) for r in rows.values()],
                       guide=guide_info, learning_curve=curve,
                       sweeps={k: [asdict(p) for p in v]
                               for k, v in sweeps.items()})
        return write_results(exp, results, copy_to)

    table = write({})
    if budget_sweep:
        with stage('7 budget sweep'):
            sweeps = sweep(exp, trained, flops)
        table = write(sweeps)
    print('\n' + table)
    print(f'\n[accuracy] total wall time '
          f'{(time.perf_counter() - total_start) / 60:.1f} min -> '
          f'{exp.work_dir}/results.md, results.json, ap_vs_gflops.png')
