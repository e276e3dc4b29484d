"""Results as columns: reading a cotrack_table_t (cotrack/c.h) in a handful
of ctypes calls, and the Result list that carries those columns.

A ctypes call costs about a microsecond, so the per-row, per-field accessors
of cotrack_observations_t made a 20-row trajectory cost ~200 us. Here a whole
column is one call: numbers are sliced out of the C array, and a string
column is one bytes object decoded once and split at its NULs.
"""

from __future__ import annotations

import ctypes
import datetime
import math
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

INT64, DOUBLE, STRING, DOUBLE_LIST = 1, 2, 3, 4

_i64_p = ctypes.POINTER(ctypes.c_int64)
_f64_p = ctypes.POINTER(ctypes.c_double)

# datetime.date.toordinal() of 1970-01-01: the SECONDS column counts from it.
_EPOCH_ORDINAL = 719163
_EPOCH = datetime.datetime(1970, 1, 1)
_fromordinal = datetime.date.fromordinal
_timedelta = datetime.timedelta


def declare(lib: ctypes.CDLL) -> Dict[str, tuple]:
    """The ctypes signatures of the table functions."""
    c_void_p, c_size_t, c_char_p = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
    return {
        "cotrack_table_destroy": (None, [c_void_p]),
        "cotrack_table_row_count": (c_size_t, [c_void_p]),
        "cotrack_table_notes": (c_char_p, [c_void_p]),
        "cotrack_table_column_count": (c_size_t, [c_void_p]),
        "cotrack_table_column_name": (c_char_p, [c_void_p, c_size_t]),
        "cotrack_table_column_type": (ctypes.c_int, [c_void_p, c_size_t]),
        "cotrack_table_column_index": (ctypes.c_int64, [c_void_p, c_char_p]),
        "cotrack_table_int64": (_i64_p, [c_void_p, c_size_t]),
        "cotrack_table_double": (_f64_p, [c_void_p, c_size_t]),
        "cotrack_table_strings": (c_void_p, [c_void_p, c_size_t,
                                             ctypes.POINTER(_i64_p)]),
        "cotrack_table_double_list": (_f64_p, [c_void_p, c_size_t,
                                               ctypes.POINTER(_i64_p)]),
    }


def strings(lib: ctypes.CDLL, table: Any, column: int, n: int) -> List[str]:
    """A STRING column as a list of str."""
    offsets = _i64_p()
    data = lib.cotrack_table_strings(table, column, ctypes.byref(offsets))
    size = offsets[n]
    if size == n:  # every row empty (e.g. no comparators): nothing to decode
        return [""] * n
    values = ctypes.string_at(data, size - 1).decode("utf-8").split("\0")
    if len(values) != n:  # a NUL inside a value (only the C++ API can store one)
        raw = ctypes.string_at(data, size)
        values = [raw[offsets[i]:offsets[i + 1] - 1].decode("utf-8")
                  for i in range(n)]
    return values


def int64s(lib: ctypes.CDLL, table: Any, column: int, n: int) -> List[int]:
    return lib.cotrack_table_int64(table, column)[:n] if n else []


def doubles(lib: ctypes.CDLL, table: Any, column: int, n: int) -> List[float]:
    return lib.cotrack_table_double(table, column)[:n] if n else []


def double_lists(lib: ctypes.CDLL, table: Any, column: int,
                 n: int) -> List[tuple]:
    """A DOUBLE_LIST column as tuples, NaN (not answered) as None."""
    offsets = _i64_p()
    values = lib.cotrack_table_double_list(table, column, ctypes.byref(offsets))
    if n == 0 or offsets[n] == 0:
        return [()] * n
    flat = [None if math.isnan(v) else v for v in values[:offsets[n]]]
    bounds = offsets[:n + 1]
    return [tuple(flat[bounds[i]:bounds[i + 1]]) for i in range(n)]


def read_all(lib: ctypes.CDLL, table: Any) -> Dict[str, list]:
    """Every column of a table, by name, in the table's order."""
    n = lib.cotrack_table_row_count(table)
    readers = {INT64: int64s, DOUBLE: doubles, STRING: strings,
               DOUBLE_LIST: double_lists}
    out = {}
    for c in range(lib.cotrack_table_column_count(table)):
        name = lib.cotrack_table_column_name(table, c).decode()
        read = readers.get(lib.cotrack_table_column_type(table, c))
        if read is not None:  # a type added after this module: skipped
            out[name] = read(lib, table, c, n)
    return out


