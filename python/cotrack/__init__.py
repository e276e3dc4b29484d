"""cotrack for Python: a thin ctypes layer over the C ABI (cotrack/c.h).

    import cotrack
    with cotrack.open("clinic.cotrack") as db:
        db.register_patient("P01", arm="HSCT", index_date="2024-01-10")
        db.record_visit("P01", "2024-07-09",
                        {"edss": 3.5, "hba1c": (48, "mmol/mol")}, visit="M6")
        db.trajectory("P01", "edss")   # [(datetime.date(2024, 7, 9), 3.5)]

Finding the library (first match wins):
  1. $COTRACK_LIBRARY: the full path of libcotrack.so.0 (or libcotrack.so);
  2. the library this package was installed with (`cmake --install` records
     its path in cotrack/_libpath.py);
  3. a build tree of the source checkout this package sits in:
     <checkout>/build*/engine/libcotrack.so.0, most recently built first;
  4. the system's dynamic loader (LD_LIBRARY_PATH, ldconfig).

Values: numbers are floats in the measure's canonical unit (hba1c in %, even
when entered in mmol/mol). A censored lab value such as IL-4 "<0.5" comes
back as a Censored("<", 0.5), never as a bare number, so that it cannot be
averaged by accident. Dates are datetime.date, or datetime.datetime when a
time of day was recorded.

Errors raise cotrack.Error subclasses (InvalidArgument, NotFound, Locked,
DataLoss, ...) carrying .code (the C status code) and .message.

Thread safety and durability are those of the C ABI: a Database may be used
from several threads; every write is atomic and, with sync=True (the
default), durable on disk before the call returns.

Results: trajectory(), observations(), latest_n(), history() and summary()
return a cotrack.Result, a list of rows that also holds the result as
columns: .to_dict() ({column: [values]}), .to_records() ([{column: value}])
and .to_pandas() (a DataFrame; pandas is optional and imported only then).
Several writes at once: `with db.batch() as b:` commits everything added to
`b` in one atomic write when the block ends, and nothing if it raises.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime
import functools
import glob
import math
import os
import threading
from collections import namedtuple
from typing import (Any, Dict, List, Mapping, Optional, Sequence,
                    Tuple, Union)

from . import _table
from ._table import CheckResult, Result

__all__ = [
    "open", "check", "Database", "Batch", "Result", "CheckResult", "LatestAll", "Observation", "AuditEntry", "Censored", "Error",
    "InvalidArgument",
    "NotFound", "AlreadyExists", "FailedPrecondition", "Locked", "DataLoss",
    "Internal", "library_path", "version",
]

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class Error(Exception):
    """A failed cotrack call: .code is the cotrack_code, .message the text."""

    code = 2
    name = "UNKNOWN"

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self):
        return f"{self.name}: {self.message}"


class InvalidArgument(Error, ValueError):
    code, name = 3, "INVALID_ARGUMENT"


class NotFound(Error, LookupError):
    code, name = 5, "NOT_FOUND"


class AlreadyExists(Error):
    code, name = 6, "ALREADY_EXISTS"


class ResourceExhausted(Error):
    code, name = 8, "RESOURCE_EXHAUSTED"


class FailedPrecondition(Error):
    code, name = 9, "FAILED_PRECONDITION"


class Internal(Error):
    code, name = 13, "INTERNAL"


class Locked(Error):
    """UNAVAILABLE: the process holding the database did not answer within
    the busy timeout (it hangs, or is an older cotrack), or the disk failed."""

    code, name = 14, "UNAVAILABLE"


class DataLoss(Error):
    code, name = 15, "DATA_LOSS"


_ERRORS = {cls.code: cls for cls in (InvalidArgument, NotFound, AlreadyExists,
                                     ResourceExhausted, FailedPrecondition,
                                     Internal, Locked, DataLoss)}


def _error(code, message):
    cls = _ERRORS.get(code)
    if cls is None:
        err = Error(message, code)
        err.name = _lib().cotrack_code_name(code).decode()
        return err
    return cls(message)


# ---------------------------------------------------------------------------
# The library
# ---------------------------------------------------------------------------

_LIBRARY = None
_LIBRARY_PATH = None


def _candidates():
    env = os.environ.get("COTRACK_LIBRARY")
    if env:
        return [env]  # explicit: no fallback that could hide a wrong path
    found = []
    try:
        from . import _libpath  # written by cmake --install
        found.append(_libpath.LIBRARY)
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.dirname(os.path.dirname(here))
    builds = glob.glob(os.path.join(checkout, "build*", "engine", "libcotrack.so.0"))
    builds.sort(key=os.path.getmtime, reverse=True)
    found.extend(builds)
    found.append(ctypes.util.find_library("cotrack") or "libcotrack.so.0")
    return found


def _lib():
    global _LIBRARY, _LIBRARY_PATH
    if _LIBRARY is not None:
        return _LIBRARY
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
            continue
        _declare(lib)
        _LIBRARY, _LIBRARY_PATH = lib, path
        return lib
    raise ImportError(
        "cotrack: cannot load libcotrack.so.0; set COTRACK_LIBRARY to its path "
        "(e.g. build/engine/libcotrack.so.0). Tried: " + "; ".join(tried))


def library_path() -> str:
    """The path of the loaded libcotrack (loads it when needed)."""
    _lib()
    return _LIBRARY_PATH


def version() -> str:
    """The library version, e.g. "0.1.0"."""
    return _lib().cotrack_version().decode()


class _WriteSummary(ctypes.Structure):
    _fields_ = [("written", ctypes.c_int64), ("corrected", ctypes.c_int64),
                ("unchanged", ctypes.c_int64), ("retracted", ctypes.c_int64),
                ("patients", ctypes.c_int64)]


_c_char_p_p = ctypes.POINTER(ctypes.c_char_p)
_err_p = ctypes.POINTER(ctypes.c_void_p)  # char** err, freed with cotrack_free
_void_pp = ctypes.POINTER(ctypes.c_void_p)
_summary_p = ctypes.POINTER(_WriteSummary)
_double_p = ctypes.POINTER(ctypes.c_double)


def _declare(lib):
    c_int, c_char_p, c_void_p, c_size_t, c_double = (
        ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t,
        ctypes.c_double)
    signatures = {
        "cotrack_version": (c_char_p, []),
        "cotrack_code_name": (c_char_p, [c_int]),
        "cotrack_free": (None, [c_void_p]),
        "cotrack_options_create": (c_void_p, []),
        "cotrack_options_destroy": (None, [c_void_p]),
        "cotrack_options_set_create_if_missing": (None, [c_void_p, c_int]),
        "cotrack_options_set_read_only": (None, [c_void_p, c_int]),
        "cotrack_options_set_sync": (None, [c_void_p, c_int]),
        "cotrack_options_set_user": (None, [c_void_p, c_char_p]),
        "cotrack_open": (c_int, [c_char_p, c_void_p, _void_pp, _err_p]),
        "cotrack_close": (None, [c_void_p]),
        "cotrack_snapshot": (c_int, [c_void_p, _void_pp, _err_p]),
        "cotrack_register_patient": (c_int, [
            c_void_p, c_char_p, c_char_p, c_char_p, _c_char_p_p, _c_char_p_p,
            c_size_t, _summary_p, _err_p]),
        "cotrack_record": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p,
                                   c_double, c_char_p, _summary_p, _err_p]),
        "cotrack_retract": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p,
                                    c_char_p, _summary_p, _err_p]),
        "cotrack_record_as": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p,
                                      c_double, c_char_p, c_char_p, c_char_p,
                                      _summary_p, _err_p]),
        "cotrack_retract_as": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p,
                                       c_char_p, c_char_p, _summary_p, _err_p]),
        "cotrack_visit_commit_as": (c_int, [c_void_p, c_void_p, c_char_p,
                                            c_char_p, _summary_p, _err_p]),
        "cotrack_audit": (c_int, [c_void_p, c_char_p, _void_pp, _err_p]),
        "cotrack_audit_destroy": (None, [c_void_p]),
        "cotrack_audit_count": (c_size_t, [c_void_p]),
        "cotrack_audit_sequence": (ctypes.c_uint64, [c_void_p, c_size_t]),
        "cotrack_audit_at_us": (ctypes.c_int64, [c_void_p, c_size_t]),
        "cotrack_audit_summary": (None, [c_void_p, c_size_t, _summary_p]),
        "cotrack_visit_create": (c_int, [c_char_p, c_char_p, c_char_p,
                                         _void_pp, _err_p]),
        "cotrack_visit_destroy": (None, [c_void_p]),
        "cotrack_visit_add": (c_int, [c_void_p, c_char_p, c_double, c_char_p,
                                      _err_p]),
        "cotrack_visit_add_items": (c_int, [c_void_p, c_char_p, _double_p,
                                            c_size_t, _err_p]),
        "cotrack_visit_set_comparator": (c_int, [c_void_p, c_char_p, _err_p]),
        "cotrack_visit_set_items": (c_int, [c_void_p, _double_p, c_size_t,
                                            _err_p]),
        "cotrack_visit_commit": (c_int, [c_void_p, c_void_p, _summary_p,
                                         _err_p]),
        "cotrack_summarize": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p,
                                      _void_pp, _err_p]),
        "cotrack_summary_destroy": (None, [c_void_p]),
        "cotrack_summary_unit": (c_char_p, [c_void_p]),
        "cotrack_summary_options": (c_char_p, [c_void_p]),
        "cotrack_summary_patients": (ctypes.c_int64, [c_void_p]),
        "cotrack_summary_row_count": (c_size_t, [c_void_p]),
        "cotrack_summary_row_group": (c_char_p, [c_void_p, c_size_t]),
        "cotrack_summary_row_timepoint": (c_char_p, [c_void_p, c_size_t]),
        "cotrack_summary_row_count_of": (ctypes.c_int64,
                                         [c_void_p, c_size_t, c_int]),
        "cotrack_summary_row_stat": (c_double, [c_void_p, c_size_t, c_int]),
        "cotrack_trajectory_table": (c_int, [c_void_p, c_char_p, c_char_p,
                                             c_char_p, c_char_p, _void_pp,
                                             _err_p]),
        "cotrack_latest_table": (c_int, [c_void_p, c_char_p, c_char_p,
                                         c_char_p, c_int, _void_pp, _err_p]),
        "cotrack_latest_all_table": (c_int, [c_void_p, c_char_p, c_char_p,
                                             _void_pp, _err_p]),
        "cotrack_history_table": (c_int, [c_void_p, c_char_p, c_char_p,
                                          c_char_p, _void_pp, _err_p]),
        "cotrack_summarize_table": (c_int, [c_void_p, c_char_p, c_char_p,
                                            c_char_p, _void_pp, _err_p]),
        "cotrack_record_visit": (c_int, [
            c_void_p, c_char_p, c_char_p, c_char_p, c_size_t, _c_char_p_p,
            _double_p, _c_char_p_p, _c_char_p_p, _summary_p, _err_p]),
        "cotrack_batch_create": (c_void_p, []),
        "cotrack_batch_destroy": (None, [c_void_p]),
        "cotrack_batch_register_patient": (c_int, [
            c_void_p, c_char_p, c_char_p, c_char_p, _c_char_p_p, _c_char_p_p,
            c_size_t, _err_p]),
        "cotrack_batch_record_visit": (c_int, [
            c_void_p, c_char_p, c_char_p, c_char_p, c_size_t, _c_char_p_p,
            _double_p, _c_char_p_p, _c_char_p_p, _err_p]),
        "cotrack_batch_add_visit": (c_int, [c_void_p, c_void_p, _err_p]),
        "cotrack_batch_retract": (c_int, [c_void_p, c_char_p, c_char_p,
                                          c_char_p, c_char_p, _err_p]),
        "cotrack_batch_size": (c_size_t, [c_void_p]),
        "cotrack_batch_commit": (c_int, [c_void_p, c_void_p, _summary_p,
                                         _err_p]),
        # Command-line parity (c.h): option arrays are names, values, count.
        "cotrack_options_set_encryption_key_file": (None, [c_void_p,
                                                           c_char_p]),
        "cotrack_register_patient_as": (c_int, [
            c_void_p, c_char_p, c_char_p, c_char_p, _c_char_p_p, _c_char_p_p,
            c_size_t, c_char_p, c_char_p, _summary_p, _err_p]),
        "cotrack_record_visit_as": (c_int, [
            c_void_p, c_char_p, c_char_p, c_char_p, c_size_t, _c_char_p_p,
            _double_p, _c_char_p_p, _c_char_p_p, c_char_p, c_char_p,
            _summary_p, _err_p]),
        "cotrack_batch_commit_as": (c_int, [c_void_p, c_void_p, c_char_p,
                                            c_char_p, _summary_p, _err_p]),
        "cotrack_batch_register_patient_as": (c_int, [
            c_void_p, c_char_p, c_char_p, c_char_p, _c_char_p_p, _c_char_p_p,
            c_size_t, c_char_p, c_char_p, _err_p]),
        "cotrack_batch_record_visit_as": (c_int, [
            c_void_p, c_char_p, c_char_p, c_char_p, c_size_t, _c_char_p_p,
            _double_p, _c_char_p_p, _c_char_p_p, c_char_p, c_char_p, _err_p]),
        "cotrack_batch_add_visit_as": (c_int, [c_void_p, c_void_p, c_char_p,
                                               c_char_p, _err_p]),
        "cotrack_batch_retract_as": (c_int, [c_void_p, c_char_p, c_char_p,
                                             c_char_p, c_char_p, c_char_p,
                                             _err_p]),
        "cotrack_import": (c_int, [c_void_p, c_char_p, _c_char_p_p,
                                   _c_char_p_p, c_size_t, _void_pp, _err_p]),
        "cotrack_audit_table": (c_int, [c_void_p, c_char_p, _void_pp,
                                        _err_p]),
        "cotrack_derived_table": (c_int, [c_void_p, c_void_p, _void_pp,
                                          _err_p]),
        "cotrack_patients_table": (c_int, [c_void_p, _void_pp, _err_p]),
        "cotrack_measures_table": (c_int, [c_void_p, _void_pp, _err_p]),
        "cotrack_measure_table": (c_int, [c_void_p, c_char_p, _void_pp,
                                          _err_p]),
        "cotrack_visit_table": (c_int, [c_void_p, c_char_p, c_char_p,
                                        _void_pp, _err_p]),
        "cotrack_summary_table": (c_int, [c_void_p, c_char_p, _c_char_p_p,
                                          _c_char_p_p, c_size_t, _void_pp,
                                          _err_p]),
        "cotrack_export": (c_int, [c_void_p, c_char_p, _c_char_p_p,
                                   _c_char_p_p, c_size_t, _void_pp, _err_p]),
        "cotrack_report": (c_int, [c_void_p, c_char_p, _c_char_p_p,
                                   _c_char_p_p, c_size_t, _err_p]),
        "cotrack_plot": (c_int, [c_void_p, c_char_p, c_char_p, _c_char_p_p,
                                 _c_char_p_p, c_size_t, _err_p]),
        "cotrack_measure_add": (c_int, [c_void_p, _c_char_p_p, _c_char_p_p,
                                        c_size_t, _err_p]),
        "cotrack_measure_edit": (c_int, [c_void_p, c_char_p, _c_char_p_p,
                                         _c_char_p_p, c_size_t, _err_p]),
        "cotrack_measure_history_table": (c_int, [c_void_p, c_char_p,
                                                  _void_pp, _err_p]),
        "cotrack_timezone": (c_int, [c_void_p, _void_pp, _err_p]),
        "cotrack_set_timezone": (c_int, [c_void_p, c_char_p, c_int, c_char_p,
                                         _err_p]),
        "cotrack_check": (c_int, [c_char_p, c_void_p, _void_pp, _void_pp,
                                  _err_p]),
        "cotrack_dump": (c_int, [c_char_p, c_void_p, c_char_p, _void_pp,
                                 _err_p]),
        "cotrack_load": (c_int, [c_char_p, c_char_p, c_void_p, _void_pp,
                                 _err_p]),
        "cotrack_backup": (c_int, [c_char_p, c_void_p, c_char_p, _void_pp,
                                   _err_p]),
        "cotrack_backup_verify": (c_int, [c_char_p, c_void_p, _void_pp,
                                          _err_p]),
        "cotrack_restore": (c_int, [c_char_p, c_char_p, c_void_p, _void_pp,
                                    _err_p]),
    }
    signatures.update(_table.declare(lib))
    # Confirmed disability worsening (cotrack_progression).
    signatures["cotrack_progression"] = (c_int, [
        c_void_p, c_char_p, _c_char_p_p, _c_char_p_p, c_size_t, _void_pp,
        _err_p])
    # Kaplan-Meier time to event (cotrack_survival).
    signatures["cotrack_survival"] = (c_int, [
        c_void_p, _c_char_p_p, _c_char_p_p, c_size_t, _void_pp, _err_p])
    for field in _AUDIT_TEXT_FIELDS:
        signatures["cotrack_audit_" + field] = (c_char_p, [c_void_p, c_size_t])
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    # cotrack_record_visit once more, without argtypes (returning int): with
    # them, ctypes calls each of the 11 argument types' from_param, about
    # 1 us of a 24 us visit. Only Database.record_visit calls it, with
    # arguments of exactly the C types (_visit_arrays).
    lib.cotrack_record_visit_unchecked = lib._FuncPtr(("cotrack_record_visit", lib))


_AUDIT_TEXT_FIELDS = ("action", "patient", "detail", "source", "user",
                      "reason")


def _call(fn, *args):
    """Calls a C function whose last argument is char** err; raises on error."""
    err = ctypes.c_void_p()
    code = fn(*args, ctypes.byref(err))
    if code != 0:
        _raise(code, err)


def _raise(code, err):
    """Raises the error a C call returned as `code` and its char** err."""
    lib = _lib()
    message = ctypes.string_at(err.value).decode("utf-8", "replace") \
        if err.value else lib.cotrack_code_name(code).decode()
    lib.cotrack_free(err)
    raise _error(code, message)


def _text(value, name, optional=False):
    if type(value) is str:  # the common case first: every call pays this
        return value.encode()
    if value is None:
        if optional:
            return None
        raise InvalidArgument(f'argument "{name}" must not be None')
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S").encode()
    if isinstance(value, datetime.date):
        return value.isoformat().encode()
    if not isinstance(value, str):
        raise InvalidArgument(
            f'argument "{name}": bad value {value!r} (expected a string)')
    return value.encode("utf-8")


def _parse_time(text, is_date):
    if is_date:
        return datetime.date.fromisoformat(text)
    return datetime.datetime.fromisoformat(text)


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


class Censored(namedtuple("Censored", "comparator limit")):
    """A censored lab value: "<0.5" is Censored("<", 0.5). Not a number."""

    __slots__ = ()

    def __str__(self):
        return f"{self.comparator}{self.limit:g}"


Observation = namedtuple("Observation", [
    "patient", "measure", "date", "value", "unit", "original_value",
    "original_unit", "visit", "status", "version", "recorded_at", "items",
    "source", "user", "reason",
])
Observation.__doc__ = """One stored version of an observation.

