#include "domain/payment.hpp"

#include "domain/detail.hpp"
#include "messages/ec.hpp"
#include "security/encoding.hpp"

#include <algorithm>

namespace seatgrab::domain {

namespace {

using namespace detail;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool valid_currency(std::string_view x) {
  return x.size() == 3 &&
         std::all_of(x.begin(), x.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool valid_last4(std::string_view x) {
  return x.size() == 4 && std::all_of(x.begin(), x.end(), is_digit);
}

bool is_hex(std::string_view x, size_t size) {
  return x.size() == size && std::all_of(x.begin(), x.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto i = digits.rbegin(); i != digits.rend(); ++i) {
    int d = *i - '0';
    if (twice && (d *= 2) > 9)
      d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// -- deterministic draws: a pure function of (seed, idempotency key) ---------------------------

uint64_t fnv1a(std::string_view x) {
  uint64_t h = 0xcbf29ce484222325;
  for (auto c : x) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3;
  }
  return h;
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) from the top 53 bits.
double unit(uint64_t x) {
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

struct draw {
  bool timed_out = false;
  bool declined = false;
};

draw draw_for(const payment_settings& settings, std::string_view key) {
  auto seed = settings.seed;
  uint64_t state = splitmix64(seed) ^ fnv1a(key);
  draw result;
  // Two draws in a fixed order, so changing one rate does not reshuffle the other.
  result.timed_out = unit(splitmix64(state)) < settings.timeout_rate;
  result.declined = unit(splitmix64(state)) < settings.decline_rate;
  return result;
}

bool in_unit_interval(double x) {
  return x >= 0.0 && x <= 1.0; // false for NaN
}

// A card number: 16 digits passing the Luhn check.
caf::error check_card(std::string_view card) {
  if (card.size() != 16 || !std::all_of(card.begin(), card.end(), is_digit))
    return fail(ec::invalid_argument, "card number must be 16 digits");
  if (!luhn_valid(card))
    return fail(ec::invalid_argument, "card number fails the Luhn check");
  return {};
}

constexpr std::string_view method_prefix = "card:";
constexpr std::string_view token_prefix = "tok_";

} // namespace

// -- card tokens --------------------------------------------------------------

std::string card_fingerprint(std::string_view card, std::string_view key) {
  // An empty key is still a key to HMAC (tests); nodes always pass their own.
  auto mac = security::hmac_sha256(key, card);
  if (!mac)
    return {};
  return security::hex_encode({reinterpret_cast<const char*>(mac->data()), mac->size()});
}

caf::expected<card_token> tokenize_card(std::string_view card, std::string_view key) {
  if (auto err = check_card(card))
    return err;
  auto id = security::random_hex(16);
  auto fingerprint = card_fingerprint(card, key);
  if (id.size() != 32 || fingerprint.empty())
    return fail(ec::unavailable, "random number generator or HMAC failed");
  return card_token{std::string{token_prefix} + id, std::string{card.substr(12)},
                    std::move(fingerprint)};
}

std::string to_payment_method(const card_token& card) {
  return std::string{method_prefix} + card.token + ":" + card.last4 + ":" + card.fingerprint;
}

std::optional<card_token> parse_payment_method(std::string_view method) {
  if (!method.starts_with(method_prefix))
    return std::nullopt;
  method.remove_prefix(method_prefix.size());
  // tok_<32 hex>:<4 digits>:<64 hex>
  if (method.size() != 4 + 32 + 1 + 4 + 1 + 64 || !method.starts_with(token_prefix) ||
      method[36] != ':' || method[41] != ':')
    return std::nullopt;
  card_token result{std::string{method.substr(0, 36)}, std::string{method.substr(37, 4)},
                    std::string{method.substr(42)}};
  if (!is_hex(std::string_view{result.token}.substr(4), 32) || !valid_last4(result.last4) ||
      !is_hex(result.fingerprint, 64))
    return std::nullopt;
  return result;
}

std::string_view to_string(payment_status x) noexcept {
  switch (x) {
  case payment_status::authorized:
    return "authorized";
  case payment_status::captured:
    return "captured";
  case payment_status::voided:
    return "voided";
  case payment_status::refunded:
    return "refunded";
  case payment_status::declined:
    return "declined";
  }
  return "unknown";
}

caf::expected<simulated_gateway> simulated_gateway::make(payment_settings settings,
                                                         std::string card_key) {
  if (!in_unit_interval(settings.decline_rate) || !in_unit_interval(settings.timeout_rate))
    return fail(ec::invalid_argument, "payment decline_rate and timeout_rate must be in [0, 1]");
  if (settings.latency < std::chrono::milliseconds::zero())
    return fail(ec::invalid_argument, "payment latency must not be negative");
  return simulated_gateway{settings, std::move(card_key)};
}

// -- operations ---------------------------------------------------------------

caf::expected<payment_result> simulated_gateway::authorize(std::string idempotency_key,
                                                           std::string card, int64_t amount_minor,
                                                           std::string currency, time_point now) {
  if (!well_formed(idempotency_key))
    return fail(ec::invalid_argument, "idempotency key must be 1..255 bytes without NUL");
  // A token from `tokenize_card`, or (older journals, direct callers) a card number, which
  // is used here and never recorded.
  auto card_tok = parse_payment_method(card);
  if (!card_tok) {
    if (auto err = check_card(card))
      return err;
    card_tok = card_token{{}, card.substr(12), card_fingerprint(card, card_key_)};
  }
  // The test cards are known by their fingerprints: the number itself is not kept.
  auto is_card = [&](std::string_view number) {
    return card_tok->fingerprint == card_fingerprint(number, card_key_);
  };
  auto declining = is_card(declining_card);
  auto approving = !declining && is_card(approving_card);
  if (amount_minor <= 0)
    return fail(ec::invalid_argument, "amount must be positive");
  if (!valid_currency(currency))
    return fail(ec::invalid_argument, "currency must be three upper-case letters");
  if (auto i = keys_.find(idempotency_key); i != keys_.end()) {
    const auto& rec = payments_.at(i->second);
    if (rec.amount != amount_minor || rec.currency != currency)
      return fail(ec::invalid_argument, "idempotency key " + quoted(idempotency_key) +
                                            " was used with another amount or currency");
    return result_of(i->second, rec); // also after a timeout: the definite outcome
  }
  draw d;
  if (declining)
    d.declined = true;
  else if (!approving)
    d = draw_for(settings_, idempotency_key);
  auto payment_id = next_payment_id();
  auto ev = next_event(now);
  auto* x = ev.mutable_authorized();
  x->set_payment_id(payment_id);
  x->set_idempotency_key(std::move(idempotency_key));
  x->set_amount_minor(amount_minor);
  x->set_currency(std::move(currency));
  x->set_card_last4(card_tok->last4);
  x->set_card_fingerprint(card_tok->fingerprint);
  x->set_card_token(card_tok->token);
  x->set_declined(d.declined);
  if (d.declined)
    x->set_decline_reason(declining ? "generic_decline" : "insufficient_funds");
  x->set_timed_out(d.timed_out);
  if (auto err = commit_and_queue(std::move(ev)))
    return err;
  if (d.timed_out)
    return fail(ec::unavailable, "payment provider did not answer; retry with the same "
                                 "idempotency key to learn the outcome");
  return result_of(payment_id, payments_.at(payment_id));
}

caf::expected<payment_result> simulated_gateway::capture(std::string payment_id, time_point now,
                                                         std::optional<int64_t> amount_minor) {
  auto found = find_rec(payment_id);
  if (!found)
    return found.error();
  const auto* rec = *found;
  if (rec->status == payment_status::captured)
    return result_of(payment_id, *rec); // a retry after a lost answer
  if (rec->status != payment_status::authorized)
    return fail(ec::invalid_argument, "payment " + quoted(payment_id) + " is " +
                                          std::string{to_string(rec->status)} +
                                          ", only authorized payments can be captured");
  auto amount = amount_minor.value_or(rec->amount);
  if (amount <= 0 || amount > rec->amount)
    return fail(ec::invalid_argument, "payment " + quoted(payment_id) + ": capturing " +
                                          std::to_string(amount) + " of " +
                                          std::to_string(rec->amount) + " authorized");
  auto ev = next_event(now);
  auto* x = ev.mutable_captured();
  x->set_payment_id(payment_id);
  x->set_amount_minor(amount);
  if (auto err = commit_and_queue(std::move(ev)))
    return err;
  return result_of(payment_id, payments_.at(payment_id));
}

caf::expected<payment_result> simulated_gateway::void_payment(std::string payment_id,
                                                              time_point now) {
  auto found = find_rec(payment_id);
  if (!found)
    return found.error();
  const auto* rec = *found;
  if (rec->status == payment_status::voided)
    return result_of(payment_id, *rec); // a retry after a lost answer
  if (rec->status != payment_status::authorized)
    return fail(ec::invalid_argument, "payment " + quoted(payment_id) + " is " +
                                          std::string{to_string(rec->status)} +
                                          ", only authorized payments can be voided");
  auto ev = next_event(now);
  ev.mutable_voided()->set_payment_id(payment_id);
  if (auto err = commit_and_queue(std::move(ev)))
    return err;
  return result_of(payment_id, payments_.at(payment_id));
}

caf::expected<payment_result> simulated_gateway::refund(std::string payment_id,
                                                        int64_t amount_minor, time_point now) {
  auto found = find_rec(payment_id);
  if (!found)
    return found.error();
  const auto* rec = *found;
  if (amount_minor <= 0)
    return fail(ec::invalid_argument, "refund amount must be positive");
  if (rec->status != payment_status::captured)
    return fail(ec::invalid_argument, "payment " + quoted(payment_id) + " is " +
                                          std::string{to_string(rec->status)} +
                                          ", only captured payments can be refunded");
  if (amount_minor > rec->captured - rec->refunded)
    return fail(ec::invalid_argument, "refund of " + std::to_string(amount_minor) +
                                          " exceeds the refundable " +
                                          std::to_string(rec->captured - rec->refunded) +
                                          " of payment " + quoted(payment_id));
  auto ev = next_event(now);
  auto* x = ev.mutable_refunded();
  x->set_payment_id(payment_id);
  x->set_amount_minor(amount_minor);
  if (auto err = commit_and_queue(std::move(ev)))
    return err;
  return result_of(payment_id, payments_.at(payment_id));
}

// -- event application --------------------------------------------------------

std::span<const simulated_gateway::kind_handler> simulated_gateway::handlers() {
  using ev_t = pb::payment_event;
  using st_t = simulated_gateway;
  static constexpr kind_handler table[] = {
      {ev_t::kAuthorized,
       [](st_t& st, const ev_t& ev) {
         return st.apply_authorized(ev.authorized(), from_ms(ev.at_ms()));
       }},
      {ev_t::kCaptured, [](st_t& st, const ev_t& ev) { return st.apply_captured(ev.captured()); }},
      {ev_t::kVoided, [](st_t& st, const ev_t& ev) { return st.apply_voided(ev.voided()); }},
      {ev_t::kRefunded, [](st_t& st, const ev_t& ev) { return st.apply_refunded(ev.refunded()); }},
  };
  return table;
}

caf::error simulated_gateway::apply_authorized(const pb::payment_authorized& ev, time_point at) {
  if (ev.payment_id() != next_payment_id())
    return corrupt("authorized: payment " + quoted(ev.payment_id()) + " is not the next id " +
                   quoted(next_payment_id()));
  if (!well_formed(ev.idempotency_key()) || keys_.count(ev.idempotency_key()) > 0)
    return corrupt("authorized: idempotency key is malformed or already used");
  if (ev.amount_minor() <= 0 || !valid_currency(ev.currency()) || !valid_last4(ev.card_last4()))
    return corrupt("authorized: bad amount, currency or card");
  if (!(ev.card_fingerprint().empty() || is_hex(ev.card_fingerprint(), 64)) ||
      !(ev.card_token().empty() || (ev.card_token().starts_with(token_prefix) &&
                                    is_hex(std::string_view{ev.card_token()}.substr(4), 32))))
    return corrupt("authorized: malformed card fingerprint or token");
  payment_rec rec;
  rec.idempotency_key = ev.idempotency_key();
  rec.amount = ev.amount_minor();
  rec.currency = ev.currency();
  rec.card_last4 = ev.card_last4();
  rec.card_fingerprint = ev.card_fingerprint();
  rec.card_token = ev.card_token();
  rec.status = ev.declined() ? payment_status::declined : payment_status::authorized;
  rec.decline_reason = ev.decline_reason();
  rec.created_at = at;
  keys_.emplace(ev.idempotency_key(), ev.payment_id());
  payments_.emplace(ev.payment_id(), std::move(rec));
  return {};
}

caf::error simulated_gateway::apply_captured(const pb::payment_captured& ev) {
  auto i = payments_.find(ev.payment_id());
  if (i == payments_.end() || i->second.status != payment_status::authorized)
    return corrupt("captured: payment " + quoted(ev.payment_id()) + " is not authorized");
  if (ev.amount_minor() <= 0 || ev.amount_minor() > i->second.amount)
    return corrupt("captured: amount above the authorized one");
  i->second.status = payment_status::captured;
  i->second.captured = ev.amount_minor();
  return {};
}

caf::error simulated_gateway::apply_voided(const pb::payment_voided& ev) {
  auto i = payments_.find(ev.payment_id());
  if (i == payments_.end() || i->second.status != payment_status::authorized)
    return corrupt("voided: payment " + quoted(ev.payment_id()) + " is not authorized");
  i->second.status = payment_status::voided;
  return {};
}

caf::error simulated_gateway::apply_refunded(const pb::payment_refunded& ev) {
  auto i = payments_.find(ev.payment_id());
  if (i == payments_.end() || i->second.status != payment_status::captured)
    return corrupt("refunded: payment " + quoted(ev.payment_id()) + " is not captured");
  auto& rec = i->second;
  if (ev.amount_minor() <= 0 || ev.amount_minor() > rec.captured - rec.refunded)
    return corrupt("refunded: amount is not positive or exceeds the refundable");
  rec.refunded += ev.amount_minor();
  if (rec.refunded == rec.captured)
    rec.status = payment_status::refunded;
  return {};
}

// -- queries and helpers ------------------------------------------------------

std::vector<pb::payment_event> simulated_gateway::take_events() {
  std::vector<pb::payment_event> result;
  result.swap(outbox_);
  return result;
}

std::optional<payment_result> simulated_gateway::find(std::string_view payment_id) const {
  auto i = payments_.find(payment_id);
  if (i == payments_.end())
    return std::nullopt;
  auto result = result_of(payment_id, i->second);
  result.latency = std::chrono::milliseconds::zero();
  return result;
}

size_t simulated_gateway::authorizations_of_card(std::string_view fingerprint,
                                                 time_point since) const {
  if (fingerprint.empty())
    return 0;
  return static_cast<size_t>(std::count_if(payments_.begin(), payments_.end(), [&](const auto& p) {
    return p.second.card_fingerprint == fingerprint && p.second.created_at >= since;
  }));
}

payment_result simulated_gateway::result_of(std::string_view payment_id,
                                            const payment_rec& rec) const {
  return payment_result{std::string{payment_id},
                        rec.status,
                        rec.amount,
                        rec.captured,
                        rec.refunded,
                        rec.currency,
                        rec.card_last4,
                        rec.decline_reason,
                        settings_.latency};
}

caf::expected<const simulated_gateway::payment_rec*>
simulated_gateway::find_rec(std::string_view payment_id) const {
  auto i = payments_.find(payment_id);
  if (i == payments_.end())
    return fail(ec::not_found, "no payment " + quoted(payment_id));
  return &i->second;
}

caf::error simulated_gateway::commit_and_queue(pb::payment_event ev) {
  auto committed = commit(std::move(ev));
  if (!committed)
    return committed.error(); // unreachable: the operations check what apply checks
  outbox_.push_back(std::move(*committed));
  return {};
}

std::string simulated_gateway::next_payment_id() const {
  return "p" + std::to_string(payments_.size() + 1);
}

} // namespace seatgrab::domain
