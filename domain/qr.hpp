#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::domain {

/// A QR symbol's modules, row by row; `true` is dark. Square, without the quiet zone.
using qr_matrix = std::vector<std::vector<bool>>;

/// Light modules around the symbol that scanners need (ISO/IEC 18004), on every side.
inline constexpr int qr_quiet_zone = 4;

/// Largest `scale` (pixels per module) `qr_png` accepts; keeps a version-40 image under 6000 px.
inline constexpr int qr_max_scale = 32;

/// The modules of `text` encoded as 8-bit bytes with error correction level M (15 % of the
/// symbol may be damaged), in the smallest version that fits. Fails with
/// `ec::invalid_argument` for empty text or text too long for a QR code (2331 bytes at M).
[[nodiscard]] caf::expected<qr_matrix> qr_modules(std::string_view text);

/// `text` as an SVG image: viewBox of (modules + 8) units with the quiet zone, a white
/// background and one black `<path>` of unit-high rectangles, `shape-rendering="crispEdges"`.
/// Fails like `qr_modules`.
[[nodiscard]] caf::expected<std::string> qr_svg(std::string_view text);

/// `text` as an 8-bit grayscale PNG (black 0, white 255) of (modules + 8) * `scale` pixels
/// square. Fails like `qr_modules`, and with `ec::invalid_argument` for a scale outside
/// 1..`qr_max_scale` or if libpng fails.
[[nodiscard]] caf::expected<std::vector<uint8_t>> qr_png(std::string_view text, int scale = 8);

} // namespace seatgrab::domain