date: datetime.date (or datetime.datetime with a time of day); value: float
in `unit` (the measure's canonical unit) or Censored; original_value and
original_unit: as entered; status: "final", "amended" or "entered-in-error";
version: 1, 2, ...; recorded_at: datetime (UTC); items: tuple of item
responses (None = not answered), empty when none were stored; source, user
and reason: where the version came from ("api", "cli" or a file), who wrote
it and why ("" when no reason was given)."""

AuditEntry = namedtuple("AuditEntry", [
    "sequence", "at", "action", "patient", "detail", "source", "user",
    "reason", "summary",
])
AuditEntry.__doc__ = """One entry of the audit log: one write.

sequence: 1, 2, ...; at: datetime (UTC); action: "record", "retract",
"patient", "import", "measure", ...; patient: the patient it concerned (""
when several or none); detail: free text; source, user, reason: where from,
who and why; summary: the write summary as a dict."""

_COMPARATORS = ("<=", ">=", "<", ">")


def _split_value(measure, spec):
    """Turns a record_visit value into (value, unit, comparator, items)."""
    unit, comparator, items = None, "", None
    if isinstance(spec, Censored):  # a tuple too: test it first
        pass
    elif isinstance(spec, dict):
        spec = dict(spec)
        unknown = set(spec) - {"value", "unit", "items"}
        if unknown:
            raise InvalidArgument(
                f'measure "{measure}": unknown keys {sorted(unknown)} '
                '(expected "value", "unit", "items")')
        items = spec.get("items")
        unit = spec.get("unit")
        spec = spec.get("value")
    elif isinstance(spec, tuple):
        if len(spec) != 2:
            raise InvalidArgument(
                f'measure "{measure}": bad value {spec!r} '
                '(expected (value, unit))')
        spec, unit = spec
    if isinstance(spec, Censored):
        comparator, spec = spec.comparator, spec.limit
    elif isinstance(spec, str):
        text = spec.strip()
        for c in _COMPARATORS:
            if text.startswith(c):
                comparator, text = c, text[len(c):].strip()
                break
        try:
            spec = float(text)
        except ValueError:
            raise InvalidArgument(
                f'measure "{measure}": bad value {spec!r} (expected a number, '
                'optionally after <, <=, >= or >)') from None
    if spec is not None and (isinstance(spec, bool)
                             or not isinstance(spec, (int, float))):
        raise InvalidArgument(
            f'measure "{measure}": bad value {spec!r} (expected a number)')
    if spec is None and items is None:
        raise InvalidArgument(f'measure "{measure}": no value and no items')
    return spec, unit, comparator, items


def _double_array(items):
    values = [math.nan if v is None else float(v) for v in items]
    return (ctypes.c_double * len(values))(*values), len(values)


# ---------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------


# A date argument: "2024-07-09", "2024-07-09T14:30", a date or a datetime.
DateLike = Union[str, datetime.date, datetime.datetime]
# A value argument; see Database.record_visit.
ValueSpec = Union[float, int, str, "Censored", Tuple[Any, Optional[str]],
                  Mapping[str, Any]]


def _enter(db):
    """Counts a call in progress on `db` and returns its C handle, so that
    close() waits for calls other threads are making (it frees the handle).
    Every _enter is followed by one _leave."""
    # The plain lock's `with` runs in C; the Condition's would run two
    # Python methods per call (a few microseconds of every write).
    with db._lock:
        handle = db._db
        if handle is None or db._closing:
            raise FailedPrecondition(f"database {db.path!r} is closed")
        db._active += 1
    return handle


def _leave(db):
    with db._lock:
        db._active -= 1
        if db._closing and db._active == 0:
            db._idle.notify_all()


def _in_use(method):
    """Wraps a method in _enter and _leave. The hottest calls (record_visit)
    call those two themselves: forwarding *args and **kwargs through this
    wrapper cost 0.5 us of each call."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        _enter(self)
        try:
            return method(self, *args, **kwargs)
        finally:
            _leave(self)
    return wrapper


def _init_use(db):
    """The state _in_use and close() share."""
    db._lock = threading.Lock()
    db._idle = threading.Condition(db._lock)
    db._active = 0
    db._closing = False


class Database:
    """An open cotrack database; use cotrack.open(). Thread-safe: a handle
    may be shared by threads, and other processes may open the same database
    at the same time (each reads and writes; see docs/EMBEDDING.md)."""

    def __init__(self, path: Union[str, "os.PathLike[str]"],
                 create_if_missing: bool = True, read_only: bool = False,
                 sync: bool = True, user: Optional[str] = None,
                 key_file: Optional[str] = None) -> None:
        lib = _lib()
        self._lib = lib
        self._db = None
        _init_use(self)
        self.path = path
        # For the maintenance calls, which work on the directory (check,
        # dump, backup): the same user and key.
        self._user, self._key_file = user, key_file
        options = _options(lib, user, key_file)
        try:
            lib.cotrack_options_set_create_if_missing(options,
                                                      int(create_if_missing))
            lib.cotrack_options_set_read_only(options, int(read_only))
            lib.cotrack_options_set_sync(options, int(sync))
            handle = ctypes.c_void_p()
            _call(lib.cotrack_open, _text(os.fspath(path), "path"), options,
                  ctypes.byref(handle))
            self._db = handle
        finally:
            lib.cotrack_options_destroy(options)

    # -- lifetime ----------------------------------------------------------

    def close(self) -> None:
        """Closes the database (idempotent). Calls other threads are making
        finish first; later calls raise FailedPrecondition. Writes are
        already durable."""
        with self._idle:
            if self._db is None or self._closing:
                return
            self._closing = True
            while self._active > 0:
                self._idle.wait()
            db, self._db = self._db, None
        self._lib.cotrack_close(db)

    @_in_use
    def snapshot(self) -> "Database":
        """A read snapshot: a read-only Database whose reads all see the
        database as of this call (a visit, a trajectory and a summary that
        agree), while other threads and processes write. Use it in a `with`
        block, or close() it. Writes through it raise FailedPrecondition; if
        the process serving the database exits, its reads raise Locked
        ("snapshot ended"): take a new one."""
        handle = ctypes.c_void_p()
        _call(self._lib.cotrack_snapshot, self._handle(), ctypes.byref(handle))
        snap = Database.__new__(Database)
        snap._lib = self._lib
        snap._db = handle
        snap.path = self.path
        snap._user, snap._key_file = self._user, self._key_file
        _init_use(snap)
        return snap

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: Any) -> bool:
        self.close()
        return False

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _handle(self):
        if self._db is None:
            raise FailedPrecondition(f"database {self.path!r} is closed")
        return self._db

    # -- writes (atomic; durable before returning when sync=True) ----------

    @_in_use
    def register_patient(self, patient: str, arm: Optional[str] = None,
                         index_date: Optional[DateLike] = None,
                         attributes: Optional[Mapping[str, Any]] = None,
                         *, user: Optional[str] = None,
                         reason: Optional[str] = None,
                         **more_attributes: Any) -> Dict[str, int]:
        """Registers `patient` or replaces its registration with exactly
        these attributes (earlier versions are kept), attributed to `user`
        (None = the handle's) for `reason` (as record()). Returns the write
        summary as a dict. (An attribute named "user" or "reason" goes in
        `attributes`.)"""
        keys, values, n = _attribute_arrays(attributes, more_attributes)
        summary = _WriteSummary()
        _call(self._lib.cotrack_register_patient_as, self._handle(),
              _text(patient, "patient"), _text(arm, "arm", optional=True),
              _text(index_date, "index_date", optional=True), keys, values,
              n, _text(user, "user", optional=True),
              _text(reason, "reason", optional=True), ctypes.byref(summary))
        return _summary_dict(summary)

    @_in_use
    def record(self, patient: str, measure: str, date: DateLike,
               value: ValueSpec, unit: Optional[str] = None, *,
               user: Optional[str] = None,
               reason: Optional[str] = None) -> Dict[str, int]:
        """Records one exact value (in `unit`, default canonical).

        `user` and `reason` attribute this write (a handle shared by several
        clinicians names each one's): user None = the handle's (open(user=)),
        reason None = none. Both show in history() and audit()."""
        if isinstance(value, (str, tuple, dict, Censored)):
            return self.record_visit(patient, date, {measure: value},
                                     user=user, reason=reason)
        summary = _WriteSummary()
        _call(self._lib.cotrack_record_as, self._handle(),
              _text(patient, "patient"), _text(measure, "measure"),
              _text(date, "date"), float(value),
              _text(unit, "unit", optional=True),
              _text(user, "user", optional=True),
              _text(reason, "reason", optional=True), ctypes.byref(summary))
        return _summary_dict(summary)

    def record_visit(self, patient: str, date: DateLike,
                     measures: Mapping[str, ValueSpec],
                     visit: Optional[str] = None, *,
                     user: Optional[str] = None,
                     reason: Optional[str] = None) -> Dict[str, int]:
        """Records several measures of one visit, all or nothing, attributed
        to `user` (None = the handle's) for `reason` (as record()).

        `measures` maps a measure code to a number (canonical unit), a
        (value, unit) tuple, a censored string such as "<0.5" (or
        ("<0.5", "ng/L")), a Censored, or a dict with "value", "unit" and
        "items" (item responses; the total is computed when "value" is
        missing). Returns the write summary as a dict."""
        # _enter and _leave rather than @_in_use, and the C call without
        # argtypes: the call applications make most spent 1 to 1.5 us of a
        # first visit's 24 us on them (docs/PERFORMANCE.md).
        lib = self._lib
        summary = _WriteSummary()
        err = ctypes.c_void_p()
        db = _enter(self)  # close() waits for this call to free db
        try:
            arrays = _visit_arrays(patient, date, measures, visit)
            if arrays is None:  # item responses: through the visit builder
                handle = _visit_builder(lib, patient, date, measures, visit)
                try:
                    _call(lib.cotrack_visit_commit_as, db, handle,
                          _text(user, "user", optional=True),
                          _text(reason, "reason", optional=True),
                          ctypes.byref(summary))
                finally:
                    lib.cotrack_visit_destroy(handle)
                return _summary_dict(summary)
            if user is None and reason is None:  # one C call for the visit
                code = lib.cotrack_record_visit_unchecked(
                    db, *arrays, ctypes.byref(summary), ctypes.byref(err))
            else:
                code = lib.cotrack_record_visit_as(
                    db, *arrays, _text(user, "user", optional=True),
                    _text(reason, "reason", optional=True),
                    ctypes.byref(summary), ctypes.byref(err))
        finally:
            _leave(self)
        if code != 0:
            _raise(code, err)
        return _summary_dict(summary)

    @_in_use
    def retract(self, patient: str, measure: str, date: DateLike,
                reason: str, *, user: Optional[str] = None) -> Dict[str, int]:
        """Marks the current value entered-in-error (kept in the history),
        as `user` (None = the handle's) for `reason` (required)."""
        summary = _WriteSummary()
        _call(self._lib.cotrack_retract_as, self._handle(),
              _text(patient, "patient"), _text(measure, "measure"),
              _text(date, "date"), _text(user, "user", optional=True),
              _text(reason, "reason"), ctypes.byref(summary))
        return _summary_dict(summary)

    def batch(self, *, user: Optional[str] = None,
              reason: Optional[str] = None) -> "Batch":
        """A batch of writes committed together in one atomic write:

            with db.batch() as b:
                b.register_patient("P02", arm="control")
                b.record_visit("P02", "2024-02-01", {"edss": 2.0})

        The block commits everything on exit (b.summary is then the write
        summary) and writes nothing when it raises, or when a change is
        invalid (InvalidArgument lists each problem). Without `with`, call
        b.commit() and b.close(). `user` and `reason` attribute every
        change of the batch (as record(); a retraction keeps its own
        reason) that names none itself: b.record_visit(..., user=,
        reason=) and the other methods of the batch attribute one change,
        so that one batch can hold the changes of several people; the
        audit log then has one entry per distinct (user, reason)."""
        return Batch(self, user=user, reason=reason)

    # -- reads (each one consistent snapshot) ------------------------------

    @_in_use
    def trajectory(self, patient: str, measure: str,
                   start: Optional[DateLike] = None,
                   end: Optional[DateLike] = None) -> Result:
        """[(date, value), ...] of current values, oldest first ([] when
        none); a censored value is a Censored. Columns: date, value (float;
        a censored value's limit), comparator ("" when exact). Raises
        NotFound for an unknown patient or measure."""
        lib = self._lib
        table = ctypes.c_void_p()
        _call(lib.cotrack_trajectory_table, self._handle(),
              _text(patient, "patient"), _text(measure, "measure"),
              _text(start, "start", optional=True),
              _text(end, "end", optional=True), ctypes.byref(table))
        try:
            n = lib.cotrack_table_row_count(table)
            dates = _table.times(_table.int64s(lib, table, _SECONDS, n),
                                 _table.int64s(lib, table, _IS_DATE, n))
            values = _table.doubles(lib, table, _VALUE, n)
            comparators = _table.strings(lib, table, _COMPARATOR, n)
        finally:
            lib.cotrack_table_destroy(table)
        if any(comparators):
            shown = [Censored(c, v) if c else v
                     for v, c in zip(values, comparators)]
        else:
            shown = values
        return _table.with_columns(
            list(zip(dates, shown)),
            {"date": dates, "value": values, "comparator": comparators})

    @_in_use
    def observations(self, patient: str, measure: str,
                     start: Optional[DateLike] = None,
                     end: Optional[DateLike] = None, *,
                     derived: bool = False) -> Result:
        """Like trajectory() but full Observation records; columns are the
        Observation fields, with the value split into value and comparator.
        derived=True adds the column "derived" of `cotrack trajectory
        --derived` (AIS band, FIS/MFIS subscales, HbA1c units and eAG, ...)."""
        return self._observations(
            self._lib.cotrack_trajectory_table, self._handle(),
            _text(patient, "patient"), _text(measure, "measure"),
            _text(start, "start", optional=True),
            _text(end, "end", optional=True), derived=derived)

    @_in_use
    def latest(self, patient: str, measure: str,
               as_of: Optional[DateLike] = None) -> Optional[Observation]:
        """The latest current Observation on or before `as_of`, or None."""
        rows = self.latest_n(patient, measure, 1, as_of)
        return rows[0] if rows else None

    @_in_use
    def latest_n(self, patient: str, measure: str, n: int,
                 as_of: Optional[DateLike] = None, *,
                 derived: bool = False) -> Result:
        """The last `n` current Observations, newest first (`cotrack latest
        PATIENT MEASURE -n N`; derived as observations())."""
        return self._observations(
            self._lib.cotrack_latest_table, self._handle(),
            _text(patient, "patient"), _text(measure, "measure"),
            _text(as_of, "as_of", optional=True), int(n), derived=derived)

    @_in_use
    def latest_all(self, patient: str,
                   as_of: Optional[DateLike] = None, *, n: int = 1,
                   derived: bool = False) -> "LatestAll":
        """{measure: Observation} of the latest value of every measure
        (`cotrack latest PATIENT`), ordered by measure code; also as
        columns: .to_dict(), .to_records(), .to_pandas() and .result (the
        Observations as a Result). With n > 1, .result and the columns
        hold the last n values of each measure, newest first, as `cotrack
        latest PATIENT -n N` prints them; the dict still maps each measure
        to its latest."""
        if type(n) is not int or n < 1:  # the engine's message (latest_n)
            raise InvalidArgument(f"n must be at least 1, got {n!r}")
        rows = self._observations(
            self._lib.cotrack_latest_all_table, self._handle(),
            _text(patient, "patient"), _text(as_of, "as_of", optional=True),
            derived=derived)
        if n != 1:
            # As the command: the measures the patient has, each its last n.
            parts = [self.latest_n(patient, o.measure, n, as_of, derived=derived)
                     for o in rows]
            rows = _table.with_columns(
                [r for part in parts for r in part],
                {name: [v for part in parts for v in part._columns[name]]
                 for name in rows.columns})
        return LatestAll(rows)

    @_in_use
    def history(self, patient: str, measure: str, date: DateLike) -> Result:
        """Every version of one observation, oldest first."""
        return self._observations(
            self._lib.cotrack_history_table, self._handle(),
            _text(patient, "patient"), _text(measure, "measure"),
            _text(date, "date"))

    @_in_use
    def audit(self, patient: Optional[str] = None) -> Result:
        """`cotrack audit [--patient P]`: the audit log, oldest first (only
        entries concerning `patient` when given): AuditEntry records, one per
        write, with who made it and why; also as columns (.to_dict(),
        .to_pandas(): sequence, at, action, patient, detail, source, user,
        reason, written, corrected, unchanged, retracted, registrations,
        patient_count). Raises NotFound for a patient never registered, as
        the command does."""
        lib = self._lib
        return _table.read_table(lib, lambda out: _call(
            lib.cotrack_audit_table, self._handle(),
            _text(patient, "patient", optional=True), out), _audit_result)

    @_in_use
    def summary(self, measure: str,
                timepoints: Union[str, Sequence[str], None] = None,
                group_by: Optional[str] = None, **options: Any) -> Result:
        """`cotrack summary MEASURE`: cohort summary rows (dicts) per
        timepoint and group; undefined statistics are None. Columns:
        timepoint, group, the counts, the statistics, unit and parameters
        (every option used, as the command prints it).

        Options as the command's flags (`cotrack summary --help`): at
        (also `timepoints`, a string or a list; default "0,3m,6m,12m"),
        window, lookback, by (also `group_by`; default one group),
        censored, rule. A bad one raises InvalidArgument with the command
        line's message. The result's notes say how many patients had values
        and which could not be analysed (no index date, no baseline, no
        value near a timepoint), as the command prints them."""
        if timepoints is not None:
            options.setdefault("at", timepoints)
        if group_by is not None:
            options.setdefault("by", group_by)
        names, values, n = _option_arrays(options)
        lib = self._lib
        return _table.read_table(lib, lambda out: _call(
            lib.cotrack_summary_table, self._handle(),
            _text(measure, "measure"), names, values, n, out), _rows_and_notes)

    @_in_use
    def progression(self, patient: Optional[str] = None,
                    **options: Any) -> Result:
        """Confirmed disability worsening (CDW, RAW, PIRA) and improvement
        events, as `cotrack progression` (msprog's algorithm and option
        names; docs/PROGRESSION.md): one dict per event for `patient`, or
        everyone when None. Options are the command's flags as keywords,
        underscores for dashes: event="multiple", baseline="roving",
        raw_pira=True, confirm="12w,24w" (or a list), tolerance=(7, "inf"),
        relapse_indep=(0, None, None, None, None, 0), measure="sdmt",
        relapses="relapses.csv", first=True, counts=True (one row per
        patient). True is a flag, False and None leave the option out; None
        inside a sequence is msprog's NULL. The columns are those of
        `cotrack progression --format csv`; undefined numbers are None.
        The result's notes count the patients and events and name the
        patients not analysed, as the command prints them."""
        names, values, n = _option_arrays(options)
        lib = self._lib
        return _table.read_table(lib, lambda out: _call(
            lib.cotrack_progression, self._handle(),
            _text(patient, "patient", optional=True), names, values, n, out),
            _rows_and_notes)

    # ---- Time to event (cotrack survival) ----

    @_in_use
    def survival(self, **options: Any) -> Result:
        """Kaplan-Meier time to the first confirmed EDSS event by group and
        the log-rank test, as `cotrack survival` (cotrack_survival in C).
        Options by the command's flag names, underscores for dashes:
        by="arm", at=["365d", "730d"], event="firstPIRA", baseline="roving",
        confirm="24w", no_intermediate=True, relapses="file.csv",
        plot="km.svg" (also writes the Kaplan-Meier curves there), ...
        One row per group (group, n, events, median, lower, upper in days;
        survival_T, survival_lower_T, survival_upper_T, at_risk_T per at
        time) and a last row with group "log-rank" (chisq, df, p); None
        where a value is undefined (a median never reached). Raises
        InvalidArgument naming a bad option or value. The result's notes
        count the patients and events and name those not analysed."""
        names, values, n = _option_arrays(options)
        lib = self._lib
        return _table.read_table(lib, lambda out: _call(
            lib.cotrack_survival, self._handle(), names, values, n, out),
            _rows_and_notes)

    @_in_use
    def import_file(self, path: Union[str, "os.PathLike[str]"],
                    **options: Any) -> Dict[str, Any]:
        """`cotrack import FILE`: imports one file atomically as the
        handle's user. Options as the command's flags (underscores for
        dashes): format, mapping, ignore_columns, hl7_patient_id_field,
        hl7_patient_id_authority, hl7_patient_id_type, on_error,
        duplicates, reject_file, reason, timezone, index_date
        ("first-visit"), replace_registration, dry_run, no_sync.
        Returns the report: path, format, rows, written, unchanged,
        corrected, retracted, patients, rejected, skipped, reject_file,
        index_dates_set, skipped_by_reason ({reason: rows}) and warnings
        (a list of lines: what the user should know that did not stop the
        import, as the command prints them). Bad rows raise InvalidArgument
        listing each (FILE:LINE: ...); nothing of the file is written.

        A directory holding an OMOP CDM export (measurement.csv) is
        imported as the command does, its person.csv (if any) and then its
        measurement.csv, each atomically; the report is then their counts
        added up, with "files" holding each file's own report."""
        names, values, n = _option_arrays(options)
        lib = self._lib
        reports = _table.read_table(lib, lambda out: _call(
            lib.cotrack_import, self._handle(),
            _text(os.fspath(path), "path"), names, values, n, out),
            _rows_result)
        for report in reports:
            report["skipped_by_reason"] = {
                reason: int(count) for count, reason in
                (line.split("\t", 1)
                 for line in report["skipped_by_reason"].splitlines())}
            report["warnings"] = report["warnings"].splitlines()
        if len(reports) == 1:
            return reports[0]
        total: Dict[str, Any] = {"path": os.fspath(path), "format": "omop",
                                 "files": list(reports)}
        for key in ("rows", "written", "unchanged", "corrected", "retracted",
                    "patients", "rejected", "skipped", "index_dates_set"):
            total[key] = sum(r[key] for r in reports)
        total["reject_file"] = ";".join(r["reject_file"] for r in reports
                                        if r["reject_file"])
        total["skipped_by_reason"] = {}
        for r in reports:
            for reason, count in r["skipped_by_reason"].items():
                total["skipped_by_reason"][reason] = (
                    total["skipped_by_reason"].get(reason, 0) + count)
        total["warnings"] = [w for r in reports for w in r["warnings"]]
        return total

    @_in_use
    def patients(self) -> Result:
        """`cotrack patients`: every registered patient (dicts): patient,
        arm, index_date, treatment_dates, version, recorded_at, then one
        column per attribute ("" where a patient lacks it)."""
        return self._rows(self._lib.cotrack_patients_table, self._handle())

    @_in_use
    def measures(self) -> Result:
        """`cotrack measures`: the catalog (dicts): code, name, unit, min,
        max, step, integer, direction, threshold, other_units, items,
        censorable, builtin."""
        return self._rows(self._lib.cotrack_measures_table, self._handle())

    @_in_use
    def measure(self, code: str) -> Dict[str, Any]:
        """`cotrack measure show CODE`: every field of one measure as a
        dict. Raises NotFound for an unknown code."""
        return self._rows(self._lib.cotrack_measure_table, self._handle(),
                          _text(code, "code"))[0]

    @_in_use
    def visit(self, patient: str, date: DateLike, *,
              derived: bool = False) -> Result:
        """`cotrack visit PATIENT DATE`: every current Observation of
        `patient` on that day, by measure code then time (derived as
        observations())."""
        return self._observations(
            self._lib.cotrack_visit_table, self._handle(),
            _text(patient, "patient"), _text(date, "date"), derived=derived)

    @_in_use
    def add_measure(self, code: str, **options: Any) -> None:
        """`cotrack measure add --code CODE ...`: registers a measure, as
        the handle's user. Options as the command's flags: name, unit, min,
        max (required), step, threshold, direction, convert, unit_synonym,
        loinc, description, reason, integer, no_sync. A bad one raises
        InvalidArgument with the command
        line's message; a code in use by another definition AlreadyExists."""
        names, values, n = _option_arrays(dict(options, code=code))
        _call(self._lib.cotrack_measure_add, self._handle(), names, values, n)

    @_in_use
    def edit_measure(self, code: str, **options: Any) -> None:
        """`cotrack measure edit CODE ...`: changes the definition of a
        registered measure as a new version, as the handle's user. Options
        as the command's flags (those not given keep their value): name,
        unit, min, max, step, threshold, direction, convert, unit_synonym,
        loinc, remove_unit, remove_loinc, description, integer, reason,
        dry_run, no_sync. Raises FailedPrecondition listing the stored
        values the new definition would refuse (nothing changes), or for a
        built-in; NotFound for an unknown code."""
        names, values, n = _option_arrays(options)
        _call(self._lib.cotrack_measure_edit, self._handle(),
              _text(code, "code"), names, values, n)

    @_in_use
    def measure_history(self, code: str) -> Result:
        """`cotrack measure show CODE --history`: every version of the
        measure's definition, oldest first (dicts: version, then the fields
        of measure()). Raises NotFound for an unknown code."""
        return self._rows(self._lib.cotrack_measure_history_table,
                          self._handle(), _text(code, "code"))

    @_in_use
    def timezone(self, zone: Optional[str] = None, force: bool = False,
                 reason: Optional[str] = None) -> str:
        """`cotrack timezone [ZONE] [--force] [--reason R]`: the database's
        IANA time zone ("" when none is set); with `zone`, sets it first, as
        the handle's user. Imports without a timezone option convert
        instants to its civil time. An unknown zone raises InvalidArgument;
        a change once values are stored raises FailedPrecondition unless
        `force` (stored dates are never converted again)."""
        if zone is not None:
            _call(self._lib.cotrack_set_timezone, self._handle(),
                  _text(zone, "zone"), 1 if force else 0,
                  _text(reason, "reason", optional=True))
        out = ctypes.c_void_p()
        _call(self._lib.cotrack_timezone, self._handle(), ctypes.byref(out))
        try:
            return ctypes.string_at(out.value).decode("utf-8")
        finally:
            self._lib.cotrack_free(out)

    @_in_use
    def export(self, out: Union[str, "os.PathLike[str]"],
               **options: Any) -> Dict[str, Any]:
        """`cotrack export --out FILE`: writes the current values to `out`.
        Options as the command's flags: format (csv, ndjson, fhir), measure,
        patient, with_patients, deidentify with deidentify_key (the key's
        file), since and until (only the changes in that interval). Returns
        {"observations": n, "patients": n, "retracted": n, "up_to": instant}
        (up_to: the next run's since; "" for a full export)."""
        names, values, n = _option_arrays(options)
        lib = self._lib
        return _table.read_table(lib, lambda table: _call(
            lib.cotrack_export, self._handle(), _text(os.fspath(out), "out"),
            names, values, n, table), _rows_result)[0]

    @_in_use
    def report(self, out: Union[str, "os.PathLike[str]"] = "report.html",
               **options: Any) -> None:
        """`cotrack report --out FILE`: writes the HTML follow-up report.
        Options as the command's flags: at, window, lookback, by (default
        arm), censored, rule, measure, title, per_patient."""
        names, values, n = _option_arrays(options)
        _call(self._lib.cotrack_report, self._handle(),
              _text(os.fspath(out), "out"), names, values, n)

    @_in_use
    def plot(self, measure: str, out: Union[str, "os.PathLike[str]"],
             **options: Any) -> None:
        """`cotrack plot MEASURE --out FILE`: writes the SVG cohort chart.
        Options as the command's flags: at, window, lookback, by (default
        arm), censored, rule, patient, title."""
        names, values, n = _option_arrays(options)
        _call(self._lib.cotrack_plot, self._handle(),
              _text(measure, "measure"), _text(os.fspath(out), "out"), names,
              values, n)

    # -- maintenance: on the database directory, as `cotrack --db PATH` ----

    def check(self) -> CheckResult:
        """`cotrack check` of this database's directory: cotrack.check()
        with the handle's user and key file."""
        return check(self.path, key_file=self._key_file, user=self._user)

    def dump(self, out: Union[str, "os.PathLike[str]"]) -> Dict[str, Any]:
        """`cotrack dump --out FILE`: the whole database as a dump file;
        returns the counts written (patients, patient_versions,
        observation_versions, measures, audit_entries)."""
        return _maintenance(lambda options, table: _call(
            self._lib.cotrack_dump, _text(os.fspath(self.path), "path"),
            options, _text(os.fspath(out), "out"), table),
            self._user, self._key_file, _rows_result)[0]

    def backup(self, backup_dir: Union[str, "os.PathLike[str]"]
               ) -> Dict[str, Any]:
        """`cotrack backup DIR`: adds an incremental backup to `backup_dir`;
        returns it (backup, created, files, bytes)."""
        return _maintenance(lambda options, out: _call(
            self._lib.cotrack_backup, _text(os.fspath(self.path), "path"),
            options, _text(os.fspath(backup_dir), "backup_dir"), out),
            self._user, self._key_file, _rows_result)[0]

    @staticmethod
    def backup_verify(backup_dir: Union[str, "os.PathLike[str]"],
                      key_file: Optional[str] = None) -> Result:
        """`cotrack backup verify DIR`: every backup in `backup_dir`
        (backup, created, files, bytes, error: "" when good)."""
        lib = _lib()
        return _maintenance(lambda options, out: _call(
            lib.cotrack_backup_verify,
            _text(os.fspath(backup_dir), "backup_dir"), options, out),
            None, key_file, _rows_result)

    @staticmethod
    def restore(backup_dir: Union[str, "os.PathLike[str]"],
                to: Union[str, "os.PathLike[str]"],
                key_file: Optional[str] = None) -> Dict[str, Any]:
        """`cotrack restore DIR --to NEWDB`: restores the latest backup of
        `backup_dir` into the new database `to`; returns the backup
        restored."""
        lib = _lib()
        return _maintenance(lambda options, out: _call(
            lib.cotrack_restore, _text(os.fspath(backup_dir), "backup_dir"),
            _text(os.fspath(to), "to"), options, out),
            None, key_file, _rows_result)[0]

    @staticmethod
    def load(dump_file: Union[str, "os.PathLike[str]"],
             path: Union[str, "os.PathLike[str]"],
             key_file: Optional[str] = None,
             user: Optional[str] = None) -> Dict[str, Any]:
        """`cotrack --db PATH load FILE`: a new database at `path` from a
        dump; returns the counts loaded. Open it with cotrack.open(path)."""
        lib = _lib()
        return _maintenance(lambda options, out: _call(
            lib.cotrack_load, _text(os.fspath(dump_file), "dump_file"),
            _text(os.fspath(path), "path"), options, out),
            user, key_file, _rows_result)[0]

    def _rows(self, fn, *args) -> Result:
        return _table.read_table(self._lib, lambda out: _call(fn, *args, out),
                                 _rows_result)

    def _observations(self, fn, *args, derived=False) -> Result:
        build = _observation_result
        if derived:
            def build(lib, table, n):
                result = _observation_result(lib, table, n)
                result._columns["derived"] = _table.read_table(
                    lib, lambda out: _call(lib.cotrack_derived_table,
                                           self._handle(), table, out),
                    lambda lib, t, n: _table.read_all(lib, t)["derived"])
                return result
        return _table.read_table(self._lib, lambda out: _call(fn, *args, out),
                                 build)

    @_in_use
    def _commit(self, batch, summary, user=None, reason=None) -> None:
        if user is None and reason is None:
            _call(self._lib.cotrack_batch_commit, self._handle(), batch,
                  ctypes.byref(summary))
        else:
            _call(self._lib.cotrack_batch_commit_as, self._handle(), batch,
                  _text(user, "user", optional=True),
                  _text(reason, "reason", optional=True),
                  ctypes.byref(summary))


