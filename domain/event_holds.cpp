#include "domain/event_holds.hpp"

#include "messages/ec.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace seatgrab::domain {

bool refused(const caf::error& err) {
  for (auto code : {ec::seat_taken, ec::unknown_seat, ec::duplicate_seat, ec::too_many_seats,
                    ec::no_seats_available, ec::invalid_argument, ec::hold_expired})
    if (err == code)
      return true;
  return false;
}

namespace {

// Several sections may each report taken seats; the fan gets them all in one error.
caf::error merge_hold_errors(const std::vector<caf::error>& errors) {
  std::string taken;
  for (const auto& err : errors) {
    if (err == ec::seat_taken && err.context().match_element<std::string>(0)) {
      if (!taken.empty())
        taken += ',';
      taken += err.context().get_as<std::string>(0);
    }
  }
  if (!taken.empty())
    return caf::make_error(ec::seat_taken, std::move(taken));
  return errors.front();
}

hold_receipt to_receipt(const hold_request& req, std::vector<hold_part> parts) {
  hold_receipt receipt;
  receipt.hold_id = req.hold_id;
  receipt.holder = req.holder;
  receipt.expires_at_ms = parts.empty() ? 0 : parts.front().expires_at_ms;
  for (const auto& p : parts) {
    for (const auto& s : p.seats)
      receipt.total += s.price;
    receipt.expires_at_ms = std::min(receipt.expires_at_ms, p.expires_at_ms);
  }
  receipt.parts = std::move(parts);
  return receipt;
}

} // namespace

event_holds::event_holds(std::shared_ptr<const venue> v, uint32_t max_seats_per_hold)
    : venue_(std::move(v)), max_seats_(max_seats_per_hold) {
  for (uint32_t i = 0; i < venue_->sections.size(); ++i)
    for (const auto& r : venue_->sections[i].rows)
      for (const auto& s : r.seats)
        section_of_seat_.emplace(s.id, i);
}

caf::error event_holds::too_many() const {
  return caf::make_error(ec::too_many_seats,
                         "at most " + std::to_string(max_seats_) + " seats per hold");
}

caf::expected<std::vector<hold_request>> event_holds::split(const hold_request& req) const {
  if (req.seats.empty()) { // best available, in one section
    if (venue_->find_section(req.section) == nullptr)
      return caf::make_error(ec::unknown_section, req.section);
    if (req.quantity > max_seats_)
      return too_many();
    auto part = req;
    part.sections = {req.section};
    return std::vector<hold_request>{std::move(part)};
  }
  if (req.seats.size() > max_seats_)
    return too_many();
  std::map<std::string, std::vector<std::string>> groups; // section id order
  std::set<std::string_view> seen;
  for (const auto& seat : req.seats) {
    auto section = section_of(seat);
    if (section == nullptr)
      return caf::make_error(ec::unknown_seat, seat);
    if (!seen.insert(seat).second)
      return caf::make_error(ec::duplicate_seat, seat);
    groups[*section].push_back(seat);
  }
  std::vector<std::string> sections;
  for (const auto& [section, seats] : groups)
    sections.push_back(section);
  std::vector<hold_request> parts;
  for (auto& [section, seats] : groups)
    parts.push_back(hold_request{req.hold_id, req.holder, std::move(seats), section, 0, req.key,
                                 sections, req.price_cap});
  return parts;
}

hold_decision event_holds::decide_hold(const hold_request& req, std::vector<hold_part> placed,
                                       const std::vector<caf::error>& errors,
                                       const std::vector<std::string>& failed) const {
  hold_decision out;
  if (errors.empty()) {
    out.reply = to_receipt(req, std::move(placed));
    return out;
  }
  for (const auto& part : placed)
    out.release_in.push_back(part.section);
  for (size_t i = 0; i < errors.size(); ++i)
    if (!refused(errors[i]))
      out.release_in.push_back(failed[i]);
  out.reply = merge_hold_errors(errors);
  return out;
}

sale_decision event_holds::decide_sale(const std::string& hold_id, const std::string& order_id,
                                       const std::vector<sale_receipt>& sold,
                                       const std::vector<caf::error>& errors) const {
  sale_decision out;
  if (errors.empty()) {
    sale_receipt all{hold_id, order_id, {}, 0};
    for (const auto& r : sold) {
      all.seats.insert(all.seats.end(), r.seats.begin(), r.seats.end());
      all.total += r.total;
    }
    out.reply = std::move(all);
    return out;
  }
  for (const auto& err : errors)
    if (!refused(err) && err != ec::hold_not_found && err != ec::not_holder) {
      out.reply = caf::make_error(ec::unavailable, "a section did not answer: " + render(err));
      return out;
    }
  for (const auto& r : sold)
    for (const auto& s : r.seats)
      if (auto section = section_of(s.seat))
        out.refund.emplace_back(s.seat, *section);
  out.reply = errors.front();
  return out;
}

caf::error event_holds::merge_refund_errors(const std::vector<caf::error>& errors) {
  for (const auto& err : errors)
    if (err != ec::seat_not_sold && err != ec::not_holder)
      return err;
  return {};
}

caf::expected<std::vector<std::string>>
event_holds::sections_of(const std::vector<std::string>& seats) const {
  std::vector<std::string> sections;
  for (const auto& seat : seats) {
    auto section = section_of(seat);
    if (section == nullptr)
      return caf::make_error(ec::unknown_seat, seat);
    sections.push_back(*section);
  }
  return sections;
}

const std::string* event_holds::section_of(std::string_view seat) const {
  auto i = section_of_seat_.find(std::string{seat});
  return i == section_of_seat_.end() ? nullptr : &venue_->sections[i->second].id;
}

std::vector<std::string> event_holds::sections() const {
  std::vector<std::string> ids;
  for (const auto& sec : venue_->sections)
    ids.push_back(sec.id);
  return ids;
}

event_map event_holds::merge_maps(const std::string& event_id,
                                  std::vector<section_map> maps) const {
  event_map map{event_id, 0, {}, 0};
  std::map<std::string, section_map> by_id;
  for (auto& m : maps)
    by_id.emplace(m.section, std::move(m));
  for (auto& [id, m] : by_id) {
    map.version += m.version;
    map.price_version = std::max(map.price_version, m.price_version);
  }
  for (const auto& sec : venue_->sections)
    map.sections.push_back(std::move(by_id[sec.id]));
  return map;
}

} // namespace seatgrab::domain
