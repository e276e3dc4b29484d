# Builds everything with the sanitizers named in COTRACK_SANITIZE.
if(COTRACK_SANITIZE)
  add_compile_options(-fsanitize=${COTRACK_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${COTRACK_SANITIZE})
endif()
