#pragma once

// A fan's way into a sale over HTTP, for tests that talk to real node processes: sign up, log
// in, join the waiting room and poll until admitted, each step through the edge given.

#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace seatgrab::test {

/// A fan admitted to an event's sale: their bearer token and admission token.
struct admitted_fan {
  std::string token;
  std::string admission;
  std::string account; ///< the account id sign-up gave
};

/// Joins the queue of `event` from `device` with bearer `token` through `join` and polls
/// through `poll` until admitted (the pacer of a live process admits each second): the
/// admission token.
inline std::string admission_of(http_client& join, http_client& poll, const std::string& token,
                                const std::string& device, const std::string& event) {
  auto parse = [](const http_response& r) {
    return nlohmann::json::parse(r.body(), nullptr, false);
  };
  auto joined = join.with_token(token, "POST", "/v1/events/" + event + "/queue",
                                R"({"device":")" + device + "\"}");
  REQUIRE_MESSAGE(joined.result_int() == 201, joined.body());
  auto ticket = std::to_string(parse(joined)["ticket"].get<uint64_t>());
  std::string admission;
  REQUIRE(eventually([&] {
    auto polled = poll.with_token(token, "GET", "/v1/events/" + event + "/queue/" + ticket);
    REQUIRE_MESSAGE(polled.result_int() == 200, polled.body());
    admission = parse(polled).value("admission_token", "");
    return !admission.empty();
  }));
  return admission;
}

/// Signs `email` up through `signup`, logs in through `login`, and is admitted to `event` from
/// `device` as `admission_of` (through `join` and `poll`).
inline admitted_fan admit_fan(http_client& signup, http_client& login, http_client& join,
                              http_client& poll, const std::string& email,
                              const std::string& device, const std::string& event) {
  auto parse = [](const http_response& r) {
    return nlohmann::json::parse(r.body(), nullptr, false);
  };
  auto credentials = R"({"email":")" + email + R"(","password":"correct horse"})";
  auto signed_up = signup.request("POST", "/v1/accounts", credentials);
  REQUIRE_MESSAGE(signed_up.result_int() == 201, signed_up.body());
  auto logged_in = login.request("POST", "/v1/sessions", credentials);
  REQUIRE_MESSAGE(logged_in.result_int() == 201, logged_in.body());
  admitted_fan fan{parse(logged_in)["token"].get<std::string>(), "",
                   parse(signed_up)["id"].get<std::string>()};
  fan.admission = admission_of(join, poll, fan.token, device, event);
  return fan;
}

} // namespace seatgrab::test
