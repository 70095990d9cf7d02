#include "http/router.hpp"

#include <boost/beast/http.hpp>

namespace seatgrab::http {

namespace bhttp = boost::beast::http;

namespace {

std::vector<std::string_view> segments_of(std::string_view path) {
  std::vector<std::string_view> segs;
  while (!path.empty()) {
    path.remove_prefix(1);
    auto end = path.find('/');
    segs.push_back(path.substr(0, end));
    path = end == std::string_view::npos ? std::string_view{} : path.substr(end);
  }
  return segs;
}

} // namespace

router::router(const std::vector<route_spec>& specs) {
  for (const auto& spec : specs) {
    entry e{&spec, {}};
    for (auto seg : segments_of(spec.pattern))
      e.segments.emplace_back(seg);
    entries_.push_back(std::move(e));
  }
}

router::result router::match(bhttp::verb method, std::string_view target) const {
  result res;
  auto qpos = target.find('?');
  if (qpos != std::string_view::npos)
    res.query = parse_query(target.substr(qpos + 1));
  auto segs = segments_of(target.substr(0, qpos));
  for (const auto& e : entries_) {
    if (e.segments.size() != segs.size())
      continue;
    std::vector<std::string> params;
    bool match = true;
    for (size_t i = 0; i < segs.size() && match; ++i) {
      if (e.segments[i].front() == '{')
        params.emplace_back(segs[i]);
      else
        match = e.segments[i] == segs[i];
    }
    if (!match)
      continue;
    if (e.spec->method != method) {
      res.allowed.emplace_back(bhttp::to_string(e.spec->method));
      continue;
    }
    res.route = e.spec;
    res.params = std::move(params);
    break;
  }
  return res;
}

std::string router::name(const route_spec& r) {
  return std::string{bhttp::to_string(r.method)} + " " + r.pattern;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> result;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    auto eq = part.find('=');
    result[std::string{part.substr(0, eq)}] =
        eq == std::string_view::npos ? std::string{} : std::string{part.substr(eq + 1)};
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
  }
  return result;
}

} // namespace seatgrab::http
