# The crash campaign (tests/crash/campaign_main.cc): a separate executable that
# kills writers at random moments and verifies the database after each kill.
# Included from tests/CMakeLists.txt; a short campaign runs as a ctest test,
# a long one by hand (docs/RELIABILITY.md).
add_executable(cotrack_crash_campaign ${CMAKE_CURRENT_LIST_DIR}/campaign_main.cc)
target_link_libraries(cotrack_crash_campaign PRIVATE cotrack_engine absl::strings
                      absl::str_format)
target_compile_definitions(cotrack_crash_campaign PRIVATE
                           COTRACK_BINARY="$<TARGET_FILE:cotrack>")
add_dependencies(cotrack_crash_campaign cotrack)
add_test(NAME CrashCampaign.Short
         COMMAND cotrack_crash_campaign --kills 24 --seed 20261121
                 --dir ${CMAKE_CURRENT_BINARY_DIR}/crash-campaign)
set_tests_properties(CrashCampaign.Short PROPERTIES TIMEOUT 300)
