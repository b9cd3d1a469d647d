"""Memory-mapped arrays: find the file mapping behind an array, read it in row
chunks, and give each chunk's pages back so that resident memory stays near
one chunk whatever the size of the file.

Pages of a file mapping that a process has touched count in its resident set
until it unmaps them or the kernel needs the memory; ``madvise(MADV_DONTNEED)``
drops them from the process at once (the page cache keeps them for the next
read if memory allows). That is safe for read-only (``"r"``) and shared
(``"r+"``, ``"w+"``) mappings, whose data live in the file. A copy-on-write
(``"c"``) mapping may hold the caller's own changes in private pages, which
the call would throw away, so its pages are never released.
"""

from __future__ import annotations

import mmap

import numpy as np

__all__ = ["CHUNK_BYTES", "chunks", "mapping_of", "read_in_chunks", "release",
           "row_chunks"]

#: Bytes of X per chunk when a memory-mapped X is read chunk by chunk. A pass
#: over a mapped file holds about one chunk resident (plus the model).
CHUNK_BYTES = 256 * 1024 * 1024

_RELEASABLE_MODES = ("r", "r+", "w+")


def mapping_of(a) -> mmap.mmap | None:
    """The mmap under ``a`` if its pages may be released, else None.

    Follows ``.base`` from views (``np.asarray`` of a memmap, slices) to the
    ``np.memmap`` that owns the mapping.
    """
    while a is not None and not isinstance(a, mmap.mmap):
        if isinstance(a, np.memmap):
            mm = getattr(a, "_mmap", None)
            if mm is not None and getattr(a, "mode", None) in _RELEASABLE_MODES:
                return mm
        a = getattr(a, "base", None)
    return None


def release(mm: mmap.mmap | None) -> None:
    """Drop the process's resident pages of the mapping ``mm`` (None: nothing)."""
    if mm is not None:
        mm.madvise(mmap.MADV_DONTNEED)


def row_chunks(n_rows: int, row_bytes: int, multiple: int = 1,
               chunk_bytes: int | None = None):
    """``(lo, hi)`` row ranges of about ``chunk_bytes`` each.

    Every chunk but the last has a multiple of ``multiple`` rows, so kernels
    that cut rows into fixed blocks see the same blocks as over the whole.
    """
    budget = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    rows = max(multiple, budget // max(1, row_bytes) // multiple * multiple)
    for lo in range(0, n_rows, rows):
        yield lo, min(n_rows, lo + rows)


def read_in_chunks(X) -> bool:
    """True for a 2-D array on a releasable mapping larger than one chunk: the
    arrays that passes, checks and predictions read chunk by chunk."""
    return X.ndim == 2 and X.nbytes > CHUNK_BYTES and mapping_of(X) is not None


def chunks(X: np.ndarray, multiple: int = 1):
    """``(lo, hi, X[lo:hi])`` for each row chunk of ``X``, releasing the pages of
    its mapping after each.

    Chunks of a C-ordered X are views; chunks of an F-ordered X, whose rows
    are spread over the whole file, are copied to one F-ordered chunk.
    """
    mm = mapping_of(X)
    f = X.flags.f_contiguous and not X.flags.c_contiguous
    for lo, hi in row_chunks(X.shape[0], X.shape[1] * X.itemsize, multiple):
        try:
            yield lo, hi, np.asfortranarray(X[lo:hi]) if f else X[lo:hi]
        finally:
            release(mm)
