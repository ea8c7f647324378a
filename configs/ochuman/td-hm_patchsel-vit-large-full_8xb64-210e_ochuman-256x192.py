# ViTPose-L on OCHuman (trained on COCO) with no patch selection (the full-model
# baseline):
# the COCO config of the same model, validated and tested on OCHuman
# (configs/_base_/patchsel_ochuman.py); any checkpoint of that COCO
# config can be tested with it.
_base_ = [
    '../coco/td-hm_patchsel-vit-large-full_8xb64-210e_coco-256x192.py',
    '../_base_/patchsel_ochuman.py'
]

# Trained on COCO train2017 exactly as the COCO config; validated and tested
# on OCHuman with ground-truth boxes, as mmpose evaluates OCHuman.
val_dataloader = dict(dataset=_base_.ochuman_val_dataset)
test_dataloader = dict(dataset=_base_.ochuman_test_dataset)
val_evaluator = _base_.ochuman_val_evaluator
test_evaluator = _base_.ochuman_test_evaluator
