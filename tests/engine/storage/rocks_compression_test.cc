// How the store compresses (storage/rocks_store.cc FamilyOptions): an
// import's table files are written as fast as a memtable flush (LZ4, with the
// bottom level's dictionary); a compaction rewrites the bottom level with
// LZ4HC and a dictionary per file (same decoder, fewer bytes) and the audit
// family is ZSTD throughout.
// Issue 13 measures the bytes after compaction; every value must read back
// the same.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cotrack/civil_time.h"
#include "cotrack/database.h"
#include "cotrack/import.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/table_properties.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::TempDir;

// Issue 13's shape, smaller: 2,000 patients with 20 visits of EDSS and HbA1c.
std::string Issue13Observations() {
  std::string csv = "patient,measure,date,value\n";
  for (int p = 0; p < 2000; ++p) {
    for (int v = 0; v < 20; ++v) {
      const int day = 1 + (v * 90 + p) % 28;
      const std::string date = absl::StrCat(2010 + v / 4, "-", (v % 4) * 3 + 1 < 10 ? "0" : "",
                                            (v % 4) * 3 + 1, "-", day < 10 ? "0" : "", day);
      absl::StrAppend(&csv, "P", 100000 + p, ",edss,", date, ",", 1.0 + (p + v) % 18 * 0.5, "\n");
      absl::StrAppend(&csv, "P", 100000 + p, ",hba1c,", date, ",", 5 + (p * 7 + v) % 5, ".",
                      (p + v) % 10, "\n");
    }
  }
  return csv;
}

// Opens the database at `path` read-only with RocksDB alone, every family
// with default options, and hands `fn` the database, the family handles and
// their names.
void WithRawDatabase(
    const std::string& path,
    const std::function<void(rocksdb::DB&, const std::vector<rocksdb::ColumnFamilyHandle*>&,
                             const std::vector<std::string>&)>& fn) {
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, families, &handles, &raw);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return;
  std::unique_ptr<rocksdb::DB> db(raw);
  fn(*db, handles, names);
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
}

// Compression of every table file ("LZ4HC+dict": with a dictionary), by
// column family name.
std::map<std::string, std::set<std::string>> CompressionByFamily(const std::string& path) {
  std::map<std::string, std::set<std::string>> out;
  WithRawDatabase(
      path, [&](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                const std::vector<std::string>& names) {
        for (size_t i = 0; i < handles.size(); ++i) {
          rocksdb::TablePropertiesCollection props;
          EXPECT_TRUE(db.GetPropertiesOfAllTables(handles[i], &props).ok());
          for (const auto& [file, p] : props) {
            const bool dict = p->compression_options.find("max_dict_bytes=0;") == std::string::npos;
            out[names[i]].insert(p->compression_name + (dict ? "+dict" : ""));
          }
        }
      });
  return out;
}

std::vector<std::string> Trajectories(Database& db) {
  std::vector<std::string> out;
  for (int p = 0; p < 2000; p += 97) {
    for (const char* m : {"edss", "hba1c"}) {
      absl::StatusOr<std::vector<Observation>> t = db.Trajectory(absl::StrCat("P", 100000 + p), m);
      EXPECT_TRUE(t.ok()) << t.status();
      if (!t.ok()) continue;
      EXPECT_EQ(t->size(), 20u);
      for (const Observation& o : *t) {
        out.push_back(absl::StrCat(p, m, FormatCivilTime(o.time), " ", o.value, " ",
                                   o.original_value, " ", o.provenance.user));
      }
    }
  }
  return out;
}

// Sequence numbers of the table files of family `family`, as "level:smallest-largest".
std::multiset<std::string> FileSequenceNumbers(const std::string& path, const std::string& family) {
  std::multiset<std::string> out;
  WithRawDatabase(path, [&](rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>&,
                            const std::vector<std::string>&) {
    std::vector<rocksdb::LiveFileMetaData> files;
    db.GetLiveFilesMetaData(&files);
    for (const rocksdb::LiveFileMetaData& f : files) {
      if (f.column_family_name != family) continue;
      out.insert(absl::StrCat(f.level, ":", f.smallest_seqno, "-", f.largest_seqno));
    }
  });
  return out;
}

// RocksDB rewrites a bottom-level table file that carries a sequence number
// as soon as a compaction looks at its family, and gives one to every file
// ingested while a snapshot is held. The importer's own snapshot made the
// next writer recompress every imported series in the background, doubling
// the CPU time of its first visits on a 2-core machine. Files of keys new to
// the database now go in without one, so they stay as imported.
TEST(RocksCompressionTest, AnImportsNewSeriesGoInWithoutSequenceNumbers) {
  TempDir dir;
  const std::string path = dir.File("db");
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
    ASSERT_TRUE(db.ok()) << db.status();
    std::istringstream in(Issue13Observations());
    absl::StatusOr<ImportReport> report = ImportStream(**db, in, "issue13.csv", ImportOptions());
    ASSERT_TRUE(report.ok()) << report.status();
  }
  EXPECT_EQ(FileSequenceNumbers(path, "series"), std::multiset<std::string>{"6:0-0"});
  EXPECT_EQ(FileSequenceNumbers(path, "patient_ids"), std::multiset<std::string>{"6:0-0"});
}

TEST(RocksCompressionTest, ImportWritesLz4CompactionLz4HcWithDictionaryAuditZstd) {
  TempDir dir;
  const std::string path = dir.File("db");
  std::vector<std::string> imported;
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
    ASSERT_TRUE(db.ok()) << db.status();
    std::istringstream in(Issue13Observations());
    ImportOptions options;
    options.user = "test";
    absl::StatusOr<ImportReport> report = ImportStream(**db, in, "issue13.csv", options);
    ASSERT_TRUE(report.ok()) << report.status();
    imported = Trajectories(**db);
  }
  std::map<std::string, std::set<std::string>> after_import = CompressionByFamily(path);
  // The import's files went in as written: LZ4 with a dictionary, as fast
  // as without one.
  EXPECT_EQ(after_import["series"], std::set<std::string>{"LZ4+dict"});
  EXPECT_EQ(after_import["audit"], std::set<std::string>{"ZSTD"});
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Compact().ok());
    EXPECT_EQ(Trajectories(**db), imported);
  }
  std::map<std::string, std::set<std::string>> compacted = CompressionByFamily(path);
  for (const char* family : {"series", "patients", "default"}) {
    EXPECT_EQ(compacted[family], std::set<std::string>{"LZ4HC+dict"}) << family;
  }
  EXPECT_EQ(compacted["patient_ids"], std::set<std::string>{"LZ4HC"});
  EXPECT_EQ(compacted["audit"], std::set<std::string>{"ZSTD"});
  {
    // Every record still verifies, and reads back as imported.
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ(Trajectories(**db), imported);
  }
  testing::CommandResult check = testing::RunCotrack({"--db", path, "check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace cotrack
