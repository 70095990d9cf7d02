// seatgrab: the command line. Flags are parsed here; the work happens in the libraries.

#include "app/admin_cmd.hpp"
#include "app/scenario_cmd.hpp"
#include "app/serve.hpp"
#include "app/venue_cmd.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>
#include <map>

namespace {

const std::map<std::string, spdlog::level::level_enum> log_levels{
    {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off}};

const std::map<std::string, seatgrab::persistence::durability> durabilities{
    {"fsync", seatgrab::persistence::durability::fsync},
    {"wal", seatgrab::persistence::durability::wal},
    {"none", seatgrab::persistence::durability::none}};

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"SeatGrab: an on-sale engine for assigned-seat events"};
  app.require_subcommand(1);
  app.set_config("--config", "", "Read flags from a TOML/INI file (flags on the command line win)");
  auto log_level = spdlog::level::info;
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->transform(CLI::CheckedTransformer(log_levels, CLI::ignore_case))
      ->default_str("info");

  auto* version = app.add_subcommand("version", "Print the version");

  seatgrab::app::serve_options serve_opts;
  auto* serve = app.add_subcommand("serve", "Run a node");
  serve->add_option("--data-dir", serve_opts.data_dir, "Database directory")->capture_default_str();
  auto* listen = serve->add_option("--listen", serve_opts.listen, "HTTP address HOST:PORT")
                     ->capture_default_str();
  auto* cluster_file =
      serve->add_option("--cluster", serve_opts.cluster,
                        "Cluster file: one [[node]] per member (name, cluster, http)");
  auto* node_name =
      serve->add_option("--node", serve_opts.node, "This node's name in the --cluster file");
  serve
      ->add_option("--cluster-secret-file", serve_opts.cluster_secret_file,
                   "The members' shared secret (32+ characters, the same file on each; 0600)")
      ->needs(cluster_file);
  cluster_file->needs(node_name);
  node_name->needs(cluster_file);
  auto* admin_token = serve->add_option(
      "--admin-token", serve_opts.admin_token,
      "Operator bearer token (shown by ps: prefer --admin-token-file or SEATGRAB_ADMIN_TOKEN)");
  serve
      ->add_option("--admin-token-file", serve_opts.admin_token_file,
                   "File holding the operator bearer token")
      ->excludes(admin_token);
  serve->add_flag("--demo", serve_opts.demo, "Load a demo venue with an event on sale");
  auto* tls_cert = serve->add_option("--tls-cert", serve_opts.tls_cert,
                                     "HTTPS: PEM certificate chain (with --tls-key)");
  auto* tls_key = serve->add_option("--tls-key", serve_opts.tls_key,
                                    "HTTPS: PEM private key (with --tls-cert)");
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  serve
      ->add_option("--tls-ca", serve_opts.tls_ca,
                   "With --cluster: mutual TLS between members and with the admin shell; "
                   "PEM CA whose certificates alone are accepted (with --tls-cert/--tls-key)")
      ->needs(tls_cert)
      ->needs(cluster_file);
  serve
      ->add_flag("--insecure-cluster", serve_opts.insecure_cluster,
                 "With --cluster: allow cluster addresses off loopback without --tls-ca (a "
                 "closed lab network only; anyone who reaches a cluster port gets in)")
      ->needs(cluster_file);
  std::string durability = "fsync";
  serve->add_option("--durability", durability, "fsync (default) | wal | none")
      ->check(CLI::IsMember(durabilities, CLI::ignore_case));
  serve->add_option("--http-threads", serve_opts.http_threads, "HTTP I/O threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve->add_option("--max-connections", serve_opts.max_connections, "Open connections at most")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  serve
      ->add_option("--max-connections-per-address", serve_opts.max_connections_per_address,
                   "Open connections of one client address at most")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  serve->add_option("--max-streams", serve_opts.max_streams, "Open event streams at most")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  serve
      ->add_option("--max-streams-per-address", serve_opts.max_streams_per_address,
                   "Open event streams of one client address at most")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  serve->add_option("--max-body", serve_opts.max_body_bytes, "Largest request body in bytes")
      ->check(CLI::Range(1024, 64 * 1024 * 1024))
      ->capture_default_str();
  serve
      ->add_option("--rate-limit", serve_opts.rate_per_s,
                   "Requests per second per client address (0 = unlimited)")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  serve->add_option("--rate-burst", serve_opts.rate_burst, "Burst above the rate")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  serve
      ->add_option("--poll-rate", serve_opts.poll_rate,
                   "Queue-status polls per second per account, bursts of 10 (the status stream "
                   "is the way to watch)")
      ->check(CLI::Range(0.01, 1e6))
      ->capture_default_str();
  serve
      ->add_option("--pow-difficulty", serve_opts.pow_difficulty,
                   "Proof-of-work bits a queue join needs at low load (0 = none); the bot "
                   "guard raises it with load and risk")
      ->check(CLI::Range(0, 24))
      ->capture_default_str();
  serve
      ->add_option("--bot-guard", serve_opts.bot_guard,
                   "enforce: the bot guard's rules act; shadow: they only count; off: joins "
                   "and checkouts skip it")
      ->check(CLI::IsMember({"enforce", "shadow", "off"}))
      ->capture_default_str();
  serve->add_option("--trusted-proxy", serve_opts.trusted_proxies,
                    "A proxy (CIDR) whose X-Forwarded-For names the client; repeatable");
  serve
      ->add_option("--idempotency-ttl-hours", serve_opts.idempotency_ttl_h,
                   "How long Idempotency-Key records are kept")
      ->check(CLI::Range(24, 24 * 365))
      ->capture_default_str();
  serve
      ->add_option("--scrypt-cost", serve_opts.scrypt_log2_n,
                   "log2 of the scrypt N of new password hashes (lower only for tests)")
      ->check(CLI::Range(10, 20))
      ->capture_default_str();
  serve
      ->add_option("--hash-workers", serve_opts.hash_workers,
                   "Password hashing threads (scrypt runs there, not where tokens are checked); "
                   "0: one per core")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  serve
      ->add_option("--hash-queue", serve_opts.hash_queue,
                   "Sign-ups and log-ins that may wait for a hashing thread (more: 503)")
      ->check(CLI::Range(0, 100'000))
      ->capture_default_str();
  serve
      ->add_option("--login-rate", serve_opts.login_rate,
                   "Log-ins per second per client address, bursts of 20 (0 = unlimited)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  serve
      ->add_option("--login-rate-email", serve_opts.login_rate_email,
                   "Log-ins per second per e-mail, bursts of 5 (0 = unlimited)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  serve_opts.openapi = std::string{SEATGRAB_SOURCE_DIR} + "/http/openapi.json";
  serve->add_option("--openapi", serve_opts.openapi, "OpenAPI document to serve")
      ->check(CLI::ExistingFile)
      ->capture_default_str();

  seatgrab::app::admin_cmd_options admin_opts;
  auto* admin = app.add_subcommand("admin", "The operator's shell, connected to a node");
  admin->add_option("--connect", admin_opts.connect, "A node's cluster address HOST:PORT")
      ->required();
  auto* admin_shell_token = admin->add_option(
      "--admin-token", admin_opts.admin_token,
      "Operator token (shown by ps: prefer --admin-token-file or SEATGRAB_ADMIN_TOKEN)");
  admin
      ->add_option("--admin-token-file", admin_opts.admin_token_file,
                   "File holding the operator token")
      ->excludes(admin_shell_token);
  admin->add_option("-c", admin_opts.command, "Run this one command and exit");
  admin->add_flag("--json", admin_opts.json, "Answer in JSON");
  admin->add_option("--as", admin_opts.who, "Your name in the audit log (default: $USER)");
  auto* shell_cert = admin->add_option("--tls-cert", admin_opts.tls_cert,
                                       "Mutual TLS: the operator's PEM certificate");
  auto* shell_key =
      admin->add_option("--tls-key", admin_opts.tls_key, "Mutual TLS: the certificate's key");
  auto* shell_ca =
      admin->add_option("--tls-ca", admin_opts.tls_ca, "Mutual TLS: the cluster's PEM CA");
  shell_cert->needs(shell_key)->needs(shell_ca);
  shell_key->needs(shell_cert);
  shell_ca->needs(shell_cert);

  auto* scenario = app.add_subcommand("scenario", "Simulate an on-sale and verify it");
  scenario->require_subcommand(1);
  seatgrab::app::scenario_run_options scen;
  auto* scenario_run = scenario->add_subcommand("run", "Run a scenario file");
  scenario_run->add_option("file", scen.file, "Scenario TOML file")
      ->required()
      ->check(CLI::ExistingFile);
  scenario_run->add_option("--target", scen.targets,
                           "Run against a node over HTTP (URL); repeated: a cluster's edges, "
                           "the fans spread over them");
  scenario_run->add_option("--seed", scen.seed, "Seed of the population")->capture_default_str();
  scenario_run->add_option("--report", scen.report, "Directory for report.json/html");
  scenario_run->add_option("--admin-token", scen.admin_token,
                           "With --target: the node's operator token (puts the event on sale)");
  scenario_run->add_option("--data-dir", scen.data_dirs,
                           "With --target: the node's data directory, to verify its journals; "
                           "repeated: every member's, verified as one");
  scenario_run->add_flag("--quiet", scen.quiet, "No progress line");

  auto* venue = app.add_subcommand("venue", "Generate or check venue files");
  venue->require_subcommand(1);
  seatgrab::app::venue_generate_options gen;
  auto* generate = venue->add_subcommand("generate", "Write a generated venue as JSON");
  generate->add_option("kind", gen.kind, "stadium | theatre")
      ->check(CLI::IsMember({"stadium", "theatre"}))
      ->capture_default_str();
  generate->add_option("--sections", gen.sections, "Stadium sections")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  generate->add_option("--rows", gen.rows, "Rows per stadium section")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  generate->add_option("--seats", gen.seats_per_row, "Seats per stadium row")
      ->check(CLI::Range(1, 200))
      ->capture_default_str();
  generate->add_option("--out", gen.out, "Output file (default: standard output)");
  std::string venue_file;
  auto* validate = venue->add_subcommand("validate", "Check a venue file");
  validate->add_option("file", venue_file, "Venue JSON file")->required();

  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(log_level);

  if (version->parsed()) {
    std::cout << "seatgrab " << SEATGRAB_VERSION << '\n';
#ifdef SEATGRAB_JEMALLOC
    std::cout << "allocator: jemalloc\n";
#else
    std::cout << "allocator: the C library's (a sanitizer build)\n";
#endif
    return 0;
  }
  if (admin->parsed())
    return seatgrab::app::admin_shell(admin_opts);
  if (scenario_run->parsed())
    return seatgrab::app::scenario_run(scen);
  if (generate->parsed())
    return seatgrab::app::venue_generate(gen);
  if (validate->parsed())
    return seatgrab::app::venue_validate(venue_file);
  if (serve->parsed()) {
    serve_opts.durability = *seatgrab::persistence::parse_durability(durability);
    serve_opts.listen_given = listen->count() > 0;
    return seatgrab::app::serve(serve_opts);
  }
  return 0;
}
