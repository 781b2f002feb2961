# C-level entry points of _ufuncs.pyx for the compiled engine.

# slots of the loop table, one per ufunc the op rules use
cdef enum:
    ADD, SUBTRACT, MULTIPLY, TRUE_DIVIDE, MAXIMUM, MINIMUM,
    NEGATIVE, EXP, LOG, SQRT, TANH, NLOOPS

cdef object fast_add(object a, object b)
cdef object fast_inplace(int k, object out, object other)
cdef bint promo_data(object x, object y) except -1
cdef bint promo_other(object x, object b) except -1
