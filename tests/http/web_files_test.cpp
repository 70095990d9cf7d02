// The front end's files (http/web_files): pages and versioned files, caching, conditional
// requests, gzip, and what a page may reference; and the real edge serving web/.
#include "http/web_files.hpp"
#include "tests/http/edge_fixture.hpp"

#include <boost/beast/http.hpp>
#include <doctest/doctest.h>

#include <array>
#include <regex>
#include <string>
#include <zlib.h>

namespace sg = seatgrab;
namespace bhttp = boost::beast::http;
using sg::http::web_file;
using sg::http::web_files;

namespace {

const std::array<web_file, 3> site{{
    {"index.html", "<script type=\"module\" src=\"{{web}}/app.js\"></script>{{web}}"},
    {"app.js", "import { x } from './lib.js'; console.log(x);"},
    {"lib.js", "export const x = 1;"},
}};

sg::http::response get(const web_files& w, const std::string& path,
                       std::map<std::string, std::string> headers = {},
                       bhttp::verb method = bhttp::verb::get) {
  sg::http::request req{method, path, 11};
  for (const auto& [k, v] : headers)
    req.set(k, v);
  return w.answer(req, path);
}

std::string header(const sg::http::response& res, const std::string& name) {
  auto v = res[boost::beast::string_view{name.data(), name.size()}];
  return std::string{v.data(), v.size()};
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  std::string out(1 << 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  auto rc = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

const std::string csp{web_files::content_security_policy};

/// A text file big and repetitive enough for gzip to pay.
std::string big_script() {
  std::string s;
  for (int i = 0; i < 200; ++i)
    s += "export const seat_" + std::to_string(i) + " = 'available';\n";
  return s;
}

} // namespace

TEST_CASE("a page names its files by the front end's version, and is revalidated") {
  web_files w{site};
  REQUIRE(w.version().size() == 12);
  auto prefix = "/web/" + w.version();
  auto page = get(w, "/");
  CHECK(page.result_int() == 200);
  CHECK(page.body() == "<script type=\"module\" src=\"" + prefix + "/app.js\"></script>" + prefix);
  CHECK(header(page, "Content-Type") == "text/html; charset=utf-8");
  CHECK(header(page, "Cache-Control") == "no-cache");
  CHECK(header(page, "Content-Security-Policy") == csp);
  CHECK(header(page, "X-Content-Type-Options") == "nosniff");
  CHECK(header(page, "Referrer-Policy") == "no-referrer");
  CHECK_FALSE(header(page, "ETag").empty());
  // Its files sit side by side under the version, so relative imports work, cached for good.
  auto app = get(w, prefix + "/app.js");
  CHECK(app.result_int() == 200);
  CHECK(app.body() == site[1].bytes);
  CHECK(header(app, "Content-Type") == "text/javascript; charset=utf-8");
  CHECK(header(app, "Cache-Control") == "public, max-age=31536000, immutable");
  CHECK(header(app, "Content-Security-Policy") == csp); // a file opened by its address too
  CHECK(get(w, prefix + "/lib.js").result_int() == 200);
  // The page is not a file under the version; no other page exists.
  CHECK(get(w, prefix + "/index.html").result_int() == 404);
  CHECK_FALSE(w.owns("/ops"));
  CHECK(w.owns("/"));
  CHECK(w.owns("/web/anything"));
  CHECK_FALSE(w.owns("/v1/events"));
}

TEST_CASE("any change to any file moves the version, and the old addresses are gone") {
  web_files before{site};
  auto changed = site;
  changed[2].bytes = "export const x = 2;";
  web_files after{changed};
  CHECK(after.version() != before.version());
  CHECK(web_files{site}.version() == before.version()); // the same files, the same version
  auto old = "/web/" + before.version() + "/lib.js";
  auto res = get(after, old);
  CHECK(res.result_int() == 404);
  CHECK(header(res, "Content-Type") == "application/problem+json");
  CHECK(res.body().find("reload the page") != std::string::npos);
  CHECK(get(after, "/").body().find(after.version()) != std::string::npos);
}

TEST_CASE("a client's current copy gets 304; a stale one gets the file") {
  web_files w{site};
  auto first = get(w, "/");
  auto etag = header(first, "ETag");
  for (const auto& inm : {etag, "W/" + etag, "\"stale\", " + etag, std::string{"*"}}) {
    CAPTURE(inm);
    auto again = get(w, "/", {{"If-None-Match", inm}});
    CHECK(again.result_int() == 304);
    CHECK(again.body().empty());
    CHECK(header(again, "ETag") == etag);
    CHECK(header(again, "Content-Security-Policy") == csp);
  }
  CHECK(get(w, "/", {{"If-None-Match", "\"stale\""}}).result_int() == 200);
}

TEST_CASE("text is gzipped for a client that accepts it, as a representation of its own") {
  std::array<web_file, 2> files{{{"index.html", "<p>hi</p>"}, {"seats.js", ""}}};
  auto script = big_script();
  files[1].bytes = script;
  web_files w{files};
  auto path = "/web/" + w.version() + "/seats.js";
  auto plain = get(w, path);
  auto zipped = get(w, path, {{"Accept-Encoding", "br, gzip;q=0.8"}});
  CHECK(header(plain, "Content-Encoding").empty());
  CHECK(plain.body() == script);
  CHECK(header(zipped, "Content-Encoding") == "gzip");
  CHECK(zipped.body().size() < script.size() / 4);
  CHECK(gunzip(zipped.body()) == script);
  CHECK(header(zipped, "Vary") == "Accept-Encoding");
  CHECK(header(plain, "Vary") == "Accept-Encoding");
  CHECK(header(zipped, "ETag") != header(plain, "ETag"));
  // A copy is current only for a client that would get that copy.
  CHECK(get(w, path, {{"If-None-Match", header(zipped, "ETag")}, {"Accept-Encoding", "gzip"}})
            .result_int() == 304);
  CHECK(get(w, path, {{"If-None-Match", header(zipped, "ETag")}}).result_int() == 200);
  CHECK(get(w, path, {{"If-None-Match", header(plain, "ETag")}}).result_int() == 304);
  CHECK(get(w, path, {{"If-None-Match", header(plain, "ETag")}, {"Accept-Encoding", "gzip"}})
            .result_int() == 200);
  // Refused, by name or by default: no gzip.
  for (auto ae : {"gzip;q=0", "gzip; q=0.0, *", "identity", "deflate, br"}) {
    CAPTURE(ae);
    CHECK(header(get(w, path, {{"Accept-Encoding", ae}}), "Content-Encoding").empty());
  }
  CHECK(header(get(w, path, {{"Accept-Encoding", "*"}}), "Content-Encoding") == "gzip");
  // Too small to gain: sent as it is, whatever the client accepts.
  auto page = get(w, "/", {{"Accept-Encoding", "gzip"}});
  CHECK(header(page, "Content-Encoding").empty());
  CHECK(page.body() == "<p>hi</p>");
}

TEST_CASE("only files of the front end are served, and only to GET") {
  web_files w{site};
  auto prefix = "/web/" + w.version();
  for (const std::string& path : {prefix + "/../index.html", prefix + "/nope.js", prefix + "/",
                                  std::string{"/web/"}, prefix + "/app.js/", prefix + "//app.js"}) {
    CAPTURE(path);
    auto res = get(w, path);
    CHECK(res.result_int() == 404);
    CHECK(header(res, "Content-Type") == "application/problem+json");
  }
  auto post = get(w, "/", {}, bhttp::verb::post);
  CHECK(post.result_int() == 405);
  CHECK(header(post, "Allow") == "GET");
}

TEST_CASE("the front end built into this binary: every file a page names is served") {
  const auto& w = web_files::built_in();
  auto page = get(w, "/");
  REQUIRE(page.result_int() == 200);
  CHECK(page.body().find("{{web}}") == std::string::npos);
  // Every src= and href= of the page but its own anchors is one of its files, under this version.
  std::regex ref{R"re((?:src|href)="([^"]+)")re"};
  int refs = 0;
  for (std::sregex_iterator i{page.body().begin(), page.body().end(), ref}, end; i != end; ++i) {
    auto target = (*i)[1].str();
    if (target.starts_with("#"))
      continue; // a place in the page (the skip link), not a file
    CAPTURE(target);
    CHECK(target.starts_with("/web/" + w.version() + "/"));
    CHECK(get(w, target).result_int() == 200);
    ++refs;
  }
  CHECK(refs >= 2);                                         // its script and its style sheet
  CHECK(page.body().find("<script>") == std::string::npos); // no inline script (the CSP)
}

TEST_CASE("the edge serves the front end under its rate limit, and the API as before") {
  sg::test::edge_options opts;
  opts.api.rate_per_s = 1;
  opts.api.burst = 2;
  sg::test::edge_fixture edge{opts};
  auto c = edge.client();
  auto page = c.request("GET", "/?from=mail", {}, {{"Accept-Encoding", "gzip"}});
  CHECK(page.result_int() == 200);
  CHECK(std::string{page[bhttp::field::content_type]} == "text/html; charset=utf-8");
  CHECK(std::string{page["Content-Security-Policy"]} == csp);
  auto version = web_files::built_in().version();
  auto script = c.request("GET", "/web/" + version + "/api.js");
  CHECK(script.result_int() == 200);
  CHECK(script.body().find("export async function call") != std::string::npos);
  CHECK(c.request("GET", "/v1/no-such-route").result_int() == 404); // not counted
  unsigned limited = 0;
  for (int i = 0; i < 6; ++i) {
    auto res = c.request("GET", "/");
    if (res.result_int() == 429) {
      ++limited;
      CHECK_FALSE(std::string{res[bhttp::field::retry_after]}.empty());
    }
  }
  CHECK(limited >= 3); // a second's refill at most, over the burst the first two spent
}
