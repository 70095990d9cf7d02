// The HTTP mode: the crowd plays against a running node through its public API, in real time
// scaled by `http.time_scale`, with an asynchronous client on one thread.
#include "domain/payment.hpp"
#include "http/codec.hpp"
#include "messages/ec.hpp"
#include "persistence/store.hpp"
#include "scenarios/http_client.hpp"
#include "scenarios/http_fans.hpp"
#include "scenarios/runner.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

namespace seatgrab::scenarios {

namespace {

using namespace http_mode;

/// Runs `io` until `done` holds or `limit` passes.
template <class Pred>
bool run_until(asio::io_context& io, Pred done, std::chrono::seconds limit) {
  auto deadline = steady::now() + limit;
  while (!done() && steady::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds{20});
  }
  return done();
}

/// One request, waited for.
http_reply call(asio::io_context& io, http_client& client, http_call c) {
  // Shared: an answer later than the wait must not write into a returned frame.
  auto reply = std::make_shared<std::optional<http_reply>>();
  client.send(std::move(c), [reply](http_reply r) { *reply = std::move(r); });
  run_until(
      io, [&] { return reply->has_value(); }, std::chrono::seconds{60});
  if (!*reply) {
    http_reply r;
    r.error = "no answer within 60 s";
    return r;
  }
  return std::move(**reply);
}

/// Where the seat map and the fans' book of owners disagree.
std::vector<std::string> compare_book(const std::map<std::string, std::string>& status,
                                      const std::map<std::string, uint32_t>& owners) {
  std::vector<std::string> result;
  uint64_t sold = 0;
  for (const auto& [seat, st] : status)
    sold += st == "sold";
  if (sold != owners.size())
    result.push_back("the seat map shows " + std::to_string(sold) +
                     " seats sold, the fans were told they own " + std::to_string(owners.size()));
  for (const auto& [seat, fan] : owners)
    if (auto i = status.find(seat); i == status.end() || i->second != "sold") {
      result.push_back("fan " + crowd::account_of(fan) + " owns seat " + seat +
                       ", which the seat map shows " + (i == status.end() ? "nowhere" : i->second));
      break;
    }
  return result;
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The scenario's pricing policy as `PUT .../pricing` takes it, its times scaled (but for the
/// API's least interval and window).
json policy_of(const scenario& s) {
  auto scaled = [&](uint32_t x, uint32_t least) {
    return std::max<int64_t>(least, std::llround(x * s.time_scale));
  };
  json ladders = json::object();
  for (const auto& [key, prices] : s.pricing.ladders)
    ladders[key] = prices;
  json starts = json::object();
  for (const auto& [key, level] : s.pricing.start_levels)
    starts[key] = level;
  return {{"interval_s", scaled(s.pricing.interval_s, 5)},
          {"window_s", scaled(s.pricing.window_s, 60)},
          {"ladders", ladders},
          {"start_levels", starts},
          {"max_ceiling_permille", s.pricing.max_ceiling_permille},
          {"up_ticks", s.pricing.up_ticks},
          {"down_ticks", s.pricing.down_ticks},
          {"max_up_per_hour", s.pricing.max_up_per_hour}};
}

/// `GET /v1/events/{id}/prices` read back, for the report.
std::optional<pricing_info> pricing_of(const json& j) {
  if (!j.is_object() || !j.contains("sections"))
    return std::nullopt;
  pricing_info p;
  p.event = j.value("event", "");
  p.dynamic = j.value("dynamic", false);
  p.interval_s = j.value("interval_s", 30u);
  p.price_version = j.value("price_version", uint64_t{0});
  p.ticks = j.value("ticks", uint64_t{0});
  for (const auto& s : j["sections"]) {
    section_price_info x;
    x.section = s.value("id", "");
    x.level = s.value("level", 0u);
    x.price = s.value("price", int64_t{0});
    x.ladder = s.value("ladder", std::vector<int64_t>{});
    for (const auto& h : s.value("history", json::array()))
      x.history.push_back({h.value("price_version", uint64_t{0}),
                           http::parse_rfc3339(h.value("at", "")).value_or(0), h.value("level", 0u),
                           h.value("price", int64_t{0}), h.value("by", "") == "operator"});
    p.sections.push_back(std::move(x));
  }
  return p;
}

/// The bot rules a run sets for its event: enforced, with the scenario's base proof of work,
/// when it has bots (the crowd solves for real, natively, and the people among it wait as long
/// as their browsers would); otherwise every rule counted, none enforced.
json rules_of(const scenario& s) {
  json modes = json::object();
  if (!s.bots || s.guard == "shadow")
    for (auto rule : {"prefix_joins", "device_accounts", "card_purchases", "card_tickets",
                      "card_declines", "risk"})
      modes[rule] = "shadow";
  return {{"pow_base_bits", s.bots ? s.pow_bits : 0u},
          {"pow_max_bits", std::max<uint32_t>(18, s.bots ? s.pow_bits : 0u)},
          {"modes", modes}};
}

/// `GET /v1/admin/events/{id}/bots` read back, for the report.
std::optional<bot_guard_info> guard_of(const json& j) {
  if (!j.is_object() || !j.contains("verdicts"))
    return std::nullopt;
  bot_guard_info g;
  g.event = j.value("event", "");
  g.verdicts = j.value("verdicts", std::map<std::string, uint64_t>{});
  g.reasons = j.value("reasons", std::map<std::string, uint64_t>{});
  g.shadowed = j.value("shadowed", uint64_t{0});
  g.flagged = j.value("flagged", uint64_t{0});
  auto top = j.value("top", json::object());
  auto list = [&](const char* key) {
    std::vector<offender> out;
    for (const auto& x : top.value(key, json::array()))
      out.push_back({x.value("key", ""), x.value("count", uint64_t{0})});
    return out;
  };
  g.prefixes = list("prefixes");
  g.devices = list("devices");
  g.cards = list("cards");
  return g;
}

uint64_t throttled(const std::vector<std::unique_ptr<http_client>>& clients) {
  uint64_t n = 0;
  for (const auto& c : clients)
    n += c->throttled();
  return n;
}

} // namespace

caf::expected<run_result> run_over_http(const scenario& s, const run_options& opts,
                                        const http_options& http) {
  if (http.targets.empty())
    return caf::make_error(ec::invalid_input, "--target is needed for a run over HTTP");
  // http://host:port, one per edge
  std::vector<std::pair<std::string, std::string>> edges; // host, port
  for (const auto& target : http.targets) {
    const std::string prefix = "http://";
    auto bad = caf::make_error(ec::invalid_input,
                               "--target must look like http://host:port, not " + target);
    if (!target.starts_with(prefix))
      return bad;
    auto hostport = target.substr(prefix.size());
    if (auto slash = hostport.find('/'); slash != std::string::npos)
      hostport.resize(slash);
    auto colon = hostport.rfind(':');
    auto host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
    auto port = colon == std::string::npos ? std::string{"80"} : hostport.substr(colon + 1);
    if (host.empty() || port.empty())
      return bad;
    edges.emplace_back(std::move(host), std::move(port));
  }
  if (http.admin_token.empty())
    return caf::make_error(ec::invalid_input,
                           "--admin-token is needed with --target (to put the event on sale)");
  auto venue = venue_json(s, opts.venue_dir);
  if (!venue)
    return venue.error();

  asio::io_context io;
  std::vector<std::unique_ptr<http_client>> clients;
  for (const auto& [host, port] : edges)
    clients.push_back(std::make_unique<http_client>(io, host, port, s.connections));
  // Bots have connections of their own: people's requests queue in the shared pool.
  std::vector<std::unique_ptr<http_client>> bot_clients;
  uint32_t bots = 0;
  for (const auto& f : s.farms)
    bots += f.bots;
  if (bots > 0)
    for (const auto& [host, port] : edges)
      bot_clients.push_back(
          std::make_unique<http_client>(io, host, port, std::min<uint32_t>(bots, 64)));
  // The operator's calls and the queue's counters go through the first edge.
  auto& client = *clients.front();
  auto admin = [&](std::string target, std::string body) {
    http_call c{"POST", std::move(target), std::move(body)};
    c.bearer = http.admin_token;
    return call(io, client, std::move(c));
  };
  auto v = admin("/v1/admin/venues", *venue);
  auto venue_id =
      parse<std::string>(v, 201, [](const json& j) { return j.at("id").get<std::string>(); });
  if (!venue_id)
    return caf::make_error(ec::unavailable, "adding the venue: " + render(venue_id.error()));
  // A fresh event per run, so runs against one node do not meet.
  auto start_ms = unix_ms();
  auto run_id = std::to_string(opts.seed) + "x" + std::to_string(start_ms % 100'000'000);
  auto ev = event_of(s, s.name + "-" + run_id, *venue_id, start_ms, s.time_scale);
  json body{{"id", ev.id},
            {"venue_id", ev.venue_id},
            {"name", ev.name},
            {"opens_at", http::rfc3339(ev.opens_at_ms)},
            {"hold_ttl_s", ev.hold_ttl_s},
            {"max_hold_total_s", ev.max_hold_total_s},
            {"admission_per_min", ev.admission_per_min},
            {"max_active_shoppers", ev.max_active_shoppers},
            {"max_seats_per_hold", ev.max_seats_per_hold},
            {"max_tickets_per_account", ev.max_tickets_per_account},
            {"queue_mode", ev.queue_mode},
            {"refunds_until", http::rfc3339(ev.refunds_until_ms)}};
  auto e = admin("/v1/admin/events", body.dump());
  if (e.status != 201)
    return caf::make_error(ec::unavailable, "adding the event: " + render(error_of(e)));
  if (s.priced) { // published before the opening
    http_call put{"PUT", "/v1/admin/events/" + ev.id + "/pricing", policy_of(s).dump()};
    put.bearer = http.admin_token;
    if (auto p = call(io, client, std::move(put)); p.status != 200)
      return caf::make_error(ec::unavailable, "publishing the prices: " + render(error_of(p)));
  }
  // The catalog reaches the other members a moment later: the sale starts once every edge
  // knows the event.
  for (size_t i = 1; i < clients.size(); ++i) {
    http_reply known;
    for (int attempt = 0; attempt < 100 && known.status != 200; ++attempt) {
      if (attempt > 0) {
        io.restart();
        io.run_for(std::chrono::milliseconds{100});
      }
      known = call(io, *clients[i], {"GET", "/v1/events/" + ev.id});
    }
    if (known.status != 200)
      return caf::make_error(ec::unavailable, "the event never reached " + http.targets[i] + ": " +
                                                  render(error_of(known)));
  }

  { // Once every edge knows the event, the bot guard's rules: enforced with bots (through a trusted
    // proxy's X-Forwarded-For,
    // which the node must be told: serve --trusted-proxy 127.0.0.1/32), counted otherwise.
    http_call put{"PUT", "/v1/admin/events/" + ev.id + "/bots", rules_of(s).dump()};
    put.bearer = http.admin_token;
    if (auto p = call(io, client, std::move(put)); p.status != 200)
      return caf::make_error(ec::unavailable, "setting the bot rules: " + render(error_of(p)));
  }
  run_result r;
  r.scenario = s.name;
  r.seed = opts.seed;
  r.timed = true;
  std::ostringstream mode;
  mode << "http";
  for (const auto& target : http.targets)
    mode << " " << target;
  mode << ", time scale " << s.time_scale << ", event " << ev.id;
  r.mode = mode.str();
  auto venue_doc = json::parse(*venue);
  std::vector<std::string> sections;
  for (const auto& sec : venue_doc.at("sections")) {
    sections.push_back(sec.at("id").get<std::string>());
    for (const auto& row : sec.at("rows"))
      r.seats += static_cast<uint32_t>(row.at("seats").size());
  }

  crowd fans{s, opts.seed, sections};
  auto started = steady::now();
  fans.measure_with([started] {
    return std::chrono::duration<double, std::milli>(steady::now() - started).count();
  });
  http_fans api{io, clients, bot_clients, ev.id, run_id, fans.clients(), opts.seed};
  auto tick =
      std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s.time_scale));
  auto last_progress = steady::now();
  std::optional<json> queue; // the event's queue counters, as last seen (twice a second)
  std::map<std::string, std::string> published; // event -> seed commitment shown
  bool asking_queue = false;
  steady::time_point asked_queue;
  uint32_t t = 0;
  for (; t <= s.max_duration_s; ++t) {
    fans.tick(t, api);
    if (!asking_queue && steady::now() - asked_queue >= std::chrono::milliseconds{500}) {
      asking_queue = true;
      asked_queue = steady::now();
      client.send({"GET", "/v1/events/" + ev.id}, [&](http_reply x) {
        asking_queue = false;
        auto j = json::parse(x.body, nullptr, false);
        if (x.status == 200 && j.is_object() && j.contains("queue")) {
          queue = j["queue"];
          // The first commitment the fans were shown: the verifier holds the seed to it.
          if (auto c = queue->find("seed_commitment");
              c != queue->end() && c->is_string() && !published.contains(ev.id))
            published[ev.id] = c->get<std::string>();
        }
      });
    }
    auto next = started + tick * (t + 1);
    while (steady::now() < next) {
      io.restart();
      io.run_until(next);
    }
    sample x{t,
             0,
             0,
             fans.sold_now(),
             throttled(clients) + throttled(bot_clients),
             fans.counts().errors};
    if (queue) {
      x.waiting = queue->value("waiting", uint64_t{0});
      x.admitted = queue->value("admitted", uint64_t{0});
    }
    r.series.push_back(x);
    if (opts.progress && steady::now() - last_progress >= std::chrono::seconds{1}) {
      last_progress = steady::now();
      r.fans = fans.counts();
      opts.progress(x, r);
    }
    if (fans.finished())
      break;
  }
  r.duration_s = t;
  // Calls still under way at the end are waited for (a fan's answer is part of the record).
  run_until(
      io, [&] { return fans.in_flight() == 0; }, std::chrono::seconds{30});
  fans.finish();
  r.requests = 0;
  for (const auto* pool : {&clients, &bot_clients})
    for (const auto& c : *pool)
      r.requests += c->answered();
  r.throttled = throttled(clients) + throttled(bot_clients);
  auto summarize = [](const latencies& l) {
    return latency_summary{l.ms.size(), l.percentile(50), l.percentile(95), l.percentile(99)};
  };
  r.hold_ms = summarize(fans.hold_latency());
  r.checkout_ms = summarize(fans.checkout_latency());

  // What each edge's seat map says, against the fans' book and against each other. The map is
  // cached for a moment and a refunded seat is put back on sale just after the refund's answer:
  // tries for 3 s for it to settle, then whatever differs is a broken promise.
  std::vector<std::string> differences;
  for (int attempt = 0; attempt < 15; ++attempt) {
    if (attempt > 0) {
      // On the clock: `run_for` returns at once when nothing is pending (the crowd is done), so
      // the tries once came back to back, all within one cached map.
      asio::steady_timer pause{io, std::chrono::milliseconds{200}};
      bool waited = false;
      pause.async_wait([&waited](const boost::system::error_code&) { waited = true; });
      run_until(
          io, [&waited] { return waited; }, std::chrono::seconds{2});
    }
    differences.clear();
    std::optional<std::map<std::string, std::string>> first;
    for (size_t i = 0; i < clients.size(); ++i) {
      auto map = call(io, *clients[i], {"GET", "/v1/events/" + ev.id + "/seatmap"});
      auto status = parse<std::map<std::string, std::string>>(map, 200, [](const json& j) {
        std::map<std::string, std::string> result;
        for (const auto& sec : j.at("sections"))
          for (const auto& seat : sec.at("seats"))
            result.emplace(seat.at("id").get<std::string>(), seat.at("status").get<std::string>());
        return result;
      });
      if (!status)
        return caf::make_error(ec::unavailable, "reading the seat map through " + http.targets[i] +
                                                    ": " + render(status.error()));
      for (auto& d : compare_book(*status, fans.owners()))
        differences.push_back(http.targets[i] + ": " + d);
      if (!first)
        first = std::move(*status);
      else if (*first != *status)
        differences.push_back("the seat map through " + http.targets[i] +
                              " differs from the one through " + http.targets.front());
    }
    if (differences.empty())
      break;
  }
  r.violations.insert(r.violations.end(), differences.begin(), differences.end());
  if (s.bots) {
    http_call get{"GET", "/v1/admin/events/" + ev.id + "/bots"};
    get.bearer = http.admin_token;
    r.guard = guard_of(json::parse(call(io, client, std::move(get)).body, nullptr, false));
  }
  if (s.priced) {
    auto prices = call(io, client, {"GET", "/v1/events/" + ev.id + "/prices"});
    r.pricing = pricing_of(json::parse(prices.body, nullptr, false));
    r.started_at_ms = start_ms;
  }

  if (!http.data_dirs.empty()) {
    // The journals, read beside the running members: one secondary instance per data dir.
    std::vector<std::unique_ptr<persistence::store>> stores;
    std::vector<std::filesystem::path> secondaries;
    auto cleanup = [&] {
      stores.clear();
      std::error_code ignored;
      for (const auto& dir : secondaries)
        std::filesystem::remove_all(dir, ignored);
    };
    for (const auto& dir : http.data_dirs) {
      secondaries.push_back(
          std::filesystem::temp_directory_path() /
          ("seatgrab-verify-" + run_id + "-" + std::to_string(secondaries.size())));
      auto db = persistence::store::open_secondary(dir, secondaries.back());
      if (!db) {
        cleanup();
        return caf::make_error(ec::unavailable, "reading the journals of " + dir.string() + ": " +
                                                    render(db.error()));
      }
      stores.push_back(std::move(*db));
    }
    std::vector<const persistence::store*> dbs;
    for (const auto& db : stores)
      dbs.push_back(db.get());
    // Holds that ran out more than two seconds ago must have ended by now.
    r.journals_checked = true;
    r.checked = verify(dbs, {unix_ms() - 2000, true, true, published});
    cleanup();
    // The nodes may hold other events: compare this event's sales only.
    r.checked.seats_sold = 0;
    for (const auto& [key, order] : r.checked.sold)
      r.checked.seats_sold += key.starts_with(ev.id + "|");
  }
  judge(s, r, fans, ev.id, api.accounts());
  return r;
}

} // namespace seatgrab::scenarios
