#pragma once

// The device fingerprint the server derives (DESIGN §7): from what the client reports of
// itself (a signals object the browser front end computes: screen, timezone, languages,
// hardware concurrency, platform, canvas and audio hashes) and what the server sees (the
// User-Agent, Accept-Language and the order of the request's headers), hashed with a server
// key. The client's own `device` string is one input among these, so that rotating it alone
// makes a new device id but keeps the device class, the hash of everything else.
//
// It also names what does not fit a browser (`anomaly`): the risk score weighs those.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seatgrab::security {

/// What the client reports (the join's "signals" object). Every field optional.
struct device_signals {
  std::string screen;    ///< "1920x1080x24"
  std::string timezone;  ///< IANA name, e.g. "Europe/Berlin"
  std::string languages; ///< navigator.languages joined by ",", e.g. "de-DE,de,en"
  std::string platform;  ///< navigator.platform, e.g. "Win32", "MacIntel", "iPhone"
  std::string canvas;    ///< hash of a drawn canvas
  std::string audio;     ///< hash of an OfflineAudioContext rendering
  uint32_t hardware_concurrency = 0;

  /// Whether the client reported anything at all.
  [[nodiscard]] bool empty() const noexcept;
};

/// What the server sees of the request itself.
struct request_traits {
  std::string user_agent;
  std::string accept_language;
  /// The request's header names, lower-case, in the order they came.
  std::vector<std::string> header_order;
};

/// What does not look like a browser a person uses. Bits of `device_print::anomalies`.
enum anomaly : uint32_t {
  no_signals = 1u << 0,         ///< the client reported no signals
  automation_agent = 1u << 1,   ///< no User-Agent, or a tool's or a headless browser's
  platform_mismatch = 1u << 2,  ///< the signals' platform is not the User-Agent's
  no_accept_language = 1u << 3, ///< a browser's User-Agent without Accept-Language
  language_mismatch = 1u << 4,  ///< Accept-Language's first language not in the signals'
  script_headers = 1u << 5,     ///< a browser's User-Agent, a script's headers
};

/// The /24 of an IPv4 address or the /48 of an IPv6 one ("198.51.100.0/24"), the unit of the
/// bot guard's address limits; an IPv4-mapped IPv6 address counts as IPv4. Empty if `address`
/// does not parse.
std::string address_prefix(std::string_view address);

/// The anomalies in `bits` by name, e.g. "no_signals,automation_agent".
std::string anomaly_names(uint32_t bits);

/// The derived identity of a client.
struct device_print {
  std::string device;        ///< "d" + 16 hex digits: the device id the room keys on
  uint64_t device_class = 0; ///< the same without the client's own device string; never 0
  uint32_t anomalies = 0;
};

/// Derives device prints with a server key (the same on every member, so that every edge
/// derives the same id for a client). Thread-safe (immutable).
class fingerprinter {
public:
  explicit fingerprinter(std::string key) : key_(std::move(key)) {}

  [[nodiscard]] device_print derive(std::string_view client_device, const device_signals& signals,
                                    const request_traits& traits) const;

  /// The anomalies alone (no key needed).
  [[nodiscard]] static uint32_t anomalies_of(const device_signals& signals,
                                             const request_traits& traits);

private:
  std::string key_;
};

} // namespace seatgrab::security
