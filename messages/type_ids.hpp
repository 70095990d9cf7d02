#pragma once

// The one type-id block of SeatGrab: every type that travels in an actor message, and every
// atom. Every node registers the same block (a type unknown to a peer arrives empty).

#include "messages/accounts.hpp"
#include "messages/admin.hpp"
#include "messages/bots.hpp"
#include "messages/ec.hpp"
#include "messages/inventory.hpp"
#include "messages/pricing.hpp"
#include "messages/queue.hpp"
#include "messages/status.hpp"
#include "messages/tickets.hpp"

#include <caf/type_id.hpp>

#include <map>
#include <string>
#include <vector>

CAF_BEGIN_TYPE_ID_BLOCK(seatgrab, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(seatgrab, (seatgrab::ec))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::seat_price))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::hold_request))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::hold_part))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::hold_receipt))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::sale_receipt))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::seat_entry))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::section_map))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::event_map))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::section_demand))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::event_info))
/// Seat prices of a checkout: they cross nodes, so the vector needs an id of its own.
CAF_ADD_TYPE_ID(seatgrab, (std::vector<int64_t>))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::event_info>))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::section_demand>))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::queue_status))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::queue_info))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::ticket_info))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::ticket_info>))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::order_info))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::scan_info))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::gate_keys))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::hold_receipt>))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::account_summary))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::login_grant))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::auth_info))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::status_counter))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::status_counter>))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::actor_status))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::actor_status>))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<std::string>))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::admin_request))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::peer_state))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::peer_state>))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::audit_record))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::audit_record>))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::pricing_request))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::section_price))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::section_price>))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::price_point))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::section_price_info))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::pricing_info))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::client_facts))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::rule_mode))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::bot_rules))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::bot_verdict))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::bot_decision))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::offender))
CAF_ADD_TYPE_ID(seatgrab, (std::vector<seatgrab::offender>))
CAF_ADD_TYPE_ID(seatgrab, (seatgrab::bot_guard_info))

/// A journal write of the sender's became durable (or failed).
CAF_ADD_ATOM(seatgrab, seatgrab::atom, durable, "durable")
/// A delayed self-message: a hold's time may be up.
CAF_ADD_ATOM(seatgrab, seatgrab::atom, expire, "expire")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, hold, "hold")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, extend, "extend")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, release, "release")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, confirm, "confirm")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, refund, "refund")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, get, "get")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, put, "put")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, seatmap, "seatmap")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, demand, "demand")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, info, "info")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, event, "event")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, events, "events")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, section, "section")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, venue, "venue")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, join, "join")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, leave, "leave")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, queue, "queue")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, pause, "pause")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, resume, "resume")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, rate, "rate")
/// A delayed self-message: the pacer's next round.
CAF_ADD_ATOM(seatgrab, seatgrab::atom, tick, "tick")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, order, "order")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, ticket, "ticket")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, tickets, "tickets")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, transfer, "transfer")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, scan, "scan")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, gate, "gate")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, count, "count")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, box_office, "boxoffice")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, account, "account")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, accounts, "accounts")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, session, "session")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, login, "login")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, logout, "logout")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, role, "role")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, holds, "holds")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, open, "open")
/// An operator asks an actor for its `actor_status`.
CAF_ADD_ATOM(seatgrab, seatgrab::atom, status, "status")
/// A node's catalog, as its registry hands it to another member's.
CAF_ADD_ATOM(seatgrab, seatgrab::atom, catalog, "catalog")
/// The operator's admin shell, or an operator's action on an actor (checked by the admin token).
CAF_ADD_ATOM(seatgrab, seatgrab::atom, admin, "admin")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, actors, "actors")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, peers, "peers")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, audit, "audit")
/// An operator ends an event's sale.
CAF_ADD_ATOM(seatgrab, seatgrab::atom, close, "close")
/// Dynamic pricing: a price set, the engine, a freeze, an unfreeze, a manual level.
CAF_ADD_ATOM(seatgrab, seatgrab::atom, price, "price")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, pricing, "pricing")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, freeze, "freeze")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, unfreeze, "unfreeze")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, level, "level")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, bots, "bots")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, challenge, "challenge")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, paid, "paid")
CAF_ADD_ATOM(seatgrab, seatgrab::atom, flag, "flag")

CAF_END_TYPE_ID_BLOCK(seatgrab)
