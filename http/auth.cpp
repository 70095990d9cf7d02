#include "http/auth.hpp"

#include "http/bridge.hpp"
#include "http/lookup.hpp"
#include "http/problem.hpp"
#include "http/request.hpp"

#include <openssl/crypto.h>

#include <mutex>
#include <unordered_map>
#include <utility>

namespace seatgrab::http {

namespace {

using steady = std::chrono::steady_clock;

bool constant_time_equal(std::string_view x, std::string_view y) {
  if (x.size() != y.size())
    return false;
  return CRYPTO_memcmp(x.data(), y.data(), x.size()) == 0;
}

} // namespace

// Every request authenticates, so the edge keeps recent answers of the account registry (one
// actor) for a few seconds, never past the session's end; a logout through this edge drops its
// entry at once.
struct authenticator::token_cache {
  std::mutex mtx;
  std::unordered_map<std::string, std::pair<auth_info, steady::time_point>> entries;

  std::optional<auth_info> find(const std::string& token) {
    std::lock_guard lock{mtx};
    auto i = entries.find(token);
    if (i == entries.end())
      return std::nullopt;
    if (steady::now() >= i->second.second || wall_ms() >= i->second.first.expires_at_ms) {
      entries.erase(i);
      return std::nullopt;
    }
    return i->second.first;
  }

  void remember(const std::string& token, const auth_info& who) {
    std::lock_guard lock{mtx};
    if (entries.size() > 200'000)
      entries.clear(); // crude, but bounded
    entries[token] = {who, steady::now() + cache_ttl};
  }
};

authenticator::authenticator(actors::lanes& lanes, const lookup& find, std::string admin_token)
    : lanes_(lanes), find_(find), admin_token_(std::move(admin_token)),
      cache_(std::make_shared<token_cache>()) {
  // nop
}

void authenticator::authenticate(const std::shared_ptr<exchange>& ex,
                                 std::function<void(auth_info)> k) const {
  auto token = bearer_token(ex->req());
  if (!token || token->empty()) {
    ex->respond(problem(401, "unauthenticated", "send Authorization: Bearer <token>"));
    return;
  }
  if (!admin_token_.empty() && constant_time_equal(*token, admin_token_)) {
    k(auth_info{"operator", true, 0});
    return;
  }
  if (auto who = cache_->find(*token)) {
    k(std::move(*who));
    return;
  }
  // The shard that issued the token answers for it.
  find_.accounts_for_token(*token, [&lanes = lanes_, cache = cache_, ex, token = *token,
                                    k = std::move(k)](caf::expected<accounts_actor> shard) mutable {
    if (!shard)
      return ex->respond(problem(shard.error()));
    ask<auth_info>(
        lanes, *shard,
        [cache, ex, token, k = std::move(k)](caf::expected<auth_info> who) {
          if (!who)
            return ex->respond(problem(who.error()));
          cache->remember(token, *who);
          k(std::move(*who));
        },
        atom::get_v, atom::session_v, token);
  });
}

void authenticator::operator_only(const std::shared_ptr<exchange>& ex,
                                  std::function<void(auth_info)> k) const {
  authenticate(ex, [ex, k = std::move(k)](auth_info who) {
    if (!who.is_operator) {
      ex->respond(problem(403, "forbidden", "operators only"));
      return;
    }
    k(std::move(who));
  });
}

void authenticator::forget(const std::string& token) {
  std::lock_guard lock{cache_->mtx};
  cache_->entries.erase(token);
}

} // namespace seatgrab::http
