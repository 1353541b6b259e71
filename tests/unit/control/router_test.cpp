// Router: path parameters, 404 for unknown paths and bad ids, 405 with Allow, 501 for unknown methods.
#include "herald/control/router.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::control {
namespace {

struct route_case {
  method verb;
  const char* path;
  route_id want;
  const char* id;
  const char* pid;
};

TEST(Router, MatchesEveryRouteAndExtractsParams) {
  const route_case cases[] = {
      {method::get, "/v1/conferences", route_id::list_conferences, "", ""},
      {method::post, "/v1/conferences", route_id::create_conference, "", ""},
      {method::get, "/v1/conferences/team-1", route_id::get_conference, "team-1", ""},
      {method::delete_, "/v1/conferences/team_1", route_id::delete_conference, "team_1", ""},
      {method::get, "/v1/conferences/c/participants", route_id::list_participants, "c", ""},
      {method::post, "/v1/conferences/c/participants", route_id::add_participant, "c", ""},
      {method::post, "/v1/conferences/c/participants:batch", route_id::add_participants_batch, "c", ""},
      {method::get, "/v1/conferences/c/participants/p9", route_id::get_participant, "c", "p9"},
      {method::delete_, "/v1/conferences/Conf/participants/P-x_", route_id::remove_participant, "Conf",
       "P-x_"},
      {method::post, "/v1/conferences/c/participants/p9:remove", route_id::remove_participant_post, "c",
       "p9"},
      {method::post, "/v1/conferences/c/messages", route_id::send_message, "c", ""},
      {method::get, "/v1/health", route_id::health, "", ""},
  };
  for (const auto& c : cases) {
    route_match m;
    ASSERT_EQ(match_route(c.verb, c.path, m), route_error::ok) << c.path;
    EXPECT_EQ(m.route, c.want) << c.path;
    EXPECT_EQ(m.id, c.id) << c.path;
    EXPECT_EQ(m.pid, c.pid) << c.path;
  }
}

TEST(Router, UnknownPathsAreNotFound) {
  const char* paths[] = {
      "/",
      "",
      "/v1",
      "/v2/conferences",
      "/v1/conferences/",
      "/v1/conferences//participants",
      "/v1/conferences/c/participants/",
      "/v1/conferences/c/participants/p/extra",
      "/v1/conferences/c/unknown",
      "/v1/conferences/c/participants:other",
      "/v1/conferences/c/participants/p:other",
      "/v1/conferences/c/participants/:remove",
      "/v1/conferences/c/participants/p:remove:remove",
      "/v1/conferences/c:remove",
      "/V1/conferences",
      "v1/conferences",
  };
  for (const char* p : paths) {
    route_match m;
    EXPECT_EQ(match_route(method::get, p, m), route_error::not_found) << p;
    EXPECT_EQ(m.route, route_id::none);
  }
}

TEST(Router, InvalidIdsAreNotFound) {
  const std::string long_id(65, 'a');
  const std::string paths[] = {
      "/v1/conferences/a.b",
      "/v1/conferences/a%20b",
      "/v1/conferences/a:b",
      "/v1/conferences/" + long_id,
      "/v1/conferences/c/participants/p~1",
  };
  for (const auto& p : paths) {
    route_match m;
    EXPECT_EQ(match_route(method::get, p, m), route_error::not_found) << p;
  }
}

TEST(Router, IdOfSixtyFourCharactersMatches) {
  const std::string id(64, 'z');
  const std::string path = "/v1/conferences/" + id;
  route_match m;
  ASSERT_EQ(match_route(method::get, path, m), route_error::ok);
  EXPECT_EQ(m.id, id);
}

TEST(Router, WrongMethodIsNotAllowedWithAllow) {
  route_match m;
  EXPECT_EQ(match_route(method::put, "/v1/conferences", m), route_error::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, POST");
  EXPECT_EQ(match_route(method::get, "/v1/conferences/c/messages", m), route_error::method_not_allowed);
  EXPECT_EQ(m.allow, "POST");
  EXPECT_EQ(match_route(method::post, "/v1/conferences/c/participants/p", m),
            route_error::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, DELETE");
  EXPECT_EQ(match_route(method::delete_, "/v1/conferences/c/participants/p:remove", m),
            route_error::method_not_allowed);
  EXPECT_EQ(m.allow, "POST");
  EXPECT_EQ(status_for(route_error::method_not_allowed), 405);
}

TEST(Router, UnrecognisedMethodIsNotImplemented) {
  route_match m;
  EXPECT_EQ(match_route(method::other, "/v1/conferences", m), route_error::not_implemented);
  EXPECT_EQ(status_for(route_error::not_implemented), 501);
}

}  // namespace
}  // namespace herald::control
