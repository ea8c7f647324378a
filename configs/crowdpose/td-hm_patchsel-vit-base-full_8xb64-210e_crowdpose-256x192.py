# ViTPose-B on CrowdPose with no patch selection: the full-model baseline.
# The COCO ViT-B full config (mmpose's ViTPose-B config, PatchSelViT run on
# every patch) with CrowdPose's data settings from
# configs/_base_/patchsel_crowdpose.py (mmpose has no ViTPose config for
# CrowdPose): the like-for-like reference for the CrowdPose selection
# configs. No guide.
_base_ = [
    '../coco/td-hm_patchsel-vit-base-full_8xb64-210e_coco-256x192.py',
    '../_base_/patchsel_crowdpose.py'
]

model = dict(head=dict(out_channels=14))
train_dataloader = dict(dataset=_base_.crowdpose_train_dataset)
val_dataloader = dict(dataset=_base_.crowdpose_test_dataset)
test_dataloader = val_dataloader
val_evaluator = _base_.crowdpose_evaluator
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='crowdpose/AP'))
