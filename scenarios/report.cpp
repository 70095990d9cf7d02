// What a run shows: its expectations judged, and its report as JSON, terminal summary and an
// HTML page with inline SVG plots.
#include "messages/ec.hpp"
#include "scenarios/runner.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

namespace seatgrab::scenarios {

namespace {

/// The bot defence's figures and expectations of a run with bots.
void judge_bots(const scenario& s, run_result& r, const crowd& c,
                const std::map<std::string, uint32_t>& accounts) {
  bot_report b;
  b.humans = c.humans();
  b.bots = c.bots();
  if (r.guard)
    b.guard = *r.guard;
  if (r.journals_checked) {
    b.from_journals = true;
    if (auto i = r.checked.bot_outcomes.find("shadow"); i != r.checked.bot_outcomes.end())
      for (const auto& account : i->second) {
        auto f = accounts.find(account);
        if (f == accounts.end())
          continue; // not one of this run's fans
        ++(c.is_bot(f->second) ? b.bots_shadowed : b.humans_shadowed);
      }
  }
  auto percent = [](double x) { return std::to_string(x * 100) + " %"; };
  if (b.seats_share() > s.expect_bot_seat_share_max)
    r.unmet.push_back("bots bought " + percent(b.seats_share()) + " of the seats sold, more than " +
                      percent(s.expect_bot_seat_share_max));
  if (b.humans_stepped_up_share() > s.expect_humans_stepped_up_max)
    r.unmet.push_back(percent(b.humans_stepped_up_share()) +
                      " of the people were stepped up, more than " +
                      percent(s.expect_humans_stepped_up_max));
  if (b.humans_blocked() > s.expect_humans_blocked_max)
    r.unmet.push_back(std::to_string(b.humans_blocked()) +
                      " people were blocked or shadowed, more than " +
                      std::to_string(s.expect_humans_blocked_max));
  if (b.bot_requests_share() < s.expect_bot_requests_share_min)
    r.unmet.push_back("bots made " + percent(b.bot_requests_share()) +
                      " of the requests, fewer than the scenario means (" +
                      percent(s.expect_bot_requests_share_min) + ")");
  r.bots = std::move(b);
}

} // namespace

void judge(const scenario& s, run_result& r, const crowd& c, const std::string& event_id,
           const std::map<std::string, uint32_t>& accounts) {
  r.fans = c.counts();
  r.seats_sold = c.owners().size();
  r.violations.insert(r.violations.end(), c.violations().begin(), c.violations().end());
  r.errors = c.errors();
  if (c.in_flight() > 0)
    r.violations.push_back(std::to_string(c.in_flight()) + " calls were never answered");
  if (r.journals_checked) {
    if (r.checked.seats_sold != r.seats_sold)
      r.violations.push_back("the journals show " + std::to_string(r.checked.seats_sold) +
                             " seats sold, the fans were told they own " +
                             std::to_string(r.seats_sold));
    for (const auto& [seat, fan] : c.owners())
      if (!r.checked.sold.contains(event_id + "|" + seat)) {
        r.violations.push_back("fan " + crowd::account_of(fan) + " owns seat " + seat +
                               ", which the journals do not show sold");
        break;
      }
  }
  if (static_cast<double>(r.seats_sold) < s.expect_sold_share * r.seats)
    r.unmet.push_back("expected at least " + std::to_string(s.expect_sold_share * 100) +
                      " % of the seats sold: " + std::to_string(r.seats_sold) + " of " +
                      std::to_string(r.seats));
  if (s.refund_rate > 0 && r.fans.refunds == 0)
    r.unmet.push_back("refunds were expected (population.refund_rate), none happened");
  if (s.transfer_rate > 0 && r.fans.transfers == 0)
    r.unmet.push_back("transfers were expected (population.transfer_rate), none happened");
  if (r.fans.errors > 0)
    r.unmet.push_back(std::to_string(r.fans.errors) + " unexpected answers (see errors)");
  if (s.bots)
    judge_bots(s, r, c, accounts);
}

namespace {

nlohmann::ordered_json latency_json(const latency_summary& l) {
  return {{"count", l.count}, {"p50_ms", l.p50}, {"p95_ms", l.p95}, {"p99_ms", l.p99}};
}

nlohmann::ordered_json side_json(const side& x) {
  return {{"clients", x.clients},       {"requests", x.requests},
          {"joined", x.joined},         {"admitted", x.admitted},
          {"seats", x.seats},           {"challenged", x.challenged},
          {"stepped_up", x.stepped_up}, {"refused", x.refused},
          {"throttled", x.throttled},   {"gave_up_step_up", x.gave_up_step_up}};
}

nlohmann::ordered_json offenders_json(const std::vector<offender>& xs) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& x : xs)
    out.push_back({{"key", x.key}, {"count", x.count}});
  return out;
}

