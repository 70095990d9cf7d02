#pragma once

// Who the client is: the socket's address, or behind a configured trusted proxy the address
// that proxy put in X-Forwarded-For (`serve --trusted-proxy CIDR`). Without a trusted proxy
// the header is ignored, so a client cannot pick its own address; behind one, the entries are
// read from the right and the first that is not itself a trusted proxy is the client (the
// entries to its left are the client's own claims). Rate limits and the bot guard key on it
// and on its prefix.

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::http {

class client_addresses {
public:
  /// Parses `cidrs` ("10.0.0.0/8", "::1/128", a bare address = a single host); the error
  /// names the first that does not parse.
  static std::optional<client_addresses> parse(const std::vector<std::string>& cidrs,
                                               std::string& error);

  client_addresses() = default;

  /// The client's address, from the socket's `remote` and the request's X-Forwarded-For
  /// values (`forwarded`, every header line joined by ",", empty if none).
  [[nodiscard]] std::string client(const std::string& remote, std::string_view forwarded) const;

  /// Whether `address` is a trusted proxy.
  [[nodiscard]] bool trusted(const boost::asio::ip::address& address) const;

private:
  struct network {
    boost::asio::ip::address base;
    unsigned bits = 0;
  };
  std::vector<network> trusted_;
};

} // namespace seatgrab::http
