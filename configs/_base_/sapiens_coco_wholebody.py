# Sapiens pose on COCO-WholeBody (133 joints: body, feet, face, hands):
# ./sapiens_coco.py (loaders, val boxes and checkpointing as Sapiens) with
# Sapiens' whole-body data (pose/configs/sapiens_pose/coco_wholebody/
# sapiens_*-210e_coco_wholebody-1024x768.py). The joints, flip pairs and
# skeleton are mmpose's COCO-WholeBody metainfo
# (configs/_base_/datasets/coco_wholebody.py, CocoWholeBodyDataset's
# default).
_base_ = ['./sapiens_coco.py']

default_hooks = dict(checkpoint=dict(save_best='coco-wholebody/AP'))

model = dict(head=dict(out_channels=133))

train_dataloader = dict(
    dataset=dict(type='CocoWholeBodyDataset',
                 ann_file='annotations/coco_wholebody_train_v1.0.json'))
val_dataloader = dict(
    dataset=dict(type='CocoWholeBodyDataset',
                 ann_file='annotations/coco_wholebody_val_v1.0.json'))
test_dataloader = val_dataloader

val_evaluator = dict(type='CocoWholeBodyMetric',
                     ann_file=_base_.data_root +
                     'annotations/coco_wholebody_val_v1.0.json')
test_evaluator = val_evaluator
