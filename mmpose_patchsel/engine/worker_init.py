"""A loader ``worker_init_fn`` whose workers pass tensors to the main
process as named shared-memory files.

Under torch's default ``file_descriptor`` strategy the main process takes
every tensor of every sample over a socket from its worker (a file
descriptor each): mmpose's ``pseudo_collate`` keeps a tensor per sample and
field, so a training batch of 64 costs the main process hundreds of such
handshakes per iteration, time a fast GPU waits for. Under ``file_system``
the worker sends only the file's name. Seeding is mmengine's own.
"""
import torch.multiprocessing
from mmengine.dataset import worker_init_fn
from mmengine.registry import FUNCTIONS


@FUNCTIONS.register_module()
def file_system_sharing_worker_init(worker_id: int, num_workers: int,
                                    rank: int, seed: int,
                                    disable_subprocess_warning: bool = False
                                    ) -> None:
    """mmengine's ``worker_init_fn`` (same seeds), then torch's
    ``file_system`` sharing strategy in this worker.

    Use as ``train_dataloader.worker_init_fn=dict(type=
    'file_system_sharing_worker_init', num_workers=N, rank=R, seed=S)``:
    a configured ``worker_init_fn`` gets no arguments from mmengine's
    runner besides ``worker_id``."""
    worker_init_fn(worker_id, num_workers, rank, seed,
                   disable_subprocess_warning)
    torch.multiprocessing.set_sharing_strategy('file_system')
