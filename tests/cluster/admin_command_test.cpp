// The admin shell's command language (cluster/admin_command.hpp): what parses, what is refused
// with its usage, and command lines split and joined again.

#include "cluster/admin_command.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

namespace sg = seatgrab;
using sg::cluster::admin_verb;
using sg::cluster::parse_admin_command;
using words = std::vector<std::string>;

namespace {

std::string refusal(const words& w) {
  auto c = parse_admin_command(w);
  REQUIRE_FALSE(c);
  CHECK(c.error() == sg::ec::invalid_argument);
  return sg::render(c.error());
}

} // namespace

TEST_CASE("reading commands parse, and change nothing") {
  const std::vector<std::pair<words, admin_verb>> reading{
      {words{"nodes"}, admin_verb::nodes},       {words{"events"}, admin_verb::events},
      {words{"help"}, admin_verb::help},         {words{"top"}, admin_verb::top},
      {words{"audit", "20"}, admin_verb::audit}, {words{"bots", "gig"}, admin_verb::bots}};
  for (const auto& x : reading) {
    auto c = parse_admin_command(x.first);
    REQUIRE(c);
    CHECK(c->verb == x.second);
    CHECK_FALSE(c->changes());
  }
  auto a = parse_admin_command({"actors", "section", "--node", "b"});
  REQUIRE(a);
  CHECK(a->kind == "section");
  CHECK(a->node == "b");
  auto all = parse_admin_command({"actors"});
  REQUIRE(all);
  CHECK(all->kind.empty());
  auto i = parse_admin_command({"inspect", "section", "gig/A"});
  REQUIRE(i);
  CHECK(i->verb == admin_verb::inspect);
  CHECK(i->id == "gig/A");
  auto t = parse_admin_command({"top", "5"});
  REQUIRE(t);
  CHECK(t->number == 5);
}

TEST_CASE("changes parse with their arguments") {
  auto p = parse_admin_command({"queue", "gig", "pause"});
  REQUIRE(p);
  CHECK(p->verb == admin_verb::queue_pause);
  CHECK(p->event == "gig");
  CHECK(p->changes());
  auto r = parse_admin_command({"queue", "gig", "rate", "1200"});
  REQUIRE(r);
  CHECK(r->verb == admin_verb::queue_rate);
  CHECK(r->number == 1200);
  auto h = parse_admin_command({"hold", "release", "gig", "h-7", "--reason", "card", "fraud"});
  REQUIRE(h);
  CHECK(h->verb == admin_verb::hold_release);
  CHECK(h->event == "gig");
  CHECK(h->id == "h-7");
  CHECK(h->reason == "card fraud");
  CHECK(h->changes());
  auto f = parse_admin_command({"price", "freeze", "gig"});
  REQUIRE(f);
  CHECK(f->verb == admin_verb::price_freeze);
  CHECK(f->event == "gig");
  CHECK(f->section.empty());
  CHECK(f->changes());
  auto u = parse_admin_command({"price", "unfreeze", "gig", "A"});
  REQUIRE(u);
  CHECK(u->verb == admin_verb::price_unfreeze);
  CHECK(u->section == "A");
  auto l = parse_admin_command({"price", "level", "gig", "A", "0"});
  REQUIRE(l);
  CHECK(l->verb == admin_verb::price_level);
  CHECK(l->number == 0);
  CHECK(l->changes());
  auto e = parse_admin_command({"event", "gig", "close"});
  REQUIRE(e);
  CHECK(e->verb == admin_verb::event_close);
  CHECK(e->event == "gig");
  CHECK(e->changes());
}

