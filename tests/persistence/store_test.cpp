#include "messages/ec.hpp"
#include "persistence/keys.hpp"
#include "persistence/store.hpp"
#include "tests/support/process.hpp"

#include <doctest/doctest.h>
#include <rocksdb/db.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
namespace pst = seatgrab::persistence;
using seatgrab::ec;
using seatgrab::render;

namespace {

fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("seatgrab-store-test-" + name);
  fs::remove_all(dir);
  return dir;
}

void append_n(pst::store& db, const std::string& entity, uint64_t n) {
  pst::write_set ws;
  for (uint64_t seq = 1; seq <= n; ++seq)
    ws.append("kind", entity, seq, "event-" + std::to_string(seq));
  REQUIRE(db.write(ws, true));
}

// Writes journal-column records with plain RocksDB options, behind the store's back: as a
// disk fault would (`clobber`), or as an earlier release did (no prefix filters), and flushes
// them into a table file.
void write_raw(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& kvs) {
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (auto* name : {"default", "journal", "snapshot", "idempotency", "meta", "holds"})
    families.emplace_back(name, rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  REQUIRE(rocksdb::DB::Open(opts, dir.string(), families, &handles, &db).ok());
  for (const auto& kv : kvs)
    REQUIRE(db->Put(rocksdb::WriteOptions{}, handles[1], kv.first, kv.second).ok());
  REQUIRE(db->Flush(rocksdb::FlushOptions{}, handles[1]).ok());
  for (auto* h : handles)
    REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
  REQUIRE(db->Close().ok());
  delete db;
}

// Overwrites one stored value behind the store's back, as a disk fault would.
void clobber(const fs::path& dir, const std::string& key, const std::string& raw) {
  write_raw(dir, {{key, raw}});
}

constexpr size_t small_budget = size_t{4} << 20;

// A store with 4 MB of memtables and `cache` bytes of block cache: tables pile up quickly.
std::unique_ptr<pst::store> small_store(const fs::path& dir, size_t cache) {
  pst::store_options opts{dir, pst::durability::wal};
  opts.memtable_budget = small_budget;
  opts.block_cache = cache;
  auto db = pst::store::open(opts);
  REQUIRE(db);
  return std::move(*db);
}

std::pair<int, std::string> run_cli(const std::string& args) {
  return seatgrab::test::run_command(std::string{SEATGRAB_BIN} + " " + args);
}

} // namespace

TEST_CASE("a data dir that is a file is refused, naming the path") {
  auto path = fresh_dir("file");
  std::ofstream{path} << "not a directory";
  auto db = pst::store::open({path, pst::durability::fsync});
  REQUIRE_FALSE(db);
  CHECK(db.error() == ec::storage_unavailable);
  CHECK(render(db.error()).find(path.string()) != std::string::npos);
  auto [code, out] = run_cli("serve --data-dir " + path.string());
  CHECK(code != 0);
  CHECK(out.find(path.string()) != std::string::npos);
  fs::remove(path);
}

TEST_CASE("a data dir that cannot be created is refused, naming the path") {
  fs::path path = "/proc/seatgrab-cannot-exist/data";
  auto db = pst::store::open({path, pst::durability::fsync});
  REQUIRE_FALSE(db);
  CHECK(db.error() == ec::storage_unavailable);
  CHECK(render(db.error()).find(path.string()) != std::string::npos);
}

