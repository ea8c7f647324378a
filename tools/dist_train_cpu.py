"""mmpose's ``tools/train.py`` on several CPU processes (gloo), under torchrun.

mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` for every
launcher (pytorch, slurm, mpi), which fails on a machine without a GPU
driver, and its runner hands ``device_ids=[LOCAL_RANK]`` to
DistributedDataParallel, which DDP refuses for a CPU module. The runner skips
``init_dist`` when a process group already exists, and a
``model_wrapper_cfg`` may set ``device_ids=None``. So this script creates the
gloo process group from torchrun's environment and then runs mmpose's own
``train.py`` (the one ``mim train mmpose`` runs) unchanged, with the given
arguments plus ``--cfg-options model_wrapper_cfg.device_ids=None``. The
runner, DDP, samplers, checkpoints and ``--resume`` are mmengine's own.

Example (2 processes, one thread each)::

    OMP_NUM_THREADS=1 torchrun --nproc_per_node 2 tools/dist_train_cpu.py \\
        CFG --launcher pytorch --work-dir work_dirs/cpu_ddp

On GPUs use ``mim train mmpose CFG --launcher pytorch --gpus N`` instead.
"""
import os
import runpy
import sys

import torch.distributed as dist

from mmpose_patchsel.analysis import mmpose_train_script

#: Added to the command line: DDP of a CPU module takes no device ids.
CPU_DDP_OPTIONS = [
    '--cfg-options', 'model_wrapper_cfg.type=MMDistributedDataParallel',
    'model_wrapper_cfg.device_ids=None'
]


def main() -> None:
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR')
               if k not in os.environ]
    if missing:
        raise SystemExit(f'{missing} not set: run this script under torchrun '
                         '(torchrun --nproc_per_node N tools/dist_train_cpu.py'
                         ' CFG --launcher pytorch)')
    if '--launcher' not in sys.argv:
        raise SystemExit('pass --launcher pytorch, as to mmpose train.py')
    dist.init_process_group(backend='gloo')
    script = mmpose_train_script()
    sys.argv = [str(script), *sys.argv[1:], *CPU_DDP_OPTIONS]
    runpy.run_path(str(script), run_name='__main__')


if __name__ == '__main__':
    main()
