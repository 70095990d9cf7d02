// The bot defence through the edge: a browser's join passes on the base proof of work, a
// script's is stepped up and gets in by answering; forged, replayed and other fans' challenges
// are refused; a headless farm is shadowed (its place never moves, it is never admitted);
// X-Forwarded-For counts only from a trusted proxy; a card is held to its purchases and
// tickets across accounts; a script that polls through its 429s is refused at checkout (its
// seats back on sale at once), a browser that does is not; operators read and set the rules;
// /metrics shows the decisions.
#include "security/step_up.hpp"
#include "tests/http/edge_fixture.hpp"
#include "tests/support/eventually.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <map>
#include <string>

namespace sg = seatgrab;
using nlohmann::json;

using sg::test::body_of;

namespace {

/// A nonce whose SHA-256 with `token` starts with `bits` zero bits.
std::string solve(const std::string& token, uint32_t bits) {
  for (uint64_t n = 0;; ++n) {
    auto input = token + ":" + std::to_string(n);
    unsigned char d[32];
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), d);
    uint32_t zeros = 0;
    for (int i = 0; i < 32 && zeros < bits; ++i) {
      int lead = d[i] == 0 ? 8 : __builtin_clz(d[i]) - 24;
      zeros += static_cast<uint32_t>(lead);
      if (lead < 8)
        break;
    }
    if (zeros >= bits)
      return std::to_string(n);
  }
}

/// What a browser sends besides the body.
std::map<std::string, std::string> browser_headers(const std::string& token) {
  return {{"Authorization", "Bearer " + token},
          {"User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                         "like Gecko) Chrome/131.0.0.0 Safari/537.36"},
          {"Accept-Language", "en-US,en;q=0.9"},
          {"Sec-Fetch-Mode", "cors"},
          {"Sec-Fetch-Site", "same-origin"}};
}

json browser_signals() {
  return {{"screen", "1920x1080x24"}, {"timezone", "Europe/Berlin"},
          {"languages", "en-US,en"},  {"platform", "Win32"},
          {"canvas", "3f9a"},         {"audio", "77e1"},
          {"hardware_concurrency", 8}};
}

/// The guard enforcing everything, with a base proof of work of `bits`.
sg::test::edge_options enforcing(uint32_t bits) {
  sg::test::edge_options opts;
  opts.bots = sg::bot_rules{};
  opts.bots.pow_base_bits = bits;
  return opts;
}

/// A solved base challenge of event "gig" as join fields.
json solved(sg::test::http_client& c) {
  auto ch = body_of(c.request("GET", "/v1/events/gig/challenge"));
  auto token = ch["challenge"].get<std::string>();
  return {{"challenge", token}, {"nonce", solve(token, ch["difficulty"].get<uint32_t>())}};
}

/// The admission token of `target` (a queue ticket), read from its status stream.
std::string admission_from_stream(sg::test::http_client& c, const std::string& target,
                                  const std::map<std::string, std::string>& headers) {
  for (int i = 0; i < 10; ++i) {
    auto frames = c.read_events(target + "/stream", 2, headers, std::chrono::seconds{5});
    for (size_t at = frames.find("data: "); at != std::string::npos;
         at = frames.find("data: ", at + 1)) {
      auto end = frames.find('\n', at);
      auto j = json::parse(frames.substr(at + 6, end - at - 6), nullptr, false);
      if (j.is_object() && j.value("state", "") == "admitted")
        return j["admission_token"];
    }
  }
  FAIL("not admitted");
  return {};
}

} // namespace