class LatestAll(dict):
    """{measure: Observation}, which also holds the Observations as columns
    (a Result): .to_dict(), .to_records(), .to_pandas(), .columns."""

    def __init__(self, result: Result) -> None:
        super().__init__()
        for o in result:  # newest first: each measure's first row
            self.setdefault(o.measure, o)
        self.result = result

    @property
    def columns(self) -> List[str]:
        return self.result.columns

    def to_dict(self) -> Dict[str, list]:
        return self.result.to_dict()

    def to_records(self) -> List[Dict[str, Any]]:
        return self.result.to_records()

    def to_pandas(self) -> Any:
        return self.result.to_pandas()


# The columns of an observation table (enum cotrack_observation_column).
(_PATIENT, _MEASURE, _TIME, _SECONDS, _IS_DATE, _VALUE, _COMPARATOR, _UNIT,
 _ORIGINAL_VALUE, _ORIGINAL_UNIT, _VISIT, _STATUS, _VERSION, _RECORDED_AT_US,
 _ITEMS, _SOURCE, _USER, _REASON) = range(18)

_UTC = datetime.timezone.utc


def _observation_result(lib, table, n) -> Result:
    c = _table.read_all(lib, table)
    dates = _table.times(c["seconds"], c["is_date"])
    values = [Censored(cmp, v) if cmp else v
              for v, cmp in zip(c["value"], c["comparator"])]
    recorded = [datetime.datetime.fromtimestamp(us / 1e6, tz=_UTC)
                for us in c["recorded_at_us"]]
    fields = {"patient": c["patient"], "measure": c["measure"], "date": dates,
              "value": values, "unit": c["unit"],
              "original_value": c["original_value"],
              "original_unit": c["original_unit"], "visit": c["visit"],
              "status": c["status"], "version": c["version"],
              "recorded_at": recorded, "items": c["items"],
              "source": c["source"], "user": c["user"], "reason": c["reason"]}
    rows = list(map(Observation._make, zip(*fields.values()))) if n else []
    # The columns keep the value numeric: the limit, with the comparator
    # beside it.
    fields["value"], fields["comparator"] = c["value"], c["comparator"]
    return _table.with_columns(rows, {k: fields[k]
                                      for k in _OBSERVATION_COLUMNS})


