#pragma once

// The stored answers of idempotent requests (column `idempotency`): scanned when a node starts,
// read on a miss in the edge's memory, written through the journal writer (group commit) like
// every other durable change.

#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"

#include <caf/expected.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace seatgrab::persistence {

/// Idempotency records as opaque key/value pairs; the caller owns their encoding. `load` is a
/// blocking scan, meant for start-up; `get` is one point read.
class idempotency_store {
public:
  idempotency_store(store& db, group_commit& journal) : db_(db), journal_(journal) {}

  /// Scans every record and calls `keep(key, value)`; the records it refuses are erased through
  /// the journal writer (not awaited). Returns how many were refused. Fails if the scan fails
  /// (nothing is erased then).
  caf::expected<size_t> load(const std::function<bool(std::string_view, std::string_view)>& keep);

  /// Reads one record; nothing if absent. A point read (microseconds from RocksDB's caches),
  /// for the records that no longer fit in the edge's memory.
  caf::expected<std::optional<std::string>> get(const std::string& key) const;

  /// Writes one record through the journal writer; `done` runs once it is durable (or failed).
  void put(std::string key, std::string value, group_commit::callback done);

private:
  store& db_;
  group_commit& journal_;
};

} // namespace seatgrab::persistence
