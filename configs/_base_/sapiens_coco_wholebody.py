# Sapiens pose on COCO-WholeBody (133 joints: body, feet, face, hands):
# ./sapiens_pose.py plus Sapiens' data (pose/configs/sapiens_pose/
# coco_wholebody/sapiens_*-210e_coco_wholebody-1024x768.py). The joints,
# flip pairs and skeleton are mmpose's COCO-WholeBody metainfo
# (configs/_base_/datasets/coco_wholebody.py, CocoWholeBodyDataset's
# default). Val on the person boxes of
# COCO_val2017_detections_AP_H_70_person.json, as Sapiens.
_base_ = ['./sapiens_pose.py']

default_hooks = dict(
    checkpoint=dict(
        save_best='coco-wholebody/AP', rule='greater', max_keep_ckpts=-1))

model = dict(head=dict(out_channels=133))

data_root = 'data/coco/'
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CocoWholeBodyDataset',
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/coco_wholebody_train_v1.0.json',
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
        type='CocoWholeBodyDataset',
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/coco_wholebody_val_v1.0.json',
        bbox_file='data/coco/person_detection_results/'
        'COCO_val2017_detections_AP_H_70_person.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=_base_.val_pipeline,
    ))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoWholeBodyMetric',
    ann_file=data_root + 'annotations/coco_wholebody_val_v1.0.json')
test_evaluator = val_evaluator
