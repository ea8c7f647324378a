# What the demo's two models share: mmpose's ViTPose recipe (its ViT-S
# config, without the pretrained weights, which cannot be downloaded here),
# trained from scratch on the 12 persons of mmpose's bundled COCO test
# images: 200 epochs of one batch of 12. The models memorise those persons;
# they are not general pose models. The demo points data_root at its
# --data-root; the configs that inherit this set the backbone, head, codec
# and pipelines.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_ViTPose-small_8xb64-210e_coco-256x192.py'
]

custom_imports = dict(
    imports=[
        'mmpose.engine.optim_wrappers.layer_decay_optim_wrapper',
        'mmpose_patchsel'
    ],
    allow_failed_imports=False)

train_cfg = dict(max_epochs=200, val_interval=1000)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=0.01),
    paramwise_cfg=dict(layer_decay_rate=1.0))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.1, by_epoch=False)
]
auto_scale_lr = dict(enable=False)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1000, save_best=None, save_last=True))
randomness = dict(seed=0)

model = dict(
    type='PatchSelTopdownEstimator',
    backbone=dict(_delete_=True, type='PatchSelViT', drop_path_rate=0.0),
    test_cfg=dict(flip_test=False))

data_root = '../shared/data/mmpose_testdata/coco/'
# One loader worker prepares the next batch while the model trains.
train_dataloader = dict(
    batch_size=12,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        data_root=data_root,
        ann_file='test_coco.json',
        data_prefix=dict(img='')))
val_dataloader = dict(
    batch_size=12,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file='test_coco.json',
        bbox_file=None,
        data_prefix=dict(img='')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'test_coco.json')
test_evaluator = val_evaluator

# mmpose 1.3.2's PoseLocalVisualizer cannot draw keypoints under numpy 2
# (OpenCV backend); this subclass can, and also draws kept patches.
visualizer = dict(type='PatchSelLocalVisualizer')
