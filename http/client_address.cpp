#include "http/client_address.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

#include <array>
#include <charconv>

namespace seatgrab::http {

namespace ip = boost::asio::ip;

namespace {

std::optional<ip::address> address_of(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  // Proxies that add the client's port: "[2001:db8::1]:443", "198.51.100.7:5678".
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (auto colon = text.find(':'); colon != std::string_view::npos &&
                                          text.find(':', colon + 1) == std::string_view::npos) {
    text = text.substr(0, colon); // one colon: IPv4 and a port
  }
  boost::system::error_code ec;
  auto a = ip::make_address(std::string{text}, ec);
  if (ec)
    return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return ip::address{ip::make_address_v4(ip::v4_mapped, a.to_v6())};
  return a;
}

// Whether the first `bits` bits of `x` and `y` (same family) agree.
template <size_t N>
bool same_prefix(const std::array<unsigned char, N>& x, const std::array<unsigned char, N>& y,
                 unsigned bits) {
  for (size_t i = 0; i < N && bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
    unsigned mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((x[i] & mask) != (y[i] & mask))
      return false;
  }
  return true;
}

} // namespace

std::optional<client_addresses> client_addresses::parse(const std::vector<std::string>& cidrs,
                                                        std::string& error) {
  client_addresses out;
  for (const auto& c : cidrs) {
    auto slash = c.find('/');
    auto a = address_of(std::string_view{c}.substr(0, slash));
    unsigned bits = 0;
    bool ok = a.has_value();
    if (ok) {
      unsigned max = a->is_v4() ? 32 : 128;
      bits = max;
      if (slash != std::string::npos) {
        auto rest = std::string_view{c}.substr(slash + 1);
        auto [end, err] = std::from_chars(rest.data(), rest.data() + rest.size(), bits);
        ok = err == std::errc{} && end == rest.data() + rest.size() && !rest.empty() && bits <= max;
      }
    }
    if (!ok) {
      error = "--trusted-proxy " + c + ": not an address or CIDR (e.g. 10.0.0.0/8, ::1/128)";
      return std::nullopt;
    }
    out.trusted_.push_back({*a, bits});
  }
  return out;
}

bool client_addresses::trusted(const ip::address& a) const {
  for (const auto& n : trusted_) {
    if (n.base.is_v4() && a.is_v4() &&
        same_prefix(n.base.to_v4().to_bytes(), a.to_v4().to_bytes(), n.bits))
      return true;
    if (n.base.is_v6() && a.is_v6() &&
        same_prefix(n.base.to_v6().to_bytes(), a.to_v6().to_bytes(), n.bits))
      return true;
  }
  return false;
}

std::string client_addresses::client(const std::string& remote, std::string_view forwarded) const {
  if (trusted_.empty() || forwarded.empty())
    return remote;
  auto peer = address_of(remote);
  if (!peer || !trusted(*peer))
    return remote; // only a trusted proxy's word counts
  // From the right: the nearest hop that is not one of ours is the client.
  std::string client = remote;
  while (!forwarded.empty()) {
    auto comma = forwarded.rfind(',');
    auto entry = comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1);
    forwarded = comma == std::string_view::npos ? std::string_view{} : forwarded.substr(0, comma);
    auto a = address_of(entry);
    if (!a)
      return client; // garbage: keep the last hop we could trust
    client = a->to_string();
    if (!trusted(*a))
      return client;
  }
  return client;
}

} // namespace seatgrab::http
