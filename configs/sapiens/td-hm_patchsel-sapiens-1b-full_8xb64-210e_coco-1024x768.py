# Sapiens-1B pose on COCO (17 joints) at 1024x768 with no patch selection:
# Sapiens' config
# (pose/configs/sapiens_pose/coco/sapiens_1b-210e_coco-1024x768.py in
# facebookresearch/sapiens) on the patch-selection estimator, the full-model
# baseline of the selection configs beside it. Model, schedule and data:
# ../_base_/sapiens_pose.py and ../_base_/sapiens_coco.py (which list what
# differs from Sapiens' config). Trained from Sapiens' MAE checkpoint
# sapiens_1b_epoch_173_clean.pth (Sapiens' pretrain checkpoints on Hugging
# Face), put under checkpoints/sapiens/.
_base_ = ['../_base_/sapiens_coco.py']

model = dict(
    backbone=dict(
        arch='sapiens_1b',
        init_cfg=dict(
            checkpoint='checkpoints/sapiens/'
            'sapiens_1b_epoch_173_clean.pth')),
    head=dict(in_channels=1536))
optim_wrapper = dict(paramwise_cfg=dict(num_layers=40))
