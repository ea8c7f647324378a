# Sapiens-0.3B pose on COCO (17 joints) at 1024x768 with no patch selection:
# Sapiens' config
# (pose/configs/sapiens_pose/coco/sapiens_0.3b-210e_coco-1024x768.py in
# facebookresearch/sapiens) on the patch-selection estimator, the full-model
# baseline of the selection configs beside it. Model, schedule and data:
# ../_base_/sapiens_pose.py and ../_base_/sapiens_coco.py (which list what
# differs from Sapiens' config). Trained from Sapiens' MAE checkpoint
# sapiens_0.3b_epoch_1600_clean.pth (Sapiens' pretrain checkpoints on Hugging
# Face), put under checkpoints/sapiens/.
_base_ = ['../_base_/sapiens_coco.py']

model = dict(
    backbone=dict(
        arch='sapiens_0.3b',
        init_cfg=dict(
            checkpoint='checkpoints/sapiens/'
            'sapiens_0.3b_epoch_1600_clean.pth')),
    head=dict(in_channels=1024))
optim_wrapper = dict(paramwise_cfg=dict(num_layers=24))
