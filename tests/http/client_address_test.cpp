// Who the client is: the socket's address unless a trusted proxy vouches in X-Forwarded-For;
// then the right-most address that is not one of the proxies. And its /24 or /48.
#include "http/client_address.hpp"

#include <doctest/doctest.h>

using seatgrab::http::client_addresses;

TEST_CASE("without a trusted proxy X-Forwarded-For is ignored") {
  client_addresses none;
  CHECK(none.client("203.0.113.7", "10.0.0.1") == "203.0.113.7");
}

TEST_CASE("a trusted proxy's entry names the client; the client's own claims do not") {
  std::string error;
  auto a = client_addresses::parse({"10.0.0.0/8", "192.168.1.5"}, error);
  REQUIRE_MESSAGE(a, error);
  // From a proxy: the right-most entry that is not a proxy.
  CHECK(a->client("10.1.2.3", "198.51.100.9") == "198.51.100.9");
  CHECK(a->client("10.1.2.3", "1.2.3.4, 198.51.100.9") == "198.51.100.9");
  CHECK(a->client("10.1.2.3", "198.51.100.9, 10.9.9.9") == "198.51.100.9"); // two proxies
  CHECK(a->client("192.168.1.5", "198.51.100.9") == "198.51.100.9");
  // Not from a proxy: the socket, whatever the header says.
  CHECK(a->client("192.168.1.6", "198.51.100.9") == "192.168.1.6");
  CHECK(a->client("203.0.113.7", "198.51.100.9") == "203.0.113.7");
  // Garbage in the header: the last hop we could trust.
  CHECK(a->client("10.1.2.3", "not-an-address") == "10.1.2.3");
  CHECK(a->client("10.1.2.3", "") == "10.1.2.3");
  // Proxies that add the client's port.
  CHECK(a->client("10.1.2.3", "198.51.100.9:5678") == "198.51.100.9");
  CHECK(a->client("10.1.2.3", "[2001:db8:1::7]:443") == "2001:db8:1::7");
  // Every entry a proxy: the left-most of them.
  CHECK(a->client("10.1.2.3", "10.4.4.4") == "10.4.4.4");
}

TEST_CASE("IPv6 proxies and clients; mapped IPv4 counts as IPv4") {
  std::string error;
  auto a = client_addresses::parse({"::1/128", "2001:db8::/32"}, error);
  REQUIRE_MESSAGE(a, error);
  CHECK(a->client("::1", "2001:db9::5") == "2001:db9::5");
  CHECK(a->client("2001:db8::77", "::ffff:198.51.100.9") == "198.51.100.9");
  CHECK(a->client("2001:db9::1", "198.51.100.9") == "2001:db9::1");
}

TEST_CASE("a bad CIDR is named") {
  std::string error;
  CHECK_FALSE(client_addresses::parse({"10.0.0.0/33"}, error));
  CHECK(error.find("10.0.0.0/33") != std::string::npos);
  CHECK_FALSE(client_addresses::parse({"nonsense"}, error));
  CHECK(error.find("--trusted-proxy nonsense") != std::string::npos);
  CHECK_FALSE(client_addresses::parse({"10.0.0.0/"}, error));
}
