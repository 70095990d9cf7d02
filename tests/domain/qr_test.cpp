// Tests of QR rendering: the module matrix has the three finder patterns, the SVG has one path
// and the right viewBox, the PNG decodes (libpng) to the matrix pixel by pixel, and, when built
// with zbar (SEATGRAB_HAVE_ZBAR), a ticket code survives encode -> PNG -> zbar decode -> verify.
#include "domain/qr.hpp"
#include "domain/ticket.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <png.h>

#ifdef SEATGRAB_HAVE_ZBAR
#include <zbar.h>
#endif

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using seatgrab::ec;
using namespace seatgrab::domain;

namespace {

constexpr std::string_view sample_text =
    "T1.AAd0ay0xMDAxAAVldi00MgAGQS0xMi03AAZhY2N0LTcAAAABAAABi8_Kp0A.signature-goes-here";

ec code_of(const caf::error& err) {
  REQUIRE(err.category() == caf::atom("seatgrab"));
  return static_cast<ec>(err.code());
}

qr_matrix modules_of(std::string_view text) {
  auto m = qr_modules(text);
  REQUIRE(m);
  return *m;
}

// The 7x7 finder pattern with its top-left corner at (row, col): dark ring, light ring, 3x3 dark.
bool finder_at(const qr_matrix& m, size_t row, size_t col) {
  for (size_t y = 0; y < 7; ++y)
    for (size_t x = 0; x < 7; ++x) {
      auto ring = std::max(y > 3 ? y - 3 : 3 - y, x > 3 ? x - 3 : 3 - x); // 0 = centre
      bool dark = ring != 2;
      if (m[row + y][col + x] != dark)
        return false;
    }
  return true;
}

struct gray_image {
  size_t width = 0;
  size_t height = 0;
  std::vector<uint8_t> pixels;
};

std::optional<gray_image> decode_png(const std::vector<uint8_t>& png) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&image, png.data(), png.size()) == 0)
    return std::nullopt;
  image.format = PNG_FORMAT_GRAY;
  gray_image out{image.width, image.height, std::vector<uint8_t>(PNG_IMAGE_SIZE(image))};
  if (png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr) == 0) {
    png_image_free(&image);
    return std::nullopt;
  }
  return out;
}

