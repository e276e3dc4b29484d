"""Tests of the Python module (python/cotrack) over the C ABI.

Run by ctest as Embed.Python with COTRACK_LIBRARY pointing at the built
libcotrack.so and PYTHONPATH at python/; by hand:
  COTRACK_LIBRARY=build/engine/libcotrack.so.0 PYTHONPATH=python \
      python3 tests/embed/test_python.py
"""
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import cotrack

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "embed", "example.py")
try:
    import pandas  # noqa: F401  (optional: Result.to_pandas)
    HAVE_PANDAS = True
except ImportError:
    HAVE_PANDAS = False



class TempDbTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cotrack-py-")
        self.path = os.path.join(self.dir, "db")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def open(self, **kwargs):
        # sync=False only skips the fsync per write (a process crash still
        # loses nothing); it keeps the suite fast.
        kwargs.setdefault("sync", False)
        return cotrack.open(self.path, **kwargs)


class DatabaseTest(TempDbTest):
    def test_record_visit_and_trajectory(self):
        with self.open() as db:
            db.register_patient("P01", arm="HSCT", index_date="2024-01-10")
            summary = db.record_visit("P01", "2024-01-05", {"edss": 4.0},
                                      visit="BL")
            self.assertEqual(summary["written"], 1)
            db.record_visit("P01", datetime.date(2024, 7, 9),
                            {"edss": 3.5, "hba1c": (48, "mmol/mol")},
                            visit="M6")
            self.assertEqual(db.trajectory("P01", "edss"),
                             [(datetime.date(2024, 1, 5), 4.0),
                              (datetime.date(2024, 7, 9), 3.5)])
            self.assertEqual(
                db.trajectory("P01", "edss", start="2024-02-01"),
                [(datetime.date(2024, 7, 9), 3.5)])

            hba1c = db.latest("P01", "hba1c")
            self.assertAlmostEqual(hba1c.value, 0.09148 * 48 + 2.152)
            self.assertEqual(hba1c.unit, "%")
            self.assertEqual((hba1c.original_value, hba1c.original_unit),
                             ("48", "mmol/mol"))
            self.assertEqual(hba1c.visit, "M6")
            self.assertEqual(hba1c.date, datetime.date(2024, 7, 9))
            self.assertIsNone(db.latest("P01", "il4"))
            self.assertEqual(
                db.latest("P01", "edss", as_of="2024-03-01").value, 4.0)
            self.assertEqual(sorted(db.latest_all("P01")), ["edss", "hba1c"])

    def test_time_of_day_is_kept(self):
        with self.open() as db:
            db.record("P01", "edss", datetime.datetime(2024, 3, 5, 14, 30), 2)
            ((when, value),) = db.trajectory("P01", "edss")
            self.assertEqual(when, datetime.datetime(2024, 3, 5, 14, 30))
            self.assertEqual(value, 2.0)

    def test_censored_values_are_not_numbers(self):
        with self.open() as db:
            db.record_visit("P01", "2024-07-09", {"il4": "<0.5"})
            db.record_visit("P01", "2024-08-09",
                            {"il4": cotrack.Censored("<=", 0.7)})
            values = [v for _, v in db.trajectory("P01", "il4")]
            self.assertEqual(values, [cotrack.Censored("<", 0.5),
                                      cotrack.Censored("<=", 0.7)])
            db.record_visit("P01", "2024-09-09",
                            {"il4": (cotrack.Censored(">", 2.0), "ng/L")})
            self.assertEqual(db.latest("P01", "il4").value,
                             cotrack.Censored(">", 2.0))
            self.assertEqual(str(values[0]), "<0.5")
            with self.assertRaises(TypeError):
                values[0] + 1.0  # never silently used as a number

    def test_items(self):
        items = [1, 2, 1, 0, 3, 2, 1, 1]
        with self.open() as db:
            db.record_visit("P01", "2024-07-09", {"ais": {"items": items}})
            obs = db.latest("P01", "ais")
            self.assertEqual(obs.value, 11.0)
            self.assertEqual(obs.items, tuple(float(i) for i in items))

    def test_corrections_and_retraction_keep_history(self):
        with self.open() as db:
            db.record("P01", "edss", "2024-01-05", 4.0)
            self.assertEqual(db.record("P01", "edss", "2024-01-05", 4.0)
                             ["unchanged"], 1)
            self.assertEqual(db.record("P01", "edss", "2024-01-05", 4.5)
                             ["corrected"], 1)
            db.retract("P01", "edss", "2024-01-05", reason="wrong patient")
            self.assertEqual(db.trajectory("P01", "edss"), [])
            history = db.history("P01", "edss", "2024-01-05")
            self.assertEqual([(h.version, h.status, h.value) for h in history],
                             [(1, "final", 4.0), (2, "amended", 4.5),
                              (3, "entered-in-error", 4.5)])

    def test_summary(self):
        with self.open() as db:
            for pid, arm, bl, m6 in (("P01", "HSCT", 4.0, 3.0),
                                     ("P02", "HSCT", 2.0, 2.0)):
                db.register_patient(pid, arm=arm, index_date="2024-01-10")
                db.record(pid, "edss", "2024-01-05", bl)
                db.record(pid, "edss", "2024-07-10", m6)
            rows = db.summary("edss", ["0", "6m"], group_by="arm")
            self.assertEqual([(r["timepoint"], r["group"], r["n"])
                              for r in rows],
                             [("0", "HSCT", 2), ("6m", "HSCT", 2)])
            self.assertEqual(rows[1]["median"], 2.5)
            self.assertEqual(rows[1]["change_mean"], -0.5)
            with self.assertRaises(cotrack.InvalidArgument):
                db.summary("edss", "0,6x")


