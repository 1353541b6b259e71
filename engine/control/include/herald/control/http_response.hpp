// HTTP/1.1 response writer and the one place that maps control-layer errors to status codes.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "herald/control/http_request.hpp"

namespace herald::control {

// Reason phrase for a status (RFC 9110 §15); "Unknown" for codes the API never sends.
std::string_view reason_phrase(int status);

// Appends "HTTP/1.1 <status> <reason>", Content-Type (omitted when empty), Content-Length, Connection,
// the extra fields, a blank line and the body. Extra field values are trusted server strings.
void write_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                    bool keep_alive, std::span<const header> extra = {});

// Appends a response whose body is {"error":{"code":code,"message":message}}.
void write_json_error(std::string& out, int status, std::string_view code, std::string_view message,
                      bool keep_alive, std::span<const header> extra = {});

// Status for a parser/connection error (400, 408, 413, 417, 431, 501, 505).
int status_for(http_error e);

// The full answer to a request that failed to parse: JSON error body and Connection: close, since
// after a framing error the rest of the stream cannot be trusted (RFC 9112 §9.6 / §11.2).
void write_error_response(std::string& out, http_error e);

}  // namespace herald::control
