# Runs a corpus-replay binary over an empty directory and requires the skip exit code (77).
file(REMOVE_RECURSE "${CORPUS}")
file(MAKE_DIRECTORY "${CORPUS}")
execute_process(COMMAND "${REPLAY}" "${CORPUS}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 77)
  message(FATAL_ERROR "replay over an empty corpus exited ${rc}, expected 77 (skipped): ${out}${err}")
endif()
message(STATUS "replay over an empty corpus: ${out}")
