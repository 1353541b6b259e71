# Finds Herald's Debian-packaged dependencies; fails naming the package to install.
find_package(PkgConfig)

macro(herald_require found pkg)
  if(NOT ${found})
    message(FATAL_ERROR "Herald needs the Debian package '${pkg}': apt-get install -y ${pkg}")
  endif()
endmacro()

find_package(Threads REQUIRED)

find_path(URING_INCLUDE_DIR liburing.h)
find_library(URING_LIBRARY uring)
if(URING_INCLUDE_DIR AND URING_LIBRARY)
  set(URING_FOUND TRUE)
endif()
herald_require(URING_FOUND liburing-dev)
add_library(herald::uring UNKNOWN IMPORTED)
set_target_properties(herald::uring PROPERTIES
  IMPORTED_LOCATION ${URING_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${URING_INCLUDE_DIR})

find_package(mimalloc QUIET)
herald_require(mimalloc_FOUND libmimalloc-dev)

find_package(simdjson QUIET)
herald_require(simdjson_FOUND libsimdjson-dev)

find_package(OpenSSL 3 QUIET)
herald_require(OpenSSL_FOUND libssl-dev)

find_package(GTest QUIET)
herald_require(GTest_FOUND libgtest-dev)

if(HERALD_BUILD_BENCH)
  find_package(benchmark QUIET)
  herald_require(benchmark_FOUND libbenchmark-dev)
endif()
