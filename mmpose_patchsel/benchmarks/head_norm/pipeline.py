"""The study from start to end: the accuracy benchmark's stages it needs
(cached), the heads trained, every row scored, the results written."""
import time
from typing import Optional

from mmpose_patchsel.analysis.results_json import write_json
from mmpose_patchsel.synthetic import DESCRIPTION

from ..accuracy.experiment import Experiment, device_label
from ..accuracy.plan import COST_TARGETS, FULL, MERGE_GROUPS, METHODS
from ..accuracy.report import AP_DROP
from ..accuracy.stages import (make_data, selection_flops, set_budgets,
                               train_guide, warm_start)
from ..accuracy.training_log import train_seconds
from .plan import HEAD_SHAPE, HEADS, METHOD
from .report import markdown
from .scoring import score_heads
from .stages import train_heads, training_folder


def run(exp: Experiment,
        preset_name: str,
        epochs: int,
        command: str = '',
        copy_to: Optional[str] = None) -> dict:
    """Train (each stage unless cached) and score every head; the results
    written to ``exp.work_dir/head_norm.json`` (and ``copy_to``), the table
    printed. ``epochs``: of each new head's training."""
    start = time.perf_counter()
    with exp.stage('1 synthetic data'):
        make_data(exp)
    train_guide(exp)  # its dump is the offline guide of the selection
    warm = warm_start(exp)
    flops = selection_flops(exp)
    set_budgets(exp, flops)  # the accuracy benchmark's K at each point
    checkpoints = train_heads(exp, warm, epochs)
    with exp.stage('head norm: evaluate'):
        rows = score_heads(exp, warm, checkpoints, flops.input_shape)
    p = exp.preset
    heads = []
    for head in HEADS:
        secs = [
            train_seconds(exp.path(training_folder(head, seed, epochs)))
            for seed in exp.seeds
        ] if head.trained else []
        heads.append(
            dict(key=head.key,
                 label=head.label,
                 head=head.head,
                 weights=head.weights,
                 merged=head.merged,
                 train_seconds=(sum(secs) / len(secs)
                                if secs and None not in secs else None)))
    cfg = exp.config(METHODS[FULL], 1)
    w, h = cfg.codec.input_size
    meta = dict(data=DESCRIPTION,
                synthetic=True,
                preset=preset_name,
                seed=exp.seed,
                seeds=list(exp.seeds),
                warm_epochs=p['warm_epochs'],
                ft_epochs=p['ft_epochs'],
                head_epochs=epochs,
                head_shape=HEAD_SHAPE,
                eval_split=exp.eval_split,
                persons_eval=exp.persons(exp.eval_split),
                persons_train=exp.persons('train'),
                method=METHOD,
                merge_groups=MERGE_GROUPS,
                budgets=exp.budgets,
                cost_targets=COST_TARGETS,
                num_patches=(w // 16) * (h // 16),
                vit=dict(cfg.model.backbone.arch),
                ap_drop=AP_DROP,
                device=device_label(exp.device),
                command=command,
                stage_seconds=exp.stage.times,
                wall_seconds=time.perf_counter() - start)
    results = dict(meta=meta, heads=heads, rows=rows)
    for path in filter(None, (exp.path('head_norm.json'), copy_to)):
        write_json(path, results)
    print('\n' + markdown(results))
    return results
