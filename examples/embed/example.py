"""Embedding cotrack from Python: record two visits, read them back."""
import sys

import cotrack

path = sys.argv[1] if len(sys.argv) > 1 else "clinic.cotrack"
with cotrack.open(path) as db:
    db.register_patient("P01", arm="HSCT", index_date="2024-01-10", sex="F")
    db.record("P01", "edss", "2024-01-05", 4.0)
    db.record_visit("P01", "2024-07-09", {"edss": 3.5, "hba1c": (48, "mmol/mol")}, visit="M6")

    for date, value in db.trajectory("P01", "edss"):
        print(f"P01 edss {date} {value:g}")

    hba1c = db.latest("P01", "hba1c")
    print(f"P01 hba1c latest {hba1c.date} {hba1c.value:.2f} {hba1c.unit} "
          f"(entered {hba1c.original_value} {hba1c.original_unit})")