nlohmann::ordered_json bots_json(const bot_report& b, const verdict& checked) {
  auto humans = side_json(b.humans);
  auto bots = side_json(b.bots);
  if (b.from_journals) {
    humans["shadowed"] = b.humans_shadowed;
    bots["shadowed"] = b.bots_shadowed;
  }
  return {{"seats_share", b.seats_share()},
          {"humans_stepped_up_share", b.humans_stepped_up_share()},
          {"humans_blocked", b.humans_blocked()},
          {"humans_shadowed", b.humans_shadowed},
          {"bot_requests_share", b.bot_requests_share()},
          {"bot_seats", b.bots.seats},
          {"seats_sold", b.seats()},
          {"humans", humans},
          {"bots", bots},
          {"decisions", b.guard.verdicts},
          {"reasons", b.guard.reasons},
          {"flagged", b.guard.flagged},
          {"top",
           {{"prefixes", offenders_json(b.guard.prefixes)},
            {"devices", offenders_json(b.guard.devices)},
            {"cards", offenders_json(b.guard.cards)}}},
          {"verifier",
           {{"guard_records", checked.bot_decisions},
            {"card_purchases_checked", checked.guarded_purchases}}}};
}

} // namespace

std::string run_result::json() const {
  nlohmann::ordered_json j;
  j["scenario"] = scenario;
  j["seed"] = seed;
  j["mode"] = mode;
  j["ok"] = ok();
  j["duration_s"] = duration_s;
  j["seats"] = seats;
  j["fans"] = {{"joined", fans.joined},
               {"admitted", fans.admitted},
               {"holds", fans.holds},
               {"hold_failures", fans.hold_failures},
               {"fewer_seats", fans.fewer_seats},
               {"abandoned", fans.abandoned},
               {"orders", fans.orders},
               {"declined", fans.declined},
               {"too_late", fans.too_late},
               {"seats_bought", fans.seats_bought},
               {"refunds", fans.refunds},
               {"transfers", fans.transfers},
               {"sold_out", fans.sold_out},
               {"gave_up", fans.gave_up},
               {"errors", fans.errors}};
  j["seats_sold"] = seats_sold;
  if (timed) {
    j["latency"] = {{"hold", latency_json(hold_ms)}, {"checkout", latency_json(checkout_ms)}};
    j["http"] = {{"requests", requests}, {"throttled_429", throttled}};
  }
  if (journals_checked)
    j["verifier"] = {{"violations", checked.violations}, {"events", checked.events},
                     {"seats_sold", checked.seats_sold}, {"tickets_valid", checked.tickets_valid},
                     {"admissions", checked.admissions}, {"holds", checked.holds},
                     {"expiries", checked.expiries}};
  if (pricing) {
    auto sections = nlohmann::ordered_json::array();
    for (const auto& s : pricing->sections) {
      auto steps = nlohmann::ordered_json::array();
      for (const auto& h : s.history)
        steps.push_back({{"t_s", (h.at_ms - started_at_ms) / 1000},
                         {"level", h.level},
                         {"price", h.price},
                         {"by", h.manual ? "operator" : "rule"}});
      sections.push_back(
          {{"id", s.section}, {"ladder", s.ladder}, {"level", s.level}, {"steps", steps}});
    }
    j["pricing"] = {{"interval_s", pricing->interval_s},
                    {"ticks", pricing->ticks},
                    {"price_version", pricing->price_version},
                    {"price_changes", checked.price_changes},
                    {"priced_sales_checked", checked.priced_sales},
                    {"sections", sections}};
  }
  if (bots)
    j["bots"] = bots_json(*bots, checked);
  j["violations"] = violations;
  j["errors"] = errors;
  j["unmet_expectations"] = unmet;
  auto rows = nlohmann::ordered_json::array();
  for (const auto& x : series)
    rows.push_back({x.t_s, x.waiting, x.admitted, x.sold, x.throttled, x.errors});
  j["series"] = {{"columns", {"t_s", "waiting", "admitted", "sold", "throttled", "errors"}},
                 {"rows", rows}};
  return j.dump(2) + "\n";
}

