# Install rules (issue 7): headers, libraries, CMake package and pkg-config,
# and the embedding tests (tests/embed) that check them.
#
#   cmake --install build --prefix /opt/cotrack   installs
#     include/cotrack/*.h                  the C++ API and the C ABI (c.h)
#     lib/libcotrack.so.0.1.0 (+ .so.0, .so links; SONAME libcotrack.so.0)
#     lib/libcotrack.a                     static library
#     lib/cmake/cotrack/cotrackConfig.cmake  find_package(cotrack):
#                                          cotrack::cotrack (shared),
#                                          cotrack::cotrack_static
#     lib/pkgconfig/cotrack.pc             pkg-config --cflags --libs cotrack (C ABI)
#     lib/pkgconfig/cotrack-cxx.pc         ... cotrack-cxx (C++ API: adds Abseil)
#     lib/python3/dist-packages/cotrack    the Python module (ctypes)
#     bin/cotrack                          the command line tool
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(COTRACK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cotrack)
set(COTRACK_PYTHON_DIR lib/python3/dist-packages CACHE STRING
    "Where to install the cotrack Python module, relative to the prefix")

install(DIRECTORY ${PROJECT_SOURCE_DIR}/engine/include/cotrack
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(TARGETS cotrack_shared EXPORT cotrackTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS cotrack_engine EXPORT cotrackStaticTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS cotrack RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT cotrackTargets NAMESPACE cotrack:: DESTINATION ${COTRACK_CMAKE_DIR})
install(EXPORT cotrackStaticTargets NAMESPACE cotrack:: DESTINATION ${COTRACK_CMAKE_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/cotrack
        DESTINATION ${COTRACK_PYTHON_DIR}
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)

# The Python module learns at install time where the library went, so that
# `import cotrack` works from the installed tree without COTRACK_LIBRARY.
install(CODE "file(WRITE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${COTRACK_PYTHON_DIR}/cotrack/_libpath.py\"
  \"# Written by cmake --install.\\nLIBRARY = '\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libcotrack.so.${PROJECT_VERSION_MAJOR}'\\n\")")

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/cotrackConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cotrackConfig.cmake
  INSTALL_DESTINATION ${COTRACK_CMAKE_DIR})
# 0.x releases keep the ABI within a major version, like the SONAME.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cotrackConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cotrackConfig.cmake
              ${PROJECT_BINARY_DIR}/cotrackConfigVersion.cmake
        DESTINATION ${COTRACK_CMAKE_DIR})

# pkg-config: the prefix is computed from the .pc file's own location, so an
# installed tree can be moved (and installed with --prefix at install time).
string(REGEX REPLACE "[^/]+" ".." COTRACK_PC_TO_PREFIX "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
# cotrack-cxx.pc has no paths of its own: it adds Abseil to cotrack.pc.
foreach(pc cotrack cotrack-cxx)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# `ninja python_wheel`: the Python package (python/pyproject.toml) as a wheel
# in python-dist/ of the build tree, recording this build's library (see
# python/setup.py): `pip install build/python-dist/cotrack-*.whl` on this
# machine. Offline: setuptools and pip come from the system (python3-pip).
# Debian's interpreter first, as the tests do (tests/embed/CMakeLists.txt).
find_program(COTRACK_PYTHON3 NAMES python3 HINTS /usr/bin)
if(COTRACK_PYTHON3)
  add_custom_target(python_wheel
    COMMAND ${CMAKE_COMMAND} -E env COTRACK_LIBRARY=$<TARGET_SONAME_FILE:cotrack_shared>
            ${COTRACK_PYTHON3} -m pip wheel --no-build-isolation --no-index --no-deps --quiet
            -w ${PROJECT_BINARY_DIR}/python-dist ${PROJECT_SOURCE_DIR}/python
    DEPENDS cotrack_shared
    COMMENT "Building the cotrack Python wheel into ${PROJECT_BINARY_DIR}/python-dist"
    VERBATIM)
endif()

if(COTRACK_BUILD_TESTS)
  # The C test program needs a C compiler; languages must be enabled from
  # the top-level directory, which is where this file is included.
  enable_language(C)
  add_subdirectory(tests/embed)
endif()
