#pragma once

// The stored answers of idempotent requests (column `idempotency`): read once when a node
// starts, written through the journal writer (group commit) like every other durable change.

#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"

#include <caf/expected.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace seatgrab::persistence {

/// Idempotency records as opaque key/value pairs; the caller owns their encoding. Reads happen
/// only in `load` (a blocking scan, meant for start-up, not for an I/O thread).
class idempotency_store {
public:
  idempotency_store(store& db, group_commit& journal) : db_(db), journal_(journal) {}

  /// Scans every record and calls `keep(key, value)`; the records it refuses are erased through
  /// the journal writer (not awaited). Returns how many were refused. Fails if the scan fails
  /// (nothing is erased then).
  caf::expected<size_t> load(const std::function<bool(std::string_view, std::string_view)>& keep);

  /// Writes one record through the journal writer; `done` runs once it is durable (or failed).
  void put(std::string key, std::string value, group_commit::callback done);

private:
  store& db_;
  group_commit& journal_;
};

} // namespace seatgrab::persistence