namespace {

std::string ms(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", x);
  return buf;
}

} // namespace

std::string run_result::summary() const {
  std::ostringstream os;
  os << "scenario " << scenario << " (seed " << seed << ", " << mode
     << "): " << (ok() ? "OK" : "FAILED") << "\n"
     << "  " << fans.joined << " fans joined, " << fans.admitted << " admitted, " << fans.holds
     << " holds (" << fans.abandoned << " abandoned, " << fans.hold_failures
     << " searches found nothing, " << fans.fewer_seats << " fans took fewer seats), "
     << fans.orders << " orders, " << fans.declined << " declined, " << fans.too_late
     << " too late, " << fans.refunds << " tickets refunded, " << fans.transfers << " transferred, "
     << fans.sold_out << " left sold out, " << fans.gave_up << " gave up\n"
     << "  " << seats_sold << " of " << seats << " seats sold in " << duration_s
     << " s of scenario time\n";
  if (timed)
    os << "  latency as the fans saw it (client queueing included): hold p50/p95/p99 "
       << ms(hold_ms.p50) << " / " << ms(hold_ms.p95) << " / " << ms(hold_ms.p99) << " ms ("
       << hold_ms.count << "), checkout " << ms(checkout_ms.p50) << " / " << ms(checkout_ms.p95)
       << " / " << ms(checkout_ms.p99) << " ms (" << checkout_ms.count << "); " << requests
       << " requests, " << throttled << " answered 429\n";
  if (journals_checked)
    os << "  verifier: " << checked.events << " journal records, " << checked.violations.size()
       << " violations; " << checked.tickets_valid << " valid tickets, " << checked.admissions
       << " admissions in queue order, " << checked.expiries << " expiries\n";
  else
    os << "  verifier: journals not read (give the node's data directory to check them)\n";
  if (pricing) {
    os << "  pricing: " << pricing->ticks << " ticks, price version " << pricing->price_version;
    if (journals_checked)
      os << ", " << checked.price_changes << " prices set (policy and steps), "
         << checked.priced_sales << " sold seats checked against guarantees 1 and 2";
    os << "\n   ";
    for (const auto& s : pricing->sections)
      os << " " << s.section << " " << s.ladder.front() << "->" << s.price << " (level " << s.level
         << "/" << s.ladder.size() - 1 << ")";
    os << "\n";
  }
  if (bots) {
    const auto& b = *bots;
    auto pct = [](double x) { return ms(x * 100) + " %"; };
    os << "  bots: " << b.bots.clients << " bots bought " << b.bots.seats << " of " << b.seats()
       << " seats sold (" << pct(b.seats_share()) << ") and made " << pct(b.bot_requests_share())
       << " of the requests; " << b.bots_shadowed << " shadowed, " << b.bots.stepped_up
       << " stepped up, " << b.bots.refused << " refused, " << b.bots.throttled
       << " answers 429\n  people: " << b.humans.clients << ", " << b.humans.stepped_up
       << " stepped up (" << pct(b.humans_stepped_up_share()) << "), " << b.humans.challenged
       << " asked for more work, " << b.humans_blocked() << " blocked or shadowed\n"
       << "  guard decisions:";
    for (const auto& [verdict, n] : b.guard.verdicts)
      os << " " << verdict << " " << n;
    os << "; " << b.guard.flagged << " accounts flagged for polling through 429s";
    if (journals_checked)
      os << "; " << checked.bot_decisions << " guard records and " << checked.guarded_purchases
         << " card purchases checked against the limits";
    os << "\n  guard reasons:";
    for (const auto& [reason, n] : b.guard.reasons)
      os << " " << reason << " " << n;
    os << "\n";
  }
  for (const auto& v : checked.violations)
    os << "  VIOLATION " << v << "\n";
  for (const auto& v : violations)
    os << "  VIOLATION " << v << "\n";
  for (const auto& e : errors)
    os << "  ERROR " << e << "\n";
  for (const auto& u : unmet)
    os << "  UNMET " << u << "\n";
  return os.str();
}

