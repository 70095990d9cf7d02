// Tests of the crowd on its own, against a scripted node: the fans' book catches a seat sold
// to two fans, and a refunded seat leaves the book before it can be sold again.
#include "messages/ec.hpp"
#include "scenarios/crowd.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <functional>

namespace sg = seatgrab;
namespace sc = seatgrab::scenarios;

namespace {

/// Admits everyone at once and sells seats from a list; a broken node sells one seat twice.
/// Answers are queued and delivered by `flush`, as a node's would arrive later.
class scripted_node : public sc::fan_api {
public:
  explicit scripted_node(std::vector<std::string> seats) : seats_(std::move(seats)) {}

  void join(uint32_t, const sc::client&, sc::join_notes&, callback<sg::queue_status> k) override {
    later(k, admitted());
  }
  void status(uint32_t, callback<sg::queue_status> k) override {
    ++polls;
    if (!waiting)
      return later(k, admitted());
    sg::queue_status st;
    st.ticket = 1;
    st.state = "waiting";
    st.position = 5;
    st.eta_s = 60;
    later(k, st);
  }

  bool waiting = false; ///< every status says "waiting", fifth in line
  int polls = 0;

  void hold(uint32_t, const std::string&, uint32_t quantity, const std::string&,
            const std::string& key, callback<sg::hold_receipt> k) override {
    if (quantity > seats_.size() - next_)
      return later(k, caf::make_error(sg::ec::no_seats_available, "none"));
    sg::hold_receipt h;
    h.hold_id = key;
    held_[key] = quantity;
    later(k, h);
  }

  void checkout(uint32_t, const std::string& hold_id, const std::string&, const std::string&,
                callback<sg::order_info> k) override {
    sg::order_info o;
    o.id = "o" + hold_id;
    for (uint32_t n = 0; n < held_[hold_id] && next_ < seats_.size(); ++n) {
      sg::ticket_info t;
      t.id = "t" + std::to_string(next_);
      t.seat = seats_[next_++];
      o.tickets.push_back(t);
    }
    later(k, o);
  }

  void refund(uint32_t, const std::string& ticket_id, callback<sg::ticket_info> k) override {
    ++refunds;
    sg::ticket_info t;
    t.id = ticket_id;
    later(k, t);
  }

  void transfer(uint32_t, const std::string& ticket_id, uint32_t,
                callback<sg::ticket_info> k) override {
    sg::ticket_info t;
    t.id = ticket_id;
    later(k, t);
  }

  void load(callback<std::vector<sc::section_load>> k) override {
    later(k,
          std::vector<sc::section_load>{{"A", static_cast<uint32_t>(seats_.size() - next_), 0, 0}});
  }

  void flush() {
    while (!answers_.empty()) {
      auto f = std::move(answers_.front());
      answers_.pop_front();
      f();
    }
  }

  int refunds = 0;

private:
  static sg::queue_status admitted() {
    sg::queue_status st;
    st.ticket = 1;
    st.state = "admitted";
    st.admission_token = "ok";
    return st;
  }

  template <class T, class V>
  void later(callback<T> k, V value) {
    answers_.push_back([k, value]() mutable { k(caf::expected<T>{std::move(value)}); });
  }

  std::vector<std::string> seats_;
  size_t next_ = 0;
  std::map<std::string, uint32_t> held_;
  std::deque<std::function<void()>> answers_;
};

sc::scenario few_fans() {
  sc::scenario s;
  s.name = "few";
  s.fans = 6;
  s.opens_after_s = 0;
  s.arrival_spread_s = 0;
  s.seats_min = 1;
  s.seats_max = 1;
  s.think_min_s = 1;
  s.think_max_s = 1;
  s.abandon_rate = 0;
  s.decline_rate = 0;
  s.max_duration_s = 60;
  return s;
}

void run(sc::crowd& fans, scripted_node& node) {
  for (uint32_t t = 0; t < 60 && !fans.finished(); ++t) {
    fans.tick(t, node);
    node.flush();
  }
  fans.finish();
}

} // namespace

