# The few names of CPython's C API that the compiled build of autograd/value.py uses (Cython
# reads this file when it compiles value.py; the pure-Python engine never needs it).
cdef extern from "Python.h":
    ctypedef struct PyTypeObject:
        pass
    PyTypeObject *Py_TYPE(object obj)
    bint PyType_IS_GC(PyTypeObject *type)
    void PyObject_GC_UnTrack(object obj)
    int PyGC_IsEnabled()
