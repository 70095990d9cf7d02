// The bot guard actor behind the sessions, on the test coordinator: a device's third account is
// refused before the room; a shadowed fan's place comes from the guard and never moves; a
// card's fourth purchase in an hour waits; a script flagged for polling through its 429s is
// refused at checkout and its seat goes back on sale; the rules an operator sets take effect;
// decisions survive a restart.
#include "security/fingerprint.hpp"
#include "tests/support/node_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <optional>

using namespace std::chrono_literals;
using seatgrab::atom::get_v;
namespace sg = seatgrab;

namespace {

sg::event_info open_event() {
  auto ev = sg::test::small_event();
  ev.max_tickets_per_account = 8;
  ev.admission_per_min = 600;
  ev.refunds_until_ms = sg::test::test_epoch.time_since_epoch().count() + 86'400'000;
  return ev;
}

void add_event(sg::test::node_fixture& node) {
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                 sg::domain::to_json(sg::test::small_venue())));
  REQUIRE(node.call<std::string>(node.catalog(), sg::atom::put_v, open_event()));
}

sg::bot_guard_actor guard(sg::test::node_fixture& node) {
  auto g =
      node.call<sg::bot_guard_actor>(node.registry(), get_v, sg::atom::bots_v, std::string{"gig"});
  REQUIRE_MESSAGE(g, sg::render(g));
  return *g;
}

sg::bot_guard_info info(sg::test::node_fixture& node) {
  auto i = node.call<sg::bot_guard_info>(guard(node), get_v, sg::atom::bots_v);
  REQUIRE_MESSAGE(i, sg::render(i));
  return *i;
}

caf::expected<sg::queue_status> join(sg::test::node_fixture& node, const std::string& account,
                                     sg::client_facts facts) {
  return node.call<sg::queue_status>(node.session(account), sg::atom::join_v, std::string{"gig"},
                                     std::move(facts));
}

caf::expected<sg::queue_status> place(sg::test::node_fixture& node, const std::string& account) {
  return node.call<sg::queue_status>(node.session(account), get_v, sg::atom::queue_v,
                                     std::string{"gig"});
}

/// Joined, admitted and holding `seat`: the hold's id.
std::string holding(sg::test::node_fixture& node, const std::string& account,
                    const std::string& seat, std::optional<sg::client_facts> facts = {}) {
  REQUIRE(join(node, account, facts ? *facts : sg::client_facts{"dev-" + account}));
  std::string token;
  for (int i = 0; i < 5 && token.empty(); ++i) {
    auto st = place(node, account);
    REQUIRE_MESSAGE(st, sg::render(st));
    token = st->admission_token;
    if (token.empty())
      node.advance_seconds(1);
  }
  REQUIRE_FALSE(token.empty());
  auto held = node.call<sg::hold_receipt>(
      node.session(account), sg::atom::hold_v, std::string{"gig"},
      sg::hold_request{{}, {}, {seat}, {}, 0, {}, {}}, token, std::string{});
  REQUIRE_MESSAGE(held, sg::render(held));
  return held->hold_id;
}

caf::expected<sg::order_info> pay(sg::test::node_fixture& node, const std::string& account,
                                  const std::string& hold_id, const std::string& card) {
  return node.call<sg::order_info>(node.session(account), sg::atom::confirm_v, hold_id, card,
                                   std::string{"k-" + account + card});
}

/// A headless tool's join: 50 + 25 + 40 = 115, shadowed.
sg::client_facts tool(const std::string& device) {
  sg::client_facts f{device};
  f.anomalies = 0b100011; // automation_agent | no_signals | script_headers
  return f;
}

} // namespace

TEST_CASE("bot guard actor: a device's third account is refused before it reaches the room") {
  sg::test::node_fixture node;
  add_event(node);
  REQUIRE(join(node, "a", sg::client_facts{"shared"}));
  // The room keeps one place per device: the second account gets past the guard, not the room.
  auto second = join(node, "b", sg::client_facts{"shared"});
  CHECK(sg::ec_of(second.error()) == sg::ec::device_in_use);
  auto third = join(node, "c", sg::client_facts{"shared"});
  REQUIRE_FALSE(third);
  CHECK(sg::ec_of(third.error()) == sg::ec::device_limit);
  auto i = info(node);
  CHECK(i.verdicts["allow"] == 2);
  CHECK(i.verdicts["refuse"] == 1);
  CHECK(i.reasons["device_accounts"] == 1);
  auto queue = node.call<sg::queue_info>(node.waiting_room("gig"), get_v, sg::atom::info_v);
  REQUIRE(queue);
  CHECK(queue->joined == 1);
}