class ErrorTest(TempDbTest):
    def test_invalid_value_raises_with_code_and_message(self):
        with self.open() as db:
            with self.assertRaises(cotrack.InvalidArgument) as cm:
                db.record("P01", "edss", "2024-01-05", 0.5)
            self.assertEqual(cm.exception.code, 3)
            self.assertIn("0.5", cm.exception.message)
            self.assertIsInstance(cm.exception, cotrack.Error)
            self.assertIsInstance(cm.exception, ValueError)

    def test_visit_is_all_or_nothing(self):
        with self.open() as db:
            db.register_patient("P01")
            with self.assertRaises(cotrack.InvalidArgument):
                db.record_visit("P01", "2024-01-05",
                                {"hypo": 2, "edss": 0.5})
            self.assertEqual(db.trajectory("P01", "hypo"), [])

    def test_bad_inputs(self):
        with self.open() as db:
            with self.assertRaises(cotrack.InvalidArgument):
                db.record_visit("P01", "2024-02-30", {"edss": 1.0})
            with self.assertRaises(cotrack.InvalidArgument):
                db.record_visit("P01", "2024-02-01", {"edss": "about 3"})
            with self.assertRaises(cotrack.InvalidArgument):
                db.record_visit("P01", "2024-02-01", {"edss": (1.0,)})
            with self.assertRaises(cotrack.NotFound) as cm:
                db.trajectory("P01", "nosuch")
            self.assertEqual(cm.exception.code, 5)
            with self.assertRaises(cotrack.NotFound):
                db.trajectory("P99", "edss")  # unknown patient
            with self.assertRaises(cotrack.NotFound):
                db.retract("P01", "edss", "2020-01-01", reason="typo")

    def test_a_second_process_writes_beside_the_first(self):
        # The first handle holds the database; a second process writes
        # through it and both see the write.
        with self.open() as db:
            db.record("P01", "edss", "2024-01-05", 4.0)
            script = ("import sys, cotrack\n"
                      "with cotrack.open(sys.argv[1], sync=False) as db:\n"
                      "    db.record('P02', 'edss', '2024-02-05', 3.5)\n"
                      "    print(len(db.trajectory('P01', 'edss')))\n")
            out = subprocess.run([sys.executable, "-c", script, self.path],
                                 capture_output=True, text=True, env=os.environ)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout.strip(), "1")
            self.assertEqual(len(db.trajectory("P02", "edss")), 1)

    def test_close_while_other_threads_read(self):
        # Every call either finishes or raises "closed"; the process never
        # crashes (it did, 5 of 5 runs, before calls were counted).
        db = self.open()
        db.record("P01", "edss", "2024-01-05", 4.0)
        outcomes = {"ok": 0, "closed": 0, "other": []}
        started = threading.Barrier(5)

        def reader():
            started.wait()
            while True:  # until the handle is closed
                try:
                    db.trajectory("P01", "edss")
                    outcomes["ok"] += 1
                except cotrack.FailedPrecondition as e:
                    self.assertIn("closed", e.message)
                    outcomes["closed"] += 1
                    return
                except Exception as e:  # noqa: BLE001 - recorded and asserted
                    outcomes["other"].append(repr(e))
                    return

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        started.wait()
        db.close()
        for t in threads:
            t.join()
        self.assertEqual(outcomes["other"], [])
        self.assertEqual(outcomes["closed"], 4)

    def test_close_while_other_threads_record_visits(self):
        # record_visit counts its call itself (not through @_in_use): each
        # visit either is written whole or raises "closed", and close()
        # frees the handle only after the visits in progress.
        db = self.open()
        db.register_patient("P01")
        outcomes = {"ok": 0, "closed": 0, "other": []}
        started = threading.Barrier(5)
        lock = threading.Lock()

        def writer(k):
            started.wait()
            day = datetime.date(2024, 1, 1) + datetime.timedelta(days=k * 10000)
            while True:  # until the handle is closed
                day += datetime.timedelta(days=1)
                try:
                    db.record_visit("P01", day, {"edss": 1.0, "hba1c": 6.0})
                    with lock:
                        outcomes["ok"] += 1
                except cotrack.FailedPrecondition as e:
                    self.assertIn("closed", e.message)
                    with lock:
                        outcomes["closed"] += 1
                    return
                except Exception as e:  # noqa: BLE001 - recorded and asserted
                    outcomes["other"].append(repr(e))
                    return

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        started.wait()
        time.sleep(0.05)
        db.close()
        for t in threads:
            t.join()
        self.assertEqual(outcomes["other"], [])
        self.assertEqual(outcomes["closed"], 4)
        with self.open() as db:
            self.assertEqual(len(db.trajectory("P01", "edss")), outcomes["ok"])
            self.assertEqual(len(db.trajectory("P01", "hba1c")), outcomes["ok"])
        with self.assertRaises(cotrack.FailedPrecondition):
            db.record_visit("P01", "2024-01-01", {"edss": 1.0})

    def test_a_snapshot_reads_one_point_in_time(self):
        with self.open() as db:
            db.record_visit("P01", "2024-01-05", {"edss": 4.0, "hba1c": 6.1})
            with db.snapshot() as snap:
                db.record_visit("P01", "2024-07-05", {"edss": 4.5, "hba1c": 6.3})
                self.assertEqual(len(snap.trajectory("P01", "edss")), 1)
                self.assertEqual(len(snap.trajectory("P01", "hba1c")), 1)
                self.assertEqual(len(db.trajectory("P01", "edss")), 2)
                with self.assertRaises(cotrack.FailedPrecondition):
                    snap.record("P01", "edss", "2025-01-01", 5.0)

    def test_a_handle_does_not_cross_fork(self):
        with self.open() as db:
            db.record("P01", "edss", "2024-01-05", 4.0)
            pid = os.fork()
            if pid == 0:  # the child: the parent's handle refuses clearly
                code = 3
                try:
                    db.trajectory("P01", "edss")
                except cotrack.FailedPrecondition as e:
                    code = 0 if "fork" in e.message else 4
                except BaseException:  # noqa: BLE001 - any other outcome fails
                    code = 5
                os._exit(code)
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
            self.assertEqual(len(db.trajectory("P01", "edss")), 1)

    def test_closed_database(self):
        db = self.open()
        db.close()
        db.close()  # idempotent
        with self.assertRaises(cotrack.Error):
            db.trajectory("P01", "edss")

    def test_read_only_and_missing(self):
        with self.assertRaises(cotrack.Error):
            self.open(create_if_missing=False)
        with self.open() as db:
            db.record("P01", "edss", "2024-01-05", 4.0)
        with self.open(read_only=True) as db:
            self.assertEqual(len(db.trajectory("P01", "edss")), 1)
            with self.assertRaises(cotrack.Error):
                db.record("P01", "edss", "2024-02-05", 4.0)


