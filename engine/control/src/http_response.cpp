// HTTP/1.1 response writer: status line, framing fields, JSON error bodies.
#include "herald/control/http_response.hpp"

#include <charconv>

#include "herald/control/json_writer.hpp"

namespace herald::control {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

void write_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                    bool keep_alive, std::span<const header> extra) {
  char num[24];
  out.append("HTTP/1.1 ");
  auto r = std::to_chars(num, num + sizeof num, status);
  out.append(num, r.ptr);
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\n");
  if (!content_type.empty()) {
    out.append("Content-Type: ");
    out.append(content_type);
    out.append("\r\n");
  }
  // 1xx and 204 carry no body and no Content-Length (RFC 9110 §8.6).
  if (status >= 200 && status != 204) {
    out.append("Content-Length: ");
    r = std::to_chars(num, num + sizeof num, body.size());
    out.append(num, r.ptr);
    out.append("\r\n");
  }
  out.append(keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  for (const header& h : extra) {
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
  out.append("\r\n");
  if (status >= 200 && status != 204) out.append(body);
}

void write_json_error(std::string& out, int status, std::string_view code, std::string_view message,
                      bool keep_alive, std::span<const header> extra) {
  std::string body;
  json_writer w(body);
  w.begin_object().key("error").begin_object().key("code").value(code).key("message").value(message);
  w.end_object().end_object();
  write_response(out, status, "application/json", body, keep_alive, extra);
}

int status_for(http_error e) {
  switch (e) {
    case http_error::ok:
      return 200;
    case http_error::need_more:
      return 400;
    case http_error::bad_request_line:
    case http_error::bad_method:
    case http_error::bad_target:
    case http_error::bad_version:
    case http_error::bad_header:
    case http_error::bad_host:
    case http_error::bad_content_length:
    case http_error::content_length_with_transfer_encoding:
      return 400;
    case http_error::unsupported_version:
      return 505;
    case http_error::header_too_large:
    case http_error::too_many_headers:
      return 431;
    case http_error::body_too_large:
      return 413;
    case http_error::unsupported_transfer_encoding:
      return 501;
    case http_error::expectation_failed:
      return 417;
    case http_error::request_timeout:
      return 408;
  }
  return 400;
}

void write_error_response(std::string& out, http_error e) {
  int status = status_for(e);
  write_json_error(out, status, to_string(e), reason_phrase(status), false);
}

}  // namespace herald::control