namespace {

/// A line chart of (t, value) points as inline SVG.
std::string svg_chart(const std::string& title, const std::vector<sample>& series,
                      uint64_t sample::*field) {
  const double w = 640, h = 200, pad = 30;
  uint64_t max_v = 1;
  uint32_t max_t = 1;
  for (const auto& x : series) {
    max_v = std::max(max_v, x.*field);
    max_t = std::max(max_t, x.t_s);
  }
  // At most ~1,000 points: a long run is thinned evenly.
  size_t step = std::max<size_t>(1, series.size() / 1000);
  std::ostringstream os;
  os << "<figure><figcaption>" << title << " (max " << max_v << ")</figcaption>"
     << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
     << "\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\" stroke=\"#ccc\"/>"
     << "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"";
  for (size_t k = 0; k < series.size(); k += step) {
    const auto& x = series[k];
    auto px = pad + (w - 2 * pad) * x.t_s / max_t;
    auto py = h - pad - (h - 2 * pad) * static_cast<double>(x.*field) / static_cast<double>(max_v);
    os << px << "," << py << " ";
  }
  os << "\"/><text x=\"" << pad << "\" y=\"" << h - 8 << "\" font-size=\"11\">0 s</text>"
     << "<text x=\"" << w - pad - 40 << "\" y=\"" << h - 8 << "\" font-size=\"11\">" << max_t
     << " s</text></svg></figure>\n";
  return os.str();
}

/// Horizontal bars of p50/p95/p99 for holds and checkouts.
std::string svg_latency(const latency_summary& hold, const latency_summary& checkout) {
  const double w = 640, row = 22, label = 150;
  double max_ms = std::max({1.0, hold.p99, checkout.p99});
  std::ostringstream os;
  os << "<figure><figcaption>Latency (ms): p50, p95, p99</figcaption><svg "
        "xmlns=\"http://www.w3.org/2000/svg\" width=\""
     << w << "\" height=\"" << row * 6 + 10 << "\">";
  int k = 0;
  for (const auto& [name, l] : {std::pair{"hold", hold}, std::pair{"checkout", checkout}})
    for (const auto& [p, v] :
         {std::pair{"p50", l.p50}, std::pair{"p95", l.p95}, std::pair{"p99", l.p99}}) {
      auto y = 5 + row * k++;
      os << "<text x=\"0\" y=\"" << y + 14 << "\" font-size=\"12\">" << name << " " << p
         << "</text><rect x=\"" << label << "\" y=\"" << y << "\" height=\"" << row - 6
         << "\" width=\"" << (w - label - 80) * v / max_ms << "\" fill=\"#2e7d32\"/><text x=\""
         << label + (w - label - 80) * v / max_ms + 4 << "\" y=\"" << y + 14
         << "\" font-size=\"12\">" << v << "</text>";
    }
  os << "</svg></figure>\n";
  return os.str();
}

/// Price per section over time, as steps, for the sections whose price moved (at most 12).
std::string svg_prices(const pricing_info& p, int64_t start_ms, uint32_t duration_s) {
  const double w = 640, h = 240, pad = 30;
  static constexpr const char* colours[] = {"#1565c0", "#c62828", "#2e7d32", "#6a1b9a",
                                            "#ef6c00", "#00838f", "#4e342e", "#ad1457",
                                            "#283593", "#558b2f", "#f9a825", "#37474f"};
  int64_t lo = INT64_MAX, hi = 0;
  std::vector<const section_price_info*> moved;
  for (const auto& s : p.sections)
    if (s.history.size() > 1 && moved.size() < std::size(colours)) {
      moved.push_back(&s);
      for (const auto& x : s.history) {
        lo = std::min(lo, x.price);
        hi = std::max(hi, x.price);
      }
    }
  std::ostringstream os;
  os << "<figure><figcaption>Price per section over time (sections whose price moved: "
     << moved.size() << " shown)</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\""
     << w << "\" height=\"" << h << "\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\" "
     << "stroke=\"#ccc\"/>";
  if (moved.empty()) {
    os << "<text x=\"" << pad << "\" y=\"" << h / 2 << "\">no price moved</text></svg></figure>\n";
    return os.str();
  }
  auto span = std::max<int64_t>(1, hi - lo);
  auto end_s = std::max<double>(1, duration_s);
  auto x_of = [&](int64_t at_ms) {
    return pad + (w - 2 * pad) * std::clamp((at_ms - start_ms) / 1000.0, 0.0, end_s) / end_s;
  };
  auto y_of = [&](int64_t price) {
    return h - pad - (h - 2 * pad) * static_cast<double>(price - lo) / static_cast<double>(span);
  };
  for (size_t i = 0; i < moved.size(); ++i) {
    os << "<polyline fill=\"none\" stroke=\"" << colours[i] << "\" stroke-width=\"1.5\" points=\"";
    const auto& hist = moved[i]->history;
    for (size_t k = 0; k < hist.size(); ++k) {
      if (k > 0)
        os << x_of(hist[k].at_ms) << "," << y_of(hist[k - 1].price) << " ";
      os << x_of(hist[k].at_ms) << "," << y_of(hist[k].price) << " ";
    }
    os << x_of(start_ms + static_cast<int64_t>(end_s * 1000)) << "," << y_of(hist.back().price)
       << "\"/><text x=\"" << w - pad + 2 << "\" y=\"" << y_of(hist.back().price)
       << "\" font-size=\"10\" fill=\"" << colours[i] << "\">" << moved[i]->section << "</text>";
  }
  os << "<text x=\"" << pad << "\" y=\"" << h - 8 << "\" font-size=\"11\">0 s, " << lo
     << "</text><text x=\"" << w - pad - 80 << "\" y=\"" << h - 8 << "\" font-size=\"11\">"
     << duration_s << " s, top " << hi << "</text></svg></figure>\n";
  return os.str();
}

} // namespace