TEST_CASE("the fans' book catches a seat sold to two fans") {
  sc::crowd fans{few_fans(), 1, {"A"}};
  scripted_node node{{"A-1", "A-2", "A-2", "A-3", "A-4", "A-5"}}; // A-2 twice: a broken node
  run(fans, node);
  CHECK(fans.counts().orders == 6);
  REQUIRE(fans.violations().size() == 1);
  CHECK(fans.violations().front().find("seat A-2 was sold to") != std::string::npos);
}

TEST_CASE("a sound node leaves the book clean; refunded seats leave it") {
  auto s = few_fans();
  s.refund_rate = 1; // everybody refunds, a little later
  s.refund_after_min_s = 2;
  s.refund_after_max_s = 2;
  sc::crowd fans{s, 1, {"A"}};
  scripted_node node{{"A-1", "A-2", "A-3", "A-4", "A-5", "A-6"}};
  run(fans, node);
  CHECK(fans.violations().empty());
  CHECK(fans.counts().orders == 6);
  CHECK(fans.counts().refunds == 6);
  CHECK(node.refunds == 6);
  CHECK(fans.owners().empty());
  CHECK(fans.finished());
}

TEST_CASE("bots are clients of their farm: one device, one card, a /24, hammering polls") {
  auto s = few_fans();
  s.bots = true;
  s.farms = {{3, {"shared_device", "shared_card", "hammer_status", "fast_solver"}},
             {2, {"rotate_devices"}}};
  auto clients = sc::make_clients(s, 1);
  REQUIRE(clients.size() == 11);
  CHECK_FALSE(clients[0].bot);
  const auto& a = clients[6];
  const auto& b = clients[7];
  CHECK(a.bot);
  CHECK(a.device == b.device);
  CHECK(a.card == b.card);
  CHECK(a.polls_per_s == s.hammer_per_s);
  CHECK(a.hashes_per_ms > 1000);
  CHECK(clients[9].device != clients[10].device); // rotated
  CHECK(seatgrab::security::address_prefix(clients[9].address) ==
        seatgrab::security::address_prefix(clients[10].address));
  CHECK(clients[9].card != clients[10].card);
  // People: a device and a card each, a browser's headers.
  CHECK(clients[0].device != clients[1].device);
  CHECK(clients[0].card != clients[1].card);
  CHECK(seatgrab::security::fingerprinter::anomalies_of(clients[0].signals, clients[0].traits) ==
        0);
  CHECK(seatgrab::security::fingerprinter::anomalies_of(a.signals, a.traits) ==
        seatgrab::security::script_headers);
  // Card numbers pass the Luhn check and are never the declining test card.
  for (uint64_t n : {0ULL, 1ULL, 42ULL, 9'000'003ULL}) {
    auto card = sc::card_number(n);
    REQUIRE(card.size() == 16);
    int sum = 0;
    for (size_t i = 0; i < 16; ++i) {
      int d = card[15 - i] - '0';
      if (i % 2 == 1)
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    CHECK(sum % 10 == 0);
  }
}

TEST_CASE("a hammering bot polls its rate a second; the book counts its requests apart") {
  auto s = few_fans();
  s.fans = 1;
  s.bots = true;
  s.hammer_per_s = 7;
  s.farms = {{1, {"hammer_status"}}};
  sc::crowd fans{s, 1, {"A"}};
  scripted_node node{{"A-1", "A-2", "A-3", "A-4", "A-5", "A-6", "A-7", "A-8", "A-9"}};
  node.waiting = true;
  for (uint32_t t = 0; t < 3; ++t) {
    fans.tick(t, node);
    node.flush();
  }
  // The bot came at the opening (second 0..5) and polls 7 times a second since; the person
  // joined and looks every poll_every_s.
  CHECK(fans.bots().requests > fans.humans().requests);
  CHECK(node.polls >= 7);
}
