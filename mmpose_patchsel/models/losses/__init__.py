from .joint_token_loss import (JointTokenCellLoss, cell_targets,
                               input_keypoints, joint_token_losses)

__all__ = [
    'JointTokenCellLoss', 'cell_targets', 'input_keypoints',
    'joint_token_losses'
]