TEST_CASE("bot guard actor: a shadowed fan's place comes from the guard and never moves") {
  sg::test::node_fixture node;
  add_event(node);
  auto shadowed = join(node, "bot", tool("farm"));
  REQUIRE_MESSAGE(shadowed, sg::render(shadowed));
  CHECK(shadowed->state == "waiting");
  auto first = shadowed->position;
  REQUIRE(join(node, "fan", sg::client_facts{"dev-fan"}));
  node.advance_seconds(5);
  auto fan = place(node, "fan");
  REQUIRE(fan);
  CHECK(fan->state == "admitted");
  auto later = place(node, "bot");
  REQUIRE_MESSAGE(later, sg::render(later));
  CHECK(later->state == "waiting");
  CHECK(later->position == first);
  CHECK(later->ticket == shadowed->ticket);
  // The room never heard of it.
  auto queue = node.call<sg::queue_info>(node.waiting_room("gig"), get_v, sg::atom::info_v);
  CHECK(queue->joined == 1);
  CHECK(info(node).shadowed == 1);
}

TEST_CASE("bot guard actor: a shadowed fan is told of a pause as the room's fans are") {
  sg::test::node_fixture node;
  add_event(node);
  auto shadowed = join(node, "bot", tool("farm"));
  REQUIRE_MESSAGE(shadowed, sg::render(shadowed));
  CHECK_FALSE(shadowed->paused);
  // A pause the shadowed could not see would tell a farm which of its accounts are shadowed.
  REQUIRE(node.call<void>(node.waiting_room("gig"), sg::atom::pause_v));
  auto paused = place(node, "bot");
  REQUIRE_MESSAGE(paused, sg::render(paused));
  CHECK(paused->paused);
  CHECK(paused->position == shadowed->position);
  REQUIRE(node.call<void>(node.waiting_room("gig"), sg::atom::resume_v));
  auto resumed = place(node, "bot");
  REQUIRE(resumed);
  CHECK_FALSE(resumed->paused);
}

TEST_CASE("bot guard actor: one card's 4th purchase in an hour waits; a fourth card does not") {
  sg::test::node_fixture node;
  add_event(node);
  const std::string card{"4242424242424242"};
  CHECK(pay(node, "p1", holding(node, "p1", "A-1-1"), card));
  CHECK(pay(node, "p2", holding(node, "p2", "A-1-2"), card));
  CHECK(pay(node, "p3", holding(node, "p3", "A-1-3"), card));
  auto hold = holding(node, "p4", "A-1-4");
  auto fourth = pay(node, "p4", hold, card);
  REQUIRE_FALSE(fourth);
  CHECK(sg::ec_of(fourth.error()) == sg::ec::velocity_limited);
  // The seat was not sold: the box office never heard of the checkout.
  CHECK(node.status(node.section("gig", "A"), "A-1-4") == sg::seat_state::held);
  // Another valid card buys it.
  CHECK(pay(node, "p4", hold, "4111111111111111"));
  CHECK(node.status(node.section("gig", "A"), "A-1-4") == sg::seat_state::sold);
  CHECK(info(node).reasons["card_purchases"] == 1);
}

