# docs/EMBEDDING.md must show each example file verbatim as one fenced code
# block, so that the snippets users copy are the programs the Embed.Install
# and Embed.Python tests build and run.
# Usage: cmake -DSOURCE_DIR=<checkout> [-DDOC=README.md] -P check_docs.cmake
cmake_minimum_required(VERSION 3.16)
if(NOT DOC)
  set(DOC docs/EMBEDDING.md)
endif()
file(READ ${SOURCE_DIR}/${DOC} doc)
set(missing)
foreach(pair "cpp:main.cc" "c:main.c" "python:example.py" "cmake:CMakeLists.txt"
             "go:go/main.go" "java:java/Embed.java")
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 lang)
  list(GET pair 1 file)
  file(READ ${SOURCE_DIR}/examples/embed/${file} code)
  string(FIND "${doc}" "```${lang}\n${code}```\n" at)
  if(at EQUAL -1)
    list(APPEND missing "examples/embed/${file} (as a ```${lang} block)")
  endif()
endforeach()
if(missing)
  list(JOIN missing "\n  " text)
  message(FATAL_ERROR "${DOC} does not show verbatim:\n  ${text}\n"
                      "Copy the file's exact contents into the fenced block.")
endif()
message(STATUS "${DOC} shows every example verbatim")
