#pragma once

#include "domain/event_sourced.hpp"
#include "messages/payment.pb.h"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::domain {

/// Domain time: milliseconds since the Unix epoch. Domain code never reads a clock; callers
/// pass `now` in.
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

/// Stripe's test card that always approves (DESIGN §8).
inline constexpr std::string_view approving_card = "4242424242424242";

/// Stripe's test card that always declines (DESIGN §8).
inline constexpr std::string_view declining_card = "4000000000000002";

/// A card as the engine keeps it, never its number: a random token, the last four digits and
/// a keyed hash. The checkout journals it (as `to_payment_method`) in place of the number.
struct card_token {
  std::string token;       ///< "tok_" and 32 random hex digits
  std::string last4;       ///< the number's last four digits
  std::string fingerprint; ///< `card_fingerprint` of the number: equal for equal cards
  friend bool operator==(const card_token&, const card_token&) = default;
};

/// Lower-case hex HMAC-SHA256 of `card` under `key` (the node's card key): the same card gives
/// the same fingerprint, for velocity rules, and without the key nobody can test guesses of
/// the number against it. Empty if OpenSSL fails.
std::string card_fingerprint(std::string_view card, std::string_view key);

/// Checks a card number (16 digits passing the Luhn check; `invalid_argument` otherwise) and
/// makes its token with a fresh random id (`unavailable` if the RNG fails).
caf::expected<card_token> tokenize_card(std::string_view card, std::string_view key);

/// The payment method the checkout journals for `card`: "card:<token>:<last4>:<fingerprint>".
std::string to_payment_method(const card_token& card);

/// The card token of a payment method made by `to_payment_method`; none for anything else
/// (e.g. a raw card number in a journal written before tokens).
std::optional<card_token> parse_payment_method(std::string_view method);

/// How the simulated provider behaves.
struct payment_settings {
  /// Reported in every result for the caller to wait; the gateway itself never sleeps.
  std::chrono::milliseconds latency{0};
  /// Share of other valid cards that decline, in [0, 1].
  double decline_rate = 0;
  /// Share of first authorization attempts with other valid cards that time out, in [0, 1].
  double timeout_rate = 0;
  /// Seeds the decline and timeout draws.
  uint64_t seed = 1;
};

/// Where a payment stands. Authorized moves to captured or voided; captured moves to refunded
/// once refunds reach the captured amount (partial refunds keep it captured); declined, voided
/// and refunded are final.
enum class payment_status : uint8_t { authorized, captured, voided, refunded, declined };

/// "authorized", "captured", "voided", "refunded" or "declined".
std::string_view to_string(payment_status x) noexcept;

/// A payment as the provider reports it after an operation.
struct payment_result {
  std::string payment_id;
  payment_status status = payment_status::declined;
  int64_t amount_minor = 0;   ///< authorized amount
  int64_t captured_minor = 0; ///< 0 until captured, then the authorized amount
  int64_t refunded_minor = 0; ///< sum of all refunds so far
  std::string currency;       ///< ISO 4217, e.g. "EUR"
  std::string card_last4;
  std::string decline_reason; ///< declined only, a Stripe decline code
  /// How long the provider took to answer; the caller delays its reply by it.
  std::chrono::milliseconds latency{0};
  friend bool operator==(const payment_result&, const payment_result&) = default;
};

/// A card payment provider. A real provider would implement this over its HTTP API; the
/// engine only ever talks to this interface. Money is in integer minor units. Common errors:
/// `invalid_argument` for malformed arguments and illegal transitions, `not_found` for unknown
/// payment ids, `unavailable` when the provider did not answer (the outcome is then unknown:
/// retry `authorize` with the same idempotency key to learn it).
class payment_gateway {
public:
  virtual ~payment_gateway() = default;

  /// Reserves `amount_minor` (> 0) of `currency` (three upper-case letters) on `card`. A
  /// decline is a result with status `declined`, not an error (it has a payment id, and a
  /// retry must see the same decline). Idempotent by key: the same key, amount and currency
  /// returns the first outcome; the same key with another amount or currency is
  /// `invalid_argument`.
  virtual caf::expected<payment_result> authorize(std::string idempotency_key, std::string card,
                                                  int64_t amount_minor, std::string currency,
                                                  time_point now) = 0;

  /// Charges an authorized payment in full. Capturing a captured payment again returns it
  /// unchanged (a retry after a lost answer); any other status is `invalid_argument`.
  /// With `amount_minor`, captures that much (0 < amount <= authorized; the rest of the
  /// authorization is released): a price that fell since the hold is passed on.
  virtual caf::expected<payment_result> capture(std::string payment_id, time_point now,
                                                std::optional<int64_t> amount_minor = {}) = 0;

  /// Releases an authorized payment without charging. Voiding a voided payment again returns
  /// it unchanged; any other status is `invalid_argument`.
  virtual caf::expected<payment_result> void_payment(std::string payment_id, time_point now) = 0;

