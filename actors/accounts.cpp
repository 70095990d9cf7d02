#include "actors/accounts.hpp"

#include "actors/clock.hpp"
#include "actors/hasher.hpp"
#include "actors/journal_client.hpp"
#include "actors/replay.hpp"
#include "actors/status.hpp"
#include "domain/accounts.hpp"
#include "security/rate_limiter.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

namespace seatgrab::actors {

struct accounts_actor_state {
  accounts_actor_state() = default; // see tests/support/test_system.hpp for why

  context_ptr ctx;
  accounts_options opts;
  std::optional<domain::accounts_state> accounts;
  std::optional<journal_client> journal;
  /// The hasher pool, and the jobs each one has (running or waiting).
  std::vector<hasher_actor> hashers;
  std::vector<size_t> load;
  size_t in_flight = 0;
  /// Log-in rates per client address and per e-mail.
  std::unique_ptr<security::rate_limiter> by_address;
  std::unique_ptr<security::rate_limiter> by_email;

  static inline const char* name = "accounts";
};

namespace {

using self_ptr = accounts_actor::stateful_pointer<accounts_actor_state>;

const std::string kind = "accounts";
const std::string entity = "registry";

void journal(self_ptr self, const pb::accounts_event& ev) {
  journal_event(self, kind, entity, ev);
}

account_summary summary_of(const domain::account_info& a) {
  return account_summary{a.id, a.email, a.is_operator, to_ms(a.created_at)};
}

// A free place in the hash pool: the index of the least busy hasher, or none when every
// hasher is busy and the queue is full.
std::optional<size_t> take_hasher(self_ptr self) {
  auto& st = self->state;
  if (st.hashers.empty() || st.in_flight >= st.hashers.size() + st.opts.hash_queue)
    return std::nullopt;
  auto i = static_cast<size_t>(std::min_element(st.load.begin(), st.load.end()) - st.load.begin());
  ++st.load[i];
  ++st.in_flight;
  return i;
}

void release_hasher(self_ptr self, size_t i) {
  auto& st = self->state;
  --st.load[i];
  --st.in_flight;
}

caf::error busy() {
  return caf::make_error(ec::auth_busy, "password hashing is saturated; retry shortly");
}

// Counts a log-in of `key` against `limiter`; the error tells how long to wait.
caf::error admit(self_ptr self, security::rate_limiter& limiter, const std::string& key,
                 const char* what) {
  if (auto wait = limiter.admit(key, self->clock().now()))
    return caf::make_error(ec::login_limited,
                           std::string{"too many log-ins "} + what + "; retry in " +
                               std::to_string(wait) + " s",
                           static_cast<uint32_t>(wait));
  return {};
}

// Log-in: rate limits and lookup here, the password check in the pool, the session here again.
caf::result<login_grant> log_in(self_ptr self, std::string email, std::string password,
                                const std::string& address) {
  auto& st = self->state;
  if (security::check_password_rules(password))
    return caf::make_error(ec::bad_credentials, "wrong email or password"); // never hashed
  if (!address.empty()) {
    if (auto err = admit(self, *st.by_address, address, "from this address"))
      return err;
    auto normalized = domain::normalize_email(email);
    if (auto err = admit(self, *st.by_email, normalized ? *normalized : email, "for this email"))
      return err;
  }
  auto check = st.accounts->check_for_login(email, st.opts.scrypt);
  auto w = take_hasher(self);
  if (!w)
    return busy();
  auto rp = self->make_response_promise<login_grant>();
  self->request(st.hashers[*w], caf::infinite, atom::get_v, std::move(password),
                std::move(check.password_hash))
      .then(
          [=, account = std::move(check.account)](bool ok) mutable {
            release_hasher(self, *w);
            auto& st = self->state;
            if (!ok || !account) {
              rp.deliver(caf::make_error(ec::bad_credentials, "wrong email or password"));
              return;
            }
            auto grant = st.accounts->open_session(*account, now(self), st.opts.session_ttl);
            if (!grant) {
              rp.deliver(grant.error());
              return;
            }
            journal(self, grant->event);
            deliver_when_durable(
                *st.journal, rp,
                login_grant{grant->token, grant->account, to_ms(grant->expires_at)});
          },
          [=](caf::error& err) mutable {
            release_hasher(self, *w);
            rp.deliver(std::move(err));
          });
  return rp;
}

accounts_actor::behavior_type accounts(self_ptr self, context_ptr ctx, accounts_options opts) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.opts = opts;
  st.journal.emplace(*st.ctx->journal);
  st.by_address = std::make_unique<security::rate_limiter>(
      opts.login_per_s_address, opts.login_burst_address, opts.login_limit_keys);
  st.by_email = std::make_unique<security::rate_limiter>(
      opts.login_per_s_email, opts.login_burst_email, opts.login_limit_keys);
  for (size_t i = 0; i < std::max<size_t>(opts.hash_workers, 1); ++i) {
    st.hashers.push_back(spawn_hasher(self->system(), i, opts.scrypt, opts.detached));
    st.load.push_back(0);
  }
  // The hashers live as long as the registry.
  self->attach_functor([hashers = st.hashers] {
    for (const auto& h : hashers)
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  });
  if (auto restored = replay_journal<domain::accounts_state, pb::accounts_event>(
          *st.ctx, kind, entity, domain::accounts_state{opts.shard});
      !restored) {
    spdlog::error("accounts cannot start: {}", render(restored.error()));
    self->quit(restored.error());
  } else {
    st.accounts.emplace(std::move(*restored));
    self->delayed_send(self, opts.sweep_every, atom::tick_v);
  }
  return journaling_behavior(
      self, actor_identity{kind, opts.shard.empty() ? entity : opts.shard},
      [self](actor_status& out) {
        const auto& st = self->state;
        if (const auto& acc = st.accounts) {
          out.version = acc->version();
          add_counter(out, "accounts", static_cast<int64_t>(acc->account_count()));
          add_counter(out, "sessions", static_cast<int64_t>(acc->session_count()));
        }
        add_counter(out, "hash_jobs", static_cast<int64_t>(st.in_flight));
        add_counter(out, "hash_capacity",
                    static_cast<int64_t>(st.hashers.size() + st.opts.hash_queue));
      },
      [=](atom::put, atom::account, std::string& email,
          std::string& password) -> caf::result<account_summary> {
        auto& st = self->state;
        auto normalized = domain::normalize_email(email);
        if (!normalized)
          return normalized.error();
        // Checked before the slow hash; sign-up necessarily tells that an email is taken.
        if (st.accounts->account_by_email(*normalized))
          return caf::make_error(ec::already_exists, "email has an account");
        if (auto err = security::check_password_rules(password))
          return err;
        auto w = take_hasher(self);
        if (!w)
          return busy();
        auto rp = self->make_response_promise<account_summary>();
        self->request(st.hashers[*w], caf::infinite, atom::put_v, std::move(password))
            .then(
                [=, normal = std::move(*normalized)](std::string& hash) mutable {
                  release_hasher(self, *w);
                  auto& st = self->state;
                  // Checked again: another sign-up may have taken the email meanwhile.
                  auto out = st.accounts->sign_up(normal, std::move(hash), now(self));
                  if (!out) {
                    rp.deliver(out.error());
                    return;
                  }
                  journal(self, out->event);
                  deliver_when_durable(*st.journal, rp,
                                       summary_of(*st.accounts->find_account(out->account)));
                },
                [=](caf::error& err) mutable {
                  release_hasher(self, *w);
                  rp.deliver(std::move(err));
                });
        return rp;
      },
      [=](atom::login, std::string& email, std::string& password) -> caf::result<login_grant> {
        // Callers inside the node: no address, no rate limit.
        return log_in(self, std::move(email), std::move(password), std::string{});
      },
      [=](atom::login, std::string& email, std::string& password,
          std::string& address) -> caf::result<login_grant> {
        return log_in(self, std::move(email), std::move(password), address);
      },
      [=](atom::get, atom::session, std::string& token) -> caf::result<auth_info> {
        auto& st = self->state;
        auto account = st.accounts->session(token, now(self));
        if (!account)
          return account.error();
        return auth_info{*account, st.accounts->is_operator(*account),
                         to_ms(*st.accounts->session_expiry(token))};
      },
      [=](atom::logout, std::string& token) -> caf::result<void> {
        auto& st = self->state;
        auto ev = st.accounts->logout(token, now(self));
        if (!ev)
          return ev.error();
        journal(self, *ev);
        return ack_when_durable(self, *st.journal);
      },
      [=](atom::get, atom::account, std::string& email) -> caf::result<account_summary> {
        auto& st = self->state;
        auto id = st.accounts->account_by_email(email);
        if (!id)
          return caf::make_error(ec::not_found, "no account for that email");
        return summary_of(*st.accounts->find_account(*id));
      },
      [=](atom::put, atom::role, std::string& account) -> caf::result<void> {
        auto& st = self->state;
        auto ev = st.accounts->grant_operator(account, now(self));
        if (!ev)
          return ev.error();
        if (*ev)
          journal(self, **ev);
        return ack_when_durable(self, *st.journal);
      },
      [=](atom::tick) {
        auto& st = self->state;
        for (const auto& ev : st.accounts->close_expired(now(self)))
          journal(self, ev);
        self->delayed_send(self, st.opts.sweep_every, atom::tick_v);
      });
}

} // namespace

accounts_actor spawn_accounts(caf::actor_system& sys, context_ptr ctx, accounts_options opts) {
  // On the scheduler like every other actor: the slow work is the hashers'.
  return sys.spawn(accounts, std::move(ctx), opts);
}

} // namespace seatgrab::actors
