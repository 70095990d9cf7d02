// Tests of the account registry actor: sign-up, login, bearer sessions (expiry, logout), the
// operator role, lookup by email, and recovery from the journal.
#include "actors/accounts.hpp"
#include "tests/support/node_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace std::chrono_literals;
using seatgrab::atom::get_v;
using seatgrab::atom::put_v;
namespace sg = seatgrab;

namespace {

caf::expected<sg::account_summary> sign_up(sg::test::node_fixture& node, const std::string& email,
                                           const std::string& password) {
  return node.call<sg::account_summary>(node.accounts(), put_v, sg::atom::account_v, email,
                                        password);
}

caf::expected<sg::login_grant> login(sg::test::node_fixture& node, const std::string& email,
                                     const std::string& password) {
  return node.call<sg::login_grant>(node.accounts(), sg::atom::login_v, email, password);
}

caf::expected<sg::auth_info> who(sg::test::node_fixture& node, const std::string& token) {
  return node.call<sg::auth_info>(node.accounts(), get_v, sg::atom::session_v, token);
}

} // namespace

TEST_CASE("sign up, log in, use the bearer token until it expires or the fan logs out") {
  sg::test::node_fixture node;
  auto alice = sign_up(node, "  Alice@Example.COM ", "correct horse");
  REQUIRE_MESSAGE(alice, sg::render(alice));
  CHECK(alice->id == "a1");
  CHECK(alice->email == "alice@example.com");
  CHECK_FALSE(alice->is_operator);
  CHECK(sign_up(node, "alice@example.com", "another one").error() == sg::ec::already_exists);
  CHECK(sign_up(node, "not an email", "correct horse").error() == sg::ec::invalid_argument);
  CHECK(sign_up(node, "bob@example.com", "short").error() == sg::ec::invalid_argument);
  CHECK(sign_up(node, "bob@example.com", "long enough").value().id == "a2");

  CHECK(login(node, "alice@example.com", "wrong horse").error() == sg::ec::bad_credentials);
  CHECK(login(node, "nobody@example.com", "correct horse").error() == sg::ec::bad_credentials);
  auto grant = login(node, "ALICE@example.com", "correct horse");
  REQUIRE(grant);
  CHECK(grant->account == "a1");
  CHECK(grant->expires_at_ms ==
        (sg::test::test_epoch + 24h).time_since_epoch().count()); // the default TTL
  auto me = who(node, grant->token);
  REQUIRE(me);
  CHECK(me->account == "a1");
  CHECK(who(node, grant->token + "x").error() == sg::ec::unauthenticated);
  CHECK(who(node, "").error() == sg::ec::unauthenticated);

  // Logout ends the session at once; another login is independent.
  auto second = login(node, "alice@example.com", "correct horse");
  REQUIRE(second);
  REQUIRE(node.call<void>(node.accounts(), sg::atom::logout_v, second->token));
  CHECK(who(node, second->token).error() == sg::ec::unauthenticated);
  CHECK(node.call<void>(node.accounts(), sg::atom::logout_v, second->token).error() ==
        sg::ec::unauthenticated);
  CHECK(who(node, grant->token));

  // Expiry: valid until 24 h after login, exclusive.
  node.advance(24h - 1ms);
  CHECK(who(node, grant->token));
  node.advance(1ms);
  CHECK(who(node, grant->token).error() == sg::ec::unauthenticated);
}

TEST_CASE("operators are made by role; accounts are found by email for transfers") {
  sg::test::node_fixture node;
  REQUIRE(sign_up(node, "gate@example.com", "gate staff 1"));
  auto found = node.call<sg::account_summary>(node.accounts(), get_v, sg::atom::account_v,
                                              std::string{"Gate@Example.com"});
  REQUIRE(found);
  CHECK(found->id == "a1");
  CHECK(node.call<sg::account_summary>(node.accounts(), get_v, sg::atom::account_v,
                                       std::string{"nobody@example.com"})
            .error() == sg::ec::not_found);
  auto grant = login(node, "gate@example.com", "gate staff 1");
  REQUIRE(grant);
  CHECK_FALSE(who(node, grant->token)->is_operator);
  REQUIRE(node.call<void>(node.accounts(), put_v, sg::atom::role_v, std::string{"a1"}));
  CHECK(who(node, grant->token)->is_operator);
  CHECK(node.call<void>(node.accounts(), put_v, sg::atom::role_v, std::string{"a9"}).error() ==
        sg::ec::not_found);
}

TEST_CASE("accounts, sessions and roles survive a restart; logouts too") {
  auto dir = std::filesystem::temp_directory_path() / "seatgrab-accounts-restart";
  std::filesystem::remove_all(dir);
  std::string kept, ended;
  {
    sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
    REQUIRE(sign_up(node, "alice@example.com", "correct horse"));
    REQUIRE(node.call<void>(node.accounts(), put_v, sg::atom::role_v, std::string{"a1"}));
    kept = login(node, "alice@example.com", "correct horse").value().token;
    ended = login(node, "alice@example.com", "correct horse").value().token;
    REQUIRE(node.call<void>(node.accounts(), sg::atom::logout_v, ended));
  }
  sg::test::node_fixture node(dir, sg::persistence::durability::fsync);
  auto me = who(node, kept);
  REQUIRE_MESSAGE(me, sg::render(me));
  CHECK(me->account == "a1");
  CHECK(me->is_operator);
  CHECK(who(node, ended).error() == sg::ec::unauthenticated);
  CHECK(sign_up(node, "alice@example.com", "correct horse").error() == sg::ec::already_exists);
  CHECK(sign_up(node, "bob@example.com", "correct horse").value().id == "a2");
  std::filesystem::remove_all(dir);
}
