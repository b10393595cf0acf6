# The C-level tools of the compiled build of autograd/value.py: the few names of CPython's C API
# it uses, and two small helpers built on them. Cython reads this file when it compiles value.py
# (which calls these as capi.untrack, capi.joined); the pure-Python engine never needs it.
cdef extern from "Python.h":
    ctypedef struct PyTypeObject:
        pass
    PyTypeObject *Py_TYPE(object obj)
    bint PyType_IS_GC(PyTypeObject *type)
    void PyObject_GC_UnTrack(object obj)
    int PyGC_IsEnabled()
    tuple PyTuple_New(Py_ssize_t size)
    void PyTuple_SET_ITEM(object t, Py_ssize_t i, object o)  # takes over a reference to o
    void Py_INCREF(object o)


cdef inline void untrack(tuple t):
    """The collector stops watching t if all t holds are objects it does not watch."""
    for x in t:
        if PyType_IS_GC(Py_TYPE(x)):
            return
    PyObject_GC_UnTrack(t)


cdef inline tuple joined(list a, list b, object last):
    """(*a, *b, last) as one tuple made at its size and filled in place: no list in between."""
    cdef Py_ssize_t i = 0
    cdef tuple t = PyTuple_New(len(a) + len(b) + 1)
    for x in a:
        Py_INCREF(x)
        PyTuple_SET_ITEM(t, i, x)
        i += 1
    for x in b:
        Py_INCREF(x)
        PyTuple_SET_ITEM(t, i, x)
        i += 1
    Py_INCREF(last)
    PyTuple_SET_ITEM(t, i, last)
    return t
