"""Scoring the study: each head's full model and its training-free
selections, every seed, AP drops paired by seed."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from mmpose_patchsel.analysis import SelectionFlops

from ..accuracy.experiment import Experiment
from ..accuracy.scoring import Evaluation, cost, evaluate, mean_std
from .plan import HEADS, Head, Selection, selections_of
from .stages import eval_config, weights_of

Checkpoints = Dict[Tuple[str, int], str]


@dataclass
class Scored:
    """One head at one setting: AP by seed, and the first seed's cost
    (``scoring.cost``: ``flops``, ``tokens``)."""
    aps: List[float]
    costs: dict


def score_row(exp: Experiment,
              head: Head,
              warm: str,
              checkpoints: Checkpoints,
              selection: Optional[Selection] = None) -> List[Evaluation]:
    """One evaluation per seed of ``head`` (cached by config and
    checkpoint), with ``selection`` if given."""
    cfg = eval_config(exp, head, warm, selection)
    merge = selection.merge if selection else 0
    return [
        evaluate(cfg,
                 weights_of(head, checkpoints, seed),
                 merge=merge,
                 cache_dir=exp.evaluations,
                 device=exp.device) for seed in exp.seeds
    ]


def row(head: Head, selection: Optional[Selection], seeds: List[int],
        scored: Scored, full: Scored, num_keep: Optional[int]) -> dict:
    """A results row: AP by seed, mean and sample std, AP drop (the same
    head's full AP minus this one's, seed by seed), GFLOPs (first seed's
    selections) and their saving against the head's full model."""
    ap, ap_std = mean_std(scored.aps)
    drop, drop_std = mean_std([f - a for f, a in zip(full.aps, scored.aps)])
    flops, full_flops = scored.costs['flops'], full.costs['flops']
    return dict(head=head.key,
                selection=selection.name if selection else 'full',
                point=selection.point if selection else None,
                merge=selection.merge if selection else 0,
                num_keep=num_keep,
                tokens=float(scored.costs['tokens']),
                seeds=list(seeds),
                AP_seeds=scored.aps,
                AP=ap,
                AP_std=ap_std,
                AP_drop=drop,
                AP_drop_std=drop_std,
                gflops=flops / 1e9,
                gflops_saving=1 - flops / full_flops)


def score_heads(exp: Experiment, warm: str, checkpoints: Checkpoints,
                input_shape: tuple) -> List[dict]:
    """Every head's rows: its full model (for a test-time-only head, that
    of its weights: with nothing dropped it computes the same), then each
    of its selections."""
    rows, full, flops = [], {}, {}
    for head in HEADS:
        if head.weights not in full:
            results = score_row(exp, head, warm, checkpoints)
            flops[head.weights] = SelectionFlops(results[0].model, input_shape)
            full[head.weights] = Scored([r.AP for r in results],
                                        cost(results[0], flops[head.weights]))
        reference = full[head.weights]
        rows.append(row(head, None, exp.seeds, reference, reference, None))
        for selection in selections_of(head):
            results = score_row(exp, head, warm, checkpoints, selection)
            scored = Scored([r.AP for r in results],
                            cost(results[0], flops[head.weights]))
            rows.append(
                row(head, selection, exp.seeds, scored, reference,
                    exp.budgets[selection.point]))
            exp.note(f'{head.key:<20} {selection.name:<24} AP '
                     f'{rows[-1]["AP"]:.3f} drop {rows[-1]["AP_drop"]:+.3f}')
    return rows
