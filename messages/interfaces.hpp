#pragma once

// Every typed-actor interface of SeatGrab, in one place. Replies are sent only once the
// change they acknowledge is durable in the journal. Every interface extends
// `status_client_actor`; those of journaling actors also `journaling_actor` (the handlers of
// both are written once, in the actor kit: actors/status.hpp, actors/journal_client.hpp).

#include "messages/accounts.hpp"
#include "messages/admin.hpp"
#include "messages/inventory.hpp"
#include "messages/pricing.hpp"
#include "messages/status.hpp"
#include "messages/tickets.hpp"
#include "messages/type_ids.hpp"

#include <caf/typed_actor.hpp>

#include <string>
#include <vector>

namespace seatgrab {

/// What every actor answers: its kind, id, version, mailbox and key counters, for operators
/// (Tenzir's status client). Every interface below is extended with it.
using status_client_actor = caf::typed_actor<
    /// The actor's status now.
    caf::replies_to<atom::status>::with<actor_status>>;

/// What every journaling actor receives from its journal client (actors/journal_client.hpp).
/// The interface of every actor that journals extends it.
using journaling_actor = caf::typed_actor<
    /// Journal (self-message): everything up to token (n) is durable, or failed.
    caf::reacts_to<atom::durable, uint64_t, caf::error>>;

/// One section of one event: owns its seats (journal kind "section", entity "<event>/<section>").
using section_actor = caf::typed_actor<
    /// Hold the request's seats (all or nothing), or the best `quantity` adjacent seats.
    caf::replies_to<atom::hold, hold_request>::with<hold_part>,
    /// Extend hold (id, holder) by the hold TTL, up to the hard cap.
    caf::replies_to<atom::extend, std::string, std::string>::with<hold_part>,
    /// Release hold (id, holder): its seats are free again.
    caf::replies_to<atom::release, std::string, std::string>::with<void>,
    /// Operator: release hold (id) whoever holds it: the seats freed.
    caf::replies_to<atom::release, std::string, atom::admin>::with<std::vector<std::string>>,
    /// Operator: end the sale here: new holds refused, live holds may still be sold (closed
    /// already: done).
    caf::replies_to<atom::close>::with<void>,
    /// Sell hold (id, holder) to order (id).
    caf::replies_to<atom::confirm, std::string, std::string, std::string>::with<sale_receipt>,
    /// Refund seat (id) of order (id): the seat is free again.
    caf::replies_to<atom::refund, std::string, std::string>::with<void>,
    /// The seats of the section with their status and price.
    caf::replies_to<atom::get, atom::seatmap>::with<section_map>,
    /// Cumulative demand counters.
    caf::replies_to<atom::get, atom::demand>::with<section_demand>,
    /// Pricing: every seat's price is (price) from (price version) on; a resend of an older
    /// version is acknowledged without a change.
    caf::replies_to<atom::price, uint64_t, int64_t>::with<void>,
    /// Timer (self-message) armed for (ms since the epoch): the holds due by now end. One
    /// such timer is pending per section, for its earliest hold, not one per hold.
    caf::reacts_to<atom::expire, int64_t>>::extend_with<status_client_actor, journaling_actor>;

/// One event: its settings, and holds that span sections (with compensation).
using event_actor = caf::typed_actor<
    /// The event's settings.
    caf::replies_to<atom::get, atom::info>::with<event_info>,
    /// Hold seats across sections, all or nothing; best available within one section.
    caf::replies_to<atom::hold, hold_request>::with<hold_receipt>,
    /// Release hold (id, holder) in each of its sections.
    caf::replies_to<atom::release, std::string, std::string, std::vector<std::string>>::with<void>,
    /// Operator: release hold (id) in every section that has it, whoever holds it: the seats
    /// freed (`hold_not_found` if no section had it).
    caf::replies_to<atom::release, std::string, atom::admin>::with<std::vector<std::string>>,
    /// Operator: end the sale in every section of the event (see the section's `close`).
    caf::replies_to<atom::close>::with<void>,
    /// Sell hold (id, holder) in each of its sections to order (id); all or nothing.
    caf::replies_to<atom::confirm, std::string, std::string, std::string,
                    std::vector<std::string>>::with<sale_receipt>,
    /// Put seats (ids) sold to order (id) back on sale; seats no longer sold to the order count
    /// as done, so a refund may be retried after a crash.
    caf::replies_to<atom::refund, std::string, std::vector<std::string>>::with<void>,
    /// The whole seat map.
    caf::replies_to<atom::get, atom::seatmap>::with<event_map>,
    /// Demand counters of every section.
    caf::replies_to<atom::get, atom::demand>::with<std::vector<section_demand>>,
    /// Pricing: set the prices of (version) in the sections named, all of them before the reply.
    caf::replies_to<atom::price, uint64_t,
                    std::vector<section_price>>::with<void>>::extend_with<status_client_actor>;

/// The waiting room of one event (journal kind "queue", entity = event id).
using waiting_room_actor = caf::typed_actor<
    /// Join with (account, device); joining again returns the same place.
    caf::replies_to<atom::join, std::string, std::string>::with<queue_status>,
    /// Status of ticket (n) for its account; also a sign of life against abandonment. The
    /// edge asks this directly: a poll costs no session.
    caf::replies_to<atom::get, uint64_t, std::string>::with<queue_status>,
    /// Ticket (n) is done shopping (checked out or left): its slot frees.
    caf::replies_to<atom::leave, uint64_t>::with<void>,
    /// Operator: open now, even before the scheduled time (already open: invalid_argument).
    caf::replies_to<atom::open>::with<void>,
    /// Operator: stop admitting.
    caf::replies_to<atom::pause>::with<void>,
    /// Operator: admit again.
    caf::replies_to<atom::resume>::with<void>,
    /// Operator: admissions per minute.
    caf::replies_to<atom::rate, uint32_t>::with<void>,
    /// Operator: end the sale: no joins, no admissions; the waiting are told (closed already:
    /// done).
    caf::replies_to<atom::close>::with<void>,
    /// Pricing: the prices of (version) reached every section; the event's range (min, max).
    /// Fans admitted from now on carry the version.
    caf::replies_to<atom::price, uint64_t, int64_t, int64_t>::with<void>,
    /// Public facts: seed commitment, revealed seed, counters.
    caf::replies_to<atom::get, atom::info>::with<queue_info>,
    /// Pacer (self-message): open if due, expire, admit.
    caf::reacts_to<atom::tick>>::extend_with<status_client_actor, journaling_actor>;

/// The pricing engine of one event (journal kind "pricing", entity = event id; placed with the
/// event): every interval a tick gathers the sections' demand and moves each section along its
/// published ladder (domain/pricing.hpp); changes reach the sections first, then the waiting
/// room, so that an admission never carries a price a section does not know.
using pricing_actor = caf::typed_actor<
    /// The event's pricing now (ladders, levels, history).
    caf::replies_to<atom::get, atom::pricing>::with<pricing_info>,
    /// Operator: publish the policy; refused (`pricing_locked`) once the sale opened.
    caf::replies_to<atom::put, pricing_request>::with<pricing_info>,
    /// Operator: freeze section (id; "" = the whole event): the rule no longer moves it.
    caf::replies_to<atom::freeze, std::string>::with<pricing_info>,
    /// Operator: unfreeze section (id; "" = the event).
    caf::replies_to<atom::unfreeze, std::string>::with<pricing_info>,
    /// Operator: set section (id) to level (n) by hand.
    caf::replies_to<atom::level, std::string, uint32_t>::with<pricing_info>,
    /// Timer (self-message) of generation (n): reprice, then arm the next.
    caf::reacts_to<atom::tick, uint64_t>>::extend_with<status_client_actor, journaling_actor>;

/// The bot guard of one event (journal kind "bot_guard", entity = event id; placed with the
/// event): every queue join and checkout is decided here (domain/bot_guard.hpp), and every
/// decision is journaled before the reply.
using bot_guard_actor = caf::typed_actor<
    /// A queue join of account (id) with what its client presented: the decision.
    caf::replies_to<atom::join, std::string, client_facts>::with<bot_decision>,
    /// A checkout of account (id), card hash, seats: the decision (an allowed one counts
    /// against the card until `paid`).
    caf::replies_to<atom::confirm, std::string, uint64_t, uint32_t>::with<bot_decision>,
    /// An allowed checkout of account (id), card hash, seats reserved ended: seats bought,
    /// declined.
    caf::replies_to<atom::paid, std::string, uint64_t, uint32_t, uint32_t, bool>::with<void>,
    /// The edge saw account (id) show signal (name: "ignores_retry_after") since its join;
    /// journaled once per account, weighed at its checkouts.
    caf::replies_to<atom::flag, std::string, std::string>::with<void>,
    /// The base proof of work now (bits): it follows the joins of the last minute.
    caf::replies_to<atom::get, atom::challenge>::with<uint32_t>,
    /// A shadowed fan's place: ticket, account (`unknown_ticket` if not theirs).
    caf::replies_to<atom::get, uint64_t, std::string>::with<queue_status>,
    /// The operator's view: rules, decisions by verdict and reason, top offenders.
    caf::replies_to<atom::get, atom::bots>::with<bot_guard_info>,
    /// Operator: set the rules (checked; `invalid_input` names the field).
    caf::replies_to<atom::put, bot_rules>::with<bot_guard_info>>::extend_with<status_client_actor,
                                                                              journaling_actor>;

/// The box office of one event: the checkout saga (authorize → confirm seats → capture → issue
/// tickets, or void the authorization when the seats are refused), the orders and tickets it
/// makes, transfers, refunds and the online gate (journal kinds "checkout", "payment" and
/// "ticket", entity = event id). Another account's order or ticket is `not_found`.
using box_office_actor = caf::typed_actor<
    /// Check out hold (idempotency key, account, hold id, sections, seat ids, seat prices,
    /// payment method): replies with the order once completed, or with its failure
    /// (payment_declined, hold_expired, ticket_limit, ...). A retry with the same key and
    /// request joins the same order.
    caf::replies_to<atom::confirm, std::string, std::string, std::string, std::vector<std::string>,
                    std::vector<std::string>, std::vector<int64_t>, std::string>::with<order_info>,
    /// Order (id) of account (id).
    caf::replies_to<atom::get, atom::order, std::string, std::string>::with<order_info>,
    /// The tickets account (id) owns.
    caf::replies_to<atom::get, atom::tickets, std::string>::with<std::vector<ticket_info>>,
    /// Ticket (id) of account (id), with its code now.
    caf::replies_to<atom::get, atom::ticket, std::string, std::string>::with<ticket_info>,
    /// Give ticket (id) of account (id) to account (id) with the request's idempotency key
    /// (empty: none): a new version for the recipient, the old code revoked at once. A retry
    /// with the key of a transfer made (its answer lost in a crash) gets that answer again.
    caf::replies_to<atom::transfer, std::string, std::string, std::string,
                    std::string>::with<ticket_info>,
    /// Refund ticket (id) for account (id), acting as an operator (bool), with the request's
    /// idempotency key (empty: none): payment refunded, ticket revoked, seat back on sale. A
    /// retry with the key of a refund made gets that answer again.
    caf::replies_to<atom::refund, std::string, std::string, bool, std::string>::with<ticket_info>,
    /// Gate: check code (text) online and admit it once.
    caf::replies_to<atom::scan, std::string>::with<scan_info>,
    /// Gate devices: public key, rotation key and revocation list.
    caf::replies_to<atom::get, atom::gate>::with<gate_keys>,
    /// Tickets of account (id) counting against the per-account limit (open or completed
    /// orders, minus refunds).
    caf::replies_to<atom::get, atom::count, std::string>::with<uint32_t>,
    /// Timer (self-message): run the next action of order (id) again.
    caf::reacts_to<atom::tick, std::string>,
    /// The ticket codes of order (id), signed off the box office (see actors/ticket_signer.hpp),
    /// in the order of its valid tickets, or the error that stopped the signing.
    caf::reacts_to<atom::ticket, std::string, std::vector<std::string>, caf::error>,
    /// Timer (self-message): put the seats of refunded tickets back on sale again.
    caf::reacts_to<atom::tick, atom::refund>>::extend_with<status_client_actor, journaling_actor>;

/// A password hasher of the account registry's bounded pool (actors/hasher.hpp). Scrypt is
/// slow on purpose, so it runs here, each hasher on a thread of its own, and the registry
/// itself (token checks) never waits behind it.
using hasher_actor = caf::typed_actor<
    /// Hash password (text) with the pool's scrypt parameters: the encoded record.
    caf::replies_to<atom::put, std::string>::with<std::string>,
    /// Whether password (text) matches encoded record (text).
    caf::replies_to<atom::get, std::string,
                    std::string>::with<bool>>::extend_with<status_client_actor>;

/// The node's account registry (journal kind "accounts", entity "registry"). Password hashing
/// goes to its bounded pool of hashers (`ec::auth_busy` when that is full), so token checks
/// are answered at once whatever the log-in load.
using accounts_actor = caf::typed_actor<
    /// Sign up with (email, password).
    caf::replies_to<atom::put, atom::account, std::string, std::string>::with<account_summary>,
    /// Log in with (email, password): a bearer token.
    caf::replies_to<atom::login, std::string, std::string>::with<login_grant>,
    /// Log in with (email, password) from client address (text), counted against the per-address
    /// and per-email log-in rates (`ec::login_limited`).
    caf::replies_to<atom::login, std::string, std::string, std::string>::with<login_grant>,
    /// Who holds bearer token (text); `unauthenticated` if nobody (any longer).
    caf::replies_to<atom::get, atom::session, std::string>::with<auth_info>,
    /// End the session of bearer token (text).
    caf::replies_to<atom::logout, std::string>::with<void>,
    /// The account of email (text), e.g. a transfer's recipient.
    caf::replies_to<atom::get, atom::account, std::string>::with<account_summary>,
    /// Make account (id) an operator (gate staff, box office).
    caf::replies_to<atom::put, atom::role, std::string>::with<void>,
    /// Timer (self-message): close expired sessions.
    caf::reacts_to<atom::tick>>::extend_with<status_client_actor, journaling_actor>;

/// A fan's session (journal kind "session", entity = account id): their queue places, holds
/// and orders across events. Enforces the per-account ticket limit at hold time and checks
/// admission tokens. Passivates when idle; the registry brings it back from its journal.
using session_actor = caf::typed_actor<
    /// Join the waiting room of event (id) with what the client presented (its server-derived
    /// device among it), past the event's bot guard: a challenge, a step-up or a limit is an
    /// error (`challenge_required`, `step_up_required`, `velocity_limited`, `device_limit`);
    /// a shadowed fan gets a place that is never admitted.
    caf::replies_to<atom::join, std::string, client_facts>::with<queue_status>,
    /// Where the fan stands in the queue of event (id).
    caf::replies_to<atom::get, atom::queue, std::string>::with<queue_status>,
    /// Hold seats of event (id): the request's seats, or its section and quantity (best
    /// available); needs the admission token (text) of that event. With an idempotency key
    /// (text, may be empty) a retry returns the same hold, even after a crash.
    caf::replies_to<atom::hold, std::string, hold_request, std::string,
                    std::string>::with<hold_receipt>,
    /// Release hold (id).
    caf::replies_to<atom::release, std::string>::with<void>,
    /// Check out hold (id) with (payment method, idempotency key): the completed order. The
    /// event's bot guard counts the card first (`velocity_limited`, `card_limit`) and may refuse
    /// a client that behaved as a script since its join (`suspected_bot`).
    caf::replies_to<atom::confirm, std::string, std::string, std::string>::with<order_info>,
    /// The fan's live holds.
    caf::replies_to<atom::get, atom::holds>::with<std::vector<hold_receipt>>,
    /// Timer (self-message): passivate if idle long enough.
    caf::reacts_to<atom::tick>>::extend_with<status_client_actor, journaling_actor>;

/// The node's catalog (journal kinds "venue" and "event", entity = id): the venues and
/// events on sale. It has the registry activate each event's actors.
using catalog_actor = caf::typed_actor<
    /// Add a venue from its JSON; replies with its id.
    caf::replies_to<atom::put, atom::venue, std::string>::with<std::string>,
    /// Add an event on a known venue; replies with its id once its actors are live.
    caf::replies_to<atom::put, event_info>::with<std::string>,
    /// Every event.
    caf::replies_to<atom::get, atom::events>::with<std::vector<event_info>>,
    /// The JSON of venue (id), as it was added; `not_found` for an unknown id.
    caf::replies_to<atom::get, atom::venue, std::string>::with<std::string>,
    /// The catalog (an untyped handle of this type) of cluster member (name) is connected: it
    /// gets every venue and event now, and each new one from then on.
    caf::reacts_to<atom::join, std::string, caf::actor>>::extend_with<status_client_actor,
                                                                      journaling_actor>;

/// A node's admin actor: the operator's admin shell talks to it over CAF (cluster/admin.hpp).
/// Every command is checked against the admin token; each that changes something, and each
/// refused token, is written to the node's audit log before the answer.
using admin_actor = caf::typed_actor<
    /// Run a command line of the shell: its output (text, or JSON if asked).
    caf::replies_to<atom::admin, admin_request>::with<std::string>,
    /// This member's actors of kind (text; empty: every kind) with their status, for another
    /// member's admin actor (admin token).
    caf::replies_to<atom::get, atom::actors, std::string,
                    std::string>::with<std::vector<actor_status>>,
    /// This member's audit log, newest last (admin token).
    caf::replies_to<atom::get, atom::audit, std::string>::with<std::vector<audit_record>>>::
    extend_with<status_client_actor, journaling_actor>;

/// The node's placement registry: entity id -> owning node -> actor. It spawns each kind of
/// actor from its journal on the first lookup, supervises it, and spawns it again on the next
/// lookup once it stopped (actors/resolver.hpp caches its answers).
using registry_actor = caf::typed_actor<
    /// Activate the actors of event (settings, venue JSON): sections, event, waiting room, box
    /// office, pricing, bot guard; replies once they are live.
    caf::replies_to<atom::put, event_info, std::string>::with<void>,
    /// The actor of event (id).
    caf::replies_to<atom::get, atom::event, std::string>::with<event_actor>,
    /// The waiting room of event (id).
    caf::replies_to<atom::get, atom::queue, std::string>::with<waiting_room_actor>,
    /// The account registry of shard (name; cluster/placement.hpp), wherever it lives.
    caf::replies_to<atom::get, atom::accounts, std::string>::with<accounts_actor>,
    /// The session of account (id), brought back from its journal if it was passivated.
    caf::replies_to<atom::get, atom::session, std::string>::with<session_actor>,
    /// The box office of event (id).
    caf::replies_to<atom::get, atom::box_office, std::string>::with<box_office_actor>,
    /// The pricing engine of event (id).
    caf::replies_to<atom::get, atom::pricing, std::string>::with<pricing_actor>,
    /// The bot guard of event (id).
    caf::replies_to<atom::get, atom::bots, std::string>::with<bot_guard_actor>,
    /// The actor of section (event id, section id).
    caf::replies_to<atom::get, atom::section, std::string, std::string>::with<section_actor>,
    /// The registry (an untyped handle of this type) of cluster member (name) is connected:
    /// lookups of what that member owns go to it until it goes down.
    caf::reacts_to<atom::join, std::string, caf::actor>,
    /// This node's catalog, set once at start: connected members' registries ask for it.
    caf::reacts_to<atom::put, atom::catalog, catalog_actor>,
    /// This node's catalog (to another member's registry).
    caf::replies_to<atom::get, atom::catalog>::with<catalog_actor>,
    /// This node's admin actor, set once at start.
    caf::reacts_to<atom::put, atom::admin, admin_actor>,
    /// This node's admin actor (to the admin shell).
    caf::replies_to<atom::get, atom::admin>::with<admin_actor>,
    /// The admin actor of member (name), asked of its registry (`unavailable` while it is down).
    caf::replies_to<atom::get, atom::admin, std::string>::with<admin_actor>,
    /// The actors this member hosts of kind (text; empty: every kind), with their status (at
    /// most `max_listed_actors`).
    caf::replies_to<atom::get, atom::actors, std::string>::with<std::vector<actor_status>>,
    /// What this member knows of each other member: up or down, its last ping, its lookups.
    caf::replies_to<atom::get, atom::peers>::with<std::vector<peer_state>>,
    /// Timer (self-message): ping every connected member.
    caf::reacts_to<atom::tick>>::extend_with<status_client_actor>;

/// The most actors one `(get, actors, kind)` lists.
inline constexpr size_t max_listed_actors = 10'000;

} // namespace seatgrab
