// Bearer auth: scheme parsing, token syntax, fail-closed on an empty configured token.
#include "herald/control/auth.hpp"

#include <gtest/gtest.h>

namespace herald::control {
namespace {

struct auth_case {
  const char* header;
  auth_error want;
};

TEST(BearerAuth, ChecksSchemeTokenAndValue) {
  const auth_case cases[] = {
      {"Bearer s3cr3t-token", auth_error::ok},
      {"bearer s3cr3t-token", auth_error::ok},
      {"BEARER  s3cr3t-token", auth_error::ok},
      {"", auth_error::missing},
      {"Bearer", auth_error::malformed},
      {"Bearer ", auth_error::malformed},
      {"Basic czNjcjN0", auth_error::malformed},
      {"Bearers3cr3t-token", auth_error::malformed},
      {"Bearer s3cr3t token", auth_error::malformed},
      {"Bearer s3cr3t-token ", auth_error::malformed},
      {"Bearer =abc", auth_error::malformed},
      {"Bearer s3cr3t-tokeN", auth_error::invalid},
      {"Bearer s3cr3t-token2", auth_error::invalid},
      {"Bearer s3cr3t", auth_error::invalid},
  };
  for (const auto& c : cases) EXPECT_EQ(check_bearer(c.header, "s3cr3t-token"), c.want) << c.header;
}

TEST(BearerAuth, EmptyConfiguredTokenRefusesEverything) {
  EXPECT_EQ(check_bearer("Bearer x", ""), auth_error::invalid);
}

TEST(BearerAuth, ChallengeNamesTheError) {
  EXPECT_EQ(www_authenticate(auth_error::missing), "Bearer realm=\"herald\"");
  EXPECT_EQ(www_authenticate(auth_error::invalid), "Bearer realm=\"herald\", error=\"invalid_token\"");
}

}  // namespace
}  // namespace herald::control
