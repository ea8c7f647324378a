# Patch-selection pieces of the SYNTHETIC accuracy benchmark's configs (see
# configs/synthetic): configs/_base_/patchsel_coco.py (target and packing
# halves) with the synthetic data's own first halves. Augmentation is
# milder than ViTPose's (a from-scratch run of minutes, not 210 epochs) and
# the same as the full model's. Guide: annotations with jitter in training;
# at val/test the benchmark's own trained LiteHRNet-18, dumped by
# tools/dump_guide.py (tools/benchmark_accuracy.py sets the file).
_base_ = ['./patchsel_coco.py']

train_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='GenerateGTGuideKeypoints', jitter_std=0.02, drop_prob=0.1),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(
        type='RandomBBoxTransform',
        shift_factor=0.1,
        scale_factor=(0.8, 1.2),
        rotate_factor=20),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
]
val_pre_selection = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='LoadGuideKeypoints',
        guide_file='data/synthetic_pose/guide/litehrnet-18_val.json'),
    dict(type='TopdownAffine', input_size=(192, 256), use_udp=True),
]

patchsel_skeleton_train_pipeline = [
    *train_pre_selection, _base_.patchsel_skeleton_train,
    *_base_.train_post_selection
]
patchsel_skeleton_val_pipeline = [
    *val_pre_selection, _base_.patchsel_skeleton, *_base_.val_post_selection
]
patchsel_neighbour4_train_pipeline = [
    *train_pre_selection, _base_.patchsel_neighbour4_train,
    *_base_.train_post_selection
]
patchsel_neighbour4_val_pipeline = [
    *val_pre_selection, _base_.patchsel_neighbour4,
    *_base_.val_post_selection
]
