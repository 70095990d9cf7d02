#include "tests/support/process.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
namespace fs = std::filesystem;

namespace {

std::pair<int, std::string> run(const std::string& args) {
  return seatgrab::test::run_command(std::string{SEATGRAB_BIN} + " " + args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("version and help") {
  auto [code, out] = run("version");
  CHECK(code == 0);
  CHECK(contains(out, "seatgrab 0."));
  std::tie(code, out) = run("--help");
  CHECK(code == 0);
  CHECK(contains(out, "serve"));
  CHECK(contains(out, "venue"));
}

TEST_CASE("bad flags are refused, naming the flag") {
  auto [code, out] = run("serve --durability sometimes");
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
  auto [code, out] = run("--config " + cfg.string() + " serve");
  CHECK(code != 0);
  CHECK(contains(out, not_a_dir.string()));
  fs::remove_all(dir);
}

TEST_CASE("venue generate writes a file that venue validate accepts; bad files are named") {
  auto dir = fs::temp_directory_path() / "seatgrab-cli-venue";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto file = dir / "small.json";
  auto [code, out] =
      run("venue generate stadium --sections 3 --rows 2 --seats 5 --out " + file.string());
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
  auto [code, out] = run("scenario run " + (dir / "tiny.toml").string() + " --seed 3 --report " +
                         (dir / "report").string());
  CHECK_MESSAGE(code == 0, out);
  CHECK(contains(out, "scenario tiny (seed 3"));
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