class PatientIdRuleTest(TempDbTest):
    """Issue 16: one identity rule for patient ids on every write."""

    RULE = "a patient id of 1 to 128 bytes of UTF-8"
    BAD = [("", "it is empty"),
           (" ", "starts with whitespace"),
           (" P1", "starts with whitespace"),
           ("P1 ", "ends with whitespace"),
           ("P\t1", "control character U+0009"),
           ("P\n1", "control character U+000A"),
           ("P\x01", "control character U+0001"),
           ("x" * 129, "it has 129 bytes")]
    GOOD = ["P-001", "\u00fcn\u00efcode-1", "y" * 128]

    def test_bad_ids_are_refused_and_nothing_is_written(self):
        with self.open() as db:
            for pid, broke in self.BAD:
                writes = [
                    lambda: db.record(pid, "edss", "2024-01-05", 4.0),
                    lambda: db.record_visit(pid, "2024-01-05",
                                            {"edss": 4.0, "hba1c": 6.5}),
                    lambda: db.register_patient(pid, arm="A"),
                ]
                for write in writes:
                    with self.assertRaises(cotrack.InvalidArgument,
                                           msg=repr(pid)) as cm:
                        write()
                    self.assertIn(broke, cm.exception.message)
                    self.assertIn(self.RULE, cm.exception.message)
                with self.assertRaises(cotrack.Error, msg=repr(pid)):
                    db.trajectory(pid, "edss")  # never became a patient

    def test_good_ids_are_accepted(self):
        with self.open() as db:
            for pid in self.GOOD:
                db.record(pid, "edss", "2024-01-05", 4.0)
                db.register_patient(pid, arm="A")
                self.assertEqual(len(db.trajectory(pid, "edss")), 1)

    def test_converted_values_and_statistics_have_no_binary_noise(self):
        with self.open() as db:
            db.record("P01", "hba1c", "2024-01-05", 51, "mmol/mol")
            hba1c = db.latest("P01", "hba1c")
            self.assertEqual(hba1c.value, 6.81748)  # not 6.817480000000001
            self.assertEqual((hba1c.original_value, hba1c.original_unit),
                             ("51", "mmol/mol"))
            for pid in ("P02", "P03"):
                db.register_patient(pid, index_date="2024-01-10")
                db.record(pid, "hba1c", "2024-01-05", 51, "mmol/mol")
            db.register_patient("P01", index_date="2024-01-10")
            row = db.summary("hba1c", "0")[0]
            self.assertEqual((row["n"], row["mean"], row["sd"]),
                             (3, 6.81748, 0.0))

    def test_summary_by_an_unknown_attribute_is_an_error(self):
        with self.open() as db:
            db.register_patient("P01", arm="A", index_date="2024-01-10",
                                attributes={"sex": "F"})
            db.record("P01", "edss", "2024-01-05", 4.0)
            with self.assertRaises(cotrack.InvalidArgument) as cm:
                db.summary("edss", "0", group_by="nonexistent")
            self.assertIn('group_by "nonexistent"', cm.exception.message)
            self.assertIn('"arm" or a patient attribute: "sex"',
                          cm.exception.message)
            self.assertEqual(
                [r["group"] for r in db.summary("edss", "0", group_by="sex")],
                ["F"])


