"""Database.survival over cotrack_survival (cotrack/c.h): Kaplan-Meier time to
the first confirmed EDSS event by group and the log-rank test, the options of
`cotrack survival` as keyword arguments."""
import ctypes
import math
from typing import Any, Dict

from . import _table

_declared = set()


def _declare(lib: ctypes.CDLL) -> None:
    # Declared on first use, beside the other calls' _declare in __init__.
    if id(lib) in _declared:
        return
    fn = lib.cotrack_survival
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                   ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                   ctypes.POINTER(ctypes.c_void_p),
                   ctypes.POINTER(ctypes.c_void_p)]
    _declared.add(id(lib))


def option_pairs(options: Dict[str, Any]):
    """Keyword arguments as the C ABI's (name, value) pairs: underscores
    become dashes (no_intermediate -> "no-intermediate"); True is a flag
    without a value (""), False and None leave the option out; lists and
    tuples are joined with commas (at=["365d", "730d"])."""
    pairs = []
    for key, value in options.items():
        name = key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            text = ""
        elif isinstance(value, (list, tuple)):
            text = ",".join(str(v) for v in value)
        else:
            text = str(value)
        pairs.append((name.encode(), text.encode("utf-8")))
    return pairs


def survival(lib: ctypes.CDLL, handle, call, options: Dict[str, Any]):
    _declare(lib)
    pairs = option_pairs(options)
    n = len(pairs)
    names = (ctypes.c_char_p * max(n, 1))(*[p[0] for p in pairs])
    values = (ctypes.c_char_p * max(n, 1))(*[p[1] for p in pairs])

    def build(lib, table, rows):
        columns = _table.read_all(lib, table)
        for name, column in columns.items():
            if column and isinstance(column[0], float):
                columns[name] = [None if math.isnan(v) else v for v in column]
        return _table.with_columns(
            [dict(zip(columns, row)) for row in zip(*columns.values())],
            columns)

    return _table.read_table(lib, lambda out: call(
        lib.cotrack_survival, handle, names, values, n, out), build)
