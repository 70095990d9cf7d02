#include "tests/support/cluster_file.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/server_process.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
namespace fs = std::filesystem;

namespace {

std::pair<int, std::string> run(const std::string& args) {
  return seatgrab::test::run_command(std::string{SEATGRAB_BIN} + " " + args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The permission bits group and others have on `p`.
fs::perms shared_bits(const fs::path& p) {
  return fs::status(p).permissions() & (fs::perms::group_all | fs::perms::others_all);
}

/// A small venue (written by `venue generate`) posted with `token`: the answer's status.
unsigned add_venue(uint16_t port, const std::string& token, const fs::path& dir) {
  auto file = dir / "venue.json";
  auto ran = run("venue generate stadium --sections 1 --rows 1 --seats 2 --out " + file.string());
  auto& code = ran.first; // named, not bound: doctest's macros capture them
  auto& out = ran.second;
  REQUIRE_MESSAGE(code == 0, out);
  std::ifstream in{file};
  std::stringstream venue;
  venue << in.rdbuf();
  seatgrab::test::http_client c{port};
  return c.with_token(token, "POST", "/v1/admin/venues", venue.str()).result_int();
}

/// Sets an environment variable for the scope (children inherit it).
struct scoped_env {
  scoped_env(const char* name, const std::string& value) : name(name) {
    setenv(name, value.c_str(), 1);
  }
  ~scoped_env() { unsetenv(name); }
  const char* name;
};

} // namespace

TEST_CASE("version and help") {
  auto ran = run("version");
  auto& code = ran.first; // named, not bound: doctest's macros capture them
  auto& out = ran.second;
  CHECK(code == 0);
  CHECK(contains(out, "seatgrab 0."));
  std::tie(code, out) = run("--help");
  CHECK(code == 0);
  CHECK(contains(out, "serve"));
  CHECK(contains(out, "venue"));
}

TEST_CASE("bad flags are refused, naming the flag") {
  auto ran = run("serve --durability sometimes");
  auto& code = ran.first; // named, not bound: doctest's macros capture them
  auto& out = ran.second;
  CHECK(code != 0);
  CHECK(contains(out, "--durability"));
  std::tie(code, out) = run("serve --no-such-flag");
  CHECK(code != 0);
  CHECK(contains(out, "--no-such-flag"));
  std::tie(code, out) = run("--log-level chatty version");
  CHECK(code != 0);
  CHECK(contains(out, "--log-level"));
}

TEST_CASE("a configuration file sets serve's flags") {
  auto dir = fs::temp_directory_path() / "seatgrab-cli-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto not_a_dir = dir / "plain-file";
  std::ofstream{not_a_dir} << "x";
  auto cfg = dir / "seatgrab.toml";
  std::ofstream{cfg} << "[serve]\ndata-dir = \"" << not_a_dir.string() << "\"\n";
  // The data dir from the file is used, so the node refuses it by name.
  auto ran = run("--config " + cfg.string() + " serve");
  auto& code = ran.first; // named, not bound: doctest's macros capture them
  auto& out = ran.second;
  CHECK(code != 0);
  CHECK(contains(out, not_a_dir.string()));
  fs::remove_all(dir);
}

TEST_CASE("venue generate writes a file that venue validate accepts; bad files are named") {
  auto dir = fs::temp_directory_path() / "seatgrab-cli-venue";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto file = dir / "small.json";
  auto ran = run("venue generate stadium --sections 3 --rows 2 --seats 5 --out " + file.string());
  auto& code = ran.first; // named, not bound: doctest's macros capture them
  auto& out = ran.second;
  REQUIRE(code == 0);
  std::tie(code, out) = run("venue validate " + file.string());
  CHECK(code == 0);
  CHECK(contains(out, "30 seats"));
  auto bad = dir / "bad.json";
  std::ofstream{bad} << R"({"id":"v","name":"V","price_tiers":[{"id":"t","name":"T","price":-5}],)"
                     << R"("sections":[]})";
  std::tie(code, out) = run("venue validate " + bad.string());
  CHECK(code != 0);
  CHECK(contains(out, bad.string()));
  CHECK(contains(out, "price_tiers[0].price"));
  std::tie(code, out) = run("venue validate " + (dir / "missing.json").string());
  CHECK(code != 0);
  CHECK(contains(out, "missing.json"));
  fs::remove_all(dir);
}

TEST_CASE("scenario run: a report in the directory; bad files and modes are refused") {
  auto dir = fs::temp_directory_path() / "seatgrab-cli-scenario";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream{dir / "tiny.toml"} << "name = \"tiny\"\n[sale]\nopens_after_s = 5\n"
                                      "[population]\nfans = 30\npre_queue = 10\n";
  auto ran = run("scenario run " + (dir / "tiny.toml").string() + " --seed 3 --report " +
                 (dir / "report").string());
  auto& code = ran.first; // named, not bound: doctest's macros capture them
  auto& out = ran.second;
  CHECK_MESSAGE(code == 0, out);
  CHECK(contains(out, "scenario tiny (seed 3"));
  // A run that went well logs no error (RocksDB's in-memory store used to log one at start).
  CHECK_FALSE(contains(out, "[error]"));
  CHECK(fs::exists(dir / "report" / "report.json"));
  CHECK(fs::exists(dir / "report" / "report.html"));
  std::ofstream{dir / "bad.toml"} << "[population]\nfanz = 3\n";
  std::tie(code, out) = run("scenario run " + (dir / "bad.toml").string());
  CHECK(code == 2);
  CHECK(contains(out, "bad.toml: population.fanz is not a known key"));
  std::tie(code, out) =
      run("scenario run " + (dir / "tiny.toml").string() + " --target http://127.0.0.1:1");
  CHECK(code == 2);
  CHECK(contains(out, "--admin-token is needed with --target"));
  std::tie(code, out) = run("scenario run " + (dir / "tiny.toml").string() + " --data-dir " +
                            (dir / "data").string());
  CHECK(code == 2);
  CHECK(contains(out, "--admin-token and --data-dir need --target"));
  // Nobody listens on port 1: the run stops at its first request, naming it.
  std::tie(code, out) = run("scenario run " + (dir / "tiny.toml").string() +
                            " --quiet --target http://127.0.0.1:1 --admin-token x");
  CHECK(code == 2);
  CHECK(contains(out, "adding the venue"));
  CHECK(contains(out, "connect"));
  fs::remove_all(dir);
}

// Issue 13, finding 8: the data dir held the admission HMAC key and the events' private keys
// readable by everyone (0755 directory, 0644 files).
TEST_CASE("serve keeps its data dir 0700 and its files 0600") {
  auto dir = fs::temp_directory_path() / "seatgrab-cli-modes";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto data = dir / "data";
  {
    seatgrab::test::server_process srv{SEATGRAB_BIN, data, "modes-admin"};
    CHECK(add_venue(srv.port, "modes-admin", dir) == 201);
  } // SIGTERM: the node flushes and stops
  CHECK(shared_bits(data) == fs::perms::none);
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator{data}) {
    ++files;
    CHECK_MESSAGE(shared_bits(entry.path()) == fs::perms::none, entry.path().string());
  }
  CHECK(files > 3);
  // A data dir made elsewhere with group/other access is tightened at start.
  fs::permissions(data, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  { seatgrab::test::server_process srv{SEATGRAB_BIN, data, "modes-admin"}; }
  CHECK(shared_bits(data) == fs::perms::none);
  fs::remove_all(dir);
}

TEST_CASE("the admin token from SEATGRAB_ADMIN_TOKEN or --admin-token-file") {
  auto dir = fs::temp_directory_path() / "seatgrab-cli-token";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    scoped_env env{"SEATGRAB_ADMIN_TOKEN", "from-the-environment"};
    seatgrab::test::server_process srv{SEATGRAB_BIN, dir / "env", ""};
    CHECK(add_venue(srv.port, "from-the-environment", dir) == 201);
    CHECK(add_venue(srv.port, "something-else", dir) == 401);
  }
  auto file = dir / "token";
  std::ofstream{file} << "from-a-file\n";
  {
    seatgrab::test::server_process srv{
        SEATGRAB_BIN, dir / "file", "", {"--admin-token-file", file.string()}};
    CHECK(add_venue(srv.port, "from-a-file", dir) == 201); // without the trailing newline
    CHECK(add_venue(srv.port, "from-a-fil", dir) == 401);
  }
  // A missing, empty or unreadable file is an error naming it.
  auto data = (dir / "bad").string();
  auto missing = dir / "no-such-token";
  auto ran = run("serve --data-dir " + data + " --admin-token-file " + missing.string());
  auto& code = ran.first; // named, not bound: doctest's macros capture them
  auto& out = ran.second;
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, missing.string()), out);
  auto empty = dir / "empty-token";
  std::ofstream{empty} << "\n";
  std::tie(code, out) = run("serve --data-dir " + data + " --admin-token-file " + empty.string());
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, empty.string()), out);
  CHECK(contains(out, "is empty"));
  std::tie(code, out) = run("serve --data-dir " + data + " --admin-token-file " + dir.string());
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, dir.string()), out);
  fs::remove_all(dir);
}

