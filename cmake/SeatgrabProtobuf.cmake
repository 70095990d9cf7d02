# seatgrab_protobuf(TARGET ROOT PROTOS...): compiles each .proto (a path below ROOT) into
# <binary dir>/<same relative path>.pb.{h,cc} and adds the sources to TARGET, so a header is
# included as "messages/section.pb.h". (FindProtobuf's protobuf_generate puts the proto's own
# folder first on the import path and so drops that relative path.)
function(seatgrab_protobuf target root)
  foreach(proto ${ARGN})
    file(RELATIVE_PATH rel "${root}" "${proto}")
    string(REGEX REPLACE "\\.proto$" "" stem "${rel}")
    set(out_dir "${CMAKE_CURRENT_BINARY_DIR}")
    if(root STREQUAL PROJECT_SOURCE_DIR)
      set(out_dir "${PROJECT_BINARY_DIR}")
    endif()
    set(cc "${out_dir}/${stem}.pb.cc")
    set(h "${out_dir}/${stem}.pb.h")
    add_custom_command(
      OUTPUT "${cc}" "${h}"
      COMMAND protobuf::protoc --cpp_out "${out_dir}" -I "${root}" "${proto}"
      DEPENDS "${proto}" protobuf::protoc
      COMMENT "protoc ${rel}")
    target_sources(${target} PRIVATE "${cc}" "${h}")
    set_source_files_properties("${cc}" PROPERTIES COMPILE_OPTIONS "-Wno-pedantic")
  endforeach()
endfunction()
