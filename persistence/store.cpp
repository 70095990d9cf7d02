#include "persistence/store.hpp"

#include "messages/ec.hpp"
#include "persistence/keys.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace seatgrab::persistence {

namespace {

constexpr const char* column_names[] = {"journal", "snapshot", "idempotency", "meta", "holds"};

/// The journal's keys up to their sequence number (`entity_prefix`): a table's prefix filter
/// then tells a reader that an entity has no records in it, so starting an entity that never
/// wrote (a fan's first session) reads no data block. Keys of another shape have no prefix.
class entity_prefix_transform : public rocksdb::SliceTransform {
public:
  const char* Name() const override { return "seatgrab.entity_prefix.1"; }

  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), prefix_length(key.ToStringView())};
  }

  bool InDomain(const rocksdb::Slice& key) const override {
    return prefix_length(key.ToStringView()) != 0;
  }

private:
  /// Up to and including the second NUL, or 0 when there is none.
  static size_t prefix_length(std::string_view key) {
    auto first = key.find('\0');
    if (first == std::string_view::npos)
      return 0;
    auto second = key.find('\0', first + 1);
    return second == std::string_view::npos ? 0 : second + 1;
  }
};

/// The first key after every key starting with `prefix`, or empty when there is none.
std::string prefix_end(std::string_view prefix) {
  std::string end{prefix};
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff)
    end.pop_back();
  if (!end.empty())
    end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

/// Reads the keys starting with `prefix` (all keys if empty) in key order, across entities:
/// total order, or the journal's prefix extractor would end the scan, or skip tables, at the
/// first entity's prefix. The bound stops RocksDB at the prefix's end: without it, a seek past the
/// last live key walked every deletion after it (the holds column erases each note, and a fan's
/// first session scanned hundreds of thousands).
struct prefix_read {
  explicit prefix_read(std::string_view prefix) : end{prefix_end(prefix)}, bound{end} {
    options.total_order_seek = true;
    if (!end.empty())
      options.iterate_upper_bound = &bound;
  }
  prefix_read(const prefix_read&) = delete;
  prefix_read& operator=(const prefix_read&) = delete;

  std::string end;
  rocksdb::Slice bound;
  rocksdb::ReadOptions options;
};

/// Creates `dir` for the user alone (0700): it holds the admission HMAC key and the events'
/// signing keys. An existing dir that group or others may use is tightened with a warning when
/// it is ours (a store or empty), otherwise only warned about.
caf::error prepare_data_dir(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code err;
  if (fs::exists(dir, err) && !fs::is_directory(dir, err))
    return caf::make_error(ec::storage_unavailable,
                           "data dir " + dir.string() + " exists and is not a directory");
  bool created = fs::create_directories(dir, err);
  if (err)
    return caf::make_error(ec::storage_unavailable,
                           "cannot create data dir " + dir.string() + ": " + err.message());
  auto mode = fs::status(dir, err).permissions();
  if (err)
    return caf::make_error(ec::storage_unavailable,
                           "cannot read data dir " + dir.string() + ": " + err.message());
  auto shared = mode & (fs::perms::group_all | fs::perms::others_all);
  if (shared == fs::perms::none)
    return {};
  auto octal = fmt::format("{:o}", static_cast<unsigned>(mode));
  std::error_code ignored;
  if (!created && !fs::exists(dir / "CURRENT", ignored) && !fs::is_empty(dir, ignored)) {
    spdlog::warn("data dir {} (mode {}) is open to group or others and holds signing keys",
                 dir.string(), octal);
    return {};
  }
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, err);
  if (err)
    spdlog::warn("data dir {} (mode {}) is open to group or others and cannot be restricted: {}",
                 dir.string(), octal, err.message());
  else if (!created)
    spdlog::warn("data dir {} was open to group or others (mode {}): now 700", dir.string(), octal);
  return {};
}

