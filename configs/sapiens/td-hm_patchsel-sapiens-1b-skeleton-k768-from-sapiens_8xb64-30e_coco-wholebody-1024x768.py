# Skeleton patch selection (K = 768) fine-tuned from Sapiens' released
# Sapiens-1B COCO-WholeBody checkpoint (backbone and head, loaded as they are)
# instead of its MAE weights, on a short schedule:
#
#   mim train mmpose configs/sapiens/td-hm_patchsel-sapiens-1b-skeleton-k768-from-sapiens_8xb64-30e_coco-wholebody-1024x768.py
#
# The schedule (30 epochs, a tenth of Sapiens' learning rate, steps at 20 and
# 27) is our choice, as for ViTPose in
# configs/coco/td-hm_patchsel-vit-base-skeleton-from-vitpose_8xb64-30e_coco-256x192.py,
# and untuned. Selection with no training at all:
# td-hm_patchsel-sapiens-1b-skeleton-k768-testonly_coco-wholebody-1024x768.py.
_base_ = [
    './td-hm_patchsel-sapiens-1b-skeleton-k768_8xb64-210e_coco-wholebody-1024x768.py'
]

load_from = ('https://huggingface.co/noahcao/sapiens-pose-coco/resolve/main/'
             'sapiens_host/pose/checkpoints/sapiens_1b/'
             'sapiens_1b_coco_wholebody_best_coco_wholebody_AP_727.pth')
# load_from overwrites every weight: skip the MAE checkpoint.
model = dict(backbone=dict(init_cfg=None))

train_cfg = dict(max_epochs=30, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = [
    _base_.param_scheduler[0],  # the same warm-up
    dict(_base_.param_scheduler[1], end=30, milestones=[20, 27])
]