TEST_CASE("a data dir locked by another process is refused, naming the path") {
  auto dir = fresh_dir("locked");
  // crash_appender keeps the database open; its first ack proves it holds the lock.
  auto holder = seatgrab::test::spawn_reading_stdout(CRASH_APPENDER, {dir.string(), "1"});
  REQUIRE(holder.pid > 0);
  char c = 0;
  REQUIRE(read(holder.out, &c, 1) == 1);
  auto db = pst::store::open({dir, pst::durability::fsync});
  auto [code, out] = run_cli("serve --data-dir " + dir.string());
  kill(holder.pid, SIGKILL);
  waitpid(holder.pid, nullptr, 0);
  close(holder.out);
  REQUIRE_FALSE(db);
  CHECK(db.error() == ec::storage_locked);
  CHECK(render(db.error()).find(dir.string()) != std::string::npos);
  CHECK(code != 0);
  CHECK(out.find(dir.string()) != std::string::npos);
  // Once the holder is gone the same directory opens.
  CHECK(pst::store::open({dir, pst::durability::fsync}));
  fs::remove_all(dir);
}

TEST_CASE("a second open in the same process is refused") {
  auto dir = fresh_dir("twice");
  auto first = pst::store::open({dir, pst::durability::fsync});
  REQUIRE(first);
  auto second = pst::store::open({dir, pst::durability::fsync});
  REQUIRE_FALSE(second);
  CHECK(second.error() == ec::storage_locked);
  first->reset();
  fs::remove_all(dir);
}