std::string run_result::html() const {
  std::ostringstream os;
  os << "<!doctype html><html><head><meta charset=\"utf-8\"><title>SeatGrab scenario " << scenario
     << "</title><style>body{font-family:sans-serif;margin:2em}"
     << "pre{background:#f5f5f5;padding:1em}</style></head><body><h1>Scenario " << scenario
     << "</h1><pre>" << summary() << "</pre>"
     << svg_chart("Fans waiting in the queue", series, &sample::waiting)
     << svg_chart("Admissions so far", series, &sample::admitted)
     << svg_chart("Seats sold", series, &sample::sold);
  if (pricing)
    os << svg_prices(*pricing, started_at_ms, duration_s);
  if (timed)
    os << svg_latency(hold_ms, checkout_ms)
       << svg_chart("429 answers so far", series, &sample::throttled)
       << svg_chart("Unexpected answers so far", series, &sample::errors);
  else
    os << svg_chart("Unexpected answers so far", series, &sample::errors)
       << "<p>Latencies are not measured in this mode: every actor runs on virtual time.</p>";
  os << "</body></html>\n";
  return os.str();
}

caf::error write_report(const run_result& r, const std::filesystem::path& dir) {
  std::error_code err;
  std::filesystem::create_directories(dir, err);
  if (err)
    return caf::make_error(ec::invalid_input, "--report " + dir.string() + ": " + err.message());
  for (const auto& [name, text] :
       {std::pair{"report.json", r.json()}, std::pair{"summary.txt", r.summary()},
        std::pair{"report.html", r.html()}}) {
    std::ofstream out{dir / name};
    out << text;
    if (!out)
      return caf::make_error(ec::invalid_input, "--report: cannot write " + (dir / name).string());
  }
  return {};
}

} // namespace seatgrab::scenarios
