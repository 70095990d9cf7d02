#include "cluster/audit_log.hpp"

#include "messages/audit.pb.h"
#include "messages/ec.hpp"

#include <algorithm>

namespace seatgrab::cluster {

pb::audit_entry audit_log::record(int64_t at_ms, std::string who, std::string command, bool ok,
                                  std::string outcome) {
  pb::audit_entry e;
  e.set_seq(seq_ + 1);
  e.set_at_ms(at_ms);
  e.set_who(std::move(who));
  e.set_command(std::move(command));
  e.set_ok(ok);
  e.set_outcome(std::move(outcome));
  [[maybe_unused]] auto err = apply(e); // the next sequence number: cannot fail
  return e;
}

caf::error audit_log::apply(const pb::audit_entry& e) {
  if (e.seq() != seq_ + 1)
    return caf::make_error(ec::storage_corruption, "audit entry " + std::to_string(e.seq()) +
                                                       " follows " + std::to_string(seq_));
  seq_ = e.seq();
  recent_.push_back(
      audit_record{node_, e.seq(), e.at_ms(), e.who(), e.command(), e.ok(), e.outcome()});
  if (recent_.size() > kept)
    recent_.pop_front();
  return {};
}

bool audit_log::log_refusal(int64_t at_ms) {
  while (!refusals_.empty() && refusals_.front() <= at_ms - 60'000)
    refusals_.pop_front();
  if (refusals_.size() >= refusals_per_minute) {
    ++unlogged_;
    ++unlogged_total_;
    return false;
  }
  refusals_.push_back(at_ms);
  return true;
}

std::vector<audit_record> audit_log::recent(size_t n) const {
  auto from = recent_.size() > n ? recent_.end() - static_cast<std::ptrdiff_t>(n) : recent_.begin();
  return {from, recent_.end()};
}

} // namespace seatgrab::cluster
