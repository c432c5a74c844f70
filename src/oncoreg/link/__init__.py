"""Person linkage (Splink), tumour consolidation (IARC/IACR multiple-primary rules) and the
review queue's logic. The service :func:`oncoreg.services.linkage.link_registry` runs them on
the registry; these are the pure parts, over Polars frames."""

from oncoreg.link.clusters import Clustering, cluster
from oncoreg.link.evaluate import evaluate
from oncoreg.link.features import linkage_frame
from oncoreg.link.multiple_primaries import consolidate, histology_group, site_group

__all__ = [
    "Clustering",
    "cluster",
    "consolidate",
    "evaluate",
    "histology_group",
    "linkage_frame",
    "site_group",
]
