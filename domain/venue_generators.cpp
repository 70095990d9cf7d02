// Generated venues: a stadium of any size and the fixed theatre, deterministic, with map
// positions in metres.
#include "domain/venue_generators.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <tuple>

namespace seatgrab::domain {

namespace {

// "A".."Z", then "AA", "AB", ... like spreadsheet columns.
std::string row_label(size_t index) {
  std::string label;
  for (++index; index > 0; index = (index - 1) / 26)
    label.insert(label.begin(), static_cast<char>('A' + (index - 1) % 26));
  return label;
}

// Centimetres are precise enough for a map and keep the files readable. Adding 0.0 turns -0.0
// into 0.0, which would print as "-0.0".
double round_cm(double metres) {
  return std::round(metres * 100) / 100 + 0.0;
}

seat make_seat(std::string_view section_id, std::string_view row_id, size_t index, double x,
               double y) {
  auto number = static_cast<uint32_t>(index + 1);
  seat s;
  s.id = std::string{section_id} + "-" + std::string{row_id} + "-" + std::to_string(number);
  s.number = number;
  s.x = round_cm(x);
  s.y = round_cm(y);
  return s;
}

// Ranks a section's seats 1..n: front rows first, and within a row the middle first; one row
// further back weighs as much as three seats further from the middle. Ties go to the front row,
// then to the lower seat number, so ranks are unique within the section.
void assign_ranks(section& s) {
  struct entry {
    size_t score;
    size_t row;
    size_t seat;
  };
  std::vector<entry> order;
  for (size_t r = 0; r < s.rows.size(); ++r) {
    auto n = s.rows[r].seats.size();
    for (size_t k = 0; k < n; ++k) {
      auto half_seats_off_middle = 2 * k > n - 1 ? 2 * k - (n - 1) : (n - 1) - 2 * k;
      order.push_back({r * 6 + half_seats_off_middle, r, k});
    }
  }
  std::sort(order.begin(), order.end(), [](const entry& a, const entry& b) {
    return std::tie(a.score, a.row, a.seat) < std::tie(b.score, b.row, b.seat);
  });
  for (size_t i = 0; i < order.size(); ++i)
    s.rows[order[i].row].seats[order[i].seat].rank = static_cast<uint32_t>(i + 1);
}

// The two seats at each end of a row: where wheelchair spaces go.
bool at_row_end(size_t index, size_t seats) {
  return index < 2 || index + 2 >= seats;
}

// A theatre row of `n` seats centred on x = 0 at depth `y` (metres from the stage), bowed
// backwards towards the sides.
row theatre_row(std::string_view section_id, size_t index, size_t n, double y, double bow) {
  constexpr double seat_width = 0.52;
  row r{row_label(index), {}};
  for (size_t k = 0; k < n; ++k) {
    auto x = (static_cast<double>(k) - static_cast<double>(n - 1) / 2) * seat_width;
    r.seats.push_back(make_seat(section_id, r.id, k, x, y + bow * x * x));
  }
  return r;
}

} // namespace

venue generate_stadium(const stadium_params& p) {
  venue v;
  v.id = "stadium";
  v.name = "Generated Stadium";
  v.tiers = {
      {"lower", "Lower Bowl", 12900}, {"club", "Club Level", 18900}, {"upper", "Upper Tier", 6900}};
  struct ring {
    char digit;
    const char* tier;
    uint32_t sections;
  };
  auto upper = p.sections * 2 / 5;
  auto club = p.sections / 5;
  const ring rings[] = {
      {'1', "lower", p.sections - upper - club}, {'2', "club", club}, {'3', "upper", upper}};
  // The field is an oval with these half-axes in metres; rings are concentric around it.
  constexpr double field_x = 65;
  constexpr double field_y = 45;
  constexpr double row_depth = 0.85;
  constexpr double concourse = 6; // between rings
  constexpr double aisle = 0.04;  // share of a section's arc left free at each side
  double offset = 8;              // row A of the lower ring, from the field's edge
  for (const auto& g : rings) {
    for (uint32_t i = 0; i < g.sections; ++i) {
      auto number = std::to_string(i + 1);
      section s;
      s.id = g.digit + (number.size() < 2 ? "0" + number : number);
      s.name = "Section " + s.id;
      s.tier = g.tier;
      auto wedge = 2 * std::numbers::pi / g.sections;
      for (uint32_t r = 0; r < p.rows; ++r) {
        row rw{row_label(r), {}};
        auto depth = offset + r * row_depth;
        for (uint32_t k = 0; k < p.seats_per_row; ++k) {
          auto share = aisle + (1 - 2 * aisle) * (k + 0.5) / p.seats_per_row;
          auto angle = wedge * (i + share);
          auto st = make_seat(s.id, rw.id, k, (field_x + depth) * std::cos(angle),
                              (field_y + depth) * std::sin(angle));
          st.accessible = r == 0 && at_row_end(k, p.seats_per_row);
          rw.seats.push_back(std::move(st));
        }
        s.rows.push_back(std::move(rw));
      }
      assign_ranks(s);
      v.sections.push_back(std::move(s));
    }
    offset += p.rows * row_depth + concourse;
  }
  return v;
}

venue generate_theatre() {
  venue v;
  v.id = "theatre";
  v.name = "Royal Theatre";
  v.tiers = {{"box", "Box", 12500}, {"premium", "Premium", 8500}, {"standard", "Standard", 5500}};
  // Stalls: 14 rows widening from 18 to 31 seats; wheelchair spaces at the ends of the back row,
  // which has level access from the foyer.
  section stalls{"stalls", "Stalls", "premium", {}};
  for (size_t r = 0; r < 14; ++r)
    stalls.rows.push_back(theatre_row(stalls.id, r, 18 + r, 3.0 + 0.9 * r, 0.01));
  auto& back_row = stalls.rows.back().seats;
  for (size_t k = 0; k < back_row.size(); ++k)
    back_row[k].accessible = at_row_end(k, back_row.size());
  // Circle: 6 rows of 20 to 25 seats, drawn behind the stalls.
  section circle{"circle", "Circle", "standard", {}};
  for (size_t r = 0; r < 6; ++r)
    circle.rows.push_back(theatre_row(circle.id, r, 20 + r, 18.0 + 1.0 * r, 0.012));
  // Boxes A and B on the left wall, C and D on the right; each is a row of four seats.
  section boxes{"boxes", "Boxes", "box", {}};
  for (size_t b = 0; b < 4; ++b) {
    row box{row_label(b), {}};
    auto x = b < 2 ? -9.5 : 9.5;
    for (size_t k = 0; k < 4; ++k)
      box.seats.push_back(make_seat(boxes.id, box.id, k, x, 4.0 + 3.0 * (b % 2) + 0.6 * k));
    boxes.rows.push_back(std::move(box));
  }
  for (auto* s : {&stalls, &circle, &boxes}) {
    assign_ranks(*s);
    v.sections.push_back(std::move(*s));
  }
  return v;
}

} // namespace seatgrab::domain
