# Sapiens-0.3B pose on COCO-WholeBody (133 joints) at 1024x768 with neighbour
# (n = 40) patch selection (Kinfu & Vidal, BMVC 2023), a budget of K = 768 of
# the 3072 patches. Guide: the annotations with jitter in training, an offline
# RTMPose-m whole-body (133 joints) guide file at val/test, run at its own
# 256x192 input; how to write it: ../_base_/patchsel_sapiens_coco_wholebody.py.
# The budget and n: ../_base_/patchsel_sapiens.py. The full config plus the
# selection: same backbone, estimator, schedule and data; only the patches the
# ViT sees differ.
_base_ = [
    './td-hm_patchsel-sapiens-0.3b-full_8xb64-210e_coco-wholebody-1024x768.py',
    '../_base_/patchsel_sapiens_coco_wholebody.py'
]

train_pipeline = _base_.sapiens_neighbour40_train_pipeline
val_pipeline = _base_.sapiens_neighbour40_val_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
