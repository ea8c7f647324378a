"""Metrics of the plugin, registered in mmpose's ``METRICS``."""
from .guide_dump_metric import GuideDumpMetric, guide_entry

__all__ = ['GuideDumpMetric', 'guide_entry']
