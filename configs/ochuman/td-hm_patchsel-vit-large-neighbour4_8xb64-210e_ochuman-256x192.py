# ViTPose-L on OCHuman (trained on COCO) with neighbour patch selection, n = 4
# (Kinfu & Vidal, BMVC 2023).
# Trains on COCO, validates and tests on OCHuman
# (configs/_base_/patchsel_ochuman.py).
# Guide: the annotations with jitter in training, an offline LiteHRNet-18 guide
# file at val/test; how to write it: configs/_base_/patchsel_ochuman.py.
# The ViT-L full config plus the selection: same backbone, estimator,
# schedule and data; only the patches the ViT sees differ.
_base_ = ['./td-hm_patchsel-vit-large-full_8xb64-210e_ochuman-256x192.py']

# Training on COCO train2017, as the COCO config.
train_pipeline = _base_.patchsel_neighbour4_train_pipeline
val_pipeline = _base_.patchsel_neighbour4_val_pipeline
test_pipeline = _base_.patchsel_neighbour4_test_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
