# C-level entry points of _ufuncs.pyx for the compiled engine.
cdef object fast_add(object a, object b)
