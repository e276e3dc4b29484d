# Checks libcotrack.so: its SONAME; that every exported symbol belongs to the
# public API (the C ABI, or a function/class of include/cotrack/*.h: no
# engine internals, RocksDB, FlatBuffers, Abseil or template instantiations);
# and that every public C++ function the static library defines is exported.
# Usage: cmake -DLIB=libcotrack.so -DARCHIVE=libcotrack.a -DSONAME=libcotrack.so.0
#              -DHEADERS=<dir with cotrack/*.h> -P check_exports.cmake
cmake_minimum_required(VERSION 3.16)
find_program(READELF readelf REQUIRED)
find_program(NM nm REQUIRED)

execute_process(COMMAND ${READELF} -d ${LIB} OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d ${LIB} failed")
endif()
if(NOT dynamic MATCHES "Library soname: \\[${SONAME}\\]")
  message(FATAL_ERROR "${LIB}: SONAME is not ${SONAME}:\n${dynamic}")
endif()

execute_process(COMMAND ${NM} -D -C --defined-only ${LIB}
                OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm -D ${LIB} failed")
endif()
string(REPLACE "\n" ";" lines "${symbols}")
set(bad)
set(count 0)
set(exported_functions)
foreach(line IN LISTS lines)
  if(NOT line MATCHES "^[0-9a-f]+ [A-Za-z] (.*)$")
    continue()
  endif()
  string(REGEX REPLACE "@@?COTRACK_0$" "" name "${CMAKE_MATCH_1}")
  if(name STREQUAL "COTRACK_0")
    continue()  # the version node
  endif()
  math(EXPR count "${count} + 1")
  if(name MATCHES "^cotrack_[a-z0-9_]+$")
    continue()  # C ABI
  endif()
  if(name MATCHES "^(vtable|typeinfo|typeinfo name) for cotrack::[A-Za-z0-9_]+$")
    continue()
  endif()
  # cotrack::Name(...) or cotrack::Class::Name(...), nothing before it (a
  # return type would mean a template instantiation) and no nested internals.
  if(name MATCHES "^cotrack::([A-Za-z0-9_]+::)?~?[A-Za-z0-9_]+(\\[abi:cxx11\\])?\\(" AND
     NOT name MATCHES "^cotrack::(DatabaseImpl|Store|Catalog|Csv[A-Za-z]*|[A-Za-z]*CsvParser|ImportErrors|ReadView|keys|codec|crc32c)::")
    if(name MATCHES "^cotrack::([A-Za-z0-9_]+)(\\[abi:cxx11\\])?\\(")
      list(APPEND exported_functions ${CMAKE_MATCH_1})
    endif()
    continue()
  endif()
  list(APPEND bad "${name}")
endforeach()

# Every public free function the engine defines must be exported.
set(text "")
file(GLOB headers ${HEADERS}/cotrack/*.h)
foreach(h ${headers})
  file(READ ${h} content)
  string(APPEND text "${content}\n")
endforeach()
string(REGEX REPLACE "//[^\n]*" "" text "${text}")
execute_process(COMMAND ${NM} -C --defined-only ${ARCHIVE} OUTPUT_VARIABLE archive_symbols)
string(REGEX MATCHALL " T cotrack::[A-Za-z0-9_]+(\\[abi:cxx11\\])?\\(" defined "${archive_symbols}")
set(public_defined 0)
foreach(d ${defined})
  string(REGEX REPLACE "^ T cotrack::([A-Za-z0-9_]+).*" "\\1" fn "${d}")
  string(FIND "${text}" " ${fn}(" declared)
  if(declared EQUAL -1)
    continue()  # internal
  endif()
  math(EXPR public_defined "${public_defined} + 1")
  if(NOT fn IN_LIST exported_functions)
    list(APPEND bad "not exported: cotrack::${fn} (declared in a public header)")
  endif()
endforeach()

foreach(required "cotrack_open" "cotrack_close" "cotrack_visit_commit" "cotrack_summarize"
                 "cotrack_trajectory_table" "cotrack_table_int64" "cotrack_batch_commit"
                 "cotrack::Database::Open(" "vtable for cotrack::Database")
  string(FIND "${symbols}" "${required}" at)
  if(at EQUAL -1)
    list(APPEND bad "not exported: ${required}")
  endif()
endforeach()

if(bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "${LIB}: the dynamic symbol table must hold exactly the public API "
                      "(see cmake/cotrack_exports.cmake):\n  ${text}")
endif()
message(STATUS "${LIB}: SONAME ${SONAME}, ${count} symbols, all public; "
               "all ${public_defined} public functions exported")
