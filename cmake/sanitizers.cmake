# Builds everything with the sanitizers named in COTRACK_SANITIZE
# (address,undefined | thread). Fuzzing (COTRACK_BUILD_FUZZ) needs clang and
# adds libFuzzer's coverage instrumentation to every target, so that the
# engine code a fuzz target calls is explored, not just the target itself;
# it defaults to ASan+UBSan.
if(COTRACK_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "COTRACK_BUILD_FUZZ needs clang: configure with CXX=clang++")
  endif()
  if(NOT COTRACK_SANITIZE)
    set(COTRACK_SANITIZE "address,undefined")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(COTRACK_SANITIZE)
  add_compile_options(-fsanitize=${COTRACK_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${COTRACK_SANITIZE})
endif()
