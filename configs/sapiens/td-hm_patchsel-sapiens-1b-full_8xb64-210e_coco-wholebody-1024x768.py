# Sapiens-1B pose on COCO-WholeBody (133 joints) at 1024x768 with no patch
# selection: Sapiens' config
# (pose/configs/sapiens_pose/coco_wholebody/sapiens_1b-210e_coco_wholebody-1024x768.py
# in facebookresearch/sapiens) on the patch-selection estimator, the full-model
# baseline of the selection configs beside it. Model, schedule and data:
# ../_base_/sapiens_pose.py and ../_base_/sapiens_coco_wholebody.py (which list
# what differs from Sapiens' config). Trained from Sapiens' MAE checkpoint
# sapiens_1b_epoch_173_clean.pth (Sapiens' pretrain checkpoints on Hugging
# Face), put under checkpoints/sapiens/.
_base_ = ['../_base_/sapiens_coco_wholebody.py']

model = dict(
    backbone=dict(
        arch='sapiens_1b',
        init_cfg=dict(
            checkpoint='checkpoints/sapiens/'
            'sapiens_1b_epoch_173_clean.pth')),
    head=dict(in_channels=1536))
optim_wrapper = dict(paramwise_cfg=dict(num_layers=40))
# Sapiens' 1B whole-body config scales the learning rate to the batch.
auto_scale_lr = dict(enable=True)
