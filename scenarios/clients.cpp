#include "scenarios/clients.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace seatgrab::scenarios {

namespace {

struct browser_kind {
  const char* platform;
  const char* user_agent;
  const char* screen;
  uint32_t cores;
  double hashes_per_ms; ///< SHA-256 in a Web Worker
};

// What people use: desktops and phones, with their browsers' own agents.
constexpr std::array<browser_kind, 5> browsers{{
    {"Win32",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36",
     "1920x1080x24", 8, 1000},
    {"MacIntel",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Safari/605.1.15",
     "1512x982x30", 10, 1200},
    {"iPhone",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
     "393x852x32", 6, 400},
    {"Linux armv81",
     "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36",
     "412x915x24", 8, 300},
    {"Win32", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
     "2560x1440x24", 12, 900},
}};

constexpr std::array<std::pair<const char*, const char*>, 5> locales{{
    {"de-DE,de,en", "de-DE,de;q=0.9,en;q=0.8"},
    {"en-US,en", "en-US,en;q=0.9"},
    {"fr-FR,fr,en", "fr-FR,fr;q=0.9,en;q=0.7"},
    {"en-GB,en", "en-GB,en;q=0.9"},
    {"es-ES,es", "es-ES,es;q=0.9"},
}};

constexpr std::array<const char*, 5> zones{"Europe/Berlin", "America/New_York", "Europe/Paris",
                                           "Europe/London", "Europe/Madrid"};

// A browser's fetch: the headers it sends, in its order.
std::vector<std::string> browser_order() {
  return {
      "host",           "connection",      "content-length",  "sec-ch-ua",      "user-agent",
      "content-type",   "accept",          "origin",          "sec-fetch-site", "sec-fetch-mode",
      "sec-fetch-dest", "accept-encoding", "accept-language", "authorization"};
}

// An HTTP library's: no Sec-Fetch-*.
std::vector<std::string> script_order() {
  return {"host",           "user-agent",   "accept-encoding", "accept",         "connection",
          "content-length", "content-type", "authorization",   "accept-language"};
}

std::string hex(uint64_t x) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, x >>= 4)
    out[static_cast<size_t>(i)] = digits[x & 0xf];
  return out;
}

bool has(const std::vector<std::string>& tactics, const char* t) {
  return std::find(tactics.begin(), tactics.end(), t) != tactics.end();
}

} // namespace

std::string card_number(uint64_t n) {
  // "4" + 14 digits of n, then the Luhn check digit.
  std::string body = "4";
  auto digits = std::to_string(n % 100'000'000'000'000ULL);
  body += std::string(14 - digits.size(), '0') + digits;
  int sum = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    int d = body[body.size() - 1 - i] - '0';
    if (i % 2 == 0) { // doubled: the check digit will be the rightmost
      d *= 2;
      if (d > 9)
        d -= 9;
    }
    sum += d;
  }
  auto card = body + static_cast<char>('0' + (10 - sum % 10) % 10);
  return card == "4000000000000002" ? card_number(n + 1) : card;
}

std::vector<client> make_clients(const scenario& s, uint64_t seed) {
  std::mt19937_64 rng{seed ^ 0x5eed'c11e'47ULL};
  auto chance = [&](double p) { return static_cast<double>(rng() % 1'000'000) < p * 1e6; };
  std::vector<client> out;
  uint32_t bots = 0;
  for (const auto& f : s.farms)
    bots += f.bots;
  out.reserve(s.fans + bots);
  // People: a browser each, a locale, an address of their own (some share one behind a
  // campus or mobile carrier's NAT, a /24 at a time), a card of their own.
  uint32_t shared_group = 0;
  for (uint32_t i = 0; i < s.fans; ++i) {
    client c;
    const auto& b = browsers[rng() % browsers.size()];
    auto loc = rng() % locales.size();
    c.device = "dev-f" + std::to_string(i + 1);
    c.traits.user_agent = b.user_agent;
    c.traits.accept_language = locales[loc].second;
    c.traits.header_order = browser_order();
    if (!chance(s.human_no_signals)) {
      c.signals.screen = b.screen;
      c.signals.timezone = zones[loc];
      c.signals.languages = locales[loc].first;
      c.signals.platform = b.platform;
      // The drawing differs with the graphics stack: a few hundred variants a browser kind.
      c.signals.canvas = hex(rng() % 400 + 1);
      c.signals.audio = hex(rng() % 50 + 1);
      c.signals.hardware_concurrency = b.cores;
      if (chance(s.human_language_mismatch)) // an extension or a borrowed laptop
        c.signals.languages = locales[(loc + 1) % locales.size()].first;
    }
    if (chance(s.human_shared_prefix)) {
      // Eight to a shared /24.
      auto g = shared_group++ / 8;
      c.address = "100.64." + std::to_string(g % 256) + "." + std::to_string(1 + rng() % 250);
    } else {
      c.address = "10." + std::to_string(1 + i / 256 % 250) + "." + std::to_string(i % 256) + "." +
                  std::to_string(1 + rng() % 250);
    }
    c.card = card_number(1'000'000 + i);
    c.hashes_per_ms = b.hashes_per_ms;
    c.rtt_ms = 20 + static_cast<uint32_t>(rng() % 130);
    c.step_up_rate = s.human_step_up_rate;
    c.step_up_tries = 5;
    out.push_back(std::move(c));
  }
  // Bots: scripts claiming Chrome, one captured set of signals per farm.
  uint32_t n = 0;
  for (uint32_t f = 0; f < s.farms.size(); ++f) {
    const auto& farm = s.farms[f];
    const auto& b = browsers[0];
    security::device_signals replayed{b.screen,      "America/New_York", "en-US,en", b.platform,
                                      hex(9000 + f), hex(900 + f),       b.cores};
    for (uint32_t k = 0; k < farm.bots; ++k, ++n) {
      client c;
      c.bot = true;
      c.farm = f;
      c.device = has(farm.tactics, "shared_device")
                     ? "farm-" + std::to_string(f)
                     : "b" + std::to_string(n) + "-" + hex(rng() & 0xffffffff);
      c.signals = replayed;
      c.traits.user_agent = b.user_agent;
      c.traits.accept_language = "en-US,en;q=0.9";
      c.traits.header_order = script_order();
      // Rotating farms sit on one /24; the others spread over a few.
      auto spread = has(farm.tactics, "rotate_devices") ? 0 : k % 8;
      c.address = "198.18." + std::to_string(f * 8 + spread) + "." + std::to_string(1 + k % 250);
      c.card = has(farm.tactics, "shared_card") ? card_number(9'000'000 + f)
                                                : card_number(8'000'000 + n);
      c.native_solver = has(farm.tactics, "fast_solver");
      c.hashes_per_ms = c.native_solver ? 50'000 : 1000;
      c.rtt_ms = c.native_solver ? 1 : 30;
      c.step_up_rate = s.bot_step_up_rate;
      c.step_up_tries = s.bot_step_up_tries;
      c.polls_per_s = has(farm.tactics, "hammer_status") ? s.hammer_per_s : 0;
      out.push_back(std::move(c));
    }
  }
  return out;
}

int64_t solve_ms(const client& c, uint32_t bits, std::mt19937_64& rng) {
  if (bits == 0)
    return c.rtt_ms;
  // The hashes needed are geometric with mean 2^bits.
  auto u = static_cast<double>(rng() % 1'000'000 + 1) / 1e6;
  auto hashes = -std::log(u) * std::ldexp(1.0, static_cast<int>(bits));
  return c.rtt_ms + static_cast<int64_t>(hashes / c.hashes_per_ms);
}

} // namespace seatgrab::scenarios
