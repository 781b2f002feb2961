"""The elementwise math the rules call, by one name in both twins.

Here: numpy's ufuncs. In the compiled twin (this package compiled by Cython,
where ``cython.compiled`` is true) the same names come from ``_ufuncs``,
which runs numpy's own float64 loops from C on small arrays and gives the
same results bit for bit; anything else (other dtypes, Tensors under
``create_graph``) it hands to the numpy ufunc, which dispatches Tensors to
their ops through ``Tensor.__array_ufunc__``.
"""
try:
    import cython
    COMPILED = cython.compiled
except ImportError:          # Cython is a build dependency only
    COMPILED = False

if COMPILED:
    from autograd_c._ufuncs import (  # noqa: F401
        add,
        exp,
        log,
        maximum,
        minimum,
        multiply,
        negative,
        sqrt,
        subtract,
        tanh,
        true_divide,
    )
else:
    from numpy import (  # noqa: F401
        add,
        exp,
        log,
        maximum,
        minimum,
        multiply,
        negative,
        sqrt,
        subtract,
        tanh,
        true_divide,
    )
