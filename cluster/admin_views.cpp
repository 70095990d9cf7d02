#include "cluster/admin_views.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace seatgrab::cluster {

namespace {

using json = nlohmann::json;

// Columns padded to their widest cell, separated by two blanks.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i)
        width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size())
        line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string unreachable_note(const std::vector<std::string>& unreachable) {
  std::string out;
  for (const auto& n : unreachable)
    out += "(member " + n + " did not answer)\n";
  return out;
}

json status_json(const hosted_actor& a) {
  json counters = json::object();
  for (const auto& c : a.status.counters)
    counters[c.name] = c.value;
  return {{"node", a.node},
          {"kind", a.status.kind},
          {"id", a.status.id},
          {"version", a.status.version},
          {"mailbox", a.status.mailbox},
          {"counters", std::move(counters)}};
}

std::string dump(const json& j) {
  return j.dump() + "\n";
}

} // namespace

std::string format_ms(int64_t ms) {
  if (ms == 0)
    return "-";
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string render_nodes(const std::vector<node_row>& rows, int64_t now_ms, bool json_out) {
  if (json_out) {
    auto arr = json::array();
    for (const auto& r : rows)
      arr.push_back({{"name", r.name},
                     {"cluster", r.cluster},
                     {"http", r.http},
                     {"self", r.self},
                     {"state", r.up ? "up" : "down"},
                     {"last_heartbeat_ms", r.last_seen_ms},
                     {"rtt_us", r.rtt_us},
                     {"actors", r.actors}});
    return dump(arr);
  }
  std::vector<std::vector<std::string>> t{
      {"NAME", "CLUSTER", "HTTP", "STATE", "LAST HEARTBEAT", "RTT", "ACTORS"}};
  for (const auto& r : rows) {
    std::string seen = r.self ? "(this node)" : "never";
    if (!r.self && r.last_seen_ms != 0)
      seen = std::to_string(std::max<int64_t>(0, now_ms - r.last_seen_ms)) + " ms ago";
    t.push_back({r.name, r.cluster, r.http, r.up ? "up" : "down", seen,
                 r.rtt_us < 0 ? "-" : std::to_string(r.rtt_us) + " us",
                 r.actors < 0 ? "-" : std::to_string(r.actors)});
  }
  return table(t);
}

std::string render_events(const std::vector<event_info>& events, bool json_out) {
  if (json_out) {
    auto arr = json::array();
    for (const auto& e : events)
      arr.push_back({{"id", e.id},
                     {"name", e.name},
                     {"venue", e.venue_id},
                     {"opens_at", format_ms(e.opens_at_ms)},
                     {"admission_per_min", e.admission_per_min}});
    return dump(arr);
  }
  std::vector<std::vector<std::string>> t{{"ID", "NAME", "VENUE", "OPENS AT", "ADMITS/MIN"}};
  for (const auto& e : events)
    t.push_back(
        {e.id, e.name, e.venue_id, format_ms(e.opens_at_ms), std::to_string(e.admission_per_min)});
  return table(t);
}

std::string render_actors(const std::vector<hosted_actor>& actors,
                          const std::vector<std::string>& unreachable, bool json_out) {
  if (json_out) {
    auto arr = json::array();
    for (const auto& a : actors)
      arr.push_back(status_json(a));
    return dump({{"actors", std::move(arr)}, {"unreachable", unreachable}});
  }
  std::vector<std::vector<std::string>> t{{"NODE", "KIND", "ID", "VERSION", "MAILBOX"}};
  for (const auto& a : actors)
    t.push_back({a.node, a.status.kind, a.status.id, std::to_string(a.status.version),
                 std::to_string(a.status.mailbox)});
  return table(t) + std::to_string(actors.size()) + " actors\n" + unreachable_note(unreachable);
}

std::string render_status(const hosted_actor& a, bool json_out) {
  if (json_out)
    return dump(status_json(a));
  std::vector<std::vector<std::string>> t{{"node", a.node},
                                          {"kind", a.status.kind},
                                          {"id", a.status.id},
                                          {"version", std::to_string(a.status.version)},
                                          {"mailbox", std::to_string(a.status.mailbox)}};
  for (const auto& c : a.status.counters)
    t.push_back({c.name, std::to_string(c.value)});
  return table(t);
}

std::string render_top(std::vector<hosted_actor> actors, size_t n,
                       const std::vector<std::string>& unreachable, bool json_out) {
  auto by = [&](auto key) {
    std::stable_sort(actors.begin(), actors.end(),
                     [&](const auto& x, const auto& y) { return key(x.status) > key(y.status); });
    return std::vector<hosted_actor>(
        actors.begin(), actors.begin() + static_cast<std::ptrdiff_t>(std::min(n, actors.size())));
  };
  auto by_mailbox = by([](const actor_status& s) { return s.mailbox; });
  auto by_version = by([](const actor_status& s) { return s.version; });
  if (json_out) {
    auto a = json::array(), b = json::array();
    for (const auto& x : by_mailbox)
      a.push_back(status_json(x));
    for (const auto& x : by_version)
      b.push_back(status_json(x));
    return dump(
        {{"by_mailbox", std::move(a)}, {"by_version", std::move(b)}, {"unreachable", unreachable}});
  }
  auto part = [](const std::vector<hosted_actor>& xs, const char* what) {
    std::vector<std::vector<std::string>> t{{what, "NODE", "KIND", "ID"}};
    for (const auto& x : xs)
      t.push_back({std::to_string(std::string_view{what} == "MAILBOX" ? x.status.mailbox
                                                                      : x.status.version),
                   x.node, x.status.kind, x.status.id});
    return table(t);
  };
  return part(by_mailbox, "MAILBOX") + "\n" + part(by_version, "VERSION") +
         unreachable_note(unreachable);
}

std::string render_audit(std::vector<audit_record> entries, size_t n,
                         const std::vector<std::string>& unreachable, bool json_out) {
  std::stable_sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) {
    return x.at_ms != y.at_ms ? x.at_ms < y.at_ms : x.node < y.node;
  });
  if (entries.size() > n)
    entries.erase(entries.begin(), entries.end() - static_cast<std::ptrdiff_t>(n));
  if (json_out) {
    auto arr = json::array();
    for (const auto& e : entries)
      arr.push_back({{"node", e.node},
                     {"seq", e.seq},
                     {"at", format_ms(e.at_ms)},
                     {"who", e.who},
                     {"command", e.command},
                     {"ok", e.ok},
                     {"outcome", e.outcome}});
    return dump({{"entries", std::move(arr)}, {"unreachable", unreachable}});
  }
  std::vector<std::vector<std::string>> t{{"AT", "NODE", "WHO", "OK", "COMMAND", "OUTCOME"}};
  for (const auto& e : entries)
    t.push_back({format_ms(e.at_ms), e.node, e.who, e.ok ? "yes" : "no", e.command, e.outcome});
  return table(t) + unreachable_note(unreachable);
}

