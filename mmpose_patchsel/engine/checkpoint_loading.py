"""Let mmengine 0.10.x load its own local checkpoints under torch >= 2.6,
unpickling in full only when a file needs it.

torch 2.6 made ``torch.load`` default to ``weights_only=True``. mmengine
0.10.7 calls ``torch.load(filename, map_location=...)`` without the argument,
so every checkpoint it saved itself (which pickles ``HistoryBuffer``, numpy
arrays and ``builtins.getattr`` in its message hub) fails to load in
``load_checkpoint``, ``Runner(resume=True)``, ``init_model`` and
``mim test``. Allow-listing globals cannot cover ``getattr``.

The fix sits at mmengine's own extension point: the local-path scheme of
:class:`mmengine.runner.CheckpointLoader` is re-registered with a loader that
tries torch's safe (weights-only) unpickler first. Only a file that needs more
is unpickled in full, with a warning naming it, because unpickling runs code
from the file. Setting ``MMPOSE_PATCHSEL_WEIGHTS_ONLY=1`` refuses that
fallback. ``torch.load`` outside mmengine keeps torch's default.
"""
import os
import os.path as osp
import pickle
import warnings

import torch
from mmengine.runner import CheckpointLoader
from mmengine.utils import digit_version

#: Set to 1/true/yes to refuse checkpoints the weights-only loader rejects.
WEIGHTS_ONLY_ENV = 'MMPOSE_PATCHSEL_WEIGHTS_ONLY'


class UnsafeCheckpointWarning(UserWarning):
    """A checkpoint was unpickled in full (it can run code from the file)."""


def weights_only_required() -> bool:
    """Whether the environment refuses full unpickling of checkpoints."""
    value = os.environ.get(WEIGHTS_ONLY_ENV, '').strip().lower()
    return value in ('1', 'true', 'yes', 'on')


def load_local_checkpoint(filename: str, map_location=None) -> dict:
    """mmengine's ``load_from_local``: weights-only first, full unpickling as
    a warned fallback (refused when ``MMPOSE_PATCHSEL_WEIGHTS_ONLY`` is set).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        reason = str(err).strip().splitlines()[-1] if str(err) else repr(err)
        if weights_only_required():
            raise RuntimeError(
                f'Checkpoint {filename} cannot be loaded with torch\'s '
                f'weights-only unpickler ({reason}), and full unpickling is '
                f'refused because {WEIGHTS_ONLY_ENV} is set. Unset it to '
                'load a checkpoint you trust.') from err
    warnings.warn(
        f'Checkpoint {filename} holds objects that torch\'s weights-only '
        f'unpickler refuses ({reason}); loading it with full unpickling, '
        'which runs code from the file. Load only checkpoints you trust; set '
        f'{WEIGHTS_ONLY_ENV}=1 to refuse such files.',
        UnsafeCheckpointWarning,
        stacklevel=2)
    return torch.load(filename, map_location=map_location, weights_only=False)


def torch_defaults_to_weights_only() -> bool:
    """Whether this torch loads with ``weights_only=True`` by default."""
    return digit_version(torch.__version__) >= digit_version('2.6.0')


if torch_defaults_to_weights_only():
    # ``force`` replaces mmengine's loader for the same (empty) prefix.
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
