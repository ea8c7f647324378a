"""Score a pose model on batches with an mmengine evaluator, quietly."""
import contextlib
import hashlib
import io
import json
import os
from itertools import islice
from typing import Any, Iterable, Iterator, List, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from mmpose.apis import init_model
from torch import nn


def loader_batches(cfg: Config,
                   count: Optional[int] = None,
                   num_workers: Optional[int] = None) -> Iterable[dict]:
    """The batches of ``cfg``'s test loader (only the first ``count``).

    No persistent workers, so nothing outlives the loop; ``num_workers``
    overrides the config's.
    """
    loader_cfg = cfg.test_dataloader.copy()
    loader_cfg.persistent_workers = False
    if num_workers is not None:
        loader_cfg.num_workers = num_workers
    loader = Runner.build_dataloader(loader_cfg)
    return loader if count is None else list(islice(loader, count))


def evaluate_batches(model: nn.Module, batches: Iterable[dict],
                     evaluator_cfg: dict,
                     dataset_meta: dict) -> Tuple[dict, List]:
    """Run ``model.test_step`` on ``batches`` and score the outputs.

    Returns the metrics and the output data samples. pycocotools prints its
    tables to stdout; they are dropped (the metrics hold the numbers).
    """
    evaluator = Evaluator(evaluator_cfg)
    evaluator.dataset_meta = dataset_meta
    outputs = []
    with torch.no_grad():
        for batch in batches:
            results = model.test_step(batch)
            evaluator.process(data_samples=results, data_batch=batch)
            outputs += results
    with contextlib.redirect_stdout(io.StringIO()):
        metrics = evaluator.evaluate(len(outputs))
    return metrics, outputs


def kept_tokens(outputs: Iterable) -> List[int]:
    """Patch tokens each output sample kept (``patch_mask``); empty for a
    model that ran without selection."""
    return [int(o.patch_mask.sum()) for o in outputs if 'patch_mask' in o]


def evaluate_checkpoint(cfg: Config,
                        checkpoint: Optional[str],
                        device: str = 'cpu') -> Tuple[dict, List, nn.Module]:
    """``cfg``'s model with ``checkpoint`` scored by its test evaluator on
    its test loader: the metrics, the output data samples and the model."""
    model = init_model(cfg, checkpoint, device=device)
    loader = loader_batches(cfg)
    metrics, outputs = evaluate_batches(model, loader, cfg.test_evaluator,
                                        loader.dataset.metainfo)
    return metrics, outputs, model


def _strings(value: Any) -> Iterator[str]:
    """Every string in a nest of dicts, lists and tuples."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def evaluation_key(cfg: Config, checkpoint: Optional[str]) -> str:
    """A digest of what scoring ``checkpoint`` with ``cfg`` depends on.

    The config's content, and the path, size and modification time of the
    checkpoint and of every existing file the config names (annotation
    files, guide keypoints): a changed option, a retrained model,
    regenerated data or a new guide dump each give another key, so a
    cached score is never reused for them.
    """
    content = cfg.to_dict()
    files = {s for s in _strings(content) if os.path.isfile(s)}
    if checkpoint is not None:
        files.add(checkpoint)
    stamps = []
    for path in sorted(files):
        stat = os.stat(path)
        stamps.append((os.path.abspath(path), stat.st_size,
                       stat.st_mtime_ns))
    text = json.dumps([content, stamps], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:20]
