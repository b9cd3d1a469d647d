"""Software prefetch: hints that bring cache lines of an array nearer the core.

A pass that streams its data from memory and also does work between the
loads (a gather and scatter per nonzero in :mod:`.sparse`, a second sweep of
each block in :mod:`.dense`) leaves the hardware prefetchers idle while it
works, and the stream stalls. Hinting the lines it will read next, a fixed
distance ahead, keeps the loads from memory going meanwhile.

Positions are *flat*: element ``i`` of the array's buffer in memory order, so
one hint serves a 1-D array, a C-ordered block of rows (row ``r``, column
``j`` at ``r * d + j``) or an F-ordered one alike. Callers pass contiguous
arrays. A hint never faults and never changes a result; callers keep ``i``
inside the buffer anyway.

Turning the hints off
---------------------
:data:`PREFETCH` is read when a kernel is compiled: ``FASTLOGREG_PREFETCH=0``
in the environment compiles every kernel with no hint at all (the marks still
advance, so everything else is the same code) and the results keep their
bits. Numba's cache does not know about the switch, so a process that turns
it off must also set its own ``NUMBA_CACHE_DIR`` (importing this module
without one raises): otherwise it would load, or worse store, kernels of the
other setting. ``python scripts/diagnostics/epoch_anatomy.py --hints`` times
an epoch with and without hints that way, in fresh processes.
"""

import os

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._math import DENSE_JIT as JIT

LINE_BYTES = 64

#: Whether the kernels hint at all (``FASTLOGREG_PREFETCH``, default on).
PREFETCH = os.environ.get("FASTLOGREG_PREFETCH", "1") != "0"
if not PREFETCH and not os.environ.get("NUMBA_CACHE_DIR"):
    raise RuntimeError("FASTLOGREG_PREFETCH=0 compiles kernels that Numba's cache cannot "
                       "tell apart from the hinted ones; set NUMBA_CACHE_DIR to a "
                       "directory of their own too.")


def _prefetch_intrinsic(locality):
    """An intrinsic hinting the cache line of flat element ``i`` of ``arr``
    into the cache level of ``locality`` (``llvm.prefetch``: 3 = L1, 2 = L2)."""

    @intrinsic
    def prefetch(typingctx, arr, i):
        sig = types.void(arr, types.intp)

        def codegen(context, builder, signature, args):
            aryty = signature.args[0]
            ary = context.make_array(aryty)(context, builder, args[0])
            ptr = builder.gep(ary.data, [args[1]])
            i8p = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
            fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
            # (address, read, locality, data cache)
            builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(locality), i32(1)])
            return context.get_dummy_value()

        return sig, codegen

    return prefetch


def _hinter(prefetch):
    """``hint(arr, mark, upto)``: hint flat elements ``mark:upto`` of ``arr``
    with ``prefetch``, one hint per cache line; returns the new mark."""

    @njit(inline="always", **JIT)
    def hint(arr, mark, upto):
        while mark < upto:
            if PREFETCH:
                prefetch(arr, mark)
            mark += LINE_BYTES // arr.itemsize
        return mark

    return hint


#: Hint into L2 (the far hints of a stream) and into L1 (the near ones).
hint_l2 = _hinter(_prefetch_intrinsic(2))
hint_l1 = _hinter(_prefetch_intrinsic(3))