/// RocksDB's own log, sent to ours. Its default logger writes a LOG file into the data dir,
/// and on a full disk RocksDB 7.8 aborts (an assertion in `WritableFileWriter`) when it logs
/// again after a failed append to that file: the first failed journal write killed the node.
class rocksdb_logger : public rocksdb::Logger {
public:
  rocksdb_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel())
      return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    switch (level) {
    case rocksdb::InfoLogLevel::DEBUG_LEVEL:
      spdlog::debug("rocksdb: {}", line);
      break;
    case rocksdb::InfoLogLevel::INFO_LEVEL:
    case rocksdb::InfoLogLevel::HEADER_LEVEL:
      spdlog::info("rocksdb: {}", line);
      break;
    case rocksdb::InfoLogLevel::WARN_LEVEL:
      spdlog::warn("rocksdb: {}", line);
      break;
    default:
      spdlog::error("rocksdb: {}", line);
      break;
    }
  }
};

/// Leaves recovery from a failed write to us (`store::recover`, driven by the journal writer)
/// instead of RocksDB's own poller, and keeps an I/O error in the write path recoverable:
/// RocksDB 7.8 rates a failed WAL append or sync other than ENOSPC fatal, which only a reopen
/// clears, and a reopen would replay the WAL holding the failed batch. `Resume` instead
/// flushes the memtables, which never received that batch, and starts a new WAL.
class error_listener : public rocksdb::EventListener {
public:
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* err) override {
    bool write_path = reason == rocksdb::BackgroundErrorReason::kWriteCallback ||
                      reason == rocksdb::BackgroundErrorReason::kFlush ||
                      reason == rocksdb::BackgroundErrorReason::kManifestWrite;
    if (write_path && err->IsIOError() && !err->IsIOFenced() &&
        err->severity() > rocksdb::Status::Severity::kHardError)
      *err = rocksdb::Status{*err, rocksdb::Status::Severity::kHardError};
  }

  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

// The one place where a RocksDB status becomes one of our errors.
caf::error to_error(const rocksdb::Status& st, std::string_view what) {
  auto msg = std::string{what} + ": " + st.ToString();
  if (st.IsCorruption())
    return caf::make_error(ec::storage_corruption, std::move(msg));
  if (st.IsNoSpace())
    return caf::make_error(ec::storage_full, std::move(msg));
  if (st.IsIOError() && st.ToString().find("lock") != std::string::npos)
    return caf::make_error(ec::storage_locked, std::move(msg));
  if (st.IsIOError() && (st.ToString().find("ermission") != std::string::npos ||
                         st.ToString().find("Not a directory") != std::string::npos))
    return caf::make_error(ec::storage_unavailable, std::move(msg));
  return caf::make_error(ec::storage_io, std::move(msg));
}

} // namespace

// -- write_set ----------------------------------------------------------------

void write_set::append(std::string_view kind, std::string_view entity, uint64_t seq,
                       std::string payload) {
  ops_.push_back(write_op{write_op::append,
                          column::journal,
                          std::string{kind},
                          std::string{entity},
                          seq,
                          {},
                          std::move(payload)});
}

void write_set::snapshot(std::string_view kind, std::string_view entity, uint64_t seq,
                         std::string payload) {
  ops_.push_back(write_op{write_op::snapshot,
                          column::snapshot,
                          std::string{kind},
                          std::string{entity},
                          seq,
                          {},
                          std::move(payload)});
}

void write_set::put(column cf, std::string key, std::string value) {
  ops_.push_back(write_op{write_op::put, cf, {}, {}, 0, std::move(key), std::move(value)});
}

void write_set::erase(column cf, std::string key) {
  ops_.push_back(write_op{write_op::erase, cf, {}, {}, 0, std::move(key), {}});
}

// -- store --------------------------------------------------------------------

store::~store() {
  if (db_ == nullptr)
    return;
  for (auto* h : handles_) {
    auto st = db_->DestroyColumnFamilyHandle(h);
    if (!st.ok())
      spdlog::error("closing column family: {}", st.ToString());
  }
  auto st = db_->Close();
  if (!st.ok())
    spdlog::error("closing database {}: {}", opts_.dir.string(), st.ToString());
  delete db_;
}

caf::expected<std::unique_ptr<store>> store::open(const store_options& opts) {
  return open(opts, {});
}

caf::expected<std::unique_ptr<store>>
store::open_secondary(const std::filesystem::path& dir,
                      const std::filesystem::path& secondary_dir) {
  if (secondary_dir.empty())
    return caf::make_error(ec::storage_unavailable, "no directory for the secondary instance");
  return open({dir, durability::fsync}, secondary_dir);
}

