#include "storage/record_log_merge.h"

#include <string>
#include <vector>

namespace cotrack {
namespace {

class RecordLogMerge : public rocksdb::MergeOperator {
 public:
  // Stored in the OPTIONS file: never rename.
  const char* Name() const override { return "cotrack.RecordLogAppend"; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    size_t total = in.existing_value ? in.existing_value->size() : 0;
    for (const auto& op : in.operand_list) total += op.size();
    out->new_value.clear();
    out->new_value.reserve(total);
    if (in.existing_value)
      out->new_value.append(in.existing_value->data(), in.existing_value->size());
    for (const auto& op : in.operand_list) out->new_value.append(op.data(), op.size());
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    new_value->clear();
    for (const auto& op : operands) new_value->append(op.data(), op.size());
    return true;
  }

  bool AllowSingleOperand() const override { return true; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewRecordLogMergeOperator() {
  return std::make_shared<RecordLogMerge>();
}

}  // namespace cotrack
