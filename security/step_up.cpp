#include "security/step_up.hpp"

#include "security/encoding.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <numbers>
#include <vector>

namespace seatgrab::security {

namespace {

constexpr size_t code_digits = 5;

// Digits as strokes on a 4 x 6 grid: each a list of polylines of (x, y) points.
using stroke = std::vector<std::pair<int, int>>;
const std::array<std::vector<stroke>, 10>& glyphs() {
  static const std::array<std::vector<stroke>, 10> g{{
      {{{0, 0}, {4, 0}, {4, 6}, {0, 6}, {0, 0}}, {{0, 6}, {4, 0}}},
      {{{1, 1}, {2, 0}, {2, 6}}, {{1, 6}, {3, 6}}},
      {{{0, 0}, {4, 0}, {4, 3}, {0, 3}, {0, 6}, {4, 6}}},
      {{{0, 0}, {4, 0}, {4, 6}, {0, 6}}, {{1, 3}, {4, 3}}},
      {{{0, 0}, {0, 3}, {4, 3}}, {{3, 0}, {3, 6}}},
      {{{4, 0}, {0, 0}, {0, 3}, {4, 3}, {4, 6}, {0, 6}}},
      {{{4, 0}, {0, 0}, {0, 6}, {4, 6}, {4, 3}, {0, 3}}},
      {{{0, 0}, {4, 0}, {1, 6}}},
      {{{0, 0}, {4, 0}, {4, 6}, {0, 6}, {0, 0}}, {{0, 3}, {4, 3}}},
      {{{4, 3}, {0, 3}, {0, 0}, {4, 0}, {4, 6}, {0, 6}}},
  }};
  return g;
}

constexpr std::array<std::string_view, 21> number_words{
    "zero",     "one",     "two",     "three",     "four",     "five",     "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};

// A small deterministic generator over a digest (splitmix64).
class draw {
public:
  explicit draw(const sha256_digest& d) {
    for (size_t i = 0; i < 8; ++i)
      state_ = (state_ << 8) | d[i];
  }
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi].
  double real(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) / static_cast<double>(1ULL << 53);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }

private:
  uint64_t state_ = 0;
};

struct parsed_token {
  std::string_view id;
  int64_t expires = 0;
  std::string_view mac;
};

std::optional<parsed_token> parse(std::string_view token) {
  auto a = token.find('.');
  auto b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos)
    return std::nullopt;
  parsed_token t{token.substr(0, a), 0, token.substr(b + 1)};
  if (t.id.size() != 16 || t.mac.size() != 32)
    return std::nullopt;
  for (char c : t.id)
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
  auto exp = token.substr(a + 1, b - a - 1);
  auto [end, err] = std::from_chars(exp.data(), exp.data() + exp.size(), t.expires);
  if (err != std::errc{} || end != exp.data() + exp.size() || t.expires <= 0)
    return std::nullopt;
  return t;
}

// What the id draws: the image's digits, the sum's two terms and its wording.
struct puzzle {
  std::string digits;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t wording = 0;
};

