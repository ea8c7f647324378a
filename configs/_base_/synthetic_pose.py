# The SYNTHETIC pose data of tools/make_synthetic_pose.py (COCO keypoints
# format, mmpose's COCO metainfo, read by CocoDataset), shared by the
# accuracy benchmark's configs in configs/synthetic (tools/
# benchmark_accuracy.py points them at its own copy). Validation uses the
# ground-truth person boxes: no detector is trained here. Only new names:
# it sits beside an mmpose config in a `_base_` list.
synthetic_train_dataset = dict(
    data_root='data/synthetic_pose/',
    metainfo=dict(from_file='configs/_base_/datasets/coco.py'),
    ann_file='annotations/synthetic_pose_train.json',
    data_prefix=dict(img='images/'))
synthetic_val_dataset = dict(
    synthetic_train_dataset,
    ann_file='annotations/synthetic_pose_val.json',
    bbox_file=None)
synthetic_evaluator = dict(
    ann_file='data/synthetic_pose/annotations/synthetic_pose_val.json')
