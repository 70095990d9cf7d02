// Issue 13 finding 4: a log-in flood must not stall token checks. Password hashing runs in the
// account registry's bounded pool of hashers, never on the registry itself; a full pool
// answers `auth_busy`; log-ins are limited per client address and per e-mail.
#include "actors/accounts.hpp"
#include "security/password.hpp"
#include "tests/support/node_fixture.hpp"

#include <caf/event_based_actor.hpp>
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace sg = seatgrab;

namespace {

using log_ptr = std::shared_ptr<std::vector<std::string>>;

std::string name_of(const caf::error& err) {
  return std::string{sg::to_string(sg::ec_of(err))};
}

// An actor that sends `n` log-ins for unknown e-mails, then one token check, and logs each
// answer as it arrives.
caf::actor flood(sg::test::node_fixture& node, sg::accounts_actor accounts, int n,
                 std::string token, log_ptr log) {
  return node.ts().sys().spawn([=](caf::event_based_actor* self) {
    for (int i = 0; i < n; ++i)
      self->request(accounts, caf::infinite, sg::atom::login_v,
                    "nobody" + std::to_string(i) + "@example.com", std::string{"correct horse"})
          .then([log](sg::login_grant&) { log->push_back("login ok"); },
                [log](caf::error& err) { log->push_back("login " + name_of(err)); });
    self->request(accounts, caf::infinite, sg::atom::get_v, sg::atom::session_v, token)
        .then([log](sg::auth_info& who) { log->push_back("session " + who.account); },
              [log](caf::error& err) { log->push_back("session " + name_of(err)); });
  });
}

// Runs only the jobs of `a` and `b` (the registry and the client): the hashers' jobs wait.
void run_only(sg::test::node_fixture& node, const caf::actor& a, const caf::actor& b) {
  auto* x = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(a));
  auto* y = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(b));
  node.ts().sched().run_jobs_filtered([=](caf::resumable* job) { return job == x || job == y; });
}

std::string signed_up_token(sg::test::node_fixture& node) {
  auto accounts = node.accounts();
  REQUIRE(node.call<sg::account_summary>(accounts, sg::atom::put_v, sg::atom::account_v,
                                         std::string{"alice@example.com"},
                                         std::string{"correct horse"}));
  auto grant = node.call<sg::login_grant>(
      accounts, sg::atom::login_v, std::string{"alice@example.com"}, std::string{"correct horse"});
  REQUIRE(grant);
  return grant->token;
}

} // namespace

TEST_CASE("login flood: a token check is answered while password hashes wait") {
  sg::test::node_fixture node;
  auto token = signed_up_token(node);
  auto accounts = node.accounts();
  auto log = std::make_shared<std::vector<std::string>>();
  auto runs = sg::security::scrypt_runs();
  auto client = flood(node, accounts, 5, token, log);
  run_only(node, caf::actor_cast<caf::actor>(accounts), client);
  // The registry answered the token check without running a single scrypt: the log-ins'
  // hashes are still queued at the hashers (before the fix it had run all five first).
  CHECK(sg::security::scrypt_runs() - runs == 0);
  CHECK(*log == std::vector<std::string>{"session a1"});
  node.ts().run();
  CHECK(sg::security::scrypt_runs() - runs == 5);
  REQUIRE(log->size() == 6);
  for (size_t i = 1; i < log->size(); ++i)
    CHECK((*log)[i] == "login bad_credentials");
}

TEST_CASE("login flood: a full hash queue refuses at once with auth_busy") {
  sg::cluster::registry_options opts;
  opts.accounts.hash_workers = 1;
  opts.accounts.hash_queue = 2; // one running and two waiting: the fourth is refused
  sg::test::node_fixture node{"mem-node", sg::persistence::durability::none, sg::test::test_epoch,
                              opts};
  auto token = signed_up_token(node);
  auto accounts = node.accounts();
  auto log = std::make_shared<std::vector<std::string>>();
  auto client = flood(node, accounts, 5, token, log);
  run_only(node, caf::actor_cast<caf::actor>(accounts), client);
  CHECK(*log == std::vector<std::string>{"login auth_busy", "login auth_busy", "session a1"});
  node.ts().run();
  REQUIRE(log->size() == 6);
  CHECK((*log)[3] == "login bad_credentials");
  CHECK((*log)[5] == "login bad_credentials");
  // The pool is free again: the next log-in is served.
  CHECK(node.call<sg::login_grant>(accounts, sg::atom::login_v, std::string{"alice@example.com"},
                                   std::string{"correct horse"}));
}

TEST_CASE("login flood: log-ins are limited per address and per e-mail") {
  sg::cluster::registry_options opts;
  opts.accounts.login_per_s_address = 1;
  opts.accounts.login_burst_address = 3; // above the rate: four at once (the GCRA counts the first)
  opts.accounts.login_per_s_email = 0.1;
  opts.accounts.login_burst_email = 1; // two at once
  sg::test::node_fixture node{"mem-node", sg::persistence::durability::none, sg::test::test_epoch,
                              opts};
  signed_up_token(node); // an internal log-in (no address) is not counted
  auto accounts = node.accounts();
  auto login = [&](const std::string& email, const std::string& address) {
    return node.call<sg::login_grant>(accounts, sg::atom::login_v, email,
                                      std::string{"correct horse"}, address);
  };
  // Per e-mail: two, then refused from any address, with the wait in the error.
  CHECK(login("alice@example.com", "10.0.0.1"));
  CHECK(login("ALICE@example.com", "10.0.0.2"));
  auto refused = login("alice@example.com", "10.0.0.3");
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == sg::ec::login_limited);
  const auto& ctx = refused.error().context();
  REQUIRE(ctx.size() == 2);
  REQUIRE(ctx.match_element<uint32_t>(1));
  CHECK(ctx.get_as<uint32_t>(1) >= 1);
  // Per address: four in a burst whatever the e-mails, then refused.
  for (int i = 0; i < 4; ++i)
    CHECK(login("fan" + std::to_string(i) + "@example.com", "10.0.0.9").error() ==
          sg::ec::bad_credentials);
  CHECK(login("fan9@example.com", "10.0.0.9").error() == sg::ec::login_limited);
  CHECK(login("fan9@example.com", "10.0.0.8").error() == sg::ec::bad_credentials);
  // Time refills both.
  node.advance(10s);
  CHECK(login("alice@example.com", "10.0.0.9"));
}
