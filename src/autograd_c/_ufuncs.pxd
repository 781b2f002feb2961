# C-level entry points of _ufuncs.pyx for the compiled engine.
cdef object fast_add(object a, object b)
cdef object fast_iadd(object acc, object g)
