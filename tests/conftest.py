"""Test-wide settings: figures are drawn headless, and BLAS runs on one thread.

The tests multiply small matrices, where OpenBLAS' threads cost more than they save and,
on a busy 2-core machine, can make a run many times slower. Set before NumPy is imported.
"""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
