#include "actors/accounts.hpp"

#include "actors/clock.hpp"
#include "actors/journal_client.hpp"
#include "actors/replay.hpp"
#include "actors/status.hpp"
#include "domain/accounts.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <optional>

namespace seatgrab::actors {

struct accounts_actor_state {
  accounts_actor_state() = default; // see tests/support/test_system.hpp for why

  context_ptr ctx;
  accounts_options opts;
  std::optional<domain::accounts_state> accounts;
  std::optional<journal_client> journal;

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

accounts_actor::behavior_type accounts(self_ptr self, context_ptr ctx, accounts_options opts) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.opts = opts;
  st.journal.emplace(*st.ctx->journal);
  if (auto restored = replay_journal<domain::accounts_state, pb::accounts_event>(
          *st.ctx, kind, entity, domain::accounts_state{});
      !restored) {
    spdlog::error("accounts cannot start: {}", render(restored.error()));
    self->quit(restored.error());
  } else {
    st.accounts.emplace(std::move(*restored));
    self->delayed_send(self, opts.sweep_every, atom::tick_v);
  }
  return journaling_behavior(
      self, actor_identity{kind, entity},
      [self](actor_status& out) {
        if (const auto& acc = self->state.accounts) {
          out.version = acc->version();
          add_counter(out, "accounts", static_cast<int64_t>(acc->account_count()));
          add_counter(out, "sessions", static_cast<int64_t>(acc->session_count()));
        }
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
        auto hash = security::hash_password(password, st.opts.scrypt);
        if (!hash)
          return hash.error();
        auto out = st.accounts->sign_up(*normalized, std::move(*hash), now(self));
        if (!out)
          return out.error();
        journal(self, out->event);
        return reply_when_durable(self, *st.journal,
                                  summary_of(*st.accounts->find_account(out->account)));
      },
      [=](atom::login, std::string& email, std::string& password) -> caf::result<login_grant> {
        auto& st = self->state;
        auto grant = st.accounts->login(email, password, now(self), st.opts.session_ttl);
        if (!grant)
          return grant.error();
        journal(self, grant->event);
        return reply_when_durable(
            self, *st.journal, login_grant{grant->token, grant->account, to_ms(grant->expires_at)});
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
  if (opts.detached)
    return sys.spawn<caf::detached>(accounts, std::move(ctx), opts);
  return sys.spawn(accounts, std::move(ctx), opts);
}

} // namespace seatgrab::actors
