#pragma once

// A node's audit log of operator actions, without actors or clocks: the admin actor records
// an entry per change and per refused token, journals it, and replays the journal on start
// (journal kind "audit", entity = the member's name).

#include "messages/admin.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
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

  /// Refused tokens journaled in any minute; past it they are only counted, so a local client
  /// guessing tokens cannot grow the journal (or the log) without bound.
  static constexpr size_t refusals_per_minute = 60;

  explicit audit_log(std::string node) : node_(std::move(node)) {}

  /// A new entry (the next sequence number), applied; the caller journals it.
  pb::audit_entry record(int64_t at_ms, std::string who, std::string command, bool ok,
                         std::string outcome);

  /// Applies a journaled entry. Errors: `storage_corruption` if it is not the next one.
  caf::error apply(const pb::audit_entry& e);

  /// Whether a refused token at `at_ms` is journaled: yes while fewer than
  /// `refusals_per_minute` were in the minute before it; otherwise it is counted in `unlogged`.
  bool log_refusal(int64_t at_ms);

  /// Refusals not journaled since the last one that was (the next logged one names them),
  /// and in all since start.
  uint64_t unlogged() const noexcept { return unlogged_; }
  uint64_t unlogged_total() const noexcept { return unlogged_total_; }

  /// Takes the count of refusals not journaled since the last one that was, for its entry.
  uint64_t take_unlogged() noexcept { return std::exchange(unlogged_, 0); }

  /// The last `n` entries, oldest first.
  std::vector<audit_record> recent(size_t n) const;

  /// Entries applied.
  uint64_t version() const noexcept { return seq_; }

private:
  std::string node_;
  uint64_t seq_ = 0;
  std::deque<audit_record> recent_;
  std::deque<int64_t> refusals_; // times of the refusals journaled in the last minute
  uint64_t unlogged_ = 0;
  uint64_t unlogged_total_ = 0;
};

} // namespace seatgrab::cluster