  /// Returns `amount_minor` (> 0) of a captured payment; refunds add up to at most the
  /// captured amount (more is `invalid_argument`, as is refunding any other status). Not
  /// idempotent: the caller journals its intent and must not blindly retry.
  virtual caf::expected<payment_result> refund(std::string payment_id, int64_t amount_minor,
                                               time_point now) = 0;
};

/// The simulated provider of DESIGN §8, deterministic and journalable.
///
/// Cards must be 16 digits passing the Luhn check (`invalid_argument` otherwise, nothing
/// recorded). `approving_card` always approves and `declining_card` always declines, without
/// timeouts. Any other card's outcome is drawn from `settings.seed` and the idempotency key
/// alone (no RNG state, so restarts and replays draw alike): with probability `decline_rate`
/// it declines, otherwise it approves; independently, with probability `timeout_rate` the
/// first attempt times out.
///
/// A timeout models a provider that did not answer although it may have acted: `authorize`
/// records the drawn outcome (and journals it with `timed_out` set) but returns
/// `ec::unavailable`. The caller cannot know whether money was reserved; a retry with the same
/// key returns the recorded, definite outcome, which the caller then captures or voids.
///
/// Every change is an event `apply`d to the ledger and queued for the journal: after each call
/// (failed ones included, as a timeout changes the ledger), journal `take_events()` before
/// acting on the result. Replaying them through `apply` on a fresh gateway rebuilds the ledger.
/// `apply` and `version()` come from `event_sourced`; `apply` does not queue the event, and it
/// also rejects an unexpected payment id, a reused key, an illegal transition or an
/// over-refund.
class simulated_gateway final : public payment_gateway,
                                public event_sourced<simulated_gateway, pb::payment_event> {
public:
  /// A gateway with an empty ledger; fails with `ec::invalid_argument` unless both rates are in
  /// [0, 1] and the latency is not negative. `card_key` is the node's card key, which the
  /// fingerprints of `tokenize_card` were made with.
  static caf::expected<simulated_gateway> make(payment_settings settings,
                                               std::string card_key = {});

  caf::expected<payment_result> authorize(std::string idempotency_key, std::string card,
                                          int64_t amount_minor, std::string currency,
                                          time_point now) override;

  caf::expected<payment_result> capture(std::string payment_id, time_point now,
                                        std::optional<int64_t> amount_minor = {}) override;

  caf::expected<payment_result> void_payment(std::string payment_id, time_point now) override;

  caf::expected<payment_result> refund(std::string payment_id, int64_t amount_minor,
                                       time_point now) override;

  /// The events of all changes since the last call, oldest first, for the journal.
  [[nodiscard]] std::vector<pb::payment_event> take_events();

  /// Authorizations attempted (approved or declined) with the card of `fingerprint` at or
  /// after `since`: a velocity rule's input, counted without ever storing a card number.
  size_t authorizations_of_card(std::string_view fingerprint, time_point since) const;

  /// A payment's current state, with zero latency; none for unknown ids.
  std::optional<payment_result> find(std::string_view payment_id) const;

  const payment_settings& settings() const noexcept { return settings_; }

  /// Equal ledgers: same version, payments and keys (settings and queued events aside).
  friend bool operator==(const simulated_gateway& x, const simulated_gateway& y) {
    return x.version() == y.version() && x.payments_ == y.payments_ && x.keys_ == y.keys_;
  }

private:
  struct payment_rec {
    std::string idempotency_key;
    int64_t amount = 0;
    std::string currency;
    std::string card_last4;
    std::string card_fingerprint; ///< empty in records written before fingerprints
    std::string card_token;       ///< empty for a raw card number (older journals)
    payment_status status = payment_status::declined;
    std::string decline_reason;
    int64_t captured = 0;
    int64_t refunded = 0;
    time_point created_at;
    friend bool operator==(const payment_rec&, const payment_rec&) = default;
  };

  simulated_gateway(payment_settings settings, std::string card_key)
      : settings_(settings), card_key_(std::move(card_key)) {}

  payment_result result_of(std::string_view payment_id, const payment_rec& rec) const;
  caf::expected<const payment_rec*> find_rec(std::string_view payment_id) const;
  friend event_sourced;
  static std::span<const kind_handler> handlers();
  std::string corruption_prefix() const {
    return "payments at version " + std::to_string(version());
  }
  /// Commits `ev` and queues it for `take_events`.
  caf::error commit_and_queue(pb::payment_event ev);
  std::string next_payment_id() const;

  caf::error apply_authorized(const pb::payment_authorized& ev, time_point at);
  caf::error apply_captured(const pb::payment_captured& ev);
  caf::error apply_voided(const pb::payment_voided& ev);
  caf::error apply_refunded(const pb::payment_refunded& ev);

  payment_settings settings_;
  std::string card_key_;                                     // HMAC key of card fingerprints
  std::map<std::string, payment_rec, std::less<>> payments_; // by payment id
  std::map<std::string, std::string, std::less<>> keys_;     // idempotency key -> payment id
  std::vector<pb::payment_event> outbox_;                    // applied, not yet taken
};

} // namespace seatgrab::domain
