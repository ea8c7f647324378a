# Sapiens pose on COCO (17 joints): ./sapiens_pose.py plus Sapiens' COCO data
# (pose/configs/sapiens_pose/coco/sapiens_*-210e_coco-1024x768.py): val on
# the person boxes of COCO_val2017_detections_AP_H_70_person.json, which
# Sapiens' evaluation guide (docs/evaluate/POSE_README.md) downloads, not
# mmpose's AP_H_56 file. Sapiens wraps its one training set in a
# CombinedDataset with COCO's metainfo; a plain CocoDataset is the same.
_base_ = ['./sapiens_pose.py']

default_hooks = dict(
    checkpoint=dict(save_best='coco/AP', rule='greater', max_keep_ckpts=-1))

model = dict(head=dict(out_channels=17))

data_root = 'data/coco/'
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CocoDataset',
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=_base_.train_pipeline,
    ))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type='CocoDataset',
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/person_keypoints_val2017.json',
        bbox_file='data/coco/person_detection_results/'
        'COCO_val2017_detections_AP_H_70_person.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=_base_.val_pipeline,
    ))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/person_keypoints_val2017.json')
test_evaluator = val_evaluator
