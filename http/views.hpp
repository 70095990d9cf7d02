#pragma once

// The JSON views the API answers with: events, queue places, holds, orders, tickets, scans;
// and the public ids of orders and tickets.

#include "http/request.hpp"
#include "messages/interfaces.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace seatgrab::http {

/// Public ids of orders and tickets carry their event: "<event>~<id>" ('~' is never part of an
/// event id).
std::string public_id(const std::string& event, const std::string& id);

/// The (event, local id) of a public id; nothing if it has no event part.
std::optional<std::pair<std::string, std::string>> split_public_id(std::string_view id);

/// An event with its sale state and, if known, its queue's figures.
json event_json(const event_info& ev, const std::optional<queue_info>& q);

/// A fan's place in a queue.
json queue_json(const queue_status& st);

/// A hold: its seats with prices and sections, the total and when it expires.
json hold_json(const hold_receipt& r);

/// A ticket, with its code while it is valid.
json ticket_json(const ticket_info& t);

/// An order with its tickets.
json order_json(const order_info& o);

/// `GET /v1/events/{id}/prices`: `{"event","dynamic","interval_s","frozen",
/// "price_version","sections":[{"id","level","price","ladder","frozen","history"}]}`.
json pricing_json(const pricing_info& p);

/// What an event's detail shows of its published pricing: `{"interval_s","frozen",
/// "ladders":{"<section>":[prices...]}}`.
json published_pricing_json(const pricing_info& p);

/// What a scan found.
json scan_json(const scan_info& s);

} // namespace seatgrab::http