size_t count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (auto i = haystack.find(needle); i != std::string_view::npos;
       i = haystack.find(needle, i + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("qr_modules: finder patterns at three corners, none at the fourth") {
  for (std::string_view text : {std::string_view{"x"}, sample_text}) {
    auto m = modules_of(text);
    auto n = m.size();
    REQUIRE(n >= 21);
    CHECK((n - 17) % 4 == 0); // version v has 17 + 4v modules
    for (const auto& row : m)
      REQUIRE(row.size() == n);
    CHECK(finder_at(m, 0, 0));
    CHECK(finder_at(m, 0, n - 7));
    CHECK(finder_at(m, n - 7, 0));
    CHECK_FALSE(finder_at(m, n - 7, n - 7));
    // Separators: the light row and column inside each finder's corner.
    for (size_t i = 0; i < 8; ++i) {
      CHECK_FALSE(m[7][i]);
      CHECK_FALSE(m[i][7]);
      CHECK_FALSE(m[7][n - 1 - i]);
      CHECK_FALSE(m[n - 8][i]);
    }
    // Timing pattern between the top finders alternates.
    for (size_t x = 8; x < n - 8; ++x)
      CHECK(m[6][x] == (x % 2 == 0));
  }
  // Longer text needs a bigger symbol; different text gives different modules.
  CHECK(modules_of(std::string(300, 'a')).size() > modules_of("x").size());
  CHECK(modules_of("ticket-a") != modules_of("ticket-b"));
}

TEST_CASE("qr_modules: empty or oversized text fails") {
  auto empty = qr_modules("");
  REQUIRE_FALSE(empty);
  CHECK(code_of(empty.error()) == ec::invalid_argument);
  auto huge = qr_modules(std::string(3000, 'a'));
  REQUIRE_FALSE(huge);
  CHECK(code_of(huge.error()) == ec::invalid_argument);
  CHECK(qr_modules(std::string(2331, '\x01'))); // the byte-mode capacity at level M
  CHECK_FALSE(qr_modules(std::string(2332, '\x01')));
}

TEST_CASE("qr_svg: one path, quiet zone in the viewBox, crisp edges") {
  auto m = modules_of(sample_text);
  auto svg = qr_svg(sample_text);
  REQUIRE(svg);
  auto size = std::to_string(m.size() + 2 * qr_quiet_zone);
  CHECK(svg->starts_with("<svg "));
  CHECK(svg->ends_with("</svg>"));
  CHECK(svg->find(R"(viewBox="0 0 )" + size + " " + size + R"(")") != std::string::npos);
  CHECK(svg->find(R"(shape-rendering="crispEdges")") != std::string::npos);
  CHECK(count(*svg, "<path") == 1);
  // The top-left finder's top edge: a run of 7 dark modules starting at the quiet zone.
  CHECK(svg->find("M4 4h7v1h-7z") != std::string::npos);
  // Each dark module is covered by exactly one run: the run lengths add up.
  size_t dark = 0;
  for (const auto& row : m)
    for (bool b : row)
      dark += b ? 1 : 0;
  auto d_at = svg->find(" d=\"", svg->find("<path"));
  REQUIRE(d_at != std::string::npos);
  auto d = svg->substr(d_at + 4, svg->find('"', d_at + 4) - d_at - 4);
  size_t covered = 0;
  for (auto i = d.find('h'); i != std::string::npos; i = d.find('h', i + 1))
    if (d[i + 1] != '-')
      covered += std::stoul(d.substr(i + 1));
  CHECK(covered == dark);
  CHECK_FALSE(qr_svg(""));
}

TEST_CASE("qr_png: signature, size and pixels match the modules") {
  auto m = modules_of(sample_text);
  for (int scale : {1, 3, 8}) {
    CAPTURE(scale);
    auto png = qr_png(sample_text, scale);
    REQUIRE(png);
    const std::vector<uint8_t> signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    REQUIRE(png->size() > signature.size());
    CHECK(std::vector<uint8_t>(png->begin(), png->begin() + 8) == signature);
    auto image = decode_png(*png);
    REQUIRE(image);
    auto side = (m.size() + 2 * qr_quiet_zone) * static_cast<size_t>(scale);
    CHECK(image->width == side);
    CHECK(image->height == side);
    auto pixel = [&](size_t px, size_t py) { return image->pixels[py * image->width + px]; };
    // Every module, sampled at its centre, and the corners of the quiet zone.
    auto s = static_cast<size_t>(scale);
    for (size_t y = 0; y < m.size(); ++y)
      for (size_t x = 0; x < m.size(); ++x) {
        auto v = pixel((x + qr_quiet_zone) * s + s / 2, (y + qr_quiet_zone) * s + s / 2);
        REQUIRE(v == (m[y][x] ? 0 : 255));
      }
    for (size_t i = 0; i < qr_quiet_zone * s; ++i) {
      CHECK(pixel(i, i) == 255);
      CHECK(pixel(side - 1 - i, side - 1 - i) == 255);
    }
  }
  CHECK_FALSE(qr_png(sample_text, 0));
  CHECK_FALSE(qr_png(sample_text, qr_max_scale + 1));
  CHECK(qr_png(sample_text, qr_max_scale));
  CHECK_FALSE(qr_png(""));
}

#ifdef SEATGRAB_HAVE_ZBAR
namespace {

using namespace zbar; // zbar.h declares its C API inside namespace zbar for C++

// Scans an 8-bit grayscale image with zbar; the texts of all QR symbols found.
std::vector<std::string> zbar_decode(const gray_image& image) {
  std::vector<std::string> result;
  auto* scanner = zbar_image_scanner_create();
  zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  auto* img = zbar_image_create();
  zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
  zbar_image_set_size(img, static_cast<unsigned>(image.width), static_cast<unsigned>(image.height));
  zbar_image_set_data(img, image.pixels.data(), image.pixels.size(), nullptr);
  if (zbar_scan_image(scanner, img) > 0)
    for (auto* sym = zbar_image_first_symbol(img); sym != nullptr; sym = zbar_symbol_next(sym))
      if (zbar_symbol_get_type(sym) == ZBAR_QRCODE)
        result.emplace_back(zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym));
  zbar_image_destroy(img);
  zbar_image_scanner_destroy(scanner);
  return result;
}

} // namespace

TEST_CASE("qr round trip: ticket code -> PNG -> zbar decode -> gate verifier") {
  constexpr int64_t now = 1'700'000'010'000;
  auto key = seatgrab::security::ed25519_key::generate();
  REQUIRE(key);
  auto rotation = rotation_key::generate();
  REQUIRE(rotation);
  ticket_payload ticket{"tk-1001", "ev-42", "A-12-7", "acct-7", 2, now};
  const rotation_key* rotating = &*rotation;
  for (const rotation_key* rot : {static_cast<const rotation_key*>(nullptr), rotating}) {
    auto code = make_code(*key, ticket, rot, now);
    REQUIRE(code);
    auto png = qr_png(*code, 4);
    REQUIRE(png);
    auto image = decode_png(*png);
    REQUIRE(image);
    auto texts = zbar_decode(*image);
    REQUIRE(texts.size() == 1);
    CHECK(texts[0] == *code);
    std::optional<rotation_key> gate_rotation;
    if (rot != nullptr)
      gate_rotation = *rot;
    gate_verifier gate{"ev-42", key->public_bytes(), gate_rotation};
    CHECK(gate.check(texts[0], now) == scan_result::valid);
  }
}
#endif