class ManyProcessesTest(TempDbTest):
    """Python, C ABI and command-line processes write one database at once.

    Nobody holds it at the start: the first process to open it serves the
    others, and each time the serving process finishes, another takes over
    while the rest keep writing. Every write a process saw acknowledged must
    be in the database afterwards, exactly once, and `cotrack check` must
    pass."""

    PY_WRITER = (
        "import sys, cotrack\n"
        "path, patient, n = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
        "with cotrack.open(path, sync=False) as db:\n"
        "    for i in range(n):\n"
        "        date = '%04d-%02d-%02d' % (2000 + i // 336, 1 + (i // 28) % 12,\n"
        "                                   1 + i % 28)\n"
        "        value = 1 + (i % 19) / 2\n"
        "        db.record(patient, 'edss', date, value)\n"
        "        print('ack', date, '%g' % value, flush=True)\n"
        "        seen = len(db.trajectory(patient, 'edss'))\n"
        "        if seen != i + 1:\n"
        "            sys.exit('read %d values after %d writes' % (seen, i + 1))\n")

    def cli_importer(self, patient, files, rows):
        """A shell loop a cron job might run: one `cotrack import` per file."""
        lines = []
        for f in range(files):
            csv = os.path.join(self.dir, "%s-%d.csv" % (patient, f))
            with open(csv, "w") as out:
                out.write("patient,measure,date,value\n")
                for r in range(rows):
                    i = f * rows + r
                    out.write("%s,edss,%04d-%02d-%02d,%g\n" % (
                        patient, 2000 + i // 336, 1 + (i // 28) % 12, 1 + i % 28,
                        1 + (i % 19) / 2))
            lines.append('"$1" --db "$2" import "%s" >/dev/null || exit 1' % csv)
            lines.append('echo "ack %s"' % csv)
        return ["sh", "-c", "\n".join(lines), "sh", os.environ["COTRACK_CLI"],
                self.path]

    def test_python_c_and_cli_processes_write_at_once(self):
        for tool in ("COTRACK_C_WRITER", "COTRACK_CLI"):
            if not os.environ.get(tool):
                self.fail("%s is not set (ctest sets it; see "
                          "tests/embed/CMakeLists.txt)" % tool)
        n, files, rows = 120, 8, 15
        jobs = {}
        for k in range(3):
            jobs["PY%d" % k] = [sys.executable, "-c", self.PY_WRITER,
                                self.path, "PY%d" % k, str(n)]
        for k in range(2):
            jobs["C%d" % k] = [os.environ["COTRACK_C_WRITER"], self.path,
                               "C%d" % k, str(n)]
        for k in range(2):
            jobs["CLI%d" % k] = self.cli_importer("CLI%d" % k, files, rows)
        procs = {name: subprocess.Popen(argv, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
                 for name, argv in jobs.items()}
        acks, failed = {}, []
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=150)
            if proc.returncode != 0:
                failed.append("%s exited with %d: %s" % (name, proc.returncode, err))
            acks[name] = [line.split()[1:] for line in out.splitlines()
                          if line.startswith("ack ")]
        self.assertEqual(failed, [])

        with self.open() as db:
            for name in procs:
                got = {(o.date.isoformat(), o.value)
                       for o in db.observations(name, "edss")}
                if name.startswith("CLI"):
                    self.assertEqual(len(acks[name]), files, name)
                    self.assertEqual(len(got), files * rows, name)
                    continue
                self.assertEqual(len(acks[name]), n, name)
                expected = {(date, float(value)) for date, value in acks[name]}
                self.assertEqual(got, expected, name)
        check = subprocess.run([os.environ["COTRACK_CLI"], "--db", self.path,
                                "check"], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)


