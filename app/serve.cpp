#include "app/serve.hpp"

#include "app/test_faults.hpp"
#include "cluster/node.hpp"
#include "domain/bot_guard.hpp"
#include "domain/venue.hpp"
#include "http/api.hpp"
#include "http/client_address.hpp"
#include "http/server.hpp"
#include "http/tls.hpp"
#include "messages/admin.hpp"
#include "messages/ec.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace seatgrab::app {

namespace {

constexpr const char* demo_event_id = "stadium-tour";

// The demo: a 50,000-seat stadium with one event on sale. Idempotent across restarts.
caf::error load_demo(cluster::node& node, domain::time_point now) {
  auto venue = domain::generate_stadium();
  auto venue_id =
      node.call<std::string>(node.catalog(), atom::put_v, atom::venue_v, domain::to_json(venue));
  if (!venue_id)
    return venue_id.error();
  auto events = node.call<std::vector<event_info>>(node.catalog(), atom::get_v, atom::events_v);
  if (!events)
    return events.error();
  for (const auto& ev : *events)
    if (ev.id == demo_event_id)
      return {};
  event_info ev;
  ev.id = demo_event_id;
  ev.venue_id = venue.id;
  ev.name = "Stadium Tour (demo)";
  ev.opens_at_ms = now.time_since_epoch().count(); // on sale at once
  ev.refunds_until_ms = (now + std::chrono::hours{24 * 30}).time_since_epoch().count();
  // In a cluster another member may have made it meanwhile: the demo event is made once.
  if (auto id = node.call<std::string>(node.catalog(), atom::put_v, ev);
      !id && ec_of(id.error()) != ec::already_exists)
    return id.error();
  return {};
}

/// Descriptors the node needs besides its connections: the journal's files, the actors'
/// threads and pipes, the listening socket, the log.
constexpr size_t fd_reserve = 256;

/// Makes room for `max_connections` connections in RLIMIT_NOFILE: raises the soft limit
/// towards the hard one; if even that is too low, lowers the cap to what fits, with a
/// warning. Fails if not even a few connections fit.
caf::error fit_descriptor_limit(size_t& max_connections) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return caf::make_error(ec::invalid_input, std::string{"getrlimit: "} + std::strerror(errno));
  auto needed = static_cast<rlim_t>(max_connections + fd_reserve);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed) {
    auto wanted = lim.rlim_max == RLIM_INFINITY ? needed : std::min(needed, lim.rlim_max);
    rlimit raised{wanted, lim.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      spdlog::info("open files limit raised from {} to {}", lim.rlim_cur, wanted);
      lim.rlim_cur = wanted;
    } else {
      spdlog::warn("open files limit: setrlimit to {}: {}", wanted, std::strerror(errno));
    }
  }
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= needed)
    return {};
  if (lim.rlim_cur < fd_reserve + 16)
    return caf::make_error(ec::invalid_input,
                           "the open files limit (ulimit -n) is " + std::to_string(lim.rlim_cur) +
                               ": the node needs at least " + std::to_string(fd_reserve + 16));
  auto fits = static_cast<size_t>(lim.rlim_cur) - fd_reserve;
  spdlog::warn("--max-connections {} does not fit the open files limit {} (hard limit {}): "
               "serving at most {} connections",
               max_connections, lim.rlim_cur, lim.rlim_max, fits);
  max_connections = fits;
  return {};
}

} // namespace

caf::expected<std::string> read_secret_file(const char* flag, const std::filesystem::path& file) {
  auto fail = [flag, &file](const std::string& why) {
    return caf::make_error(ec::invalid_input, std::string{flag} + " " + file.string() + ": " + why);
  };
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(std::strerror(errno));
  std::string token;
  char buf[512];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0 && token.size() <= 4096)
    token.append(buf, static_cast<size_t>(n));
  auto read_errno = errno;
  struct stat st {};
  bool shared = ::fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0;
  ::close(fd);
  if (n < 0)
    return fail(std::strerror(read_errno));
  if (token.size() > 4096)
    return fail("larger than 4096 bytes");
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
    token.pop_back();
  if (token.empty())
    return fail("the file is empty");
  if (shared)
    spdlog::warn("{} {} is readable by group or others", flag, file.string());
  return token;
}

