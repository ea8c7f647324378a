# The tiny test model with learnable joint tokens: pruning after its first
# block, the keep rate ramped from 1.0 to 0.5 over iterations 1-3.
_base_ = ['./td-hm_patchsel-vit-tiny_coco-testdata-256x192.py']

model = dict(
    backbone=dict(
        type='JointTokenPatchSelViT',
        num_joints=17,
        prune_after=(0, ),
        keep_rate=0.5))
# A list replaces mmpose's default custom_hooks: keep its SyncBuffersHook,
# or the head's BatchNorm statistics differ between the ranks.
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='JointTokenKeepRateHook', warmup=1, ramp=2)
]
