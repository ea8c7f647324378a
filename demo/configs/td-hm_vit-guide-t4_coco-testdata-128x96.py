# The demo's guide: a small full ViT (128 wide, 4 blocks) at 128x96, a
# quarter of the main ViT's pixels (8x6 patches), with a light head. It is
# cheap next to the ViT it guides, as the paper's LiteHRNet-18 is next to
# ViT-B (the demo prints its GFLOPs share); a ViT rather than LiteHRNet
# because LiteHRNet's many small kernels make it slow on a CPU for its
# FLOPs. It sees the main ViT's crops resized to 128x96 (OnlineGuide).
_base_ = ['./_base_/vit_coco-testdata.py']

codec = dict(
    type='UDPHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=2)

optim_wrapper = dict(paramwise_cfg=dict(num_layers=4))
model = dict(
    backbone=dict(
        arch=dict(embed_dims=128, num_layers=4, num_heads=4),
        img_size=(128, 96)),
    head=dict(
        in_channels=128, deconv_out_channels=(64, 64), decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='RandomBBoxTransform',
        shift_factor=0.05,
        scale_factor=(0.9, 1.1),
        rotate_factor=10),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size'], use_udp=True),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
