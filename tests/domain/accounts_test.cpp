// Tests of the account registry (sign-up, login, sessions, operator role, replay) and the
// per-event ticket ledger.
#include "domain/accounts.hpp"
#include "messages/ec.hpp"
#include "security/password.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using seatgrab::ec;
using namespace seatgrab::domain;
namespace pb = seatgrab::pb;
namespace security = seatgrab::security;

namespace {

const time_point t0 = time_point{1'700'000'000'000ms};

constexpr auto ttl = std::chrono::milliseconds{3'600'000};

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

std::string context_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

std::string hash_of(std::string_view pw) {
  auto result = security::hash_password(pw, security::scrypt_params{1024, 8, 1});
  REQUIRE(result);
  return *result;
}

// A registry that records every event it emits, for replay.
struct journaled {
  accounts_state st;
  std::vector<pb::accounts_event> events;

  std::string sign_up(std::string_view email, std::string_view pw, time_point now = t0) {
    auto res = st.sign_up(email, hash_of(pw), now);
    REQUIRE(res);
    events.push_back(res->event);
    return res->account;
  }

  session_grant login(std::string_view email, std::string_view pw, time_point now = t0) {
    auto res = st.login(email, pw, now, ttl);
    REQUIRE(res);
    events.push_back(res->event);
    return *res;
  }
};

accounts_state replayed(const std::vector<pb::accounts_event>& events) {
  accounts_state result;
  for (const auto& ev : events)
    REQUIRE_FALSE(result.apply(ev));
  return result;
}

} // namespace

TEST_CASE("emails are trimmed, lower-cased and checked for a simple shape") {
  CHECK(normalize_email("  Alice@Example.COM\t") == "alice@example.com");
  CHECK(normalize_email("a.b+tag@sub.example.org") == "a.b+tag@sub.example.org");
  CHECK(normalize_email("x@y.z") == "x@y.z");
  std::string at_limit = std::string(64, 'l') + "@" + std::string(185, 'd') + ".com";
  REQUIRE(at_limit.size() == 254);
  CHECK(normalize_email(at_limit) == at_limit);
  for (const auto& bad : std::vector<std::string>{
           "", "   ", "alice", "alice@", "@example.com", "a@@example.com", "a@b@example.com",
           "a@localhost", "a@.example.com", "a@example.com.", "a@example..com", "a b@example.com",
           "a@exa\tmple.com", std::string("a\0b@example.com", 15), "a\x7f@example.com",
           at_limit + "m"}) {
    CAPTURE(bad);
    auto res = normalize_email(bad);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::invalid_argument);
  }
}

TEST_CASE("sign-up creates accounts a1, a2, ... with normalized emails") {
  accounts_state st;
  auto hash = hash_of("password123");
  auto first = st.sign_up(" Alice@Example.com ", hash, t0);
  REQUIRE(first);
  CHECK(first->account == "a1");
  CHECK(first->event.version() == 1);
  CHECK(first->event.at_ms() == 1'700'000'000'000);
  REQUIRE(first->event.has_signed_up());
  CHECK(first->event.signed_up().email() == "alice@example.com");
  CHECK(first->event.signed_up().password_hash() == hash);
  CHECK(st.find_account("a1") == account_info{"a1", "alice@example.com", t0, false});
  CHECK(st.account_by_email("ALICE@example.com") == "a1");
  auto second = st.sign_up("bob@example.com", hash_of("password456"), t0 + 1s);
  REQUIRE(second);
  CHECK(second->account == "a2");
  CHECK(st.account_count() == 2);
  CHECK(st.version() == 2);
}

TEST_CASE("sign-up rejects duplicates, bad emails and bad hashes, changing nothing") {
  accounts_state st;
  REQUIRE(st.sign_up("alice@example.com", hash_of("password123"), t0));
  auto before = st;
  auto dup = st.sign_up("  ALICE@example.COM", hash_of("other password"), t0);
  REQUIRE_FALSE(dup);
  CHECK(code_of(dup.error()) == ec::already_exists);
  auto bad_email = st.sign_up("alice.example.com", hash_of("password123"), t0);
  REQUIRE_FALSE(bad_email);
  CHECK(code_of(bad_email.error()) == ec::invalid_argument);
  for (std::string bad_hash : {"", "password123", "scrypt$1024$8$1$x$y"}) {
    auto res = st.sign_up("carol@example.com", bad_hash, t0);
    REQUIRE_FALSE(res);
    CHECK(code_of(res.error()) == ec::invalid_argument);
  }
  CHECK(st == before);
}

