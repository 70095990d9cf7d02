#include "app/venue_cmd.hpp"

#include "domain/venue.hpp"
#include "messages/ec.hpp"

#include <fstream>
#include <iostream>

namespace seatgrab::app {

int venue_generate(const venue_generate_options& opts) {
  auto v = opts.kind == "theatre"
               ? domain::generate_theatre()
               : domain::generate_stadium({opts.sections, opts.rows, opts.seats_per_row});
  auto json = domain::to_json(v);
  if (opts.out.empty()) {
    std::cout << json;
    return 0;
  }
  std::ofstream out{opts.out};
  out << json;
  out.close();
  if (!out) {
    std::cerr << "seatgrab: cannot write " << opts.out.string() << '\n';
    return 1;
  }
  std::cerr << "wrote " << opts.out.string() << ": " << v.sections.size() << " sections, "
            << v.seat_count() << " seats\n";
  return 0;
}

int venue_validate(const std::filesystem::path& file) {
  auto v = domain::load_venue_file(file);
  if (!v) {
    std::cerr << "seatgrab: " << render(v.error()) << '\n';
    return 1;
  }
  std::cout << file.string() << ": venue " << v->id << ", " << v->sections.size() << " sections, "
            << v->seat_count() << " seats: ok\n";
  return 0;
}

} // namespace seatgrab::app
