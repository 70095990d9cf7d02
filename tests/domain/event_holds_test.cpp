// Tests of the logic of holds across sections: splitting a request by section, merging the
// sections' answers into one receipt or one error, and what to undo when a section refused.
#include "domain/event_holds.hpp"
#include "messages/ec.hpp"

#include <caf/sec.hpp>
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using seatgrab::ec;
using namespace seatgrab;
using namespace seatgrab::domain;

namespace {

/// Sections "B" and "A" (in that venue order), one row of 4 seats each ("A-1" .. "B-4").
std::shared_ptr<const venue> two_sections() {
  auto v = std::make_shared<venue>();
  v->id = "hall";
  for (const char* sec : {"B", "A"}) {
    section s{sec, sec, "t", {}};
    row r{"1", {}};
    for (uint32_t n = 1; n <= 4; ++n)
      r.seats.push_back(
          seat{std::string{sec} + "-" + std::to_string(n), n, double(n), 1, false, n});
    s.rows.push_back(std::move(r));
    v->sections.push_back(std::move(s));
  }
  return v;
}

hold_request seats_request(std::vector<std::string> seats) {
  return hold_request{"h1", "fan", std::move(seats), {}, 0, {}, {}};
}

hold_part part(std::string section, std::vector<std::string> seats, int64_t expires) {
  hold_part p{std::move(section), {}, expires, 1};
  for (auto& s : seats)
    p.seats.push_back(seat_price{std::move(s), 100});
  return p;
}

std::string context_text(const caf::error& err) {
  REQUIRE(err.context().match_element<std::string>(0));
  return err.context().get_as<std::string>(0);
}

} // namespace

TEST_CASE("a request's seats are split by section, sections in id order, seats in request order") {
  event_holds holds{two_sections(), 4};
  auto req = seats_request({"B-2", "A-3", "B-1", "A-1"});
  req.price_cap = 7; // the admission's price version goes with every part
  auto parts = holds.split(req);
  REQUIRE(parts);
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].section == "A");
  CHECK((*parts)[0].seats == std::vector<std::string>{"A-3", "A-1"});
  CHECK((*parts)[1].section == "B");
  CHECK((*parts)[1].seats == std::vector<std::string>{"B-2", "B-1"});
  for (const auto& p : *parts) {
    CHECK(p.hold_id == "h1");
    CHECK(p.holder == "fan");
    CHECK(p.quantity == 0);
    CHECK(p.price_cap == 7);
  }
}

TEST_CASE("best available goes to its one section as asked") {
  event_holds holds{two_sections(), 4};
  auto parts = holds.split(hold_request{"h1", "fan", {}, "B", 3, {}, {}});
  REQUIRE(parts);
  REQUIRE(parts->size() == 1);
  CHECK((*parts)[0].section == "B");
  CHECK((*parts)[0].quantity == 3);
  CHECK(holds.split(hold_request{"h1", "fan", {}, "Z", 1, {}, {}}).error() == ec::unknown_section);
  CHECK(holds.split(hold_request{"h1", "fan", {}, "Z", 9, {}, {}}).error() == ec::unknown_section);
  CHECK(holds.split(hold_request{"h1", "fan", {}, "A", 5, {}, {}}).error() == ec::too_many_seats);
}

TEST_CASE("a bad request is refused before any section, with the first problem") {
  event_holds holds{two_sections(), 3};
  CHECK(holds.split(seats_request({"A-1", "A-2", "A-3", "X-9"})).error() == ec::too_many_seats);
  auto unknown = holds.split(seats_request({"A-1", "X-9", "A-1"})).error();
  CHECK(unknown == ec::unknown_seat);
  CHECK(context_text(unknown) == "X-9");
  auto dup = holds.split(seats_request({"A-1", "B-1", "A-1"})).error();
  CHECK(dup == ec::duplicate_seat);
  CHECK(context_text(dup) == "A-1");
}

TEST_CASE("placed parts make one receipt with the total and the earliest expiry") {
  event_holds holds{two_sections(), 4};
  auto req = seats_request({"A-1", "B-1", "B-2"});
  auto d =
      holds.decide_hold(req, {part("B", {"B-1", "B-2"}, 900), part("A", {"A-1"}, 700)}, {}, {});
  REQUIRE(d.reply);
  CHECK(d.release_in.empty());
  CHECK(d.reply->hold_id == "h1");
  CHECK(d.reply->holder == "fan");
  CHECK(d.reply->total == 300);
  CHECK(d.reply->expires_at_ms == 700);
  REQUIRE(d.reply->parts.size() == 2);
  CHECK(d.reply->parts[0].section == "B"); // in the order given (arrival)
}