caf::expected<std::unique_ptr<store>> store::open(const store_options& opts,
                                                  const std::filesystem::path& secondary) {
  std::unique_ptr<store> result{new store};
  result->opts_ = opts;
  rocksdb::Options db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.paranoid_checks = true;
  // A torn WAL tail after a crash (the record being written when the process died, never
  // acknowledged) is dropped; corruption anywhere else in the log fails the open loudly.
  db_opts.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_opts.info_log = std::make_shared<rocksdb_logger>();
  db_opts.listeners.push_back(std::make_shared<error_listener>());
  db_opts.max_bgerror_resume_count = 0; // no retry thread of its own either: see above
  if (opts.env != nullptr)
    db_opts.env = opts.env;
  // RocksDB keeps 10 of max_open_files for its logs and manifest.
  db_opts.max_open_files = opts.max_table_files + 10;
  if (!secondary.empty()) {
    db_opts.create_if_missing = false;
    db_opts.create_missing_column_families = false;
    db_opts.max_open_files = -1; // a secondary instance must keep every file open
  } else if (opts.mode == durability::none) {
    result->mem_env_.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
    db_opts.env = result->mem_env_.get();
  } else if (auto err = prepare_data_dir(opts.dir)) {
    return err;
  }
  // Bounded memory: RocksDB's defaults (64 MB memtables, two per column family, and a cache
  // per family) let five families take over 600 MB under a steady stream of holds.
  result->cache_ = rocksdb::NewLRUCache(opts.block_cache);
  db_opts.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(opts.memtable_budget);
  // Families written rarely (meta) would otherwise pin old WAL files for ever.
  db_opts.max_total_wal_size = 2 * opts.memtable_budget;
  rocksdb::BlockBasedTableOptions table_opts;
  table_opts.block_cache = result->cache_;
  // Index and filter blocks live in the bounded cache too: outside it, their memory grows with
  // every table file written. L0's stay pinned, being read on every lookup.
  table_opts.cache_index_and_filter_blocks = true;
  table_opts.pin_l0_filter_and_index_blocks_in_cache = true;
  // Most idempotency lookups are for fresh keys: a filter answers "absent" without reading
  // (and caching) data blocks of every table.
  table_opts.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // In 4 KB partitions under a pinned top level: a large table's whole filter (750 KB for a
  // 64 MB journal table) does not fit a shard of a small cache, and was read back and
  // checksummed on every lookup (a third of the stadium run's time under perf).
  table_opts.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table_opts.partition_filters = true;
  table_opts.pin_top_level_index_and_filter = true;
  rocksdb::ColumnFamilyOptions cf_opts;
  cf_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_opts));
  cf_opts.write_buffer_size = std::max<size_t>(opts.memtable_budget / 4, size_t{1} << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  auto journal_opts = cf_opts;
  journal_opts.prefix_extractor = std::make_shared<entity_prefix_transform>();
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_opts);
  for (auto* name : column_names)
    families.emplace_back(name, std::string_view{name} == "journal" ? journal_opts : cf_opts);
  // The memory env wants absolute paths; the name only tells databases apart.
  auto path = opts.dir.string();
  if (opts.mode == durability::none && !opts.dir.is_absolute())
    path = "/" + path;
  // RocksDB lists the directory before creating it, and logged a NotFound error for every
  // in-memory store (each scenario run began with an alarming "[error] rocksdb" line).
  if (result->mem_env_)
    if (auto st = result->mem_env_->CreateDirIfMissing(path); !st.ok())
      return to_error(st, "creating in-memory store " + path);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto st = secondary.empty() ? rocksdb::DB::Open(db_opts, path, families, &handles, &result->db_)
                              : rocksdb::DB::OpenAsSecondary(db_opts, path, secondary.string(),
                                                             families, &handles, &result->db_);
  if (!st.ok())
    return to_error(st, "opening data dir " + opts.dir.string());
  result->handles_ = std::move(handles);
  return result;
}

store_memory store::memory() const {
  store_memory m;
  // Properties RocksDB does not know stay 0: these are for graphs, not for decisions.
  uint64_t v = 0;
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &v))
    m.memtables = v;
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &v))
    m.table_readers = v;
  if (cache_)
    m.block_cache = cache_->GetUsage();
  return m;
}

