#include "db/database_impl.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/status_macros.h"

namespace cotrack {
namespace {

std::string OsUser() {
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "unknown";
}

absl::StatusOr<uint64_t> ReadCounter(Store& store, absl::string_view key, uint64_t initial,
                                     size_t width) {
  std::string value;
  COTRACK_ASSIGN_OR_RETURN(bool found, store.Get(nullptr, Family::kMeta, key, &value));
  if (!found) return initial;
  if (value.size() != width) {
    return absl::DataLossError(absl::StrCat("meta key ", key, " has ", value.size(),
                                            " bytes, expected ", width, " (damaged data)"));
  }
  return width == 4 ? keys::DecodeU32(value) : keys::DecodeU64(value);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const Options& options) {
  return DatabaseImpl::Open(path, options);
}

DatabaseImpl::DatabaseImpl(std::unique_ptr<Store> store, const Options& options)
    : store_(std::move(store)), options_(options), os_user_(OsUser()) {}

absl::StatusOr<std::unique_ptr<Database>> DatabaseImpl::Open(const std::string& path,
                                                             const Options& options) {
  StoreOptions so;
  so.create_if_missing = options.create_if_missing && !options.read_only;
  so.read_only = options.read_only;
  so.block_cache_bytes = options.block_cache_bytes;
  so.row_cache_bytes = options.row_cache_bytes;
  so.value_cache_bytes = options.value_cache_bytes;
  so.encryption_key_file = options.encryption_key_file;
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(path, so));
  std::unique_ptr<DatabaseImpl> db(new DatabaseImpl(std::move(store), options));
  COTRACK_RETURN_IF_ERROR(db->Load());
  return std::unique_ptr<Database>(std::move(db));
}

absl::Status DatabaseImpl::Load() {
  std::string value;
  COTRACK_ASSIGN_OR_RETURN(bool found,
                           store_->Get(nullptr, Family::kMeta, keys::kFormatVersionKey, &value));
  if (!found) {
    if (options_.read_only) {
      return absl::NotFoundError(absl::StrCat("no cotrack database at ", path()));
    }
    // A new database: stamp the format before anything else is written.
    auto batch = store_->NewBatch();
    batch->Put(Family::kMeta, keys::kFormatVersionKey, keys::EncodeCounter(kFormatVersion, 4));
    COTRACK_RETURN_IF_ERROR(store_->Write(*batch, /*sync=*/true));
  } else {
    if (value.size() != 4) {
      return absl::DataLossError(
          absl::StrCat(path(), ": format version record is damaged (", value.size(), " bytes)"));
    }
    const uint32_t format = keys::DecodeU32(value);
    if (format > kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          path(), ": database format ", format, " is newer than this cotrack (", Version(),
          ") understands (format ", kFormatVersion, "); open it with a newer cotrack"));
    }
  }

  COTRACK_ASSIGN_OR_RETURN(uint64_t np, ReadCounter(*store_, keys::kNextPatientNumKey, 1, 4));
  COTRACK_ASSIGN_OR_RETURN(uint64_t nm,
                           ReadCounter(*store_, keys::kNextMeasureIdKey, kFirstUserMeasureId, 4));
  COTRACK_ASSIGN_OR_RETURN(uint64_t na, ReadCounter(*store_, keys::kNextAuditSeqKey, 1, 8));
  next_patient_num_ = static_cast<uint32_t>(np);
  next_measure_id_ = static_cast<uint32_t>(nm);
  next_audit_seq_ = na;

  absl::Status scan_status;
  COTRACK_RETURN_IF_ERROR(store_->Scan(
      nullptr, Family::kPatientIds, "", "", [&](absl::string_view key, absl::string_view v) {
        if (v.size() != 4) {
          scan_status = absl::DataLossError(
              absl::StrCat("patient id index entry for \"", key, "\" is damaged"));
          return false;
        }
        patient_nums_[std::string(key)] = keys::DecodeU32(v);
        return true;
      }));
  COTRACK_RETURN_IF_ERROR(scan_status);

  std::vector<absl::string_view> records;
  COTRACK_RETURN_IF_ERROR(store_->Scan(
      nullptr, Family::kMeasures, "", "", [&](absl::string_view key, absl::string_view v) {
        scan_status =
            codec::SplitRecords(v, absl::StrCat("measure ", keys::DecodeU32(key)), &records);
        if (!scan_status.ok()) return false;
        if (records.empty()) return true;
        CatalogEntry entry;
        scan_status = codec::DecodeMeasure(records.back(), &entry);
        if (!scan_status.ok()) return false;
        scan_status = catalog_.Add(entry.id, std::move(entry.def));
        return scan_status.ok();
      }));
  return scan_status;
}

uint32_t DatabaseImpl::PatientNum(absl::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = patient_nums_.find(id);
  return it == patient_nums_.end() ? 0 : it->second;
}

absl::StatusOr<const CatalogEntry*> DatabaseImpl::FindMeasure(absl::string_view code) const {
  std::shared_lock lock(mu_);
  if (const CatalogEntry* e = catalog_.Find(code)) return e;
  std::vector<std::string> codes;
  for (const CatalogEntry* e : catalog_.All()) codes.push_back(e->def.code);
  return absl::NotFoundError(
      absl::StrCat("unknown measure \"", code, "\" (known: ", absl::StrJoin(codes, ", "), ")"));
}

const CatalogEntry* DatabaseImpl::MeasureById(uint32_t id) const {
  std::shared_lock lock(mu_);
  return catalog_.FindById(id);
}

absl::Status DatabaseImpl::CheckWritable() const {
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat(path(), " is open read-only; open it for writing to change it"));
  }
  return absl::OkStatus();
}

absl::Status DatabaseImpl::Compact() {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  return store_->CompactAll();
}

Provenance DatabaseImpl::DefaultProvenance(const Provenance& p) const {
  Provenance out;
  DefaultProvenance(p, &out);
  return out;
}

void DatabaseImpl::DefaultProvenance(const Provenance& in, Provenance* out) const {
  if (in.source.empty()) {
    out->source = "api";
  } else {
    out->source = in.source;
  }
  out->user = !in.user.empty() ? in.user : options_.user.empty() ? os_user_ : options_.user;
  out->reason = in.reason;
  out->line = in.line;
}

}  // namespace cotrack