def _audit_result(lib, table, n) -> Result:
    c = _table.read_all(lib, table)
    at = [datetime.datetime.fromtimestamp(us / 1e6, tz=_UTC) for us in c["at_us"]]
    rows = [AuditEntry(
        sequence=c["sequence"][i], at=at[i], action=c["action"][i],
        patient=c["patient"][i], detail=c["detail"][i], source=c["source"][i],
        user=c["user"][i], reason=c["reason"][i],
        summary={"written": c["written"][i], "corrected": c["corrected"][i],
                 "unchanged": c["unchanged"][i],
                 "retracted": c["retracted"][i],
                 "patients": c["registrations"][i]})
        for i in range(n)]
    columns = {"sequence": c["sequence"], "at": at}
    columns.update((k, v) for k, v in c.items() if k not in ("sequence", "at_us"))
    return _table.with_columns(rows, columns)


def _rows_result(lib, table, n) -> Result:
    """A table as rows of dicts and columns; NaN (undefined) is None."""
    columns = _table.read_all(lib, table)
    for name, values in columns.items():
        if values and isinstance(values[0], float):
            columns[name] = [None if math.isnan(v) else v for v in values]
    return _table.with_columns(
        [dict(zip(columns, row)) for row in zip(*columns.values())], columns)


def _rows_and_notes(lib, table, n) -> Result:
    """_rows_result, with the table's notes (Result.notes)."""
    return _table.with_notes(lib, table, _rows_result(lib, table, n))


