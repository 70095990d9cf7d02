#include "domain/qr.hpp"

#include "messages/ec.hpp"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <png.h>
#include <qrencode.h>

namespace seatgrab::domain {

namespace {

struct qrcode_deleter {
  void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};

caf::error fail(std::string context) {
  return caf::make_error(ec::invalid_argument, std::move(context));
}

} // namespace

caf::expected<qr_matrix> qr_modules(std::string_view text) {
  if (text.empty())
    return fail("cannot encode empty text as a QR code");
  // Version 40 at level M holds 2331 bytes; the bound also keeps the size within an int.
  if (text.size() > 2331)
    return fail("text too long for a QR code");
  // 8-bit mode takes any bytes, NUL included; version 0 picks the smallest that fits.
  std::unique_ptr<QRcode, qrcode_deleter> code{
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M)};
  if (code == nullptr)
    return fail(errno == ERANGE ? "text too long for a QR code" : "QR encoding failed");
  auto width = static_cast<size_t>(code->width);
  qr_matrix result(width, std::vector<bool>(width));
  for (size_t y = 0; y < width; ++y)
    for (size_t x = 0; x < width; ++x)
      result[y][x] = (code->data[y * width + x] & 1) != 0; // bit 0: dark module
  return result;
}

caf::expected<std::string> qr_svg(std::string_view text) {
  auto modules = qr_modules(text);
  if (!modules)
    return std::move(modules.error());
  auto size = std::to_string(modules->size() + 2 * qr_quiet_zone);
  std::string out = R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )" + size + " " + size +
                    R"(" shape-rendering="crispEdges">)" + R"(<rect width=")" + size +
                    R"(" height=")" + size + R"(" fill="#fff"/><path fill="#000" d=")";
  // One rectangle per horizontal run of dark modules keeps the path short.
  for (size_t y = 0; y < modules->size(); ++y) {
    const auto& row = (*modules)[y];
    for (size_t x = 0; x < row.size();) {
      if (!row[x]) {
        ++x;
        continue;
      }
      auto start = x;
      while (x < row.size() && row[x])
        ++x;
      out += 'M' + std::to_string(start + qr_quiet_zone) + ' ' + std::to_string(y + qr_quiet_zone) +
             'h' + std::to_string(x - start) + "v1h-" + std::to_string(x - start) + 'z';
    }
  }
  out += R"("/></svg>)";
  return out;
}

caf::expected<std::vector<uint8_t>> qr_png(std::string_view text, int scale) {
  if (scale < 1 || scale > qr_max_scale)
    return fail("QR scale must be 1..32 pixels per module");
  auto modules = qr_modules(text);
  if (!modules)
    return std::move(modules.error());
  auto n = modules->size() + 2 * qr_quiet_zone;
  auto side = n * static_cast<size_t>(scale);
  std::vector<uint8_t> pixels(side * side, 0xff);
  for (size_t y = 0; y < modules->size(); ++y)
    for (size_t x = 0; x < modules->size(); ++x)
      if ((*modules)[y][x])
        for (size_t py = 0; py < static_cast<size_t>(scale); ++py) {
          auto* row = &pixels[((y + qr_quiet_zone) * scale + py) * side];
          std::fill_n(row + (x + qr_quiet_zone) * scale, scale, uint8_t{0});
        }
  // libpng's simplified API: it keeps its setjmp/longjmp error handling inside C, so no
  // longjmp crosses our C++ frames (as it would with png_create_write_struct).
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(side);
  image.height = static_cast<png_uint_32>(side);
  image.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0, nullptr) == 0) {
    png_image_free(&image);
    return fail("PNG encoding failed");
  }
  std::vector<uint8_t> out(size);
  auto ok = png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr);
  png_image_free(&image);
  if (ok == 0)
    return fail("PNG encoding failed");
  out.resize(size);
  return out;
}

} // namespace seatgrab::domain
