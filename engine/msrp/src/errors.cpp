// Names of MSRP parse errors and their single mapping to the status code a server answers.
#include "herald/msrp/errors.hpp"

namespace herald::msrp {

std::string_view to_string(error_code e) {
  switch (e) {
    case error_code::ok:
      return "ok";
    case error_code::bad_start_line:
      return "bad_start_line";
    case error_code::bad_transaction_id:
      return "bad_transaction_id";
    case error_code::bad_status_code:
      return "bad_status_code";
    case error_code::missing_to_path:
      return "missing_to_path";
    case error_code::missing_from_path:
      return "missing_from_path";
    case error_code::bad_header_order:
      return "bad_header_order";
    case error_code::bad_header_syntax:
      return "bad_header_syntax";
    case error_code::duplicate_header:
      return "duplicate_header";
    case error_code::control_character_in_header:
      return "control_character_in_header";
    case error_code::bad_uri:
      return "bad_uri";
    case error_code::bad_message_id:
      return "bad_message_id";
    case error_code::bad_byte_range:
      return "bad_byte_range";
    case error_code::byte_range_mismatch:
      return "byte_range_mismatch";
    case error_code::bad_report_value:
      return "bad_report_value";
    case error_code::bad_status_header:
      return "bad_status_header";
    case error_code::bad_content_type:
      return "bad_content_type";
    case error_code::missing_content_type:
      return "missing_content_type";
    case error_code::missing_message_id:
      return "missing_message_id";
    case error_code::header_block_too_large:
      return "header_block_too_large";
    case error_code::too_many_headers:
      return "too_many_headers";
    case error_code::body_too_large:
      return "body_too_large";
    case error_code::unexpected_body:
      return "unexpected_body";
    case error_code::bad_end_line:
      return "bad_end_line";
    case error_code::framing_lost:
      return "framing_lost";
  }
  return "unknown_error";
}

int status_for(error_code e) {
  switch (e) {
    case error_code::ok:
      return status_ok;
    // RFC 4975 §7.3: 413 asks the sender to stop sending this message; a chunk over our limit is that.
    case error_code::body_too_large:
      return status_stop_sending;
    // RFC 4975 §7.3: 415 = the media type is not understood; one we cannot even parse qualifies.
    case error_code::bad_content_type:
      return status_media_not_understood;
    default:
      return status_unintelligible;  // everything else is an unintelligible request (400)
  }
}

std::string_view status_comment(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Unintelligible";
    case 401:
      return "Unauthorized";
    case 403:
      return "Action-not-allowed";
    case 408:
      return "Transaction-timeout";
    case 413:
      return "Stop-sending-message";
    case 415:
      return "MIME-not-understood";
    case 423:
      return "Parameter-out-of-bounds";
    case 481:
      return "Session-does-not-exist";
    case 501:
      return "Request-method-not-understood";
    case 506:
      return "Session-already-bound";
    default:
      return "";
  }
}

}  // namespace herald::msrp
