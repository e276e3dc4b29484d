# Many processes on one database (docs/EMBEDDING.md, "Many processes"): the
# worker is a real client process the tests and the campaign start, kill and
# check. Included from tests/CMakeLists.txt.
add_executable(cotrack_mp_worker ${CMAKE_CURRENT_LIST_DIR}/mp_worker.cc)
target_link_libraries(cotrack_mp_worker PRIVATE cotrack_engine absl::strings)
target_compile_definitions(cotrack_test_support PUBLIC
                           COTRACK_MP_WORKER="$<TARGET_FILE:cotrack_mp_worker>")
