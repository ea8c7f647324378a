from .guide_dump import dump_guide

__all__ = ['dump_guide']