class AttributionTest(TempDbTest):
    """One handle of a web application, shared by its clinicians: each
    write says who makes it and why."""

    def expect_attributed(self, db):
        history = db.history("P01", "edss", "2024-01-05")
        self.assertEqual([(h.version, h.user, h.reason, h.source)
                          for h in history],
                         [(1, "dr.ada", "baseline visit", "api"),
                          (2, "dr.bo", "re-scored the FS", "api")])
        hba1c = db.history("P01", "hba1c", "2024-01-05")
        self.assertEqual([(h.status, h.user, h.reason) for h in hba1c],
                         [("final", "dr.ada", "baseline visit"),
                          ("entered-in-error", "dr.bo",
                           "sample of another patient")])
        later = db.history("P01", "edss", "2024-07-05")
        self.assertEqual([(h.user, h.reason) for h in later],
                         [("webapp", "")])
        audit = db.audit("P01")
        self.assertEqual([(a.action, a.user, a.reason) for a in audit],
                         [("record", "dr.ada", "baseline visit"),
                          ("record", "dr.bo", "re-scored the FS"),
                          ("retract", "dr.bo", "sample of another patient"),
                          ("record", "webapp", "")])
        self.assertEqual([a.sequence for a in audit], [1, 2, 3, 4])
        self.assertEqual(audit[2].summary["retracted"], 1)
        self.assertEqual(audit[0].patient, "P01")
        self.assertIsInstance(audit[0].at, datetime.datetime)

    def write_as_two_clinicians(self, db):
        db.record_visit("P01", "2024-01-05",
                        {"edss": 3.0, "hba1c": (48, "mmol/mol")},
                        user="dr.ada", reason="baseline visit")
        self.assertEqual(db.record("P01", "edss", "2024-01-05", 3.5,
                                   user="dr.bo", reason="re-scored the FS")
                         ["corrected"], 1)
        db.retract("P01", "hba1c", "2024-01-05",
                   reason="sample of another patient", user="dr.bo")
        db.record("P01", "edss", "2024-07-05", 4.0)  # the handle's user

    def test_a_shared_handle_writes_as_each_clinician(self):
        with self.open(user="webapp") as db:
            self.write_as_two_clinicians(db)
            self.expect_attributed(db)
            self.assertEqual(db.audit(), db.audit("P01"))
            # As `cotrack audit --patient nobody`: an unknown patient.
            with self.assertRaises(cotrack.NotFound):
                db.audit("nobody")

    def test_from_a_process_the_database_is_served_to(self):
        # This process holds the database; the writes come over the socket.
        with self.open(user="holder") as db:
            script = (
                "import sys, cotrack\n"
                "with cotrack.open(sys.argv[1], sync=False, user='webapp') as db:\n"
                "    db.record_visit('P01', '2024-01-05', {'edss': 3.0,\n"
                "                    'hba1c': (48, 'mmol/mol')},\n"
                "                    user='dr.ada', reason='baseline visit')\n"
                "    db.record('P01', 'edss', '2024-01-05', 3.5, user='dr.bo',\n"
                "              reason='re-scored the FS')\n"
                "    db.retract('P01', 'hba1c', '2024-01-05', user='dr.bo',\n"
                "               reason='sample of another patient')\n"
                "    db.record('P01', 'edss', '2024-07-05', 4.0)\n")
            out = subprocess.run([sys.executable, "-c", script, self.path],
                                 capture_output=True, text=True, env=os.environ)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.expect_attributed(db)

    def test_each_change_of_a_batch_keeps_its_own_user_and_reason(self):
        with self.open(user="webapp") as db:
            db.record("P01", "edss", "2024-01-05", 3.0, user="dr.ada",
                      reason="baseline visit")
            # One atomic write of a ward round: Dr Bo re-scores P01 and
            # retracts its HbA1c, Dr Cy records P02 (with an item-scored
            # measure: the visit-builder path), the batch's own user the rest.
            with db.batch(user="ward", reason="round") as b:
                b.record("P01", "edss", "2024-01-05", 3.5, user="dr.bo",
                         reason="re-scored the FS")
                b.record_visit("P02", "2024-01-05", {"edss": 2.0},
                               user="dr.cy", reason="new referral")
                b.record_visit("P02", "2024-01-05",
                               {"mfis": {"items": [1] * 21}},
                               user="dr.cy", reason="new referral")
                b.register_patient("P03", arm="control", user="dr.bo",
                                   reason="re-scored the FS")
                b.record("P03", "edss", "2024-01-05", 1.0)
            self.assertEqual(b.summary["corrected"], 1)
            self.assertEqual(b.summary["written"], 3)
            self.assertEqual(
                [(h.version, h.user, h.reason)
                 for h in db.history("P01", "edss", "2024-01-05")],
                [(1, "dr.ada", "baseline visit"),
                 (2, "dr.bo", "re-scored the FS")])
            self.assertEqual(
                [(h.user, h.reason)
                 for h in db.history("P02", "mfis", "2024-01-05")],
                [("dr.cy", "new referral")])
            self.assertEqual(
                [(h.user, h.reason)
                 for h in db.history("P03", "edss", "2024-01-05")],
                [("ward", "round")])
            audit = db.audit()
            self.assertEqual(
                [(a.user, a.reason, a.summary["written"],
                  a.summary["corrected"], a.summary["patients"])
                 for a in audit],
                [("dr.ada", "baseline visit", 1, 0, 1),
                 ("dr.bo", "re-scored the FS", 0, 1, 1),
                 ("dr.cy", "new referral", 2, 0, 1),
                 ("ward", "round", 1, 0, 0)])
            self.assertEqual([a.patient for a in audit[1:]],
                             ["", "P02", "P03"])
            self.assertEqual(len({a.at for a in audit[1:]}), 1)  # one write
            # A retraction names its own user; "" is refused when added.
            with db.batch() as b:
                b.retract("P01", "edss", "2024-01-05", user="dr.cy",
                          reason="wrong patient")
                with self.assertRaises(cotrack.InvalidArgument):
                    b.record("P01", "edss", "2024-02-05", 3.0, user="")
                self.assertEqual(len(b), 1)
            self.assertEqual(db.audit()[-1][5:8],
                             ("api", "dr.cy", "wrong patient"))

    def test_bad_users_and_reasons_are_refused(self):
        with self.open(user="webapp") as db:
            for user in ("", "dr.\x1b[31m", " ", "x" * 129):
                with self.assertRaises(cotrack.InvalidArgument) as e:
                    db.record("P01", "edss", "2024-01-05", 3.0, user=user)
                self.assertIn("user", e.exception.message)
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.record_visit("P01", "2024-01-05", {"edss": 3.0},
                                reason="typo\x07")
            self.assertIn("reason", e.exception.message)
            self.assertEqual(db.audit(), [])
            with self.assertRaises(TypeError):
                db.record("P01", "edss", "2024-01-05", 3.0, None, "dr.ada")


class ExampleTest(TempDbTest):
    def test_example_prints_the_documented_output(self):
        out = subprocess.run([sys.executable, EXAMPLE, self.path],
                             check=True, capture_output=True, text=True).stdout
        self.assertEqual(out, "P01 edss 2024-01-05 4\n"
                              "P01 edss 2024-07-09 3.5\n"
                              "P01 hba1c latest 2024-07-09 6.54 % "
                              "(entered 48 mmol/mol)\n")

    def test_library_and_version(self):
        self.assertEqual(cotrack.version(), "0.1.0")
        if os.environ.get("COTRACK_LIBRARY"):
            self.assertEqual(cotrack.library_path(),
                             os.environ["COTRACK_LIBRARY"])


