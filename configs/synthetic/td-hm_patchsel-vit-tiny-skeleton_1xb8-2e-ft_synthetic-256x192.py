# The accuracy benchmark's skeleton selection on the SYNTHETIC pose data: the
# shared fine-tuning schedule, the ViT seeing only the patches crossed by
# the skeleton's limbs.
# Guide: annotations with jitter in training, the benchmark's trained
# LiteHRNet-18 at val/test (configs/_base_/patchsel_synthetic.py).
_base_ = [
    './td-hm_patchsel-vit-tiny-full_1xb8-2e-ft_synthetic-256x192.py',
    '../_base_/patchsel_synthetic.py'
]

selection = dict(
    type='SelectPatches',
    input_size=(192, 256),
    mode='skeleton',
    num_neighbours=0,
    num_keep=None,
    score_thr=0.3,
    use_udp=True)
train_pipeline = [
    *_base_.train_pre_selection, selection, *_base_.train_post_selection
]
val_pipeline = [
    *_base_.val_pre_selection, selection, *_base_.val_post_selection
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
