# Installs the build into a fresh prefix and uses it the way an embedder
# would: configures and builds examples/embed with find_package(cotrack)
# (shared and static), with pkg-config (C++: cotrack-cxx; C: cotrack, with no
# other .pc file visible) and with plain -I/-L/-lcotrack, runs each program on
# a fresh database, runs the Python example from the installed module, and
# checks that docs/EMBEDDING.md names every run-time package of the library.
# Usage (see CMakeLists.txt): cmake -DBUILD_DIR=... -DSOURCE_DIR=...
#   -DWORK_DIR=... -DGENERATOR=... -DCXX=... -DCC=... -DPYTHON=... -P install_test.cmake
cmake_minimum_required(VERSION 3.16)
set(prefix ${WORK_DIR}/prefix)
set(example ${SOURCE_DIR}/examples/embed)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " cmd)
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

# What every variant of the example must print.
set(expected
  "P01 edss 2024-01-05 4\nP01 edss 2024-07-09 3.5\nP01 hba1c latest 2024-07-09 6.54 % (entered 48 mmol/mol)\n")
set(db_count 0)
function(check_program name)
  math(EXPR n "${db_count} + 1")
  set(db_count ${n} PARENT_SCOPE)
  run(${ARGN} ${WORK_DIR}/db${n})
  if(NOT run_out STREQUAL expected)
    message(FATAL_ERROR "${name} printed:\n${run_out}\nexpected:\n${expected}")
  endif()
  message(STATUS "ok: ${name}")
endfunction()

# 1. Install.
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
file(GLOB_RECURSE config ${prefix}/*/cotrackConfig.cmake)
file(GLOB_RECURSE pc ${prefix}/*/cotrack.pc)
file(GLOB_RECURSE solib ${prefix}/*/libcotrack.so.0)
file(GLOB_RECURSE alib ${prefix}/*/libcotrack.a)
foreach(var config pc solib alib)
  if(NOT ${var})
    message(FATAL_ERROR "cmake --install put no ${var} under ${prefix}")
  endif()
endforeach()
foreach(header c.h database.h types.h options.h civil_time.h)
  if(NOT EXISTS ${prefix}/include/cotrack/${header})
    message(FATAL_ERROR "cmake --install put no include/cotrack/${header}")
  endif()
endforeach()
get_filename_component(libdir ${solib} DIRECTORY)
get_filename_component(pcdir ${pc} DIRECTORY)
file(GLOB python_dir ${prefix}/lib/python3/dist-packages)

# 2. find_package(cotrack): C++ (shared and static) and C.
run(${CMAKE_COMMAND} -S ${example} -B ${WORK_DIR}/cmake-build -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_C_COMPILER=${CC}
    -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-build)
check_program("find_package C++ (shared)" ${WORK_DIR}/cmake-build/embed_cpp)
check_program("find_package C (shared)" ${WORK_DIR}/cmake-build/embed_c)
if(NOT EXISTS ${WORK_DIR}/cmake-build/embed_cpp_static)
  message(FATAL_ERROR "cotrack::cotrack_static was not found by find_package(cotrack)")
endif()
check_program("find_package C++ (static)" ${WORK_DIR}/cmake-build/embed_cpp_static)
# The static program must not need libcotrack.so at run time.
run(readelf -d ${WORK_DIR}/cmake-build/embed_cpp_static)
if(run_out MATCHES "libcotrack")
  message(FATAL_ERROR "embed_cpp_static depends on libcotrack.so")
endif()

# 3. pkg-config: the same sources, compiled by hand as a Makefile would.
# cotrack.pc must resolve with no other .pc file in sight: a C program needs
# c.h and the library, not Abseil's, RocksDB's or OpenSSL's development files.
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_LIBDIR} ${pcdir})
run(${PKG_CONFIG} --cflags --libs cotrack)
unset(ENV{PKG_CONFIG_LIBDIR})
string(STRIP "${run_out}" c_flags)
separate_arguments(c_flags UNIX_COMMAND "${c_flags}")
set(ENV{PKG_CONFIG_PATH} ${pcdir})
run(${PKG_CONFIG} --cflags --libs cotrack-cxx)
string(STRIP "${run_out}" cxx_flags)
separate_arguments(cxx_flags UNIX_COMMAND "${cxx_flags}")
run(${PKG_CONFIG} --modversion cotrack)
if(NOT run_out MATCHES "^0\\.1\\.")
  message(FATAL_ERROR "pkg-config --modversion cotrack: ${run_out}")
endif()
run(${CXX} -std=c++17 ${example}/main.cc -o ${WORK_DIR}/pc_cpp ${cxx_flags} -Wl,-rpath,${libdir})
check_program("pkg-config C++" ${WORK_DIR}/pc_cpp)
run(${CC} -std=c99 -Wall -Wextra -Werror ${example}/main.c -o ${WORK_DIR}/pc_c ${c_flags}
    -Wl,-rpath,${libdir})
check_program("pkg-config C" ${WORK_DIR}/pc_c)
# And with no pkg-config at all.
run(${CC} -std=c99 ${example}/main.c -o ${WORK_DIR}/plain_c -I${prefix}/include -L${libdir}
    -lcotrack -Wl,-rpath,${libdir})
check_program("cc -I -L -lcotrack" ${WORK_DIR}/plain_c)

# Every shared library libcotrack.so.0 loads comes from a package that
# docs/EMBEDDING.md lists among the run-time requirements (Debian only: the
# names are Debian's).
find_program(DPKG_QUERY dpkg-query)
if(DPKG_QUERY)
  file(READ ${SOURCE_DIR}/docs/EMBEDDING.md doc)
  run(readelf -d ${solib})
  string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${run_out}")
  set(undocumented)
  foreach(entry ${needed})
    string(REGEX REPLACE ".*\\[(.*)\\]" "\\1" lib "${entry}")
    if(lib MATCHES "^(libc|libm|libgcc_s|ld-linux.*)\\.so")
      continue()  # the C runtime: on every system
    endif()
    execute_process(COMMAND ${DPKG_QUERY} -S "*/${lib}" OUTPUT_VARIABLE owner
                    RESULT_VARIABLE rc ERROR_QUIET)
    string(REGEX REPLACE "[:,].*" "" package "${owner}")
    string(FIND "${doc}" "`${package}`" at)
    if(NOT rc EQUAL 0 OR at EQUAL -1)
      list(APPEND undocumented "${lib} (package '${package}')")
    endif()
  endforeach()
  if(undocumented)
    list(JOIN undocumented ", " text)
    message(FATAL_ERROR "docs/EMBEDDING.md does not name the run-time packages of: ${text}")
  endif()
  message(STATUS "ok: run-time packages documented")
endif()

# 4. Python from the installed tree: finds the installed library by itself.
if(PYTHON)
  set(ENV{PYTHONPATH} ${python_dir})
  set(ENV{PYTHONDONTWRITEBYTECODE} 1)
  unset(ENV{COTRACK_LIBRARY})
  run(${PYTHON} -c "print(__import__('cotrack').library_path())")
  if(NOT run_out MATCHES "^${libdir}/libcotrack.so.0")
    message(FATAL_ERROR "installed Python module loaded ${run_out}, not ${libdir}")
  endif()
  check_program("Python" ${PYTHON} ${example}/example.py)
endif()

file(REMOVE_RECURSE ${WORK_DIR})
