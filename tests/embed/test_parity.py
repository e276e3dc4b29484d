"""Embed.ParityPython: each call added for command-line parity (issue 16,
item 1) does what its `cotrack` command does on the same database, and
refuses a bad option with the command line's message.

Environment (tests/embed/CMakeLists.txt): COTRACK_CLI (the built cotrack),
COTRACK_LIBRARY, PYTHONPATH=python, COTRACK_SHARED_DATA (the real data
files).
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import cotrack

CLI = os.environ["COTRACK_CLI"]
VISITS = os.path.join(os.environ["COTRACK_SHARED_DATA"],
                      "msprog_toydata", "MSprog_toydata_visits.csv")


def cli(*args, check=True):
    """Runs `cotrack ARGS`; (exit status, stdout, stderr)."""
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"cotrack {' '.join(args)}: {p.returncode}\n{p.stderr}")
    return p.returncode, p.stdout, p.stderr


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def usage_message(stderr):
    """The message of a usage error: `cotrack: MESSAGE` then the --help hint."""
    first = stderr.splitlines()[0]
    assert first.startswith("cotrack: "), stderr
    return first[len("cotrack: "):]


class ParityTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cotrack-parity-")
        self.path = os.path.join(self.dir, "db")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def imported(self):
        """The msprog toy visits imported by the command line, index dates
        registered: a database both sides read."""
        cli("--db", self.path, "import", VISITS, "--ignore-columns", "visit_day,SDMT",
            "--no-progress")
        patients = os.path.join(self.dir, "patients.csv")
        with open(patients, "w") as f:
            f.write("patient,arm,index_date\n1,A,2021-09-23\n2,B,2020-11-26\n"
                    "3,A,2021-01-01\n")
        cli("--db", self.path, "import", patients, "--no-progress")

    # -- import ------------------------------------------------------------

    def test_import_of_an_omop_directory_is_the_command_lines(self):
        """import_file(DIR) of an OMOP export imports its person.csv and
        measurement.csv as `cotrack import DIR` does: the same counts per
        file, and the same database."""
        omop = os.path.join(os.environ["COTRACK_SHARED_DATA"], "omop_sahohime")
        other = os.path.join(self.dir, "other")
        _, _, err = cli("--db", other, "import", omop, "--no-progress")
        printed = re.findall(r"^(\S+) \(([a-z-]+)\): (\d+) rows read: (\d+) written, "
                             r"\d+ unchanged, \d+ corrected, \d+ rejected, (\d+) skipped", err, re.M)
        with cotrack.open(self.path, sync=False) as db:
            report = db.import_file(omop)
            self.assertEqual([(f["path"], f["format"], str(f["rows"]), str(f["written"]),
                               str(f["skipped"])) for f in report["files"]],
                             [tuple(p) for p in printed])
            self.assertEqual([os.path.basename(f["path"]) for f in report["files"]],
                             ["person.csv", "measurement.csv"])
            self.assertEqual(report["rows"], sum(f["rows"] for f in report["files"]))
            self.assertEqual(report["skipped_by_reason"],
                             report["files"][1]["skipped_by_reason"])
            self.assertEqual(len(db.patients()), report["files"][0]["patients"])
            self.assertGreater(len(db.patients()), 0)
        def registrations(path):  # when they were recorded differs, nothing else
            rows = csv_rows(cli("--db", path, "patients", "--format", "csv")[1])
            return [{k: v for k, v in r.items() if k != "recorded_at"} for r in rows]
        self.assertEqual(registrations(self.path), registrations(other))

    def test_import_reports_skip_reasons_and_warnings_as_the_command_line(self):
        """import_file's skipped_by_reason and warnings are the lines `cotrack
        import` prints under its counts: an unmapped code, and date-times
        whose offset was dropped for want of a time zone."""
        feed = os.path.join(self.dir, "obs.ndjson")
        with open(feed, "w", encoding="utf-8") as f:
            for i, (code, value) in enumerate([("4548-4", 6.8), ("2085-9", 50),
                                               ("2085-9", 51), ("18262-6", 90)]):
                f.write(json.dumps({
                    "resourceType": "Observation", "id": f"o{i}", "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                    "subject": {"reference": "Patient/P1"},
                    "effectiveDateTime": f"2024-03-0{i + 1}T09:30:00+02:00",
                    "valueQuantity": {"value": value, "unit": "%"}}) + "\n")
        other = os.path.join(self.dir, "other")
        _, _, err = cli("--db", other, "import", feed, "--no-progress")
        printed_skips = dict((reason, int(n)) for n, reason in
                             re.findall(r"^  skipped (\d+): (.*)$", err, re.M))
        printed_warnings = re.findall(r"^  warning: (.*)$", err, re.M)
        with cotrack.open(self.path, sync=False) as db:
            report = db.import_file(feed)
        self.assertEqual(report["skipped_by_reason"],
                         {"unmapped code 2085-9": 2, "unmapped code 18262-6": 1})
        self.assertEqual(report["skipped_by_reason"], printed_skips)
        self.assertEqual(len(report["warnings"]), 1)
        self.assertIn("the offset was dropped", report["warnings"][0])
        self.assertEqual(report["warnings"], printed_warnings)
        self.assertEqual((report["written"], report["skipped"]), (1, 3))

    def test_import_matches_the_command_line(self):
        self.imported()
        other = os.path.join(self.dir, "other")
        with cotrack.open(other, sync=False) as db:
            report = db.import_file(VISITS, ignore_columns=["visit_day", "SDMT"],
                                    reason="toy data")
            self.assertEqual(report["rows"], 57)
            self.assertEqual(report["format"], "wide")
            with cotrack.open(self.path, read_only=True) as ref:
                for pid in ("1", "2", "7"):
                    self.assertEqual(db.trajectory(pid, "edss"), ref.trajectory(pid, "edss"))
            self.assertEqual(report["written"],
                             sum(len(db.trajectory(p["patient"], "edss"))
                                 for p in db.patients()))
            self.assertEqual(db.observations("1", "edss")[0].reason, "toy data")
            # A dry run writes nothing.
            again = db.import_file(VISITS, ignore_columns="visit_day,SDMT", dry_run=True)
            self.assertEqual(again["written"], 0)
            self.assertEqual(again["unchanged"], report["written"])

    def test_import_index_date_first_visit_matches_the_command_line(self):
        cli("--db", self.path, "import", VISITS, "--ignore-columns", "visit_day,SDMT",
            "--index-date", "first-visit", "--no-progress")
        other = os.path.join(self.dir, "other")
        with cotrack.open(other, sync=False) as db:
            report = db.import_file(VISITS, ignore_columns="visit_day,SDMT",
                                    index_date="first-visit")
            self.assertEqual(report["index_dates_set"], 7)
            with cotrack.open(self.path, read_only=True) as ref:
                self.assertEqual([p["index_date"] for p in db.patients()],
                                 [p["index_date"] for p in ref.patients()])
            self.assertEqual(db.patients()[0]["index_date"], "2021-09-23")
        _, _, err = cli("--db", self.path, "import", VISITS, "--index-date", "first",
                        check=False)
        with cotrack.open(self.path, sync=False) as db:
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.import_file(VISITS, index_date="first")
            self.assertEqual(e.exception.message, usage_message(err))

    def test_import_bad_option_same_message(self):
        _, _, err = cli("--db", self.path, "import", VISITS, "--on-error", "later", check=False)
        with cotrack.open(self.path, sync=False) as db:
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.import_file(VISITS, on_error="later")
            self.assertEqual(e.exception.message, usage_message(err))
            _, _, err = cli("--db", self.path, "import", VISITS, "--duplicates", "average",
                            check=False)
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.import_file(VISITS, duplicates="average")
            self.assertEqual(e.exception.message, usage_message(err))
            self.assertIn("--duplicates", e.exception.message)
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.import_file(VISITS, no_such_option=1)
            self.assertIn("unknown option \"no-such-option\"", e.exception.message)

    # -- patients, measures, measure show, visit ---------------------------

    def test_reads_match_the_command_line(self):
        self.imported()
        _, out, _ = cli("--db", self.path, "patients", "--format", "csv")
        expected = csv_rows(out)
        _, out, _ = cli("--db", self.path, "measures", "--format", "csv")
        measures = csv_rows(out)
        _, out, _ = cli("--db", self.path, "measure", "show", "edss", "--format", "csv")
        edss = csv_rows(out)[0]
        _, out, _ = cli("--db", self.path, "visit", "1", "2021-09-23", "--format", "csv")
        visit = csv_rows(out)
        with cotrack.open(self.path, read_only=True) as db:
            got = db.patients()
            self.assertEqual([p["patient"] for p in got], [p["patient"] for p in expected])
            self.assertEqual([p["arm"] for p in got], [p["arm"] for p in expected])
            self.assertEqual([p["index_date"] for p in got],
                             [p["index_date"] for p in expected])
            self.assertEqual(db.measures().to_dict()["code"], [m["code"] for m in measures])
            self.assertEqual([m["unit"] for m in db.measures()], [m["unit"] for m in measures])
            m = db.measure("edss")
            self.assertEqual((m["code"], m["name"], m["unit"], m["direction"]),
                             (edss["code"], edss["name"], edss["unit"], edss["direction"]))
            self.assertEqual(m["max"], float(edss["max"]))
            with self.assertRaises(cotrack.NotFound):
                db.measure("nonexistent")
            # --derived: the column the command adds.
            db2 = os.path.join(self.dir, "derived")
            with cotrack.open(db2, sync=False) as writer:
                writer.record("P1", "hba1c", "2024-01-01", 48, "mmol/mol")
            _, out, _ = cli("--db", db2, "visit", "P1", "2024-01-01", "--derived",
                            "--format", "csv")
            with cotrack.open(db2, read_only=True) as other:
                got = other.visit("P1", "2024-01-01", derived=True).to_dict()["derived"]
                self.assertEqual(got, [r["derived"] for r in csv_rows(out)])
                self.assertTrue(got[0])
                self.assertEqual(other.observations("P1", "hba1c", derived=True)
                                 .to_dict()["derived"], got)
            v = db.visit("1", "2021-09-23")
            self.assertEqual([o.measure for o in v], [r["measure"] for r in visit])
            self.assertEqual([o.value for o in v], [float(r["value"]) for r in visit])
            _, _, err = cli("--db", self.path, "visit", "1", "2021-13-01", check=False)
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.visit("1", "2021-13-01")
            self.assertEqual(e.exception.message, usage_message(err))

    # -- summary -----------------------------------------------------------

    def test_summary_options_match_the_command_line(self):
        self.imported()
        args = ["--at", "0,6m", "--window", "60", "--by", "arm", "--rule", "twotier"]
        _, out, _ = cli("--db", self.path, "summary", "edss", *args, "--format", "csv")
        expected = csv_rows(out)
        with cotrack.open(self.path, read_only=True) as db:
            got = db.summary("edss", at="0,6m", window=60, by="arm", rule="twotier")
            self.assertEqual(len(got), len(expected))
            for g, e in zip(got, expected):
                self.assertEqual((g["timepoint"], g["group"], g["n"]),
                                 (e["timepoint"], e["group"], int(e["n"])))
                if e["mean"]:
                    self.assertAlmostEqual(g["mean"], float(e["mean"]))
                self.assertEqual(g["parameters"], e["parameters"])
                self.assertEqual(g["unit"], db.measure("edss")["unit"])
            # The old spelling is the same call.
            self.assertEqual(db.summary("edss", "0,6m", group_by="arm", window=60,
                                        rule="twotier").to_dict(), got.to_dict())
            for flag, value, kwargs in (("--window", "x", {"window": "x"}),
                                        ("--censored", "bogus", {"censored": "bogus"}),
                                        ("--at", "0,6x", {"at": "0,6x"})):
                _, _, err = cli("--db", self.path, "summary", "edss", flag, value, check=False)
                with self.assertRaises(cotrack.InvalidArgument) as e:
                    db.summary("edss", **kwargs)
                self.assertEqual(e.exception.message, usage_message(err))

    # -- export, report, plot, measure add ---------------------------------

    def test_export_report_plot_match_the_command_line(self):
        self.imported()
        for fmt in ("csv", "ndjson", "fhir"):
            mine = os.path.join(self.dir, f"mine.{fmt}")
            theirs = os.path.join(self.dir, f"cli.{fmt}")
            cli("--db", self.path, "export", "--format", fmt, "--measure", "edss", "--out", theirs)
            with cotrack.open(self.path, read_only=True) as db:
                counts = db.export(mine, format=fmt, measure="edss")
            with open(mine) as a, open(theirs) as b:
                self.assertEqual(a.read(), b.read(), fmt)
            self.assertGreater(counts["observations"], 0)
        # omop writes a directory of tables, as the command does.
        cli("--db", self.path, "export", "--format", "omop", "--out",
            os.path.join(self.dir, "cli-omop"))
        with cotrack.open(self.path, read_only=True) as db:
            db.export(os.path.join(self.dir, "mine-omop"), format="omop")
        for table in ("person.csv", "measurement.csv"):
            with open(os.path.join(self.dir, "mine-omop", table)) as a, \
                    open(os.path.join(self.dir, "cli-omop", table)) as b:
                self.assertEqual(a.read(), b.read(), table)
        key = os.path.join(self.dir, "pseudonym.key")
        with open(key, "w") as f:
            f.write("0123456789abcdef0123456789abcdef\n")
        cli("--db", self.path, "export", "--deidentify", "--deidentify-key", key, "--out",
            os.path.join(self.dir, "cli.deid"))
        with cotrack.open(self.path, read_only=True) as db:
            db.export(os.path.join(self.dir, "mine.deid"), deidentify=True, deidentify_key=key)
            with open(os.path.join(self.dir, "mine.deid")) as a, \
                    open(os.path.join(self.dir, "cli.deid")) as b:
                self.assertEqual(a.read(), b.read())
            _, _, err = cli("--db", self.path, "export", "--format", "xml", check=False)
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.export(os.path.join(self.dir, "x"), format="xml")
            self.assertEqual(e.exception.message, usage_message(err))

            for what, args, call in (
                    ("report", ["report", "--at", "0,6m", "--measure", "edss"],
                     lambda out: db.report(out, at="0,6m", measure="edss")),
                    ("plot", ["plot", "edss", "--at", "0,6m", "--patient", "1,2"],
                     lambda out: db.plot("edss", out, at="0,6m", patient="1,2"))):
                theirs = os.path.join(self.dir, f"cli.{what}")
                mine = os.path.join(self.dir, f"mine.{what}")
                cli("--db", self.path, *args, "--out", theirs)
                call(mine)
                with open(mine) as a, open(theirs) as b:
                    self.assertEqual(a.read(), b.read(), what)
            _, _, err = cli("--db", self.path, "plot", "edss", "--window", "-1", check=False)
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.plot("edss", os.path.join(self.dir, "x.svg"), window=-1)
            self.assertEqual(e.exception.message, usage_message(err))

    def test_measure_add_matches_the_command_line(self):
        other = os.path.join(self.dir, "other")
        cli("--db", other, "measure", "add", "--code", "sdmt", "--name", "SDMT", "--unit",
            "points", "--min", "0", "--max", "110", "--direction", "higher-is-better",
            "--integer")
        _, out, _ = cli("--db", other, "measure", "show", "sdmt", "--format", "csv")
        expected = csv_rows(out)[0]
        with cotrack.open(self.path, sync=False, user="dr.a") as db:
            db.add_measure("sdmt", name="SDMT", unit="points", min=0, max=110,
                           direction="higher-is-better", integer=True, reason="trial")
            got = db.measure("sdmt")
            for field in ("code", "name", "unit", "direction"):
                self.assertEqual(got[field], expected[field], field)
            self.assertEqual(got["integer"], 1)
            self.assertEqual(got["max"], float(expected["max"]))
            entry = [e for e in db.audit() if e.action == "measure"][-1]
            self.assertEqual((entry.user, entry.reason), ("dr.a", "trial"))
            db.record("P1", "sdmt", "2024-01-01", 54)
            _, _, err = cli("--db", other, "measure", "add", "--code", "x", "--name", "X",
                            "--unit", "u", "--min", "10", "--max", "1", check=False)
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.add_measure("x", name="X", unit="u", min=10, max=1)
            self.assertEqual(e.exception.message, usage_message(err))

    def test_measure_edit_matches_the_command_line(self):
        other = os.path.join(self.dir, "other")
        mine = os.path.join(self.dir, "mine")
        grip = os.path.join(self.dir, "grip.csv")
        with open(grip, "w", encoding="utf-8") as f:
            f.write("patient,measure,date,value\nP1,grip,2024-01-01,60\n")
        for path in (other, mine):
            cli("--db", path, "measure", "add", "--code", "grip", "--name", "Grip", "--unit",
                "kg", "--min", "0", "--max", "100", "--convert", "lbf=0.45359237*x")
            cli("--db", path, "import", grip)
        cli("--db", other, "measure", "edit", "grip", "--max", "80", "--loinc", "83174-3")
        _, out, _ = cli("--db", other, "measure", "show", "grip", "--history", "--format", "csv")
        expected = csv_rows(out)
        _, _, err = cli("--db", other, "measure", "edit", "grip", "--max", "50", check=False)
        with cotrack.open(mine, sync=False) as db:
            db.edit_measure("grip", max=80, loinc="83174-3")
            got = db.measure_history("grip")
            self.assertEqual([v["version"] for v in got], [int(v["version"]) for v in expected])
            self.assertEqual([v["max"] for v in got], [float(v["max"]) for v in expected])
            self.assertEqual(got[-1]["loinc"], expected[-1]["loinc"])
            # every digit of the factor (C once kept 6: "x0.453592")
            self.assertEqual(got[-1]["conversions"], expected[-1]["conversions"])
            self.assertIn("x0.45359237", got[-1]["conversions"])
            with self.assertRaises(cotrack.FailedPrecondition) as e:
                db.edit_measure("grip", max=50)
            self.assertIn(e.exception.message, err)

    def test_timezone_matches_the_command_line(self):
        with cotrack.open(self.path, sync=False, user="dr.a") as db:
            self.assertEqual(db.timezone(), "")
            _, out, _ = cli("--db", self.path, "timezone")  # through this process
            self.assertEqual(out, "none\n")
            self.assertEqual(db.timezone("America/Los_Angeles", reason="clinic"),
                             "America/Los_Angeles")
            _, out, _ = cli("--db", self.path, "timezone")
            self.assertEqual(out, "America/Los_Angeles\n")
            entry = [e for e in db.audit() if e.action == "timezone"][-1]
            self.assertEqual((entry.user, entry.reason), ("dr.a", "clinic"))
            _, _, err = cli("--db", self.path, "timezone", "Mars/Olympus", check=False)
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.timezone("Mars/Olympus")
            self.assertIn(e.exception.message, err)
            db.record("P1", "edss", "2024-01-01", 2.0)
            with self.assertRaises(cotrack.FailedPrecondition):
                db.timezone("Europe/Berlin")
            self.assertEqual(db.timezone("Europe/Berlin", force=True), "Europe/Berlin")

    # -- maintenance ---------------------------------------------------------

    @staticmethod
    def as_cli_text(value, text):
        """True when a C/Python value is what the command prints as `text`
        in csv: None is an empty cell, 0/1 flags print as false/true."""
        if value is None:
            return text == ""
        if isinstance(value, float):
            return text != "" and float(text) == value
        if isinstance(value, int):
            return text in (str(value), "true" if value else "false")
        return value == text

    def test_progression_is_the_command_lines(self):
        """db.progression(**options) returns the rows and columns of
        `cotrack progression --format csv` with the same flags: imputed
        events unconfirmed, every confirmation value, the relapse source in
        the parameters, --first, --counts and the older --event kinds."""
        self.imported()
        relapses = os.path.join(os.path.dirname(VISITS), "MSprog_toydata_relapses.csv")
        cases = [
            ({}, []),
            ({"event": "multiple", "impute_last_visit": 1},
             ["--event", "multiple", "--impute-last-visit", "1"]),
            ({"event": "multiple", "raw_pira": True, "baseline": "roving",
              "confirm": "12w,24w", "relapses": relapses},
             ["--event", "multiple", "--raw-pira", "--baseline", "roving",
              "--confirm", "12w,24w", "--relapses", relapses]),
            ({"event": "multiple", "first": True}, ["--event", "multiple", "--first"]),
            ({"event": "improvement"}, ["--event", "improvement"]),
            ({"event": "multiple", "raw_pira": True, "relapses": relapses, "counts": True},
             ["--event", "multiple", "--raw-pira", "--relapses", relapses, "--counts"]),
        ]
        with cotrack.open(self.path, read_only=True) as db:
            for options, flags in cases:
                with self.subTest(flags=flags):
                    _, out, _ = cli("--db", self.path, "progression", "--format", "csv",
                                    *flags)
                    header = out.splitlines()[0].split(",")
                    expected = csv_rows(out)
                    got = db.progression(**options)
                    self.assertEqual(got.columns, header)
                    self.assertEqual(len(got), len(expected))
                    self.assertGreater(len(got), 0)
                    for g, e in zip(got, expected):
                        for name, text in e.items():
                            self.assertTrue(self.as_cli_text(g[name], text),
                                            f"{name}: {g[name]!r} vs {text!r} in {e}")

    def test_latest_of_every_measure_with_n_is_the_command_lines(self):
        """latest_all(p, n=N).result holds the rows of `cotrack latest P -n
        N`: each measure's last N values, newest first; the dict keeps each
        measure's latest."""
        self.imported()
        more = os.path.join(self.dir, "more.csv")
        with open(more, "w", encoding="utf-8") as f:
            f.write("patient,measure,date,value\n1,hba1c,2021-01-05,6.8\n"
                    "1,hba1c,2021-06-05,7.1\n")
        cli("--db", self.path, "import", more, "--no-progress")
        _, out, _ = cli("--db", self.path, "latest", "1", "-n", "3", "--format", "csv")
        expected = [(r["measure"], r["date"], float(r["value"])) for r in csv_rows(out)]
        with cotrack.open(self.path, read_only=True) as db:
            latest = db.latest_all("1", n=3)
            got = [(o.measure, o.date.isoformat(), float(o.value)) for o in latest.result]
            self.assertEqual(got, expected)
            self.assertEqual(len(latest.to_dict()["measure"]), len(expected))
            self.assertEqual({m: o.date for m, o in latest.items()},
                             {m: o.date for m, o in db.latest_all("1").items()})
            self.assertEqual(sorted({m for m, _, _ in expected}), ["edss", "hba1c"])
            with self.assertRaises(cotrack.InvalidArgument):
                db.latest_all("1", n=0)

    def test_notes_are_what_the_command_prints_on_stderr(self):
        """summary, progression and survival carry in .notes the lines the
        command prints on stderr: patients counted, and those not analysed
        with why (here patients without index dates or baselines)."""
        self.imported()
        cases = [
            ("summary", ("edss",), {}, ["summary", "edss"]),
            ("summary", ("edss",), {"by": "arm", "lookback": 10},
             ["summary", "edss", "--by", "arm", "--lookback", "10"]),
            ("progression", (), {"event": "multiple"}, ["progression", "--event", "multiple"]),
            ("progression", (), {"counts": True}, ["progression", "--counts"]),
            ("survival", (), {"by": "arm"}, ["survival", "--by", "arm"]),
        ]
        with cotrack.open(self.path, read_only=True) as db:
            for method, args, options, command in cases:
                with self.subTest(command=command):
                    _, _, err = cli("--db", self.path, *command)
                    printed = [line[len("cotrack: "):] for line in err.splitlines()
                               if line.startswith("cotrack: ")]
                    notes = getattr(db, method)(*args, **options).notes
                    self.assertEqual(notes, printed)
                    self.assertTrue(any("not analysed" in n for n in notes), notes)
            self.assertEqual(db.trajectory("1", "edss").notes, [])

    def test_survival_plot_is_the_command_lines(self):
        """db.survival(plot=FILE) writes the chart `cotrack survival --plot`
        writes, byte for byte, and refuses a plot without a file name."""
        self.imported()
        relapses = os.path.join(os.path.dirname(VISITS), "MSprog_toydata_relapses.csv")
        mine = os.path.join(self.dir, "python.svg")
        theirs = os.path.join(self.dir, "cli.svg")
        cli("--db", self.path, "survival", "--by", "arm", "--event", "firstPIRA",
            "--relapses", relapses, "--plot", theirs)
        with cotrack.open(self.path, read_only=True) as db:
            rows = db.survival(by="arm", event="firstPIRA", relapses=relapses, plot=mine)
            self.assertEqual([r["group"] for r in rows], ["(none)", "A", "B", "log-rank"])
            with self.assertRaises(cotrack.InvalidArgument) as e:
                db.survival(plot="")
            self.assertIn("plot=km.svg", str(e.exception))
        with open(mine, "rb") as a, open(theirs, "rb") as b:
            chart = a.read()
            self.assertEqual(chart, b.read())
        self.assertIn(b"progression independent of relapse activity", chart)

    def check_counts_of_cli(self):
        """(exit status, {count: value}) of `cotrack check`'s table, named as
        check().counts names them."""
        code, out, _ = cli("--db", self.path, "check", check=False)
        counts = {}
        for line in out.splitlines()[1:]:  # the first is the header
            if not line.strip():
                break  # the problems follow
            label, value = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            name = label.replace(" ", "_")
            counts["measures" if name == "user_measures" else name] = int(value)
        return code, counts

    def test_check_counts_are_the_command_lines(self):
        """check().counts holds what `cotrack check` prints, intact and
        damaged, and says how many problems the rows leave out."""
        self.imported()
        with cotrack.open(self.path, read_only=True) as db:
            report = db.check()
        self.assertEqual(list(report), [])
        code, printed = self.check_counts_of_cli()
        self.assertEqual(code, 0)
        self.assertEqual(len(printed), 9)
        self.assertEqual({k: report.counts[k] for k in printed}, printed)
        self.assertEqual(report.counts["problems_not_listed"], 0)
        self.assertGreater(report.counts["observations"], 0)

        # Damage the largest table file in its middle: both must find the
        # same number of problems.
        tables = [os.path.join(self.path, f) for f in os.listdir(self.path)
                  if f.endswith(".sst")]
        largest = max(tables, key=os.path.getsize)
        with open(largest, "r+b") as f:
            f.seek(os.path.getsize(largest) // 2)
            f.write(b"\xde\xad\xbe\xef" * 8)
        code, printed = self.check_counts_of_cli()
        self.assertEqual(code, 1)
        report = cotrack.check(self.path)  # the database may not open now
        self.assertGreater(report.counts["problems"], 0)
        self.assertEqual({k: report.counts[k] for k in printed}, printed)
        self.assertEqual(len(report) + report.counts["problems_not_listed"],
                         report.counts["problems"])
        self.assertEqual(set(report.columns), {"family", "key", "patient", "problem"})

    def test_check_dump_load_backup_restore(self):
        self.imported()
        dump = os.path.join(self.dir, "dump.ndjson")
        backups = os.path.join(self.dir, "backups")
        with cotrack.open(self.path, read_only=True) as db:
            self.assertEqual(list(db.check()), [])
            counts = db.dump(dump)
            made = db.backup(backups)
            expected = db.trajectory("1", "edss")
        self.assertEqual(cli("--db", self.path, "check")[0], 0)
        _, _, err = cli("--db", self.path, "dump", "--out", os.path.join(self.dir, "cli.dump"))
        self.assertIn(f"dumped {counts['patients']} patients ({counts['patient_versions']} "
                      f"versions), {counts['observation_versions']} observation versions", err)
        loaded = os.path.join(self.dir, "loaded")
        self.assertEqual(cotrack.Database.load(dump, loaded), counts)
        with cotrack.open(loaded, create_if_missing=False) as db:
            self.assertEqual(db.trajectory("1", "edss"), expected)
        with self.assertRaises(cotrack.FailedPrecondition):
            cotrack.Database.load(dump, loaded)  # only into a new database
        verified = cotrack.Database.backup_verify(backups)
        self.assertEqual([(b["backup"], b["error"]) for b in verified], [(made["backup"], "")])
        _, out, _ = cli("backup", "verify", backups, "--format", "csv")
        self.assertEqual([int(r["backup"]) for r in csv_rows(out)], [made["backup"]])
        restored = os.path.join(self.dir, "restored")
        self.assertEqual(cotrack.Database.restore(backups, restored)["backup"], made["backup"])
        with cotrack.open(restored, create_if_missing=False) as db:
            self.assertEqual(db.trajectory("1", "edss"), expected)

    # -- encryption ----------------------------------------------------------

    def test_encrypted_database(self):
        key = os.path.join(self.dir, "key")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, os.urandom(32))
        os.close(fd)
        with cotrack.open(self.path, key_file=key, sync=False) as db:
            db.record("P1", "edss", "2024-01-01", 3.0)
            self.assertEqual(list(db.check()), [])
        with self.assertRaises(cotrack.Error):
            cotrack.open(self.path)
        _, out, _ = cli("--db", self.path, "--key-file", key, "trajectory", "P1", "edss",
                        "--format", "csv")
        self.assertEqual(csv_rows(out)[0]["value"], "3")

    # -- attribution ---------------------------------------------------------

    def test_attribution_of_every_write(self):
        with cotrack.open(self.path, sync=False, user="app") as db:
            db.register_patient("P1", arm="A", user="dr.a", reason="enrolment")
            db.record_visit("P1", "2024-01-01", {"edss": 3.0, "il4": "<0.5"},
                            user="dr.b", reason="clinic")
            with db.batch(user="dr.c", reason="backfill") as b:
                b.record("P1", "edss", "2024-02-01", 3.5)
            self.assertEqual([(o.user, o.reason) for o in db.observations("P1", "edss")],
                             [("dr.b", "clinic"), ("dr.c", "backfill")])
            audit = [(e.action, e.user, e.reason) for e in db.audit("P1")]
            self.assertIn(("patient", "dr.a", "enrolment"), audit)
            _, out, _ = cli("--db", self.path, "history", "P1", "edss", "2024-02-01",
                            "--format", "csv")
            self.assertEqual(csv_rows(out)[0]["user"], "dr.c")
            _, out, _ = cli("--db", self.path, "audit", "--patient", "P1", "--format", "csv")
            expected = csv_rows(out)
            got = db.audit("P1")
            self.assertEqual([e.sequence for e in got], [int(r["seq"]) for r in expected])
            self.assertEqual([e.user for e in got], [r["user"] for r in expected])
            self.assertEqual(got.to_dict()["written"], [int(r["written"]) for r in expected])
            _, _, err = cli("--db", self.path, "audit", "--patient", "nobody", check=False)
            with self.assertRaises(cotrack.NotFound) as e:
                db.audit("nobody")
            self.assertEqual(e.exception.message, usage_message(err))
            latest = db.latest_all("P1")
            self.assertEqual(sorted(latest), ["edss", "il4"])
            self.assertEqual(latest.to_dict()["measure"], ["edss", "il4"])
            self.assertEqual(latest.to_dict()["comparator"], ["", "<"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
