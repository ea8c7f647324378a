# The accuracy benchmark's fine-tuning schedule, shared by every row: start
# from the warm-start checkpoint of the full model
# (td-hm_patchsel-vit-tiny-full_1xb8-8e_synthetic-256x192.py), train 2 more
# epochs with the learning rate falling from where the warm start ended.
# Without selection this is the full-model row; the selection configs inherit
# it and change only the patches the ViT sees. tools/benchmark_accuracy.py
# sets `load_from`.
_base_ = ['./td-hm_patchsel-vit-tiny-full_1xb8-8e_synthetic-256x192.py']

load_from = 'outputs/accuracy/warm_start/epoch_8.pth'
train_cfg = dict(max_epochs=2, val_interval=2)
optim_wrapper = dict(optimizer=dict(lr=2.5e-4))
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=20, start_factor=0.1, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=2, eta_min=1e-6,
         by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=2))