def _option_arrays(options):
    """Keyword options as the C ABI's option arrays: the name of the
    command-line flag (underscores become dashes), its value as text; True
    is a flag (""), False and None leave the option out, a list or tuple is
    joined with commas (None inside it is "null": msprog's NULL, e.g.
    relapse_indep=(0, None, None, None, None, 0))."""
    names, values = [], []
    for key, value in options.items():
        if value is None or value is False:
            continue
        if value is True:
            value = ""
        elif isinstance(value, (list, tuple)):
            value = ",".join("null" if v is None else str(v) for v in value)
        elif isinstance(value, os.PathLike):
            value = os.fspath(value)
        elif not isinstance(value, str):
            value = str(value)
        names.append(key.replace("_", "-").encode())
        values.append(value.encode())
    n = len(names)
    return ((ctypes.c_char_p * n)(*names) if n else None,
            (ctypes.c_char_p * n)(*values) if n else None, n)


def _options(lib, user, key_file):
    """A cotrack_options_t with `user` and `key_file`; the caller destroys
    it."""
    options = lib.cotrack_options_create()
    if not options:
        raise MemoryError("cotrack_options_create")
    if user:
        lib.cotrack_options_set_user(options, _text(user, "user"))
    if key_file:
        lib.cotrack_options_set_encryption_key_file(
            options, _text(os.fspath(key_file), "key_file"))
    return options


