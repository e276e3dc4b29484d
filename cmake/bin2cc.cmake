# Turns a binary file into a C++ source holding it as a byte array.
# Usage: cmake -DIN=file.bin -DOUT=file.cc -DSYMBOL=name -P bin2cc.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}"
  "// Generated from ${IN} by cmake/bin2cc.cmake. Do not edit.\n"
  "#include <cstddef>\n#include <cstdint>\n"
  "namespace cotrack {\n"
  "alignas(8) extern const uint8_t ${SYMBOL}[] = {\n${bytes}\n};\n"
  "extern const size_t ${SYMBOL}_size = ${size};\n"
  "}  // namespace cotrack\n")
