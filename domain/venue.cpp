// The venue model: seat counts, lookups and the id rule. Its JSON form is venue_json.cpp, the
// generated venues venue_generators.cpp.
#include "domain/venue.hpp"

#include <algorithm>
#include <cstdio>

namespace seatgrab::domain {

namespace {

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_id_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
}

} // namespace

// -- venue --------------------------------------------------------------------

size_t section::seat_count() const {
  size_t n = 0;
  for (const auto& r : rows)
    n += r.seats.size();
  return n;
}

size_t venue::seat_count() const {
  size_t n = 0;
  for (const auto& s : sections)
    n += s.seat_count();
  return n;
}

const section* venue::find_section(std::string_view id) const {
  auto it =
      std::find_if(sections.begin(), sections.end(), [id](const section& s) { return s.id == id; });
  return it == sections.end() ? nullptr : &*it;
}

const price_tier* venue::find_tier(std::string_view id) const {
  auto it =
      std::find_if(tiers.begin(), tiers.end(), [id](const price_tier& t) { return t.id == id; });
  return it == tiers.end() ? nullptr : &*it;
}

bool valid_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= max_id_length && std::all_of(id.begin(), id.end(), is_id_char);
}

std::optional<std::string> id_problem(std::string_view id) {
  if (id.empty())
    return "must not be empty";
  if (id.size() > max_id_length)
    return "longer than " + std::to_string(max_id_length) + " bytes";
  auto bad = std::find_if_not(id.begin(), id.end(), is_id_char);
  if (bad == id.end())
    return std::nullopt;
  auto byte = static_cast<unsigned char>(*bad);
  char shown[16];
  if (byte == ' ')
    std::snprintf(shown, sizeof shown, "a space");
  else if (byte > 0x20 && byte < 0x7f)
    std::snprintf(shown, sizeof shown, "'%c'", *bad);
  else
    std::snprintf(shown, sizeof shown, "byte 0x%02X", byte);
  return std::string{"contains "} + shown + "; only A-Z a-z 0-9 . _ : - are allowed";
}

} // namespace seatgrab::domain