TEST_CASE("a bad command names what is wrong and how the command is used") {
  CHECK(refusal({}).find("no command") != std::string::npos);
  CHECK(refusal({"frob"}).find("unknown command \"frob\"") != std::string::npos);
  CHECK(refusal({"nodes", "x"}).find("takes no arguments") != std::string::npos);
  CHECK(refusal({"actors", "robots"}).find("\"robots\"") != std::string::npos);
  CHECK(refusal({"actors", "--node"}).find("usage: actors") != std::string::npos);
  CHECK(refusal({"inspect", "section"}).find("usage: inspect KIND ID") != std::string::npos);
  CHECK(refusal({"inspect", "robot", "x"}).find("unknown kind") != std::string::npos);
  CHECK(refusal({"queue", "gig"}).find("usage: queue") != std::string::npos);
  CHECK(refusal({"queue", "gig", "stop"}).find("\"stop\"") != std::string::npos);
  for (const char* n : {"0", "-1", "x", "1000001", "12x"})
    CHECK(refusal({"queue", "gig", "rate", n}).find("1 to 1000000") != std::string::npos);
  CHECK(refusal({"hold", "release", "gig", "h-1"}).find("--reason") != std::string::npos);
  CHECK(refusal({"hold", "release", "gig", "h-1", "--reason", " "}).find("empty") !=
        std::string::npos);
  CHECK(refusal({"hold", "extend"}).find("only release") != std::string::npos);
  CHECK(refusal({"event", "gig"}).find("usage: event EVENT close") != std::string::npos);
  CHECK(refusal({"event", "gig", "open"}).find("unknown event action \"open\"") !=
        std::string::npos);
  CHECK(refusal({"event", "gig", "close", "now"}).find("usage: event") != std::string::npos);
  CHECK(refusal({"price", "thaw", "gig"}).find("unknown price action \"thaw\"") !=
        std::string::npos);
  CHECK(refusal({"price", "level", "gig", "A", "5"}).find("a level 0 to 4") != std::string::npos);
  CHECK(refusal({"price", "level", "gig", "A"}).find("usage: price") != std::string::npos);
  CHECK(refusal({"price", "freeze", "gig", "A", "B"}).find("too many words") != std::string::npos);
  CHECK(refusal({"top", "0"}).find("1 to 1000") != std::string::npos);
  CHECK(refusal({"audit", "5", "6"}).find("usage: audit") != std::string::npos);
}

TEST_CASE("command lines split on blanks, keep quoted words whole, and join back") {
  auto w =
      sg::cluster::split_command_line(R"(hold release gig "h 1" --reason "it's" 'say "x"' a\ b)");
  REQUIRE(w);
  CHECK(*w == words{"hold", "release", "gig", "h 1", "--reason", "it's", "say \"x\"", "a b"});
  auto again = sg::cluster::split_command_line(sg::cluster::join_command_line(*w));
  REQUIRE(again);
  CHECK(*again == *w);
  CHECK(sg::cluster::join_command_line({"queue", "gig", "pause"}) == "queue gig pause");
  auto open = sg::cluster::split_command_line("hold \"unclosed");
  REQUIRE_FALSE(open);
  CHECK(open.error() == sg::ec::invalid_argument);
  auto blank = sg::cluster::split_command_line("   ");
  REQUIRE(blank);
  CHECK(blank->empty());
}

TEST_CASE("bots mode parses a rule and a mode; anything else names the word") {
  auto m = parse_admin_command({"bots", "mode", "gig", "risk", "shadow"});
  REQUIRE(m);
  CHECK(m->verb == admin_verb::bots_mode);
  CHECK(m->event == "gig");
  CHECK(m->reason == "risk");
  CHECK(m->mode == "shadow");
  CHECK(m->changes());
  auto rule = parse_admin_command({"bots", "mode", "gig", "speed", "off"});
  REQUIRE_FALSE(rule);
  CHECK(seatgrab::render(rule.error()).find("unknown rule \"speed\"") != std::string::npos);
  auto mode = parse_admin_command({"bots", "mode", "gig", "risk", "sometimes"});
  REQUIRE_FALSE(mode);
  CHECK(seatgrab::render(mode.error()).find("unknown mode") != std::string::npos);
  CHECK_FALSE(parse_admin_command({"bots"}));
  CHECK_FALSE(parse_admin_command({"bots", "mode", "gig"}));
}
