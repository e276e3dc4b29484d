# Install rules (issue 7): headers, libraries, CMake package and pkg-config.