TEST_CASE("a browser joins on the base challenge; a script is stepped up and gets in answering") {
  sg::test::edge_fixture edge{enforcing(8)};
  edge.add_event();
  auto c = edge.client();
  auto fan = edge.fan("fan@example.com", c);
  auto body = solved(c);
  body["device"] = "browser-1";
  body["signals"] = browser_signals();
  auto joined = c.request("POST", "/v1/events/gig/queue", body.dump(), browser_headers(fan));
  CHECK_MESSAGE(joined.result_int() == 201, joined.body());

  // A client without User-Agent and signals (75): the step-up, whatever work it did.
  auto script = edge.fan("script@example.com", c);
  auto sbody = solved(c);
  sbody["device"] = "script-1";
  auto asked = c.with_token(script, "POST", "/v1/events/gig/queue", sbody.dump());
  REQUIRE(asked.result_int() == 403);
  auto problem = body_of(asked);
  CHECK(problem["code"] == "step_up_required");
  auto step = problem["step_up"];
  REQUIRE(step.is_object());
  // With the work to bring along: the step-up answers the step-up, never the proof of work
  // (75 is past harder_at: four bits more than the base).
  REQUIRE(problem["challenge"].is_object());
  CHECK(problem["challenge"]["difficulty"] == 12);
  auto work = problem["challenge"]["challenge"].get<std::string>();
  json solved_work{{"challenge", work}, {"nonce", solve(work, 12)}};
  // The image is ours, SVG, and says nothing a parser could read.
  auto image = c.request("GET", step["image"].get<std::string>());
  CHECK(image.result_int() == 200);
  CHECK(image["Content-Type"] == "image/svg+xml");
  CHECK(image.body().find("<text") == std::string::npos);
  // A wrong answer spends it and brings a fresh one.
  json retry{{"device", "script-1"}, {"step_up", {{"token", step["token"]}, {"answer", "x"}}}};
  auto wrong = c.with_token(script, "POST", "/v1/events/gig/queue", retry.dump());
  CHECK(wrong.result_int() == 403);
  CHECK(body_of(wrong)["code"] == "step_up_failed");
  auto fresh = body_of(wrong)["step_up"];
  REQUIRE(fresh.is_object());
  CHECK(fresh["token"] != step["token"]);
  // Another fan cannot use it.
  auto other = edge.fan("other@example.com", c);
  auto answer = *sg::security::step_up::solve_question(fresh["question"].get<std::string>());
  json theirs{{"device", "other-1"}, {"step_up", {{"token", fresh["token"]}, {"answer", answer}}}};
  auto stolen = c.with_token(other, "POST", "/v1/events/gig/queue", theirs.dump());
  CHECK(stolen.result_int() == 403);
  CHECK(body_of(stolen)["detail"] == "forged step-up challenge, or another's");
  // The text alternative answered without the work: asked for the work.
  json bare{{"device", "script-1"}, {"step_up", {{"token", fresh["token"]}, {"answer", answer}}}};
  auto no_work = c.with_token(script, "POST", "/v1/events/gig/queue", bare.dump());
  CHECK(body_of(no_work)["code"] == "challenge_required");
  // A fresh step-up, answered, with the work: in.
  auto again_asked = body_of(c.with_token(script, "POST", "/v1/events/gig/queue", sbody.dump()));
  CHECK(again_asked["detail"] == "challenge used before"); // that work was spent
  json right = solved_work;
  right["device"] = "script-1";
  auto asked2 = body_of(c.with_token(script, "POST", "/v1/events/gig/queue", right.dump()));
  REQUIRE(asked2["code"] == "step_up_required");
  auto third = asked2["step_up"];
  auto work2 = asked2["challenge"]["challenge"].get<std::string>();
  right = {
      {"device", "script-1"},
      {"challenge", work2},
      {"nonce", solve(work2, 12)},
      {"step_up",
       {{"token", third["token"]},
        {"answer", *sg::security::step_up::solve_question(third["question"].get<std::string>())}}}};
  auto in = c.with_token(script, "POST", "/v1/events/gig/queue", right.dump());
  CHECK_MESSAGE(in.result_int() == 201, in.body());
  // Replayed by its own fan for another event, or again: used.
  auto again = c.with_token(script, "POST", "/v1/events/gig/queue", right.dump());
  CHECK(again.result_int() == 403);
  CHECK(body_of(again)["detail"] == "step-up challenge used before");
}

