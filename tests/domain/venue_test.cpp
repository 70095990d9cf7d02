#include "domain/venue.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

using namespace seatgrab;
using namespace seatgrab::domain;

namespace {

// Ordered, so that a test can place a fault before or after another in the document.
using json = nlohmann::ordered_json;
using pointer = json::json_pointer;

// Two tiers, two sections, three rows, four seats. Row "A" and seat number 1 occur in more than
// one section or row on purpose: those are allowed.
json small_venue() {
  return json::parse(R"({
    "id": "hall", "name": "Test Hall", "currency": "EUR",
    "price_tiers": [{"id": "std", "name": "Standard", "price": 5000},
                    {"id": "vip", "name": "VIP", "price": 9000}],
    "sections": [
      {"id": "front", "name": "Front", "tier": "vip", "rows": [
        {"id": "A", "seats": [
          {"id": "front-A-1", "number": 1, "x": 0.0, "y": 1.0, "accessible": true, "rank": 1},
          {"id": "front-A-2", "number": 2, "x": 0.5, "y": 1.0, "rank": 2}]},
        {"id": "B", "seats": [{"id": "front-B-1", "number": 1, "x": 0.0, "y": 2.0}]}]},
      {"id": "back", "name": "Back", "tier": "std", "rows": [
        {"id": "A", "seats": [{"id": "back-A-1", "number": 1, "x": 0.0, "y": 5.0}]}]}]})");
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The error text of a failed parse, or "" if it succeeded (for messages of a failed check).
std::string why(const caf::expected<venue>& v) {
  return v ? std::string{} : render(v.error());
}

// The rendered error of a document that must be rejected as invalid input.
std::string rejection(std::string_view text) {
  auto v = parse_venue(text, "venue.json");
  REQUIRE(!v);
  CHECK(v.error() == ec::invalid_input);
  return render(v.error());
}

// Checks that `text` is rejected at JSON path `path` for a reason containing `keyword`.
void check_rejected_text(std::string_view text, const std::string& path, std::string_view keyword) {
  auto msg = rejection(text);
  INFO(msg);
  CHECK(contains(msg, "venue.json: " + path + ": "));
  CHECK(contains(msg, keyword));
}

void check_rejected(const json& doc, const std::string& path, std::string_view keyword) {
  check_rejected_text(doc.dump(), path, keyword);
}

// `doc` with the value at `at` replaced by `value`.
json with(json doc, const char* at, json value) {
  doc[pointer{at}] = std::move(value);
  return doc;
}

// `doc` without the member at `at`.
json without(json doc, const char* at) {
  pointer p{at};
  doc[p.parent_pointer()].erase(p.back());
  return doc;
}

void check_round_trip(const venue& v) {
  auto back = parse_venue(to_json(v), "generated.json");
  REQUIRE_MESSAGE(back, why(back));
  CHECK(*back == v);
}

} // namespace

TEST_CASE("venue: a valid document parses field by field, optional fields default") {
  auto v = parse_venue(without(small_venue(), "/currency").dump(), "venue.json");
  REQUIRE_MESSAGE(v, why(v));
  CHECK(v->id == "hall");
  CHECK(v->name == "Test Hall");
  CHECK(v->currency == "EUR");
  REQUIRE(v->tiers.size() == 2);
  CHECK(v->tiers[1] == price_tier{"vip", "VIP", 9000});
  REQUIRE(v->sections.size() == 2);
  CHECK(v->seat_count() == 4);
  CHECK(v->sections[0].seat_count() == 3);
  const auto& a = v->sections[0].rows[0];
  CHECK(a.id == "A");
  CHECK(a.seats[0] == seat{"front-A-1", 1, 0.0, 1.0, true, 1});
  CHECK(a.seats[1] == seat{"front-A-2", 2, 0.5, 1.0, false, 2});
  CHECK(v->sections[1].rows[0].seats[0] == seat{"back-A-1", 1, 0.0, 5.0, false, 0});
  REQUIRE(v->find_section("back") != nullptr);
  CHECK(v->find_section("back")->tier == "std");
  CHECK(v->find_section("nope") == nullptr);
  REQUIRE(v->find_tier("vip") != nullptr);
  CHECK(v->find_tier("vip")->price == 9000);
  CHECK(v->find_tier("nope") == nullptr);
  check_round_trip(*v);
}