def _maintenance(call, user, key_file, build):
    """Runs a maintenance call(options, out) and builds its table."""
    lib = _lib()
    options = _options(lib, user, key_file)
    try:
        return _table.read_table(lib, lambda out: call(options, out), build)
    finally:
        lib.cotrack_options_destroy(options)


def _attribute_arrays(attributes, more):
    attrs = dict(attributes or {})
    attrs.update(more)
    keys = (ctypes.c_char_p * len(attrs))(
        *[_text(k, "attribute name") for k in attrs])
    values = (ctypes.c_char_p * len(attrs))(
        *[_text(str(v), k) for k, v in attrs.items()])
    return keys, values, len(attrs)


# What a visit's C call needs of its tuple of measure codes, by that tuple:
# the count, the codes as a C array and the type of its values' array. An
# application records the same few sets of measures again and again, and
# encoding the codes into a new array was a fifth of the module's time per
# visit. The C side only reads the arrays, so threads share them.
_VISIT_SHAPES: Dict[Tuple[str, ...], Tuple[Any, Any, Any]] = {}
_MAX_VISIT_SHAPES = 256


def _visit_shape(codes):
    shape = _VISIT_SHAPES.get(codes)
    if shape is None:
        encoded = [_text(m, "measure") for m in codes]
        n = len(encoded)
        shape = (ctypes.c_size_t(n), (ctypes.c_char_p * n)(*encoded),
                 ctypes.c_double * n)
        if len(_VISIT_SHAPES) >= _MAX_VISIT_SHAPES:
            _VISIT_SHAPES.clear()
        _VISIT_SHAPES[codes] = shape
    return shape


