// The cluster file (cluster/membership.hpp): the fixed format of DESIGN §9, and every way a
// bad file is refused, naming the file, the entry and the key.

#include "cluster/membership.hpp"
#include "messages/ec.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

namespace sg = seatgrab;
using sg::cluster::parse_membership;

namespace {

const char* three = R"(
[[node]]
name = "a"
cluster = "127.0.0.1:7101"
http = "127.0.0.1:8101"

[[node]]
name = "b"
cluster = "127.0.0.1:7102"
http = "127.0.0.1:8102"

[[node]]
name = "c"
cluster = "[::1]:7103"
http = "localhost:8103"
)";

/// The error message of parsing `text` as "cluster.toml" for node `self`.
std::string refusal(const std::string& text, const std::string& self = "a") {
  auto m = parse_membership(text, "cluster.toml", self);
  REQUIRE_FALSE(m);
  CHECK(sg::ec_of(m.error()) == sg::ec::invalid_input);
  return sg::render(m.error());
}

} // namespace

TEST_CASE("a cluster file lists its members in order and finds this node") {
  auto m = parse_membership(three, "cluster.toml", "b");
  REQUIRE(m);
  REQUIRE(m->members.size() == 3);
  CHECK(m->names() == std::vector<std::string>{"a", "b", "c"});
  CHECK(m->self == 1);
  CHECK(m->me().name == "b");
  CHECK(m->me().cluster == sg::cluster::endpoint{"127.0.0.1", 7102});
  CHECK(m->me().http == sg::cluster::endpoint{"127.0.0.1", 8102});
  CHECK(m->members[2].cluster == sg::cluster::endpoint{"::1", 7103});
  CHECK(sg::cluster::to_string(m->members[2].cluster) == "[::1]:7103");
  CHECK(m->members[2].http.host == "localhost");
}

TEST_CASE("a node the file does not name is refused, with the names it has") {
  auto why = refusal(three, "d");
  CHECK(why.find("cluster.toml") != std::string::npos);
  CHECK(why.find("\"d\"") != std::string::npos);
  CHECK(why.find("a, b, c") != std::string::npos);
}

TEST_CASE("a name used twice is refused at the second entry's name") {
  std::string text = three;
  text.replace(text.find("name = \"b\""), 10, "name = \"a\"");
  auto why = refusal(text);
  CHECK(why.find("node[2].name \"a\" is node[1]'s name already") != std::string::npos);
}

TEST_CASE("an address used twice is refused, whichever keys claim it") {
  SUBCASE("two members' cluster ports") {
    std::string text = three;
    text.replace(text.find("127.0.0.1:7102"), 14, "127.0.0.1:7101");
    auto why = refusal(text);
    CHECK(
        why.find("node[2] (\"b\").cluster \"127.0.0.1:7101\" is already node[1] (\"a\").cluster") !=
        std::string::npos);
  }
  SUBCASE("one member's http on another's cluster port") {
    std::string text = three;
    text.replace(text.find("127.0.0.1:8102"), 14, "127.0.0.1:7101");
    auto why = refusal(text);
    CHECK(why.find("node[2] (\"b\").http") != std::string::npos);
    CHECK(why.find("node[1] (\"a\").cluster") != std::string::npos);
  }
}

TEST_CASE("a missing, mistyped or unknown key is refused by entry and key") {
  CHECK(refusal("[[node]]\nname = \"a\"\nhttp = \"127.0.0.1:8101\"\n")
            .find("cluster.toml: node[1] (\"a\").cluster is missing") != std::string::npos);
  CHECK(refusal("[[node]]\nname = 7\ncluster = \"h:1\"\nhttp = \"h:2\"\n")
            .find("node[1].name must be a string") != std::string::npos);
  CHECK(refusal("[[node]]\nname = \"a\"\ncluster = \"h:1\"\nhttp = \"h:2\"\nport = 3\n")
            .find("node[1].port is not a known key") != std::string::npos);
  CHECK(refusal("nodes = 3\n").find("nodes is not a known key") != std::string::npos);
  CHECK(refusal("[[node]]\nname = \"A b\"\ncluster = \"h:1\"\nhttp = \"h:2\"\n")
            .find("node[1].name \"A b\"") != std::string::npos);
}

TEST_CASE("a malformed address is refused with what is wrong with it") {
  auto entry = [](const std::string& cluster) {
    return "[[node]]\nname = \"a\"\ncluster = \"" + cluster + "\"\nhttp = \"127.0.0.1:8101\"\n";
  };
  CHECK(refusal(entry("127.0.0.1")).find("cluster \"127.0.0.1\" must be host:port") !=
        std::string::npos);
  CHECK(refusal(entry("127.0.0.1:0")).find("port from 1 to 65535") != std::string::npos);
  CHECK(refusal(entry("127.0.0.1:65536")).find("port from 1 to 65535") != std::string::npos);
  CHECK(refusal(entry("127.0.0.1:71o1")).find("port from 1 to 65535") != std::string::npos);
  CHECK(refusal(entry("::1:7101")).find("IPv6 host in brackets") != std::string::npos);
  CHECK(refusal(entry(":7101")).find("must be host:port") != std::string::npos);
}

TEST_CASE("an empty file, a TOML error and too many members are refused") {
  CHECK(refusal("").find("no [[node]] tables") != std::string::npos);
  // TOML errors carry the line and column.
  CHECK(refusal("[[node]]\nname = \"a\n").find("cluster.toml:2:") != std::string::npos);
  std::string many;
  for (size_t i = 0; i <= sg::cluster::max_members; ++i)
    many += "[[node]]\nname = \"n" + std::to_string(i) +
            "\"\ncluster = \"h:" + std::to_string(1000 + i) +
            "\"\nhttp = \"h:" + std::to_string(3000 + i) + "\"\n";
  CHECK(refusal(many, "n0").find("more than 64") != std::string::npos);
}

TEST_CASE("a cluster file that cannot be read names its path") {
  auto m = sg::cluster::load_membership("/nonexistent/cluster.toml", "a");
  REQUIRE_FALSE(m);
  CHECK(sg::render(m.error()).find("/nonexistent/cluster.toml: cannot be read") !=
        std::string::npos);
  auto path = std::filesystem::temp_directory_path() / "seatgrab-membership-test.toml";
  {
    std::ofstream out{path};
    out << three;
  }
  auto ok = sg::cluster::load_membership(path, "c");
  std::filesystem::remove(path);
  REQUIRE(ok);
  CHECK(ok->me().name == "c");
}

TEST_CASE("loopback hosts are told apart from the others") {
  CHECK(sg::cluster::is_loopback("127.0.0.1"));
  CHECK(sg::cluster::is_loopback("127.1.2.3"));
  CHECK(sg::cluster::is_loopback("::1"));
  CHECK(sg::cluster::is_loopback("localhost"));
  CHECK_FALSE(sg::cluster::is_loopback("10.0.0.2"));
  CHECK_FALSE(sg::cluster::is_loopback("127example.com"));
  CHECK_FALSE(sg::cluster::is_loopback("127.evil.example"));
  CHECK_FALSE(sg::cluster::is_loopback("db-1"));
}