class ResultTest(TempDbTest):
    """Results as columns: to_dict, to_records, to_pandas."""

    def fill(self, db):
        db.register_patient("P01", arm="HSCT", index_date="2024-01-10")
        db.record_visit("P01", "2024-01-05", {"edss": 4.0, "il4": 1.5},
                        visit="BL")
        db.record_visit("P01", "2024-07-09", {"edss": 3.5, "il4": "<0.5"},
                        visit="M6")
        db.record("P01", "edss", datetime.datetime(2024, 9, 1, 8, 15), 3.0)

    def test_trajectory_columns(self):
        with self.open() as db:
            self.fill(db)
            t = db.trajectory("P01", "edss")
            self.assertIsInstance(t, cotrack.Result)
            self.assertIsInstance(t, list)  # still the list it always was
            self.assertEqual(t.columns, ["date", "value", "comparator"])
            self.assertEqual(t.to_dict(), {
                "date": [datetime.date(2024, 1, 5), datetime.date(2024, 7, 9),
                         datetime.datetime(2024, 9, 1, 8, 15)],
                "value": [4.0, 3.5, 3.0], "comparator": ["", "", ""]})
            self.assertEqual(t.to_records()[1], {
                "date": datetime.date(2024, 7, 9), "value": 3.5,
                "comparator": ""})
            empty = db.trajectory("P01", "edss", start="2030-01-01")
            self.assertEqual(empty, [])
            self.assertEqual(empty.to_dict(),
                             {"date": [], "value": [], "comparator": []})
            self.assertEqual(empty.to_records(), [])

    def test_censored_values_in_numeric_columns(self):
        with self.open() as db:
            self.fill(db)
            t = db.trajectory("P01", "il4")
            # Rows keep a censored value out of arithmetic ...
            self.assertEqual([v for _, v in t],
                             [1.5, cotrack.Censored("<", 0.5)])
            # ... columns keep it numeric, its comparator beside it.
            self.assertEqual(t.to_dict()["value"], [1.5, 0.5])
            self.assertTrue(all(type(v) is float for v in t.to_dict()["value"]))
            self.assertEqual(t.to_dict()["comparator"], ["", "<"])
            obs = db.observations("P01", "il4").to_dict()
            self.assertEqual(obs["value"], [1.5, 0.5])
            self.assertEqual(obs["comparator"], ["", "<"])
            self.assertEqual(obs["visit"], ["BL", "M6"])

    def test_observation_rows_and_columns(self):
        with self.open() as db:
            self.fill(db)
            db.record_visit("P01", "2024-07-09", {"hba1c": (48, "mmol/mol")})
            rows = db.observations("P01", "hba1c")
            self.assertIsInstance(rows[0], cotrack.Observation)
            self.assertEqual(rows.columns, [
                "patient", "measure", "date", "value", "comparator", "unit",
                "original_value", "original_unit", "visit", "status",
                "version", "recorded_at", "items", "source", "user",
                "reason"])
            (record,) = rows.to_records()
            self.assertEqual((record["unit"], record["original_value"],
                              record["original_unit"], record["version"]),
                             ("%", "48", "mmol/mol", 1))
            self.assertAlmostEqual(record["value"], 0.09148 * 48 + 2.152)
            history = db.history("P01", "edss", "2024-01-05").to_dict()
            self.assertEqual(history["status"], ["final"])

    def test_summary_columns(self):
        with self.open() as db:
            self.fill(db)
            s = db.summary("edss", "0", group_by="arm")
            self.assertEqual(s[0]["group"], "HSCT")
            self.assertEqual(s.to_dict()["n"], [1])
            self.assertEqual(s.to_dict()["sd"], [None])
            self.assertEqual(s.to_records(), list(s))

    @unittest.skipUnless(HAVE_PANDAS, "pandas is not installed (CI installs "
                         "python3-pandas: .ci/setup.sh)")
    def test_to_pandas(self):
        import pandas
        with self.open() as db:
            self.fill(db)
            frame = db.trajectory("P01", "il4").to_pandas()
            self.assertIsInstance(frame, pandas.DataFrame)
            self.assertEqual(list(frame.columns), ["date", "value", "comparator"])
            self.assertEqual(str(frame["value"].dtype), "float64")
            self.assertEqual(frame["value"].tolist(), [1.5, 0.5])
            self.assertEqual(frame["comparator"].tolist(), ["", "<"])
            self.assertEqual(frame["date"].dt.month.tolist(), [1, 7])
            times = db.trajectory("P01", "edss").to_pandas()["date"]
            self.assertEqual(times.dt.hour.tolist(), [0, 0, 8])
            obs = db.observations("P01", "edss").to_dataframe()
            self.assertEqual(len(obs), 3)
            self.assertEqual(obs["version"].tolist(), [1, 1, 1])
            summary = db.summary("edss", "0").to_pandas()
            self.assertTrue(summary["sd"].isna().all())

    def test_to_pandas_without_pandas_says_so(self):
        with self.open() as db:
            self.fill(db)
            t = db.trajectory("P01", "edss")
        saved = sys.modules.get("pandas")
        sys.modules["pandas"] = None  # makes `import pandas` fail
        try:
            with self.assertRaises(ImportError) as cm:
                t.to_pandas()
            self.assertIn("needs pandas", str(cm.exception))
            self.assertIn("to_dict()", str(cm.exception))
        finally:
            if saved is None:
                del sys.modules["pandas"]
            else:
                sys.modules["pandas"] = saved


