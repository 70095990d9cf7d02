// Issue 13 findings 4 and 9 over HTTP against `seatgrab serve`: log-ins beyond the per-e-mail
// and per-address rates answer 429 `login_limited` with Retry-After; a saturated hash pool is
// 503 `auth_busy` with Retry-After; an e-mail with a zero-width character is 400
// `invalid_email`, and look-alike e-mails are one account.
#include "http/problem.hpp"
#include "tests/http/edge_fixture.hpp"
#include "tests/support/server_process.hpp"

#include <boost/beast/http.hpp>
#include <caf/error.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <unistd.h>

using nlohmann::json;
namespace sg = seatgrab;
namespace bhttp = boost::beast::http;

namespace {

std::string creds(const std::string& email, const std::string& password = "correct horse") {
  return json{{"email", email}, {"password", password}}.dump();
}

void expect_problem(const sg::test::http_response& res, unsigned status, const std::string& code) {
  CHECK_MESSAGE(res.result_int() == status, res.body());
  CHECK(res[bhttp::field::content_type] == "application/problem+json");
  auto body = json::parse(res.body(), nullptr, false);
  REQUIRE_FALSE(body.is_discarded());
  CHECK(body["code"] == code);
  CHECK(body["status"] == status);
}

} // namespace

TEST_CASE("login flood over HTTP: per-e-mail and per-address rates answer 429 with Retry-After") {
  auto dir = std::filesystem::temp_directory_path() /
             ("seatgrab-http-login-flood-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  {
    // Bursts of 5 above the rate per e-mail and 20 per address (so 6 and 21 at once, as
    // --rate-burst counts); refills too slow to matter here.
    sg::test::server_process srv{
        SEATGRAB_BIN,
        dir,
        sg::test::admin_token,
        {"--rate-limit", "1000", "--login-rate", "0.001", "--login-rate-email", "0.001"}};
    sg::test::http_client c{srv.port};
    REQUIRE(c.request("POST", "/v1/accounts", creds("alice@example.com")).result_int() == 201);
    for (int i = 0; i < 6; ++i)
      CHECK(c.request("POST", "/v1/sessions", creds("alice@example.com", "wrong horse"))
                .result_int() == 401);
    // The seventh for that e-mail is refused, even with the right password.
    auto limited = c.request("POST", "/v1/sessions", creds("ALICE@example.com"));
    expect_problem(limited, 429, "login_limited");
    CHECK(std::stoi(std::string{limited[bhttp::field::retry_after]}) >= 1);
    // Other e-mails from this address: the address has 14 left of its 21 (the refused one
    // counted there: the address is checked first).
    for (int i = 0; i < 14; ++i)
      CHECK(c.request("POST", "/v1/sessions", creds("fan" + std::to_string(i) + "@example.com"))
                .result_int() == 401);
    auto by_address = c.request("POST", "/v1/sessions", creds("fan99@example.com"));
    expect_problem(by_address, 429, "login_limited");
    CHECK(std::stoi(std::string{by_address[bhttp::field::retry_after]}) >= 1);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("look-alike e-mails over HTTP: invisible characters are 400, case and NFC fold") {
  sg::test::edge_fixture edge;
  auto c = edge.client();
  REQUIRE(c.request("POST", "/v1/accounts", creds("jos\xc3\xa9@example.com")).result_int() == 201);
  expect_problem(c.request("POST", "/v1/accounts", creds("jos\xc3\xa9\xe2\x80\x8b@example.com")),
                 400, "invalid_email");
  expect_problem(c.request("POST", "/v1/accounts", creds("JOSE\xcc\x81@example.com")), 409,
                 "already_exists");
  CHECK(c.request("POST", "/v1/sessions", creds("JOS\xc3\x89@EXAMPLE.com")).result_int() == 201);
}

TEST_CASE("a saturated hash pool is 503 auth_busy with Retry-After") {
  auto res = sg::http::problem(caf::make_error(sg::ec::auth_busy, "password hashing is busy"));
  CHECK(res.result_int() == 503);
  CHECK(res[bhttp::field::retry_after] == "1");
  CHECK(json::parse(res.body())["code"] == "auth_busy");
  CHECK(sg::http::status_of(sg::ec::login_limited) == 429);
  CHECK(sg::http::status_of(sg::ec::invalid_email) == 400);
}
