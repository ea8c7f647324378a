# ViTPose-L on OCHuman (trained on COCO) with skeleton patch selection (Kinfu &
# Vidal, BMVC 2023).
# Trains on COCO, validates and tests on OCHuman
# (configs/_base_/patchsel_ochuman.py).
# Guide: the annotations with jitter in training, an offline LiteHRNet-18 guide
# file at val/test; how to write it: configs/_base_/patchsel_ochuman.py.
# The ViT-L full config plus the selection: same backbone, estimator,
# schedule and data; only the patches the ViT sees differ.
_base_ = [
    './td-hm_patchsel-vit-large-full_8xb64-210e_ochuman-256x192.py'
]

# Skeleton selection: the cells crossed by the limbs of the dataset's
# skeleton between confident guide keypoints.
selection = dict(
    type='SelectPatches',
    input_size=(192, 256),
    mode='skeleton',
    num_neighbours=0,
    num_keep=None,
    score_thr=0.3,
    use_udp=True)
train_pipeline = [
    *_base_.train_pre_selection, selection, *_base_.train_post_selection
]
val_pipeline = [
    *_base_.val_pre_selection, selection, *_base_.val_post_selection
]
test_pipeline = [
    *_base_.test_pre_selection, selection, *_base_.val_post_selection
]
# Training on COCO train2017, as the COCO config.
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_base_.ochuman_val_dataset, pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(_base_.ochuman_test_dataset, pipeline=test_pipeline))
val_evaluator = _base_.ochuman_val_evaluator
test_evaluator = _base_.ochuman_test_evaluator
