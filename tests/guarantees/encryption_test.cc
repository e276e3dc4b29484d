// Issue 5 item 9: optional encryption at rest (AES-256-CTR through OpenSSL
// under RocksDB's encrypted file system). With it on, no patient id appears
// in any raw file; without the key the database does not open, clearly.
#include "storage/encryption.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

namespace fs = std::filesystem;
using ::cotrack::testing::ReadFile;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int kPatients = 50;

std::string PatientId(int i) { return absl::StrCat("SECRET-PATIENT-", 1000 + i); }

void WriteKey(const std::string& path, const std::string& hex) {
  WriteFile(path, hex + "\n");
  ::chmod(path.c_str(), 0600);
}

// Patients with attributes and values, partly in table files, partly only in
// the write-ahead log.
void Populate(const std::string& path, const Options& options) {
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path, options));
  Batch batch;
  for (int i = 0; i < kPatients; ++i) {
    Patient p;
    p.id = PatientId(i);
    p.attributes = {{"diagnosis", "relapsing-remitting"}};
    batch.PutPatient(p);
    ObservationInput in;
    in.patient = PatientId(i);
    in.measure = "edss";
    in.time = CivilTime::FromDay(19000);
    in.value = 3.5;
    batch.Record(in);
  }
  ASSERT_OK(db->Apply(batch));
  ASSERT_OK(db->Compact());
  ObservationInput late;
  late.patient = PatientId(0);
  late.measure = "edss";
  late.time = CivilTime::FromDay(19100);
  late.value = 4.0;
  ASSERT_OK(db->Record(late));
}

// Files under `root` whose raw bytes contain any patient id.
std::vector<std::string> FilesNamingPatients(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string bytes = ReadFile(e.path().string());
    for (int i = 0; i < kPatients; ++i) {
      if (bytes.find(PatientId(i)) != std::string::npos) {
        out.push_back(e.path().string() + " names " + PatientId(i));
        break;
      }
    }
  }
  return out;
}

class EncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!EncryptionAvailable()) GTEST_SKIP() << "built without OpenSSL";
    key_ = dir_.File("key");
    WriteKey(key_, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    encrypted_.encryption_key_file = key_;
  }
  TempDir dir_;
  std::string key_;
  Options encrypted_;
};

TEST_F(EncryptionTest, TheGrepFindsPatientIdsInAnUnencryptedDatabase) {
  // The control: the search below does find ids when they are there.
  Populate(dir_.File("plain"), Options());
  EXPECT_THAT(FilesNamingPatients(dir_.File("plain")), ::testing::Not(IsEmpty()));
}

TEST_F(EncryptionTest, NoPatientIdAppearsInAnyRawFile) {
  const std::string db_path = dir_.File("db");
  Populate(db_path, encrypted_);
  EXPECT_THAT(FilesNamingPatients(db_path), IsEmpty());
  EXPECT_TRUE(fs::exists(fs::path(db_path) / kEncryptionMarker));

  // With the key everything reads back, including the write-ahead log part.
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path, encrypted_));
  ASSERT_OK_AND_ASSIGN(auto t, db->Trajectory(PatientId(0), "edss"));
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].value, 4.0);
  ASSERT_OK_AND_ASSIGN(auto patients, db->ListPatients());
  EXPECT_EQ(patients.size(), static_cast<size_t>(kPatients));
}

TEST_F(EncryptionTest, WithoutTheRightKeyTheDatabaseDoesNotOpen) {
  const std::string db_path = dir_.File("db");
  Populate(db_path, encrypted_);
  EXPECT_THAT(Database::Open(db_path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("encrypted"), HasSubstr("key file"))));
  Options ro;
  ro.read_only = true;
  EXPECT_THAT(Database::Open(db_path, ro),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("encrypted")));

  Options wrong;
  wrong.encryption_key_file = dir_.File("other-key");
  WriteKey(wrong.encryption_key_file,
           "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
  EXPECT_THAT(Database::Open(db_path, wrong),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("different key")));

  // The command line says the same, and works with the key file.
  testing::CommandResult cli = testing::RunCotrack({"--db", db_path, "check"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.err, HasSubstr("encrypted"));
  cli = testing::RunCotrack({"--db", db_path, "check", "--key-file", key_});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  cli = testing::RunCotrack({"--db", db_path, "audit", "--key-file", key_, "--format", "csv"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr(",record,"));
  cli = testing::RunCotrack({"--db", db_path, "backup", dir_.File("bk"), "--key-file", key_});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  cli = testing::RunCotrack({"backup", "verify", dir_.File("bk")});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.err, HasSubstr("encrypted"));
}

TEST_F(EncryptionTest, KeyFilesAreCheckedBeforeUse) {
  Options options;
  options.encryption_key_file = dir_.File("open-key");
  WriteFile(options.encryption_key_file,
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  ::chmod(options.encryption_key_file.c_str(), 0644);
  EXPECT_THAT(Database::Open(dir_.File("a"), options),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("chmod 600")));
  WriteKey(options.encryption_key_file, "not a key");
  EXPECT_THAT(Database::Open(dir_.File("b"), options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64 hexadecimal digits")));
  options.encryption_key_file = dir_.File("missing-key");
  EXPECT_THAT(Database::Open(dir_.File("c"), options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing-key")));
  // An existing unencrypted database is not silently mixed with encrypted files.
  Populate(dir_.File("plain"), Options());
  EXPECT_THAT(Database::Open(dir_.File("plain"), encrypted_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not encrypted")));
}

TEST_F(EncryptionTest, CheckBackupAndRestoreKeepDataEncrypted) {
  const std::string db_path = dir_.File("db"), backups = dir_.File("backups");
  Populate(db_path, encrypted_);
  ASSERT_OK_AND_ASSIGN(CheckReport report, CheckDatabase(db_path, encrypted_));
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.patients, static_cast<size_t>(kPatients));

  ASSERT_OK(BackupDatabase(db_path, backups, encrypted_));
  EXPECT_THAT(FilesNamingPatients(backups), IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto verified, VerifyBackups(backups, encrypted_));
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].error, "");
  EXPECT_THAT(VerifyBackups(backups),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("encrypted")));
  EXPECT_THAT(RestoreBackup(backups, dir_.File("no-key")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("encrypted")));

  ASSERT_OK(RestoreBackup(backups, dir_.File("restored"), encrypted_));
  EXPECT_THAT(FilesNamingPatients(dir_.File("restored")), IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir_.File("restored"), encrypted_));
  ASSERT_OK_AND_ASSIGN(auto t, db->Trajectory(PatientId(0), "edss"));
  EXPECT_EQ(t.size(), 2u);
}

TEST_F(EncryptionTest, RestoringAPlainBackupWithAKeyEncryptsIt) {
  const std::string plain = dir_.File("plain"), backups = dir_.File("backups");
  Populate(plain, Options());
  ASSERT_OK(BackupDatabase(plain, backups));
  ASSERT_OK(RestoreBackup(backups, dir_.File("encrypted"), encrypted_));
  EXPECT_THAT(FilesNamingPatients(dir_.File("encrypted")), IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir_.File("encrypted"), encrypted_));
  ASSERT_OK_AND_ASSIGN(auto patients, db->ListPatients());
  EXPECT_EQ(patients.size(), static_cast<size_t>(kPatients));
}

}  // namespace
}  // namespace cotrack
