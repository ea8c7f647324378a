# A tiny PatchSelViT on mmpose's own COCO test images, sized for CPU tests.
# It inherits mmpose's ViTPose-S config exactly as a user config would.
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

train_cfg = dict(max_epochs=2, val_interval=1)
optim_wrapper = dict(paramwise_cfg=dict(num_layers=2))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=4, start_factor=0.1, by_epoch=False)
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, save_best=None, max_keep_ckpts=-1))

model = dict(
    type='PatchSelTopdownEstimator',
    backbone=dict(
        _delete_=True,
        type='PatchSelViT',
        arch=dict(
            embed_dims=96, num_layers=2, num_heads=3,
            feedforward_channels=192),
        img_size=(256, 192),
        drop_path_rate=0.0),
    head=dict(in_channels=96, deconv_out_channels=(32, 32)),
    test_cfg=dict(flip_test=False))

data_root = '../shared/data/mmpose_testdata/coco/'
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root, ann_file='test_coco.json',
        data_prefix=dict(img='')))
val_dataloader = dict(
    batch_size=4,
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

# Draws under numpy 2 (see configs/coco's ViT-B full config).
visualizer = dict(type='PatchSelLocalVisualizer')
