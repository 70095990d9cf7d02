#pragma once

#include "persistence/durability.hpp"

#include <caf/expected.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Cache;
class Env;
} // namespace rocksdb

namespace seatgrab::persistence {

/// The column families of a node's database.
enum class column : uint8_t {
  journal,     ///< events per entity, key = journal_key(kind, entity, seq)
  snapshot,    ///< latest snapshot per entity, key = snapshot_key(kind, entity)
  idempotency, ///< request fingerprints and replies, written with the effect they guard
  meta,        ///< node-wide settings and counters
  holds,       ///< live holds by holder, written by sections with each hold (actors/hold_index)
};

/// One change in a write set. `value` is the raw payload; the store seals it.
struct write_op {
  enum kind_t : uint8_t { append, snapshot, put, erase } op;
  column cf = column::journal;
  std::string kind;   // append/snapshot: entity kind
  std::string entity; // append/snapshot: entity id
  uint64_t seq = 0;   // append/snapshot: sequence number
  std::string key;    // put/erase: raw key
  std::string value;  // payload
};

/// Changes that become durable together, atomically.
class write_set {
public:
  void append(std::string_view kind, std::string_view entity, uint64_t seq, std::string payload);
  /// Stores a snapshot taken after event `seq`. Recovery starts from it; the journal records
  /// it covers stay, as the audit trail that verifiers replay.
  void snapshot(std::string_view kind, std::string_view entity, uint64_t seq, std::string payload);
  void put(column cf, std::string key, std::string value);
  void erase(column cf, std::string key);

  bool empty() const noexcept { return ops_.empty(); }
  size_t size() const noexcept { return ops_.size(); }
  const std::vector<write_op>& ops() const noexcept { return ops_; }

private:
  std::vector<write_op> ops_;
};

/// An entity's persisted history: the latest snapshot and the events after it.
struct entity_log {
  std::optional<std::string> snapshot; ///< payload of the latest snapshot, if any
  uint64_t snapshot_seq = 0;           ///< the event the snapshot includes (0 = none)
  std::vector<std::pair<uint64_t, std::string>> tail; ///< (seq, payload), contiguous

  /// The sequence number of the last event (snapshot or tail).
  uint64_t last_seq() const noexcept { return tail.empty() ? snapshot_seq : tail.back().first; }
};

struct store_options {
  std::filesystem::path dir = "./data";
  durability mode = durability::fsync;
  /// The environment RocksDB runs on; null for the default (tests pass one that injects I/O
  /// faults). It must outlive the store.
  rocksdb::Env* env = nullptr;
  /// Memory for all memtables together (RocksDB's write buffer manager): past it the largest
  /// is flushed, so a sustained write load cannot grow the node without bound.
  size_t memtable_budget = size_t{16} << 20;
  /// The block cache all column families share, with the tables' index and filter blocks.
  size_t block_cache = size_t{16} << 20;
  /// Table files kept open at once (a descriptor each; the least recently read is closed
  /// past it). Unbounded, their number follows the data written: a grown store could take
  /// the descriptors the connection cap counts on (app/serve.cpp's reserve).
  int max_table_files = 128;
};

/// What RocksDB holds in memory, for /metrics.
struct store_memory {
  uint64_t memtables = 0;     ///< all memtables, flushed or not yet freed
  uint64_t block_cache = 0;   ///< the shared block cache
  uint64_t table_readers = 0; ///< index and filter blocks outside the cache
};

/// One RocksDB per node. Thread-safe: RocksDB serializes writers itself. Every RocksDB
/// `Status` is turned into a `seatgrab::ec` error here and nowhere else.
class store {
public:
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Opens or creates the database. Errors name the path: `storage_unavailable` (cannot be
  /// created or read), `storage_locked` (another process has it), `storage_io`.
  static caf::expected<std::unique_ptr<store>> open(const store_options& opts);

  /// Opens the database in `dir`, which another process may be running, read-only as a RocksDB
  /// secondary instance keeping its own files in `secondary_dir` (e.g. to verify a live node).
  static caf::expected<std::unique_ptr<store>>
  open_secondary(const std::filesystem::path& dir, const std::filesystem::path& secondary_dir);

  durability mode() const noexcept { return opts_.mode; }
  const std::filesystem::path& dir() const noexcept { return opts_.dir; }

  /// Writes `ws` as one atomic batch; `sync` makes it fsync the WAL before returning.
  caf::expected<void> write(const write_set& ws, bool sync);

  /// Writes several write sets as one atomic batch (group commit).
  caf::expected<void> write(const std::vector<const write_set*>& sets, bool sync);

  /// Snapshot plus journal tail of one entity. A record failing its checksum or a gap is
  /// `storage_corruption` naming the key. (A torn write at a crash is RocksDB's WAL tail,
  /// dropped when the database opens; it was never acknowledged.)
  caf::expected<entity_log> load(std::string_view kind, std::string_view entity) const;

  /// Every journal record of one entity from the first, ignoring snapshots: the audit trail.
  /// Validated like `load`.
  caf::expected<entity_log> history(std::string_view kind, std::string_view entity) const;

  /// Ids of all entities of `kind` that have a snapshot or journal records, in byte order.
  caf::expected<std::vector<std::string>> entities(std::string_view kind) const;

  /// Loads every entity of every kind, as recovery would, and reports the first bad record.
  /// Returns the number of entities checked.
  caf::expected<size_t> verify() const;

  /// Reads one value from a plain column (idempotency, meta); nothing if absent.
  caf::expected<std::optional<std::string>> get(column cf, std::string_view key) const;

  /// Calls `f(key, value)` for every entry of a plain column (idempotency, meta) in key order,
  /// until `f` returns false. A value failing its checksum is `storage_corruption`.
  caf::expected<void>
  for_each(column cf, const std::function<bool(std::string_view, std::string_view)>& f) const;

  /// The same for the entries whose key starts with `prefix`.
  caf::expected<void>
  for_each(column cf, std::string_view prefix,
           const std::function<bool(std::string_view, std::string_view)>& f) const;

  /// What RocksDB holds in memory now.
  store_memory memory() const;

  /// Flushes the WAL to disk (used at shutdown in `wal` mode).
  caf::expected<void> sync_wal();

  /// Writes every memtable out to table files and waits for it (tests of reads from tables).
  caf::expected<void> flush();

  /// Merges every column's tables into one sorted run and waits (tests of large tables).
  caf::expected<void> compact();

  /// Takes the database out of the read-only state a failed write left it in (RocksDB's
  /// `Resume`): the memtables, which hold exactly the writes that succeeded, are flushed and
  /// a new WAL is started, so a failed batch is never replayed. Fails, still read-only, while
  /// the cause lasts (e.g. `storage_full` until space returns); reads work throughout.
  caf::expected<void> recover();

private:
  store() = default;
  static caf::expected<std::unique_ptr<store>> open(const store_options& opts,
                                                    const std::filesystem::path& secondary);
  rocksdb::ColumnFamilyHandle* handle(column cf) const;
  caf::error read_journal(std::string_view kind, std::string_view entity, entity_log& log) const;

  store_options opts_;
  std::unique_ptr<rocksdb::Env> mem_env_; // only in `none` mode; outlives db_
  std::shared_ptr<rocksdb::Cache> cache_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::DB* db_ = nullptr;
  // A write failed and `recover` has not succeeded since: RocksDB's WAL writer must not be
  // asked to sync (RocksDB 7.8 aborts on a sync of a writer that saw an error).
  std::atomic<bool> write_failed_{false};
};

} // namespace seatgrab::persistence
