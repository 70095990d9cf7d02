#include "cluster/admin_command.hpp"

#include "messages/ec.hpp"

#include <algorithm>
#include <charconv>

namespace seatgrab::cluster {

namespace {

admin_command command(admin_verb verb) {
  admin_command c;
  c.verb = verb;
  return c;
}

caf::error usage(const std::string& what, const char* how) {
  return caf::make_error(ec::invalid_argument, what + "; usage: " + how);
}

constexpr const char* actors_usage = "actors [KIND] [--node NAME]";
constexpr const char* inspect_usage = "inspect KIND ID";
constexpr const char* queue_usage = "queue EVENT open|pause|resume|rate N";
constexpr const char* hold_usage = "hold release EVENT HOLD_ID --reason TEXT";
constexpr const char* event_usage = "event EVENT close";
constexpr const char* bots_usage = "bots EVENT | bots mode EVENT RULE enforce|shadow|off";
constexpr const char* price_usage =
    "price freeze|unfreeze EVENT [SECTION] | price level EVENT SECTION N";

bool known_kind(const std::string& k) {
  const auto& all = admin_kinds();
  return std::find(all.begin(), all.end(), k) != all.end();
}

// A positive count of at most `max`; none if `text` is not one.
bool parse_count(const std::string& text, uint32_t max, uint32_t& out) {
  uint32_t n = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (err != std::errc{} || end != text.data() + text.size() || n == 0 || n > max)
    return false;
  out = n;
  return true;
}

caf::expected<admin_command> parse_actors(const std::vector<std::string>& w) {
  auto c = command(admin_verb::actors);
  for (size_t i = 1; i < w.size(); ++i) {
    if (w[i] == "--node") {
      if (i + 1 == w.size())
        return usage("--node needs a member's name", actors_usage);
      c.node = w[++i];
    } else if (c.kind.empty() && known_kind(w[i])) {
      c.kind = w[i];
    } else {
      return usage("unknown kind or option \"" + w[i] + "\"", actors_usage);
    }
  }
  return c;
}

caf::expected<admin_command> parse_queue(const std::vector<std::string>& w) {
  if (w.size() < 3)
    return usage("queue needs an event and an action", queue_usage);
  admin_command c;
  c.event = w[1];
  const auto& action = w[2];
  if (action == "rate") {
    if (w.size() != 4 || !parse_count(w[3], 1'000'000, c.number))
      return usage("rate needs admissions per minute, 1 to 1000000", queue_usage);
    c.verb = admin_verb::queue_rate;
    return c;
  }
  if (w.size() != 3)
    return usage("too many words", queue_usage);
  if (action == "open")
    c.verb = admin_verb::queue_open;
  else if (action == "pause")
    c.verb = admin_verb::queue_pause;
  else if (action == "resume")
    c.verb = admin_verb::queue_resume;
  else
    return usage("unknown queue action \"" + action + "\"", queue_usage);
  return c;
}

caf::expected<admin_command> parse_hold(const std::vector<std::string>& w) {
  if (w.size() < 2 || w[1] != "release")
    return usage("hold knows only release", hold_usage);
  if (w.size() < 6 || w[4] != "--reason")
    return usage("hold release needs an event, a hold id and --reason", hold_usage);
  auto c = command(admin_verb::hold_release);
  c.event = w[2];
  c.id = w[3];
  for (size_t i = 5; i < w.size(); ++i)
    c.reason += (i > 5 ? " " : "") + w[i];
  if (c.reason.find_first_not_of(" \t") == std::string::npos)
    return usage("the reason is empty", hold_usage);
  if (c.reason.size() > 500)
    return usage("the reason is longer than 500 bytes", hold_usage);
  return c;
}

caf::expected<admin_command> parse_price(const std::vector<std::string>& w) {
  if (w.size() < 3)
    return usage("price needs an action and an event", price_usage);
  admin_command c;
  c.event = w[2];
  if (w[1] == "freeze" || w[1] == "unfreeze") {
    if (w.size() > 4)
      return usage("too many words", price_usage);
    c.verb = w[1] == "freeze" ? admin_verb::price_freeze : admin_verb::price_unfreeze;
    if (w.size() == 4)
      c.section = w[3];
    return c;
  }
  if (w[1] != "level")
    return usage("unknown price action \"" + w[1] + "\"", price_usage);
  c.verb = admin_verb::price_level;
  // Level 0 is the floor: parse_count refuses 0, so read it by hand.
  if (w.size() != 5 || w[4].size() != 1 || w[4][0] < '0' || w[4][0] > '4')
    return usage("price level needs an event, a section and a level 0 to 4", price_usage);
  c.section = w[3];
  c.number = static_cast<uint32_t>(w[4][0] - '0');
  return c;
}

caf::expected<admin_command> parse_bots(const std::vector<std::string>& w) {
  admin_command c;
  if (w.size() == 2) {
    c.verb = admin_verb::bots;
    c.event = w[1];
    return c;
  }
  if (w.size() < 2 || w[1] != "mode")
    return usage(w.size() < 2 ? "bots needs an event" : "too many words", bots_usage);
  if (w.size() != 5)
    return usage("bots mode needs an event, a rule and a mode", bots_usage);
  static const std::vector<std::string> rules{"prefix_joins", "device_accounts", "card_purchases",
                                              "card_tickets", "card_declines",   "risk"};
  if (std::find(rules.begin(), rules.end(), w[3]) == rules.end())
    return usage("unknown rule \"" + w[3] +
                     "\" (prefix_joins device_accounts card_purchases card_tickets "
                     "card_declines risk)",
                 bots_usage);
  if (w[4] != "enforce" && w[4] != "shadow" && w[4] != "off")
    return usage("unknown mode \"" + w[4] + "\"", bots_usage);
  c.verb = admin_verb::bots_mode;
  c.event = w[2];
  c.reason = w[3];
  c.mode = w[4];
  return c;
}

// `top [N]` and `audit [N]`: at most 1000 lines.
caf::expected<admin_command> parse_lines(admin_verb verb, const std::vector<std::string>& w,
                                         const char* how) {
  auto c = command(verb);
  if (w.size() > 2 || (w.size() == 2 && !parse_count(w[1], 1000, c.number)))
    return usage("a number of lines, 1 to 1000, is all it takes", how);
  return c;
}

} // namespace

bool admin_command::changes() const noexcept {
  switch (verb) {
  case admin_verb::queue_open:
  case admin_verb::queue_pause:
  case admin_verb::queue_resume:
  case admin_verb::queue_rate:
  case admin_verb::hold_release:
  case admin_verb::event_close:
  case admin_verb::price_freeze:
  case admin_verb::price_unfreeze:
  case admin_verb::price_level:
  case admin_verb::bots_mode:
    return true;
  default:
    return false;
  }
}

const std::vector<std::string>& admin_kinds() {
  static const std::vector<std::string> all{"section", "event",    "queue",   "box_office",
                                            "session", "accounts", "pricing", "bot_guard"};
  return all;
}

const std::vector<std::string>& admin_verbs() {
  static const std::vector<std::string> all{"help", "nodes", "events", "event", "actors", "inspect",
                                            "top",  "queue", "hold",   "audit", "price",  "bots"};
  return all;
}

caf::expected<admin_command> parse_admin_command(const std::vector<std::string>& w) {
  if (w.empty())
    return caf::make_error(ec::invalid_argument, "no command; try help");
  const auto& verb = w[0];
  auto plain = [&](admin_verb v, const char* how) -> caf::expected<admin_command> {
    if (w.size() != 1)
      return usage(verb + " takes no arguments", how);
    return command(v);
  };
  if (verb == "help")
    return plain(admin_verb::help, "help");
  if (verb == "nodes")
    return plain(admin_verb::nodes, "nodes");
  if (verb == "events")
    return plain(admin_verb::events, "events");
  if (verb == "actors")
    return parse_actors(w);
  if (verb == "inspect") {
    if (w.size() != 3)
      return usage("inspect needs a kind and an id", inspect_usage);
    if (!known_kind(w[1]))
      return usage("unknown kind \"" + w[1] + "\"", inspect_usage);
    auto c = command(admin_verb::inspect);
    c.kind = w[1];
    c.id = w[2];
    return c;
  }
  if (verb == "top")
    return parse_lines(admin_verb::top, w, "top [N]");
  if (verb == "audit")
    return parse_lines(admin_verb::audit, w, "audit [N]");
  if (verb == "queue")
    return parse_queue(w);
  if (verb == "hold")
    return parse_hold(w);
  if (verb == "price")
    return parse_price(w);
  if (verb == "bots")
    return parse_bots(w);
  if (verb == "event") {
    if (w.size() != 3 || w[2] != "close")
      return usage(w.size() < 3 ? "event needs an event id and an action"
                                : "unknown event action \"" + w[2] + "\"",
                   event_usage);
    auto c = command(admin_verb::event_close);
    c.event = w[1];
    return c;
  }
  return caf::make_error(ec::invalid_argument, "unknown command \"" + verb + "\"; try help");
}

caf::expected<std::vector<std::string>> split_command_line(const std::string& line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && quote != '\'' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
    } else if (quote != 0) {
      if (c == quote)
        quote = 0;
      else
        cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word)
        words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote != 0)
    return caf::make_error(ec::invalid_argument, std::string{"unclosed "} + quote + " quote");
  if (in_word)
    words.push_back(std::move(cur));
  return words;
}

