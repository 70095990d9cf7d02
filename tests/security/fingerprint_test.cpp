// The server-derived device: keyed, stable, the client's device string one input among many;
// and the anomalies that tell a script from a browser.
#include "security/fingerprint.hpp"

#include <doctest/doctest.h>

namespace sec = seatgrab::security;

namespace {

const char* chrome_ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                        "like Gecko) Chrome/131.0.0.0 Safari/537.36";

sec::device_signals laptop() {
  return {"1920x1080x24", "Europe/Berlin", "de-DE,de,en", "Win32", "c4a1", "9f02", 8};
}

sec::request_traits browser() {
  return {chrome_ua,
          "de-DE,de;q=0.9,en;q=0.8",
          {"host", "connection", "content-length", "sec-ch-ua", "user-agent", "content-type",
           "accept", "origin", "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest",
           "accept-encoding", "accept-language"}};
}

} // namespace

TEST_CASE("a browser that fits its own story has no anomalies") {
  CHECK(sec::fingerprinter::anomalies_of(laptop(), browser()) == 0);
}

TEST_CASE("the same client gets the same device; another key, another id") {
  sec::fingerprinter a{"key-a"};
  sec::fingerprinter b{"key-b"};
  auto x = a.derive("dev-1", laptop(), browser());
  CHECK(x.device.size() == 17);
  CHECK(x.device[0] == 'd');
  CHECK(x.device == a.derive("dev-1", laptop(), browser()).device);
  CHECK(x.device != b.derive("dev-1", laptop(), browser()).device);
  CHECK(x.device_class != 0);
}

TEST_CASE("rotating the device string makes a new device, not a new class") {
  sec::fingerprinter f{"k"};
  auto x = f.derive("dev-1", laptop(), browser());
  auto y = f.derive("dev-2", laptop(), browser());
  CHECK(x.device != y.device);
  CHECK(x.device_class == y.device_class);
  // Any signal changes both.
  auto other = laptop();
  other.canvas = "ffff";
  auto z = f.derive("dev-1", other, browser());
  CHECK(z.device != x.device);
  CHECK(z.device_class != x.device_class);
  // So does a header the server sees.
  auto t = browser();
  t.accept_language = "en-US";
  CHECK(f.derive("dev-1", laptop(), t).device != x.device);
}

TEST_CASE("fields cannot slide into each other: length-prefixed") {
  sec::fingerprinter f{"k"};
  auto s1 = laptop();
  s1.screen = "ab";
  s1.timezone = "c";
  auto s2 = laptop();
  s2.screen = "a";
  s2.timezone = "bc";
  CHECK(f.derive("d", s1, browser()).device_class != f.derive("d", s2, browser()).device_class);
}

TEST_CASE("each anomaly, alone") {
  using sec::fingerprinter;
  CHECK(fingerprinter::anomalies_of({}, browser()) == sec::no_signals);
  auto t = browser();
  t.user_agent = "python-requests/2.31";
  CHECK((fingerprinter::anomalies_of(laptop(), t) & sec::automation_agent));
  t.user_agent = "";
  CHECK((fingerprinter::anomalies_of(laptop(), t) & sec::automation_agent));
  t.user_agent = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0.0.0 Safari/537.36";
  CHECK((fingerprinter::anomalies_of(laptop(), t) & sec::automation_agent));
  // A phone whose maker's name holds "bot" is no crawler.
  t.user_agent = "Mozilla/5.0 (Linux; Android 12; CUBOT X50) AppleWebKit/537.36 Chrome/120";
  CHECK_FALSE((fingerprinter::anomalies_of(laptop(), t) & sec::automation_agent));
  t = browser();
  t.accept_language.clear();
  CHECK(fingerprinter::anomalies_of(laptop(), t) == sec::no_accept_language);
  t = browser();
  t.accept_language = "fr-FR,fr";
  CHECK(fingerprinter::anomalies_of(laptop(), t) == sec::language_mismatch);
  auto s = laptop();
  s.platform = "MacIntel";
  CHECK(fingerprinter::anomalies_of(s, browser()) == sec::platform_mismatch);
  t = browser();
  t.header_order = {"host",       "user-agent",      "accept-encoding", "accept",
                    "connection", "accept-language", "content-length",  "content-type"};
  CHECK(fingerprinter::anomalies_of(laptop(), t) == sec::script_headers);
  CHECK(sec::anomaly_names(sec::no_signals | sec::script_headers) == "no_signals,script_headers");
}

TEST_CASE("address prefixes: /24 and /48, mapped IPv4 as IPv4") {
  CHECK(sec::address_prefix("198.51.100.77") == "198.51.100.0/24");
  CHECK(sec::address_prefix("::ffff:198.51.100.77") == "198.51.100.0/24");
  CHECK(sec::address_prefix("2001:db8:abcd:12::1") == "2001:db8:abcd::/48");
  CHECK(sec::address_prefix("garbage").empty());
}
