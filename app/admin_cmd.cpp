#include "app/admin_cmd.hpp"

#include "app/serve.hpp"
#include "cluster/admin_command.hpp"
#include "cluster/membership.hpp"
#include "messages/interfaces.hpp"
#include "messages/system_config.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <editline/readline.h>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sys/stat.h>

namespace seatgrab::app {

namespace {

constexpr auto reply_timeout = std::chrono::seconds{20};

struct shell_config : caf::actor_system_config {
  explicit shell_config(const admin_cmd_options& opts) {
    load<caf::io::middleman>();
    if (!opts.tls_ca.empty()) {
      load<caf::openssl::manager>();
      openssl_certificate = opts.tls_cert;
      openssl_key = opts.tls_key;
      openssl_cafile = opts.tls_ca;
    }
    set("logger.verbosity", caf::atom("quiet"));
    register_types(*this);
  }
};

/// One command sent to the node's admin actor: its output or error text.
class session {
public:
  session(caf::actor_system& sys, admin_actor admin, std::string token, std::string who)
      : self_(sys), admin_(std::move(admin)), token_(std::move(token)), who_(std::move(who)) {}

  caf::expected<std::string> run(std::vector<std::string> words, bool json) {
    caf::expected<std::string> out{caf::make_error(ec::unavailable, "no reply")};
    admin_request req{token_, who_, std::move(words), json};
    self_->request(admin_, reply_timeout, atom::admin_v, std::move(req))
        .receive([&](std::string& text) { out = std::move(text); },
                 [&](caf::error& err) { out = std::move(err); });
    return out;
  }

private:
  caf::scoped_actor self_;
  admin_actor admin_;
  std::string token_;
  std::string who_;
};

std::string message_of(const caf::error& err) {
  auto text = render(err);
  return text;
}

// -- completion ------------------------------------------------------------------------------

session* completing = nullptr;                            // the shell's, while it runs
std::map<std::string, std::vector<std::string>> id_cache; // "events", or an actor kind
std::vector<std::string> candidates;                      // of the word being completed

/// Ids for completion: the catalog's events, or the actors of a kind (asked once per shell).
const std::vector<std::string>& ids_of(const std::string& what) {
  if (auto i = id_cache.find(what); i != id_cache.end())
    return i->second;
  auto& ids = id_cache[what];
  auto out = what == "events" ? completing->run({"events"}, true)
                              : completing->run({"actors", what}, true);
  if (!out)
    return ids;
  auto j = nlohmann::json::parse(*out, nullptr, false);
  const auto& list = what == "events" ? j : (j.is_object() ? j["actors"] : j);
  if (list.is_array())
    for (const auto& x : list)
      if (x.contains("id") && x["id"].is_string())
        ids.push_back(x["id"].get<std::string>());
  return ids;
}

/// What may come at word `n` after `words`.
std::vector<std::string> choices(const std::vector<std::string>& words) {
  using cluster::admin_kinds;
  using cluster::admin_verbs;
  auto n = words.size();
  if (n == 0)
    return admin_verbs();
  const auto& verb = words[0];
  if (verb == "actors")
    return admin_kinds();
  if (verb == "inspect")
    return n == 1 ? admin_kinds() : (n == 2 ? ids_of(words[1]) : std::vector<std::string>{});
  if (verb == "queue")
    return n == 1 ? ids_of("events")
                  : (n == 2 ? std::vector<std::string>{"open", "pause", "resume", "rate"}
                            : std::vector<std::string>{});
  if (verb == "event")
    return n == 1 ? ids_of("events")
                  : (n == 2 ? std::vector<std::string>{"close"} : std::vector<std::string>{});
  if (verb == "hold")
    return n == 1 ? std::vector<std::string>{"release"}
                  : (n == 2 ? ids_of("events")
                            : (n == 4 ? std::vector<std::string>{"--reason"}
                                      : std::vector<std::string>{}));
  return {};
}

char* next_candidate(const char* text, int state) {
  static size_t i;
  if (state == 0)
    i = 0;
  while (i < candidates.size()) {
    const auto& c = candidates[i++];
    if (c.compare(0, std::strlen(text), text) == 0)
      return strdup(c.c_str());
  }
  return nullptr;
}

char** complete(const char* text, int start, int) {
  rl_attempted_completion_over = 1; // no file names
  auto before =
      cluster::split_command_line(std::string{rl_line_buffer, static_cast<size_t>(start)});
  candidates = before ? choices(*before) : std::vector<std::string>{};
  return rl_completion_matches(text, next_candidate);
}

std::string history_file() {
  const char* home = std::getenv("HOME");
  return home ? std::string{home} + "/.seatgrab_admin_history" : std::string{};
}

int interactive(session& s, bool json) {
  completing = &s;
  rl_attempted_completion_function = complete;
  auto hist = history_file();
  if (!hist.empty())
    read_history(hist.c_str());
  std::cout << "seatgrab admin: type help for the commands, quit or ^D to leave\n";
  while (char* raw = readline("seatgrab> ")) {
    std::string line{raw};
    std::free(raw);
    auto words = cluster::split_command_line(line);
    if (!words) {
      std::cerr << message_of(words.error()) << '\n';
      continue;
    }
    if (words->empty())
      continue;
    add_history(line.c_str());
    if ((*words)[0] == "quit" || (*words)[0] == "exit")
      break;
    auto out = s.run(std::move(*words), json);
    if (out)
      std::cout << *out << std::flush;
    else
      std::cerr << message_of(out.error()) << '\n';
    if (!out || line.rfind("queue", 0) == 0 || line.rfind("hold", 0) == 0 ||
        line.rfind("event ", 0) == 0)
      id_cache.clear(); // things changed: ask again
  }
  if (!hist.empty()) {
    auto old = umask(077); // the history names events and holds: the operator's own
    write_history(hist.c_str());
    umask(old);
  }
  completing = nullptr;
  return 0;
}

} // namespace

int admin_shell(const admin_cmd_options& opts) {
  auto fail = [](const std::string& what, int code) {
    std::cerr << "seatgrab admin: " << what << '\n';
    return code;
  };
  auto where = cluster::parse_endpoint(opts.connect);
  if (!where)
    return fail("--connect \"" + opts.connect + "\": " + render(where.error()), 2);
  std::string token = opts.admin_token;
  if (!opts.admin_token_file.empty()) {
    auto t = read_secret_file("--admin-token-file", opts.admin_token_file);
    if (!t)
      return fail(render(t.error()), 2);
    token = std::move(*t);
  } else if (const char* env = std::getenv(admin_token_env); token.empty() && env) {
    token = env;
  }
  if (token.empty())
    return fail(std::string{"no admin token: give --admin-token, --admin-token-file or "} +
                    admin_token_env,
                2);
  std::string who = opts.who;
  if (who.empty()) {
    const char* user = std::getenv("USER");
    who = user ? user : "operator";
  }
  std::optional<cluster::endpoint> target{std::move(*where)};
  shell_config cfg{opts};
  caf::actor_system sys{cfg};
  auto registry = opts.tls_ca.empty()
                      ? sys.middleman().remote_actor<registry_actor>(target->host, target->port)
                      : caf::openssl::remote_actor<registry_actor>(sys, target->host, target->port);
  if (!registry)
    return fail("cannot connect to " + opts.connect + ": " + sys.render(registry.error()), 2);
  caf::expected<admin_actor> admin{caf::make_error(ec::unavailable, "no reply")};
  {
    caf::scoped_actor self{sys};
    self->request(*registry, reply_timeout, atom::get_v, atom::admin_v)
        .receive([&](admin_actor& hdl) { admin = std::move(hdl); },
                 [&](caf::error& err) { admin = std::move(err); });
  }
  if (!admin)
    return fail(opts.connect + " has no admin actor: " + render(admin.error()), 2);
  session s{sys, *admin, std::move(token), std::move(who)};
  if (opts.command.empty())
    return interactive(s, opts.json);
  auto words = cluster::split_command_line(opts.command);
  if (!words)
    return fail("-c: " + render(words.error()), 2);
  auto out = s.run(std::move(*words), opts.json);
  if (!out)
    return fail(message_of(out.error()), 1);
  std::cout << *out << std::flush;
  return 0;
}

} // namespace seatgrab::app