TEST_CASE("a headless farm on one device is shadowed: its place never moves, never admitted") {
  sg::test::edge_fixture edge{enforcing(0)};
  edge.add_event();
  auto c = edge.client();
  std::map<std::string, std::string> headless{
      {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0.0.0 Safari/537.36"}};
  auto first = edge.fan("farm1@example.com", c);
  auto h1 = headless;
  h1["Authorization"] = "Bearer " + first;
  auto stepped = c.request("POST", "/v1/events/gig/queue", R"({"device":"farm"})", h1);
  CHECK(body_of(stepped)["code"] == "step_up_required"); // 75: tool + no signals
  auto second = edge.fan("farm2@example.com", c);
  auto h2 = headless;
  h2["Authorization"] = "Bearer " + second;
  auto shadowed = c.request("POST", "/v1/events/gig/queue", R"({"device":"farm"})", h2);
  REQUIRE_MESSAGE(shadowed.result_int() == 201, shadowed.body()); // looks accepted
  auto ticket = body_of(shadowed)["ticket"].get<uint64_t>();
  auto target = "/v1/events/gig/queue/" + std::to_string(ticket);
  auto before = body_of(c.with_token(second, "GET", target));
  CHECK(before["state"] == "waiting");
  // A browser joining after it is admitted; the shadowed fan still waits, at the same place.
  auto fan = edge.fan("fan@example.com", c);
  json body{{"device", "dev-fan"}, {"signals", browser_signals()}};
  auto joined = c.request("POST", "/v1/events/gig/queue", body.dump(), browser_headers(fan));
  REQUIRE_MESSAGE(joined.result_int() == 201, joined.body());
  auto mine = "/v1/events/gig/queue/" + std::to_string(body_of(joined)["ticket"].get<uint64_t>());
  bool admitted = false;
  for (int i = 0; i < 10 && !admitted; ++i) {
    admitted = body_of(c.with_token(fan, "GET", mine))["state"] == "admitted";
    if (!admitted) // the pacer admits once a second: wait for the stream's next change
      c.read_events(mine + "/stream", 2, {{"Authorization", "Bearer " + fan}},
                    std::chrono::seconds{5});
  }
  CHECK(admitted);
  auto after = body_of(c.with_token(second, "GET", target));
  CHECK(after["state"] == "waiting");
  CHECK(after["position"] == before["position"]);
  // The operator sees it, with its reasons.
  auto info = body_of(c.with_token(sg::test::admin_token, "GET", "/v1/admin/events/gig/bots"));
  CHECK(info["shadowed"] == 1);
  CHECK(info["verdicts"]["shadow"] == 1);
  CHECK(info["reasons"]["risk:device_shared"] == 1);
  CHECK(info["top"]["devices"][0]["count"] == 2);
}

TEST_CASE("X-Forwarded-For counts only from a trusted proxy, and then per client prefix") {
  auto limited = [](std::vector<std::string> proxies) {
    auto opts = enforcing(0);
    opts.bots.prefix_joins_per_min = 2;
    opts.bots.prefix_burst = 2;
    opts.bots.modes["risk"] = sg::rule_mode::off;
    opts.api.trusted_proxies = std::move(proxies);
    return opts;
  };
  auto join_from = [](sg::test::edge_fixture& edge, sg::test::http_client& c, int i,
                      const std::string& forwarded) {
    auto fan = edge.fan("f" + std::to_string(i) + "@example.com", c);
    return c.request("POST", "/v1/events/gig/queue",
                     json{{"device", "d" + std::to_string(i)}}.dump(),
                     {{"Authorization", "Bearer " + fan}, {"X-Forwarded-For", forwarded}});
  };
  SUBCASE("without a trusted proxy the header is the client's own claim: ignored") {
    sg::test::edge_fixture edge{limited({})};
    edge.add_event();
    auto c = edge.client();
    CHECK(join_from(edge, c, 1, "10.1.0.1").result_int() == 201);
    CHECK(join_from(edge, c, 2, "10.2.0.1").result_int() == 201);
    auto third = join_from(edge, c, 3, "10.3.0.1");
    CHECK(third.result_int() == 429); // all from 127.0.0.0/24
    CHECK(body_of(third)["code"] == "velocity_limited");
    CHECK(third["Retry-After"] == "30");
  }
  SUBCASE("behind a trusted proxy each client prefix has its own limit") {
    sg::test::edge_fixture edge{limited({"127.0.0.1/32"})};
    edge.add_event();
    auto c = edge.client();
    CHECK(join_from(edge, c, 1, "10.1.0.1").result_int() == 201);
    CHECK(join_from(edge, c, 2, "10.2.0.1").result_int() == 201);
    CHECK(join_from(edge, c, 3, "10.3.0.1").result_int() == 201);
    CHECK(join_from(edge, c, 4, "10.1.0.77").result_int() == 201);
    // The client's own claims left of the proxy's entry change nothing.
    auto spoofed = join_from(edge, c, 5, "10.9.9.9, 10.1.0.200");
    CHECK(spoofed.result_int() == 429);
    auto info = body_of(c.with_token(sg::test::admin_token, "GET", "/v1/admin/events/gig/bots"));
    CHECK(info["top"]["prefixes"][0]["key"] == "10.1.0.0/24");
  }
}

TEST_CASE("a card is held to 3 purchases an hour and the event's tickets across accounts") {
  auto opts = enforcing(0);
  opts.bots.modes["risk"] = sg::rule_mode::off;
  opts.bots.modes["prefix_joins"] = sg::rule_mode::off;
  opts.bots.card_tickets = 3;
  sg::test::edge_fixture edge{opts};
  edge.add_event();
  auto c = edge.client();
  auto buy = [&](int i, const std::string& seat) {
    auto fan = edge.fan("buyer" + std::to_string(i) + "@example.com", c);
    auto admission = edge.admitted(fan, c, "gig", "dev-" + std::to_string(i));
    auto hold = c.with_token(fan, "POST", "/v1/events/gig/holds", json{{"seats", {seat}}}.dump(),
                             {{"X-Admission-Token", admission}});
    REQUIRE_MESSAGE(hold.result_int() == 201, hold.body());
    auto id = body_of(hold)["id"].get<std::string>();
    return c.with_token(fan, "POST", "/v1/holds/" + id + "/checkout",
                        json{{"card", "4242424242424242"}}.dump());
  };
  CHECK(buy(1, "A-1-1").result_int() == 201);
  CHECK(buy(2, "A-1-2").result_int() == 201);
  CHECK(buy(3, "A-1-3").result_int() == 201);
  auto fourth = buy(4, "A-1-4");
  CHECK(fourth.result_int() == 403); // 3 tickets for this card already
  CHECK(body_of(fourth)["code"] == "card_limit");
  // The same three purchases, with the ticket limit out of the way: the hour's rate.
  auto opts2 = enforcing(0);
  opts2.bots.modes["risk"] = sg::rule_mode::off;
  opts2.bots.modes["prefix_joins"] = sg::rule_mode::off;
  opts2.bots.modes["card_tickets"] = sg::rule_mode::off;
  sg::test::edge_fixture edge2{opts2};
  edge2.add_event();
  auto c2 = edge2.client();
  int n = 0;
  auto buy2 = [&](const std::string& seat) {
    ++n;
    auto fan = edge2.fan("b" + std::to_string(n) + "@example.com", c2);
    auto admission = edge2.admitted(fan, c2, "gig", "dv-" + std::to_string(n));
    auto hold = c2.with_token(fan, "POST", "/v1/events/gig/holds", json{{"seats", {seat}}}.dump(),
                              {{"X-Admission-Token", admission}});
    REQUIRE(hold.result_int() == 201);
    return c2.with_token(fan, "POST",
                         "/v1/holds/" + body_of(hold)["id"].get<std::string>() + "/checkout",
                         json{{"card", "4242424242424242"}}.dump());
  };
  for (auto seat : {"A-1-1", "A-1-2", "A-1-3"})
    CHECK(buy2(seat).result_int() == 201);
  auto rate = buy2("A-1-4");
  CHECK(rate.result_int() == 429);
  CHECK(body_of(rate)["code"] == "velocity_limited");
  CHECK(std::stoi(std::string{rate["Retry-After"]}) > 1000); // about 20 minutes
}

TEST_CASE(
    "a script that polls through its 429s is refused at checkout; a browser that does is not") {
  auto opts = enforcing(0);
  opts.bots.modes["prefix_joins"] = sg::rule_mode::off; // every client is 127.0.0.1
  sg::test::edge_fixture edge{opts};
  edge.add_event();
  auto c = edge.client();
  // Joins with `headers`, polls its status 30 times at once (ten a second is what the storm's
  // bots do), then waits for its admission on the stream and buys `seat`.
  int n = 0;
  auto hammer_then_buy = [&](std::map<std::string, std::string> headers, const std::string& seat) {
    ++n;
    auto fan = edge.fan("fan" + std::to_string(n) + "@example.com", c);
    headers["Authorization"] = "Bearer " + fan;
    json body{{"device", "dev-" + std::to_string(n)}, {"signals", browser_signals()}};
    auto joined = c.request("POST", "/v1/events/gig/queue", body.dump(), headers);
    REQUIRE_MESSAGE(joined.result_int() == 201, joined.body());
    auto target = "/v1/events/gig/queue/" + std::to_string(body_of(joined)["ticket"].get<int>());
    int throttled = 0;
    for (int i = 0; i < 30; ++i) {
      auto st = c.request("GET", target, "", headers);
      if (st.result_int() == 429) {
        ++throttled;
        CHECK(body_of(st)["code"] == "velocity_limited");
      }
    }
    CHECK(throttled >= 15); // a burst of 11, then refused; five inside the first wait tell
    REQUIRE(sg::test::eventually([&] {
      auto g = c.with_token(sg::test::admin_token, "GET", "/v1/admin/events/gig/bots");
      return body_of(g)["flagged"] == n;
    }));
    auto admission = admission_from_stream(c, target, headers);
    auto hold = c.request("POST", "/v1/events/gig/holds", json{{"seats", {seat}}}.dump(),
                          {{"Authorization", "Bearer " + fan}, {"X-Admission-Token", admission}});
    REQUIRE_MESSAGE(hold.result_int() == 201, hold.body());
    return c.request("POST", "/v1/holds/" + body_of(hold)["id"].get<std::string>() + "/checkout",
                     json{{"card", "4242424242424242"}}.dump(), headers);
  };
  // A browser's agent without the Sec-Fetch headers every browser sends (45), hammering (40).
  auto script = browser_headers("");
  script.erase("Sec-Fetch-Mode");
  script.erase("Sec-Fetch-Site");
  auto refused = hammer_then_buy(script, "A-1-1");
  CHECK(refused.result_int() == 403);
  CHECK(body_of(refused)["code"] == "suspected_bot");
  // A browser that hammered too (a fan reloading): one signal alone refuses nothing. It buys the
  // seat the script held: a suspected bot's hold goes back on sale when it is refused.
  auto bought = hammer_then_buy(browser_headers(""), "A-1-1");
  CHECK_MESSAGE(bought.result_int() == 201, bought.body());
  auto g = body_of(c.with_token(sg::test::admin_token, "GET", "/v1/admin/events/gig/bots"));
  CHECK(g["reasons"]["suspected_bot"] == 1);
  CHECK(g["reasons"]["risk:ignores_retry_after"] == 2);
}

TEST_CASE("operators read and set the rules; a bad one names its field; fans may not") {
  sg::test::edge_fixture edge{enforcing(0)};
  edge.add_event();
  auto c = edge.client();
  auto got = c.with_token(sg::test::admin_token, "GET", "/v1/admin/events/gig/bots");
  REQUIRE(got.result_int() == 200);
  CHECK(body_of(got)["rules"]["prefix_joins_per_min"] == 20);
  auto bad = c.with_token(sg::test::admin_token, "PUT", "/v1/admin/events/gig/bots",
                          R"({"harder_at": 90})");
  CHECK(bad.result_int() == 400);
  CHECK(body_of(bad)["detail"].get<std::string>().find("harder_at") != std::string::npos);
  auto mode = c.with_token(sg::test::admin_token, "PUT", "/v1/admin/events/gig/bots",
                           R"({"modes": {"risk": "sometimes"}})");
  CHECK(mode.result_int() == 400);
  auto set = c.with_token(sg::test::admin_token, "PUT", "/v1/admin/events/gig/bots",
                          R"({"modes": {"risk": "shadow"}})");
  REQUIRE_MESSAGE(set.result_int() == 200, set.body());
  CHECK(body_of(set)["rules"]["modes"]["risk"] == "shadow");
  // In effect: the script that was stepped up before now only counts.
  auto fan = edge.fan("fan@example.com", c);
  auto joined = c.with_token(fan, "POST", "/v1/events/gig/queue", R"({"device":"x"})");
  CHECK(joined.result_int() == 201);
  CHECK(c.with_token(fan, "GET", "/v1/admin/events/gig/bots").result_int() == 403);
  CHECK(c.request("GET", "/v1/admin/events/gig/bots").result_int() == 401);
  auto metrics = c.request("GET", "/metrics").body();
  CHECK(metrics.find("seatgrab_bot_decisions_total{event=\"gig\",verdict=\"allow\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("seatgrab_bot_reasons_total{event=\"gig\",reason=\"shadow:step_up\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("seatgrab_pow_difficulty{event=\"gig\"} 0") != std::string::npos);
}
