// bench_tickets: what issuing and checking a digital ticket costs.
//
// Ed25519 sign and verify rates (a ticket code is signed once at issue, verified at every
// gate scan), whole ticket codes made and checked, and QR rendering, against the HMAC-SHA256
// admission token (issue + verify) as the baseline measured in the same process. Each figure
// is the median of --runs runs of --seconds each.

#include "bench/bench_util.hpp"
#include "domain/qr.hpp"
#include "domain/ticket.hpp"
#include "security/admission_token.hpp"
#include "security/ticket_signature.hpp"

#include <cstdio>
#include <functional>
#include <string>

namespace sg = seatgrab;
using sg::bench::clock_type;
using sg::bench::median;
using sg::bench::seconds_since;

namespace {

// Calls `f` repeatedly for `seconds`; returns calls per second. `f` returns false on failure.
double rate(double seconds, const std::function<bool()>& f) {
  uint64_t n = 0;
  auto start = clock_type::now();
  while (seconds_since(start) < seconds) {
    for (int i = 0; i < 64; ++i) {
      if (!f()) {
        std::fprintf(stderr, "bench_tickets: an operation failed\n");
        std::exit(1);
      }
    }
    n += 64;
  }
  return static_cast<double>(n) / seconds_since(start);
}

} // namespace

int main(int argc, char** argv) {
  int runs = 3;
  double seconds = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--runs")
      runs = std::stoi(argv[i + 1]);
    else if (arg == "--seconds")
      seconds = std::stod(argv[i + 1]);
  }
  auto key = sg::security::ed25519_key::generate();
  sg::security::key_ring ring;
  if (!key || ring.add("k1", sg::security::key_ring::random_secret())) {
    std::fprintf(stderr, "bench_tickets: key setup failed\n");
    return 1;
  }
  const int64_t now_ms = sg::bench::epoch.time_since_epoch().count();
  sg::domain::ticket_payload ticket{"o1-0", "stadium-tour", "101-A-1", "a42", 1, now_ms};
  auto message = ticket.encode();
  auto signature = *key->sign(message);
  auto code = *sg::domain::make_code(*key, ticket, nullptr, now_ms);
  sg::domain::gate_verifier gate{"stadium-tour", key->public_bytes()};
  sg::security::admission_claims claims{"stadium-tour", "a42", "device-1", now_ms + 600'000};
  auto token = *sg::security::issue(ring, claims);

  struct row {
    const char* name;
    std::function<bool()> op;
  };
  const row rows[] = {
      {"admission token issue (HMAC)", [&] { return bool(sg::security::issue(ring, claims)); }},
      {"admission token verify (HMAC)",
       [&] {
         return bool(sg::security::verify(ring, token, "stadium-tour", "a42", "device-1", now_ms));
       }},
      {"Ed25519 sign", [&] { return bool(key->sign(message)); }},
      {"Ed25519 verify",
       [&] { return sg::security::ed25519_verify(key->public_bytes(), message, signature); }},
      {"ticket code make",
       [&] { return bool(sg::domain::make_code(*key, ticket, nullptr, now_ms)); }},
      {"ticket code check (gate)",
       [&] { return gate.check(code, now_ms) == sg::domain::scan_result::valid; }},
      {"QR SVG render", [&] { return bool(sg::domain::qr_svg(code)); }},
      {"QR PNG render (scale 8)", [&] { return bool(sg::domain::qr_png(code, 8)); }},
  };
  std::printf("bench_tickets: median of %d runs x %.1f s; baseline = admission token issue\n", runs,
              seconds);
  double baseline = 0;
  for (const auto& r : rows) {
    std::vector<double> xs;
    for (int i = 0; i < runs; ++i)
      xs.push_back(rate(seconds, r.op));
    auto m = median(xs);
    if (baseline == 0)
      baseline = m;
    std::printf("%-32s %12.0f /s %8.2fx\n", r.name, m, m / baseline);
  }
  return 0;
}
