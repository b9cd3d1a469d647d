"""Where the rows live: one interface over in-memory, memory-mapped, sparse and
Dask data (see :mod:`.base` for the interface and how to add a source)."""

from __future__ import annotations

import numpy as np

from .. import _mapping
from .base import Source
from .dask_arrays import DaskArrays, is_dask_array
from .mapped import Mapped
from .memory import PARALLEL_MIN_ELEMENTS, InMemory, use_threads
from .sparse import CSR, is_sparse

__all__ = ["CSR", "PARALLEL_MIN_ELEMENTS", "DaskArrays", "InMemory", "Mapped",
           "Source", "as_source", "is_dask_array", "is_sparse", "use_threads"]


def as_source(X, y, sample_weight) -> Source:
    """The source for validated ``X`` with ``y`` and ``sample_weight``.

    A :class:`Source` is returned as it is. Dense arrays on a releasable file
    mapping larger than one chunk are read chunk by chunk (:class:`Mapped`);
    other dense arrays are read whole (:class:`InMemory`); Dask arrays are
    read where their chunks live (:class:`DaskArrays`), CSR matrices by
    their nonzeros (:class:`CSR`).
    """
    if isinstance(X, Source):
        return X
    if is_sparse(X):
        if X.format != "csr":
            raise TypeError(f"sparse X must be CSR; got {X.format.upper()} (convert it "
                            "once with X.tocsr())")
        return CSR(X, y, sample_weight)
    if is_dask_array(X):
        return DaskArrays(X, y, sample_weight)
    if isinstance(X, np.ndarray):
        if _mapping.read_in_chunks(X):
            return Mapped(X, y, sample_weight)
        return InMemory(X, y, sample_weight)
    raise TypeError(f"no data source reads {type(X).__name__}")
