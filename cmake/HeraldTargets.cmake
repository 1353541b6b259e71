# Helpers that give every Herald target the same warnings, sanitizers and layout.

set(HERALD_WARNINGS -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough)
# Warnings are errors in the presets and CI only: a distribution's or a user's own flags (another
# optimisation level, a newer compiler with new false positives) must still build.
if(HERALD_WERROR)
  list(APPEND HERALD_WARNINGS -Werror)
endif()

set(HERALD_SANITIZE_FLAGS "")
if(HERALD_SANITIZE)
  string(REPLACE ";" "," _san "${HERALD_SANITIZE}")
  set(HERALD_SANITIZE_FLAGS -fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
endif()

function(herald_apply_flags target)
  target_compile_options(${target} PRIVATE ${HERALD_WARNINGS} ${HERALD_SANITIZE_FLAGS})
  target_link_options(${target} PRIVATE ${HERALD_SANITIZE_FLAGS})
  if(HERALD_FUZZ)
    # Everything is instrumented for coverage so the fuzzers see the engine's branches.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# herald_library(<name> SOURCES ... DEPS ...): static library herald_<name>, alias herald::<name>,
# public headers in engine/<name>/include/herald/<name>/.
function(herald_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(herald_${name} STATIC ${ARG_SOURCES})
  add_library(herald::${name} ALIAS herald_${name})
  target_include_directories(herald_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(herald_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  herald_apply_flags(herald_${name})
endfunction()

# herald_test(<name> SOURCES ... LIBS ... [LABELS ...] [TIMEOUT s]): a GoogleTest binary registered with ctest.
function(herald_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  herald_apply_flags(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} SKIP_RETURN_CODE 77)
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()

# herald_fuzz(<name> SOURCE f.cpp LIBS ...): with HERALD_FUZZ a libFuzzer binary fuzz_<name>;
# always a corpus-replay binary replay_<name> run by ctest over tests/fuzz/<name>/corpus.
function(herald_fuzz name)
  cmake_parse_arguments(ARG "" "SOURCE" "LIBS" ${ARGN})
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus)
  add_executable(replay_${name} ${ARG_SOURCE} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
  target_link_libraries(replay_${name} PRIVATE ${ARG_LIBS})
  herald_apply_flags(replay_${name})
  add_test(NAME replay_${name} COMMAND replay_${name} ${corpus})
  set_tests_properties(replay_${name} PROPERTIES LABELS "fuzz-replay" TIMEOUT 300 SKIP_RETURN_CODE 77)
  if(HERALD_FUZZ)
    add_executable(fuzz_${name} ${ARG_SOURCE})
    target_link_libraries(fuzz_${name} PRIVATE ${ARG_LIBS})
    herald_apply_flags(fuzz_${name})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  endif()
endfunction()

# herald_bench(<name> SOURCES ... LIBS ...): a Google Benchmark binary bench_<name>.
function(herald_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(bench_${name} ${ARG_SOURCES})
  target_link_libraries(bench_${name} PRIVATE ${ARG_LIBS} benchmark::benchmark)
  herald_apply_flags(bench_${name})
endfunction()