def _visit_arrays(patient, date, measures, visit):
    """The arguments of cotrack_record_visit for a visit without item
    responses (None when it has some: those take the visit builder), each
    of exactly its C type: Database.record_visit passes them without
    argtypes."""
    codes = tuple(measures)
    if not codes:
        raise InvalidArgument(f'visit of patient "{patient}": no measures')
    values = []
    units = comparators = None
    for k, spec in enumerate(measures.values()):
        kind = type(spec)
        if kind is float or kind is int:  # the common case, without a call
            values.append(float(spec))
            continue
        value, unit, comparator, items = _split_value(codes[k], spec)
        if items is not None:
            return None
        values.append(float(value))
        if unit is not None:
            if units is None:
                units = [None] * len(codes)
            units[k] = _text(unit, "unit")
        if comparator:
            if comparators is None:
                comparators = [None] * len(codes)
            comparators[k] = comparator.encode()
    n, code_array, value_array = _visit_shape(codes)
    return (_text(patient, "patient"), _text(date, "date"),
            _text(visit, "visit", optional=True), n, code_array,
            value_array(*values),
            None if units is None else (ctypes.c_char_p * len(codes))(*units),
            None if comparators is None else
            (ctypes.c_char_p * len(codes))(*comparators))


def _visit_builder(lib, patient, date, measures, visit):
    """A cotrack_visit_t holding the visit; the caller destroys it."""
    handle = ctypes.c_void_p()
    _call(lib.cotrack_visit_create, _text(patient, "patient"),
          _text(date, "date"), _text(visit, "visit", optional=True),
          ctypes.byref(handle))
    try:
        for measure, spec in measures.items():
            value, unit, comparator, items = _split_value(measure, spec)
            code = _text(measure, "measure")
            if value is None:
                array, n = _double_array(items)
                _call(lib.cotrack_visit_add_items, handle, code, array, n)
                continue
            _call(lib.cotrack_visit_add, handle, code, float(value),
                  _text(unit, "unit", optional=True))
            if comparator:
                _call(lib.cotrack_visit_set_comparator, handle,
                      comparator.encode())
            if items is not None:
                array, n = _double_array(items)
                _call(lib.cotrack_visit_set_items, handle, array, n)
    except BaseException:
        lib.cotrack_visit_destroy(handle)
        raise
    return handle


