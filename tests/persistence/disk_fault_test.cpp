// A full disk and failing fsyncs under the journal: writes are refused with the cause, reads
// go on, writing resumes once the fault is gone, nothing acknowledged is lost and nothing
// refused comes back.

#include "messages/ec.hpp"
#include "persistence/group_commit.hpp"
#include "tests/persistence/fault_fs.hpp"
#include "tests/persistence/tmpfs.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>

namespace pst = seatgrab::persistence;
namespace fs = std::filesystem;
using seatgrab::ec;
using seatgrab::ec_of;

namespace {

fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

/// Writes `payload` as event `seq` of gc/`entity` and returns the writer's answer.
caf::error append(pst::group_commit& writer, const std::string& entity, uint64_t seq,
                  const std::string& payload, std::optional<uint64_t> generation = {}) {
  pst::write_set ws;
  ws.append("gc", entity, seq, payload);
  caf::error result = caf::make_error(ec::unavailable, "not answered");
  writer.submit(
      std::move(ws), [&](const caf::error& err) { result = err; }, generation);
  return result;
}

/// The payloads of gc/`entity` in order.
std::vector<std::string> payloads(const pst::store& db, const std::string& entity) {
  auto log = db.load("gc", entity);
  REQUIRE(log);
  std::vector<std::string> result;
  for (auto& [seq, p] : log->tail)
    result.push_back(p);
  return result;
}

/// The fault scenario shared by ENOSPC on append and EIO on fsync: `inject` turns it on.
void run_fault(seatgrab::test::fault_env& fe, std::atomic<bool>& fault, ec expected) {
  auto dir = fresh_dir("seatgrab-fault");
  std::vector<std::string> want;
  {
    auto db = pst::store::open({dir, pst::durability::fsync, fe.env.get()});
    REQUIRE(db);
    // Unthreaded and no automatic retries: the test says when to recover.
    pst::group_commit writer{**db, false, std::chrono::hours{1}};
    for (uint64_t seq = 1; seq <= 5; ++seq) {
      want.push_back("ok-" + std::to_string(seq));
      REQUIRE_FALSE(append(writer, "a", seq, want.back()));
    }
    auto chain = writer.generation();

    fault = true;
    auto err = append(writer, "a", 6, "failed-6");
    CHECK(ec_of(err) == expected);
    CHECK(fe.sw->injected.load() > 0);
    auto health = writer.health();
    CHECK_FALSE(health.writable());
    CHECK(ec_of(health.cause) == expected);
    // Later writes are refused without touching the disk.
    auto injected = fe.sw->injected.load();
    CHECK(ec_of(append(writer, "b", 1, "refused")) == expected);
    CHECK(fe.sw->injected.load() == injected);
    CHECK(writer.health().refused == 1);
    // Reads go on, and show exactly the acknowledged records.
    CHECK(payloads(**db, "a") == want);
    CHECK((*db)->verify());
    // While the fault lasts the store cannot recover.
    CHECK_FALSE(writer.try_recover());
    CHECK_FALSE(writer.health().writable());

    fault = false;
    CHECK(writer.try_recover());
    CHECK(writer.health().writable());
    // A chain of writes that began before the failure stays broken; a new one is taken.
    auto stale = append(writer, "a", 6, "stale-6", chain);
    CHECK(stale);
    CHECK(writer.generation() == chain + 1);
    want.push_back("ok-6");
    CHECK_FALSE(append(writer, "a", 6, want.back(), writer.generation()));
    CHECK(payloads(**db, "a") == want);
    CHECK(payloads(**db, "b").empty());
    CHECK(writer.stats().failures == 1);
  }
  // After a restart: every acknowledged record, nothing that failed.
  auto db = pst::store::open({dir, pst::durability::fsync});
  REQUIRE(db);
  CHECK(payloads(**db, "a") == want);
  CHECK(payloads(**db, "b").empty());
  CHECK((*db)->verify());
  db->reset();
  fs::remove_all(dir);
}

} // namespace

TEST_CASE("a journal append failing with ENOSPC suspends writes until space returns") {
  seatgrab::test::fault_env fe;
  run_fault(fe, fe.sw->fail_append, ec::storage_full);
}

TEST_CASE("a failed fsync of the journal suspends writes; the failed batch never comes back") {
  seatgrab::test::fault_env fe;
  run_fault(fe, fe.sw->fail_sync, ec::storage_io);
}

TEST_CASE("the threaded writer resumes by itself once the fault is gone") {
  seatgrab::test::fault_env fe;
  auto dir = fresh_dir("seatgrab-fault-threaded");
  auto db = pst::store::open({dir, pst::durability::fsync, fe.env.get()});
  REQUIRE(db);
  {
    pst::group_commit writer{**db, true, std::chrono::milliseconds{10}};
    auto append_wait = [&](const std::string& entity, uint64_t seq) {
      std::promise<caf::error> done;
      pst::write_set ws;
      ws.append("gc", entity, seq, "x");
      writer.submit(std::move(ws), [&](const caf::error& err) { done.set_value(err); });
      return done.get_future().get();
    };
    REQUIRE_FALSE(append_wait("a", 1));
    fe.sw->fail_append = true;
    CHECK(ec_of(append_wait("a", 2)) == ec::storage_full);
    CHECK_FALSE(writer.health().writable());
    fe.sw->fail_append = false;
    // Bounded poll: the writer retries every 10 ms.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (!writer.health().writable() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    CHECK(writer.health().writable());
    CHECK_FALSE(append_wait("a", 2));
  }
  CHECK(payloads(**db, "a").size() == 2);
  db->reset();
  fs::remove_all(dir);
}

TEST_CASE("a real full file system: the process lives, writes resume once space is freed") {
  auto where = fresh_dir("seatgrab-tmpfs-store");
  seatgrab::test::tmpfs_mount mnt{where, "8m"};
  if (!mnt.mounted) {
    MESSAGE("skipped: " << mnt.why);
    return;
  }
  auto dir = where / "data";
  auto db = pst::store::open({dir, pst::durability::fsync});
  REQUIRE(db);
  auto filler = seatgrab::test::fill(where, 256 * 1024);
  std::vector<std::string> want;
  caf::error err;
  {
    pst::group_commit writer{**db, false, std::chrono::hours{1}};
    // Incompressible, so that no flush squeezes the journal into the space left.
    std::mt19937_64 rng{42};
    for (uint64_t seq = 1; seq <= 10000; ++seq) {
      std::string payload;
      for (int i = 0; i < 125; ++i) {
        auto x = rng();
        payload.append(reinterpret_cast<const char*>(&x), sizeof(x));
      }
      err = append(writer, "a", seq, payload);
      if (err)
        break;
      want.push_back(payload);
    }
    REQUIRE(err);
    CHECK(ec_of(err) == ec::storage_full);
    MESSAGE("ENOSPC after " << want.size() << " appends: " << seatgrab::render(err));
    CHECK(ec_of(append(writer, "a", want.size() + 1, "refused")) == ec::storage_full);
    CHECK(payloads(**db, "a") == want);
    CHECK_FALSE(writer.try_recover());
    fs::remove(filler);
    CHECK(writer.try_recover());
    want.push_back("after");
    CHECK_FALSE(append(writer, "a", want.size(), want.back(), writer.generation()));
  }
  db->reset();
  db = pst::store::open({dir, pst::durability::fsync});
  REQUIRE(db);
  CHECK(payloads(**db, "a") == want);
  db->reset();
}