int serve(serve_options opts) {
  // The data dir holds the admission HMAC key and the events' signing keys: everything this
  // process creates is for the user alone.
  ::umask(077);
  if (!opts.admin_token_file.empty()) {
    auto token = read_secret_file("--admin-token-file", opts.admin_token_file);
    if (!token) {
      spdlog::error("{}", render(token.error()));
      return 1;
    }
    opts.admin_token = std::move(*token);
  } else if (const char* env = std::getenv(admin_token_env); opts.admin_token.empty() && env) {
    opts.admin_token = env;
  }
  // A bad cluster file fails here, before the data dir is touched.
  std::optional<cluster::membership> members;
  std::string cluster_secret;
  if (!opts.cluster.empty()) {
    auto m = cluster::load_membership(opts.cluster, opts.node);
    if (!m) {
      spdlog::error("{}", render(m.error()));
      return 1;
    }
    if (!opts.listen_given)
      opts.listen = cluster::to_string(m->me().http);
    // The registry a member publishes hands out every actor of the node: without mutual TLS
    // (--tls-ca) it must not be reachable from another host, unless the operator says the
    // network is closed (--insecure-cluster).
    if (opts.tls_ca.empty() && !opts.insecure_cluster)
      for (const auto& member : m->members)
        if (!cluster::is_loopback(member.cluster.host)) {
          spdlog::error("--cluster {}: node \"{}\" has cluster address {}: without --tls-ca "
                        "(mutual TLS) members talk only on loopback addresses (127.0.0.0/8, "
                        "::1, localhost), or --insecure-cluster on a closed network",
                        opts.cluster.string(), member.name, cluster::to_string(member.cluster));
          return 1;
        }
    if (m->members.size() > 1) {
      // Members must agree on the keys of admission tokens and card hashes.
      if (opts.cluster_secret_file.empty()) {
        spdlog::error("--cluster {}: a cluster of {} members needs --cluster-secret-file (the "
                      "same file on every member)",
                      opts.cluster.string(), m->members.size());
        return 1;
      }
      auto secret = read_secret_file("--cluster-secret-file", opts.cluster_secret_file);
      if (!secret) {
        spdlog::error("{}", render(secret.error()));
        return 1;
      }
      if (secret->size() < 32) {
        spdlog::error("--cluster-secret-file {}: shorter than 32 characters",
                      opts.cluster_secret_file.string());
        return 1;
      }
      cluster_secret = std::move(*secret);
    }
    spdlog::info("cluster member {} of {} ({}), registry on {}", m->me().name, m->members.size(),
                 opts.cluster.string(), cluster::to_string(m->me().cluster));
    members = std::move(*m);
  }
  // Bad TLS files fail here, before the data dir is touched.
  if (!opts.tls_ca.empty() && !std::ifstream{opts.tls_ca}) {
    spdlog::error("--tls-ca {}: cannot be read", opts.tls_ca.string());
    return 1;
  }
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (http::tls_files files{opts.tls_cert, opts.tls_key}; files.enabled()) {
    std::string error;
    tls = http::make_tls_context(files, error);
    if (!tls) {
      spdlog::error("{}", error);
      return 1;
    }
  }
  if (auto err = fit_descriptor_limit(opts.max_connections)) {
    spdlog::error("{}", render(err));
    return 1;
  }
  // Block the stop signals before any thread starts, so that every thread inherits the mask
  // and only the sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The one place the node reads the wall clock; everything after derives time from it.
  auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  domain::time_point wall{now.time_since_epoch()};
  cluster::node_options node_opts{opts.data_dir, opts.durability, 0, wall, {}};
  node_opts.cluster = std::move(members);
  node_opts.cluster_secret = std::move(cluster_secret);
  node_opts.admin_token = opts.admin_token;
  if (!opts.tls_ca.empty())
    node_opts.cluster_tls = {opts.tls_cert.string(), opts.tls_key.string(), opts.tls_ca.string()};
  auto& accounts = node_opts.actors.accounts;
  accounts.scrypt.n = uint64_t{1} << opts.scrypt_log2_n;
  // scrypt is CPU-bound: a thread per core uses them all, more would only queue in the kernel.
  accounts.hash_workers = opts.hash_workers > 0
                              ? opts.hash_workers
                              : std::max<size_t>(1, std::thread::hardware_concurrency());
  accounts.hash_queue = opts.hash_queue;
  // --rate-limit 0 turns every rate limit off, the log-in limits included.
  accounts.login_per_s_address = opts.rate_per_s > 0 ? opts.login_rate : 0;
  accounts.login_per_s_email = opts.rate_per_s > 0 ? opts.login_rate_email : 0;
  // The bot guard's defaults for every event whose operator set no rules of its own.
  {
    std::string error;
    if (!http::client_addresses::parse(opts.trusted_proxies, error)) {
      spdlog::error("{}", error);
      return 2;
    }
  }
  auto& bots = node_opts.bot_defaults;
  bots.pow_base_bits = opts.pow_difficulty;
  bots.pow_max_bits = std::max(bots.pow_max_bits, opts.pow_difficulty);
  if (opts.bot_guard != "enforce") {
    auto mode = opts.bot_guard == "shadow" ? rule_mode::shadow : rule_mode::off;
    for (auto r : domain::all_bot_rules)
      bots.modes[std::string{domain::name_of(r)}] = mode;
  }
  node_opts.bot_guard = opts.bot_guard != "off";
  if (opts.rate_per_s <= 0) // --rate-limit 0 turns every rate limit off
    for (auto r : {domain::bot_rule::prefix_joins, domain::bot_rule::card_purchases,
                   domain::bot_rule::card_declines})
      bots.modes[std::string{domain::name_of(r)}] = rule_mode::off;
  apply_test_faults(node_opts); // no-op unless a kill -9 test arms one (app/test_faults.hpp)
  auto started = cluster::node::start(node_opts);
  if (!started) {
    spdlog::error("{}", render(started.error()));
    return 1;
  }
  auto& node = **started;
  if (node_opts.cluster && node_opts.cluster->members.size() > 1) {
    // Fans' accounts are spread over every member's shard: give the others a moment to connect
    // (10 s at most) so the first sign-ups are not 503s. A member that is down does not hold
    // this one back: its shard answers 503 until it is back.
    auto others = node_opts.cluster->members.size() - 1;
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto peers = node.call<std::vector<peer_state>>(node.registry(), atom::get_v, atom::peers_v);
      size_t up = 0;
      if (peers)
        for (const auto& p : *peers)
          up += p.up ? 1 : 0;
      if (up >= others)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds{200}); // waiting on other processes
    }
  }
  if (opts.demo) {
    if (auto err = load_demo(node, wall)) {
      spdlog::error("loading the demo: {}", render(err));
      return 1;
    }
  }
  auto events = node.call<std::vector<event_info>>(node.catalog(), atom::get_v, atom::events_v);
  if (!events) {
    spdlog::error("listing events: {}", render(events.error()));
    return 1;
  }
  spdlog::info("data dir {} open (durability {}), {} event(s) recovered", opts.data_dir.string(),
               persistence::to_string(opts.durability), events->size());
  for (const auto& ev : *events)
    spdlog::info("  event {} \"{}\" on venue {}, holds last {} s", ev.id, ev.name, ev.venue_id,
                 ev.hold_ttl_s);
  auto colon = opts.listen.rfind(':');
  http::server_options http_opts;
  try {
    if (colon == std::string::npos)
      throw std::invalid_argument{"no port"};
    http_opts.host = opts.listen.substr(0, colon);
    auto port = std::stoul(opts.listen.substr(colon + 1));
    if (port > 65535)
      throw std::out_of_range{"port"};
    http_opts.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    spdlog::error("--listen {}: expected HOST:PORT, e.g. 127.0.0.1:8080", opts.listen);
    return 1;
  }
  http_opts.threads = opts.http_threads;
  http_opts.max_connections = opts.max_connections;
  http_opts.max_connections_per_address = opts.max_connections_per_address;
  http_opts.max_streams = opts.max_streams;
  http_opts.max_streams_per_address = opts.max_streams_per_address;
  http_opts.max_body_bytes = opts.max_body_bytes;
  http_opts.tls = tls;
  http::api_options api_opts;
  api_opts.admin_token = opts.admin_token;
  api_opts.rate_per_s = opts.rate_per_s;
  api_opts.burst = opts.rate_burst;
  api_opts.polls_per_s = opts.poll_rate;
  api_opts.pow_difficulty = opts.pow_difficulty;
  api_opts.trusted_proxies = opts.trusted_proxies;
  api_opts.idempotency_ttl = std::chrono::hours{opts.idempotency_ttl_h};
  api_opts.openapi_path = opts.openapi;
  if (opts.admin_token.empty())
    spdlog::warn("no admin token (--admin-token-file, {} or --admin-token): the operator "
                 "routes are closed",
                 admin_token_env);
  auto api = std::make_shared<http::api>(node, api_opts);
  std::string error;
  auto server = http::server::start(
      http_opts,
      with_test_faults([api](std::shared_ptr<http::exchange> ex) { api->handle(std::move(ex)); }),
      http::server_problem, error);
  if (!server) {
    spdlog::error("{}", error);
    return 1;
  }
  api->attach(server.get());
  // Scripts and tests read this line to find the port.
  spdlog::info("listening on {}://{}:{}", tls ? "https" : "http", http_opts.host, server->port());

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {} received: finishing requests in flight, flushing the journal", sig);
  api->shutdown();
  server->stop(std::chrono::seconds{10});
  return 0; // ~node stops the actors and closes the journal
}

} // namespace seatgrab::app