TEST_CASE("login returns a token whose digest alone is journaled") {
  journaled j;
  auto account = j.sign_up("alice@example.com", "password123");
  auto grant = j.login("  Alice@EXAMPLE.com", "password123", t0 + 5s);
  CHECK(grant.account == account);
  CHECK(grant.token.size() == security::session_token_size);
  CHECK(grant.expires_at == t0 + 5s + ttl);
  REQUIRE(grant.event.has_session_opened());
  const auto& opened = grant.event.session_opened();
  CHECK(opened.digest() == security::token_digest(grant.token));
  CHECK(opened.account() == account);
  CHECK(opened.expires_at_ms() == (t0 + 5s + ttl).time_since_epoch().count());
  CHECK(grant.event.SerializeAsString().find(grant.token) == std::string::npos);
  CHECK(j.st.session(grant.token, t0 + 5s) == account);
  // Two logins are two independent sessions.
  auto again = j.login("alice@example.com", "password123", t0 + 6s);
  CHECK(again.token != grant.token);
  CHECK(j.st.session_count() == 2);
}

TEST_CASE("bad credentials fail alike for a wrong password and an unknown email") {
  journaled j;
  j.sign_up("alice@example.com", "password123");
  auto before = j.st;
  auto wrong_pw = j.st.login("alice@example.com", "password124", t0, ttl);
  auto unknown = j.st.login("mallory@example.com", "password123", t0, ttl);
  auto malformed = j.st.login("not an email", "password123", t0, ttl);
  auto short_pw = j.st.login("alice@example.com", "short", t0, ttl);
  for (auto* res : {&wrong_pw, &unknown, &malformed, &short_pw}) {
    REQUIRE_FALSE(*res);
    CHECK(code_of(res->error()) == ec::bad_credentials);
    CHECK(context_of(res->error()) == "wrong email or password");
  }
  CHECK(j.st == before);
  auto zero_ttl = j.st.login("alice@example.com", "password123", t0, 0ms);
  REQUIRE_FALSE(zero_ttl);
  CHECK(code_of(zero_ttl.error()) == ec::invalid_argument);
  CHECK(j.st == before);
}

TEST_CASE("an unknown email is verified against a dummy hash of the configured cost") {
  // Issue 13 finding 9: the dummy record had N = 2^15 whatever --scrypt-cost said, so with a
  // lowered cost a miss took far longer than a hit: a timing oracle for who has an account.
  journaled j;
  j.sign_up("alice@example.com", "password123");
  for (auto params : {security::scrypt_params{1024, 8, 1}, security::scrypt_params{1 << 16, 8, 1},
                      security::scrypt_params{}}) {
    CAPTURE(params.n);
    for (auto email : {"nobody@example.com", "not an email"}) {
      auto miss = j.st.check_for_login(email, params);
      CHECK_FALSE(miss.account);
      CHECK(security::params_of(miss.password_hash) == params);
      CHECK_FALSE(security::verify_password("password123", miss.password_hash));
    }
    auto hit = j.st.check_for_login("Alice@example.com", params);
    CHECK(hit.account == "a1");
    CHECK(security::verify_password("password123", hit.password_hash));
  }
}