rocksdb::ColumnFamilyHandle* store::handle(column cf) const {
  // handles_[0] is the default family, which we do not use.
  return handles_[static_cast<size_t>(cf) + 1];
}

caf::expected<void> store::write(const write_set& ws, bool sync) {
  return write(std::vector<const write_set*>{&ws}, sync);
}

caf::expected<void> store::write(const std::vector<const write_set*>& sets, bool sync) {
  rocksdb::WriteBatch batch;
  for (const auto* ws : sets) {
    for (const auto& op : ws->ops()) {
      rocksdb::Status st;
      switch (op.op) {
      case write_op::append:
        st = batch.Put(handle(column::journal), journal_key(op.kind, op.entity, op.seq),
                       seal(op.value));
        break;
      case write_op::snapshot: {
        std::string value;
        put_u64_be(value, op.seq);
        value.append(op.value);
        st = batch.Put(handle(column::snapshot), snapshot_key(op.kind, op.entity), seal(value));
        break;
      }
      case write_op::put:
        st = batch.Put(handle(op.cf), op.key, seal(op.value));
        break;
      case write_op::erase:
        st = batch.Delete(handle(op.cf), op.key);
        break;
      }
      if (!st.ok())
        return to_error(st, "building write batch");
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync && opts_.mode == durability::fsync;
  auto st = db_->Write(wo, &batch);
  if (!st.ok()) {
    write_failed_ = true;
    return to_error(st, "writing batch");
  }
  return {};
}

caf::expected<entity_log> store::load(std::string_view kind, std::string_view entity) const {
  entity_log log;
  std::string raw;
  auto skey = snapshot_key(kind, entity);
  auto st = db_->Get(rocksdb::ReadOptions{}, handle(column::snapshot), skey, &raw);
  if (st.ok()) {
    auto payload = unseal(raw);
    if (!payload || payload->size() < 8)
      return caf::make_error(ec::storage_corruption,
                             "snapshot record fails its checksum: " + printable_key(skey));
    log.snapshot_seq = get_u64_be(*payload);
    log.snapshot = std::string{payload->substr(8)};
  } else if (!st.IsNotFound()) {
    return to_error(st, "reading snapshot " + printable_key(skey));
  }
  if (auto err = read_journal(kind, entity, log))
    return err;
  return log;
}

caf::error store::read_journal(std::string_view kind, std::string_view entity,
                               entity_log& log) const {
  auto prefix = entity_prefix(kind, entity);
  // One entity's records only: the prefix filters skip every table without them.
  rocksdb::ReadOptions ro;
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(ro, handle(column::journal))};
  uint64_t expected_seq = log.snapshot_seq + 1;
  for (it->Seek(journal_key(kind, entity, log.snapshot_seq + 1));
       it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto key = it->key().ToStringView();
    auto parts = parse_journal_key(key);
    if (!parts)
      return caf::make_error(ec::storage_corruption,
                             "malformed journal key: " + printable_key(key));
    if (parts->seq != expected_seq)
      return caf::make_error(ec::storage_corruption, "journal gap: expected sequence " +
                                                         std::to_string(expected_seq) + ", found " +
                                                         printable_key(key));
    // RocksDB writes batches atomically, so a torn write never surfaces as a bad value: a
    // checksum mismatch here is corruption (or a bug), even in the newest record.
    auto payload = unseal(it->value().ToStringView());
    if (!payload)
      return caf::make_error(ec::storage_corruption,
                             "journal record fails its checksum: " + printable_key(key));
    log.tail.emplace_back(parts->seq, std::string{*payload});
    ++expected_seq;
  }
  if (!it->status().ok())
    return to_error(it->status(), "reading journal of " + printable_key(prefix));
  return {};
}

caf::expected<entity_log> store::history(std::string_view kind, std::string_view entity) const {
  entity_log log;
  if (auto err = read_journal(kind, entity, log))
    return err;
  return log;
}

caf::expected<std::vector<std::string>> store::entities(std::string_view kind) const {
  std::vector<std::string> result;
  auto prefix = kind_prefix(kind);
  for (auto cf : {column::snapshot, column::journal}) {
    prefix_read read{prefix};
    std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(read.options, handle(cf))};
    it->Seek(prefix);
    while (it->Valid() && it->key().starts_with(prefix)) {
      auto rest = it->key().ToStringView().substr(prefix.size());
      auto entity = std::string{rest.substr(0, rest.find('\0'))};
      result.push_back(entity);
      // Skip the rest of this entity: its keys continue with 0x00, and 0x01 sorts after.
      auto next = prefix + entity;
      next.push_back('\x01');
      it->Seek(next);
    }
    if (!it->status().ok())
      return to_error(it->status(), "listing entities of kind " + std::string{kind});
  }
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

caf::expected<size_t> store::verify() const {
  size_t checked = 0;
  prefix_read whole{{}};
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(whole.options, handle(column::journal))};
  it->SeekToFirst();
  while (it->Valid()) {
    auto parts = parse_journal_key(it->key().ToStringView());
    if (!parts)
      return caf::make_error(ec::storage_corruption,
                             "malformed journal key: " + printable_key(it->key().ToStringView()));
    if (auto log = load(parts->kind, parts->entity); !log)
      return log.error();
    ++checked;
    auto next = kind_prefix(parts->kind) + parts->entity;
    next.push_back('\x01');
    it->Seek(next);
  }
  if (!it->status().ok())
    return to_error(it->status(), "scanning the journal");
  return checked;
}