class Batch:
    """Writes collected in memory and committed in one atomic write; see
    Database.batch(). Use from one thread at a time."""

    def __init__(self, db: Database, user: Optional[str] = None,
                 reason: Optional[str] = None) -> None:
        self._db = db
        self._lib = db._lib
        self._user, self._reason = user, reason
        self._batch = self._lib.cotrack_batch_create()
        if not self._batch:
            raise MemoryError("cotrack_batch_create")
        self.summary: Optional[Dict[str, int]] = None

    def _handle(self):
        if not self._batch:
            raise FailedPrecondition("this batch is closed (committed in a "
                                     "`with` block, or close() was called)")
        return self._batch

    def register_patient(self, patient: str, arm: Optional[str] = None,
                         index_date: Optional[DateLike] = None,
                         attributes: Optional[Mapping[str, Any]] = None,
                         *, user: Optional[str] = None,
                         reason: Optional[str] = None,
                         **more_attributes: Any) -> None:
        """As Database.register_patient, when the batch commits. `user` and
        `reason` attribute this change alone (None = the batch's, see
        Database.batch())."""
        keys, values, n = _attribute_arrays(attributes, more_attributes)
        args = (self._handle(), _text(patient, "patient"),
                _text(arm, "arm", optional=True),
                _text(index_date, "index_date", optional=True), keys, values, n)
        if user is None and reason is None:
            _call(self._lib.cotrack_batch_register_patient, *args)
        else:
            _call(self._lib.cotrack_batch_register_patient_as, *args,
                  _text(user, "user", optional=True),
                  _text(reason, "reason", optional=True))

    def record(self, patient: str, measure: str, date: DateLike,
               value: ValueSpec, unit: Optional[str] = None, *,
               user: Optional[str] = None,
               reason: Optional[str] = None) -> None:
        """As Database.record, when the batch commits; `user` and `reason`
        as in record_visit()."""
        if unit is not None and not isinstance(value, (tuple, dict)):
            value = (value, unit)
        self.record_visit(patient, date, {measure: value}, user=user,
                          reason=reason)

    def record_visit(self, patient: str, date: DateLike,
                     measures: Mapping[str, ValueSpec],
                     visit: Optional[str] = None, *,
                     user: Optional[str] = None,
                     reason: Optional[str] = None) -> None:
        """As Database.record_visit, when the batch commits. `user` and
        `reason` attribute these measures alone: one batch may hold the
        changes of several clinicians, each shown with its own user and
        reason by history() and audit() (None = the batch's, see
        Database.batch())."""
        lib = self._lib
        attributed = user is not None or reason is not None
        who = (_text(user, "user", optional=True),
               _text(reason, "reason", optional=True)) if attributed else ()
        arrays = _visit_arrays(patient, date, measures, visit)
        if arrays is not None:
            if attributed:
                _call(lib.cotrack_batch_record_visit_as, self._handle(),
                      *arrays, *who)
            else:
                _call(lib.cotrack_batch_record_visit, self._handle(), *arrays)
            return
        handle = _visit_builder(lib, patient, date, measures, visit)
        try:
            if attributed:
                _call(lib.cotrack_batch_add_visit_as, self._handle(), handle,
                      *who)
            else:
                _call(lib.cotrack_batch_add_visit, self._handle(), handle)
        finally:
            lib.cotrack_visit_destroy(handle)

    def retract(self, patient: str, measure: str, date: DateLike,
                reason: str, *, user: Optional[str] = None) -> None:
        """As Database.retract, when the batch commits, by `user` (None =
        the batch's)."""
        args = (self._handle(), _text(patient, "patient"),
                _text(measure, "measure"), _text(date, "date"))
        if user is None:
            _call(self._lib.cotrack_batch_retract, *args,
                  _text(reason, "reason"))
        else:
            _call(self._lib.cotrack_batch_retract_as, *args,
                  _text(user, "user"), _text(reason, "reason"))

    def __len__(self) -> int:
        """Registrations, observations and retractions added so far."""
        return self._lib.cotrack_batch_size(self._handle())

    def commit(self) -> Dict[str, int]:
        """Writes everything added, all or nothing; returns (and keeps in
        .summary) the write summary. Committing again is a no-op write."""
        summary = _WriteSummary()
        self._db._commit(self._handle(), summary, self._user, self._reason)
        self.summary = _summary_dict(summary)
        return self.summary

    def close(self) -> None:
        """Frees the batch; what was not committed is discarded."""
        batch, self._batch = self._batch, None
        if batch:
            self._lib.cotrack_batch_destroy(batch)

    def __enter__(self) -> "Batch":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self.commit()
        finally:
            self.close()
        return False

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


_COUNTS = ("patients", "missing", "censored", "n", "change_n", "improved",
           "stable", "worsened")
_STATS = ("mean", "sd", "median", "q1", "q3", "min", "max", "change_median",
          "change_mean", "improved_pct", "stable_pct", "worsened_pct")
_OBSERVATION_COLUMNS = ("patient", "measure", "date", "value", "comparator",
                        "unit", "original_value", "original_unit", "visit",
                        "status", "version", "recorded_at", "items",
                        "source", "user", "reason")


def _summary_dict(summary):
    # Spelled out: every write returns one, and getattr by name costs more.
    return {"written": summary.written, "corrected": summary.corrected,
            "unchanged": summary.unchanged, "retracted": summary.retracted,
            "patients": summary.patients}


def check(path: Union[str, "os.PathLike[str]"], *,
          key_file: Optional[str] = None,
          user: Optional[str] = None) -> CheckResult:
    """`cotrack --db PATH check`: verifies every table file and record of
    the database in directory `path`, which need not open (damage that
    stops open() is what this lists) and may be open elsewhere. The
    problems found (dicts: family, key, patient, problem; the first 1,000),
    [] when the database is intact. Its `counts` is the dict the command
    prints beside them: table_files, patients, patient_versions, measures
    (user-registered), series, observations, versions, audit_entries,
    problems (all found) and problems_not_listed (found beyond the rows).
    Raises NotFound when there is no database at `path`."""
    lib = _lib()
    counts = ctypes.c_void_p()

    def build(lib, table, n):
        result = _rows_result(lib, table, n)
        return CheckResult(result, result._columns,
                           _rows_result(lib, counts, 1)[0])

    try:
        return _maintenance(lambda options, out: _call(
            lib.cotrack_check, _text(os.fspath(path), "path"), options, out,
            ctypes.byref(counts)), user, key_file, build)
    finally:
        lib.cotrack_table_destroy(counts)


def open(path: Union[str, "os.PathLike[str]"], create_if_missing: bool = True,
         read_only: bool = False, sync: bool = True,
         user: Optional[str] = None,
         key_file: Optional[str] = None) -> Database:
    """Opens (or creates) the database in directory `path`; use it in a
    `with` block (closed at its end) or close() it.

    sync=False trades power-loss durability for speed (a process crash still
    loses nothing acknowledged). Other processes may have the database open
    too, each reading and writing. Raises Locked only when the process
    holding it does not answer in time. `key_file` opens an encrypted
    database (the command line's --key-file); a new one is created
    encrypted with it."""
    return Database(path, create_if_missing=create_if_missing,
                    read_only=read_only, sync=sync, user=user,
                    key_file=key_file)
