# Sapiens pose (Meta, 2024; facebookresearch/sapiens) on the patch-selection
# estimator: model, codec, schedule and pipelines of Sapiens' own configs
# (pose/configs/sapiens_pose/coco/sapiens_0.3b-210e_coco-1024x768.py and its
# siblings), written out once for every arch and dataset. Sapiens is a fork
# of mmpose 1.1 with no config in mmpose itself, so only mmpose's runtime is
# inherited. The dataset bases (./sapiens_coco.py,
# ./sapiens_coco_wholebody.py) add the data; the configs under
# configs/sapiens/ set the arch.
#
# Differences from Sapiens' configs, all outside the model:
# - the estimator and backbone are PatchSelTopdownEstimator / PatchSelViT
#   (mmpretrain's VisionTransformer parameter names, so Sapiens'
#   checkpoints load as they are) and the head is SapiensHeatmapHead (the
#   InstanceNorm + SiLU head of Sapiens' mmpose fork);
# - no Albumentation step (Blur, MedianBlur, CoarseDropout) in training:
#   it needs the albumentations package, which the plugin does not depend
#   on; PhotometricDistortion is kept;
# - validation every 10 epochs (mmpose's; Sapiens' "default" comment says
#   10, its released configs evaluate every epoch) and mmpose's logger and
#   visualisation hooks (Sapiens' visualisation hooks are its own).
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(
    imports=[
        'mmpose.engine.optim_wrappers.layer_decay_optim_wrapper',
        'mmpose_patchsel'
    ],
    allow_failed_imports=False)

# runtime
train_cfg = dict(max_epochs=210, val_interval=10)

# optimizer (paramwise_cfg.num_layers: the arch's depth, set by each config)
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.1),
    paramwise_cfg=dict(
        num_layers=24,
        layer_decay_rate=0.85,
        custom_keys={
            'bias': dict(decay_multi=0.0),  # sic, as Sapiens and mmpose
            'pos_embed': dict(decay_mult=0.0),
            'relative_position_bias_table': dict(decay_mult=0.0),
            'norm': dict(decay_mult=0.0),
        },
    ),
    constructor='LayerDecayOptimWrapperConstructor',
    clip_grad=dict(max_norm=1., norm_type=2),
)

# learning policy
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=500, start_factor=0.001,
        by_epoch=False),  # warm-up
    dict(
        type='MultiStepLR',
        begin=0,
        end=210,
        milestones=[170, 200],
        gamma=0.1,
        by_epoch=True)
]

# automatically scaling LR based on the actual training batch size
auto_scale_lr = dict(base_batch_size=512)

# codec: 1024x768 input, 4x smaller heatmaps, sigma 6 (2 at 256x192);
# decoded by DARK-UDP (UDPHeatmap's default, blur kernel 11)
codec = dict(
    type='UDPHeatmap',
    input_size=(768, 1024),
    heatmap_size=(192, 256),
    sigma=6)

# model settings (0.3b; out_channels: the dataset's joints)
model = dict(
    type='PatchSelTopdownEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='PatchSelViT',
        arch='sapiens_0.3b',
        img_size=(1024, 768),
        patch_size=16,
        qkv_bias=True,
        final_norm=True,
        drop_path_rate=0.0,
        with_cls_token=False,
        out_type='featmap',
        patch_cfg=dict(padding=2),  # 64x48 tokens
        # Sapiens' MAE checkpoint (its pretrain/checkpoints folder): a 64x64
        # sin-cos pos_embed plus a cls entry; the cls entry is dropped and
        # the grid resized to 64x48, as Sapiens does.
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/sapiens/'
            'sapiens_0.3b_epoch_1600_clean.pth',
            src_grid=(64, 64))),
    head=dict(
        type='SapiensHeatmapHead',
        in_channels=1024,
        out_channels=17,
        deconv_out_channels=(768, 768),  # 2x each: 4x in all
        deconv_kernel_sizes=(4, 4),
        conv_out_channels=(768, 768),
        conv_kernel_sizes=(1, 1),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(
        flip_test=True,
        flip_mode='heatmap',
        shift_heatmap=False,
    ))

# pipelines
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='PhotometricDistortion'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='PackPoseInputs')
]

# mmpose 1.3.2's PoseLocalVisualizer cannot draw keypoints under numpy 2;
# this subclass can, and also draws kept patches.
visualizer = dict(type='PatchSelLocalVisualizer')
