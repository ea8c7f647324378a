"""The study's configs and trainings: each head on the accuracy
benchmark's full model, trained from its warm start with every seed."""
import copy
from typing import Dict, Optional, Tuple

from mmengine.config import Config

from ..accuracy.experiment import Experiment
from ..accuracy.plan import FULL, METHODS, folder_of
from ..accuracy.stages import fine_tune_config
from .plan import HEAD_SHAPE, HEADS, METHOD, Head, Selection


def with_head(cfg: Config, head: Head) -> Config:
    """A copy of ``cfg`` whose model has ``head`` (``HEAD_SHAPE``, the
    config head's channels, loss and decoder) and no neck; ``cfg`` itself
    for the configs' own head."""
    if head.head is None:
        return cfg
    cfg = copy.deepcopy(cfg)
    own = cfg.model.head
    cfg.model.pop('neck', None)  # the configs' 4x upsampling
    cfg.model.head = dict(**head.head,
                          **HEAD_SHAPE,
                          in_channels=own.in_channels,
                          out_channels=own.out_channels,
                          loss=own.loss,
                          decoder=own.decoder)
    return cfg


def training_folder(head: Head, seed: int, epochs: int) -> str:
    """Work-dir folder of a head's training: the accuracy benchmark's
    full-model fine-tune for the configs' head, else ``head_<key>_<E>e``
    (``_seed<N>`` after seed 0)."""
    if head.head is None:
        return folder_of(FULL, seed)
    return folder_of(f'head {head.key} {epochs}e', seed)


def training_config(exp: Experiment, head: Head, warm: str, seed: int,
                    epochs: int) -> Config:
    """The full model with ``head`` trained ``epochs`` from ``warm`` with
    training seed ``seed`` (the fine-tune schedule, stretched); the
    accuracy benchmark's full-model fine-tune for the configs' head."""
    if head.head is None:
        return fine_tune_config(exp, FULL, warm, seed)
    return with_head(
        exp.config(METHODS[FULL], epochs, exp.guide_file, warm, seed=seed),
        head)


def eval_config(exp: Experiment,
                head: Head,
                warm: str,
                selection: Optional[Selection] = None) -> Config:
    """The test-time config of ``head``: the full model, or training-free
    ``METHOD`` at ``selection``'s cost point; the same for every seed (for
    the configs' head the accuracy benchmark's own, so its cached scores
    are reused)."""
    if selection is None:
        return with_head(fine_tune_config(exp, FULL, warm), head)
    return with_head(
        fine_tune_config(exp, METHOD, warm, budget=selection.point), head)


def train_heads(exp: Experiment, warm: str,
                epochs: int) -> Dict[Tuple[str, int], str]:
    """Every trained head of ``HEADS`` with each seed, unless cached: the
    last checkpoints by (head key, seed)."""
    jobs, names = {}, {}
    for head in HEADS:
        if not head.trained:
            continue
        for seed in exp.seeds:
            name = f'head {head.key}, seed {seed}'
            names[(head.key, seed)] = name
            jobs[name] = (training_config(exp, head, warm, seed, epochs),
                          training_folder(head, seed, epochs))
    done = exp.train(jobs)
    return {run: done[name] for run, name in names.items()}


def weights_of(head: Head, checkpoints: Dict[Tuple[str, int], str],
               seed: int) -> str:
    """The checkpoint ``head`` runs with at ``seed``."""
    return checkpoints[(head.weights, seed)]
