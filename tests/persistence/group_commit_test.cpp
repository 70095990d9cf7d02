#include "messages/ec.hpp"
#include "persistence/group_commit.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

namespace pst = seatgrab::persistence;

TEST_CASE("an append is acknowledged only once it can be read back") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-gc-test";
  std::filesystem::remove_all(dir);
  auto db = pst::store::open({dir, pst::durability::fsync});
  REQUIRE(db);
  std::mutex mtx;
  std::vector<std::string> missing_at_ack;
  std::atomic<int> acks{0};
  {
    pst::group_commit writer{**db};
    std::vector<std::thread> appenders;
    for (int t = 0; t < 8; ++t) {
      appenders.emplace_back([&, t] {
        for (uint64_t seq = 1; seq <= 50; ++seq) {
          pst::write_set ws;
          auto entity = "t" + std::to_string(t);
          ws.append("gc", entity, seq, "payload");
          writer.submit(std::move(ws), [&, entity, seq](const caf::error& err) {
            // At ack time the record must already be in the database.
            auto log = (*db)->load("gc", entity);
            std::lock_guard guard{mtx};
            if (err || !log || log->last_seq() < seq)
              missing_at_ack.push_back(entity + "/" + std::to_string(seq));
            ++acks;
          });
        }
      });
    }
    for (auto& t : appenders)
      t.join();
    writer.flush();
    auto stats = writer.stats();
    CHECK(stats.write_sets == 400);
    CHECK(stats.batches >= 1);
    CHECK(stats.batches <= 400);
  }
  CHECK(acks == 400);
  CHECK(missing_at_ack.empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("acks arrive in submission order, batched") {
  auto db = pst::store::open({"mem-gc-order", pst::durability::none});
  REQUIRE(db);
  std::vector<uint64_t> order;
  std::mutex mtx;
  {
    pst::group_commit writer{**db};
    for (uint64_t seq = 1; seq <= 1000; ++seq) {
      pst::write_set ws;
      ws.append("gc", "one", seq, "x");
      writer.submit(std::move(ws), [&, seq](const caf::error& err) {
        REQUIRE_FALSE(err);
        std::lock_guard guard{mtx};
        order.push_back(seq);
      });
    }
    writer.flush();
  }
  REQUIRE(order.size() == 1000);
  CHECK(std::is_sorted(order.begin(), order.end()));
}

TEST_CASE("a write set is atomic: all of it or none of it") {
  auto db = pst::store::open({"mem-gc-atomic", pst::durability::none});
  REQUIRE(db);
  pst::group_commit writer{**db, false};
  pst::write_set ws;
  ws.append("gc", "a", 1, "x");
  ws.append("gc", "b", 1, "y");
  ws.put(pst::column::idempotency, "key-1", "reply");
  bool acked = false;
  writer.submit(std::move(ws), [&](const caf::error& err) { acked = !err; });
  CHECK(acked); // inline mode acknowledges on the submitting thread
  CHECK((*db)->load("gc", "a")->last_seq() == 1);
  CHECK((*db)->load("gc", "b")->last_seq() == 1);
  auto reply = (*db)->get(pst::column::idempotency, "key-1");
  REQUIRE(reply);
  CHECK(reply->value_or("") == "reply");
}

TEST_CASE("after close, pending appends are written and new ones refused, not dropped") {
  auto db = pst::store::open({"mem-gc-closed", pst::durability::none});
  REQUIRE(db);
  for (bool threaded : {true, false}) {
    CAPTURE(threaded);
    auto entity = threaded ? std::string{"threaded"} : std::string{"inline"};
    pst::group_commit writer{**db, threaded};
    caf::error before;
    pst::write_set ws;
    ws.append("gc", entity, 1, "x");
    writer.submit(std::move(ws), [&](const caf::error& err) { before = err; });
    writer.close();
    CHECK_FALSE(before);
    CHECK((*db)->load("gc", entity)->last_seq() == 1);
    caf::error after;
    pst::write_set late;
    late.append("gc", entity, 2, "y");
    writer.submit(std::move(late), [&](const caf::error& err) { after = err; });
    CHECK(after == seatgrab::ec::storage_closed);
    CHECK((*db)->load("gc", entity)->last_seq() == 1);
  }
}