TEST_CASE("serve --cluster refuses a bad cluster file before touching the data dir") {
  auto dir = fs::temp_directory_path() / "seatgrab-cli-cluster";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto data = dir / "data";
  auto file = dir / "cluster.toml";
  auto write = [&file](const std::string& text) { std::ofstream{file} << text; };
  auto serve = [&](const std::string& extra) {
    return run("serve --data-dir " + data.string() + " --cluster " + file.string() + " " + extra);
  };
  using seatgrab::test::cluster_member;
  const auto a = cluster_member("a", 7101, 8101);
  write(a + cluster_member("b", 7101, 8102));
  // A port used twice: the file, the entry and the key.
  auto ran = serve("--node a");
  auto& code = ran.first; // named, not bound: doctest's macros capture them
  auto& out = ran.second;
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, file.string() + ": node[2] (\"b\").cluster \"127.0.0.1:7101\" is "
                                              "already node[1] (\"a\").cluster"),
                out);
  // A node the file does not name.
  write(a);
  std::tie(code, out) = serve("--node z");
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, "has no node named \"z\""), out);
  // A key the format does not have.
  write(a + "weight = 2\n");
  std::tie(code, out) = serve("--node a");
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, "node[1].weight is not a known key"), out);
  // --node without --cluster, and a cluster of two without the shared secret.
  std::tie(code, out) = run("serve --data-dir " + data.string() + " --node a");
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, "--cluster"), out);
  write(a + cluster_member("b", 7102, 8102));
  std::tie(code, out) = serve("--node a");
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, "needs --cluster-secret-file"), out);
  // Without mutual TLS members talk only on loopback, unless the operator vouches for a closed
  // network (--insecure-cluster: the message says so).
  write(a + cluster_member("b", "10.0.0.2:7101", "10.0.0.2:8101"));
  std::tie(code, out) = serve("--node a");
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, "node \"b\" has cluster address 10.0.0.2:7101"), out);
  CHECK_MESSAGE(contains(out, "--insecure-cluster"), out);
  CHECK_FALSE(fs::exists(data)); // refused before the data dir was made
  std::tie(code, out) = run("serve --data-dir " + data.string() + " --insecure-cluster");
  CHECK(code != 0);
  CHECK_MESSAGE(contains(out, "--cluster"), out); // the flag means nothing without a cluster
  fs::remove_all(dir);
}