TEST_CASE("a refused hold is released where it was placed and where the outcome is unknown") {
  event_holds holds{two_sections(), 4};
  auto req = seats_request({"A-1", "B-1"});
  auto taken = caf::make_error(ec::seat_taken, "B-1");
  auto d = holds.decide_hold(req, {part("A", {"A-1"}, 700)}, {taken}, {"B"});
  CHECK(d.reply.error() == ec::seat_taken);
  CHECK(d.release_in == std::vector<std::string>{"A"}); // B refused: nothing to give back there
  auto timeout = caf::make_error(caf::sec::request_timeout);
  d = holds.decide_hold(req, {}, {timeout, taken}, {"A", "B"});
  CHECK(d.reply.error() == ec::seat_taken);             // a refusal says more than a timeout
  CHECK(d.release_in == std::vector<std::string>{"A"}); // A's timeout may have placed it
  d = holds.decide_hold(req, {}, {timeout}, {"A"});
  CHECK(d.reply.error() == caf::sec::request_timeout); // otherwise the first error
}

TEST_CASE("taken seats of several sections are named in one error") {
  event_holds holds{two_sections(), 4};
  auto req = seats_request({"A-1", "B-1"});
  auto d = holds.decide_hold(req, {},
                             {caf::make_error(ec::seat_taken, "A-1"),
                              caf::make_error(ec::no_seats_available),
                              caf::make_error(ec::seat_taken, "B-1")},
                             {"A", "B", "B"});
  REQUIRE(!d.reply);
  CHECK(d.reply.error() == ec::seat_taken);
  CHECK(context_text(d.reply.error()) == "A-1,B-1");
  CHECK(d.release_in.empty());
}

TEST_CASE("a sale across sections is one receipt, or refunded seat by seat, or unknown") {
  event_holds holds{two_sections(), 4};
  sale_receipt a{"h1", "o1", {{"A-1", 100}, {"A-2", 100}}, 200};
  sale_receipt b{"h1", "o1", {{"B-1", 50}}, 50};
  auto ok = holds.decide_sale("h1", "o1", {a, b}, {});
  REQUIRE(ok.reply);
  CHECK(ok.reply->total == 250);
  CHECK(ok.reply->seats.size() == 3);
  CHECK(ok.refund.empty());

  auto refused = holds.decide_sale("h1", "o1", {a}, {caf::make_error(ec::hold_expired)});
  CHECK(refused.reply.error() == ec::hold_expired);
  using seat_section = std::pair<std::string, std::string>;
  CHECK(refused.refund == std::vector<seat_section>{{"A-1", "A"}, {"A-2", "A"}});

  auto unknown = holds.decide_sale(
      "h1", "o1", {a},
      {caf::make_error(ec::not_holder), caf::make_error(caf::sec::request_timeout)});
  CHECK(unknown.reply.error() == ec::unavailable);
  CHECK(unknown.refund.empty()); // it may have sold: the caller retries, nothing is undone
}

TEST_CASE("a refund counts seats no longer sold to the order as done") {
  CHECK_FALSE(event_holds::merge_refund_errors({}));
  CHECK_FALSE(event_holds::merge_refund_errors(
      {caf::make_error(ec::seat_not_sold), caf::make_error(ec::not_holder)}));
  CHECK(event_holds::merge_refund_errors({caf::make_error(ec::seat_not_sold),
                                          caf::make_error(ec::storage_io)}) == ec::storage_io);
}

TEST_CASE("seats map to their sections; seat maps merge in venue order") {
  event_holds holds{two_sections(), 4};
  CHECK(holds.section_count() == 2);
  CHECK(holds.sections() == std::vector<std::string>{"B", "A"});
  REQUIRE(holds.section_of("A-4") != nullptr);
  CHECK(*holds.section_of("A-4") == "A");
  CHECK(holds.section_of("C-1") == nullptr);
  auto secs = holds.sections_of({"B-1", "A-2"});
  REQUIRE(secs);
  CHECK(*secs == std::vector<std::string>{"B", "A"});
  CHECK(holds.sections_of({"B-1", "Q"}).error() == ec::unknown_seat);
  auto map = holds.merge_maps("gig", {section_map{"A", 3, {}}, section_map{"B", 4, {}}});
  CHECK(map.event == "gig");
  CHECK(map.version == 7);
  REQUIRE(map.sections.size() == 2);
  CHECK(map.sections[0].section == "B");
  CHECK(map.sections[1].section == "A");
}