caf::expected<std::optional<std::string>> store::get(column cf, std::string_view key) const {
  std::string raw;
  auto st = db_->Get(rocksdb::ReadOptions{}, handle(cf), key, &raw);
  if (st.IsNotFound())
    return std::optional<std::string>{};
  if (!st.ok())
    return to_error(st, "reading " + printable_key(key));
  auto payload = unseal(raw);
  if (!payload)
    return caf::make_error(ec::storage_corruption,
                           "record fails its checksum: " + printable_key(key));
  return std::optional<std::string>{std::string{*payload}};
}

caf::expected<void>
store::for_each(column cf, const std::function<bool(std::string_view, std::string_view)>& f) const {
  return for_each(cf, {}, f);
}

caf::expected<void>
store::for_each(column cf, std::string_view prefix,
                const std::function<bool(std::string_view, std::string_view)>& f) const {
  prefix_read read{prefix};
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(read.options, handle(cf))};
  // An empty prefix may have no data at all: RocksDB's compare would pass memcmp a null.
  if (prefix.empty())
    it->SeekToFirst();
  else
    it->Seek(prefix);
  for (; it->Valid() && (prefix.empty() || it->key().starts_with(prefix)); it->Next()) {
    auto key = it->key().ToStringView();
    auto payload = unseal(it->value().ToStringView());
    if (!payload)
      return caf::make_error(ec::storage_corruption,
                             "record fails its checksum: " + printable_key(key));
    if (!f(key, *payload))
      return {};
  }
  if (auto st = it->status(); !st.ok())
    return to_error(st, "scanning a column");
  return {};
}

caf::expected<void> store::recover() {
  auto st = db_->Resume();
  if (!st.ok())
    return to_error(st, "resuming writes to " + opts_.dir.string());
  write_failed_ = false;
  return {};
}

caf::expected<void> store::sync_wal() {
  if (opts_.mode == durability::none)
    return {};
  if (write_failed_)
    return caf::make_error(ec::storage_io, "not syncing the WAL of " + opts_.dir.string() +
                                               ": a write failed and writing has not resumed");
  auto st = db_->FlushWAL(true);
  if (!st.ok())
    return to_error(st, "syncing WAL");
  return {};
}

caf::expected<void> store::flush() {
  auto st = db_->Flush(rocksdb::FlushOptions{}, handles_);
  if (!st.ok())
    return to_error(st, "flushing memtables of " + opts_.dir.string());
  return {};
}

caf::expected<void> store::compact() {
  for (auto* h : handles_)
    if (auto st = db_->CompactRange(rocksdb::CompactRangeOptions{}, h, nullptr, nullptr); !st.ok())
      return to_error(st, "compacting " + opts_.dir.string());
  return {};
}

} // namespace seatgrab::persistence
