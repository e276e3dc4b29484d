# Many processes on one database (docs/EMBEDDING.md, "Many processes"): the
# worker is a real client process the tests and the campaign start, kill and
# check. Included from tests/CMakeLists.txt.
add_executable(cotrack_mp_worker ${CMAKE_CURRENT_LIST_DIR}/mp_worker.cc)
target_link_libraries(cotrack_mp_worker PRIVATE cotrack_engine absl::strings)
# rpc/wire.h, for --protocol (a worker speaking as an older cotrack).
target_include_directories(cotrack_mp_worker PRIVATE ${PROJECT_SOURCE_DIR}/engine)
target_sources(cotrack_test_support PRIVATE ${CMAKE_CURRENT_LIST_DIR}/processes.cc)
target_compile_definitions(cotrack_test_support PUBLIC
                           COTRACK_MP_WORKER="$<TARGET_FILE:cotrack_mp_worker>")

# The campaign: workers, imports, backups and checks on one database while the
# process holding it is killed again and again; every acknowledged visit is
# checked after each round. A short one runs as a test, a long one by hand
# (docs/RELIABILITY.md).
add_executable(cotrack_mp_campaign ${CMAKE_CURRENT_LIST_DIR}/mp_campaign.cc
               ${CMAKE_CURRENT_LIST_DIR}/processes.cc)
target_include_directories(cotrack_mp_campaign PRIVATE ${CMAKE_CURRENT_LIST_DIR}/..)
target_link_libraries(cotrack_mp_campaign PRIVATE cotrack_engine absl::strings absl::str_format)
target_compile_definitions(cotrack_mp_campaign PRIVATE
                           COTRACK_BINARY="$<TARGET_FILE:cotrack>"
                           COTRACK_MP_WORKER="$<TARGET_FILE:cotrack_mp_worker>")
add_dependencies(cotrack_mp_campaign cotrack cotrack_mp_worker)
add_test(NAME MultiProcessCampaign.Short
         COMMAND cotrack_mp_campaign --kills 12 --seed 20261202
                 --dir ${CMAKE_CURRENT_BINARY_DIR}/mp-campaign)
set_tests_properties(MultiProcessCampaign.Short PROPERTIES TIMEOUT 300)
