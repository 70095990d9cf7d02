// The step-up challenge: either answer passes once, for its subject, within five minutes;
// forged, replayed, expired and other subjects' challenges are refused; the image is paths.
#include "security/step_up.hpp"

#include <doctest/doctest.h>

namespace sec = seatgrab::security;

namespace {

constexpr int64_t now = 1'700'000'000'000;

} // namespace

TEST_CASE("the image's digits and the text alternative's sum both pass, once") {
  sec::step_up s{"key"};
  auto c = s.issue("gig|a1", now);
  CHECK(c.expires_at_ms == now + sec::step_up::ttl_ms);
  auto answers = s.answers(c.token);
  REQUIRE(answers);
  CHECK(answers->first.size() == 5);
  // The text alternative reads as a sum; a person (or the scenario's) gets its answer.
  CHECK(sec::step_up::solve_question(c.question) == answers->second);
  auto ok = s.check(c.token, " " + answers->first + " ", "gig|a1", now + 1000);
  CHECK(ok.ok);
  CHECK(ok.issued_at_ms == now);
  auto replay = s.check(c.token, answers->first, "gig|a1", now + 2000);
  CHECK_FALSE(replay.ok);
  CHECK(replay.reason == "step-up challenge used before");
  auto c2 = s.issue("gig|a1", now);
  CHECK(s.check(c2.token, s.answers(c2.token)->second, "gig|a1", now).ok);
}

TEST_CASE("forged, another subject's, expired and wrong answers are refused") {
  sec::step_up s{"key"};
  sec::step_up other{"another key"};
  auto c = s.issue("gig|a1", now);
  auto right = s.answers(c.token)->first;
  CHECK(s.check(c.token, right, "gig|a2", now).reason == "forged step-up challenge, or another's");
  auto forged = other.issue("gig|a1", now);
  CHECK(s.check(forged.token, other.answers(forged.token)->first, "gig|a1", now).reason ==
        "forged step-up challenge, or another's");
  auto tampered = c.token;
  tampered[tampered.size() - 1] = tampered.back() == '0' ? '1' : '0';
  CHECK_FALSE(s.check(tampered, right, "gig|a1", now).ok);
  CHECK(s.check(c.token, right, "gig|a1", now + sec::step_up::ttl_ms).reason ==
        "step-up challenge expired");
  CHECK(s.check("not.a.token", right, "gig|a1", now).reason == "malformed step-up challenge");
  // A wrong answer spends it: no second guess.
  auto d = s.issue("gig|a1", now);
  auto wrong = s.answers(d.token)->first == "00000" ? std::string{"11111"} : "00000";
  CHECK(s.check(d.token, wrong, "gig|a1", now).reason == "wrong answer to the step-up challenge");
  CHECK(s.check(d.token, s.answers(d.token)->first, "gig|a1", now).reason ==
        "step-up challenge used before");
  // The original, still unspent, passes.
  CHECK(s.check(c.token, right, "gig|a1", now).ok);
}

TEST_CASE("the image is SVG paths with the same drawing each time, no text to read off") {
  sec::step_up s{"key"};
  auto c = s.issue("gig|a1", now);
  auto svg = s.image(c.token);
  REQUIRE(svg);
  CHECK(svg->starts_with("<svg"));
  CHECK(svg->find("<path") != std::string::npos);
  CHECK(svg->find("<text") == std::string::npos);
  CHECK(svg->find(s.answers(c.token)->first) == std::string::npos);
  CHECK(*svg == *s.image(c.token));
  CHECK_FALSE(s.image("garbage"));
  CHECK(s.question(c.token) == c.question);
}

TEST_CASE("questions are read whatever their wording") {
  CHECK(sec::step_up::solve_question("What is seven plus twelve? Answer in digits.") == "19");
  CHECK(sec::step_up::solve_question("Add two and three. Type the result in digits.") == "5");
  CHECK(sec::step_up::solve_question("If you have ten tickets and get nine more, how many do "
                                     "you have? Answer in digits.") == "19");
  CHECK_FALSE(sec::step_up::solve_question("What is seven?"));
}
