#include "security/fingerprint.hpp"

#include "security/encoding.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

namespace seatgrab::security {

namespace {

std::string lower(std::string_view x) {
  std::string out{x};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Tools and headless browsers that say what they are.
constexpr std::array automation_markers{
    "headless",   "curl/",    "wget",      "python",     "go-http-client", "java/",  "okhttp",
    "node-fetch", "axios",    "libwww",    "httpclient", "bot/",           "spider", "crawler",
    "phantomjs",  "selenium", "puppeteer", "playwright", "scrapy"};

bool browser_agent(std::string_view ua) {
  return ua.substr(0, 12) == "Mozilla/5.0 ";
}

// The primary language subtag of the first entry of a list ("de-DE,de;q=0.9" -> "de").
std::string first_language(std::string_view list) {
  auto end = list.find_first_of(",;");
  auto tag = lower(list.substr(0, end));
  while (!tag.empty() && tag.front() == ' ')
    tag.erase(tag.begin());
  return tag.substr(0, tag.find('-'));
}

// Whether the User-Agent names the platform the client reports.
bool platform_fits(std::string_view platform, std::string_view ua) {
  auto p = lower(platform);
  if (p.starts_with("win"))
    return contains(ua, "Windows");
  if (p.starts_with("mac"))
    return contains(ua, "Macintosh") || contains(ua, "Mac OS X");
  if (p == "iphone" || p == "ipad" || p == "ipod")
    return contains(ua, "iPhone") || contains(ua, "iPad") || contains(ua, "iPod");
  if (p.starts_with("linux"))
    return contains(ua, "Linux") || contains(ua, "Android") || contains(ua, "CrOS");
  return true; // a platform we do not know: no judgement
}

// Length-prefixed, so that no two different inputs serialize alike.
void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

std::string class_material(const device_signals& s, const request_traits& t) {
  std::string out;
  for (auto f :
       {std::string_view{s.screen}, std::string_view{s.timezone}, std::string_view{s.languages},
        std::string_view{s.platform}, std::string_view{s.canvas}, std::string_view{s.audio}})
    put(out, f);
  put(out, std::to_string(s.hardware_concurrency));
  put(out, t.user_agent);
  put(out, t.accept_language);
  std::string order;
  for (const auto& h : t.header_order) {
    order += h;
    order += ',';
  }
  put(out, order);
  return out;
}

} // namespace

std::string address_prefix(std::string_view text) {
  namespace ip = boost::asio::ip;
  boost::system::error_code ec;
  auto a = ip::make_address(std::string{text}, ec);
  if (ec)
    return {};
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    b[3] = 0;
    return ip::address_v4{b}.to_string() + "/24";
  }
  auto b = a.to_v6().to_bytes();
  for (size_t i = 6; i < b.size(); ++i)
    b[i] = 0;
  return ip::address_v6{b}.to_string() + "/48";
}

bool device_signals::empty() const noexcept {
  return screen.empty() && timezone.empty() && languages.empty() && platform.empty() &&
         canvas.empty() && audio.empty() && hardware_concurrency == 0;
}

std::string anomaly_names(uint32_t bits) {
  static constexpr std::pair<uint32_t, const char*> names[] = {
      {no_signals, "no_signals"},
      {automation_agent, "automation_agent"},
      {platform_mismatch, "platform_mismatch"},
      {no_accept_language, "no_accept_language"},
      {language_mismatch, "language_mismatch"},
      {script_headers, "script_headers"}};
  std::string out;
  for (auto [bit, name] : names) {
    if ((bits & bit) == 0)
      continue;
    if (!out.empty())
      out += ',';
    out += name;
  }
  return out;
}

uint32_t fingerprinter::anomalies_of(const device_signals& signals, const request_traits& traits) {
  uint32_t bits = 0;
  if (signals.empty())
    bits |= no_signals;
  auto ua = lower(traits.user_agent);
  bool automated = ua.empty() || std::any_of(automation_markers.begin(), automation_markers.end(),
                                             [&](const char* m) { return contains(ua, m); });
  if (automated) {
    bits |= automation_agent;
    return bits; // the rest judges browsers
  }
  if (!browser_agent(traits.user_agent))
    return bits; // an app of its own kind: judged by the other rules
  if (traits.accept_language.empty())
    bits |= no_accept_language;
  else if (!signals.languages.empty() &&
           first_language(traits.accept_language) != first_language(signals.languages))
    bits |= language_mismatch;
  if (!signals.platform.empty() && !platform_fits(signals.platform, traits.user_agent))
    bits |= platform_mismatch;
  // Every current browser sends Sec-Fetch-Mode with a fetch (Chrome 76, Firefox 90,
  // Safari 16.4); an HTTP library claiming to be one does not, unless told to.
  auto& order = traits.header_order;
  if (std::find(order.begin(), order.end(), "sec-fetch-mode") == order.end())
    bits |= script_headers;
  return bits;
}

device_print fingerprinter::derive(std::string_view client_device, const device_signals& signals,
                                   const request_traits& traits) const {
  device_print out;
  auto material = class_material(signals, traits);
  auto cls = hmac_sha256(key_, "class\x1f" + material);
  std::string dev_input = "device\x1f";
  put(dev_input, client_device);
  dev_input += material;
  auto dev = hmac_sha256(key_, dev_input);
  if (cls && dev) {
    uint64_t c = 0;
    std::memcpy(&c, cls->data(), sizeof(c));
    out.device_class = c == 0 ? 1 : c;
    out.device = "d" + hex_encode(std::string_view{reinterpret_cast<const char*>(dev->data()), 8});
  } else {
    // OpenSSL failed: fall back to an unkeyed digest rather than one id for every client.
    auto d = sha256(dev_input);
    out.device = "d" + hex_encode(std::string_view{reinterpret_cast<const char*>(d.data()), 8});
    auto c = sha256(material);
    std::memcpy(&out.device_class, c.data(), sizeof(out.device_class));
    out.device_class |= 1;
  }
  out.anomalies = anomalies_of(signals, traits);
  return out;
}

} // namespace seatgrab::security