TEST_CASE("a corrupted record in the middle stops recovery, naming the key") {
  auto dir = fresh_dir("corrupt");
  {
    auto db = pst::store::open({dir, pst::durability::fsync});
    REQUIRE(db);
    append_n(**db, "victim", 5);
  }
  clobber(dir, pst::journal_key("kind", "victim", 3), "garbage!");
  auto db = pst::store::open({dir, pst::durability::fsync});
  REQUIRE(db);
  auto log = (*db)->load("kind", "victim");
  REQUIRE_FALSE(log);
  CHECK(log.error() == ec::storage_corruption);
  CHECK(render(log.error()).find("kind/victim/3") != std::string::npos);
  auto verified = (*db)->verify();
  REQUIRE_FALSE(verified);
  CHECK(render(verified.error()).find("kind/victim/3") != std::string::npos);
  db->reset();
  auto [code, out] = run_cli("serve --data-dir " + dir.string());
  CHECK(code != 0);
  CHECK(out.find("kind/victim/3") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a torn write at the end of the log is dropped at open; the rest is intact") {
  auto dir = fresh_dir("torn");
  {
    auto db = pst::store::open({dir, pst::durability::fsync});
    REQUIRE(db);
    for (uint64_t seq = 1; seq <= 5; ++seq) { // one synced batch per record
      pst::write_set ws;
      ws.append("kind", "victim", seq, "event-" + std::to_string(seq));
      REQUIRE((*db)->write(ws, true));
    }
  }
  // A crash in the middle of writing record 5: the log ends in half a record.
  fs::path wal;
  for (const auto& entry : fs::directory_iterator{dir})
    if (entry.path().extension() == ".log" && (wal.empty() || entry.path() > wal))
      wal = entry.path();
  REQUIRE_FALSE(wal.empty());
  fs::resize_file(wal, fs::file_size(wal) - 5);
  auto db = pst::store::open({dir, pst::durability::fsync});
  REQUIRE_MESSAGE(db, render(db));
  auto log = (*db)->load("kind", "victim");
  REQUIRE(log);
  CHECK(log->last_seq() == 4);
  CHECK(log->tail.back().second == "event-4");
  db->reset();
  fs::remove_all(dir);
}

TEST_CASE("a bad checksum is corruption even in the newest record") {
  auto dir = fresh_dir("newest");
  {
    auto db = pst::store::open({dir, pst::durability::fsync});
    REQUIRE(db);
    append_n(**db, "victim", 5);
  }
  auto sealed = pst::seal("event-5");
  clobber(dir, pst::journal_key("kind", "victim", 5), sealed.substr(0, sealed.size() - 3));
  auto db = pst::store::open({dir, pst::durability::fsync});
  REQUIRE(db);
  auto log = (*db)->load("kind", "victim");
  REQUIRE_FALSE(log);
  CHECK(log.error() == ec::storage_corruption);
  CHECK(render(log.error()).find("kind/victim/5") != std::string::npos);
  db->reset();
  fs::remove_all(dir);
}

TEST_CASE("a hole in the journal is corruption, naming where it was found") {
  auto dir = fresh_dir("hole");
  auto db = pst::store::open({dir, pst::durability::fsync});
  REQUIRE(db);
  pst::write_set ws;
  ws.append("kind", "holey", 1, "a");
  ws.append("kind", "holey", 2, "b");
  ws.append("kind", "holey", 4, "d");
  REQUIRE((*db)->write(ws, true));
  auto log = (*db)->load("kind", "holey");
  REQUIRE_FALSE(log);
  CHECK(log.error() == ec::storage_corruption);
  CHECK(render(log.error()).find("kind/holey/4") != std::string::npos);
  db->reset();
  fs::remove_all(dir);
}

TEST_CASE("recovery starts at the snapshot; entities of a kind are listed once each") {
  auto db = pst::store::open({"mem-store-snap", pst::durability::none});
  REQUIRE(db);
  append_n(**db, "b", 3);
  append_n(**db, "a", 10);
  pst::write_set ws;
  ws.snapshot("kind", "a", 8, "state-after-8");
  ws.snapshot("kind", "only-snapshot", 2, "s");
  ws.append("other", "z", 1, "x");
  REQUIRE((*db)->write(ws, true));
  auto log = (*db)->load("kind", "a");
  REQUIRE(log);
  CHECK(log->snapshot == "state-after-8");
  CHECK(log->snapshot_seq == 8);
  REQUIRE(log->tail.size() == 2);
  CHECK(log->tail[0].first == 9);
  CHECK(log->last_seq() == 10);
  auto ids = (*db)->entities("kind");
  REQUIRE(ids);
  CHECK(*ids == std::vector<std::string>{"a", "b", "only-snapshot"});
  auto none = (*db)->load("kind", "never");
  REQUIRE(none);
  CHECK(none->last_seq() == 0);
  auto checked = (*db)->verify();
  REQUIRE(checked);
  CHECK(*checked == 3);
}

TEST_CASE("wal and fsync modes keep data across reopen") {
  for (auto mode : {pst::durability::fsync, pst::durability::wal}) {
    CAPTURE(pst::to_string(mode));
    auto dir = fresh_dir("reopen");
    {
      auto db = pst::store::open({dir, mode});
      REQUIRE(db);
      append_n(**db, "kept", 3);
    }
    auto db = pst::store::open({dir, mode});
    REQUIRE(db);
    CHECK((*db)->load("kind", "kept")->last_seq() == 3);
    db->reset();
    fs::remove_all(dir);
  }
}

TEST_CASE("the store's memory stays within its budgets while tables pile up and are read") {
  auto dir = fresh_dir("memory");
  const size_t cache = size_t{1} << 20;
  auto db = small_store(dir, cache);
  // 24 MB in all: several flushes of every memtable, and a table file for each.
  const std::string value(600, 'v');
  uint64_t max_memtables = 0;
  for (int batch = 0; batch < 40; ++batch) {
    pst::write_set ws;
    for (int i = 0; i < 1000; ++i)
      ws.put(pst::column::idempotency, "key-" + std::to_string(batch * 1000 + i), value);
    REQUIRE(db->write(ws, false));
    max_memtables = std::max(max_memtables, db->memory().memtables);
  }
  // Reads of keys that exist and (mostly filtered) ones that do not.
  for (int i = 0; i < 40'000; i += 7) {
    auto hit = db->get(pst::column::idempotency, "key-" + std::to_string(i));
    REQUIRE(hit);
    CHECK(hit->has_value());
    auto miss = db->get(pst::column::idempotency, "absent-" + std::to_string(i));
    REQUIRE(miss);
    CHECK_FALSE(miss->has_value());
  }
  auto m = db->memory();
  MESSAGE("memtables peak " << max_memtables << " B, block cache " << m.block_cache
                            << " B, table readers " << m.table_readers << " B");
  // Flushes run in the background, so a memtable or two may be in flight past the budget.
  CHECK(max_memtables <= 2 * small_budget);
  CHECK(m.block_cache <= cache + cache / 10);
  // Index and filter blocks are in the cache, not beside it growing with every table file.
  CHECK(m.table_readers < 64 * 1024);
  db.reset();
  fs::remove_all(dir);
}

TEST_CASE("a plain column is scanned whole or by prefix, in key order") {
  auto dir = fresh_dir("scan");
  {
    auto db = pst::store::open({dir, pst::durability::fsync});
    REQUIRE(db);
    pst::write_set ws;
    for (const auto* key : {"b\x01x", "a\x01y", "b", "b\x01z", "c"})
      ws.put(pst::column::holds, key, std::string{"v-"} + key);
    REQUIRE((*db)->write(ws, true));
    auto scan = [&](std::string_view prefix) {
      std::vector<std::string> keys;
      REQUIRE(
          (*db)->for_each(pst::column::holds, prefix, [&](std::string_view k, std::string_view v) {
            CHECK(v == "v-" + std::string{k});
            keys.emplace_back(k);
            return true;
          }));
      return keys;
    };
    CHECK(scan({}) == std::vector<std::string>{"a\x01y", "b", "b\x01x", "b\x01z", "c"});
    CHECK(scan("b\x01") == std::vector<std::string>{"b\x01x", "b\x01z"});
    CHECK(scan("d").empty());
  }
  fs::remove_all(dir);
}

TEST_CASE(
    "starting an entity that never wrote reads almost no data block of the journal's tables") {
  // Every fan's first request starts a session that looks for its journal: without prefix
  // filters each look read (and decompressed) a data block of every table file.
  auto dir = fresh_dir("prefix");
  auto db = small_store(dir, size_t{64} << 10);
  const std::string event(300, 'e');
  for (int batch = 0; batch < 40; ++batch) {
    pst::write_set ws;
    for (int i = 0; i < 1000; ++i)
      ws.append("session", "fan-" + std::to_string(batch * 1000 + i), 1, event);
    REQUIRE(db->write(ws, false));
  }
  REQUIRE(db->flush());
  auto data_blocks = [] {
    const auto* p = rocksdb::get_perf_context();
    return p->block_read_count + p->block_cache_hit_count - p->index_block_read_count -
           p->block_cache_index_hit_count - p->filter_block_read_count -
           p->block_cache_filter_hit_count;
  };
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  for (int i = 0; i < 1000; ++i) {
    // Between the names that wrote, as a new fan's account is.
    auto log = db->load("session", "fan-" + std::to_string(i * 37) + "-new");
    REQUIRE(log);
    CHECK(log->last_seq() == 0);
  }
  auto absent = data_blocks();
  // Once merged into one large table with a filter larger than the whole cache, a look reads
  // a filter partition, not the table's whole filter.
  REQUIRE(db->compact());
  rocksdb::get_perf_context()->Reset();
  for (int i = 0; i < 1000; ++i)
    REQUIRE(db->load("session", "fan-" + std::to_string(i * 37) + "-new"));
  auto bytes_per_look = rocksdb::get_perf_context()->block_read_byte / 1000;
  // Those that did write are still found, and listing and verifying still see every entity.
  rocksdb::get_perf_context()->Reset();
  for (int i = 0; i < 40'000; i += 97) {
    auto log = db->load("session", "fan-" + std::to_string(i));
    REQUIRE(log);
    REQUIRE(log->tail.size() == 1);
    CHECK(log->tail[0].second == event);
  }
  auto present = data_blocks();
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  MESSAGE("data blocks read: " << absent << " for 1,000 absent entities, " << present
                               << " for 413 present ones; " << bytes_per_look
                               << " B read per absent entity from one large table");
  CHECK(bytes_per_look < 16 * 1024);
  // The filters' false positives (about 1 % per table) only: 5,328 blocks without them.
  CHECK(absent <= 100);
  CHECK(present >= 413);
  auto ids = db->entities("session");
  REQUIRE(ids);
  CHECK(ids->size() == 40'000);
  auto checked = db->verify();
  REQUIRE(checked);
  CHECK(*checked == 40'000);
  db.reset();
  fs::remove_all(dir);
}

TEST_CASE("a prefix scan stops at the prefix's end, not at the next live key past deletions") {
  // The holds column erases each note when its hold ends: a holder's scan used to walk every
  // deletion sorting after it (a fan's first session, hundreds of thousands in the stadium).
  auto db = pst::store::open({"mem-store-tombstones", pst::durability::none});
  REQUIRE(db);
  pst::write_set puts, erases;
  for (int i = 0; i < 20'000; ++i) {
    auto key = "holder-c" + std::string{"\0", 1} + std::to_string(i);
    puts.put(pst::column::holds, key, "note");
    erases.erase(pst::column::holds, key);
  }
  puts.put(pst::column::holds, std::string{"holder-b\0x", 10}, "mine");
  puts.put(pst::column::holds, std::string{"holder-d\0y", 10}, "later");
  REQUIRE((*db)->write(puts, true));
  REQUIRE((*db)->write(erases, true));
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  std::vector<std::string> seen;
  for (const auto* prefix : {"holder-b", "holder-bb", "holder-c"})
    REQUIRE((*db)->for_each(pst::column::holds, std::string{prefix} + std::string{"\0", 1},
                            [&](std::string_view k, std::string_view) {
                              seen.emplace_back(k);
                              return true;
                            }));
  auto skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  MESSAGE("deletions walked: " << skipped);
  CHECK(seen == std::vector<std::string>{std::string{"holder-b\0x", 10}});
  // Only the scan of the erased holder itself walks its deletions.
  CHECK(skipped <= 20'000);
  auto all = 0;
  REQUIRE((*db)->for_each(pst::column::holds, [&](std::string_view, std::string_view) {
    ++all;
    return true;
  }));
  CHECK(all == 2);
}

TEST_CASE("a data dir whose tables were written before the prefix filters reads back whole") {
  // Tables written by earlier releases have no prefix filter and an unpartitioned index;
  // RocksDB reads those without the filter, and new tables get both.
  auto dir = fresh_dir("upgrade");
  std::vector<std::pair<std::string, std::string>> old_records;
  for (int i = 0; i < 500; ++i)
    for (uint64_t seq = 1; seq <= 2; ++seq)
      old_records.emplace_back(pst::journal_key("session", "old-" + std::to_string(i), seq),
                               pst::seal("event-" + std::to_string(seq)));
  write_raw(dir, old_records);
  auto db = pst::store::open({dir, pst::durability::fsync});
  REQUIRE_MESSAGE(db, render(db.error()));
  append_n(**db, "new", 3);
  REQUIRE((*db)->flush());
  for (int i = 0; i < 500; i += 7) {
    auto log = (*db)->load("session", "old-" + std::to_string(i));
    REQUIRE(log);
    REQUIRE(log->tail.size() == 2);
    CHECK(log->tail[1].second == "event-2");
    CHECK((*db)->load("session", "old-" + std::to_string(i) + "-absent")->last_seq() == 0);
  }
  CHECK((*db)->load("kind", "new")->last_seq() == 3);
  CHECK((*db)->entities("session")->size() == 500);
  // Merged with the new tables, under the new options.
  REQUIRE((*db)->compact());
  CHECK((*db)->load("session", "old-499")->last_seq() == 2);
  CHECK((*db)->load("kind", "new")->last_seq() == 3);
  auto checked = (*db)->verify();
  REQUIRE(checked);
  CHECK(*checked == 501);
  db->reset();
  fs::remove_all(dir);
}
