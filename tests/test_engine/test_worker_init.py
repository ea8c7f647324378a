"""``file_system_sharing_worker_init``: workers seeded as by mmengine's
runner, passing their tensors as named shared-memory files."""
import numpy as np
import torch
from mmengine.runner import Runner
from torch.utils.data import Dataset


class WorkerReport(Dataset):
    """Each sample: the worker's sharing strategy, a draw of its numpy
    generator, and a tensor to carry back."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> dict:
        return dict(strategy=torch.multiprocessing.get_sharing_strategy(),
                    draw=int(np.random.randint(1 << 30)),
                    tensor=torch.full((3, 8, 6), float(index)))


def samples(worker_init_fn=None) -> list:
    loader_cfg = dict(dataset=WorkerReport(), batch_size=1, num_workers=2,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'))
    if worker_init_fn:
        loader_cfg['worker_init_fn'] = worker_init_fn
    loader = Runner.build_dataloader(loader_cfg, seed=7)
    return [{k: v[0] for k, v in batch.items()} for batch in loader]


def test_workers_share_by_file_name_with_mmengine_seeds():
    default = samples()
    shared = samples(dict(type='file_system_sharing_worker_init',
                          num_workers=2, rank=0, seed=7))
    assert {s['strategy'] for s in default} == {
        torch.multiprocessing.get_sharing_strategy()} != {'file_system'}
    assert {s['strategy'] for s in shared} == {'file_system'}
    # mmengine's seeds: the same draws as its runner's own workers.
    assert [s['draw'] for s in shared] == [s['draw'] for s in default]
    for index, sample in enumerate(shared):
        assert torch.equal(sample['tensor'], torch.full((3, 8, 6), index))
    # Only the workers changed strategy, not this process.
    assert torch.multiprocessing.get_sharing_strategy() != 'file_system'