std::string join_command_line(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty())
      out += ' ';
    bool plain = !w.empty() && w.find_first_of(" \t\n\r\"'\\") == std::string::npos;
    if (plain) {
      out += w;
      continue;
    }
    out += '"';
    for (char c : w) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

const std::string& admin_help() {
  static const std::string text =
      "nodes                                   members: up or down, last heartbeat, actors\n"
      "events                                  the events of the catalog\n"
      "actors [KIND] [--node NAME]             live actors (kinds: section event queue\n"
      "                                        box_office session accounts pricing\n"
      "                                        bot_guard)\n"
      "inspect KIND ID                         one actor's status (a section: EVENT/SECTION)\n"
      "top [N]                                 the busiest actors, by mailbox and by version\n"
      "queue EVENT open|pause|resume|rate N    control an event's waiting room\n"
      "hold release EVENT HOLD_ID --reason T   release a fan's hold\n"
      "event EVENT close                       end the sale (final): no joins, admissions or\n"
      "                                        new holds; holds placed may still be paid\n"
      "price freeze|unfreeze EVENT [SECTION]   stop or restart the pricing rule (event or\n"
      "                                        section); the prices stay where they are\n"
      "price level EVENT SECTION N             set a section's price level by hand (0: floor)\n"
      "bots EVENT                              the bot guard: rules, decisions by verdict and\n"
      "                                        reason, top offending prefixes, devices, cards\n"
      "bots mode EVENT RULE enforce|shadow|off enforce a bot rule, only count it, or turn it off\n"
      "audit [N]                               what operators changed, on every member\n"
      "help                                    this list\n";
  return text;
}

} // namespace seatgrab::cluster
