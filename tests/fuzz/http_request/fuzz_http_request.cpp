// Fuzzes http_connection (whole vs. split feeding must agree), then routes and decodes each request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/control/auth.hpp"
#include "herald/control/http_connection.hpp"
#include "herald/control/http_response.hpp"
#include "herald/control/requests.hpp"
#include "herald/control/router.hpp"

namespace {

using namespace herald::control;

struct outcome {
  std::vector<std::string> requests;  // method, target, body of each complete request
  http_error end = http_error::need_more;
};

void handle(const request& r) {
  std::string out;
  route_match m;
  route_error re = match_route(r.verb, r.path, m);
  if (re != route_error::ok) {
    write_json_error(out, status_for(re), "route", m.allow, r.keep_alive);
    return;
  }
  auth_error ae = check_bearer(r.authorization, "fuzz-token");
  (void)www_authenticate(ae);
  decode_error err;
  switch (m.route) {
    case route_id::create_conference: {
      create_conference_request c;
      err = decode_create_conference(r.body, c);
      break;
    }
    case route_id::add_participant: {
      add_participant_request p;
      err = decode_add_participant(r.body, p);
      break;
    }
    case route_id::add_participants_batch: {
      add_participants_batch_request b;
      err = decode_add_participants_batch(r.body, b);
      break;
    }
    case route_id::send_message: {
      send_message_request s;
      err = decode_send_message(r.body, s);
      break;
    }
    default:
      break;
  }
  if (!err.ok()) write_decode_error(out, err, r.keep_alive);
}

// Every body also goes through every decoder, whatever its route, so the corpus exercises them all.
void decode_all(std::string_view body) {
  create_conference_request c;
  (void)decode_create_conference(body, c);
  add_participant_request p;
  (void)decode_add_participant(body, p);
  add_participants_batch_request b;
  (void)decode_add_participants_batch(body, b);
  send_message_request s;
  (void)decode_send_message(body, s);
}

outcome run(std::string_view data, const std::vector<std::size_t>& cuts, bool decode) {
  limits lim;
  lim.max_body_bytes = 1 << 20;
  http_connection conn(lim);
  outcome o;
  std::size_t pos = 0;
  std::vector<std::size_t> all = cuts;
  all.push_back(data.size());
  for (std::size_t cut : all) {
    // Each piece lives in its own exact-size heap block so ASan sees over-reads.
    std::string_view piece = data.substr(pos, cut - pos);
    std::unique_ptr<char[]> copy(new char[piece.size() + 1]);
    std::memcpy(copy.get(), piece.data(), piece.size());
    conn.feed(std::string_view(copy.get(), piece.size()), 1 + pos);
    pos = cut;
    request r;
    http_error e;
    while ((e = conn.next(r)) == http_error::ok) {
      o.requests.push_back(std::string(r.method_name) + ' ' + std::string(r.target) + ' ' +
                           std::string(r.body));
      if (decode) {
        handle(r);
        decode_all(r.body);
      }
    }
    (void)conn.take_interim_response();
    o.end = e;
    if (e != http_error::need_more) {
      std::string resp;
      write_error_response(resp, e);
      break;
    }
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  {
    std::unique_ptr<char[]> copy(new char[size + 1]);
    std::memcpy(copy.get(), data, size);
    request r;
    (void)parse_request(std::string_view(copy.get(), size), r);
  }
  outcome whole = run(in, {}, true);
  std::vector<std::size_t> cuts;
  if (size > 1) cuts.push_back(1 + data[0] % (size - 1));
  outcome split = run(in, cuts, false);
  std::vector<std::size_t> sevens;
  for (std::size_t k = 7; k < size; k += 7) sevens.push_back(k);
  outcome chunked = run(in, sevens, false);
  // Framing must not depend on how the bytes were read: a disagreement is a smuggling bug.
  if (whole.requests != split.requests || whole.end != split.end || whole.requests != chunked.requests ||
      whole.end != chunked.end)
    std::abort();
  return 0;
}
