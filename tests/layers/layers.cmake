# Layers.Check: what the include paths of the engine's layers cannot stop
# (engine/CMakeLists.txt, "Layers"; run by tests/layers/check_layers.cmake):
#   - calls: an object of a layer refers to no function or object defined in
#     a layer listed after it, whichever header declared it (a public one,
#     for instance);
#   - includes: no engine source includes by a relative path ("../"), and
#     each third-party library is included only by the layer that owns it
#     (RocksDB: storage; FlatBuffers: codec; RapidJSON: import).
# Included from tests/CMakeLists.txt.
set(layers_check_args)
foreach(layer ${COTRACK_ENGINE_LAYERS})
  list(APPEND layers_check_args
       "-DOBJECTS_${layer}=$<JOIN:$<TARGET_OBJECTS:cotrack_layer_${layer}>,|>")
endforeach()
string(REPLACE ";" "|" layers_list "${COTRACK_ENGINE_LAYERS}")
find_program(COTRACK_CXXFILT c++filt)
add_test(NAME Layers.Check
         COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DCXXFILT=${COTRACK_CXXFILT}
                 -DLAYERS=${layers_list} -DENGINE_DIR=${PROJECT_SOURCE_DIR}/engine
                 ${layers_check_args}
                 -P ${CMAKE_CURRENT_LIST_DIR}/check_layers.cmake)
set_tests_properties(Layers.Check PROPERTIES TIMEOUT 120)
