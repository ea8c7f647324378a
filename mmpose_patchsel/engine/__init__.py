from .checkpoint_loading import load_local_checkpoint

__all__ = ['load_local_checkpoint']
