# Skeleton patch selection fine-tuned from mmpose's trained ViTPose-B (Kinfu &
# Vidal, BMVC 2023): the COCO ViT-B skeleton config, started from the whole
# ViTPose-B checkpoint (backbone and head; PatchSelViT has the parameter
# names of mmpretrain's VisionTransformer, so it loads as it is) instead of
# MAE weights, on a short schedule:
#
#   mim train mmpose configs/coco/td-hm_patchsel-vit-base-skeleton-from-vitpose_8xb64-30e_coco-256x192.py
#
# The schedule (30 epochs, a tenth of ViTPose's learning rate, steps at 20
# and 27) is our choice, not the paper's, and untuned. Other sizes or modes:
# inherit their config the same way and take the checkpoint of their size
# (see the test-only config beside this one). To test such a checkpoint with
# selection and no training at all, see
# td-hm_patchsel-vit-base-skeleton-testonly_coco-256x192.py.
_base_ = ['./td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py']

load_from = ('https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/'
             'topdown_heatmap/coco/td-hm_ViTPose-base_8xb64-210e_coco-256x192'
             '-216eae50_20230314.pth')
# load_from overwrites every weight: skip the MAE download.
model = dict(backbone=dict(init_cfg=None))

train_cfg = dict(max_epochs=30, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=500, start_factor=0.001,
        by_epoch=False),  # warm-up
    dict(
        type='MultiStepLR',
        begin=0,
        end=30,
        milestones=[20, 27],
        gamma=0.1,
        by_epoch=True)
]
