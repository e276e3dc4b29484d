# cotrack_static_archives(<out> <item>...)
#
# Sets <out> to the static archives (lib*.a beside each lib*.so) of the
# libraries that <item>... link, followed through INTERFACE_LINK_LIBRARIES.
# Debian ships both forms of RocksDB, Abseil, FlatBuffers and RocksDB's
# compression libraries, and find_package's targets name the shared ones;
# this maps them without a second set of find_package calls. The shared
# RocksDB target has no link interface, so the static target (which names
# snappy, zlib, bz2, lz4 and zstd) is followed instead.
#
# Left shared on purpose: OpenSSL (security fixes arrive with Debian's
# libssl3 update, not with a rebuild of cotrack; the engine dlopens it, only for
# encrypted databases) and everything without a static archive beside it (the
# C and C++ runtimes; the cotrack program links libstdc++ and libgcc statically
# with -static-libstdc++, see tools/CMakeLists.txt).
function(cotrack_static_archives out)
  set(queue ${ARGN})
  set(seen)
  set(archives)
  while(queue)
    list(POP_FRONT queue item)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
    if(item IN_LIST seen OR item MATCHES "^(\\$<|-)" OR item MATCHES "^OpenSSL::")
      continue()
    endif()
    list(APPEND seen "${item}")
    if(item STREQUAL "RocksDB::rocksdb-shared" AND TARGET RocksDB::rocksdb)
      list(APPEND queue RocksDB::rocksdb)
      continue()
    endif()
    set(file "${item}")
    if(TARGET ${item})
      get_target_property(links ${item} INTERFACE_LINK_LIBRARIES)
      if(links)
        list(APPEND queue ${links})
      endif()
      get_target_property(imported ${item} IMPORTED)
      get_target_property(type ${item} TYPE)
      if(NOT imported OR type STREQUAL "INTERFACE_LIBRARY")
        continue()
      endif()
      set(file "")
      foreach(property IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_RELWITHDEBINFO
                       IMPORTED_LOCATION_NONE IMPORTED_LOCATION_NOCONFIG IMPORTED_LOCATION)
        get_target_property(location ${item} ${property})
        if(location)
          set(file "${location}")
          break()
        endif()
      endforeach()
    endif()
    # (${CMAKE_MATCH_1} in the same if() would be the previous match's.)
    string(REGEX REPLACE "\\.so(\\.[0-9.]+)?$" ".a" archive "${file}")
    if(file MATCHES "\\.a$" OR (NOT archive STREQUAL file AND EXISTS "${archive}"))
      list(APPEND archives "${archive}")
    endif()
  endwhile()
  list(REMOVE_DUPLICATES archives)
  set(${out} ${archives} PARENT_SCOPE)
endfunction()
