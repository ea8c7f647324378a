# ViTPose-H on MPII with no patch selection: the full-model baseline.
# The COCO ViT-H full config (mmpose's ViTPose-H config, PatchSelViT
# run on every patch) with MPII's data settings from
# configs/_base_/patchsel_mpii.py (mmpose has no ViTPose config for MPII):
# the like-for-like reference for the MPII selection configs. No guide.
_base_ = [
    '../coco/td-hm_patchsel-vit-huge-full_8xb64-210e_coco-256x192.py',
    '../_base_/patchsel_mpii.py'
]

model = dict(head=dict(out_channels=16))
train_pipeline = _base_.mpii_train_pipeline
val_pipeline = _base_.mpii_val_pipeline
train_dataloader = dict(
    dataset=dict(_base_.mpii_train_dataset, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_base_.mpii_val_dataset, pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MpiiPCKAccuracy')
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='PCK'))
