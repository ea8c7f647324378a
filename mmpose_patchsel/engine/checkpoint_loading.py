"""Let mmengine 0.10.x load its own local checkpoints under torch >= 2.6.

torch 2.6 made ``torch.load`` default to ``weights_only=True``. mmengine
0.10.7 calls ``torch.load(filename, map_location=...)`` without the argument,
so every checkpoint it saved itself (which pickles ``HistoryBuffer``, numpy
arrays and ``builtins.getattr`` in its message hub) fails to load in
``load_checkpoint``, ``Runner(resume=True)``, ``init_model`` and
``mim test``. Allow-listing globals cannot cover ``getattr``.

The narrowest fix is at mmengine's own extension point: re-register the
local-path scheme of :class:`mmengine.runner.CheckpointLoader` with the
behaviour it had before torch 2.6. Only local files read through mmengine are
affected; ``torch.load`` elsewhere keeps torch's default.

Checkpoints are pickles: load only files from sources you trust.
"""
import os.path as osp

import torch
from mmengine.runner import CheckpointLoader
from mmengine.utils import digit_version


def load_local_checkpoint(filename: str, map_location=None) -> dict:
    """mmengine's ``load_from_local`` with the pre-torch-2.6 unpickler."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def torch_defaults_to_weights_only() -> bool:
    """Whether this torch loads with ``weights_only=True`` by default."""
    return digit_version(torch.__version__) >= digit_version('2.6.0')


if torch_defaults_to_weights_only():
    # ``force`` replaces mmengine's loader for the same (empty) prefix.
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
