#include "cluster/membership.hpp"

#include "messages/ec.hpp"

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <toml++/toml.h>

namespace seatgrab::cluster {

namespace {

caf::error invalid(const std::string& what) {
  return caf::make_error(ec::invalid_input, what);
}

/// Names are ids in logs, metrics and the admin shell: short, lower-case, no spaces.
bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 32)
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

/// Parses "host:port" into `out`; the problem if it is not one.
const char* read_endpoint(std::string_view text, endpoint& out) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return "must be host:port";
  auto host = text.substr(0, colon);
  auto port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']')
      return "must be host:port (an IPv6 host in brackets)";
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return "must be host:port (an IPv6 host in brackets)";
  }
  for (char c : host)
    if (c == ' ' || c == '/' || c == '[' || c == ']')
      return "has a malformed host";
  unsigned port = 0;
  auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (err != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return "must end in a port from 1 to 65535";
  out = endpoint{std::string{host}, static_cast<uint16_t>(port)};
  return nullptr;
}

} // namespace

bool is_loopback(std::string_view host) {
  if (host == "localhost" || host == "::1")
    return true;
  if (host.substr(0, 4) != "127.")
    return false;
  for (char c : host) // an IPv4 address, not a name that starts alike
    if (c != '.' && (c < '0' || c > '9'))
      return false;
  return true;
}

std::string to_string(const endpoint& e) {
  auto host = e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host;
  return host + ":" + std::to_string(e.port);
}

caf::expected<endpoint> parse_endpoint(std::string_view text) {
  endpoint out;
  if (const char* problem = read_endpoint(text, out))
    return invalid("\"" + std::string{text} + "\" " + problem);
  return out;
}

std::vector<std::string> membership::names() const {
  std::vector<std::string> out;
  out.reserve(members.size());
  for (const auto& m : members)
    out.push_back(m.name);
  return out;
}

caf::expected<membership> parse_membership(std::string_view text, const std::string& source,
                                           const std::string& self_name) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    auto where = e.source().begin;
    return invalid(source + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) +
                   ": " + std::string{e.description()});
  }
  for (const auto& [k, v] : root)
    if (k.str() != "node")
      return invalid(source + ": " + std::string{k.str()} +
                     " is not a known key (the file has [[node]] tables only)");
  const auto* nodes = root.get_as<toml::array>("node");
  if (nodes == nullptr || nodes->empty())
    return invalid(source + ": no [[node]] tables: a cluster has at least one member");
  if (nodes->size() > max_members)
    return invalid(source + ": " + std::to_string(nodes->size()) + " members, more than " +
                   std::to_string(max_members));
  membership out;
  // Every address in use, with the entry and key that claimed it first.
  std::map<std::pair<std::string, uint16_t>, std::string> addresses;
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < nodes->size(); ++i) {
    auto entry = "node[" + std::to_string(i + 1) + "]";
    const auto* t = nodes->get(i)->as_table();
    if (t == nullptr)
      return invalid(source + ": " + entry + " must be a table ([[node]])");
    for (const auto& [k, v] : *t)
      if (k.str() != "name" && k.str() != "cluster" && k.str() != "http")
        return invalid(source + ": " + entry + "." + std::string{k.str()} +
                       " is not a known key (name, cluster, http)");
    auto text_of = [&](const char* key) -> caf::expected<std::string> {
      auto v = t->get(key) ? t->get(key)->value<std::string>() : std::nullopt;
      if (!t->get(key))
        return invalid(source + ": " + entry + "." + key + " is missing");
      if (!t->get(key)->is_string() || !v)
        return invalid(source + ": " + entry + "." + key + " must be a string");
      return *v;
    };
    member m;
    auto name = text_of("name");
    if (!name)
      return name.error();
    if (!valid_name(*name))
      return invalid(source + ": " + entry + ".name \"" + *name +
                     "\" must be 1-32 of a-z, 0-9, - and _");
    if (auto [at, fresh] = names.emplace(*name, i); !fresh)
      return invalid(source + ": " + entry + ".name \"" + *name + "\" is node[" +
                     std::to_string(at->second + 1) + "]'s name already");
    m.name = *name;
    entry += " (\"" + m.name + "\")";
    for (const char* key : {"cluster", "http"}) {
      auto value = text_of(key);
      if (!value)
        return value.error();
      auto& ep = std::string_view{key} == "cluster" ? m.cluster : m.http;
      auto claim = entry + "." + key;
      if (const char* problem = read_endpoint(*value, ep))
        return invalid(source + ": " + claim + " \"" + *value + "\" " + problem);
      if (auto [at, fresh] = addresses.emplace(std::pair{ep.host, ep.port}, claim); !fresh)
        return invalid(source + ": " + claim + " \"" + *value + "\" is already " + at->second);
    }
    out.members.push_back(std::move(m));
  }
  auto self = names.find(self_name);
  if (self == names.end()) {
    std::string known;
    for (const auto& m : out.members)
      known += (known.empty() ? "" : ", ") + m.name;
    return invalid(source + ": has no node named \"" + self_name + "\" (--node); its nodes are " +
                   known);
  }
  out.self = self->second;
  return out;
}

caf::expected<membership> load_membership(const std::filesystem::path& file,
                                          const std::string& self_name) {
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return invalid(file.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_membership(text.str(), file.string(), self_name);
}

} // namespace seatgrab::cluster