class BatchTest(TempDbTest):
    """with db.batch(): one atomic write on exit, nothing on an exception."""

    def test_a_batch_commits_on_exit(self):
        with self.open() as db:
            with db.batch() as b:
                b.register_patient("P01", arm="HSCT", index_date="2024-01-10",
                                   sex="F")
                b.record("P01", "edss", "2024-01-05", 4.0)
                b.record("P01", "hba1c", "2024-01-05", 48, unit="mmol/mol")
                b.record_visit("P01", "2024-07-09",
                               {"edss": 3.5, "il4": "<0.5",
                                "ais": {"items": [1, 2, 1, 0, 3, 2, 1, 1]}},
                               visit="M6")
                self.assertEqual(len(b), 6)
                # nothing is visible before the block ends
                with self.assertRaises(cotrack.NotFound):
                    db.trajectory("P01", "edss")
            self.assertEqual(b.summary["written"], 5)
            self.assertEqual(b.summary["patients"], 1)
            self.assertEqual([v for _, v in db.trajectory("P01", "edss")],
                             [4.0, 3.5])
            self.assertEqual(db.latest("P01", "il4").value,
                             cotrack.Censored("<", 0.5))
            self.assertEqual(db.latest("P01", "ais").value, 11.0)
            self.assertEqual(db.latest("P01", "hba1c").original_unit,
                             "mmol/mol")
            with self.assertRaises(cotrack.FailedPrecondition):
                b.record("P01", "edss", "2025-01-05", 4.0)  # closed

    def test_an_exception_discards_the_batch(self):
        with self.open() as db:
            db.record("P01", "edss", "2024-01-05", 4.0)
            with self.assertRaises(KeyError):
                with db.batch() as b:
                    b.record("P01", "edss", "2024-07-05", 3.0)
                    b.retract("P01", "edss", "2024-01-05", reason="typo")
                    b.record("P02", "edss", "2024-07-05", 3.0)
                    raise KeyError("the application fails half-way")
            self.assertEqual(db.trajectory("P01", "edss"),
                             [(datetime.date(2024, 1, 5), 4.0)])
            with self.assertRaises(cotrack.NotFound):
                db.trajectory("P02", "edss")
            self.assertEqual(len(db.history("P01", "edss", "2024-01-05")), 1)

    def test_an_invalid_change_writes_nothing(self):
        with self.open() as db:
            with self.assertRaises(cotrack.InvalidArgument) as cm:
                with db.batch() as b:
                    b.record("P01", "edss", "2024-01-05", 4.0)
                    b.record("P02", "edss", "2024-01-05", 0.5)  # no such EDSS
            self.assertIn("0.5", cm.exception.message)
            with self.assertRaises(cotrack.NotFound):
                db.trajectory("P01", "edss")
            # syntax errors are raised by the call that adds them
            with db.batch() as b:
                with self.assertRaises(cotrack.InvalidArgument):
                    b.record("P01", "edss", "2024-02-30", 4.0)
                b.record("P01", "edss", "2024-03-01", 4.0)
            self.assertEqual(len(db.trajectory("P01", "edss")), 1)

    def test_commit_by_hand_and_retractions(self):
        with self.open() as db:
            db.record("P01", "edss", "2024-01-05", 4.0)
            b = db.batch()
            b.retract("P01", "edss", "2024-01-05", reason="wrong patient")
            self.assertEqual(b.commit()["retracted"], 1)
            b.close()
            self.assertEqual(db.trajectory("P01", "edss"), [])
            b = db.batch()
            b.record("P01", "edss", "2024-02-05", 4.0)
            b.close()  # never committed: discarded
            self.assertEqual(db.trajectory("P01", "edss"), [])


class ProgressionTest(TempDbTest):
    """Database.progression: `cotrack progression` through the C ABI, the
    options as keyword arguments."""

    def test_options_by_msprogs_names_and_events_as_rows(self):
        with self.open() as db:
            for date, edss in [("2024-01-01", 4.0), ("2024-04-01", 3.0),
                               ("2024-07-01", 3.0), ("2024-10-01", 4.0),
                               ("2025-01-01", 4.0)]:
                db.record_visit("P1", date, {"edss": edss})
            # msprog's default: the first CDW from a fixed baseline.
            self.assertEqual(list(db.progression()), [])
            rows = db.progression("P1", event="multiple", baseline="roving",
                                  raw_pira=True, confirm=["12w"],
                                  tolerance=(7, "inf"),
                                  relapse_indep=(0, 0, 90, 30, 90, 30))
            self.assertEqual([(r["event"], r["date"]) for r in rows],
                             [("CDI", "2024-04-01"), ("CDW", "2024-10-01")])
            self.assertEqual(rows[1]["baseline_value"], 3.0)
            self.assertEqual(rows[1]["type"], "PIRA")
            self.assertEqual(rows[1]["nevent"], 2)
            self.assertIn("event=multiple raw-pira=yes baseline=roving",
                          rows[0]["parameters"])
            self.assertIn("conf84_date", rows.columns)
            with self.assertRaisesRegex(cotrack.InvalidArgument,
                                        '--event: bad value "bogus"'):
                db.progression(event="bogus")
            with self.assertRaises(cotrack.NotFound):
                db.progression("P9")


class PythonApiTest(unittest.TestCase):
    def test_public_methods_have_type_hints_and_docstrings(self):
        import inspect
        for cls in (cotrack.Database, cotrack.Batch, cotrack.Result):
            for name, fn in inspect.getmembers(cls, inspect.isfunction):
                if name.startswith("_"):
                    continue
                with self.subTest(f"{cls.__name__}.{name}"):
                    self.assertTrue(fn.__doc__, "no docstring")
                    sig = inspect.signature(fn)
                    self.assertIsNot(sig.return_annotation, sig.empty,
                                     "no return annotation")
                    for p in list(sig.parameters.values())[1:]:
                        self.assertIsNot(p.annotation, p.empty,
                                         f"parameter {p.name} has no type")


