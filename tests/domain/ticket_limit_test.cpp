// Tests of the per-account ticket limit at hold time: held + bought + wanted within the limit.
#include "domain/ticket_limit.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

using seatgrab::ec;
using namespace seatgrab::domain;

TEST_CASE("a hold asks for its seats, or for its quantity when it names none") {
  CHECK(seats_asked(3, 0) == 3);
  CHECK(seats_asked(3, 5) == 3);
  CHECK(seats_asked(0, 5) == 5);
  CHECK(seats_asked(0, 0) == 0);
}

TEST_CASE("held, bought and wanted seats together may reach the limit, not pass it") {
  CHECK_FALSE(check_ticket_limit(0, 0, 4, 4));
  CHECK_FALSE(check_ticket_limit(1, 2, 1, 4));
  auto over = check_ticket_limit(2, 1, 2, 4);
  REQUIRE(over);
  CHECK(over == ec::ticket_limit);
  REQUIRE(over.context().match_element<std::string>(0));
  CHECK(over.context().get_as<std::string>(0) == "3 seats held or bought of at most 4");
}

TEST_CASE("the limit arithmetic does not wrap around") {
  CHECK(check_ticket_limit(UINT32_MAX, UINT32_MAX, UINT32_MAX, 100) == ec::ticket_limit);
  CHECK(check_ticket_limit(0, 0, UINT32_MAX, 100) == ec::ticket_limit);
}
