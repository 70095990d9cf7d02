#include "domain/accounts.hpp"

#include "domain/detail.hpp"
#include "messages/ec.hpp"
#include "security/password.hpp"

#include <algorithm>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

namespace seatgrab::domain {

namespace {

using namespace detail;

// Longer inputs cannot be our tokens; reject them before hashing.
constexpr size_t max_token_size = 256;

caf::error bad_credentials() {
  // The context is the same for every cause: no hint which part was wrong.
  return fail(ec::bad_credentials, "wrong email or password");
}

caf::error no_session() {
  return fail(ec::unauthenticated, "no such session");
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_hex_digest(std::string_view x) {
  return x.size() == 64 && std::all_of(x.begin(), x.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Whether `c` (outside ASCII) may appear in an e-mail: no controls, format characters
// (zero-width space, joiners, BOM, bidi marks), other default-ignorables (e.g. the Hangul
// filler), separators, private use, surrogates or unassigned code points.
bool visible_char(UChar32 c) {
  switch (u_charType(c)) {
  case U_CONTROL_CHAR:
  case U_FORMAT_CHAR:
  case U_SPACE_SEPARATOR:
  case U_LINE_SEPARATOR:
  case U_PARAGRAPH_SEPARATOR:
  case U_PRIVATE_USE_CHAR:
  case U_SURROGATE:
  case U_UNASSIGNED:
    return false;
  default:
    return !u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
  }
}

// Full Unicode case folding and NFC of UTF-8 text (NFD first, so folding sees decomposed
// letters): the caseless canonical form of UTS #46 / RFC 8265's spirit, without mapping
// compatibility characters.
caf::expected<std::string> fold_unicode(std::string_view text) {
  auto invalid = [](const char* what) {
    return fail(ec::invalid_email, std::string{"email "} + what);
  };
  auto u = icu::UnicodeString::fromUTF8(
      icu::StringPiece{text.data(), static_cast<int32_t>(text.size())});
  std::string round_trip;
  u.toUTF8String(round_trip);
  if (round_trip != text) // invalid sequences became U+FFFD
    return invalid("is not valid UTF-8");
  for (int32_t i = 0; i < u.length();) {
    auto c = u.char32At(i);
    if (c >= 0x80 && !visible_char(c))
      return invalid("contains an invisible or control character");
    i += U16_LENGTH(c);
  }
  UErrorCode status = U_ZERO_ERROR;
  const auto* nfd = icu::Normalizer2::getNFDInstance(status);
  const auto* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status))
    return fail(ec::unavailable, "Unicode normalization is unavailable");
  auto decomposed = nfd->normalize(u, status);
  decomposed.foldCase(U_FOLD_CASE_DEFAULT);
  auto composed = nfc->normalize(decomposed, status);
  if (U_FAILURE(status))
    return invalid("cannot be normalized");
  std::string result;
  composed.toUTF8String(result);
  return result;
}

// The shape every stored e-mail has (see `normalize_email`).
caf::expected<std::string> check_shape(std::string result) {
  auto bad = [](std::string what) { return fail(ec::invalid_argument, "email " + what); };
  for (auto c : result) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return bad("contains a space or control character");
  }
  auto at = result.find('@');
  if (at == std::string::npos || result.find('@', at + 1) != std::string::npos)
    return bad("must contain exactly one '@'");
  if (at == 0)
    return bad("has an empty local part");
  std::string_view domain{result};
  domain.remove_prefix(at + 1);
  if (domain.find('.') == std::string_view::npos)
    return bad("domain must contain a dot");
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos)
    return bad("domain has an empty label");
  return result;
}

// Whether a journaled e-mail is in the canonical form of its time: today's, or the one before
// Unicode folding (ASCII lower-cased, other bytes as sent), so old journals still replay.
bool stored_form(std::string_view email) {
  if (auto now_form = normalize_email(email); now_form && *now_form == email)
    return true;
  if (email.empty() || email.size() > max_email_size)
    return false;
  if (std::any_of(email.begin(), email.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return false;
  return static_cast<bool>(check_shape(std::string{email}));
}

} // namespace

caf::expected<std::string> normalize_email(std::string_view email) {
  while (!email.empty() && is_space(email.front()))
    email.remove_prefix(1);
  while (!email.empty() && is_space(email.back()))
    email.remove_suffix(1);
  auto bad = [](std::string what) { return fail(ec::invalid_argument, "email " + what); };
  if (email.empty())
    return bad("is empty");
  if (email.size() > max_email_size)
    return bad("is longer than 254 bytes");
  std::string result;
  if (std::all_of(email.begin(), email.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    result.reserve(email.size());
    for (auto c : email)
      result += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  } else {
    auto folded = fold_unicode(email);
    if (!folded)
      return folded.error();
    result = std::move(*folded);
    if (result.size() > max_email_size)
      return bad("is longer than 254 bytes");
  }
  return check_shape(std::move(result));
}

// -- operations ---------------------------------------------------------------

caf::expected<sign_up_outcome> accounts_state::sign_up(std::string_view email,
                                                       std::string password_hash, time_point now) {
  auto normalized = normalize_email(email);
  if (!normalized)
    return normalized.error();
  if (!security::is_password_hash(password_hash))
    return fail(ec::invalid_argument, "password_hash is not an scrypt record");
  if (emails_.count(*normalized) > 0)
    return fail(ec::already_exists, "email " + quoted(*normalized) + " already has an account");
  sign_up_outcome result{next_account_id(), next_event(now)};
  auto* x = result.event.mutable_signed_up();
  x->set_account(result.account);
  x->set_email(std::move(*normalized));
  x->set_password_hash(std::move(password_hash));
  if (auto err = apply(result.event))
    return err;
  return result;
}

caf::expected<session_grant> accounts_state::login(std::string_view email,
                                                   std::string_view password, time_point now,
                                                   std::chrono::milliseconds session_ttl,
                                                   const security::scrypt_params& dummy_params) {
  if (session_ttl <= std::chrono::milliseconds::zero())
    return fail(ec::invalid_argument, "session_ttl must be positive");
  auto check = check_for_login(email, dummy_params);
  auto ok = security::verify_password(password, check.password_hash);
  if (!ok || !check.account)
    return bad_credentials();
  return open_session(*check.account, now, session_ttl);
}

login_check accounts_state::check_for_login(std::string_view email,
                                            const security::scrypt_params& dummy_params) const {
  // A malformed email cannot have an account: same path as an unknown one.
  if (auto normalized = normalize_email(email))
    if (auto i = emails_.find(*normalized); i != emails_.end())
      return login_check{i->second, accounts_.find(i->second)->second.password_hash};
  auto dummy = security::dummy_password_hash(dummy_params);
  if (dummy.empty()) // invalid parameters: still a full-cost record
    dummy = security::dummy_password_hash({});
  return login_check{std::nullopt, std::move(dummy)};
}

caf::expected<session_grant> accounts_state::open_session(std::string_view account, time_point now,
                                                          std::chrono::milliseconds session_ttl) {
  if (session_ttl <= std::chrono::milliseconds::zero())
    return fail(ec::invalid_argument, "session_ttl must be positive");
  if (accounts_.count(account) == 0)
    return bad_credentials();
  auto token = security::new_session_token();
  if (!token.empty() && !shard_.empty())
    token = shard_ + "." + token; // the edge sends its checks to the shard that issued it
  auto digest = token.empty() ? std::string{} : security::token_digest(token);
  if (digest.empty())
    return fail(ec::unavailable, "random number generator or SHA-256 failed");
  // 2^-256 chance; a collision must still not hand over someone else's session.
  if (sessions_.count(digest) > 0)
    return fail(ec::unavailable, "session token collision");
  session_grant result{std::move(token), std::string{account}, now + session_ttl, next_event(now)};
  auto* x = result.event.mutable_session_opened();
  x->set_digest(std::move(digest));
  x->set_account(result.account);
  x->set_expires_at_ms(to_ms(result.expires_at));
  if (auto err = apply(result.event))
    return err;
  return result;
}

size_t accounts_state::session_count(std::string_view account) const {
  auto i = by_account_.find(account);
  return i == by_account_.end() ? 0 : i->second.size();
}

caf::expected<std::string> accounts_state::session(std::string_view token, time_point now) const {
  if (token.empty() || token.size() > max_token_size)
    return no_session();
  auto i = sessions_.find(security::token_digest(token));
  if (i == sessions_.end() || now >= i->second.expires_at)
    return no_session();
  return i->second.account;
}

std::optional<time_point> accounts_state::session_expiry(std::string_view token) const {
  if (token.empty() || token.size() > max_token_size)
    return std::nullopt;
  auto i = sessions_.find(security::token_digest(token));
  if (i == sessions_.end())
    return std::nullopt;
  return i->second.expires_at;
}

caf::expected<pb::accounts_event> accounts_state::logout(std::string_view token, time_point now) {
  if (token.empty() || token.size() > max_token_size)
    return no_session();
  auto digest = security::token_digest(token);
  if (sessions_.count(digest) == 0)
    return no_session();
  auto ev = next_event(now);
  ev.mutable_session_closed()->set_digest(std::move(digest));
  if (auto err = apply(ev))
    return err;
  return ev;
}

caf::expected<std::optional<pb::accounts_event>>
accounts_state::grant_operator(std::string_view account, time_point now) {
  auto i = accounts_.find(account);
  if (i == accounts_.end())
    return fail(ec::not_found, "no account " + quoted(account));
  if (i->second.is_operator)
    return std::optional<pb::accounts_event>{};
  auto ev = next_event(now);
  ev.mutable_operator_granted()->set_account(std::string{account});
  if (auto err = apply(ev))
    return err;
  return std::optional<pb::accounts_event>{std::move(ev)};
}

std::vector<pb::accounts_event> accounts_state::close_expired(time_point now) {
  std::vector<std::string> expired;
  for (const auto& [digest, s] : sessions_)
    if (s.expires_at <= now)
      expired.push_back(digest);
  std::vector<pb::accounts_event> result;
  for (auto& digest : expired) {
    auto ev = next_event(now);
    ev.mutable_session_closed()->set_digest(std::move(digest));
    if (!apply(ev)) // cannot fail: the session exists
      result.push_back(std::move(ev));
  }
  return result;
}

// -- event application --------------------------------------------------------

std::span<const accounts_state::kind_handler> accounts_state::handlers() {
  using ev_t = pb::accounts_event;
  using st_t = accounts_state;
  static constexpr kind_handler table[] = {
      {ev_t::kSignedUp,
       [](st_t& st, const ev_t& ev) {
         return st.apply_signed_up(ev.signed_up(), from_ms(ev.at_ms()));
       }},
      {ev_t::kSessionOpened,
       [](st_t& st, const ev_t& ev) {
         return st.apply_session_opened(ev.session_opened(), from_ms(ev.at_ms()));
       }},
      {ev_t::kSessionClosed,
       [](st_t& st, const ev_t& ev) { return st.apply_session_closed(ev.session_closed()); }},
      {ev_t::kOperatorGranted,
       [](st_t& st, const ev_t& ev) { return st.apply_operator_granted(ev.operator_granted()); }},
  };
  return table;
}

caf::error accounts_state::apply_signed_up(const pb::account_signed_up& ev, time_point at) {
  if (ev.account() != next_account_id())
    return corrupt("signed_up: account " + quoted(ev.account()) + " is not the next id " +
                   quoted(next_account_id()));
  if (!stored_form(ev.email()))
    return corrupt("signed_up: email is not normalized");
  if (emails_.count(ev.email()) > 0)
    return corrupt("signed_up: email " + quoted(ev.email()) + " already has an account");
  if (!security::is_password_hash(ev.password_hash()))
    return corrupt("signed_up: malformed password hash");
  accounts_.emplace(ev.account(), account_rec{ev.email(), ev.password_hash(), at, false});
  emails_.emplace(ev.email(), ev.account());
  return {};
}

caf::error accounts_state::apply_session_opened(const pb::account_session_opened& ev,
                                                time_point at) {
  if (!is_hex_digest(ev.digest()))
    return corrupt("session_opened: malformed digest");
  if (sessions_.count(ev.digest()) > 0)
    return corrupt("session_opened: session is already open");
  if (accounts_.count(ev.account()) == 0)
    return corrupt("session_opened: no account " + quoted(ev.account()));
  auto expires_at = from_ms(ev.expires_at_ms());
  if (expires_at <= at)
    return corrupt("session_opened: expires before it opens");
  sessions_.emplace(ev.digest(), session_rec{ev.account(), at, expires_at});
  auto& mine = by_account_[ev.account()];
  mine.emplace(at, ev.digest());
  // Replay applies the same rule, so the closed session needs no event of its own.
  if (mine.size() > max_sessions_per_account) {
    sessions_.erase(mine.begin()->second);
    mine.erase(mine.begin());
  }
  return {};
}

caf::error accounts_state::apply_session_closed(const pb::account_session_closed& ev) {
  auto i = sessions_.find(ev.digest());
  if (i == sessions_.end())
    return corrupt("session_closed: no such session");
  if (auto j = by_account_.find(i->second.account); j != by_account_.end()) {
    j->second.erase({i->second.opened_at, i->first});
    if (j->second.empty())
      by_account_.erase(j);
  }
  sessions_.erase(i);
  return {};
}

caf::error accounts_state::apply_operator_granted(const pb::account_operator_granted& ev) {
  auto i = accounts_.find(ev.account());
  if (i == accounts_.end())
    return corrupt("operator_granted: no account " + quoted(ev.account()));
  if (i->second.is_operator)
    return corrupt("operator_granted: " + quoted(ev.account()) + " already is an operator");
  i->second.is_operator = true;
  return {};
}

// -- queries ------------------------------------------------------------------

std::optional<account_info> accounts_state::find_account(std::string_view account) const {
  auto i = accounts_.find(account);
  if (i == accounts_.end())
    return std::nullopt;
  const auto& rec = i->second;
  return account_info{i->first, rec.email, rec.created_at, rec.is_operator};
}

std::optional<std::string> accounts_state::account_by_email(std::string_view email) const {
  auto normalized = normalize_email(email);
  if (!normalized)
    return std::nullopt;
  auto i = emails_.find(*normalized);
  if (i == emails_.end())
    return std::nullopt;
  return i->second;
}

bool accounts_state::is_operator(std::string_view account) const {
  auto i = accounts_.find(account);
  return i != accounts_.end() && i->second.is_operator;
}

// -- helpers ------------------------------------------------------------------

std::string_view shard_of(std::string_view id_or_token) {
  auto dot = id_or_token.find('.');
  return dot == std::string_view::npos ? std::string_view{} : id_or_token.substr(0, dot);
}

std::string accounts_state::next_account_id() const {
  auto id = "a" + std::to_string(accounts_.size() + 1);
  return shard_.empty() ? id : shard_ + "." + id;
}

// -- ticket_ledger ------------------------------------------------------------

caf::error ticket_ledger::reserve(std::string_view account, std::string_view event, uint32_t n,
                                  uint32_t limit) {
  if (account.empty() || event.empty())
    return fail(ec::invalid_argument, "ticket ledger needs an account and an event");
  if (n == 0)
    return fail(ec::invalid_argument, "cannot reserve zero tickets");
  auto current = count(account, event);
  // Written as a subtraction so that current + n cannot overflow.
  if (current > limit || n > limit - current)
    return fail(ec::ticket_limit, "account " + quoted(account) + " has " + std::to_string(current) +
                                      " tickets for event " + quoted(event) + ", limit " +
                                      std::to_string(limit));
  auto i = counts_.find(account);
  if (i == counts_.end())
    i = counts_.emplace(std::string{account}, std::map<std::string, uint32_t, std::less<>>{}).first;
  auto j = i->second.find(event);
  if (j == i->second.end())
    j = i->second.emplace(std::string{event}, 0).first;
  j->second += n;
  return {};
}

caf::error ticket_ledger::release(std::string_view account, std::string_view event, uint32_t n) {
  if (n == 0)
    return fail(ec::invalid_argument, "cannot release zero tickets");
  if (auto i = counts_.find(account); i != counts_.end())
    if (auto j = i->second.find(event); j != i->second.end() && j->second >= n) {
      j->second -= n;
      if (j->second == 0) {
        i->second.erase(j);
        if (i->second.empty())
          counts_.erase(i);
      }
      return {};
    }
  return fail(ec::invalid_argument, "account " + quoted(account) + " has fewer than " +
                                        std::to_string(n) + " tickets for event " + quoted(event));
}

uint32_t ticket_ledger::count(std::string_view account, std::string_view event) const {
  auto i = counts_.find(account);
  if (i == counts_.end())
    return 0;
  auto j = i->second.find(event);
  return j == i->second.end() ? 0 : j->second;
}

} // namespace seatgrab::domain