# Dates already made, by SECONDS: a dict lookup is a third of the cost of
# date.fromordinal, and a registry has a few thousand distinct visit dates.
_DATES: Dict[int, datetime.date] = {}


def _new_date(seconds: int) -> datetime.date:
    if len(_DATES) >= 100000:  # bounded, whatever the data
        _DATES.clear()
    d = _DATES[seconds] = _fromordinal(_EPOCH_ORDINAL + seconds // 86400)
    return d


def times(seconds: Sequence[int], is_date: Sequence[int]) -> list:
    """datetime.date for dates, datetime.datetime for times of day."""
    get = _DATES.get
    if all(is_date):
        return [get(s) or _new_date(s) for s in seconds]
    return [(get(s) or _new_date(s)) if d else _EPOCH + _timedelta(seconds=s)
            for s, d in zip(seconds, is_date)]


class Result(list):
    """Rows of a query: a list (of tuples, Observations or dicts, as each
    call documents) that also holds the result as columns.

    Columns keep numbers numeric: a censored value such as IL-4 "<0.5" is
    0.5 in the "value" column and "<" in the "comparator" column ("" for
    an exact value), never mixed into a column of floats as text.
    """

    __slots__ = ("_columns", "_notes")

    def __init__(self, rows: Iterable = (),
                 columns: Optional[Dict[str, list]] = None) -> None:
        super().__init__(rows)
        self._columns = columns if columns is not None else {}

    @property
    def notes(self) -> List[str]:
        """What the command prints on stderr beside this result, a line
        each (summary, progression, survival: the patients counted and those
        not analysed, with why); [] for the others."""
        try:
            return self._notes
        except AttributeError:
            return []

    @property
    def columns(self) -> List[str]:
        """The column names, in order."""
        return list(self._columns)

    def to_dict(self) -> Dict[str, list]:
        """{column name: list of values}, one entry per row in each list."""
        return {name: list(values) for name, values in self._columns.items()}

    def to_records(self) -> List[Dict[str, Any]]:
        """[{column name: value}, ...], one dict per row."""
        names = list(self._columns)
        return [dict(zip(names, row)) for row in zip(*self._columns.values())]

    def to_pandas(self) -> "Any":
        """A pandas.DataFrame of the columns, dates as datetime64 (pandas is
        imported only now; ImportError with a hint when it is not
        installed)."""
        try:
            import pandas
        except ImportError as e:
            raise ImportError(
                "cotrack: to_pandas() needs pandas, which is not installed "
                "(pip install pandas, or apt-get install python3-pandas); "
                "to_dict() and to_records() need nothing") from e
        frame = pandas.DataFrame(self.to_dict(), columns=list(self._columns))
        # Dates as datetime64, so that .dt, resampling and plotting work (as
        # Python objects they would be an "object" column).
        for name, values in self._columns.items():
            if values and isinstance(values[0], datetime.date):
                frame[name] = pandas.to_datetime(frame[name])
        return frame

    to_dataframe = to_pandas


class CheckResult(Result):
    """What cotrack.check() found: the problems as rows (a Result), and in
    `counts` what the check verified and found, as `cotrack check` prints
    it (table_files, patients, ..., problems, problems_not_listed)."""

    __slots__ = ("counts",)

    def __init__(self, rows: Iterable = (),
                 columns: Optional[Dict[str, list]] = None,
                 counts: Optional[Dict[str, int]] = None) -> None:
        super().__init__(rows, columns)
        self.counts = counts if counts is not None else {}


def with_columns(rows: list, columns: Dict[str, list]) -> Result:
    result = Result.__new__(Result)
    list.extend(result, rows)
    result._columns = columns
    return result


def with_notes(lib: ctypes.CDLL, table: Any, result: Result) -> Result:
    """`result`, holding the notes of the C `table` it was read from."""
    notes = lib.cotrack_table_notes(table)
    result._notes = notes.decode("utf-8", "replace").splitlines() if notes else []
    return result


def read_table(lib: ctypes.CDLL, call: Callable[[Any], None],
               build: Callable[[Any, ctypes.CDLL, Any, int], Any]) -> Any:
    """Runs `call(byref(table))`, then `build(lib, table, n)`; always frees
    the table."""
    table = ctypes.c_void_p()
    call(ctypes.byref(table))
    try:
        return build(lib, table, lib.cotrack_table_row_count(table))
    finally:
        lib.cotrack_table_destroy(table)
