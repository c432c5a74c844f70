"""oncoreg: a cancer registry and oncology-network platform.

The public surface is small: code tables live in :mod:`oncoreg.codes`, the registry
store in :mod:`oncoreg.store`, settings in :mod:`oncoreg.settings`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