std::string normalize(std::string_view answer) {
  std::string out;
  for (char c : answer)
    if (!std::isspace(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool equal(std::string_view x, std::string_view y) {
  return x.size() == y.size() && CRYPTO_memcmp(x.data(), y.data(), x.size()) == 0;
}

} // namespace

std::string step_up::mac(std::string_view id, int64_t expires, std::string_view subject) const {
  std::string payload = "step-up|";
  payload += id;
  payload += '|';
  payload += std::to_string(expires);
  payload += '|';
  payload += subject;
  auto m = hmac_sha256(key_, payload);
  if (!m)
    return "-"; // matches no token (hex)
  return hex_encode(std::string_view{reinterpret_cast<const char*>(m->data()), 16});
}

namespace {

puzzle puzzle_of(std::string_view key, std::string_view id) {
  auto d = hmac_sha256(key, "step-up-puzzle|" + std::string{id});
  sha256_digest digest{};
  if (d)
    digest = *d;
  draw rng{digest};
  puzzle p;
  for (size_t i = 0; i < code_digits; ++i)
    p.digits += static_cast<char>('0' + rng.below(10));
  p.a = 2 + rng.below(18);
  p.b = 2 + rng.below(18);
  p.wording = rng.below(3);
  return p;
}

std::string svg_of(std::string_view key, std::string_view id, const std::string& digits) {
  auto d = hmac_sha256(key, "step-up-image|" + std::string{id});
  sha256_digest digest{};
  if (d)
    digest = *d;
  draw rng{digest};
  constexpr int width = 220;
  constexpr int height = 80;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
                    std::to_string(width) + " " + std::to_string(height) +
                    "\" role=\"img\" aria-label=\"Five digits to type; a text alternative is "
                    "offered\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>";
  auto pt = [](double x, double y) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f %.1f", x, y);
    return std::string{buf};
  };
  // Noise first and after, so that strokes cross the digits.
  auto noise = [&](int n) {
    for (int i = 0; i < n; ++i) {
      svg += "<path d=\"M" + pt(rng.real(0, width), rng.real(0, height)) + " Q" +
             pt(rng.real(0, width), rng.real(0, height)) + " " +
             pt(rng.real(0, width), rng.real(0, height)) + "\" stroke=\"#555\" stroke-width=\"" +
             std::to_string(1 + rng.below(2)) + "\" fill=\"none\"/>";
    }
  };
  noise(4);
  for (size_t i = 0; i < digits.size(); ++i) {
    double scale = rng.real(6.5, 8.5);
    double angle = rng.real(-0.35, 0.35);
    double ox = 18 + static_cast<double>(i) * 40 + rng.real(-4, 4);
    double oy = 16 + rng.real(-6, 6);
    double c = std::cos(angle);
    double s = std::sin(angle);
    for (const auto& line : glyphs()[static_cast<size_t>(digits[i] - '0')]) {
      std::string path;
      for (auto [gx, gy] : line) {
        double x = gx * scale + rng.real(-1.5, 1.5);
        double y = gy * scale + rng.real(-1.5, 1.5);
        path += (path.empty() ? "M" : " L") + pt(ox + x * c - y * s, oy + x * s + y * c);
      }
      svg += "<path d=\"" + path +
             "\" stroke=\"#111\" stroke-width=\"3\" fill=\"none\" "
             "stroke-linecap=\"round\" stroke-linejoin=\"round\"/>";
    }
  }
  noise(3);
  svg += "</svg>";
  return svg;
}

std::string question_of(const puzzle& p) {
  auto a = number_words[p.a];
  auto b = number_words[p.b];
  switch (p.wording) {
  case 0:
    return "What is " + std::string{a} + " plus " + std::string{b} + "? Answer in digits.";
  case 1:
    return "Add " + std::string{a} + " and " + std::string{b} + ". Type the result in digits.";
  default:
    return "If you have " + std::string{a} + " tickets and get " + std::string{b} +
           " more, how many do you have? Answer in digits.";
  }
}

} // namespace

step_up_challenge step_up::issue(std::string_view subject, int64_t now_ms) const {
  auto id = random_hex(8);
  if (id.empty())
    id = "0000000000000000"; // the generator failed: a challenge nobody can reuse anyway
  auto expires = now_ms + ttl_ms;
  step_up_challenge out;
  out.token = id + "." + std::to_string(expires) + "." + mac(id, expires, subject);
  out.expires_at_ms = expires;
  out.question = question_of(puzzle_of(key_, id));
  return out;
}

std::optional<std::string> step_up::image(std::string_view token) const {
  auto t = parse(token);
  if (!t)
    return std::nullopt;
  return svg_of(key_, t->id, puzzle_of(key_, t->id).digits);
}

std::optional<std::string> step_up::question(std::string_view token) const {
  auto t = parse(token);
  if (!t)
    return std::nullopt;
  return question_of(puzzle_of(key_, t->id));
}

std::optional<std::pair<std::string, std::string>> step_up::answers(std::string_view token) const {
  auto t = parse(token);
  if (!t)
    return std::nullopt;
  auto p = puzzle_of(key_, t->id);
  return std::pair{p.digits, std::to_string(p.a + p.b)};
}

std::optional<std::string> step_up::solve_question(std::string_view question) {
  uint32_t sum = 0;
  int found = 0;
  std::string word;
  auto flush = [&] {
    for (size_t n = 0; n < number_words.size(); ++n)
      if (word == number_words[n]) {
        sum += static_cast<uint32_t>(n);
        ++found;
      }
    word.clear();
  };
  for (char c : question) {
    if (std::isalpha(static_cast<unsigned char>(c)))
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else
      flush();
  }
  flush();
  if (found != 2)
    return std::nullopt;
  return std::to_string(sum);
}

challenge_check step_up::check(std::string_view token, std::string_view answer,
                               std::string_view subject, int64_t now_ms) {
  challenge_check out;
  auto t = parse(token);
  if (!t) {
    out.reason = "malformed step-up challenge";
    return out;
  }
  if (!equal(mac(t->id, t->expires, subject), t->mac)) {
    out.reason = "forged step-up challenge, or another's";
    return out;
  }
  if (t->expires <= now_ms) {
    out.reason = "step-up challenge expired";
    return out;
  }
  auto p = puzzle_of(key_, t->id);
  auto given = normalize(answer);
  bool right = equal(given, p.digits) || equal(given, std::to_string(p.a + p.b));
  std::lock_guard lock{mtx_};
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_ms) {
    spent_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  if (spent_.count(t->id) != 0) {
    out.reason = "step-up challenge used before";
    return out;
  }
  if (spent_.size() >= max_spent) {
    out.reason = "too many step-up challenges at once; try again shortly";
    return out;
  }
  // A wrong answer spends the challenge too: no guessing at the same one.
  spent_.emplace(std::string{t->id}, t->expires);
  by_expiry_.emplace(t->expires, std::string{t->id});
  if (!right) {
    out.reason = "wrong answer to the step-up challenge";
    return out;
  }
  out.ok = true;
  out.issued_at_ms = t->expires - ttl_ms;
  return out;
}

} // namespace seatgrab::security
