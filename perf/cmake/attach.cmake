# Adds perf/ to a Herald build whose top-level CMakeLists.txt does not (yet) say add_subdirectory(perf):
# configure with -DCMAKE_PROJECT_herald_INCLUDE=<this file>. The call is deferred to the end of the
# top-level directory so every engine target exists (and include()d: deferred calls may not add
# subdirectories), and skipped when perf/ was already added.
set(HERALD_PERF_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)
function(herald_perf_attach)
  if(NOT TARGET perf_physical_limit)
    include(${HERALD_PERF_ROOT}/CMakeLists.txt)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL herald_perf_attach)
