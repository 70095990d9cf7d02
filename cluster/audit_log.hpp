#pragma once

// A node's audit log of operator actions, without actors or clocks: the admin actor records
// an entry per change and per refused token, journals it, and replays the journal on start
// (journal kind "audit", entity = the member's name).

#include "messages/admin.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace seatgrab::pb {
class audit_entry;
} // namespace seatgrab::pb

namespace seatgrab::cluster {

class audit_log {
public:
  /// Entries kept in memory for `audit`; the journal keeps every one.
  static constexpr size_t kept = 1000;

  /// The journal kind of audit entries.
  static constexpr const char* journal_kind = "audit";

  explicit audit_log(std::string node) : node_(std::move(node)) {}

  /// A new entry (the next sequence number), applied; the caller journals it.
  pb::audit_entry record(int64_t at_ms, std::string who, std::string command, bool ok,
                         std::string outcome);

  /// Applies a journaled entry. Errors: `storage_corruption` if it is not the next one.
  caf::error apply(const pb::audit_entry& e);

  /// The last `n` entries, oldest first.
  std::vector<audit_record> recent(size_t n) const;

  /// Entries applied.
  uint64_t version() const noexcept { return seq_; }

private:
  std::string node_;
  uint64_t seq_ = 0;
  std::deque<audit_record> recent_;
};

} // namespace seatgrab::cluster
