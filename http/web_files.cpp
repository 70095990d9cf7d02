#include "http/web_files.hpp"

#include "http/codec.hpp"
#include "http/problem.hpp"
#include "security/encoding.hpp"

#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

namespace seatgrab::http {

namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view placeholder = "{{web}}";

/// The pages and where they are served.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> pages{{
    {"index.html", "/"},
    {"ops.html", "/ops"},
}};

std::string_view type_of(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".webmanifest", "application/manifest+json"},
  }};
  for (const auto& [ext, type] : types)
    if (name.ends_with(ext))
      return type;
  return "application/octet-stream";
}

bool compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type.starts_with("application/manifest") || type == "image/svg+xml";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Calls `f` with each comma-separated element of a header's value, trimmed.
template <class F>
void each_element(std::string_view value, F f) {
  while (!value.empty()) {
    auto comma = value.find(',');
    f(trim(value.substr(0, comma)));
    if (comma == std::string_view::npos)
      break;
    value.remove_prefix(comma + 1);
  }
}

/// Whether Accept-Encoding `value` accepts gzip: "gzip" with a q above 0, or else "*" with one
/// (RFC 9110 12.5.3).
bool accepts_gzip(std::string_view value) {
  std::optional<bool> named; // gzip's own q decides, whatever "*" says
  bool any = false;
  each_element(value, [&](std::string_view e) {
    auto semi = e.find(';');
    auto coding = trim(e.substr(0, semi));
    bool refused = false;
    if (semi != std::string_view::npos) {
      auto params = trim(e.substr(semi + 1));
      if (params.starts_with("q=") || params.starts_with("Q=")) {
        auto q = trim(params.substr(2));
        refused = q.find_first_not_of("0.") == std::string_view::npos;
      }
    }
    if (coding == "gzip" || coding == "x-gzip")
      named = !refused;
    else if (coding == "*")
      any = !refused;
  });
  return named.value_or(any);
}

/// Whether If-None-Match `value` names `etag` (weak comparison) or is "*".
bool matches(std::string_view value, std::string_view etag) {
  bool yes = false;
  each_element(value, [&](std::string_view e) {
    if (e.starts_with("W/"))
      e.remove_prefix(2);
    yes = yes || e == "*" || e == etag;
  });
  return yes;
}

std::string page_path(std::string_view name) {
  for (const auto& [file, path] : pages)
    if (file == name)
      return std::string{path};
  return {};
}

} // namespace

web_files::web_files(std::span<const web_file> files) {
  // The version: every file's name and bytes, so that any change moves every address.
  std::string all;
  for (const auto& f : files) {
    all += f.name;
    all += '\0';
    all += security::sha256_hex(f.bytes);
    all += '\n';
  }
  version_ = security::sha256_hex(all).substr(0, 12);
  auto prefix = "/web/" + version_;
  for (const auto& f : files) {
    entry e;
    e.type = type_of(f.name);
    e.body = std::string{f.bytes};
    auto path = page_path(f.name);
    e.page = !path.empty();
    if (e.page) {
      for (auto at = e.body.find(placeholder); at != std::string::npos;
           at = e.body.find(placeholder, at + prefix.size()))
        e.body.replace(at, placeholder.size(), prefix);
    } else {
      path = prefix + "/" + std::string{f.name};
    }
    e.etag = "\"" + security::sha256_hex(e.body).substr(0, 16) + "\"";
    if (compressible(e.type))
      if (auto gz = gzip(e.body); !gz.empty() && gz.size() < e.body.size())
        e.gzipped = std::move(gz);
    by_path_.emplace(std::move(path), std::move(e));
  }
}

bool web_files::owns(std::string_view path) const {
  return path.starts_with("/web/") || by_path_.contains(path);
}

response web_files::answer(const request& req, std::string_view path) const {
  auto i = by_path_.find(path);
  if (i == by_path_.end())
    return problem(404, "not_found",
                   path.starts_with("/web/" + version_ + "/")
                       ? "no such file"
                       : "no such file in this version of the front end (reload the page)");
  if (req.method() != bhttp::verb::get) {
    auto res = problem(405, "method_not_allowed", "the front end's files are read with GET");
    res.set(bhttp::field::allow, "GET");
    return res;
  }
  const auto& e = i->second;
  auto ae = req[bhttp::field::accept_encoding];
  bool gz = !e.gzipped.empty() && accepts_gzip({ae.data(), ae.size()});
  // A representation of its own, so an ETag of its own (RFC 9110 8.8.3).
  auto etag_gz = e.gzipped.empty() ? std::string{} : e.etag.substr(0, e.etag.size() - 1) + "-gz\"";
  const auto& etag = gz ? etag_gz : e.etag;
  // Only the copy this client would get is current: a cache holding the gzipped one has
  // nothing for a client that does not accept gzip.
  auto inm = req[bhttp::field::if_none_match];
  bool current = !inm.empty() && matches({inm.data(), inm.size()}, etag);
  response res{current ? bhttp::status::not_modified : bhttp::status::ok, 11};
  res.set(bhttp::field::etag, etag);
  if (!e.gzipped.empty())
    res.set(bhttp::field::vary, "Accept-Encoding");
  res.set(bhttp::field::cache_control, e.page ? "no-cache" : "public, max-age=31536000, immutable");
  res.set("X-Content-Type-Options", "nosniff");
  // On every file, not only the pages: an HTML or SVG file opened by its own address is a
  // document too.
  res.set("Content-Security-Policy", boost::beast::string_view{content_security_policy.data(),
                                                               content_security_policy.size()});
  res.set("Referrer-Policy", "no-referrer");
  if (current)
    return res;
  res.set(bhttp::field::content_type, e.type);
  if (gz) {
    res.set(bhttp::field::content_encoding, "gzip");
    res.body() = e.gzipped;
  } else {
    res.body() = e.body;
  }
  return res;
}

} // namespace seatgrab::http
