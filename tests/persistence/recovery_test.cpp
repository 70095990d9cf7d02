#include "persistence/recovery.hpp"
#include "persistence/test_entity.pb.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <random>

namespace pst = seatgrab::persistence;
namespace tpb = seatgrab::test::pb;

namespace {

// The live entity: a map of counters, changed only through events.
struct register_state {
  std::map<std::string, int64_t> values;
  uint64_t applied = 0;

  void apply(const tpb::register_event& ev) {
    switch (ev.kind_case()) {
    case tpb::register_event::kSet:
      values[ev.set().key()] = ev.set().value();
      break;
    case tpb::register_event::kAdd:
      values[ev.add().key()] += ev.add().delta();
      break;
    case tpb::register_event::kErase:
      values.erase(ev.erase().key());
      break;
    case tpb::register_event::KIND_NOT_SET:
      break;
    }
    ++applied;
  }

  std::string snapshot() const {
    tpb::register_snapshot snap;
    for (auto& [k, v] : values)
      (*snap.mutable_values())[k] = v;
    snap.set_applied(applied);
    return snap.SerializeAsString();
  }
};

caf::expected<register_state> restore(std::string_view bytes) {
  tpb::register_snapshot snap;
  if (!snap.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return caf::make_error(seatgrab::ec::storage_corruption, "snapshot does not parse");
  register_state st;
  for (auto& [k, v] : snap.values())
    st.values[k] = v;
  st.applied = snap.applied();
  return st;
}

caf::expected<void> replay(register_state& st, std::string_view bytes) {
  tpb::register_event ev;
  if (!ev.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return caf::make_error(seatgrab::ec::storage_corruption, "event does not parse");
  st.apply(ev);
  return {};
}

tpb::register_event random_event(std::mt19937_64& rng) {
  tpb::register_event ev;
  auto key = "k" + std::to_string(rng() % 12);
  switch (rng() % 3) {
  case 0: {
    auto* set = ev.mutable_set();
    set->set_key(key);
    set->set_value(static_cast<int64_t>(rng() % 1000) - 500);
    break;
  }
  case 1: {
    auto* add = ev.mutable_add();
    add->set_key(key);
    add->set_delta(static_cast<int64_t>(rng() % 100) - 50);
    break;
  }
  default:
    ev.mutable_erase()->set_key(key);
    break;
  }
  return ev;
}

} // namespace

TEST_CASE("snapshot + replay equals the live entity over random event sequences") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-recovery-test";
  std::filesystem::remove_all(dir);
  const uint64_t seed = 7;
  std::mt19937_64 rng{seed};
  for (int round = 0; round < 40; ++round) {
    CAPTURE(seed);
    CAPTURE(round);
    auto entity = "r" + std::to_string(round);
    register_state live;
    uint64_t seq = 0;
    {
      auto db = pst::store::open({dir, pst::durability::wal});
      REQUIRE(db);
      auto events = 1 + rng() % 300;
      for (uint64_t i = 0; i < events; ++i) {
        auto ev = random_event(rng);
        live.apply(ev);
        pst::write_set ws;
        ws.append("register", entity, ++seq, ev.SerializeAsString());
        if (rng() % 40 == 0) // sometimes snapshot in the same batch as the event
          ws.snapshot("register", entity, seq, live.snapshot());
        REQUIRE((*db)->write(ws, true));
        if (rng() % 25 == 0) { // and check recovery mid-way without reopening
          auto mid = pst::recover<register_state>(
              **db, "register", entity, [] { return register_state{}; }, restore, replay);
          REQUIRE(mid);
          CHECK(mid->first.values == live.values);
          CHECK(mid->second == seq);
        }
      }
    }
    auto db = pst::store::open({dir, pst::durability::wal});
    REQUIRE(db);
    auto recovered = pst::recover<register_state>(
        **db, "register", entity, [] { return register_state{}; }, restore, replay);
    REQUIRE(recovered);
    CHECK(recovered->first.values == live.values);
    CHECK(recovered->first.applied == live.applied);
    CHECK(recovered->second == seq);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("an event that does not parse during replay is corruption naming the record") {
  auto db = pst::store::open({"mem-recovery", pst::durability::none});
  REQUIRE(db);
  pst::write_set ws;
  ws.append("register", "bad", 1, tpb::register_event{}.SerializeAsString());
  ws.append("register", "bad", 2, std::string("\xff\xff\xff", 3));
  REQUIRE((*db)->write(ws, true));
  auto res = pst::recover<register_state>(
      **db, "register", "bad", [] { return register_state{}; }, restore, replay);
  REQUIRE(!res);
  CHECK(res.error() == seatgrab::ec::storage_corruption);
  CHECK(seatgrab::render(res.error()).find("register/bad/2") != std::string::npos);
}
