# ViTPose-L on COCO with skeleton patch selection (Kinfu & Vidal, BMVC 2023).
# Guide: the annotations with jitter in training, an offline LiteHRNet-18 guide
# file at val/test; how to write it: configs/_base_/patchsel_coco.py.
# The ViT-L full config plus the selection: same backbone, estimator,
# schedule and data; only the patches the ViT sees differ.
_base_ = [
    './td-hm_patchsel-vit-large-full_8xb64-210e_coco-256x192.py',
    '../_base_/patchsel_coco.py'
]

train_pipeline = _base_.patchsel_skeleton_train_pipeline
val_pipeline = _base_.patchsel_skeleton_val_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
