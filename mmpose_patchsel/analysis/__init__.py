from .complexity import count_flops, keep_rates_to_measure, sdpa_flop_jit

__all__ = ['count_flops', 'keep_rates_to_measure', 'sdpa_flop_jit']