TEST_CASE("a session is valid until its expiry and not after logout") {
  journaled j;
  auto alice = j.sign_up("alice@example.com", "password123");
  auto bob = j.sign_up("bob@example.com", "password456");
  auto a = j.login("alice@example.com", "password123", t0);
  auto b = j.login("bob@example.com", "password456", t0);
  CHECK(j.st.session(a.token, t0 + ttl - 1ms) == alice);
  auto at_expiry = j.st.session(a.token, t0 + ttl);
  REQUIRE_FALSE(at_expiry);
  CHECK(code_of(at_expiry.error()) == ec::unauthenticated);
  CHECK_FALSE(j.st.session(a.token, t0 + ttl + 1h));
  // Unknown, empty, oversized and almost-right tokens.
  CHECK_FALSE(j.st.session(security::new_session_token(), t0));
  CHECK_FALSE(j.st.session("", t0));
  CHECK_FALSE(j.st.session(std::string(10'000, 'a'), t0));
  auto tweaked = b.token;
  tweaked.back() = tweaked.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(j.st.session(tweaked, t0));
  // Logout ends bob's session only.
  auto out = j.st.logout(b.token, t0 + 1s);
  REQUIRE(out);
  REQUIRE(out->has_session_closed());
  CHECK(out->session_closed().digest() == security::token_digest(b.token));
  j.events.push_back(*out);
  CHECK_FALSE(j.st.session(b.token, t0 + 1s));
  CHECK(j.st.session(a.token, t0 + 1s) == alice);
  auto twice = j.st.logout(b.token, t0 + 2s);
  REQUIRE_FALSE(twice);
  CHECK(code_of(twice.error()) == ec::unauthenticated);
  CHECK(j.st.find_account(bob));
}

TEST_CASE("close_expired drops exactly the sessions past their expiry") {
  journaled j;
  auto alice = j.sign_up("alice@example.com", "password123");
  auto early = j.login("alice@example.com", "password123", t0);
  auto late = j.login("alice@example.com", "password123", t0 + 10min);
  CHECK(j.st.close_expired(t0 + ttl - 1ms).empty());
  auto closed = j.st.close_expired(t0 + ttl);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].session_closed().digest() == security::token_digest(early.token));
  CHECK(j.st.session_count() == 1);
  CHECK(j.st.session(late.token, t0 + ttl) == alice);
  auto gone = j.st.logout(early.token, t0 + ttl);
  CHECK_FALSE(gone);
}

TEST_CASE("a log-in beyond the session cap closes the account's oldest session") {
  journaled j;
  auto alice = j.sign_up("alice@example.com", "password123");
  j.sign_up("bob@example.com", "password456");
  auto bobs = j.login("bob@example.com", "password456", t0);
  std::vector<session_grant> grants;
  for (size_t i = 0; i < max_sessions_per_account + 2; ++i)
    grants.push_back(j.login("alice@example.com", "password123", t0 + std::chrono::seconds(i)));
  const auto now = t0 + 1min;
  CHECK(j.st.session_count("a1") == max_sessions_per_account);
  CHECK(j.st.session_count() == max_sessions_per_account + 1);
  CHECK_FALSE(j.st.session(grants[0].token, now));
  CHECK_FALSE(j.st.session(grants[1].token, now));
  for (size_t i = 2; i < grants.size(); ++i)
    CHECK(j.st.session(grants[i].token, now) == alice);
  CHECK(j.st.session(bobs.token, now) == "a2"); // another account's sessions are untouched
  // A logout frees a place: the next log-in closes nothing.
  auto out = j.st.logout(grants[5].token, now);
  REQUIRE(out);
  j.events.push_back(*out);
  auto fresh = j.login("alice@example.com", "password123", now);
  CHECK(j.st.session_count("a1") == max_sessions_per_account);
  CHECK(j.st.session(grants[2].token, now) == alice);
  // Replay closes the same sessions without events of their own.
  auto copy = replayed(j.events);
  CHECK(copy == j.st);
  CHECK_FALSE(copy.session(grants[0].token, now));
  CHECK(copy.session(fresh.token, now) == alice);
  // Expiry empties the index as well.
  for (auto& ev : j.st.close_expired(now + ttl))
    j.events.push_back(ev);
  CHECK(j.st.session_count("a1") == 0);
  CHECK(j.st.session_count() == 0);
}

TEST_CASE("operators are granted once; unknown accounts are not_found") {
  accounts_state st;
  auto acc = st.sign_up("op@example.com", hash_of("password123"), t0);
  REQUIRE(acc);
  CHECK_FALSE(st.is_operator("a1"));
  auto granted = st.grant_operator("a1", t0);
  REQUIRE(granted);
  REQUIRE(granted->has_value());
  CHECK((*granted)->operator_granted().account() == "a1");
  CHECK(st.is_operator("a1"));
  CHECK(st.find_account("a1")->is_operator);
  auto again = st.grant_operator("a1", t0);
  REQUIRE(again);
  CHECK_FALSE(again->has_value());
  CHECK(st.version() == 2);
  auto unknown = st.grant_operator("a9", t0);
  REQUIRE_FALSE(unknown);
  CHECK(code_of(unknown.error()) == ec::not_found);
  CHECK_FALSE(st.is_operator("a9"));
}

TEST_CASE("replaying the journal rebuilds an equal registry") {
  journaled j;
  auto alice = j.sign_up("alice@example.com", "password123", t0);
  j.sign_up("bob@example.com", "password456", t0 + 1s);
  auto s1 = j.login("alice@example.com", "password123", t0 + 2s);
  auto s2 = j.login("bob@example.com", "password456", t0 + 3s);
  auto out = j.st.logout(s2.token, t0 + 4s);
  REQUIRE(out);
  j.events.push_back(*out);
  auto granted = j.st.grant_operator(alice, t0 + 5s);
  REQUIRE(granted);
  REQUIRE(granted->has_value());
  j.events.push_back(**granted);
  j.login("bob@example.com", "password456", t0 + ttl);
  for (auto& ev : j.st.close_expired(t0 + ttl + 3s))
    j.events.push_back(ev);
  for (uint64_t i = 0; i < j.events.size(); ++i)
    CHECK(j.events[i].version() == i + 1);
  auto copy = replayed(j.events);
  CHECK(copy == j.st);
  CHECK(copy.version() == j.events.size());
  CHECK(copy.is_operator(alice));
  CHECK(copy.account_by_email("bob@example.com") == "a2");
  CHECK_FALSE(copy.session(s1.token, t0 + ttl + 3s));
  // A prefix replays to a different state: equality is not vacuous.
  auto prefix = j.events;
  prefix.pop_back();
  CHECK_FALSE(replayed(prefix) == j.st);
  // A replayed registry keeps working, and logins still verify the journaled hashes.
  auto again = copy.login("alice@example.com", "password123", t0 + ttl + 5s, ttl);
  REQUIRE(again);
  CHECK(copy.session(again->token, t0 + ttl + 5s) == alice);
}

TEST_CASE("apply rejects events that do not fit, changing nothing") {
  journaled j;
  j.sign_up("alice@example.com", "password123");
  auto grant = j.login("alice@example.com", "password123");
  auto base = j.st;
  auto rejects = [&](pb::accounts_event ev) {
    auto st = base;
    auto err = st.apply(ev);
    REQUIRE(err);
    CHECK(code_of(err) == ec::storage_corruption);
    CHECK(st == base);
  };
  auto next = [&] {
    pb::accounts_event ev;
    ev.set_version(base.version() + 1);
    ev.set_at_ms(t0.time_since_epoch().count());
    return ev;
  };
  auto signed_up = [&](std::string account, std::string email) {
    auto ev = next();
    auto* x = ev.mutable_signed_up();
    x->set_account(std::move(account));
    x->set_email(std::move(email));
    x->set_password_hash(hash_of("password123"));
    return ev;
  };
  rejects(next()); // no kind
  auto stale = signed_up("a2", "bob@example.com");
  stale.set_version(base.version());
  rejects(stale);
  rejects(signed_up("a3", "bob@example.com"));   // not the next id
  rejects(signed_up("a2", "alice@example.com")); // duplicate email
  rejects(signed_up("a2", "Bob@example.com"));   // not normalized
  auto bad_hash = signed_up("a2", "bob@example.com");
  bad_hash.mutable_signed_up()->set_password_hash("plain");
  rejects(bad_hash);
  auto dup_session = next();
  *dup_session.mutable_session_opened() = grant.event.session_opened();
  rejects(dup_session);
  auto closed_unknown = next();
  closed_unknown.mutable_session_closed()->set_digest(security::token_digest("nope"));
  rejects(closed_unknown);
  auto op_unknown = next();
  op_unknown.mutable_operator_granted()->set_account("a7");
  rejects(op_unknown);
  // The well-formed variant applies.
  auto st = base;
  CHECK_FALSE(st.apply(signed_up("a2", "bob@example.com")));
}

TEST_CASE("ticket_ledger enforces the per-event limit per account") {
  ticket_ledger ledger;
  CHECK(ledger.count("a1", "ev1") == 0);
  CHECK_FALSE(ledger.reserve("a1", "ev1", 4, 6));
  CHECK_FALSE(ledger.reserve("a1", "ev1", 2, 6));
  CHECK(ledger.count("a1", "ev1") == 6);
  auto over = ledger.reserve("a1", "ev1", 1, 6);
  REQUIRE(over);
  CHECK(code_of(over) == ec::ticket_limit);
  CHECK(ledger.count("a1", "ev1") == 6);
  // Other events and accounts count separately.
  CHECK_FALSE(ledger.reserve("a1", "ev2", 6, 6));
  CHECK_FALSE(ledger.reserve("a2", "ev1", 6, 6));
  // Release frees room again, exactly as much as released.
  CHECK_FALSE(ledger.release("a1", "ev1", 2));
  CHECK(ledger.count("a1", "ev1") == 4);
  CHECK(code_of(ledger.reserve("a1", "ev1", 3, 6)) == ec::ticket_limit);
  CHECK_FALSE(ledger.reserve("a1", "ev1", 2, 6));
  // A whole request over the limit is refused at once, not partly counted.
  CHECK(code_of(ledger.reserve("a3", "ev1", 7, 6)) == ec::ticket_limit);
  CHECK(ledger.count("a3", "ev1") == 0);
  // No overflow near the top of uint32_t.
  CHECK_FALSE(ledger.reserve("a4", "ev1", 10, UINT32_MAX));
  CHECK(code_of(ledger.reserve("a4", "ev1", UINT32_MAX, UINT32_MAX)) == ec::ticket_limit);
  CHECK(ledger.count("a4", "ev1") == 10);
  // A lowered limit blocks further reservations but keeps what is counted.
  CHECK(code_of(ledger.reserve("a1", "ev1", 1, 2)) == ec::ticket_limit);
  CHECK(ledger.count("a1", "ev1") == 6);
}

TEST_CASE("ticket_ledger rejects malformed calls and over-release, changing nothing") {
  ticket_ledger ledger;
  CHECK(code_of(ledger.reserve("a1", "ev1", 0, 6)) == ec::invalid_argument);
  CHECK(code_of(ledger.reserve("", "ev1", 1, 6)) == ec::invalid_argument);
  CHECK(code_of(ledger.reserve("a1", "", 1, 6)) == ec::invalid_argument);
  CHECK(code_of(ledger.release("a1", "ev1", 1)) == ec::invalid_argument);
  REQUIRE_FALSE(ledger.reserve("a1", "ev1", 2, 6));
  CHECK(code_of(ledger.release("a1", "ev1", 3)) == ec::invalid_argument);
  CHECK(code_of(ledger.release("a1", "ev1", 0)) == ec::invalid_argument);
  CHECK(ledger.count("a1", "ev1") == 2);
  CHECK_FALSE(ledger.release("a1", "ev1", 2));
  CHECK(ledger.count("a1", "ev1") == 0);
  CHECK(code_of(ledger.release("a1", "ev1", 1)) == ec::invalid_argument);
}

TEST_CASE("a shard's account ids and tokens name the shard; a replay needs the same shard") {
  journaled j;
  j.st = accounts_state{"b"};
  auto alice = j.sign_up("alice@example.com", "password123");
  auto bob = j.sign_up("bob@example.com", "password456");
  CHECK(alice == "b.a1");
  CHECK(bob == "b.a2");
  auto grant = j.login("alice@example.com", "password123", t0 + 1s);
  CHECK(grant.token.starts_with("b."));
  CHECK(grant.token.size() == 2 + security::session_token_size);
  CHECK(shard_of(grant.token) == "b");
  CHECK(shard_of(alice) == "b");
  CHECK(j.st.session(grant.token, t0 + 1s) == alice);
  // The bare token without its shard is nobody's.
  CHECK_FALSE(j.st.session(grant.token.substr(2), t0 + 1s));
  // A node's only registry: no shard, no '.' in ids or tokens.
  CHECK(shard_of("a7").empty());
  CHECK(shard_of(security::new_session_token()).empty());
  // Replayed as shard "b" it is the same registry; as another shard its ids do not fit.
  accounts_state same{"b"};
  for (const auto& ev : j.events)
    REQUIRE_FALSE(same.apply(ev));
  CHECK(same == j.st);
  accounts_state other{"c"};
  CHECK(other.apply(j.events.front())); // storage_corruption: b.a1 is not c's next id
  CHECK(other.version() == 0);
}