class InstallTest(TempDbTest):
    """pip install of python/ into a fresh virtualenv, offline, finding the
    library it was installed with."""

    def test_pip_install_into_a_venv(self):
        library = os.environ.get("COTRACK_LIBRARY")
        if not library:
            self.fail("COTRACK_LIBRARY is not set (ctest sets it)")
        with self.open() as db:
            db.record_visit("P01", "2024-01-05", {"edss": 4.0, "il4": "<0.5"})
        # A copy: pip builds in the source tree, and tests run in parallel.
        source = os.path.join(self.dir, "src")
        shutil.copytree(os.path.join(HERE, "..", "..", "python"), source,
                        ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                      "__pycache__"))
        venv = os.path.join(self.dir, "venv")
        # --system-site-packages: the build tools (setuptools, wheel) are
        # Debian's, as offline installs use them (docs/EMBEDDING.md).
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                        venv], check=True, capture_output=True)
        python = os.path.join(venv, "bin", "python")
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        out = subprocess.run(
            [python, "-m", "pip", "install", "--no-build-isolation",
             "--no-index", "--no-deps", "--quiet", source],
            env=env, capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        env.pop("COTRACK_LIBRARY")  # found through the recorded path
        script = (
            "import sys, cotrack\n"
            "assert cotrack.__file__.startswith(sys.prefix), cotrack.__file__\n"
            "print(cotrack.library_path())\n"
            "with cotrack.open(sys.argv[1], read_only=True) as db:\n"
            "    print(db.trajectory('P01', 'il4').to_dict())\n")
        out = subprocess.run([python, "-c", script, self.path], env=env,
                             capture_output=True, text=True, cwd=self.dir)
        self.assertEqual(out.returncode, 0, out.stderr)
        path, columns = out.stdout.splitlines()
        self.assertEqual(os.path.realpath(path), os.path.realpath(library))
        self.assertEqual(columns, "{'date': [datetime.date(2024, 1, 5)], "
                                  "'value': [0.5], 'comparator': ['<']}")

    def test_the_package_version_is_the_library_version(self):
        with open(os.path.join(HERE, "..", "..", "python", "pyproject.toml")) as f:
            declared = re.search(r'^version = "([^"]+)"', f.read(), re.M)
        self.assertIsNotNone(declared)
        self.assertEqual(declared.group(1), cotrack.version())

class SurvivalTest(TempDbTest):
    """Database.survival (cotrack_survival). Two arms: A1 worsens at day 100
    (confirmed at 200), A2 censored at 300, B1 worsens at day 50, B2
    censored at 400. R: medians A 100 (95% CI 100-NA), B 50 (50-NA);
    survdiff chisq 0.058823529411764761, df 1, p 0.80836515591451019."""

    def test_by_arm_matches_r(self):
        with self.open() as db:
            for pid, arm, visits in (
                    ("A1", "A", (("2025-01-01", 2.0), ("2025-04-11", 3.5),
                                 ("2025-07-20", 3.5))),
                    ("A2", "A", (("2025-01-01", 2.0), ("2025-10-28", 2.0))),
                    ("B1", "B", (("2025-01-01", 2.0), ("2025-02-20", 3.5),
                                 ("2025-05-31", 3.5))),
                    ("B2", "B", (("2025-01-01", 2.0), ("2026-02-05", 2.0)))):
                db.register_patient(pid, arm=arm)
                for date, value in visits:
                    db.record(pid, "edss", date, value)
            rows = db.survival(by="arm", at=["60d"], confirm="12w",
                               no_intermediate=False)
            self.assertEqual([r["group"] for r in rows],
                             ["A", "B", "log-rank"])
            a, b, test = rows
            self.assertEqual((a["n"], a["events"], a["median"], a["lower"],
                              a["upper"]), (2, 1, 100, 100, None))
            self.assertEqual((b["median"], b["lower"], b["upper"]),
                             (50, 50, None))
            self.assertEqual(b["survival_60d"], 0.5)
            self.assertEqual(b["at_risk_60d"], 1)
            self.assertAlmostEqual(test["chisq"], 0.058823529411764761, 12)
            self.assertEqual(test["df"], 1)
            self.assertAlmostEqual(test["p"], 0.80836515591451019, 12)
            self.assertIn("time to event=firstCDW by=arm", test["parameters"])
            # One group when not grouped; the test has nothing to compare.
            rows = db.survival()
            self.assertEqual([r["group"] for r in rows], ["all", "log-rank"])
            self.assertIsNone(rows[1]["p"])

    def test_errors_name_the_option(self):
        with self.open() as db:
            db.register_patient("P01", arm="A")
            db.record("P01", "edss", "2025-01-01", 2.0)
            with self.assertRaisesRegex(cotrack.InvalidArgument,
                                        'confirm: bad value "3m"'):
                db.survival(confirm="3m")
            with self.assertRaisesRegex(cotrack.InvalidArgument,
                                        'unknown option "confrim"'):
                db.survival(confrim="12w")
            with self.assertRaisesRegex(cotrack.InvalidArgument,
                                        "no patient has this attribute"):
                db.survival(by="site")


if __name__ == "__main__":
    unittest.main(verbosity=1)