TEST_CASE("bot guard actor: a flagged script's checkout is refused, its seat back on sale") {
  sg::test::node_fixture node;
  add_event(node);
  const std::string card{"4242424242424242"};
  sg::client_facts script{"dev-script"};
  script.anomalies = sg::security::script_headers; // 45: let in
  auto script_hold = holding(node, "script", "A-1-1", script);
  auto person_hold = holding(node, "person", "A-1-2");
  auto g = guard(node);
  auto version = [&] {
    auto st = node.call<sg::actor_status>(g, sg::atom::status_v);
    REQUIRE_MESSAGE(st, sg::render(st));
    return st->version;
  };
  for (const auto* who : {"script", "person"}) {
    auto before = version();
    REQUIRE(node.call<void>(g, sg::atom::flag_v, std::string{who},
                            std::string{sg::ignores_retry_after}));
    CHECK(version() == before + 1);
    REQUIRE(node.call<void>(g, sg::atom::flag_v, std::string{who}, // told again: no record
                            std::string{sg::ignores_retry_after}));
    CHECK(version() == before + 1);
  }
  CHECK(info(node).flagged == 2);
  // An account the guard did not let in is no one to weigh: no record either.
  auto before = version();
  REQUIRE(node.call<void>(g, sg::atom::flag_v, std::string{"stranger"},
                          std::string{sg::ignores_retry_after}));
  CHECK(version() == before);
  auto unknown = node.call<void>(g, sg::atom::flag_v, std::string{"x"}, std::string{"handsome"});
  CHECK(sg::ec_of(unknown.error()) == sg::ec::invalid_argument);
  // 45 + 40: refused, and the seat is free again at once (not at the hold's expiry).
  auto refused = pay(node, "script", script_hold, card);
  REQUIRE_FALSE(refused);
  CHECK(sg::ec_of(refused.error()) == sg::ec::suspected_bot);
  CHECK(node.status(node.section("gig", "A"), "A-1-1") == sg::seat_state::free);
  // 0 + 40: the person buys.
  CHECK(pay(node, "person", person_hold, card));
  CHECK(node.status(node.section("gig", "A"), "A-1-2") == sg::seat_state::sold);
  // The released seat sells to the next fan, and stays sold past the script's hold's expiry.
  CHECK(pay(node, "next", holding(node, "next", "A-1-1"), "4111111111111111"));
  CHECK(node.status(node.section("gig", "A"), "A-1-1") == sg::seat_state::sold);
  node.advance_seconds(600);
  CHECK(node.status(node.section("gig", "A"), "A-1-1") == sg::seat_state::sold);
  auto map = node.call<sg::event_map>(node.event("gig"), get_v, sg::atom::seatmap_v);
  REQUIRE_MESSAGE(map, sg::render(map));
  for (const auto& sec : map->sections)
    for (const auto& seat : sec.seats)
      if (seat.id == "A-1-1")
        CHECK(seat.status == sg::seat_state::sold);
  auto i = info(node);
  CHECK(i.reasons["suspected_bot"] == 1);
  CHECK(i.reasons["risk:ignores_retry_after"] == 2);
}

TEST_CASE("bot guard actor: rules set by the operator take effect; the base challenge follows") {
  sg::test::node_fixture node;
  add_event(node);
  auto g = guard(node);
  auto base = node.call<uint32_t>(g, get_v, sg::atom::challenge_v);
  REQUIRE(base);
  CHECK(*base == 0);
  sg::bot_rules r;
  r.pow_base_bits = 12;
  r.load_step_per_min = 2;
  auto set = node.call<sg::bot_guard_info>(g, sg::atom::put_v, r);
  REQUIRE_MESSAGE(set, sg::render(set));
  CHECK(*node.call<uint32_t>(g, get_v, sg::atom::challenge_v) == 12);
  // A join without work is asked for the base.
  auto asked = join(node, "a", sg::client_facts{"d1"});
  CHECK(sg::ec_of(asked.error()) == sg::ec::challenge_required);
  sg::client_facts solved{"d2"};
  solved.pow_bits = 12;
  solved.pow_solve_ms = 400;
  REQUIRE(join(node, "b", solved));
  // Two joins in the minute (the step): one bit more.
  CHECK(*node.call<uint32_t>(g, get_v, sg::atom::challenge_v) == 13);
  r.harder_at = 90;
  auto bad = node.call<sg::bot_guard_info>(g, sg::atom::put_v, r);
  CHECK(sg::ec_of(bad.error()) == sg::ec::invalid_input);
}

TEST_CASE("bot guard actor: decisions are durable; after a restart the shadowed stay shadowed") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-bot-guard-recovery";
  std::filesystem::remove_all(dir);
  uint64_t ticket = 0;
  {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync};
    add_event(node);
    auto shadowed = join(node, "bot", tool("farm"));
    REQUIRE(shadowed);
    ticket = shadowed->ticket;
    REQUIRE(join(node, "a", sg::client_facts{"shared"}));
    REQUIRE_FALSE(join(node, "c", sg::client_facts{"shared"})); // b never came: c is second
  }
  {
    sg::test::node_fixture node{dir, sg::persistence::durability::fsync,
                                sg::test::test_epoch + 1min};
    auto again = place(node, "bot");
    REQUIRE_MESSAGE(again, sg::render(again));
    CHECK(again->ticket == ticket);
    CHECK(again->state == "waiting");
    auto i = info(node);
    CHECK(i.shadowed == 1);
    CHECK(i.verdicts["shadow"] == 1);
    // The device's accounts were counted: a third is refused.
    auto third = join(node, "d", sg::client_facts{"shared"});
    CHECK(sg::ec_of(third.error()) == sg::ec::device_limit);
  }
  std::filesystem::remove_all(dir);
}
