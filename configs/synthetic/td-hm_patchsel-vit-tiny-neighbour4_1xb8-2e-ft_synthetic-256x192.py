# The accuracy benchmark's neighbour selection on the SYNTHETIC pose data: the
# shared fine-tuning schedule, the ViT seeing only each guide keypoint's
# patch and its 4 nearest neighbours.
# Guide: annotations with jitter in training, the benchmark's trained
# LiteHRNet-18 at val/test (configs/_base_/patchsel_synthetic.py).
_base_ = [
    './td-hm_patchsel-vit-tiny-full_1xb8-2e-ft_synthetic-256x192.py',
    '../_base_/patchsel_synthetic.py'
]

train_pipeline = _base_.patchsel_neighbour4_train_pipeline
val_pipeline = _base_.patchsel_neighbour4_val_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