TEST_CASE("venue: valid_id") {
  CHECK(valid_id("101-C-8"));
  CHECK(valid_id("a.b_c:d-E9"));
  CHECK(valid_id(std::string(max_id_length, 'x')));
  CHECK_FALSE(valid_id(""));
  CHECK_FALSE(valid_id(std::string(max_id_length + 1, 'x')));
  CHECK_FALSE(valid_id("a b"));
  CHECK_FALSE(valid_id("a/b"));
  CHECK_FALSE(valid_id("f\xC3\xBC"));
}

// -- generators ---------------------------------------------------------------

TEST_CASE("venue: generate_stadium has 50,000 unique seats in 100 sections and round-trips") {
  auto v = generate_stadium();
  CHECK(v.sections.size() == 100);
  CHECK(v.seat_count() == 50'000);
  std::unordered_set<std::string> ids;
  size_t seats = 0;
  for (const auto& s : v.sections) {
    CHECK(v.find_tier(s.tier) != nullptr);
    std::set<uint32_t> ranks;
    size_t accessible = 0;
    for (const auto& r : s.rows)
      for (const auto& st : r.seats) {
        ids.insert(st.id);
        ranks.insert(st.rank);
        accessible += st.accessible ? 1 : 0;
        ++seats;
      }
    // Ranks 1..n, each once: best-available can rely on them.
    CHECK(ranks.size() == s.seat_count());
    CHECK(*ranks.begin() == 1);
    CHECK(*ranks.rbegin() == s.seat_count());
    CHECK(accessible == 4);
  }
  CHECK(seats == 50'000);
  CHECK(ids.size() == 50'000);
  CHECK(v.find_section("101") != nullptr);
  CHECK(v.find_section("340") != nullptr);
  check_round_trip(v);
  CHECK(generate_stadium() == v);
}

TEST_CASE("venue: generate_stadium ranks front rows and row middles first, labels rows past Z") {
  auto v = generate_stadium({.sections = 3, .rows = 30, .seats_per_row = 9});
  REQUIRE(v.sections.size() == 3);
  CHECK(v.seat_count() == 810);
  const auto& s = v.sections[0];
  CHECK(s.id == "101");
  CHECK(s.rows[25].id == "Z");
  CHECK(s.rows[26].id == "AA");
  CHECK(s.rows[29].seats[8].id == "101-AD-9");
  // The middle of row A is the best seat, its end worse than the middle of row B.
  CHECK(s.rows[0].seats[4].rank == 1);
  CHECK(s.rows[0].seats[8].rank > s.rows[1].seats[4].rank);
  CHECK(s.rows[1].seats[4].rank < s.rows[2].seats[4].rank);
  check_round_trip(v);
}

TEST_CASE("venue: generate_theatre has 400-600 seats in stalls, circle and boxes, round-trips") {
  auto v = generate_theatre();
  CHECK(v.seat_count() >= 400);
  CHECK(v.seat_count() <= 600);
  CHECK(v.tiers.size() >= 2);
  for (const char* id : {"stalls", "circle", "boxes"}) {
    INFO(id);
    REQUIRE(v.find_section(id) != nullptr);
    CHECK(v.find_tier(v.find_section(id)->tier) != nullptr);
  }
  check_round_trip(v);
  CHECK(generate_theatre() == v);
}

TEST_CASE("venue: scenarios/venues/theatre.json is generate_theatre()") {
#ifdef SEATGRAB_SOURCE_DIR
  auto path = std::filesystem::path{SEATGRAB_SOURCE_DIR} / "scenarios" / "venues" / "theatre.json";
  auto v = load_venue_file(path);
  REQUIRE_MESSAGE(v, why(v));
  CHECK(*v == generate_theatre());
#else
  FAIL("SEATGRAB_SOURCE_DIR is not defined: the build must define it as the repository root");
#endif
}

// -- validation, one test per rule in the order they are checked ----------------

TEST_CASE("venue rule: not JSON, with the byte position") {
  SUBCASE("bad literal inside a seat") {
    auto text = small_venue().dump();
    auto at = text.find("\"y\":1.0");
    text.replace(at + 4, 3, "tru");
    // The parser has read "tru" and the character after it when it gives up.
    auto byte = std::to_string(at + 4 + 4);
    check_rejected_text(text, "sections[0].rows[0].seats[0].y", "not valid JSON at byte " + byte);
  }
  SUBCASE("empty text") {
    check_rejected_text("", "$", "not valid JSON at byte 1");
  }
  SUBCASE("trailing garbage") {
    check_rejected_text(small_venue().dump() + " x", "$", "not valid JSON");
  }
  SUBCASE("duplicate key, which a JSON parser would silently resolve") {
    auto text = small_venue().dump();
    text.replace(text.find("\"number\":2"), 10, "\"number\":2,\"number\":3");
    check_rejected_text(text, "sections[0].rows[0].seats[1].number", "duplicate key \"number\"");
  }
}

TEST_CASE("venue rule: the root must be an object") {
  check_rejected_text("[]", "$", "must be an object, got an array");
  check_rejected_text("42", "$", "must be an object, got 42");
}

TEST_CASE("venue rule: required fields must be present") {
  struct field {
    const char* at;
    const char* path;
  };
  const field fields[] = {
      {"/id", "id"},
      {"/name", "name"},
      {"/price_tiers", "price_tiers"},
      {"/sections", "sections"},
      {"/price_tiers/1/id", "price_tiers[1].id"},
      {"/price_tiers/1/name", "price_tiers[1].name"},
      {"/price_tiers/1/price", "price_tiers[1].price"},
      {"/sections/1/id", "sections[1].id"},
      {"/sections/1/name", "sections[1].name"},
      {"/sections/1/tier", "sections[1].tier"},
      {"/sections/1/rows", "sections[1].rows"},
      {"/sections/0/rows/1/id", "sections[0].rows[1].id"},
      {"/sections/0/rows/1/seats", "sections[0].rows[1].seats"},
      {"/sections/0/rows/0/seats/1/id", "sections[0].rows[0].seats[1].id"},
      {"/sections/0/rows/0/seats/1/number", "sections[0].rows[0].seats[1].number"},
      {"/sections/0/rows/0/seats/1/x", "sections[0].rows[0].seats[1].x"},
      {"/sections/0/rows/0/seats/1/y", "sections[0].rows[0].seats[1].y"},
  };
  for (const auto& f : fields) {
    INFO(f.at);
    check_rejected(without(small_venue(), f.at), f.path, "missing required field");
  }
}

TEST_CASE("venue rule: fields must have their type") {
  struct change {
    const char* at;
    json value;
    const char* path;
    const char* reason;
  };
  const change changes[] = {
      {"/id", 42, "id", "expected a string, got 42"},
      {"/currency", 978, "currency", "expected a string, got 978"},
      {"/price_tiers", json::object(), "price_tiers", "expected an array, got an object"},
      {"/price_tiers/0/price", "5000", "price_tiers[0].price", "expected a number, got a string"},
      {"/sections/1", 5, "sections[1]", "expected an object, got 5"},
      {"/sections/0/rows/0/seats", "none", "sections[0].rows[0].seats", "expected an array"},
      {"/sections/0/rows/0/seats/0/number", -1, "sections[0].rows[0].seats[0].number",
       "expected an integer from 0 to 4294967295, got -1"},
      {"/sections/0/rows/0/seats/0/number", 1.5, "sections[0].rows[0].seats[0].number", "got 1.5"},
      {"/sections/0/rows/0/seats/0/number", 4294967296, "sections[0].rows[0].seats[0].number",
       "got 4294967296"},
      {"/sections/0/rows/0/seats/0/x", "0", "sections[0].rows[0].seats[0].x",
       "expected a number, got a string"},
      {"/sections/0/rows/0/seats/0/y", nullptr, "sections[0].rows[0].seats[0].y", "got null"},
      {"/sections/0/rows/0/seats/0/accessible", "yes", "sections[0].rows[0].seats[0].accessible",
       "expected true or false"},
      {"/sections/0/rows/0/seats/0/rank", -1, "sections[0].rows[0].seats[0].rank", "got -1"},
  };
  for (const auto& c : changes) {
    INFO(c.at);
    check_rejected(with(small_venue(), c.at, c.value), c.path, c.reason);
  }
}

TEST_CASE("venue rule: ids are 1-64 bytes of [A-Za-z0-9._:-], currency 3 capitals") {
  auto doc = small_venue();
  check_rejected(with(doc, "/id", ""), "id", "invalid id \"\": must not be empty");
  check_rejected(with(doc, "/price_tiers/0/id", std::string(65, 'a')), "price_tiers[0].id",
                 "longer than 64 bytes");
  check_rejected(with(doc, "/sections/0/id", "front row"), "sections[0].id",
                 "invalid id \"front row\": contains a space");
  check_rejected(with(doc, "/sections/0/rows/1/id", "B/1"), "sections[0].rows[1].id",
                 "contains '/'");
  check_rejected(with(doc, "/sections/0/rows/0/seats/1/id", "f\xC3\xBC-1"),
                 "sections[0].rows[0].seats[1].id", "contains byte 0xC3");
  check_rejected(with(doc, "/currency", "eur"), "currency", "invalid currency \"eur\"");
  check_rejected(with(doc, "/currency", "EURO"), "currency", "must be 3 uppercase letters");
  auto longest = parse_venue(with(doc, "/id", std::string(64, 'a')).dump(), "venue.json");
  CHECK_MESSAGE(longest, why(longest));
}

TEST_CASE("venue rule: unknown fields are rejected, with a suggestion for typos") {
  auto doc = small_venue();
  doc[pointer{"/sections/0/rows/0/seats/1/accesible"}] = true;
  check_rejected(doc, "sections[0].rows[0].seats[1].accesible",
                 "unknown field (did you mean \"accessible\"?)");
  check_rejected(with(small_venue(), "/venue_name", "x"), "venue_name", "unknown field");
  check_rejected(with(small_venue(), "/sections/0/rows/0/sets", json::array()),
                 "sections[0].rows[0].sets", "did you mean \"seats\"");
  check_rejected(with(small_venue(), "/price_tiers/0/a b", 1), "price_tiers[0][\"a b\"]",
                 "unknown field");
}

TEST_CASE("venue rule: a price is a positive integer of at most 10^9 minor units") {
  check_rejected(with(small_venue(), "/price_tiers/1/price", 95.5), "price_tiers[1].price",
                 "price must be a whole number of minor units, got 95.5");
  check_rejected(with(small_venue(), "/price_tiers/1/price", 9000.0), "price_tiers[1].price",
                 "whole number");
  check_rejected(with(small_venue(), "/price_tiers/1/price", -100), "price_tiers[1].price",
                 "price must be positive, got -100");
  check_rejected(with(small_venue(), "/price_tiers/1/price", 0), "price_tiers[1].price",
                 "price must be positive");
  check_rejected(with(small_venue(), "/price_tiers/1/price", 1'000'000'001), "price_tiers[1].price",
                 "price must be at most 1000000000");
  auto highest =
      parse_venue(with(small_venue(), "/price_tiers/1/price", 1'000'000'000).dump(), "venue.json");
  REQUIRE_MESSAGE(highest, why(highest));
  CHECK(highest->tiers[1].price == 1'000'000'000);
}

TEST_CASE("venue rule: tier ids are unique") {
  check_rejected(with(small_venue(), "/price_tiers/1/id", "std"), "price_tiers[1].id",
                 "duplicate tier id \"std\" (first at price_tiers[0])");
}

TEST_CASE("venue rule: section ids are unique") {
  check_rejected(with(small_venue(), "/sections/1/id", "front"), "sections[1].id",
                 "duplicate section id \"front\" (first at sections[0])");
}

TEST_CASE("venue rule: a section's tier exists") {
  check_rejected(with(small_venue(), "/sections/1/tier", "gold"), "sections[1].tier",
                 "unknown tier \"gold\"");
}

TEST_CASE("venue rule: row ids are unique within a section") {
  check_rejected(with(small_venue(), "/sections/0/rows/1/id", "A"), "sections[0].rows[1].id",
                 "duplicate row id \"A\" (first at sections[0].rows[0])");
}

TEST_CASE("venue rule: seat ids are unique across the venue") {
  auto msg = rejection(with(small_venue(), "/sections/1/rows/0/seats/0/id", "front-A-2").dump());
  CHECK(msg == "invalid_input: venue.json: sections[1].rows[0].seats[0].id: duplicate seat id "
               "\"front-A-2\" (first at sections[0].rows[0].seats[1])");
}

TEST_CASE("venue rule: seat numbers are unique within a row") {
  check_rejected(with(small_venue(), "/sections/0/rows/0/seats/1/number", 1),
                 "sections[0].rows[0].seats[1].number",
                 "duplicate seat number 1 (first at sections[0].rows[0].seats[0])");
}

TEST_CASE("venue rule: at least one section, one row per section, one seat per row") {
  check_rejected(with(small_venue(), "/sections", json::array()), "sections", "no sections");
  check_rejected(with(small_venue(), "/sections/1/rows", json::array()), "sections[1].rows",
                 "no rows");
  check_rejected(with(small_venue(), "/sections/0/rows/1/seats", json::array()),
                 "sections[0].rows[1].seats", "no seats");
}

TEST_CASE("venue rule: coordinates are finite numbers") {
  // JSON has no infinity; an overflowing literal is the only way to write one.
  auto text = small_venue().dump();
  text.replace(text.find("\"x\":0.5"), 7, "\"x\":1e999");
  check_rejected_text(text, "sections[0].rows[0].seats[1].x", "not a finite number");
  text = small_venue().dump();
  text.replace(text.find("\"y\":5.0"), 7, "\"y\":-1e400");
  check_rejected_text(text, "sections[1].rows[0].seats[0].y", "not a finite number");
}

TEST_CASE("venue rule: at most 200,000 seats") {
  // The slowest test here (two parses of 200,000 seats): both sides of the limit matter.
  auto v = generate_stadium({.sections = 1, .rows = 1, .seats_per_row = max_seats});
  auto at_limit = parse_venue(to_json(v), "big.json");
  CHECK_MESSAGE(at_limit, why(at_limit));
  auto& seats = v.sections[0].rows[0].seats;
  seats.push_back(seat{"one-more", static_cast<uint32_t>(seats.size() + 1), 0.0, 0.0});
  check_rejected_text(to_json(v), "sections", "too many seats: 200001 (at most 200000)");
}

TEST_CASE("venue: the earliest rule is reported, wherever it is in the document") {
  SUBCASE("a missing field late beats an unknown field early") {
    auto doc = without(small_venue(), "/sections/1/rows/0/seats/0/number");
    doc[pointer{"/price_tiers/0/colour"}] = "red";
    check_rejected(doc, "sections[1].rows[0].seats[0].number", "missing required field");
  }
  SUBCASE("an unknown tier late beats a duplicate seat early") {
    auto doc = with(small_venue(), "/sections/0/rows/0/seats/1/id", "front-A-1");
    doc[pointer{"/sections/1/tier"}] = "gold";
    check_rejected(doc, "sections[1].tier", "unknown tier");
  }
  SUBCASE("within one rule, the first in the document") {
    auto doc = with(small_venue(), "/sections/1/tier", "gold");
    doc[pointer{"/sections/0/tier"}] = "silver";
    check_rejected(doc, "sections[0].tier", "unknown tier \"silver\"");
  }
}

TEST_CASE("venue: errors name the source") {
  auto v = parse_venue(with(small_venue(), "/sections", json::array()).dump(), "my-venue.json");
  REQUIRE(!v);
  REQUIRE(v.error().context().match_elements<std::string>());
  auto text = v.error().context().get_as<std::string>(0);
  CHECK(text.rfind("my-venue.json: sections: ", 0) == 0);
}

TEST_CASE("venue: load_venue_file fails with invalid_input naming a missing path") {
  auto path = std::filesystem::temp_directory_path() / "seatgrab-no-such-dir" / "venue.json";
  auto v = load_venue_file(path);
  REQUIRE(!v);
  CHECK(v.error() == ec::invalid_input);
  auto msg = render(v.error());
  INFO(msg);
  CHECK(contains(msg, path.string() + ": "));
  CHECK(contains(msg, "No such file"));
  auto dir = load_venue_file(std::filesystem::temp_directory_path());
  REQUIRE(!dir);
  CHECK(dir.error() == ec::invalid_input);
}