std::string render_bots(const bot_guard_info& g, bool json_out) {
  auto offenders = [](const std::vector<offender>& xs) {
    json arr = json::array();
    for (const auto& x : xs)
      arr.push_back({{"key", x.key}, {"count", x.count}});
    return arr;
  };
  json modes = json::object();
  for (const auto& [rule, mode] : g.rules.modes)
    modes[rule] = to_string(mode);
  if (json_out)
    return dump({{"event", g.event},
                 {"difficulty", g.difficulty},
                 {"joins_per_min", g.load_per_min},
                 {"modes", modes},
                 {"verdicts", g.verdicts},
                 {"reasons", g.reasons},
                 {"shadowed", g.shadowed},
                 {"flagged", g.flagged},
                 {"top",
                  {{"prefixes", offenders(g.prefixes)},
                   {"devices", offenders(g.devices)},
                   {"cards", offenders(g.cards)}}}});
  std::string out = "bot guard of " + g.event + ": proof of work " + std::to_string(g.difficulty) +
                    " bits, " + std::to_string(g.load_per_min) + " joins in the last minute, " +
                    std::to_string(g.shadowed) + " shadowed, " + std::to_string(g.flagged) +
                    " flagged for polling through 429s\n";
  std::string m;
  for (const auto& [rule, mode] : g.rules.modes)
    if (mode != rule_mode::enforce)
      m += " " + rule + "=" + to_string(mode);
  out += "rules: every one enforced" + (m.empty() ? std::string{} : " but" + m) + "\n";
  std::vector<std::vector<std::string>> t{{"DECISION", "COUNT"}};
  for (const auto& [verdict, n] : g.verdicts)
    t.push_back({verdict, std::to_string(n)});
  for (const auto& [reason, n] : g.reasons)
    t.push_back({"  " + reason, std::to_string(n)});
  out += table(t);
  std::vector<std::vector<std::string>> top{{"OFFENDER", "KIND", "NOT ALLOWED"}};
  for (auto [kind, list] : {std::pair{"prefix", &g.prefixes}, std::pair{"device", &g.devices},
                            std::pair{"card", &g.cards}})
    for (const auto& x : *list)
      top.push_back({x.key, kind, std::to_string(x.count)});
  if (top.size() > 1)
    out += table(top);
  return out;
}

std::string render_done(const std::string& outcome, bool json_out) {
  if (json_out)
    return dump({{"ok", true}, {"outcome", outcome}});
  return outcome + "\n";
}

} // namespace seatgrab::cluster
