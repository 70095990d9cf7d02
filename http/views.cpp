#include "http/views.hpp"

#include "http/codec.hpp"

namespace seatgrab::http {

std::string public_id(const std::string& event, const std::string& id) {
  return event + "~" + id;
}

std::optional<std::pair<std::string, std::string>> split_public_id(std::string_view id) {
  auto sep = id.find('~');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == id.size())
    return std::nullopt;
  return std::pair{std::string{id.substr(0, sep)}, std::string{id.substr(sep + 1)}};
}

json event_json(const event_info& ev, const std::optional<queue_info>& q) {
  std::string state = "scheduled";
  if (q)
    state = q->closed ? "closed" : q->paused ? "paused" : q->opened ? "on_sale" : "scheduled";
  json j{{"id", ev.id},
         {"venue_id", ev.venue_id},
         {"name", ev.name},
         {"state", state},
         {"opens_at", rfc3339(ev.opens_at_ms)},
         {"hold_ttl_s", ev.hold_ttl_s},
         {"currency", ev.currency},
         // The room's pace now: the operator may have changed it since the event was made.
         {"admission_per_min",
          q && q->admission_per_min > 0 ? q->admission_per_min : ev.admission_per_min},
         {"max_active_shoppers", ev.max_active_shoppers},
         {"max_seats_per_hold", ev.max_seats_per_hold},
         {"max_tickets_per_account", ev.max_tickets_per_account},
         {"queue_mode", ev.queue_mode},
         {"rotating_codes", ev.rotating_codes}};
  if (ev.refunds_until_ms > 0)
    j["refunds_until"] = rfc3339(ev.refunds_until_ms);
  if (q) {
    j["queue"] = {{"seed_commitment", q->seed_commitment},
                  {"waiting", q->waiting},
                  {"admitted", q->admitted},
                  {"active", q->active}};
    if (!q->revealed_seed.empty())
      j["queue"]["revealed_seed"] = q->revealed_seed;
    if (q->price_max > 0)
      j["price_range"] = {{"min", q->price_min}, {"max", q->price_max}};
  }
  j["prices"] = "/v1/events/" + ev.id + "/prices";
  return j;
}

json queue_json(const queue_status& st) {
  json j{{"ticket", st.ticket},
         {"state", st.state},
         {"position", st.position},
         {"eta_s", st.eta_s},
         {"paused", st.paused}};
  if (!st.admission_token.empty()) {
    j["admission_token"] = st.admission_token;
    j["admission_expires_at"] = rfc3339(st.admission_expires_at_ms);
    // The prices of this version are the most the fan pays while the admission lasts.
    j["price_version"] = st.price_version;
  }
  if (st.price_max > 0)
    j["price_range"] = {{"min", st.price_min}, {"max", st.price_max}};
  return j;
}

json hold_json(const hold_receipt& r) {
  auto seats = json::array();
  for (const auto& p : r.parts)
    for (const auto& x : p.seats)
      seats.push_back({{"id", x.seat}, {"price", x.price}, {"section", p.section}});
  return {{"id", r.hold_id},
          {"seats", std::move(seats)},
          {"total", r.total},
          {"expires_at", rfc3339(r.expires_at_ms)}};
}

json ticket_json(const ticket_info& t) {
  json j{{"id", public_id(t.event, t.id)},
         {"event", t.event},
         {"order_id", public_id(t.event, t.order_id)},
         {"seat", t.seat},
         {"owner", t.owner},
         {"version", t.version},
         {"price", t.price},
         {"issued_at", rfc3339(t.issued_at_ms)},
         {"status", t.status}};
  if (!t.code.empty())
    j["code"] = t.code;
  return j;
}

json order_json(const order_info& o) {
  auto tickets = json::array();
  for (const auto& t : o.tickets)
    tickets.push_back(ticket_json(t));
  // What each seat was charged: its locked price until the sections sold it, then the lower of
  // that and the price at the sale.
  auto seats = json::array();
  for (const auto& s : o.seats)
    seats.push_back({{"id", s.seat}, {"price", s.price}});
  json j{{"order_id", public_id(o.event, o.id)},
         {"event", o.event},
         {"state", o.state},
         {"seats", std::move(seats)},
         {"total", o.total},
         {"locked_total", o.locked_total},
         {"currency", o.currency},
         {"created_at", rfc3339(o.created_at_ms)},
         {"tickets", std::move(tickets)}};
  if (!o.failure.empty())
    j["failure"] = o.failure;
  return j;
}

json pricing_json(const pricing_info& p) {
  auto sections = json::array();
  for (const auto& s : p.sections) {
    auto history = json::array();
    for (const auto& h : s.history)
      history.push_back({{"price_version", h.price_version},
                         {"at", rfc3339(h.at_ms)},
                         {"level", h.level},
                         {"price", h.price},
                         {"by", h.manual ? "operator" : "rule"}});
    sections.push_back({{"id", s.section},
                        {"level", s.level},
                        {"price", s.price},
                        {"ladder", s.ladder},
                        {"frozen", s.frozen},
                        {"history", std::move(history)}});
  }
  json j{{"event", p.event},
         {"dynamic", p.dynamic},
         {"interval_s", p.interval_s},
         {"frozen", p.frozen},
         {"price_version", p.price_version},
         {"ticks", p.ticks},
         {"sections", std::move(sections)}};
  if (p.window_ends_at_ms > 0)
    j["window_ends_at"] = rfc3339(p.window_ends_at_ms);
  return j;
}

json published_pricing_json(const pricing_info& p) {
  json ladders = json::object();
  for (const auto& s : p.sections)
    ladders[s.section] = s.ladder;
  return {{"interval_s", p.interval_s}, {"frozen", p.frozen}, {"ladders", std::move(ladders)}};
}

json scan_json(const scan_info& s) {
  json j{{"result", s.result}};
  if (!s.ticket_id.empty()) {
    j["seat"] = s.seat;
    j["version"] = s.version;
  }
  return j;
}

} // namespace seatgrab::http
